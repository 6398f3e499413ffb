//! Global sensitivity analysis: Morris screening and Sobol indices over the uncertain
//! inputs of a scenario's `[sensitivity]` table.
//!
//! The model is stochastic, and that is handled explicitly. Each design point is the
//! mean of R inner replications, all design points use the same seed (common random
//! numbers: a parameter that does not change the simulation does not change the output
//! at all), and [`MonteCarloNoise`] says how much of the variance of the design-point
//! means could be Monte Carlo error rather than the parameters' effect.

use std::sync::atomic::AtomicBool;

use super::design::{MorrisDesign, SaltelliOutputs, to_values};
use super::model::{ModelError, ScenarioModel};
use super::{morris, sobol};
use crate::scenario::UncertainParameter;
use crate::stats::{Estimate, Output};

/// The two methods of `fundsim sensitivity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Morris,
    Sobol,
}

/// How much of an output's variance over the design is Monte Carlo noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonteCarloNoise {
    /// Mean of the design-point means.
    pub mean: f64,
    /// Variance of the design-point means over the design (n − 1).
    pub variance: f64,
    /// Mean squared Monte Carlo standard error of a design-point mean.
    pub mean_squared_mcse: f64,
    /// `mean_squared_mcse / variance`: the share of the variance that independent noise
    /// of that size would explain. With common random numbers the noise is largely
    /// shared between design points, so this is an upper bound; above about 0.1 the
    /// indices of weak parameters are not to be trusted, and more inner replications
    /// (`--replications`) are needed.
    pub share: f64,
    /// Design points where the output is undefined (e.g. a cost-effectiveness ratio
    /// where the strategy has no effect over the baseline); the figures above are over
    /// the others, and the indices of the inputs whose steps touch such a point are
    /// undefined (NaN), never guessed.
    pub undefined_points: usize,
}

