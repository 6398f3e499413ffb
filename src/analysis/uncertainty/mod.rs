//! The statistics of a run with parameter uncertainty: `K` parameter sets drawn (outer),
//! replications of every strategy in each (inner), with common random numbers across
//! strategies. From each set's count, sum and sum of squares of a metric, and each
//! strategy's set means, these pure functions give the published outputs:
//!
//! - [`spread`]: the spread across parameter sets (p05, p50, p95), corrected for the inner
//!   Monte Carlo noise, and the share of the variance that comes from the parameters;
//! - [`decide`]: each strategy's probability of being best, of beating the baseline, and
//!   its expected regret;
//! - [`what_would_change`]: the parameter and threshold that best separate the sets where
//!   the top strategy is best from the others, said in one sentence by
//!   [`Switch::sentence`].
//!
//! The estimators, why they were chosen and their limits: docs/uncertainty-statistics.md.

mod decision;
mod spread;
mod switch;

pub use decision::{Decision, best_in_each_set, decide, top_strategy, wins_of};
pub use spread::{Spread, spread};
pub use switch::{
    DOMINANT_SHARE, MIN_ERROR_REDUCTION, MIN_SIDE_SHARE, PERMUTATIONS, SIGNIFICANCE, Switch,
    two_significant_figures, what_would_change,
};

/// The top strategy by [`decide`] and [`top_strategy`], and what would change it: the
/// sets in which any strategy's mean is NaN are left out, as [`decide`] leaves them out,
/// before [`what_would_change`] looks for a switch (`set_means[strategy][set]`,
/// `values[set][path]`). `None` when there is no top strategy or no switch worth a
/// sentence.
pub fn switch_for_top(
    paths: &[String],
    values: &[Vec<f64>],
    set_means: &[Vec<f64>],
    higher_is_better: bool,
) -> Option<(usize, Switch)> {
    // The baseline does not enter p_best or the regret, which pick the top strategy.
    let top = top_strategy(&decide(set_means, higher_is_better, 0))?;
    let (kept_values, wins): (Vec<Vec<f64>>, Vec<bool>) = wins_of(set_means, higher_is_better, top)
        .into_iter()
        .zip(values)
        .filter_map(|(win, row)| Some((row.clone(), win?)))
        .collect();
    what_would_change(paths, &kept_values, &wins).map(|switch| (top, switch))
}
