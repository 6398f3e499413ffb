//! `none`: no funding. The counterfactual baseline that every other strategy is paired with.

use super::{AllocationRule, Call, Grant, ProjectView};
use crate::rng::SimRng;

pub struct NoFunding;

impl AllocationRule for NoFunding {
    fn allocate(
        &self,
        _call: &Call,
        _projects: &[ProjectView],
        _rng: &mut SimRng,
        _grants: &mut Vec<Grant>,
    ) {
    }
}
