//! `proportional`: shares proportional to an observable score raised to a power γ
//! (γ = 1 proportional, γ → 0 equal, γ > 1 concentrated), like ecosyste.ms Funds'
//! usage-proportional payouts.

use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule,
    split_by_weights,
};
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
    ];
    type Params = ProportionalParams;

    fn check(params: &ProportionalParams, check: &mut ParamCheck) {
        check.range("power", params.power, 0.0, 10.0);
        if let Some(count) = params.max_projects {
            check.count("max_projects", count.into(), 1, u32::MAX.into());
        }
    }

    fn describe(p: &ProportionalParams) -> String {
        format!("proportional to {} ^ {}", p.score.name(), p.power)
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
        split_by_weights(call, weights, &mut decision.grants);
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
        });
        let grants = decide(&rule, &call, &projects);
        // sqrt weights 10 : 20.
        assert!((grants[0].amount_eur - 1_000.0 / 3.0).abs() < 1e-9);
        assert!((grants[1].amount_eur - 2_000.0 / 3.0).abs() < 1e-9);
        let deep = ProportionalSplit(ProportionalParams {
            score: Score::Dependents,
            power: 0.0,
            max_projects: Some(1),
        });
        let grants = decide(&deep, &call, &projects);
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].project, 1, "only the most used project");
    }
}
