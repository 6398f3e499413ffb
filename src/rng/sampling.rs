//! Exact samplers for the small counts the monthly step draws.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Poisson};

/// A Poisson draw. Small means (the usual case: a few events a month at most) use
/// inversion with a single uniform, which is exact and keeps the number of draws per
/// event small; larger means fall back to `rand_distr`.
#[inline]
pub fn poisson<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    if mean == 0.0 {
        return 0;
    }
    if !(mean > 0.0 && mean < 12.0) {
        return poisson_large(rng, mean);
    }
    let u: f64 = rng.random();
    // Most months nothing happens: P(0) = e^−mean ≥ 1 − mean, so a uniform below
    // 1 − mean is a zero without computing the exponential (a margin covers rounding).
    if u <= 1.0 - mean - 1e-12 {
        return 0;
    }
    poisson_inversion(u, mean)
}

/// Inversion of the Poisson distribution function for one uniform.
#[cold]
fn poisson_inversion(mut u: f64, mean: f64) -> u32 {
    let mut probability = (-mean).exp();
    let mut count = 0u32;
    while u > probability && count < 1_000 {
        u -= probability;
        count += 1;
        probability *= mean / f64::from(count);
    }
    count
}

/// Zero for a zero, negative or undefined mean; `rand_distr` for large means.
#[cold]
fn poisson_large<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    if mean <= 0.0 || !mean.is_finite() {
        return 0;
    }
    Poisson::new(mean)
        .map(|law| law.sample(rng) as u32)
        .unwrap_or(0)
}

/// How many of `trials` independent events with probability `probability` happen, one
/// uniform per trial (the trials are maintainers, a handful per project).
pub fn bernoulli_count<R: Rng>(rng: &mut R, trials: u32, probability: f64) -> u32 {
    (0..trials)
        .filter(|_| rng.random::<f64>() < probability)
        .count() as u32
}

/// The test `u < threshold` for a uniform `u` drawn as `rng.random::<f64>()`, made on
/// the generator's integer output. That uniform is k·2⁻⁵³ with k = `next_u64() >> 11`,
/// so `u < t` holds exactly when k < ⌈t·2⁵³⌉ (scaling by a power of two is exact): the
/// same outcome bit for bit, without converting k to a float. Worth it for a threshold
/// tested many times (one per maintainer); `new` rounds up, which costs a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniformBelow(u64);

impl UniformBelow {
    /// The uniform's scale, 2⁻⁵³, as `rand` applies it.
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;

    /// The test `u < threshold`; a NaN threshold is never met (the cast saturates).
    pub fn new(threshold: f64) -> Self {
        Self((threshold * (1u64 << 53) as f64).ceil() as u64)
    }

    /// Draws the next uniform's integer k from `rng`: whether k·2⁻⁵³ is below the
    /// threshold, and k for [`UniformBelow::uniform`].
    #[inline(always)]
    pub fn draw<R: Rng>(self, rng: &mut R) -> (bool, u64) {
        let k = rng.next_u64() >> 11;
        (k < self.0, k)
    }

    /// How many of `trials` uniforms drawn from `rng` are below the threshold: what
    /// [`bernoulli_count`] returns for it as a probability.
    #[inline(always)]
    pub fn count<R: Rng>(self, rng: &mut R, trials: u32) -> u32 {
        (0..trials).map(|_| u32::from(self.draw(rng).0)).sum()
    }

    /// The uniform `rng.random::<f64>()` would have returned for the integer k.
    #[inline(always)]
    pub fn uniform(k: u64) -> f64 {
        k as f64 * Self::SCALE
    }
}

/// Added to a hazard used as an upper bound of its probability: `1 − e^−h ≤ h` holds
/// exactly, and the margin covers the rounding of the computed probability, so a uniform
/// at or above `hazard + HAZARD_BOUND_MARGIN` is never an event.
pub const HAZARD_BOUND_MARGIN: f64 = 1e-12;

