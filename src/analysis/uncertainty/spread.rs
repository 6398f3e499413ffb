//! The spread of a metric across parameter sets, corrected for the inner Monte Carlo
//! noise, and the share of its variance that comes from the parameters.
//!
//! A set's observed mean is `m_k = μ_k + e_k`: the mean the metric would have under the
//! set's parameters (`μ_k`, what the spread should show) plus the Monte Carlo error of `n_k`
//! replications (`e_k`, variance `σ²/n_k`). The raw set means are therefore more spread out
//! than the `μ_k`, by a lot when `n_k` is small (docs/uncertainty-statistics.md).

use crate::stats::{Interpolation, percentile};

/// A metric's spread across parameter sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The mean over every replication of every set (sum over count).
    pub mean: f64,
    /// The 5th, 50th and 95th percentiles across parameter sets of the set means, shrunk
    /// toward `mean` to remove the inner Monte Carlo noise. NaN when they cannot be
    /// estimated (no set, or no set with two replications to measure the noise).
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    /// τ² / (τ² + σ²): the share of one replication's variance that comes from the
    /// parameters (law of total variance). `None` when undefined: fewer than two sets, no
    /// set with two replications, or no variance at all.
    pub share_parameter: Option<f64>,
    /// τ, the standard deviation of the true set means `μ_k` (method of moments). NaN when
    /// it cannot be estimated (as for `share_parameter`).
    pub between_sd: f64,
    /// σ, the pooled standard deviation of one replication within a set. NaN when no set
    /// has two replications.
    pub within_sd: f64,
}

/// The spread of a metric across parameter sets from each set's count of replications,
/// sum and sum of squares (one entry per set, in set order).
///
/// # Estimator
///
/// 1. `mean` = Σ sums / Σ counts.
/// 2. Within-set variance, pooled over the sets with at least two replications (the others
///    cannot measure it): `σ̂² = Σ (Q_k − S_k²/n_k) / Σ (n_k − 1)`. Pooling is unbiased for
///    the average within-set variance even when it differs between sets, which is what the
///    law of total variance needs.
/// 3. Between-set variance by the method of moments, as in one-way random-effects ANOVA:
///    `τ̂² = max(0, var(m) − σ̂²·mean(1/n_k))`, where `var(m)` is the sample variance
///    (K − 1 denominator) of the set means. For independent set means with variances
///    `τ² + σ²/n_k`, `E[var(m)] = τ² + σ²·mean(1/n_k)` exactly, also for unequal `n_k`, so
///    `τ̂²` is unbiased before the truncation at zero.
/// 4. Each set mean is shrunk toward `mean` by `√(τ̂² / var(m))` and the percentiles are
///    taken over the shrunk values (type 7, [`Interpolation::Offset`]: the rule of the
///    calibration's posterior intervals, and one that returns a repeated value exactly).
///
/// Why shrink by that factor: it is the standard empirical-Bayes-style deconvolution of
/// the second moment (the "constrained" or variance-matching shrinkage, Louis 1984; Ghosh
/// 1992). The shrunk values have exactly the estimated between-set variance τ̂², where the
/// raw set means overstate it by the Monte Carlo noise and the posterior means
/// (shrinking by τ̂²/var(m)) understate it. When the true set means and the noise are
/// normal, the shrunk values are distributed exactly as the true set means, so their
/// percentiles estimate the true percentiles; otherwise the centre and the spread are
/// right and the shape of the tails is approximate. With no between-set variance at all
/// every shrunk value is `mean`, so p05 = p50 = p95 = `mean`.
///
/// Sets with no replication, or with a non-finite sum or sum of squares, are left out of
/// everything; sets with one replication count for the mean and the spread of the set
/// means but not for the within-set variance. One set only: p05 = p50 = p95 = `mean`
/// (there is no spread across sets to show) and τ is undefined. The three slices are read
/// up to the shortest.
pub fn spread(counts: &[u64], sums: &[f64], sum_squares: &[f64]) -> Spread {
    let sets: Vec<(f64, f64, f64)> = counts
        .iter()
        .zip(sums)
        .zip(sum_squares)
        .filter(|((n, sum), squares)| **n > 0 && sum.is_finite() && squares.is_finite())
        .map(|((&n, &sum), &squares)| (n as f64, sum, squares))
        .collect();
    let total: f64 = sets.iter().map(|&(n, _, _)| n).sum();
    let mean = sets.iter().map(|&(_, sum, _)| sum).sum::<f64>() / total;
    let undefined = Spread {
        mean,
        p05: f64::NAN,
        p50: f64::NAN,
        p95: f64::NAN,
        share_parameter: None,
        between_sd: f64::NAN,
        within_sd: f64::NAN,
    };
    if sets.is_empty() {
        return undefined;
    }
    let within_variance = pooled_within_variance(&sets);
    let within_sd = within_variance.map_or(f64::NAN, f64::sqrt);
    if sets.len() == 1 {
        return Spread {
            p05: mean,
            p50: mean,
            p95: mean,
            within_sd,
            ..undefined
        };
    }
    let Some(within_variance) = within_variance else {
        return undefined;
    };
    let set_means: Vec<f64> = sets.iter().map(|&(n, sum, _)| sum / n).collect();
    let count = set_means.len() as f64;
    let centre = set_means.iter().sum::<f64>() / count;
    let observed_variance =
        set_means.iter().map(|m| (m - centre).powi(2)).sum::<f64>() / (count - 1.0);
    let mean_inverse_count = sets.iter().map(|&(n, _, _)| 1.0 / n).sum::<f64>() / count;
    let between_variance = (observed_variance - within_variance * mean_inverse_count).max(0.0);
    // All set means equal: nothing to shrink, and τ̂² is 0 then.
    let factor = if observed_variance > 0.0 {
        (between_variance / observed_variance).sqrt()
    } else {
        0.0
    };
    let mut shrunk: Vec<f64> = set_means
        .iter()
        .map(|m| mean + factor * (m - mean))
        .collect();
    shrunk.sort_by(f64::total_cmp);
    let total_variance = between_variance + within_variance;
    Spread {
        mean,
        p05: percentile(&shrunk, 0.05, Interpolation::Offset),
        p50: percentile(&shrunk, 0.50, Interpolation::Offset),
        p95: percentile(&shrunk, 0.95, Interpolation::Offset),
        share_parameter: (total_variance > 0.0).then(|| between_variance / total_variance),
        between_sd: between_variance.sqrt(),
        within_sd,
    }
}

