//! Streaming mean and variance with an exact, order-fixed merge.

use serde::{Deserialize, Serialize};

/// z for a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Count, mean and sum of squared deviations (Welford), mergeable (Chan et al.).
/// Merging in a fixed order gives bit-identical results whatever the thread count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanVar {
    pub count: u64,
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl MeanVar {
    pub fn add(&mut self, value: f64) {
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
    }

    pub fn merge(&mut self, other: &Self) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        let weight = other.count as f64 / count as f64;
        self.mean += delta * weight;
        self.m2 += other.m2 + delta * delta * self.count as f64 * weight;
        self.count = count;
    }

    /// Sample variance (n − 1 denominator); 0 below two values.
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            self.m2 / (self.count - 1) as f64
        }
    }

    /// Monte Carlo standard error of the mean.
    pub fn mcse(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            (self.variance() / self.count as f64).sqrt()
        }
    }

    /// The mean, or NaN when nothing was added.
    pub fn mean_or_nan(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.mean }
    }

    /// 95% confidence interval of the mean (normal approximation).
    pub fn ci95(&self) -> (f64, f64) {
        let half = Z95 * self.mcse();
        (self.mean_or_nan() - half, self.mean_or_nan() + half)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_two_pass_formulas_and_merges_exactly() {
        let values: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 / 7.0).collect();
        let mean = values.iter().sum::<f64>() / 1000.0;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 999.0;
        let mut all = MeanVar::default();
        values.iter().for_each(|&v| all.add(v));
        assert!((all.mean - mean).abs() < 1e-12);
        assert!((all.variance() - variance).abs() < 1e-9);
        let (mut left, mut right) = (MeanVar::default(), MeanVar::default());
        values[..300].iter().for_each(|&v| left.add(v));
        values[300..].iter().for_each(|&v| right.add(v));
        left.merge(&right);
        assert_eq!(left.count, 1000);
        assert!((left.mean - mean).abs() < 1e-12);
        assert!((left.variance() - variance).abs() < 1e-9);
        assert!(MeanVar::default().mean_or_nan().is_nan());
    }
}
