//! The `[run]` table: how many replications and from which seed.

use serde::{Deserialize, Serialize};

use super::Checker;

/// The `[run]` table: how many replications and from which seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunParams {
    pub replications: u64,
    pub seed: u64,
}

impl Default for RunParams {
    fn default() -> Self {
        Self {
            replications: 1_000,
            seed: 20_261_128,
        }
    }
}

impl RunParams {
    /// Checks the replication count; problems go to `check`.
    pub fn check(&self, check: &mut Checker) {
        let run = self;
        // Absurdly large counts are refused later, with an estimate, unless forced.
        check.count("run.replications", run.replications, 1, u64::MAX);
    }
}
