//! `bug_bounty`: bug-bounty programmes run by the fund, like the bug and fix bounties the
//! Sovereign Tech Agency's Resilience programme runs on YesWeHack. At each call the fund
//! launches as many programmes as the call's budget pays, each with a pool of money set
//! aside for one project, at the highest-scored eligible projects, in turn as `audit`
//! chooses (so one project does not get overlapping programmes, whose returns diminish).

use serde::{Deserialize, Serialize};

use super::audit::{affordable, in_turn};
use super::{
    AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Purchase, Review,
    Rule, Score,
};
use crate::rng::SimRng;

/// Parameters of `rule = "bug_bounty"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BugBountyParams {
    /// Money set aside for one project's programme (EUR); what is not paid out returns to
    /// the fund (assumption).
    #[serde(default = "default_pool")]
    pub pool_eur: f64,
    /// How long a programme runs (months; assumption).
    #[serde(default = "default_months")]
    pub months: u32,
    /// Extra monthly chance that a latent vulnerability is found, at launch (assumption).
    #[serde(default = "default_hazard")]
    pub hazard: f64,
    /// Exponent of the decay of that chance after launch, `(1 + t)^−decay`: Maillart et
    /// al. (2017) measured yields decaying as about t^−0.4.
    #[serde(default = "default_decay")]
    pub decay: f64,
    /// Mean payout per valid finding (EUR; assumption).
    #[serde(default = "default_payout")]
    pub payout_eur: f64,
    /// Which projects get a programme first.
    #[serde(default = "default_score")]
    pub score: Score,
}

fn default_pool() -> f64 {
    50_000.0
}

fn default_months() -> u32 {
    12
}

fn default_hazard() -> f64 {
    0.05
}

fn default_decay() -> f64 {
    0.4
}

fn default_payout() -> f64 {
    2_000.0
}

fn default_score() -> Score {
    Score::Dependents
}

pub struct BugBounties(pub BugBountyParams);

impl Rule for BugBounties {
    const NAME: &'static str = "bug_bounty";
    const SUMMARY: &'static str =
        "bug-bounty programmes at the highest-scored projects, in turn, as many as each call pays";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "pool_eur",
            allowed: "> 0, ≤ 10⁹",
            meaning: "money set aside per programme (EUR); what is not paid out returns (assumption)",
        },
        Parameter {
            key: "months",
            allowed: "1–120",
            meaning: "how long a programme runs (months; assumption)",
        },
        Parameter {
            key: "hazard",
            allowed: "0–1",
            meaning: "extra monthly chance a latent vulnerability is found, at launch (assumption)",
        },
        Parameter {
            key: "decay",
            allowed: "0–5",
            meaning: "yield decays as (1 + months since launch)^−decay (Maillart et al. 2017)",
        },
        Parameter {
            key: "payout_eur",
            allowed: "> 0, ≤ 10⁹",
            meaning: "mean payout per valid finding (EUR; assumption)",
        },
        Parameter {
            key: "score",
            allowed: "as `proportional`",
            meaning: "which projects get a programme first",
        },
    ];
    type Params = BugBountyParams;

    fn check(p: &BugBountyParams, check: &mut ParamCheck) {
        check.positive("pool_eur", p.pool_eur, 1e9);
        check.count("months", p.months.into(), 1, 120);
        check.probability("hazard", p.hazard);
        check.range("decay", p.decay, 0.0, 5.0);
        check.positive("payout_eur", p.payout_eur, 1e9);
    }

    fn describe(p: &BugBountyParams) -> String {
        format!(
            "bug bounties of EUR {} for {} months by {}: hazard {} decaying as t^-{}, EUR {} a finding",
            p.pool_eur,
            p.months,
            p.score.name(),
            p.hazard,
            p.decay,
            p.payout_eur
        )
    }

    fn brief(p: &BugBountyParams) -> String {
        format!(
            "{}-month bug bounties at the projects with the most {}, in turn",
            p.months,
            p.score.name().replace('_', " ")
        )
    }

    fn build(params: &BugBountyParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for BugBounties {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let p = &self.0;
        let purchase = Purchase::BugBounty {
            months: p.months,
            hazard: p.hazard,
            decay: p.decay,
            payout_eur: p.payout_eur,
        };
        // The pool is a ceiling on payouts, not a price: a pool below the fund's minimum
        // grant is raised to it and one above its maximum lowered, which changes only how
        // many findings it can pay (the rest returns to the fund).
        let fund = call.fund;
        let pool = p.pool_eur.clamp(fund.min_grant_eur, fund.max_grant_eur);
        let cost = Grant::buying(0, pool, purchase).cost_eur(fund);
        let affordable = affordable(call.budget_eur, cost);
        for project in in_turn(projects, p.score, call.index, affordable) {
            decision
                .grants
                .push(Grant::buying(project.index, pool, purchase));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fund::Status;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide, view};

    #[test]
    fn launches_programmes_at_the_most_critical_in_turn_within_the_budget() {
        let fund = FundParams {
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let rule = BugBounties(BugBountyParams {
            score: Score::Criticality,
            pool_eur: 20_000.0,
            ..toml::from_str("").unwrap()
        });
        let mut projects: Vec<_> = (0..6)
            .map(|i| {
                let mut v = view(i, 1.0);
                v.criticality = i as f64 / 10.0;
                v
            })
            .collect();
        projects[4].status = Status::Dormant;
        let one = 20_000.0 * 1.05 + 10_000.0;
        let call = |index: usize| Call {
            index,
            month: 0,
            budget_eur: 2.5 * one,
            fund: &fund,
        };
        let first = decide(&rule, &call(0), &projects);
        assert_eq!(first.iter().map(|g| g.project).collect::<Vec<_>>(), [5, 3]);
        let cost: f64 = first.iter().map(|g| g.cost_eur(&fund)).sum();
        assert!(cost <= 2.5 * one);
        assert!(first.iter().all(|g| g.amount_eur == 20_000.0
            && g.buys
                == Purchase::BugBounty {
                    months: 12,
                    hazard: 0.05,
                    decay: 0.4,
                    payout_eur: 2_000.0
                }));
        let second = decide(&rule, &call(1), &projects);
        assert_eq!(second.iter().map(|g| g.project).collect::<Vec<_>>(), [2, 1]);
    }

    #[test]
    fn a_pool_outside_the_fund_s_grant_sizes_is_brought_within_them() {
        let fund = FundParams {
            min_grant_eur: 80_000.0,
            ..FundParams::default()
        };
        let rule = BugBounties(toml::from_str("").unwrap());
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1e6,
            fund: &fund,
        };
        let projects: Vec<_> = (0..3).map(|i| view(i, 1.0)).collect();
        let grants = decide(&rule, &call, &projects);
        assert_eq!(grants.len(), 3);
        assert!(grants.iter().all(|g| g.amount_eur == 80_000.0));
    }
}
