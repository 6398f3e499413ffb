//! Paired comparisons: per-replication differences to the baseline, and cost-effect ratios
//! with delta-method intervals.

use serde::{Deserialize, Serialize};

use super::{MeanVar, Z95};

/// Means, variances and covariance of a pair of quantities (x, y), mergeable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CoMoments {
    pub x: MeanVar,
    pub y: MeanVar,
    /// Σ (x − x̄)(y − ȳ).
    pub cxy: f64,
}

impl CoMoments {
    pub fn add(&mut self, x: f64, y: f64) {
        // The co-moment update uses the x mean before and the y mean after the update.
        let dx = x - self.x.mean;
        self.x.add(x);
        self.y.add(y);
        self.cxy += dx * (y - self.y.mean);
    }

    pub fn merge(&mut self, other: &Self) {
        if other.x.count == 0 {
            return;
        }
        if self.x.count == 0 {
            *self = *other;
            return;
        }
        let (n1, n2) = (self.x.count as f64, other.x.count as f64);
        let dx = other.x.mean - self.x.mean;
        let dy = other.y.mean - self.y.mean;
        self.cxy += other.cxy + dx * dy * n1 * n2 / (n1 + n2);
        self.x.merge(&other.x);
        self.y.merge(&other.y);
    }

    /// The ratio of means x̄ / ȳ with its delta-method standard error; `None` when ȳ is
    /// not positive (no effect: the ratio is undefined).
    pub fn ratio(&self) -> Option<Estimate> {
        let n = self.x.count as f64;
        let (mx, my) = (self.x.mean, self.y.mean);
        if self.x.count < 2 || my <= 0.0 {
            return None;
        }
        let ratio = mx / my;
        let covariance = self.cxy / (n - 1.0);
        let variance = (self.x.variance() - 2.0 * ratio * covariance
            + ratio * ratio * self.y.variance())
            / (n * my * my);
        Some(Estimate::normal(ratio, variance.max(0.0).sqrt()))
    }
}

/// A point estimate with its 95% interval and Monte Carlo standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub mcse: f64,
}

impl Estimate {
    pub fn normal(mean: f64, mcse: f64) -> Self {
        Self {
            mean,
            low: mean - Z95 * mcse,
            high: mean + Z95 * mcse,
            mcse,
        }
    }

    pub fn undefined() -> Self {
        Self {
            mean: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
            mcse: f64::NAN,
        }
    }

    pub fn of(stat: &MeanVar) -> Self {
        Self::normal(stat.mean_or_nan(), stat.mcse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_moments_merge_like_one_pass_and_give_the_ratio() {
        let pairs: Vec<(f64, f64)> = (0..400)
            .map(|i| (100.0 + f64::from(i % 13), 2.0 + f64::from(i % 7) * 0.5))
            .collect();
        let mut all = CoMoments::default();
        pairs.iter().for_each(|&(x, y)| all.add(x, y));
        let (mut left, mut right) = (CoMoments::default(), CoMoments::default());
        pairs[..150].iter().for_each(|&(x, y)| left.add(x, y));
        pairs[150..].iter().for_each(|&(x, y)| right.add(x, y));
        left.merge(&right);
        assert!((left.cxy - all.cxy).abs() < 1e-8);
        let mx = pairs.iter().map(|p| p.0).sum::<f64>() / 400.0;
        let my = pairs.iter().map(|p| p.1).sum::<f64>() / 400.0;
        let cov: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        assert!((all.cxy - cov).abs() < 1e-8);
        let ratio = all.ratio().unwrap();
        assert!((ratio.mean - mx / my).abs() < 1e-12);
        assert!(ratio.mcse > 0.0 && ratio.low < ratio.mean && ratio.mean < ratio.high);
        let mut no_effect = CoMoments::default();
        no_effect.add(1.0, 0.0);
        no_effect.add(2.0, 0.0);
        assert!(no_effect.ratio().is_none());
    }
}
