//! Does the fit to the facts recover what it should? Facts simulated at known parameter
//! values (pseudo-observed facts) are fitted back ([`point_targets`]), and, over many
//! truths drawn from the prior, the 90% intervals must cover the truth about 90% of the
//! time: simulation-based calibration ([`simulation_based_calibration`]).
//!
//! For the coverage to be exact, the pseudo-observed facts are generated as the fit
//! assumes the published ones were: one simulation at the truth (with the fit's
//! replications), plus an error uniform over the tolerance's margins, `y_f = s_f + u_f`
//! with `u_f` uniform on `[−ε·above_f, ε·below_f]` (the set of `y` whose gap to `s` is at
//! most ε). ABC-SMC run to the tolerance ε then samples the exact posterior of that
//! model (Wilkinson 2013), and the coverage is off only by the sampler's Monte Carlo
//! error. The gaps' scales stay those of the real facts, so the kernel does not move
//! with the pseudo-observed values.

use rand::RngExt;
use serde::Serialize;

use super::abc::{AbcSettings, PriorShape, Stop};
use super::facts_fit::{FactTarget, FactsFit};
use super::problem::CalibrationError;
use crate::rng::{Purpose, stream, stream_seed};

/// The facts' targets moved to the values `values` (a point each), their gaps' scales
/// kept.
pub fn point_targets(fit: &FactsFit, values: &[f64]) -> Vec<FactTarget> {
    fit.targets()
        .iter()
        .zip(values)
        .map(|(target, &value)| FactTarget {
            low: value,
            high: value,
            ..*target
        })
        .collect()
}

/// One truth of a simulation-based calibration and what the fit made of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SbcTruth {
    pub theta: Vec<f64>,
    /// Each parameter's 90% interval (weighted 5% and 95% quantiles).
    pub intervals: Vec<(f64, f64)>,
    pub stop: Stop,
    pub simulations: u64,
}

impl SbcTruth {
    /// Whether each parameter's interval covers its true value.
    pub fn covered(&self) -> Vec<bool> {
        self.theta
            .iter()
            .zip(&self.intervals)
            .map(|(&value, &(low, high))| low <= value && value <= high)
            .collect()
    }
}

/// Stream index reserved for the truths and their pseudo-observed facts.
const SBC_INDEX: u64 = 0x5bc0_0000;

/// Draws `truths` parameter sets from the prior, simulates pseudo-observed facts at each
/// (with the error the tolerance stands for) and fits them with `settings` (its seed
/// varied per truth). `progress` is called with each truth as it is done. Truths run one
/// after the other, each fit in parallel, so the result does not depend on the threads.
///
/// # Errors
/// [`CalibrationError`] when a fit fails (a cancellation included).
pub fn simulation_based_calibration(
    fit: &FactsFit,
    truths: usize,
    settings: &AbcSettings,
    progress: &dyn Fn(usize, &SbcTruth),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<SbcTruth>, CalibrationError> {
    let mut done = Vec::with_capacity(truths);
    for truth in 0..truths {
        let (theta, values) = pseudo_observed(fit, settings, truth as u64)?;
        let fitted = fit.with_targets(values).fit(
            &AbcSettings {
                seed: stream_seed(settings.seed, truth as u64, SBC_INDEX + 1, Purpose::Fund),
                ..settings.clone()
            },
            &|_| {},
            cancelled,
        )?;
        let result = SbcTruth {
            theta,
            intervals: fitted.params.iter().map(|p| (p.p05, p.p95)).collect(),
            stop: fitted.posterior.stop,
            simulations: fitted.posterior.simulations,
        };
        progress(truth, &result);
        done.push(result);
    }
    Ok(done)
}

/// Truth `truth`'s parameters, drawn from the prior, and its pseudo-observed targets.
/// A truth at which a fact is undefined (no project abandoned) is drawn again.
fn pseudo_observed(
    fit: &FactsFit,
    settings: &AbcSettings,
    truth: u64,
) -> Result<(Vec<f64>, Vec<FactTarget>), CalibrationError> {
    let mut last_error = None;
    for attempt in 0..100 {
        let mut rng = stream(settings.seed, truth, SBC_INDEX + attempt, Purpose::Fund);
        let theta: Vec<f64> = fit
            .params()
            .iter()
            .map(|param| {
                let (low, high, u) = (param.prior.low, param.prior.high, rng.random::<f64>());
                match param.prior.shape {
                    PriorShape::Uniform => low + u * (high - low),
                    PriorShape::LogUniform => (low.ln() + u * (high.ln() - low.ln())).exp(),
                }
            })
            .collect();
        match fit.statistics_at(&theta, rng.random(), fit.replications()) {
            Ok(values) => {
                let epsilon = settings.tolerance;
                let targets = point_targets(fit, &values)
                    .into_iter()
                    .map(|target| {
                        let u = rng.random::<f64>();
                        let shift =
                            -epsilon * target.above + u * epsilon * (target.above + target.below);
                        FactTarget {
                            low: target.low + shift,
                            high: target.high + shift,
                            ..target
                        }
                    })
                    .collect();
                return Ok((theta, targets));
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error
        .unwrap_or_else(|| CalibrationError::Observed("no truth could be simulated".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noisy_targets_stay_within_the_tolerance_of_the_simulated_values() {
        // y = s + u with u in [−ε·above, ε·below]: the gap of s to y is at most ε.
        let target = FactTarget {
            low: 0.3,
            high: 0.3,
            below: 0.03,
            above: 0.05,
        };
        for u in [0.0, 0.25, 0.5, 1.0] {
            let shift = -2.0 * target.above + u * 2.0 * (target.above + target.below);
            let moved = FactTarget {
                low: 0.3 + shift,
                high: 0.3 + shift,
                ..target
            };
            assert!(moved.gap(0.3) <= 2.0 + 1e-12, "{u}: {}", moved.gap(0.3));
        }
    }
}
