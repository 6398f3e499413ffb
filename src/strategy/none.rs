//! `none`: no funding. The counterfactual baseline that every other strategy is paired with.

use serde::{Deserialize, Serialize};

use super::{AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule};
use crate::rng::SimRng;

pub struct NoFunding;

/// The parameters of a rule that takes none: any key given is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl Rule for NoFunding {
    const NAME: &'static str = "none";
    const SUMMARY: &'static str = "no funding: the baseline every strategy is paired with";
    const PARAMETERS: &'static [Parameter] = &[];
    const FUNDS: bool = false;
    type Params = NoParams;

    fn check(_: &NoParams, _: &mut ParamCheck) {}

    fn describe(_: &NoParams) -> String {
        "none (the baseline every strategy is paired with)".into()
    }

    fn brief(_: &NoParams) -> String {
        "no funding (the baseline)".into()
    }

    fn build(_: &NoParams) -> Box<dyn AllocationRule> {
        Box::new(Self)
    }
}

impl AllocationRule for NoFunding {
    fn allocate(&self, _: &Call, _: &[ProjectView], _: &Review, _: &mut SimRng, _: &mut Decision) {}
}
