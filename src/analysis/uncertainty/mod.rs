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

#[cfg(test)]
mod tests {
    use super::*;

    /// Strategy 1 (mean x + 0.2) against strategy 2 (mean 0.5) and a baseline (−1), over
    /// 200 sets with x evenly spaced in (0, 1): strategy 1 is best when x > 0.3, in 140
    /// sets, so it is the top one and stops being best below x = 0.3. Set 10 has a NaN
    /// mean and is left out; a second parameter scrambles the sets and explains nothing.
    #[test]
    fn the_top_strategy_and_its_switch() {
        let x: Vec<f64> = (0..200).map(|k| (f64::from(k) + 0.5) / 200.0).collect();
        let scrambled: Vec<f64> = (0..200).map(|k| f64::from(k * 37 % 200)).collect();
        let mut second = vec![0.5; 200];
        second[10] = f64::NAN;
        let set_means = vec![vec![-1.0; 200], x.iter().map(|v| v + 0.2).collect(), second];
        let values: Vec<Vec<f64>> = x
            .iter()
            .zip(&scrambled)
            .map(|(&a, &b)| vec![b, a])
            .collect();
        let paths = vec!["model.scrambled".to_string(), "model.x".to_string()];
        let (top, switch) = switch_for_top(&paths, &values, &set_means, true).expect("a switch");
        assert_eq!(top, 1);
        assert_eq!(switch.path, "model.x");
        assert!((switch.threshold - 0.3).abs() < 1e-12);
        assert!(switch.loses_below);
        assert_eq!((switch.sets_below, switch.sets_above), (59, 140));
        assert_eq!((switch.win_share_below, switch.win_share_above), (0.0, 1.0));
        assert_eq!(
            switch.sentence("equal-front"),
            "`equal-front` stops being best when `model.x` is below 0.3 (best in 0% of parameter sets there, 100% above)"
        );
        // Lower is better: the baseline (−1) is best in every set, so nothing changes
        // the answer.
        assert_eq!(switch_for_top(&paths, &values, &set_means, false), None);
    }
}
