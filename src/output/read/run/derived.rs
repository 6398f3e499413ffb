//! What charts and the brief derive from a run folder's tables: the gain of each strategy
//! over the no-funding baseline and what it costs, with 95% intervals. Where the folder
//! has the paired metrics (common random numbers) they are used as they are; otherwise
//! the difference or ratio of the means stands in, with a wider, unpaired interval, so a
//! folder without them can still be drawn.

use super::{Estimate, RunData};

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
    fn of(estimate: &Estimate, paired: bool) -> Option<Self> {
        Some(Self {
            mean: estimate.mean.filter(|m| m.is_finite())?,
            low: estimate.ci_low,
            high: estimate.ci_high,
            paired,
        })
    }

    fn normal(mean: f64, standard_error: Option<f64>, paired: bool) -> Self {
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
const Z95: f64 = 1.959_963_984_540_054;

impl RunData {
    /// Abandonments averted against the baseline (projects per portfolio, by the
    /// horizon): the paired `abandonments_averted` metric when the run has it, else the
    /// difference of the mean abandonments with an unpaired interval. `None` for the
    /// baseline itself.
    pub fn abandonments_averted(&self, strategy: &str) -> Option<Value> {
        let baseline = self.baseline()?;
        if strategy == baseline {
            return None;
        }
        if let Some(estimate) = self.metric(strategy, "abandonments_averted") {
            return Value::of(estimate, true);
        }
        let base = self.metric(baseline, "abandonments")?;
        let this = self.metric(strategy, "abandonments")?;
        let se = base.mcse.zip(this.mcse).map(|(a, b)| a.hypot(b));
        Some(Value::normal(base.mean? - this.mean?, se, false))
    }

    /// Survival gained at the horizon against the baseline, in percentage points of the
    /// portfolio (abandonments averted over the number of projects).
    pub fn survival_gained_points(&self, strategy: &str) -> Option<Value> {
        let projects = self.project_count();
        if projects == 0 {
            return None;
        }
        Some(
            self.abandonments_averted(strategy)?
                .scaled(100.0 / projects as f64),
        )
    }

    /// The fund's cost (money paid plus overhead) per abandonment averted (EUR): the
    /// paired `cost_per_abandonment_averted_eur` metric when present, else the ratio of
    /// the means with a delta-method interval that ignores their (positive) covariance.
    /// `None` when no abandonment is averted.
    pub fn cost_per_abandonment_averted(&self, strategy: &str) -> Option<Value> {
        if self.baseline() == Some(strategy) {
            return None;
        }
        if let Some(estimate) = self.metric(strategy, "cost_per_abandonment_averted_eur") {
            return Value::of(estimate, true);
        }
        let averted = self.abandonments_averted(strategy)?;
        let paid = self.metric(strategy, "total_paid_eur")?;
        let overhead = self
            .metric(strategy, "overhead_eur")
            .copied()
            .unwrap_or_default();
        let cost_mean = paid.mean? + overhead.mean.unwrap_or(0.0);
        if averted.mean <= 0.0 || cost_mean <= 0.0 {
            return None;
        }
        let ratio = cost_mean / averted.mean;
        let cost_se = paid.mcse.map(|se| se.hypot(overhead.mcse.unwrap_or(0.0)));
        let averted_se = averted
            .interval()
            .map(|(low, high)| (high - low) / (2.0 * Z95));
        let se = cost_se.zip(averted_se).map(|(cost_se, averted_se)| {
            ratio * (cost_se / cost_mean).hypot(averted_se / averted.mean)
        });
        Some(Value::normal(ratio, se, false))
    }

    /// The share of projects never abandoned `months_after` the end of the programme
    /// (0..1): the `survival_<k>m_after_programme` metric when present, else read from
    /// the survival curve. `None` past the horizon.
    pub fn survival_after_programme(&self, index: usize, months_after: u32) -> Option<Value> {
        let strategy = self.strategies.get(index)?;
        let metric = format!("survival_{months_after}m_after_programme");
        if let Some(value) = self
            .metric(strategy, &metric)
            .and_then(|estimate| Value::of(estimate, false))
        {
            return Some(value);
        }
        let month = self.info.programme_months.checked_add(months_after)?;
        let point = self.survival_at(index, month)?;
        Some(Value {
            mean: point.surviving,
            low: point.surviving_ci_low,
            high: point.surviving_ci_high,
            paired: false,
        })
    }
}
