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
//!
//! A minimum amount per project and a maximum share of the call's budget per project are
//! optional: a project's first step is at least the minimum, and no step takes it above
//! the cap; the money goes on to the next best project instead.

use serde::{Deserialize, Serialize};

use super::sizing::{
    GrantLimits, MAX_SHARE_PARAMETER, MIN_AMOUNT_PARAMETER, check_limits, describe_limits,
};
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
    /// No project is funded with less at a call (EUR): a project's first step is at least
    /// this, so the greedy never leaves a project below it (the money goes to the next
    /// best use instead), in the spirit of ecosyste.ms Funds' minimum payout. Not set:
    /// only the fund's minimum grant applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount_eur: Option<f64>,
    /// The largest share of a call's budget one project may get (0 < share ≤ 1); once a
    /// project reaches it the next steps go elsewhere (Optimism Retro Funding's
    /// `max_share_per_project` is 0.05). Not set: only the fund's maximum grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_share: Option<f64>,
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
        MIN_AMOUNT_PARAMETER,
        MAX_SHARE_PARAMETER,
    ];
    type Params = RiskTargetedParams;

    fn check(params: &RiskTargetedParams, check: &mut ParamCheck) {
        check.positive("step_eur", params.step_eur, 1e9);
        check.positive("assumed_volunteer_pm", params.assumed_volunteer_pm, 10.0);
        check_limits(check, params.min_amount_eur, params.max_share);
    }

    fn describe(p: &RiskTargetedParams) -> String {
        format!(
            "risk-targeted, greedy in steps of EUR {}{}",
            p.step_eur,
            describe_limits(p.min_amount_eur, p.max_share)
        )
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
        let limits = GrantLimits::at_call(call, self.0.min_amount_eur, self.0.max_share);
        if !limits.any_grant_fits() {
            return;
        }
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
                    self.0.step_eur.max(limits.min_eur)
                } else {
                    self.0.step_eur
                };
                let step = step.min(limits.max_eur - amounts[i]);
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
                min_amount_eur: None,
                max_share: None,
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

    /// Three equally risky projects, EUR 100,000, steps of 10,000 (no overhead). A cap of
    /// 30% (30,000) stops each at three steps: 90,000 granted, 10,000 unspent. A minimum
    /// of 40,000 makes every first step 40,000: two projects get it, the third cannot start
    /// with the 20,000 left, which go in steps to the first two; nobody is funded below
    /// the minimum. Both together (minimum above the cap) allow no grant.
    #[test]
    fn the_cap_and_the_minimum_bound_every_grant() {
        let fund = FundParams {
            min_grant_eur: 0.0,
            max_grant_eur: 1e9,
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 100_000.0,
            fund: &fund,
        };
        let projects: Vec<_> = (0..3).map(|i| view(i, 10_000.0)).collect();
        let rule = |min_amount_eur, max_share| {
            RiskTargeted(RiskTargetedParams {
                step_eur: 10_000.0,
                assumed_volunteer_pm: 0.125,
                min_amount_eur,
                max_share,
            })
        };
        let capped = decide(&rule(None, Some(0.3)), &call, &projects);
        assert_eq!(
            capped,
            (0..3).map(|i| Grant::upfront(i, 30_000.0)).collect::<Vec<_>>()
        );
        let floored = decide(&rule(Some(40_000.0), None), &call, &projects);
        let amounts: Vec<f64> = floored.iter().map(|g| g.amount_eur).collect();
        assert_eq!(amounts.len(), 2, "{floored:?}");
        assert!(amounts.iter().all(|&a| a >= 40_000.0), "{floored:?}");
        assert_eq!(amounts.iter().sum::<f64>(), 100_000.0);
        assert!(decide(&rule(Some(40_000.0), Some(0.3)), &call, &projects).is_empty());
    }
}
