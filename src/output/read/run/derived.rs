//! What charts and the brief derive from a run folder's tables: the gain of each strategy
//! over the no-funding baseline and what it costs, with 95% intervals. Where the folder
//! has the paired metrics (common random numbers) they are used as they are; otherwise
//! the difference or ratio of the means stands in, with a wider, unpaired interval, so a
//! folder without them can still be drawn.

use super::RunData;
use super::estimate::{Value, Z95};

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
