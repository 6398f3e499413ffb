//! `quadratic`: quadratic funding (Buterin, Hitzig, Weyl 2019), as in Gitcoin Grants. The
//! call's budget is a matching pool; each eligible project's community contributes small
//! amounts (the number of contributors grows with usage), and the pool is split in
//! proportion to (Σ √contribution)², so broad support counts more than large sums.
//! Contributions themselves are donations: they buy no effort in the model (Overney et
//! al. 2020) and only steer the match.

use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule,
    split_by_weights,
};
use crate::rng::SimRng;
use crate::rng::sampling::poisson;

/// Parameters of `rule = "quadratic"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuadraticParams {
    /// Mean contributors per call of a project at the reference usage (1,000 dependents).
    #[serde(default = "default_contributors")]
    pub contributors_base: f64,
    /// Elasticity of the number of contributors with usage.
    #[serde(default = "default_exponent")]
    pub contributors_usage_exponent: f64,
    /// Median contribution (EUR).
    #[serde(default = "default_median")]
    pub contribution_median_eur: f64,
    /// σ of log(contribution).
    #[serde(default = "default_sigma")]
    pub contribution_sigma_log: f64,
}

fn default_contributors() -> f64 {
    20.0
}

fn default_exponent() -> f64 {
    0.5
}

fn default_median() -> f64 {
    20.0
}

fn default_sigma() -> f64 {
    1.0
}


/// The quadratic-funding weight of each project: (Σ √cᵢ)² over its contributions.
pub fn quadratic_match(contributions: &[Vec<f64>]) -> Vec<f64> {
    contributions
        .iter()
        .map(|c| c.iter().map(|x| x.max(0.0).sqrt()).sum::<f64>().powi(2))
        .collect()
}

pub struct QuadraticFunding(pub QuadraticParams);

impl Rule for QuadraticFunding {
    const NAME: &'static str = "quadratic";
    const SUMMARY: &'static str =
        "a matching pool split by quadratic funding of community contributions";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "contributors_base",
            allowed: "0–10⁶",
            meaning: "mean contributors per call at 1,000 dependents",
        },
        Parameter {
            key: "contributors_usage_exponent",
            allowed: "0–2",
            meaning: "growth of contributors with usage",
        },
        Parameter {
            key: "contribution_median_eur",
            allowed: "> 0, ≤ 10⁹",
            meaning: "median contribution (EUR)",
        },
        Parameter {
            key: "contribution_sigma_log",
            allowed: "0–5",
            meaning: "σ of log(contribution)",
        },
    ];
    type Params = QuadraticParams;

    fn check(p: &QuadraticParams, check: &mut ParamCheck) {
        check.range("contributors_base", p.contributors_base, 0.0, 1e6);
        check.range(
            "contributors_usage_exponent",
            p.contributors_usage_exponent,
            0.0,
            2.0,
        );
        check.positive("contribution_median_eur", p.contribution_median_eur, 1e9);
        check.range("contribution_sigma_log", p.contribution_sigma_log, 0.0, 5.0);
    }

    fn describe(p: &QuadraticParams) -> String {
        format!(
            "quadratic funding: {} contributors at reference usage, median EUR {}",
            p.contributors_base, p.contribution_median_eur
        )
    }

    fn brief(_: &QuadraticParams) -> String {
        "quadratic funding over community contributions".into()
    }

    fn build(params: &QuadraticParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for QuadraticFunding {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let p = &self.0;
        let law = LogNormal::new(p.contribution_median_eur.ln(), p.contribution_sigma_log)
            .expect("validated");
        let eligible: Vec<&ProjectView> = projects.iter().filter(|v| v.eligible()).collect();
        let contributions: Vec<Vec<f64>> = eligible
            .iter()
            .map(|project| {
                let usage = project.dependents.max(1.0) / 1_000.0;
                let mean = p.contributors_base * usage.powf(p.contributors_usage_exponent);
                let count = poisson(rng, mean);
                (0..count).map(|_| law.sample(rng)).collect()
            })
            .collect();
        let weights = quadratic_match(&contributions);
        split_by_weights(
            call,
            eligible.into_iter().zip(weights),
            &mut decision.grants,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::Grant;
    use crate::strategy::test_support::view;

    /// By hand: project A has 4 contributions of 1 (Σ√ = 4, weight 16), project B one of
    /// 16 (Σ√ = 4, weight 16), project C one of 4 (weight 4). A pool of 3,600 with no
    /// overhead splits 16 : 16 : 4 = 1,600 : 1,600 : 400.
    #[test]
    fn matches_a_hand_computed_case() {
        let weights = quadratic_match(&[vec![1.0; 4], vec![16.0], vec![4.0]]);
        assert_eq!(weights, vec![16.0, 16.0, 4.0]);
        let fund = FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 3_600.0,
            fund: &fund,
        };
        let views: Vec<_> = (0..3).map(|i| view(i, 1.0)).collect();
        let mut grants = Vec::new();
        split_by_weights(&call, views.iter().zip(weights), &mut grants);
        let expected = [
            Grant::upfront(0, 1_600.0),
            Grant::upfront(1, 1_600.0),
            Grant::upfront(2, 400.0),
        ];
        for (grant, expected) in grants.iter().zip(expected) {
            assert_eq!(grant.project, expected.project);
            assert!(
                (grant.amount_eur - expected.amount_eur).abs() < 1e-9,
                "{grants:?}"
            );
        }
    }
}
