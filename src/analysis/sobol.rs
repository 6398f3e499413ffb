//! Sobol variance-based indices from a Saltelli design: first-order indices by the
//! Saltelli et al. (2010) estimator, total indices by Jansen's (1999), percentile
//! bootstrap intervals over the design's rows, and a convergence table over prefixes of
//! the Sobol sequence.
//!
//! With f_A, f_B and f_AB⁽ⁱ⁾ the outputs at A, B and AB⁽ⁱ⁾ (N rows each) and V the
//! variance of the 2N outputs at A and B:
//!
//! - first order: `S_i = (1/N) Σ_j f_B(j) · (f_AB⁽ⁱ⁾(j) − f_A(j)) / V`
//! - total: `S_Ti = (1/2N) Σ_j (f_A(j) − f_AB⁽ⁱ⁾(j))² / V`
//!
//! (Saltelli et al. 2010, Computer Physics Communications 181, table 2, (b) and (f).)

use rand::{RngExt, SeedableRng};

use super::design::SaltelliOutputs;
use crate::rng::SimRng;
use crate::stats::{Interpolation, percentile};

/// A point estimate with a bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn undefined() -> Self {
        Self {
            value: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        }
    }
}

/// First-order and total indices of every input for one output.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    /// Rows of the design used (N).
    pub samples: usize,
    pub first: Vec<Interval>,
    pub total: Vec<Interval>,
    /// Variance of the output over A and B.
    pub variance: f64,
}

/// Indices from the rows `rows` of the design's outputs (point estimates only). `None`
/// when the output does not vary (V = 0: the indices are undefined).
fn point_estimates(outputs: &SaltelliOutputs, rows: &[usize]) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = rows.len() as f64;
    let mean = rows
        .iter()
        .map(|&j| outputs.fa[j] + outputs.fb[j])
        .sum::<f64>()
        / (2.0 * n);
    let variance = rows
        .iter()
        .map(|&j| (outputs.fa[j] - mean).powi(2) + (outputs.fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    if variance.is_nan() || variance <= 0.0 || variance.is_infinite() {
        return None;
    }
    let mut first = Vec::with_capacity(outputs.fab.len());
    let mut total = Vec::with_capacity(outputs.fab.len());
    for fab in &outputs.fab {
        let (mut s, mut t) = (0.0, 0.0);
        for &j in rows {
            s += outputs.fb[j] * (fab[j] - outputs.fa[j]);
            t += (outputs.fa[j] - fab[j]).powi(2);
        }
        first.push(s / n / variance);
        total.push(t / (2.0 * n) / variance);
    }
    Some((first, total))
}

/// The variance of the outputs at A and B over the first `samples` rows.
fn variance_of(outputs: &SaltelliOutputs, samples: usize) -> f64 {
    let values: Vec<f64> = outputs.fa[..samples]
        .iter()
        .chain(&outputs.fb[..samples])
        .copied()
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64
}

/// Sobol indices from the first `samples` rows, with `resamples` bootstrap resamples of
/// the rows (percentile 95% intervals; `seed` fixes the resampling).
pub fn analyse(
    outputs: &SaltelliOutputs,
    samples: usize,
    resamples: usize,
    seed: u64,
) -> SobolIndices {
    let inputs = outputs.fab.len();
    let rows: Vec<usize> = (0..samples).collect();
    let Some((first, total)) = point_estimates(outputs, &rows) else {
        return SobolIndices {
            samples,
            first: vec![Interval::undefined(); inputs],
            total: vec![Interval::undefined(); inputs],
            variance: variance_of(outputs, samples),
        };
    };
    let mut rng = SimRng::seed_from_u64(seed ^ 0x536f_626f_6c20_4253);
    let mut boot_first = vec![Vec::with_capacity(resamples); inputs];
    let mut boot_total = vec![Vec::with_capacity(resamples); inputs];
    let mut resampled = vec![0; samples];
    for _ in 0..resamples {
        for row in resampled.iter_mut() {
            *row = rng.random_range(0..samples);
        }
        if let Some((f, t)) = point_estimates(outputs, &resampled) {
            for input in 0..inputs {
                boot_first[input].push(f[input]);
                boot_total[input].push(t[input]);
            }
        }
    }
    let interval = |value: f64, boot: &mut Vec<f64>| {
        let (low, high) = percentile_interval(boot);
        Interval { value, low, high }
    };
    SobolIndices {
        samples,
        first: first
            .iter()
            .zip(boot_first.iter_mut())
            .map(|(&v, boot)| interval(v, boot))
            .collect(),
        total: total
            .iter()
            .zip(boot_total.iter_mut())
            .map(|(&v, boot)| interval(v, boot))
            .collect(),
        variance: variance_of(outputs, samples),
    }
}

/// The 2.5% and 97.5% percentiles (linear interpolation between order statistics);
/// NaN when there are no values.
pub fn percentile_interval(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    (
        percentile(values, 0.025, Interpolation::Weighted),
        percentile(values, 0.975, Interpolation::Weighted),
    )
}

/// Sample sizes of the convergence table: N, N/2, N/4, … down to 16 (or N/8, whichever
/// is larger), smallest first; each is a power-of-two prefix of the Sobol sequence, so
/// every row of the table is itself a balanced design.
pub fn convergence_sizes(samples: usize) -> Vec<usize> {
    let smallest = (samples / 8).max(16).min(samples);
    let mut sizes = Vec::new();
    let mut n = samples;
    while n >= smallest {
        sizes.push(n);
        n /= 2;
    }
    sizes.reverse();
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::design::SaltelliDesign;

    #[test]
    fn an_additive_function_has_equal_first_and_total_indices() {
        // f = x1 + 2 x2 on U(0,1)²: S = (1/5, 4/5), no interactions.
        let design = SaltelliDesign::new(1024, 3, 11);
        let values: Vec<f64> = design.points().iter().map(|p| p[0] + 2.0 * p[1]).collect();
        let outputs = SaltelliOutputs::from_points(&values, 3);
        let indices = analyse(&outputs, 1024, 200, 1);
        for (i, expected) in [0.2, 0.8, 0.0].into_iter().enumerate() {
            assert!(
                (indices.first[i].value - expected).abs() < 0.02,
                "{indices:?}"
            );
            assert!(
                (indices.total[i].value - expected).abs() < 0.02,
                "{indices:?}"
            );
        }
        assert_eq!(indices.total[2].value, 0.0);
        assert_eq!(indices.first[2].value, 0.0);
    }

    #[test]
    fn a_constant_output_has_undefined_indices() {
        let outputs = SaltelliOutputs::from_points(&[1.0; 40], 2);
        let indices = analyse(&outputs, 10, 50, 1);
        assert!(indices.first.iter().all(|i| i.value.is_nan()));
        assert_eq!(indices.variance, 0.0);
    }

    #[test]
    fn convergence_sizes_are_power_of_two_prefixes() {
        assert_eq!(convergence_sizes(512), [64, 128, 256, 512]);
        assert_eq!(convergence_sizes(64), [16, 32, 64]);
        assert_eq!(convergence_sizes(8), [8]);
        let mut values = [3.0, 1.0, 2.0];
        let (low, high) = percentile_interval(&mut values);
        assert!((low - 1.05).abs() < 1e-12 && (high - 2.95).abs() < 1e-12);
    }
}
