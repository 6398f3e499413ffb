//! Precision-driven runs (`--precision METRIC=HALF_WIDTH` on `run` and `compare`): keep
//! adding replications, in the engine's fixed blocks, until the 95% interval of a metric
//! is narrow enough or a maximum is reached.
//!
//! The run grows by whole blocks and every extension is merged in block order
//! ([`engine::resume`]), so the final result is bit-identical to one run of the final
//! number of replications, for any number of threads. The number of replications of
//! each step is a function of the results so far only, so the stopping point is
//! deterministic too.

use std::sync::atomic::AtomicBool;

use crate::engine::{self, BLOCK_SIZE, RunConfig, RunError, RunResult};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;
use crate::stats::Quantity;
use crate::stats::{RunAccumulator, Z95};

/// Which intervals must be narrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The interval of the metric's mean, for every strategy (`run`).
    EveryStrategy,
    /// The paired interval of every strategy's difference to the best strategy by the
    /// metric (`compare`: the intervals that decide which strategies can be told apart).
    DifferencesToBest,
}

/// A precision rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionRule {
    pub quantity: Quantity,
    /// The 95% interval's half-width to reach (metric units).
    pub half_width: f64,
    pub target: Target,
    /// The most replications to run (rounded down to whole blocks, at least one block).
    pub max_replications: u64,
}

/// Default cap on replications when none is given.
pub const DEFAULT_MAX_REPLICATIONS: u64 = 100_000;

/// How a precision-driven run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionOutcome {
    pub rule: PrecisionRule,
    /// The widest half-width among the intervals the rule watches, at the end.
    pub achieved: f64,
    pub replications: u64,
    pub reached: bool,
    /// Watched intervals undefined at the end (left out of `achieved`; all of them when
    /// `achieved` is NaN).
    pub undefined: usize,
    /// (replications, widest half-width) after each step.
    pub steps: Vec<(u64, f64)>,
}

impl PrecisionRule {
    /// Parses `METRIC=HALF_WIDTH`.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn parse(
        text: &str,
        horizon_months: u32,
        target: Target,
        max_replications: u64,
    ) -> Result<Self, String> {
        let (name, width) = text.split_once('=').ok_or_else(|| {
            format!(
                "--precision {text:?} must be METRIC=HALF_WIDTH, e.g. survival_at_horizon=0.005"
            )
        })?;
        let quantities = Quantity::parse_list(name.trim(), horizon_months)
            .map_err(|problem| format!("--precision: {:?} {problem}", name.trim()))?;
        let [quantity] = quantities[..] else {
            return Err(format!(
                "--precision needs a single metric, not the family {name:?}"
            ));
        };
        if matches!(quantity, Quantity::Paired(_)) && target == Target::DifferencesToBest {
            return Err(
                "--precision on compare takes a metric of summary.csv (the paired outcomes are differences already)".into(),
            );
        }
        let half_width: f64 = width
            .trim()
            .parse()
            .map_err(|_| format!("--precision: the half-width {width:?} is not a number"))?;
        if !(half_width.is_finite() && half_width > 0.0) {
            return Err(format!(
                "--precision: the half-width must be above 0 (got {width})"
            ));
        }
        if max_replications < BLOCK_SIZE {
            return Err(format!(
                "--max-replications must be at least {BLOCK_SIZE} (one block)"
            ));
        }
        Ok(Self {
            quantity,
            half_width,
            target,
            max_replications,
        })
    }

    /// The widest watched half-width in `acc`. Undefined intervals (a metric undefined
    /// for a strategy, such as a cost-effectiveness ratio for the baseline or for a
    /// strategy without effect) are skipped; NaN when every watched interval is
    /// undefined, so that such a run is never said to be precise.
    pub fn widest(&self, acc: &RunAccumulator) -> f64 {
        let halves = self.watched(acc).into_iter().filter_map(|mcse| {
            let half = Z95 * mcse?;
            half.is_finite().then_some(half)
        });
        halves.fold(f64::NAN, f64::max)
    }

    /// How many of the watched intervals are undefined in `acc`.
    pub fn undefined(&self, acc: &RunAccumulator) -> usize {
        self.watched(acc)
            .into_iter()
            .filter(|mcse| !mcse.is_some_and(f64::is_finite))
            .count()
    }

    /// The standard error of every watched interval (`None` where there is no best
    /// strategy to compare with).
    fn watched(&self, acc: &RunAccumulator) -> Vec<Option<f64>> {
        let count = acc.strategies.len();
        match self.target {
            Target::EveryStrategy => (0..count)
                .filter(|&i| !(i == 0 && self.quantity.undefined_for_baseline()))
                .map(|i| Some(self.quantity.estimate(acc, i).mcse))
                .collect(),
            Target::DifferencesToBest => {
                let Some(best) = best_strategy(acc, self.quantity) else {
                    return vec![None];
                };
                (0..count)
                    .filter(|&i| i != best && !(i == 0 && self.quantity.undefined_for_baseline()))
                    .map(|i| Some(self.quantity.difference(acc, i, best).mcse))
                    .collect()
            }
        }
    }

    /// The replications of the next step: enough to reach the width if the standard
    /// error falls as 1/√n (plus 10%), at least one more block, at most four times as
    /// many, never past the cap; always whole blocks.
    fn next_replications(&self, done: u64, widest: f64) -> u64 {
        let cap = self.cap();
        let ratio = (widest / self.half_width).powi(2) * 1.1;
        let wanted = (done as f64 * ratio).ceil().min(4.0 * done as f64) as u64;
        let blocks = wanted.div_ceil(BLOCK_SIZE).max(done / BLOCK_SIZE + 1);
        (blocks * BLOCK_SIZE).min(cap)
    }

    fn cap(&self) -> u64 {
        (self.max_replications / BLOCK_SIZE).max(1) * BLOCK_SIZE
    }
}

