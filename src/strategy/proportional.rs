//! `proportional`: shares proportional to an observable score raised to a power γ
//! (γ = 1 proportional, γ → 0 equal, γ > 1 concentrated), like ecosyste.ms Funds'
//! usage-proportional payouts. A minimum amount per project and a maximum share of the
//! call's budget per project (ecosyste.ms Funds' minimum, Optimism Retro Funding's 5%
//! cap) are optional: what they take from one project goes to the others.

use serde::{Deserialize, Serialize};

use super::sizing::{
    GrantLimits, MAX_SHARE_PARAMETER, MIN_AMOUNT_PARAMETER, check_limits, describe_limits,
    split_by_weights_within,
};
use super::{AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule};
use crate::rng::SimRng;

/// The observable a proportional split is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    Dependents,
    Criticality,
    Backlog,
    OpenVulnerabilities,
}

/// Parameters of `rule = "proportional"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProportionalParams {
    /// What the shares follow.
    #[serde(default = "default_score")]
    pub score: Score,
    /// Exponent γ applied to the score.
    #[serde(default = "default_power")]
    pub power: f64,
    /// Fund only the this many highest-scoring eligible projects (deep rather than
    /// thin); all of them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_projects: Option<u32>,
    /// No project is funded with less at a call (EUR): while the smallest share is below
    /// it, that project gets nothing and its share goes to the others, as ecosyste.ms
    /// Funds pays out only above a minimum and redistributes the rest. Not set: only the
    /// fund's minimum grant applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount_eur: Option<f64>,
    /// The largest share of a call's budget one project may get (0 < share ≤ 1); what the
    /// cap frees goes to the others in proportion to their weights (Optimism Retro
    /// Funding's `max_share_per_project` is 0.05). Not set: only the fund's maximum grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_share: Option<f64>,
}

fn default_score() -> Score {
    Score::Dependents
}

fn default_power() -> f64 {
    1.0
}


impl Score {
    /// The scores as the docs table lists them.
    pub const ALLOWED: &'static str = "`dependents`, `criticality`, `backlog`, `open_vulnerabilities`";

    pub fn name(self) -> &'static str {
        match self {
            Self::Dependents => "dependents",
            Self::Criticality => "criticality",
            Self::Backlog => "backlog",
            Self::OpenVulnerabilities => "open_vulnerabilities",
        }
    }

    pub(super) fn of(self, project: &ProjectView) -> f64 {
        match self {
            Self::Dependents => project.dependents,
            Self::Criticality => project.criticality,
            Self::Backlog => project.backlog,
            Self::OpenVulnerabilities => f64::from(project.open_vulnerabilities),
        }
    }
}

pub struct ProportionalSplit(pub ProportionalParams);

