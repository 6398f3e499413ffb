//! `proportional`: shares proportional to an observable score raised to a power γ
//! (γ = 1 proportional, γ → 0 equal, γ > 1 concentrated), like ecosyste.ms Funds'
//! usage-proportional payouts.

use serde::{Deserialize, Serialize};

use super::{AllocationRule, Call, Grant, ProjectView, split_by_weights};
use crate::rng::SimRng;
use crate::scenario::validate::Checker;

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
}

fn default_score() -> Score {
    Score::Dependents
}

fn default_power() -> f64 {
    1.0
}

pub(super) fn check(check: &mut Checker, index: usize, params: &ProportionalParams) {
    check.range(
        &format!("strategies[{index}].power"),
        params.power,
        0.0,
        10.0,
    );
}

impl Score {
    fn of(self, project: &ProjectView) -> f64 {
        match self {
            Self::Dependents => project.dependents,
            Self::Criticality => project.criticality,
            Self::Backlog => project.backlog,
            Self::OpenVulnerabilities => f64::from(project.open_vulnerabilities),
        }
    }
}

pub struct ProportionalSplit(pub ProportionalParams);

impl AllocationRule for ProportionalSplit {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _rng: &mut SimRng,
        grants: &mut Vec<Grant>,
    ) {
        let ProportionalParams { score, power } = self.0;
        let weights = projects
            .iter()
            .filter(|p| p.eligible())
            .map(|p| (p, score.of(p).max(0.0).powf(power)));
        split_by_weights(call, weights, grants);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use crate::scenario::FundParams;
    use crate::strategy::test_support::view;

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
        let mut grants = Vec::new();
        let rule = ProportionalSplit(ProportionalParams {
            score: Score::Dependents,
            power: 0.5,
        });
        rule.allocate(
            &call,
            &projects,
            &mut stream(1, 0, 0, Purpose::Fund),
            &mut grants,
        );
        // sqrt weights 10 : 20.
        assert!((grants[0].amount_eur - 1_000.0 / 3.0).abs() < 1e-9);
        assert!((grants[1].amount_eur - 2_000.0 / 3.0).abs() < 1e-9);
    }
}
