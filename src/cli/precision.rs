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
    let quantity = &outcome.rule.quantity;
    let name = quantity.name();
    let why = quantity
        .why_undefined()
        .map_or_else(String::new, |why| format!(": {why}"));
    if outcome.achieved.is_nan() {
        return format!(
            "precision NOT reached: {name} is undefined for every strategy watched after {} replications{why}; nothing to make precise, so the run stopped there.",
            outcome.replications
        );
    }
    let steps: Vec<String> = outcome
        .steps
        .iter()
        .map(|(n, width)| format!("{n}: ±{width:.4}"))
        .collect();
    let left_out = match outcome.undefined {
        0 => String::new(),
        1 => format!(" One interval is undefined and left out{why}."),
        n => format!(" {n} intervals are undefined and left out{why}."),
    };
    if outcome.reached {
        format!(
            "precision reached: the widest 95% interval {what} in {name} is ±{:.4} ≤ ±{} after {} replications (steps {}).{left_out}",
            outcome.achieved,
            outcome.rule.half_width,
            outcome.replications,
            steps.join(", ")
        )
    } else {
        format!(
            "precision NOT reached: the widest 95% interval {what} in {name} is still ±{:.4} > ±{} at the maximum of {} replications (--max-replications; steps {}).{left_out}",
            outcome.achieved,
            outcome.rule.half_width,
            outcome.replications,
            steps.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Paired, Quantity};

    fn outcome(achieved: f64, undefined: usize) -> PrecisionOutcome {
        let rule = PrecisionRule::parse(
            "cost_per_abandonment_averted_eur=5000",
            120,
            Target::EveryStrategy,
            1000,
        )
        .unwrap();
        assert_eq!(rule.quantity, Quantity::Ratio(Paired::AbandonmentsAverted));
        PrecisionOutcome {
            rule,
            achieved,
            replications: 64,
            reached: achieved <= 5000.0,
            undefined,
            steps: vec![(64, achieved)],
        }
    }

    #[test]
    fn an_undefined_ratio_is_said_to_be_undefined_never_precise() {
        let nothing = describe(&outcome(f64::NAN, 3));
        assert!(nothing.starts_with("precision NOT reached"), "{nothing}");
        assert!(
            nothing.contains("undefined for every strategy"),
            "{nothing}"
        );
        assert!(nothing.contains("not positive"), "{nothing}");
        let some = describe(&outcome(1200.0, 1));
        assert!(some.starts_with("precision reached"), "{some}");
        assert!(
            some.contains("One interval is undefined and left out"),
            "{some}"
        );
        assert!(!describe(&outcome(1200.0, 0)).contains("undefined"));
    }
}
