//! `none`: no funding. The counterfactual baseline that every other strategy is paired with.

use super::{AllocationRule, Call, Decision, ProjectView, Review};
use crate::rng::SimRng;

pub struct NoFunding;

impl AllocationRule for NoFunding {
    fn allocate(&self, _: &Call, _: &[ProjectView], _: &Review, _: &mut SimRng, _: &mut Decision) {}
}
