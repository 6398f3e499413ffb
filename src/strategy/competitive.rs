//! `competitive`: an open call like the Sovereign Tech Fund's ("push" applications) or
//! NLnet's. Each eligible project applies with some probability, and applying costs it
//! effort (added to its backlog). Reviewers see merit plus noise; applications are ranked
//! and funded at their requested size, best first, while the call's budget lasts.
//! Requested sizes are log-normal, as the known STF contracts are.

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use super::{AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Review, Rule};
use crate::rng::SimRng;

/// Parameters of `rule = "competitive"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitiveParams {
    /// Probability that an eligible project applies to a call.
    #[serde(default = "default_apply")]
    pub application_probability: f64,
    /// Effort an application costs the project (person-months).
    #[serde(default = "default_cost")]
    pub application_cost_pm: f64,
    /// Standard deviation of review noise, in units of the spread of merit. A score is
    /// merit plus noise σ, so two panels agree with correlation (reliability)
    /// ρ = 1 / (1 + σ²), and σ = √(1/ρ − 1). The default, 2, is ρ = 0.2, the reliability
    /// Forscher et al. (2019, 412 reviewers of 48 NIH R01 proposals) found for panels of
    /// 3–5 reviewers; Pier et al. (2018, PNAS 115:2952) found no agreement at all among
    /// NIH reviewers. A score then correlates with merit at √0.2 ≈ 0.45.
    #[serde(default = "default_noise")]
    pub review_noise: f64,
    /// Median requested grant (EUR).
    #[serde(default = "default_median")]
    pub request_median_eur: f64,
    /// σ of log(requested grant).
    #[serde(default = "default_sigma")]
    pub request_sigma_log: f64,
}

fn default_apply() -> f64 {
    0.6
}

fn default_cost() -> f64 {
    0.25
}

fn default_noise() -> f64 {
    2.0
}

fn default_median() -> f64 {
    200_000.0
}

fn default_sigma() -> f64 {
    0.83
}

pub struct OpenCall(pub CompetitiveParams);

impl Rule for OpenCall {
    const NAME: &'static str = "competitive";
    const SUMMARY: &'static str =
        "an open call: applications, noisy review, ranking, grants at the requested size";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "application_probability",
            allowed: "0–1",
            meaning: "chance an eligible project applies to a call",
        },
        Parameter {
            key: "application_cost_pm",
            allowed: "0–100",
            meaning: "effort of an application (PM), added to the project's backlog",
        },
        Parameter {
            key: "review_noise",
            allowed: "0–100",
            meaning: "standard deviation of review error, in units of merit's spread (2: \
                      reliability 0.2, Forscher et al. 2019)",
        },
        Parameter {
            key: "request_median_eur",
            allowed: "> 0, ≤ 10¹²",
            meaning: "median request (EUR)",
        },
        Parameter {
            key: "request_sigma_log",
            allowed: "0–5",
            meaning: "σ of log(request)",
        },
    ];
    type Params = CompetitiveParams;

    fn check(p: &CompetitiveParams, check: &mut ParamCheck) {
        check.probability("application_probability", p.application_probability);
        check.range("application_cost_pm", p.application_cost_pm, 0.0, 100.0);
        check.range("review_noise", p.review_noise, 0.0, 100.0);
        check.positive("request_median_eur", p.request_median_eur, 1e12);
        check.range("request_sigma_log", p.request_sigma_log, 0.0, 5.0);
    }

    fn describe(p: &CompetitiveParams) -> String {
        format!(
            "open call: {:.0}% apply at {} PM each, review noise {}, requests median EUR {}",
            100.0 * p.application_probability,
            p.application_cost_pm,
            p.review_noise,
            p.request_median_eur
        )
    }

    fn brief(_: &CompetitiveParams) -> String {
        "an open call with noisy review, best-ranked funded".into()
    }

    fn build(params: &CompetitiveParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for OpenCall {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let fund = call.fund;
        let p = &self.0;
        let request_law = LogNormal::new(p.request_median_eur.ln(), p.request_sigma_log)
            .expect("validated: finite sigma");
        // Every eligible project draws its decision, request and review in the same
        // order, so the fund's stream stays aligned across calls.
        let mut applications: Vec<(usize, f64, f64)> = Vec::new();
        for project in projects.iter().filter(|p| p.eligible()) {
            let applies = rng.random::<f64>() < p.application_probability;
            let request: f64 = request_law.sample(rng);
            let score = review.score(project.index, p.review_noise, rng);
            if applies {
                decision
                    .application_effort
                    .push((project.index, p.application_cost_pm));
                let request = request.clamp(fund.min_grant_eur, fund.max_grant_eur);
                applications.push((project.index, request, score));
            }
        }
        applications.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        let mut budget = call.budget_eur;
        for (project, request, _) in applications {
            let grant = Grant::upfront(project, request);
            let cost = grant.cost_eur(fund);
            if cost <= budget {
                budget -= cost;
                decision.grants.push(grant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide_with, view};

    #[test]
    fn without_noise_the_best_applicants_win_and_applying_costs_effort() {
        let fund = FundParams::default();
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 500_000.0,
            fund: &fund,
        };
        let projects: Vec<_> = (0..20).map(|i| view(i, 1.0)).collect();
        let merit: Vec<f64> = (0..20).map(f64::from).collect();
        let rule = OpenCall(CompetitiveParams {
            application_probability: 1.0,
            review_noise: 0.0,
            ..serde_default()
        });
        let decision = decide_with(&rule, &call, &projects, &merit, 3);
        assert_eq!(decision.application_effort.len(), 20);
        assert!(!decision.grants.is_empty());
        let cost: f64 = decision.grants.iter().map(|g| g.cost_eur(&fund)).sum();
        assert!(cost <= 500_000.0);
        let best_funded = decision.grants.iter().map(|g| g.project).max().unwrap();
        assert_eq!(
            best_funded, 19,
            "the best-reviewed applicant is funded first"
        );
        assert!(
            decision
                .grants
                .iter()
                .all(|g| g.amount_eur >= fund.min_grant_eur && g.amount_eur <= fund.max_grant_eur)
        );
    }

    fn serde_default() -> CompetitiveParams {
        toml::Value::Table(toml::Table::new()).try_into().unwrap()
    }

    /// The default noise is the published reliability: ρ = 1 / (1 + σ²) = 0.2.
    #[test]
    fn the_default_review_noise_gives_a_reliability_of_one_fifth() {
        let sigma = serde_default().review_noise;
        assert_eq!(sigma, 2.0);
        assert!((1.0 / (1.0 + sigma * sigma) - 0.2).abs() < 1e-12);
    }
}
