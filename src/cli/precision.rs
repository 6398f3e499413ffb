//! `--precision METRIC=HALF_WIDTH` and `--max-replications` for `run` and `compare`:
//! parsing, running (through `sensitivity::precision`) and saying how it ended.

use std::sync::atomic::AtomicBool;

use super::error::CliError;
use crate::analysis::precision::{
    DEFAULT_MAX_REPLICATIONS, PrecisionOutcome, PrecisionRule, Target, run_to_precision,
};
use crate::engine::{self, RunConfig, RunError, RunResult};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;

/// Parses the options; `None` when `--precision` is not given.
///
/// # Errors
/// [`CliError::Usage`] for a malformed rule, or `--max-replications` without
/// `--precision`.
pub fn parse(
    precision: Option<&str>,
    max_replications: Option<u64>,
    scenario: &Scenario,
    target: Target,
) -> Result<Option<PrecisionRule>, CliError> {
    match precision {
        None if max_replications.is_some() => Err(CliError::Usage(
            "--max-replications only applies with --precision".into(),
        )),
        None => Ok(None),
        Some(text) => PrecisionRule::parse(
            text,
            scenario.fund.horizon_months,
            target,
            max_replications.unwrap_or(DEFAULT_MAX_REPLICATIONS),
        )
        .map(Some)
        .map_err(CliError::Usage),
    }
}

/// Runs the scenario: exactly `engine::run` without a rule, otherwise until the rule is
/// met (starting from `config.replications`, rounded up to whole blocks).
///
/// # Errors
/// [`RunError::Cancelled`] when `cancel` was set.
pub fn run(
    rule: Option<&PrecisionRule>,
    scenario: &Scenario,
    portfolio: Portfolio,
    config: &RunConfig,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<(RunResult, Option<PrecisionOutcome>), RunError> {
    match rule {
        None => Ok((
            engine::run(scenario, portfolio, config, progress, cancel)?,
            None,
        )),
        Some(rule) => run_to_precision(scenario, portfolio, config, rule, progress, cancel)
            .map(|(result, outcome)| (result, Some(outcome))),
    }
}

/// One sentence on how a precision-driven run ended.
pub fn describe(outcome: &PrecisionOutcome) -> String {
    let what = match outcome.rule.target {
        Target::EveryStrategy => "of every strategy's mean",
        Target::DifferencesToBest => "of every paired difference to the best strategy",
    };
    let steps: Vec<String> = outcome
        .steps
        .iter()
        .map(|(n, width)| format!("{n}: ±{width:.4}"))
        .collect();
    if outcome.reached {
        format!(
            "precision reached: the widest 95% interval {what} in {} is ±{:.4} ≤ ±{} after {} replications (steps {}).",
            outcome.rule.quantity.name(),
            outcome.achieved,
            outcome.rule.half_width,
            outcome.replications,
            steps.join(", ")
        )
    } else {
        format!(
            "precision NOT reached: the widest 95% interval {what} in {} is still ±{:.4} > ±{} at the maximum of {} replications (--max-replications; steps {}).",
            outcome.rule.quantity.name(),
            outcome.achieved,
            outcome.rule.half_width,
            outcome.replications,
            steps.join(", ")
        )
    }
}
