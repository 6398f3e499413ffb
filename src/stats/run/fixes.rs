//! The time-to-fix outcomes of one replication: the median and the share fixed within
//! three months, from the times (months from discovery) of every fix. Apart from the
//! accumulators of `super` because both the per-replication and the folded outcomes use it.

/// The time-to-fix outcomes of one replication; `None` without any fix.
pub(super) struct FixSummary {
    pub(super) median: Option<f64>,
    pub(super) within_3_months: Option<f64>,
}

impl FixSummary {
    pub(super) fn of(fix_times: &[u32], scratch: &mut Vec<u32>) -> Self {
        if fix_times.is_empty() {
            return Self {
                median: None,
                within_3_months: None,
            };
        }
        scratch.clear();
        scratch.extend_from_slice(fix_times);
        scratch.sort_unstable();
        let n = scratch.len();
        let median = if n % 2 == 1 {
            f64::from(scratch[n / 2])
        } else {
            (f64::from(scratch[n / 2 - 1]) + f64::from(scratch[n / 2])) / 2.0
        };
        let within = scratch.iter().filter(|&&t| t <= 3).count() as f64 / n as f64;
        Self {
            median: Some(median),
            within_3_months: Some(within),
        }
    }
}
