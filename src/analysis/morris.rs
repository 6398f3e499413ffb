//! Morris elementary effects: for each input, the change of the output when that input
//! alone moves by Δ of its (probability-scaled) range, over r trajectories. μ* (the mean
//! absolute effect, Campolongo et al. 2007) ranks importance; σ (their standard
//! deviation) flags non-linearity or interactions; μ (the signed mean) gives the
//! direction. μ* has a percentile bootstrap interval over trajectories.

use rand::{RngExt, SeedableRng};

use super::design::MorrisDesign;
use super::sobol::percentile_interval;
use crate::rng::SimRng;

/// Screening measures of one input for one output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effects {
    /// Mean elementary effect (signed).
    pub mu: f64,
    /// Mean absolute elementary effect.
    pub mu_star: f64,
    /// 95% bootstrap interval of μ*.
    pub mu_star_low: f64,
    pub mu_star_high: f64,
    /// Standard deviation of the elementary effects (n − 1).
    pub sigma: f64,
}

/// The elementary effects `effects[input][trajectory]` from outputs listed in
/// [`MorrisDesign::points`] order. An effect is in output units per unit of the
/// input's unit-cube coordinate: the output change over the input's whole range, if the
/// output were linear in it.
pub fn elementary_effects(design: &MorrisDesign, values: &[f64]) -> Vec<Vec<f64>> {
    let per = design.inputs + 1;
    let mut effects = vec![Vec::with_capacity(design.trajectories.len()); design.inputs];
    for (t, trajectory) in design.trajectories.iter().enumerate() {
        let y = &values[t * per..(t + 1) * per];
        for (s, (&input, &step)) in trajectory.moved.iter().zip(&trajectory.step).enumerate() {
            effects[input].push((y[s + 1] - y[s]) / step);
        }
    }
    effects
}

/// μ, μ*, σ and a bootstrap interval of μ* for every input (`resamples` resamples of the
/// trajectories, fixed by `seed`).
pub fn analyse(design: &MorrisDesign, values: &[f64], resamples: usize, seed: u64) -> Vec<Effects> {
    let effects = elementary_effects(design, values);
    let mut rng = SimRng::seed_from_u64(seed ^ 0x4d6f_7272_6973_4253);
    effects
        .iter()
        .map(|ee| {
            let r = ee.len() as f64;
            let mu = ee.iter().sum::<f64>() / r;
            let mu_star = ee.iter().map(|e| e.abs()).sum::<f64>() / r;
            let sigma = if ee.len() > 1 {
                (ee.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (r - 1.0)).sqrt()
            } else {
                0.0
            };
            let mut boot: Vec<f64> = (0..resamples)
                .map(|_| {
                    (0..ee.len())
                        .map(|_| ee[rng.random_range(0..ee.len())].abs())
                        .sum::<f64>()
                        / r
                })
                .collect();
            let (mu_star_low, mu_star_high) = percentile_interval(&mut boot);
            Effects {
                mu,
                mu_star,
                mu_star_low,
                mu_star_high,
                sigma,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_function_gives_its_coefficients_with_no_spread() {
        let design = MorrisDesign::new(3, 10, 4, 9);
        let values: Vec<f64> = design
            .points()
            .iter()
            .map(|p| 3.0 * p[0] - 1.0 * p[1] + 0.5 * p[2])
            .collect();
        let effects = analyse(&design, &values, 100, 2);
        for (e, coefficient) in effects.iter().zip([3.0, -1.0, 0.5]) {
            assert!((e.mu - coefficient).abs() < 1e-9);
            assert!((e.mu_star - f64::abs(coefficient)).abs() < 1e-9);
            assert!(e.sigma < 1e-9);
        }
    }
}