/// How many of `trials` independent events, each with monthly hazard rate `hazard`
/// (probability `1 − e^−hazard`), happen: one uniform per trial. The same outcome as
/// comparing each uniform with [`probability_of_hazard`], but the exponential is only
/// computed for a uniform below the hazard (the probability never exceeds the hazard).
pub fn hazard_count<R: Rng>(rng: &mut R, trials: u32, hazard: f64) -> u32 {
    let mut probability = None;
    (0..trials)
        .filter(|_| {
            let u: f64 = rng.random();
            u < hazard + HAZARD_BOUND_MARGIN
                && u < *probability.get_or_insert_with(|| probability_of_hazard(hazard))
        })
        .count() as u32
}

/// The monthly probability of an event with the given monthly hazard rate.
pub fn probability_of_hazard(hazard: f64) -> f64 {
    1.0 - (-hazard).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn poisson_inversion_has_the_right_mean_and_variance() {
        let mut rng = stream(3, 0, 0, Purpose::Arrivals);
        let n = 200_000;
        let mean = 0.7;
        let draws: Vec<f64> = (0..n).map(|_| f64::from(poisson(&mut rng, mean))).collect();
        let sample_mean = draws.iter().sum::<f64>() / n as f64;
        let variance =
            draws.iter().map(|d| (d - sample_mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Standard error of the mean is sqrt(0.7 / n) ≈ 0.0019: allow 4 of them.
        assert!(
            (sample_mean - mean).abs() < 4.0 * (mean / n as f64).sqrt(),
            "mean {sample_mean}"
        );
        assert!((variance - mean).abs() < 0.02, "variance {variance}");
        assert_eq!(poisson(&mut rng, 0.0), 0);
    }

    #[test]
    fn hazard_count_equals_comparing_with_the_probability() {
        for hazard in [0.0, 1e-6, 0.02, 0.3, 2.0] {
            let mut fast = stream(5, 0, 0, Purpose::Departures);
            let mut plain = stream(5, 0, 0, Purpose::Departures);
            for _ in 0..2_000 {
                assert_eq!(
                    hazard_count(&mut fast, 3, hazard),
                    bernoulli_count(&mut plain, 3, probability_of_hazard(hazard))
                );
            }
        }
    }

    #[test]
    fn uniform_below_decides_as_the_float_comparison_does() {
        let step = UniformBelow::SCALE;
        // Thresholds on the uniforms' grid, a hair off it, and out of range.
        let mut thresholds = vec![f64::NAN, -1.0, -0.0, 0.0, step, 2.0, f64::INFINITY];
        for t in [1e-9, 0.003, 0.02, 0.5, 0.999_999] {
            let on_grid = (t / step).round() * step;
            thresholds.extend([t, on_grid, on_grid - step / 2.0, on_grid + step / 2.0]);
        }
        for threshold in thresholds {
            let test = UniformBelow::new(threshold);
            let mut ints = stream(6, 0, 0, Purpose::Departures);
            let mut floats = stream(6, 0, 0, Purpose::Departures);
            for _ in 0..5_000 {
                let u: f64 = floats.random();
                let (below, k) = test.draw(&mut ints);
                assert_eq!(below, u < threshold, "threshold {threshold}, u {u}");
                assert_eq!(UniformBelow::uniform(k).to_bits(), u.to_bits());
            }
            assert_eq!(
                test.count(&mut ints, 40),
                bernoulli_count(&mut floats, 40, threshold)
            );
            // The grid points either side of the threshold, where rounding would show.
            let k = (threshold / step).floor();
            for k in [k - 1.0, k, k + 1.0]
                .into_iter()
                .filter(|k| (0.0..9e15).contains(k))
            {
                let u = UniformBelow::uniform(k as u64);
                assert_eq!(
                    (k as u64) < test.0,
                    u < threshold,
                    "threshold {threshold}, k {k}"
                );
            }
        }
    }

    #[test]
    fn bernoulli_count_matches_its_probability() {
        let mut rng = stream(4, 0, 0, Purpose::Departures);
        let trials = 100_000;
        let hits = bernoulli_count(&mut rng, trials, 0.2);
        let standard_error = (0.2 * 0.8 * f64::from(trials)).sqrt();
        assert!(
            (f64::from(hits) - 20_000.0).abs() < 4.0 * standard_error,
            "{hits}"
        );
    }
}
