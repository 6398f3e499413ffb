//! The parametric bootstrap's data sets: censoring drawn like the observed data's
//! (`CensoringLaw`), simulated data sets at the estimates, and the seeds of every data set
//! and refit. Apart because these draws are the calibration's own random numbers, with
//! stream indices reserved here.

use rand::RngExt;

use super::model::Model;
use super::problem::CalibrationError;
use crate::rng::{Purpose, stream, stream_seed};
use crate::stats::{KaplanMeier, Lifetime, SurvivalError};

/// Draws censoring times like the observed data's: from the reverse Kaplan–Meier
/// estimate (censorings as events), capped at the end of follow-up.
pub(super) struct CensoringLaw {
    /// (time, probability of still being under follow-up after it).
    steps: Vec<(f64, f64)>,
    end: f64,
}

impl CensoringLaw {
    pub(super) fn new(lifetimes: &[Lifetime]) -> Result<Self, SurvivalError> {
        let flipped: Vec<Lifetime> = lifetimes
            .iter()
            .map(|l| Lifetime {
                time: l.time,
                event: !l.event,
            })
            .collect();
        let reverse = KaplanMeier::fit(&flipped)?;
        Ok(Self {
            steps: reverse
                .rows()
                .iter()
                .map(|r| (r.time, r.survival))
                .collect(),
            end: reverse.last_time(),
        })
    }

    /// The censoring time for a uniform `u ∈ [0, 1)`: the first time the share still
    /// followed falls below `1 − u`.
    pub(super) fn draw(&self, u: f64) -> f64 {
        self.steps
            .iter()
            .find(|(_, followed)| *followed < 1.0 - u)
            .map_or(self.end, |(time, _)| *time)
            .min(self.end)
    }
}

/// A data set like the observed one, simulated at `theta` with `seed`.
pub(super) fn simulated_data(
    model: &Model,
    theta: &[f64],
    seed: u64,
    censoring: &CensoringLaw,
    count: usize,
) -> Result<Vec<Lifetime>, CalibrationError> {
    let lifetimes = model.simulated_lifetimes(theta, seed, count)?;
    let mut rng = stream(seed, 0, CENSORING_INDEX, Purpose::Fund);
    Ok(lifetimes
        .into_iter()
        .map(|abandoned| {
            let censor = censoring.draw(rng.random::<f64>());
            match abandoned {
                Some(month) if f64::from(month) <= censor => Lifetime::event(f64::from(month)),
                _ => Lifetime::censored(censor),
            }
        })
        .collect())
}

/// Stream indices reserved for the calibration's own draws.
const BOOTSTRAP_INDEX: u64 = 0xca11_b007;
const REFIT_INDEX: u64 = 0x4ef1_7000;
const CENSORING_INDEX: u64 = 0xce50_0000;

/// The seed of bootstrap data set `b`: distinct from the fit's seed and from each other.
pub fn bootstrap_seed(seed: u64, b: usize) -> u64 {
    stream_seed(seed, b as u64, BOOTSTRAP_INDEX, Purpose::Fund)
}

/// The simulation seed of bootstrap refit `b` (its common random numbers).
pub fn refit_seed(seed: u64, b: usize) -> u64 {
    stream_seed(seed, b as u64, REFIT_INDEX, Purpose::Fund)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn censoring_draws_follow_the_reverse_km() {
        // Everyone followed to 60 months unless abandoned earlier: censoring at 60.
        let data = [Lifetime::event(10.0), Lifetime::censored(60.0)];
        let law = CensoringLaw::new(&data).unwrap();
        for u in [0.0, 0.3, 0.99] {
            assert_eq!(law.draw(u), 60.0);
        }
        // Half censored at 12, half at 24: the draws split the same way.
        let data = [Lifetime::censored(12.0), Lifetime::censored(24.0)];
        let law = CensoringLaw::new(&data).unwrap();
        assert_eq!(law.draw(0.2), 12.0);
        assert_eq!(law.draw(0.8), 24.0);
    }
}
