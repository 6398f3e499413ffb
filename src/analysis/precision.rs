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

    /// The widest watched half-width in `acc`; NaN intervals (an undefined metric) are
    /// skipped, and 0 when nothing is defined.
    pub fn widest(&self, acc: &RunAccumulator) -> f64 {
        let count = acc.strategies.len();
        let half = |mcse: f64| if mcse.is_finite() { Z95 * mcse } else { 0.0 };
        match self.target {
            Target::EveryStrategy => (0..count)
                .map(|i| half(self.quantity.estimate(acc, i).mcse))
                .fold(0.0, f64::max),
            Target::DifferencesToBest => {
                let Some(best) = best_strategy(acc, self.quantity) else {
                    return 0.0;
                };
                (0..count)
                    .filter(|&i| i != best)
                    .map(|i| half(self.quantity.difference(acc, i, best).mcse))
                    .fold(0.0, f64::max)
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
        steps.push((done, widest));
        if widest <= rule.half_width || done >= rule.cap() {
            return Ok((
                result,
                PrecisionOutcome {
                    rule: *rule,
                    achieved: widest,
                    replications: done,
                    reached: widest <= rule.half_width,
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
}
