//! Review: the only window a strategy has on a project's hidden merit.
//!
//! Merit is what a perfect reviewer would score: how critical a project is and how far
//! its own volunteers fall short of its workload (both partly hidden from the fund: it
//! sees neither the volunteers' hours nor the true rate of arriving work). A strategy
//! gets a [`Review`] and can only ask for noisy scores; the field holding merit is
//! private to this module, so no strategy can read it. This does not compile:
//!
//! ```compile_fail
//! fn peek(review: &fundsim::fund::Review) -> f64 {
//!     review.merit[0]
//! }
//! ```

use rand_distr::{Distribution, StandardNormal};

use crate::rng::SimRng;

/// Noisy access to hidden merit (standardised: mean 0, standard deviation 1 over the
/// portfolio).
#[derive(Debug, Clone, Copy)]
pub struct Review<'a> {
    merit: &'a [f64],
}

impl<'a> Review<'a> {
    pub(crate) fn new(merit: &'a [f64]) -> Self {
        Self { merit }
    }

    /// A reviewer's score of a project: its merit plus normal noise with standard
    /// deviation `noise` (in units of the spread of merit across the portfolio).
    pub fn score(&self, project: usize, noise: f64, rng: &mut SimRng) -> f64 {
        let error: f64 = StandardNormal.sample(rng);
        self.merit.get(project).copied().unwrap_or(0.0) + noise * error
    }
}
