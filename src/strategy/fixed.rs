//! `fixed`: a given list of grants, paid at the first call: to replay a fund's actual
//! decisions (e.g. the known STF contracts) and spread the rest of the budget over the
//! other projects with grant sizes drawn like the known ones.
//!
//! The known amounts go, in the order listed, to the eligible projects ranked by
//! criticality (a fund like the STF picks foundational technology first). Each other
//! eligible project then draws a log-normal size; the draws are scaled so their cost
//! spends the rest of the call's budget, within the minimum and maximum grant.

use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Review, Rule,
    split_by_weights,
};
use crate::rng::SimRng;

/// Parameters of `rule = "fixed"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedParams {
    /// Known grants (EUR), given to the most critical eligible projects in this order.
    pub amounts_eur: Vec<f64>,
    /// Spread the rest of the budget over the other projects.
    #[serde(default = "default_rest")]
    pub spread_rest: bool,
    /// Median of the sizes drawn for the other projects (EUR).
    #[serde(default = "default_median")]
    pub rest_median_eur: f64,
    /// σ of log(size) for the other projects.
    #[serde(default = "default_sigma")]
    pub rest_sigma_log: f64,
}

fn default_rest() -> bool {
    true
}

fn default_median() -> f64 {
    200_000.0
}

fn default_sigma() -> f64 {
    0.83
}

pub struct FixedGrants(pub FixedParams);

impl Rule for FixedGrants {
    const NAME: &'static str = "fixed";
    const SUMMARY: &'static str =
        "a given list of grants at the first call, the rest of the budget spread like them";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "amounts_eur",
            allowed: "each > 0, ≤ 10¹²; at least one",
            meaning: "known grants (EUR), to the most critical eligible projects in this order",
        },
        Parameter {
            key: "spread_rest",
            allowed: "`true`, `false`",
            meaning: "spread the rest of the budget over the other projects",
        },
        Parameter {
            key: "rest_median_eur",
            allowed: "> 0, ≤ 10¹²",
            meaning: "median of the sizes drawn for the other projects (EUR)",
        },
        Parameter {
            key: "rest_sigma_log",
            allowed: "0–5",
            meaning: "σ of log(size) for the other projects",
        },
    ];
    const EXAMPLE: &'static str = "amounts_eur = [120000.0, 80000.0]";
    type Params = FixedParams;

    fn check(p: &FixedParams, check: &mut ParamCheck) {
        if p.amounts_eur.is_empty() {
            check.fail("amounts_eur", None, "needs at least one amount (EUR)");
        }
        for (i, &amount) in p.amounts_eur.iter().enumerate() {
            check.positive(&format!("amounts_eur[{i}]"), amount, 1e12);
        }
        check.positive("rest_median_eur", p.rest_median_eur, 1e12);
        check.range("rest_sigma_log", p.rest_sigma_log, 0.0, 5.0);
    }

    fn describe(p: &FixedParams) -> String {
        format!(
            "{} fixed grants (EUR {:.0} in all) at the first call{}",
            p.amounts_eur.len(),
            p.amounts_eur.iter().sum::<f64>(),
            if p.spread_rest {
                ", the rest spread like them"
            } else {
                ""
            }
        )
    }

    fn brief(p: &FixedParams) -> String {
        let count = p.amounts_eur.len();
        format!(
            "{count} known grant{} replayed{}",
            if count == 1 { "" } else { "s" },
            if p.spread_rest {
                ", the rest of the budget spread like them"
            } else {
                ""
            }
        )
    }

    fn build(params: &FixedParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for FixedGrants {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        if call.index > 0 {
            return;
        }
        let fund = call.fund;
        let mut eligible: Vec<&ProjectView> = projects.iter().filter(|p| p.eligible()).collect();
        eligible.sort_by(|a, b| {
            b.criticality
                .total_cmp(&a.criticality)
                .then(a.index.cmp(&b.index))
        });
        let mut budget = call.budget_eur;
        let known = self.0.amounts_eur.len().min(eligible.len());
        for (project, &amount) in eligible.iter().zip(&self.0.amounts_eur) {
            let grant = Grant::upfront(
                project.index,
                amount.clamp(fund.min_grant_eur, fund.max_grant_eur),
            );
            if grant.cost_eur(fund) <= budget {
                budget -= grant.cost_eur(fund);
                decision.grants.push(grant);
            }
        }
        if !self.0.spread_rest || budget <= 0.0 {
            return;
        }
        let law =
            LogNormal::new(self.0.rest_median_eur.ln(), self.0.rest_sigma_log).expect("validated");
        let rest = eligible[known..].iter().map(|&p| (p, law.sample(rng)));
        let rest_call = Call {
            budget_eur: budget,
            ..*call
        };
        split_by_weights(&rest_call, rest, &mut decision.grants);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide, view};

    #[test]
    fn the_brief_counts_the_known_grants() {
        let mut params = FixedParams {
            amounts_eur: vec![300.0, 200.0],
            spread_rest: true,
            rest_median_eur: 100.0,
            rest_sigma_log: 0.5,
        };
        assert_eq!(
            FixedGrants::brief(&params),
            "2 known grants replayed, the rest of the budget spread like them"
        );
        params.amounts_eur.pop();
        params.spread_rest = false;
        assert_eq!(FixedGrants::brief(&params), "1 known grant replayed");
    }

    #[test]
    fn known_grants_go_to_the_most_critical_and_the_rest_spends_the_budget() {
        let fund = FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 10.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1_000.0,
            fund: &fund,
        };
        let projects: Vec<_> = (0..5)
            .map(|i| {
                let mut v = view(i, 1.0);
                v.criticality = f64::from(i as u32) / 10.0;
                v
            })
            .collect();
        let rule = FixedGrants(FixedParams {
            amounts_eur: vec![300.0, 200.0],
            spread_rest: true,
            rest_median_eur: 100.0,
            rest_sigma_log: 0.5,
        });
        let grants = decide(&rule, &call, &projects);
        let amount = |i: usize| {
            grants
                .iter()
                .find(|g| g.project == i)
                .map_or(0.0, |g| g.amount_eur)
        };
        assert_eq!((amount(4), amount(3)), (300.0, 200.0));
        let total: f64 = grants.iter().map(|g| g.amount_eur).sum();
        assert!(
            (total - 1_000.0).abs() < 1e-6,
            "the rest is spent: {grants:?}"
        );
        let later = Call { index: 1, ..call };
        assert!(
            decide(&rule, &later, &projects).is_empty(),
            "a one-off allocation"
        );
    }
}
