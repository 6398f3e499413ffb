//! `matching`: the fund matches the money a project raises from other funders, like the
//! matching funds and challenge grants of philanthropy and public funding (a funder adds
//! a set amount per euro a grantee raises elsewhere, up to a cap).
//!
//! At each call, an eligible project has raised `other_funding_eur_per_month` (the
//! portfolio's baseline funding, which the model pays it every month) over one call
//! interval; the fund offers `ratio` times that, at most `cap_eur` and the fund's maximum
//! grant. An offer below the fund's minimum grant is not made. When the call's budget
//! covers every offer (with overhead), each is granted in full and the rest stays with
//! the fund; otherwise the offers are scaled down alike (`split_by_weights`, which leaves
//! out the smallest when a share falls below the minimum grant), never above what was
//! offered. A project that raises nothing elsewhere gets nothing.

use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Review, Rule,
    split_by_weights,
};
use crate::rng::SimRng;

/// Parameters of `rule = "matching"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingParams {
    /// EUR of grant per EUR the project raised elsewhere.
    #[serde(default = "default_ratio")]
    pub ratio: f64,
    /// Largest match per project per call (EUR).
    #[serde(default = "default_cap")]
    pub cap_eur: f64,
}

/// One to one, the plainest match (an assumption, not a calibrated value).
fn default_ratio() -> f64 {
    1.0
}

/// An assumption, not a calibrated value: twice the fund's default minimum grant.
fn default_cap() -> f64 {
    100_000.0
}

pub struct Matching(pub MatchingParams);