impl Rule for ProportionalSplit {
    const NAME: &'static str = "proportional";
    const SUMMARY: &'static str = "shares proportional to an observable score raised to a power";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "score",
            allowed: Score::ALLOWED,
            meaning: "what the shares follow",
        },
        Parameter {
            key: "power",
            allowed: "0–10",
            meaning: "γ: 1 proportional, 0 equal, > 1 concentrated",
        },
        Parameter {
            key: "max_projects",
            allowed: "≥ 1",
            meaning: "fund only the N highest-scoring eligible projects (deep rather than \
                      thin); all of them when not set",
        },
        MIN_AMOUNT_PARAMETER,
        MAX_SHARE_PARAMETER,
    ];
    type Params = ProportionalParams;

    fn check(params: &ProportionalParams, check: &mut ParamCheck) {
        check.range("power", params.power, 0.0, 10.0);
        if let Some(count) = params.max_projects {
            check.count("max_projects", count.into(), 1, u32::MAX.into());
        }
        check_limits(check, params.min_amount_eur, params.max_share);
    }

    fn describe(p: &ProportionalParams) -> String {
        format!(
            "proportional to {} ^ {}{}",
            p.score.name(),
            p.power,
            describe_limits(p.min_amount_eur, p.max_share)
        )
    }

    fn brief(p: &ProportionalParams) -> String {
        let score = p.score.name().replace('_', " ");
        let power = p.power;
        if (power - 1.0).abs() < 1e-12 {
            format!("grants proportional to {score}")
        } else if (power - 0.5).abs() < 1e-12 {
            format!("grants proportional to the square root of {score}")
        } else if power.abs() < 1e-12 {
            "equal grants to every eligible project".to_string()
        } else {
            format!("grants proportional to {score} to the power {power}")
        }
    }

    fn build(params: &ProportionalParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for ProportionalSplit {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let ProportionalParams {
            score,
            power,
            max_projects,
            min_amount_eur,
            max_share,
        } = self.0;
        let mut eligible: Vec<&ProjectView> = projects.iter().filter(|p| p.eligible()).collect();
        if let Some(count) = max_projects {
            // The highest scores first; ties by criticality, then portfolio order.
            eligible.sort_by(|a, b| {
                score
                    .of(b)
                    .total_cmp(&score.of(a))
                    .then(b.criticality.total_cmp(&a.criticality))
                    .then(a.index.cmp(&b.index))
            });
            eligible.truncate(count as usize);
        }
        let weights = eligible
            .into_iter()
            .map(|p| (p, score.of(p).max(0.0).powf(power)));
        let limits = GrantLimits::at_call(call, min_amount_eur, max_share);
        split_by_weights_within(call, limits, weights, &mut decision.grants);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide, view};

    #[test]
    fn shares_follow_the_score_to_the_power() {
        let fund = FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1_000.0,
            fund: &fund,
        };
        let projects = vec![view(0, 100.0), view(1, 400.0)];
        let rule = ProportionalSplit(ProportionalParams {
            score: Score::Dependents,
            power: 0.5,
            max_projects: None,
            min_amount_eur: None,
            max_share: None,
        });
        let grants = decide(&rule, &call, &projects);
        // sqrt weights 10 : 20.
        assert!((grants[0].amount_eur - 1_000.0 / 3.0).abs() < 1e-9);
        assert!((grants[1].amount_eur - 2_000.0 / 3.0).abs() < 1e-9);
        let deep = ProportionalSplit(ProportionalParams {
            score: Score::Dependents,
            power: 0.0,
            max_projects: Some(1),
            min_amount_eur: None,
            max_share: None,
        });
        let grants = decide(&deep, &call, &projects);
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].project, 1, "only the most used project");
    }

    /// Worked by hand: EUR 1,000 over dependents 600, 250, 100, 50 with a 40% cap and a
    /// minimum of EUR 100. Shares 600, 250, 100, 50: the first is capped at 400 and the
    /// 600 left go 250 : 100 : 50 (375, 150, 75); 75 is below the minimum, so the last
    /// project gets nothing and the 600 go 250 : 100 (about 428.57, above the cap, so
    /// capped at 400, and the last 200 to the third).
    #[test]
    fn the_minimum_and_the_cap_redistribute_the_shares() {
        let fund = FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1_000.0,
            fund: &fund,
        };
        let projects = vec![view(0, 600.0), view(1, 250.0), view(2, 100.0), view(3, 50.0)];
        let rule = ProportionalSplit(ProportionalParams {
            score: Score::Dependents,
            power: 1.0,
            max_projects: None,
            min_amount_eur: Some(100.0),
            max_share: Some(0.4),
        });
        let grants = decide(&rule, &call, &projects);
        let amounts: Vec<(usize, f64)> = grants.iter().map(|g| (g.project, g.amount_eur)).collect();
        assert_eq!(amounts.len(), 3, "{amounts:?}");
        for ((project, amount), expected) in amounts.iter().zip([(0, 400.0), (1, 400.0), (2, 200.0)]) {
            assert_eq!(*project, expected.0);
            assert!((amount - expected.1).abs() < 1e-9, "{amounts:?}");
        }
    }
}
