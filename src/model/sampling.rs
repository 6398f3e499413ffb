//! Exact samplers for the small counts the monthly step draws.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Poisson};

/// A Poisson draw. Small means (the usual case: a few events a month at most) use
/// inversion with a single uniform, which is exact and keeps the number of draws per
/// event small; larger means fall back to `rand_distr`.
pub fn poisson<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    if mean <= 0.0 || !mean.is_finite() {
        return 0;
    }
    if mean < 12.0 {
        let mut u: f64 = rng.random();
        let mut probability = (-mean).exp();
        let mut count = 0u32;
        while u > probability && count < 1_000 {
            u -= probability;
            count += 1;
            probability *= mean / f64::from(count);
        }
        count
    } else {
        Poisson::new(mean)
            .map(|law| law.sample(rng) as u32)
            .unwrap_or(0)
    }
}

/// How many of `trials` independent events with probability `probability` happen, one
/// uniform per trial (the trials are maintainers, a handful per project).
pub fn bernoulli_count<R: Rng>(rng: &mut R, trials: u32, probability: f64) -> u32 {
    (0..trials)
        .filter(|_| rng.random::<f64>() < probability)
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