impl Rule for Matching {
    const NAME: &'static str = "matching";
    const SUMMARY: &'static str =
        "the fund matches the money each project raises from other funders, up to a cap";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "ratio",
            allowed: "> 0, ≤ 100",
            meaning: "EUR of grant per EUR raised elsewhere over one call interval \
                      (assumption)",
        },
        Parameter {
            key: "cap_eur",
            allowed: "> 0, ≤ 10¹²",
            meaning: "largest match per project per call (EUR; assumption)",
        },
    ];
    type Params = MatchingParams;

    fn check(p: &MatchingParams, check: &mut ParamCheck) {
        check.positive("ratio", p.ratio, 100.0);
        check.positive("cap_eur", p.cap_eur, 1e12);
    }

    fn describe(p: &MatchingParams) -> String {
        format!(
            "matching: EUR {} per EUR raised elsewhere, at most EUR {} per project per call",
            p.ratio, p.cap_eur
        )
    }

    fn brief(p: &MatchingParams) -> String {
        if p.ratio == 1.0 {
            "grants matching, euro for euro, what projects raise elsewhere".into()
        } else {
            format!(
                "grants of EUR {} per euro projects raise elsewhere",
                p.ratio
            )
        }
    }

    fn build(params: &MatchingParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl Matching {
    /// What the fund offers `project` at `call`: the match of what it raised elsewhere
    /// over one call interval, within the cap and the fund's grant sizes; `None` when
    /// there is nothing to match or the match is below the minimum grant.
    fn offer(&self, call: &Call, project: &ProjectView) -> Option<f64> {
        let fund = call.fund;
        let months = f64::from(fund.call_interval_months.max(1));
        let raised = project.other_funding_eur_per_month.max(0.0) * months;
        let offer = (self.0.ratio * raised)
            .min(self.0.cap_eur)
            .min(fund.max_grant_eur);
        (project.eligible() && offer > 0.0 && offer >= fund.min_grant_eur).then_some(offer)
    }
}

impl AllocationRule for Matching {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let mut offers: Vec<(&ProjectView, f64)> = projects
            .iter()
            .filter_map(|p| Some((p, self.offer(call, p)?)))
            .collect();
        let cost: f64 = offers
            .iter()
            .map(|(p, amount)| Grant::upfront(p.index, *amount).cost_eur(call.fund))
            .sum();
        if cost <= call.budget_eur {
            let grants = offers.iter().map(|(p, a)| Grant::upfront(p.index, *a));
            decision.grants.extend(grants);
            return;
        }
        split_by_weights(call, offers.iter().copied(), &mut decision.grants);
        // Leaving a small offer out raises the others' shares, possibly above what they
        // were offered: a match never pays more than the match.
        offers.sort_unstable_by_key(|(p, _)| p.index);
        for grant in &mut decision.grants {
            if let Ok(at) = offers.binary_search_by_key(&grant.project, |(p, _)| p.index) {
                grant.amount_eur = grant.amount_eur.min(offers[at].1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Checker, FundParams};
    use crate::strategy::test_support::{decide, view};
    use crate::strategy::{Status, StrategyEntry, parse_entry};

    /// A fund without overhead or minimum, calls every 12 months.
    fn plain_fund() -> FundParams {
        FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            max_grant_eur: 1e9,
            call_interval_months: 12,
            ..FundParams::default()
        }
    }

    /// Projects raising 0, 1,000 and 2,000 EUR a month elsewhere.
    fn projects() -> Vec<ProjectView> {
        (0..3)
            .map(|i| {
                let mut project = view(i, 100.0);
                project.other_funding_eur_per_month = 1_000.0 * i as f64;
                project
            })
            .collect()
    }

    fn rule(ratio: f64, cap_eur: f64) -> Matching {
        Matching(MatchingParams { ratio, cap_eur })
    }

    fn amount(grants: &[Grant], project: usize) -> f64 {
        grants
            .iter()
            .find(|g| g.project == project)
            .map_or(0.0, |g| g.amount_eur)
    }

    #[test]
    fn matches_a_call_interval_of_outside_money_and_nothing_without_it() {
        let fund = plain_fund();
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1e9,
            fund: &fund,
        };
        let grants = decide(&rule(1.0, 1e9), &call, &projects());
        assert_eq!(grants.len(), 2, "no grant without outside money: {grants:?}");
        assert_eq!(amount(&grants, 0), 0.0);
        assert_eq!(amount(&grants, 1), 12_000.0);
        assert_eq!(amount(&grants, 2), 24_000.0);
        let doubled = decide(&rule(2.0, 1e9), &call, &projects());
        assert_eq!(amount(&doubled, 1), 24_000.0, "the ratio scales the grant");
        assert_eq!(amount(&doubled, 2), 48_000.0);
        let quarterly = FundParams {
            call_interval_months: 3,
            ..fund
        };
        let call = Call {
            fund: &quarterly,
            ..call
        };
        let grants = decide(&rule(1.0, 1e9), &call, &projects());
        assert_eq!(amount(&grants, 2), 6_000.0, "three months raised");
    }

    #[test]
    fn the_cap_the_fund_minimum_and_eligibility_bind() {
        let fund = FundParams {
            min_grant_eur: 15_000.0,
            ..plain_fund()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1e9,
            fund: &fund,
        };
        let grants = decide(&rule(1.0, 20_000.0), &call, &projects());
        assert_eq!(amount(&grants, 1), 0.0, "12,000 is below the minimum grant");
        assert_eq!(amount(&grants, 2), 20_000.0, "24,000 capped at 20,000");
        let mut dormant = projects();
        dormant[2].status = Status::Dormant;
        assert!(decide(&rule(1.0, 20_000.0), &call, &dormant).is_empty());
    }

    #[test]
    fn a_short_budget_scales_every_match_alike_and_holds() {
        let fund = FundParams {
            overhead_fixed_eur: 100.0,
            overhead_share: 0.1,
            ..plain_fund()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 9_000.0,
            fund: &fund,
        };
        let grants = decide(&rule(1.0, 1e9), &call, &projects());
        let cost: f64 = grants.iter().map(|g| g.cost_eur(&fund)).sum();
        assert!((cost - 9_000.0).abs() < 1e-6, "the budget is spent: {cost}");
        assert!((amount(&grants, 2) - 2.0 * amount(&grants, 1)).abs() < 1e-9);
        assert!(amount(&grants, 2) < 24_000.0);
        // With a minimum grant the smaller match is left out; the larger one gets no
        // more than its match even though the budget would allow more.
        let strict = FundParams {
            min_grant_eur: 10_000.0,
            ..fund
        };
        let call = Call {
            budget_eur: 30_000.0,
            fund: &strict,
            ..call
        };
        let grants = decide(&rule(1.0, 1e9), &call, &projects());
        assert_eq!(grants.len(), 1, "{grants:?}");
        assert_eq!(amount(&grants, 2), 24_000.0);
    }

    #[test]
    fn parameters_are_checked_under_their_full_key() {
        let problems = |params: &str| {
            let mut check = Checker::new("");
            let text = format!("name = \"match\"\nrule = \"matching\"\n{params}");
            let entry: StrategyEntry = toml::from_str(&text).unwrap();
            let parsed = parse_entry(&mut check, 3, &entry, str::to_string);
            match check.into_result("", ()) {
                Ok(()) => {
                    assert!(parsed.is_some());
                    Vec::new()
                }
                Err(error) => error.issues,
            }
        };
        assert!(problems("").is_empty());
        let issues = problems("ratio = -1.0\ncap_eur = inf");
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["strategies[3].ratio", "strategies[3].cap_eur"]);
        assert!(issues[0].problem.contains("strategy \"match\" (rule `matching`)"));
        let issues = problems("cap_eur = \"lots\"");
        assert_eq!(issues[0].field, "strategies[3].cap_eur");
        let issues = problems("ration = 2.0");
        assert_eq!(issues[0].field, "strategies[3].ration");
        assert!(issues[0].problem.ends_with("did you mean `ratio`?"));
    }
}