/// The best strategy by the quantity (highest mean, or lowest where lower is better).
pub fn best_strategy(acc: &RunAccumulator, quantity: Quantity) -> Option<usize> {
    let means: Vec<f64> = (0..acc.strategies.len())
        .map(|i| quantity.estimate(acc, i).mean)
        .collect();
    let mut order: Vec<usize> = (0..means.len()).filter(|&i| !means[i].is_nan()).collect();
    order.sort_by(|&a, &b| {
        let by = means[b].total_cmp(&means[a]);
        if quantity.higher_is_better() {
            by
        } else {
            by.reverse()
        }
    });
    order.first().copied()
}

/// Runs `config.replications` (rounded up to whole blocks), then keeps extending the
/// run until the rule is met or its cap is reached. `progress` gets the replications
/// done so far.
///
/// # Errors
/// [`RunError::Cancelled`] when `cancel` was set.
pub fn run_to_precision(
    scenario: &Scenario,
    portfolio: Portfolio,
    config: &RunConfig,
    rule: &PrecisionRule,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<(RunResult, PrecisionOutcome), RunError> {
    let first = (config.replications.div_ceil(BLOCK_SIZE) * BLOCK_SIZE).min(rule.cap());
    let mut step = RunConfig {
        replications: first,
        ..config.clone()
    };
    let mut result = engine::run(scenario, portfolio, &step, progress, cancel)?;
    let mut steps = Vec::new();
    loop {
        let done = result.accumulator.replications();
        let widest = rule.widest(&result.accumulator);
        let undefined = rule.undefined(&result.accumulator);
        steps.push((done, widest));
        // Nothing defined to watch (e.g. a ratio where no strategy has an effect): more
        // replications would only be spent in vain; the outcome says so.
        if widest <= rule.half_width || done >= rule.cap() || widest.is_nan() {
            return Ok((
                result,
                PrecisionOutcome {
                    rule: *rule,
                    achieved: widest,
                    replications: done,
                    reached: widest <= rule.half_width,
                    undefined,
                    steps,
                },
            ));
        }
        step.replications = rule.next_replications(done, widest);
        let RunResult {
            tree, portfolio, ..
        } = result;
        result = engine::resume(scenario, portfolio, &step, tree, progress, cancel)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Metric;

    #[test]
    fn rules_parse_and_steps_grow_in_whole_blocks() {
        let rule =
            PrecisionRule::parse("survival_at_horizon=0.01", 120, Target::EveryStrategy, 1000)
                .unwrap();
        assert_eq!(rule.quantity, Quantity::Metric(Metric::SurvivalAtHorizon));
        assert_eq!(rule.cap(), 992);
        // Twice too wide: about 4.4 times the replications, at most 4 times.
        assert_eq!(rule.next_replications(64, 0.02), 256);
        // Nearly there: at least one more block.
        assert_eq!(rule.next_replications(64, 0.0100001), 80);
        assert_eq!(rule.next_replications(512, 0.1), 992);
        for bad in [
            "survival_at_horizon",
            "survival_at_horizon=0",
            "survival_at_horizon=x",
            "nope=0.1",
            "survival_by_year=0.1",
        ] {
            assert!(
                PrecisionRule::parse(bad, 120, Target::EveryStrategy, 1000).is_err(),
                "{bad}"
            );
        }
        assert!(
            PrecisionRule::parse("survival_at_horizon=0.1", 120, Target::EveryStrategy, 8).is_err()
        );
    }

    #[test]
    fn a_ratio_is_watched_where_it_is_defined_and_never_called_precise_when_it_is_not() {
        for target in [Target::EveryStrategy, Target::DifferencesToBest] {
            let rule =
                PrecisionRule::parse("cost_per_project_year_gained_eur=1000", 120, target, 1000)
                    .unwrap();
            let mut acc = RunAccumulator::new(3, 12, 3, 1, 12);
            // The baseline (no effect over itself) and a strategy without effect: both
            // undefined, so nothing is watched yet.
            for strategy in &mut acc.strategies[..2] {
                for slot in &mut strategy.cost_effect {
                    slot.add(1.0e6, 0.0);
                    slot.add(1.0e6, 0.0);
                }
            }
            assert!(rule.widest(&acc).is_nan(), "{target:?}");
            assert!(rule.undefined(&acc) >= 1);
            for slot in &mut acc.strategies[2].cost_effect {
                slot.add(1.0e6, 2.0);
                slot.add(1.1e6, 4.0);
                slot.add(0.9e6, 3.0);
            }
            let ratio = rule.quantity.estimate(&acc, 2);
            assert!(ratio.mcse > 0.0);
            match target {
                Target::EveryStrategy => {
                    assert_eq!(rule.widest(&acc), Z95 * ratio.mcse);
                    // Only the strategy without effect: the baseline is not watched.
                    assert_eq!(rule.undefined(&acc), 1);
                }
                Target::DifferencesToBest => {
                    assert_eq!(best_strategy(&acc, rule.quantity), Some(2));
                    assert!(rule.widest(&acc).is_nan());
                    assert_eq!(rule.undefined(&acc), 1);
                }
            }
        }
    }
}
