//! A mean with its 95% interval: an [`Estimate`] as `summary.csv` holds it, and a
//! [`Value`] as charts and the brief derive it (`derived.rs`).

/// A mean with its 95% interval and Monte Carlo standard error; `None` where undefined.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Estimate {
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub mcse: Option<f64>,
}

impl Estimate {
    /// The interval, when both ends are defined.
    pub fn interval(&self) -> Option<(f64, f64)> {
        Some((self.ci_low?, self.ci_high?))
    }
}

/// A quantity derived for a chart or the brief, with its 95% interval when known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Value {
    pub mean: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Whether the interval comes from paired replications (common random numbers);
    /// an unpaired interval, computed from two means, is wider than it needs to be.
    pub paired: bool,
}

impl Value {
    pub(super) fn of(estimate: &Estimate, paired: bool) -> Option<Self> {
        Some(Self {
            mean: estimate.mean.filter(|m| m.is_finite())?,
            low: estimate.ci_low,
            high: estimate.ci_high,
            paired,
        })
    }

    pub(super) fn normal(mean: f64, standard_error: Option<f64>, paired: bool) -> Self {
        let half = standard_error.map(|se| Z95 * se);
        Self {
            mean,
            low: half.map(|h| mean - h),
            high: half.map(|h| mean + h),
            paired,
        }
    }

    /// The value and its interval multiplied by `factor` (> 0).
    pub fn scaled(self, factor: f64) -> Self {
        Self {
            mean: self.mean * factor,
            low: self.low.map(|v| v * factor),
            high: self.high.map(|v| v * factor),
            paired: self.paired,
        }
    }

    /// The interval, when both ends are known.
    pub fn interval(&self) -> Option<(f64, f64)> {
        Some((self.low?, self.high?))
    }
}

/// The 97.5% quantile of the standard normal distribution.
pub(super) const Z95: f64 = 1.959_963_984_540_054;