impl MonteCarloNoise {
    pub fn of(estimates: &[Estimate]) -> Self {
        let defined: Vec<&Estimate> = estimates.iter().filter(|e| e.mean.is_finite()).collect();
        let n = defined.len() as f64;
        let undefined_points = estimates.len() - defined.len();
        if defined.is_empty() {
            return Self {
                mean: f64::NAN,
                variance: f64::NAN,
                mean_squared_mcse: f64::NAN,
                share: f64::NAN,
                undefined_points,
            };
        }
        let mean = defined.iter().map(|e| e.mean).sum::<f64>() / n;
        let variance = if defined.len() > 1 {
            defined.iter().map(|e| (e.mean - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        let mean_squared_mcse = defined
            .iter()
            .map(|e| {
                if e.mcse.is_finite() {
                    e.mcse * e.mcse
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            / n;
        let share = if variance > 0.0 {
            mean_squared_mcse / variance
        } else {
            f64::NAN
        };
        Self {
            mean,
            variance,
            mean_squared_mcse,
            share,
            undefined_points,
        }
    }
}

/// Checks, before anything is simulated, that every parameter's path leads to a
/// numeric field and that both ends of its range give a valid scenario. Returns which
/// parameters are whole numbers (their values are rounded).
///
/// # Errors
/// The first [`ModelError`], naming the parameter.
pub fn check_parameters(
    model: &ScenarioModel,
    parameters: &[UncertainParameter],
) -> Result<Vec<bool>, ModelError> {
    let mut integer = Vec::with_capacity(parameters.len());
    for parameter in parameters {
        let whole = model.is_integer_field(&parameter.path);
        let (low, high) = parameter.distribution.range();
        for end in [low, high] {
            let value = if whole { end.round() } else { end };
            model
                .scenario(&[(parameter.path.as_str(), value)])
                .map_err(|error| {
                    ModelError::Usage(format!(
                        "uncertain parameter {} ({}) cannot take {value}: {error}",
                        parameter.label,
                        parameter.distribution.describe()
                    ))
                })?;
        }
        integer.push(whole);
    }
    Ok(integer)
}

/// Design points (unit cube) mapped to parameter values and evaluated; `estimates[p][o]`
/// is output o at point p.
///
/// # Errors
/// The first [`ModelError`] in point order.
pub fn evaluate_design(
    model: &ScenarioModel,
    parameters: &[UncertainParameter],
    integer: &[bool],
    unit_points: &[Vec<f64>],
    outputs: &[Output],
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<Vec<Vec<Estimate>>, ModelError> {
    let paths: Vec<String> = parameters.iter().map(|p| p.path.clone()).collect();
    let values: Vec<Vec<f64>> = unit_points
        .iter()
        .map(|point| to_values(point, parameters))
        .collect();
    model.evaluate_points(&paths, integer, &values, outputs, progress, cancel)
}

/// One output's Sobol analysis: the indices at the full sample, the convergence table
/// and the Monte Carlo noise.
#[derive(Debug, Clone)]
pub struct SobolReport {
    pub indices: sobol::SobolIndices,
    /// Indices at each size of [`sobol::convergence_sizes`], smallest first (the last
    /// is the full sample).
    pub convergence: Vec<sobol::SobolIndices>,
    pub noise: MonteCarloNoise,
}

/// Sobol indices of every output from the design-point estimates (in
/// [`SaltelliDesign::points`] order).
///
/// [`SaltelliDesign::points`]: super::design::SaltelliDesign::points
pub fn sobol_reports(
    estimates: &[Vec<Estimate>],
    inputs: usize,
    samples: usize,
    resamples: usize,
    seed: u64,
) -> Vec<SobolReport> {
    let outputs = estimates.first().map_or(0, Vec::len);
    (0..outputs)
        .map(|o| {
            let column: Vec<Estimate> = estimates.iter().map(|row| row[o]).collect();
            let values: Vec<f64> = column.iter().map(|e| e.mean).collect();
            let split = SaltelliOutputs::from_points(&values, inputs);
            let convergence: Vec<sobol::SobolIndices> = sobol::convergence_sizes(samples)
                .into_iter()
                .map(|n| sobol::analyse(&split, n, resamples, seed))
                .collect();
            SobolReport {
                indices: convergence.last().cloned().expect("at least one size"),
                convergence,
                noise: MonteCarloNoise::of(&column),
            }
        })
        .collect()
}

/// One output's Morris analysis.
#[derive(Debug, Clone)]
pub struct MorrisReport {
    pub effects: Vec<morris::Effects>,
    pub noise: MonteCarloNoise,
}

/// Morris measures of every output from the design-point estimates (in
/// [`MorrisDesign::points`] order).
pub fn morris_reports(
    design: &MorrisDesign,
    estimates: &[Vec<Estimate>],
    resamples: usize,
    seed: u64,
) -> Vec<MorrisReport> {
    let outputs = estimates.first().map_or(0, Vec::len);
    (0..outputs)
        .map(|o| {
            let column: Vec<Estimate> = estimates.iter().map(|row| row[o]).collect();
            let values: Vec<f64> = column.iter().map(|e| e.mean).collect();
            MorrisReport {
                effects: morris::analyse(design, &values, resamples, seed),
                noise: MonteCarloNoise::of(&column),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_design_points_are_counted_and_left_out_of_the_noise() {
        let estimates = [
            Estimate::normal(1.0, 0.1),
            Estimate::undefined(),
            Estimate::normal(3.0, 0.1),
        ];
        let noise = MonteCarloNoise::of(&estimates);
        assert_eq!(noise.undefined_points, 1);
        assert_eq!(noise.mean, 2.0);
        assert_eq!(noise.variance, 2.0);
        assert!((noise.share - 0.005).abs() < 1e-12);
        let none = MonteCarloNoise::of(&[Estimate::undefined(); 2]);
        assert_eq!(none.undefined_points, 2);
        assert!(none.mean.is_nan() && none.share.is_nan());
    }
}