/// σ̂², the within-set variance pooled over the sets (count, sum, sum of squares) with at
/// least two replications; `None` when there is none. A set's sum of squared deviations,
/// `Q − S²/n`, is clamped at zero: from sums and sums of squares it can come out a rounding
/// error below zero when the values are equal.
fn pooled_within_variance(sets: &[(f64, f64, f64)]) -> Option<f64> {
    let (squares, freedom) = sets.iter().filter(|&&(n, _, _)| n >= 2.0).fold(
        (0.0, 0.0),
        |(squares, freedom), &(n, sum, sum_squares)| {
            (
                squares + (sum_squares - sum * sum / n).max(0.0),
                freedom + n - 1.0,
            )
        },
    );
    (freedom > 0.0).then(|| squares / freedom)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    use super::*;
    use crate::rng::SimRng;

    /// z of the 95th percentile of the standard normal.
    const Z_95TH: f64 = 1.644_853_626_951_472_2;

    /// Sets of the toy model x = θ_k + ε, θ_k ~ N(0, a²) per set, ε ~ N(0, b²), with
    /// `counts[k]` replications in set k: each set's sum and sum of squares.
    fn toy(counts: &[u64], a: f64, b: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = SimRng::seed_from_u64(seed);
        let standard = Normal::new(0.0, 1.0).unwrap();
        let (mut sums, mut squares) = (Vec::new(), Vec::new());
        for &n in counts {
            let theta = a * standard.sample(&mut rng);
            let (mut sum, mut square) = (0.0, 0.0);
            for _ in 0..n {
                let x = theta + b * standard.sample(&mut rng);
                sum += x;
                square += x * x;
            }
            sums.push(sum);
            squares.push(square);
        }
        (sums, squares)
    }

    /// 10,000 sets of 4 or 3 replications (unequal, as when replications do not divide
    /// evenly), a = 1, b = 2: the share is a²/(a² + b²) = 0.2 and the true p05/p95 are
    /// ∓1.645·a, where the raw set means (variance V = a² + b²·mean(1/n) = 1 + 4·7/24 ≈
    /// 2.17) spread to ∓2.42.
    ///
    /// Tolerances, 4 standard errors of each estimate (delta method, K = 10,000 sets,
    /// 25,000 within-set degrees of freedom): V̂ = var(m) has SE √(2/K)·V = 0.031 and σ̂²
    /// has SE b²·√(2/25,000) = 0.036, independent; τ̂² = V̂ − σ̂²·7/24 has SE 0.032, so τ̂
    /// has SE 0.016 and σ̂ 0.009. The share (V̂ − cσ̂²)/(V̂ + (1 − c)σ̂²) has derivatives
    /// 0.16 in V̂ and −0.087 in σ̂²: SE 0.0058. The p95 of the shrunk means adds the
    /// sample-quantile error √(0.05·0.95)/(φ(1.645)·√K)·a = 0.021 to 1.645·SE(τ̂) = 0.027:
    /// SE about 0.034. The median: the mean's error √(V/K) = 0.015 and the sample
    /// median's 1.2533·a/√K = 0.013, SE about 0.02.
    #[test]
    fn the_toy_model_splits_its_variance_as_known() {
        let (a, b) = (1.0, 2.0);
        let counts: Vec<u64> = (0..10_000)
            .map(|k| if k % 2 == 0 { 4 } else { 3 })
            .collect();
        let (sums, squares) = toy(&counts, a, b, 18);
        let result = spread(&counts, &sums, &squares);
        let share = result.share_parameter.unwrap();
        assert!((share - 0.2).abs() < 4.0 * 0.0058, "share {share}");
        assert!(
            (result.p95 - Z_95TH * a).abs() < 4.0 * 0.034,
            "p95 {}",
            result.p95
        );
        assert!(
            (result.p05 + Z_95TH * a).abs() < 4.0 * 0.034,
            "p05 {}",
            result.p05
        );
        assert!(result.p50.abs() < 4.0 * 0.02, "p50 {}", result.p50);
        assert!((result.between_sd - a).abs() < 4.0 * 0.016);
        assert!((result.within_sd - b).abs() < 4.0 * 0.009);
        // The mean is exact: the sum over the count, whatever the noise.
        let total: u64 = counts.iter().sum();
        assert_eq!(result.mean, sums.iter().sum::<f64>() / total as f64);
        // And not the uncorrected spread: the raw set means' p95 is near 1.645·√2.17 ≈ 2.42.
        let mut raw: Vec<f64> = sums
            .iter()
            .zip(&counts)
            .map(|(s, &n)| s / n as f64)
            .collect();
        raw.sort_by(f64::total_cmp);
        let raw_p95 = percentile(&raw, 0.95, Interpolation::Offset);
        assert!(raw_p95 > 2.2, "raw p95 {raw_p95}");
        assert!(result.p95 < raw_p95 - 0.5);
    }

    /// a = 0: every set has the same true mean, so the share is 0 and the spread a point.
    /// With K = 10,000 sets of n = 4 and b = 1, V̂ has SE √(2/K)·b²/n = 0.0035 and σ̂²/n
    /// has SE √(2/30,000)/4 = 0.0020, so τ̂² = max(0, V̂ − σ̂²/n) is 0 or below 4·0.0041
    /// (4 SE); the share is below that too, τ̂ below √(4·0.0041) = 0.128, and the shrunk
    /// percentiles within 1.645·τ̂ (times 1.2 for the sample quantile's own error) of the
    /// mean, where the raw set means (sd b/√n = 0.5) reach 1.645·0.5 = 0.82 from it.
    #[test]
    fn no_parameter_effect_gives_no_share_and_a_point_spread() {
        let counts = vec![4; 10_000];
        let (sums, squares) = toy(&counts, 0.0, 1.0, 7);
        let result = spread(&counts, &sums, &squares);
        let bound = 4.0 * 0.0041;
        let share = result.share_parameter.unwrap();
        assert!((0.0..bound).contains(&share), "share {share}");
        let between = result.between_sd;
        assert!(between < bound.sqrt(), "tau {between}");
        for p in [result.p05, result.p50, result.p95] {
            assert!(
                (p - result.mean).abs() <= 1.2 * Z_95TH * between + 1e-12,
                "{p}"
            );
        }
        assert!(result.p95 - result.mean < 0.3);
    }

    /// Set means that are all equal give τ̂² = 0 exactly and the percentiles at the mean.
    #[test]
    fn equal_set_means_give_exactly_the_mean() {
        // Each set: values 1 and 3 (mean 2, within variance 2).
        let counts = [2, 2, 2];
        let sums = [4.0, 4.0, 4.0];
        let squares = [10.0, 10.0, 10.0];
        let result = spread(&counts, &sums, &squares);
        assert_eq!((result.p05, result.p50, result.p95), (2.0, 2.0, 2.0));
        assert_eq!(result.share_parameter, Some(0.0));
        assert_eq!(result.between_sd, 0.0);
        assert!((result.within_sd - 2.0_f64.sqrt()).abs() < 1e-12);
    }

    /// A hand-computed case: sets {0, 2}, {4, 6}, {8, 10}. Set means 1, 5, 9 (var(m) = 16),
    /// within variance 2 in each, so τ̂² = 16 − 2/2 = 15, share 15/17, factor √(15/16).
    #[test]
    fn a_hand_computed_case() {
        let result = spread(&[2, 2, 2], &[2.0, 10.0, 18.0], &[4.0, 52.0, 164.0]);
        assert_eq!(result.mean, 5.0);
        assert!((result.share_parameter.unwrap() - 15.0 / 17.0).abs() < 1e-12);
        assert!((result.between_sd - 15.0_f64.sqrt()).abs() < 1e-12);
        let factor = (15.0_f64 / 16.0).sqrt();
        // Shrunk means 5 ∓ 4·factor; p95 at 0.95·2 = 1.9 of the way: 5 + 4·factor·0.9.
        assert!((result.p95 - (5.0 + 3.6 * factor)).abs() < 1e-12);
        assert!((result.p05 - (5.0 - 3.6 * factor)).abs() < 1e-12);
        assert_eq!(result.p50, 5.0);
    }

    #[test]
    fn undefined_cases_say_so() {
        // Nothing at all.
        let empty = spread(&[], &[], &[]);
        assert!(empty.mean.is_nan() && empty.p50.is_nan() && empty.share_parameter.is_none());
        // One replication per set: the noise cannot be measured, so neither can τ.
        let single = spread(&[1, 1, 1], &[1.0, 2.0, 4.0], &[1.0, 4.0, 16.0]);
        assert!((single.mean - 7.0 / 3.0).abs() < 1e-12);
        assert!(single.p05.is_nan() && single.within_sd.is_nan());
        assert!(single.share_parameter.is_none());
        // One set: no spread across sets; the within variance is still known.
        let one = spread(&[2], &[4.0], &[10.0]);
        assert_eq!((one.p05, one.p50, one.p95), (2.0, 2.0, 2.0));
        assert!(one.share_parameter.is_none() && one.between_sd.is_nan());
        assert!((one.within_sd - 2.0_f64.sqrt()).abs() < 1e-12);
        // No variance anywhere: the share is 0/0.
        let flat = spread(&[2, 2], &[2.0, 2.0], &[2.0, 2.0]);
        assert_eq!(flat.share_parameter, None);
        assert_eq!(flat.p95, 1.0);
        // Sets with no replication or a NaN sum are left out; sets of one replication
        // count for the means only.
        let mixed = spread(
            &[2, 0, 1, 2],
            &[2.0, 5.0, 7.0, f64::NAN],
            &[4.0, 9.0, 49.0, 1.0],
        );
        assert_eq!(mixed.mean, 3.0);
        assert!((mixed.within_sd - 2.0_f64.sqrt()).abs() < 1e-12);
    }
}
