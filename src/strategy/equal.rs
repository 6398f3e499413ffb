//! `equal`: each call's budget split equally over all eligible (active) projects.
//!
//! When the equal share would fall below the minimum grant, the least critical
//! projects are left out of that call (see `sizing`).

use super::none::NoParams;
use super::{
    AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule,
    split_by_weights,
};
use crate::rng::SimRng;

pub struct EqualSplit;

impl Rule for EqualSplit {
    const NAME: &'static str = "equal";
    const SUMMARY: &'static str = "each call's budget split equally over the eligible projects";
    const PARAMETERS: &'static [Parameter] = &[];
    type Params = NoParams;

    fn check(_: &NoParams, _: &mut ParamCheck) {}

    fn describe(_: &NoParams) -> String {
        "equal split over active projects".into()
    }

    fn brief(_: &NoParams) -> String {
        "equal grants to every eligible project".into()
    }

    fn build(_: &NoParams) -> Box<dyn AllocationRule> {
        Box::new(Self)
    }
}

impl AllocationRule for EqualSplit {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let weights = projects.iter().filter(|p| p.eligible()).map(|p| (p, 1.0));
        split_by_weights(call, weights, &mut decision.grants);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide, view};

    #[test]
    fn splits_equally_over_active_projects_within_the_budget() {
        let fund = FundParams {
            overhead_fixed_eur: 1_000.0,
            overhead_share: 0.1,
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1_000_000.0,
            fund: &fund,
        };
        let mut projects: Vec<_> = (0..4).map(|i| view(i, 100.0)).collect();
        projects[2].status = crate::fund::Status::Dormant;
        let grants = decide(&EqualSplit, &call, &projects);
        assert_eq!(grants.len(), 3);
        assert!(grants.iter().all(|g| g.project != 2));
        let cost: f64 = grants.iter().map(|g| g.cost_eur(&fund)).sum();
        assert!((cost - 1_000_000.0).abs() < 1e-6, "cost {cost}");
        assert!(
            grants
                .iter()
                .all(|g| (g.amount_eur - grants[0].amount_eur).abs() < 1e-9)
        );
    }
}
