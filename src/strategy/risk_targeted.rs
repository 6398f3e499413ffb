//! `risk_targeted`: greedy allocation. Each next step of money goes to the project where
//! it cuts the fund's observable estimate of usage-weighted risk the most per euro.
//!
//! The risk score uses only what the fund observes: usage (dependents), criticality,
//! the team (bus factor) and the backlog per person (workload). Paid person-months count
//! like maintainers: a project with `m` maintainers and `e` funded PM per month has
//!
//! `risk = dependents · criticality · 2^−(m + e) · (1 + backlog / (12 · (m · v + e)))`,
//!
//! where `v` is the volunteer effort the fund assumes per maintainer. Each extra person
//! halves the chance of losing everyone; workload raises it. Money becomes effort over
//! the grant's duration (`e = amount / (person_month_eur · grant_duration_months)`).

use serde::{Deserialize, Serialize};

use super::{AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Review, Rule};
use crate::rng::SimRng;

/// Parameters of `rule = "risk_targeted"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskTargetedParams {
    /// Size of one greedy step (EUR); the first step to a project is at least the
    /// minimum grant.
    #[serde(default = "default_step")]
    pub step_eur: f64,
    /// Volunteer effort per maintainer the fund assumes (PM/month).
    #[serde(default = "default_volunteer_pm")]
    pub assumed_volunteer_pm: f64,
}

fn default_step() -> f64 {
    10_000.0
}

fn default_volunteer_pm() -> f64 {
    0.125
}

pub struct RiskTargeted(pub RiskTargetedParams);

impl Rule for RiskTargeted {
    const NAME: &'static str = "risk_targeted";
    const SUMMARY: &'static str =
        "greedy: each next step of money where it cuts the observable usage-weighted risk most";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "step_eur",
            allowed: "> 0, ≤ 10⁹",
            meaning: "size of one greedy step (EUR)",
        },
        Parameter {
            key: "assumed_volunteer_pm",
            allowed: "> 0, ≤ 10",
            meaning: "volunteer effort per maintainer the fund assumes (PM/month; 0.125 is 20 h)",
        },
    ];
    type Params = RiskTargetedParams;

    fn check(params: &RiskTargetedParams, check: &mut ParamCheck) {
        check.positive("step_eur", params.step_eur, 1e9);
        check.positive("assumed_volunteer_pm", params.assumed_volunteer_pm, 10.0);
    }

    fn describe(p: &RiskTargetedParams) -> String {
        format!("risk-targeted, greedy in steps of EUR {}", p.step_eur)
    }

    fn brief(_: &RiskTargetedParams) -> String {
        "grants where they cut the expected usage-weighted loss most".into()
    }

    fn build(params: &RiskTargetedParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl RiskTargeted {
    fn risk(&self, project: &ProjectView, funded_pm: f64) -> f64 {
        let people = f64::from(project.maintainers) + funded_pm;
        let capacity = f64::from(project.maintainers) * self.0.assumed_volunteer_pm + funded_pm;
        let workload = if capacity > 0.0 {
            project.backlog / (12.0 * capacity)
        } else {
            project.backlog
        };
        project.dependents * project.criticality * 0.5_f64.powf(people) * (1.0 + workload)
    }
}

impl AllocationRule for RiskTargeted {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let fund = call.fund;
        let pm_per_eur =
            1.0 / (fund.person_month_eur * f64::from(fund.grant_duration_months.max(1)));
        let candidates: Vec<&ProjectView> = projects.iter().filter(|p| p.eligible()).collect();
        let mut amounts = vec![0.0_f64; candidates.len()];
        let mut budget = call.budget_eur;
        loop {
            // The best next step: the largest risk reduction per euro of cost.
            let mut best: Option<(usize, f64, f64)> = None;
            for (i, project) in candidates.iter().enumerate() {
                let step = if amounts[i] == 0.0 {
                    self.0.step_eur.max(fund.min_grant_eur)
                } else {
                    self.0.step_eur
                };
                let step = step.min(fund.max_grant_eur - amounts[i]);
                if step <= 0.0 {
                    continue;
                }
                let fixed = if amounts[i] == 0.0 {
                    fund.overhead_fixed_eur
                } else {
                    0.0
                };
                let cost = step * (1.0 + fund.overhead_share) + fixed;
                if cost > budget {
                    continue;
                }
                let before = self.risk(project, amounts[i] * pm_per_eur);
                let after = self.risk(project, (amounts[i] + step) * pm_per_eur);
                let gain = (before - after) / cost;
                if gain > 0.0 && best.is_none_or(|(_, _, g)| gain > g) {
                    best = Some((i, step, gain));
                }
            }
            let Some((i, step, _)) = best else { break };
            let fixed = if amounts[i] == 0.0 {
                fund.overhead_fixed_eur
            } else {
                0.0
            };
            budget -= step * (1.0 + fund.overhead_share) + fixed;
            amounts[i] += step;
        }
        decision.grants.extend(
            candidates
                .iter()
                .zip(&amounts)
                .filter(|(_, a)| **a > 0.0)
                .map(|(p, &a)| Grant::upfront(p.index, a)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide, view};

    #[test]
    fn money_goes_first_to_the_riskiest_used_project_within_the_budget() {
        let fund = FundParams {
            min_grant_eur: 10_000.0,
            max_grant_eur: 200_000.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 100_000.0,
            fund: &fund,
        };
        let mut safe = view(0, 10_000.0);
        safe.maintainers = 6;
        let mut risky = view(1, 10_000.0);
        risky.backlog = 20.0;
        let unused = view(2, 1.0);
        let grants = decide(
            &RiskTargeted(RiskTargetedParams {
                step_eur: 10_000.0,
                assumed_volunteer_pm: 0.125,
            }),
            &call,
            &[safe, risky, unused],
        );
        let amount = |i: usize| {
            grants
                .iter()
                .find(|g| g.project == i)
                .map_or(0.0, |g| g.amount_eur)
        };
        assert!(amount(1) > amount(0) && amount(1) > amount(2), "{grants:?}");
        let cost: f64 = grants.iter().map(|g| g.cost_eur(&fund)).sum();
        assert!(cost <= 100_000.0 + 1e-6);
        assert!(
            grants
                .iter()
                .all(|g| g.amount_eur >= fund.min_grant_eur && g.amount_eur <= fund.max_grant_eur)
        );
    }
}
