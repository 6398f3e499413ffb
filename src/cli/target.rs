//! `fundsim target`: the smallest (or largest) value of a parameter at which an outcome
//! of one strategy reaches a goal, by bracketing and bisection with the same seed at
//! every evaluation, and a 95% interval for that value.

use std::time::Instant;

use clap::{Args, ValueEnum};

use super::analysis_setup::{Setup, setup};
use super::args::SimulationArgs;
use super::error::CliError;
use super::interrupt::Interrupt;
use crate::analysis::ModelError;
use crate::analysis::target::{self, Bound, Direction, TargetProblem, TargetResult};
use crate::plot::sweep::compact;
use crate::stats::{Output, Quantity, Scale};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// The numeric field to search, by dotted path (e.g. fund.budget_eur).
    #[arg(long)]
    pub param: String,
    /// The outcome (a metric of summary.csv, a paired outcome, survival_year_N, …).
    #[arg(long)]
    pub metric: String,
    /// The goal: at least this for an outcome where higher is better, at most this
    /// otherwise.
    #[arg(long, allow_negative_numbers = true)]
    pub goal: f64,
    /// The strategy whose outcome must reach the goal [default: the first funded one].
    #[arg(long)]
    pub strategy: Option<String>,
    /// Initial bracket LOW:HIGH [default: a quarter to twice the scenario's value];
    /// widened (doubled outward) up to 6 times if it does not contain the goal.
    #[arg(long)]
    pub range: Option<String>,
    /// Stop bisecting when the bracket is narrower than this [default: 0.1% of the
    /// bracket's upper end; 1 for whole-number fields].
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// The number at `path` in the scenario text, when the file sets it.
fn current_value(text: &str, path: &str) -> Option<f64> {
    let mut value = toml::Value::Table(toml::from_str(text).ok()?);
    for part in path.split('.') {
        value = match part.split_once('[') {
            Some((key, rest)) => {
                let index: usize = rest.trim_end_matches(']').parse().ok()?;
                value.get(key)?.get(index)?.clone()
            }
            None => value.get(part)?.clone(),
        };
    }
    value
        .as_float()
        .or_else(|| value.as_integer().map(|v| v as f64))
}

/// A value for people: EUR amounts in millions, others with four significant digits.
fn show(path: &str, value: f64) -> String {
    if path.ends_with("_eur") {
        if value.abs() >= 1e6 {
            format!("EUR {:.1}M", value / 1e6)
        } else {
            format!("EUR {}", crate::plot::style::thousands(value))
        }
    } else {
        compact(value)
    }
}

/// A search done: what [`finish`] prints.
pub(super) struct Found {
    setup: Setup,
    strategy: String,
    quantity: Quantity,
    goal: f64,
    integer: bool,
    tolerance: f64,
    result: TargetResult,
    started: Instant,
}

pub fn execute(args: TargetArgs) -> Result<(), CliError> {
    let found = compute(&args)?;
    finish(&found, &args.param, args.format)
}

/// Checks the question and searches for the value, stopped by Ctrl-C.
///
/// # Errors
/// [`CliError::Usage`] for bad input (a goal outside the outcome's range, a bad range or
/// tolerance, a search above the size limits), [`CliError::Failure`] when the goal
/// cannot be bracketed, [`CliError::Interrupted`] when stopped.
pub(super) fn compute(args: &TargetArgs) -> Result<Found, CliError> {
    let started = Instant::now();
    let replications = |scenario: &crate::scenario::Scenario| scenario.run.replications;
    let mut setup = setup(
        &args.simulation,
        "stf",
        (replications, "run.replications"),
        None,
    )?;
    let strategy = chosen_strategy(&setup, args.strategy.as_deref());
    setup.model.strategies = Some(vec![strategy.clone()]);
    let model = &setup.model;
    let simulated = model
        .scenario(&[])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let index = simulated
        .strategies
        .iter()
        .position(|s| s.name == strategy)
        .ok_or_else(|| CliError::Usage(format!("no strategy {strategy:?} in the scenario")))?;
    let quantity = match Quantity::parse_list(&args.metric, simulated.fund.horizon_months)
        .map_err(|p| CliError::Usage(format!("--metric {:?} {p}", args.metric)))?[..]
    {
        [quantity] => quantity,
        _ => {
            return Err(CliError::Usage(format!(
                "--metric {:?} names several outcomes; give one (e.g. survival_year_5)",
                args.metric
            )));
        }
    };
    check_goal(quantity, args.goal)?;
    let integer = model.is_integer_field(&args.param);
    let (low, high) = bracket(args, &model.text)?;
    for end in [low, high] {
        let value = if integer { end.round() } else { end };
        model
            .scenario(&[(args.param.as_str(), value)])
            .map_err(|e| CliError::Usage(format!("--param {} at {value}: {e}", args.param)))?;
    }
    let tolerance = args
        .tolerance
        .unwrap_or(1e-3 * high.abs().max(low.abs()))
        .max(if integer { 1.0 } else { 0.0 });
    if !(tolerance > 0.0 && tolerance.is_finite()) {
        return Err(CliError::Usage("--tolerance must be above 0".into()));
    }
    setup.check_size(
        &simulated,
        evaluations(low, high, tolerance),
        ("evaluations", "a larger --tolerance"),
    )?;
    let problem = TargetProblem {
        goal: args.goal,
        higher_is_better: quantity.higher_is_better(),
        low,
        high,
        tolerance,
        max_expansions: 6,
        floor: if low >= 0.0 { 0.0 } else { f64::NEG_INFINITY },
    };
    let output = Output {
        quantity,
        strategy: index,
        versus: None,
    };
    let interrupt = Interrupt::install()?;
    let cancel = interrupt.cancel_flag();
    let path = args.param.as_str();
    let result = setup
        .pool
        .install(|| {
            target::search(&problem, |value| {
                let value = if integer { value.round() } else { value };
                let (_, acc) = model.run(&[(path, value)], cancel)?;
                Ok::<_, ModelError>(output.estimate(&acc))
            })
        })
        .map_err(|error| interrupt.failed(error))?;
    Ok(Found {
        setup,
        strategy,
        quantity,
        goal: args.goal,
        integer,
        tolerance,
        result,
        started,
    })
}

/// The strategy whose outcome must reach the goal: the one named, or the first funded
/// one.
fn chosen_strategy(setup: &Setup, named: Option<&str>) -> String {
    let scenario = &setup.loaded.scenario;
    let baseline = scenario.baseline_index();
    match named {
        Some(name) => name.to_string(),
        None => scenario
            .strategies
            .iter()
            .enumerate()
            .find(|(i, _)| *i != baseline)
            .map_or_else(
                || scenario.strategies[baseline].name.clone(),
                |(_, s)| s.name.clone(),
            ),
    }
}

/// The initial bracket: `--range`, or a quarter to twice the scenario's value.
fn bracket(args: &TargetArgs, text: &str) -> Result<(f64, f64), CliError> {
    match &args.range {
        Some(range) => range
            .split_once(':')
            .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
            .filter(|(a, b)| a.is_finite() && b.is_finite() && a < b)
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--range {range:?} must be LOW:HIGH with LOW < HIGH"
                ))
            }),
        None => match current_value(text, &args.param) {
            Some(value) if value > 0.0 => Ok((value / 4.0, value * 2.0)),
            _ => Err(CliError::Usage(format!(
                "the scenario does not set a positive {}: give --range LOW:HIGH",
                args.param
            ))),
        },
    }
}

/// About how many evaluations the search makes: both ends, then three bisections (the
/// value, and each end of its interval) down to the tolerance; widening the bracket
/// adds a few.
fn evaluations(low: f64, high: f64, tolerance: f64) -> u64 {
    let halvings = ((high - low) / tolerance).log2().ceil().clamp(0.0, 64.0) as u64;
    2 + 3 * halvings
}

/// Refuses a goal the outcome can never reach (e.g. `--goal 85` for a share), which would
/// otherwise widen the bracket in vain.
fn check_goal(quantity: Quantity, goal: f64) -> Result<(), CliError> {
    if !goal.is_finite() {
        return Err(CliError::Usage("--goal must be a finite number".into()));
    }
    let name = quantity.name();
    match quantity.scale() {
        Scale::Share if !(0.0..=1.0).contains(&goal) => {
            let hint = if (1.0..=100.0).contains(&goal) {
                format!(" (for {goal}%, give --goal {})", goal / 100.0)
            } else {
                String::new()
            };
            Err(CliError::Usage(format!(
                "--goal {goal}: {name} is a share, from 0 to 1{hint}"
            )))
        }
        Scale::NotNegative if goal < 0.0 => Err(CliError::Usage(format!(
            "--goal {goal}: {name} is never negative; give a goal of 0 or more"
        ))),
        _ => Ok(()),
    }
}

/// Prints the value found and its interval (text), or everything as JSON.
///
/// # Errors
/// [`CliError::Failure`] when the JSON cannot be written.
pub(super) fn finish(found: &Found, path: &str, format: Format) -> Result<(), CliError> {
    let Found {
        setup,
        strategy,
        quantity,
        goal,
        integer,
        tolerance,
        result,
        started,
    } = found;
    let model = &setup.model;
    let round = |v: f64| if *integer { v.round() } else { v };
    let answer = round(result.value);
    let (near, far) = result.interval;
    let (interval_low, interval_high) = {
        let (a, b) = (round(near.value()), round(far.value()));
        (a.min(b), a.max(b))
    };
    let open = |bound: Bound| matches!(bound, Bound::Beyond(_));
    let mut evaluations = result.evaluations.clone();
    evaluations.sort_by(|a, b| a.0.total_cmp(&b.0));
    match format {
        Format::Json => {
            let json = serde_json::json!({
                "param": path,
                "metric": quantity.name(),
                "strategy": strategy,
                "goal": goal,
                "higher_is_better": quantity.higher_is_better(),
                "value": answer,
                "ci_low": interval_low,
                "ci_high": interval_high,
                "interval_open_towards_missed": open(near),
                "interval_open_towards_reached": open(far),
                "direction": match result.direction {
                    Direction::ReachedAbove => "smallest value reaching the goal",
                    Direction::ReachedBelow => "largest value reaching the goal",
                },
                "replications_per_evaluation": model.replications,
                "seed": model.seed,
                "evaluations": evaluations.iter().map(|(x, e)| serde_json::json!({
                    "value": round(*x), "mean": e.mean, "ci_low": e.low, "ci_high": e.high, "mcse": e.mcse,
                })).collect::<Vec<_>>(),
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&json)
                    .map_err(|e| CliError::Failure(e.to_string()))?
            );
        }
        Format::Text => {
            let comparison = if quantity.higher_is_better() {
                "≥"
            } else {
                "≤"
            };
            let which = match result.direction {
                Direction::ReachedAbove => "smallest",
                Direction::ReachedBelow => "largest",
            };
            println!(
                "{which} {path} at which {} of {strategy} is {comparison} {goal}:",
                quantity.name(),
            );
            let mark = |bound: Bound, text: String| {
                if open(bound) {
                    format!("beyond {text} (the searched range's end)")
                } else {
                    text
                }
            };
            let (low_bound, high_bound) = if near.value() <= far.value() {
                (near, far)
            } else {
                (far, near)
            };
            println!(
                "  {}, 95% interval {} to {}",
                show(path, answer),
                mark(low_bound, show(path, interval_low)),
                mark(high_bound, show(path, interval_high))
            );
            println!(
                "  (bisection to ±{} with {} replications per evaluation, seed {} at every value; the interval is where the outcome's 95% interval crosses the goal)",
                show(path, *tolerance),
                model.replications,
                model.seed
            );
            println!("\n{:>18} {:>12} {:>26}", path, "mean", "95% interval");
            for (x, e) in &evaluations {
                println!(
                    "{:>18} {:>12.5} {:>26}",
                    compact(round(*x)),
                    e.mean,
                    format!("{:.5} – {:.5}", e.low, e.high)
                );
            }
            println!(
                "\n{} evaluations in {:.1} s on {} threads",
                evaluations.len(),
                started.elapsed().as_secs_f64(),
                setup.pool.current_num_threads()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_current_values_by_path() {
        let text = crate::scenario::builtin("stf").unwrap();
        assert_eq!(current_value(text, "fund.budget_eur"), Some(24_600_000.0));
        assert_eq!(current_value(text, "model.cliff_months"), Some(6.0));
        assert_eq!(current_value(text, "strategies[3].power"), Some(1.0));
        assert_eq!(current_value(text, "model.nope"), None);
        assert_eq!(show("fund.budget_eur", 31_234_000.0), "EUR 31.2M");
        assert_eq!(show("model.attrition_hazard", 0.02), "0.02");
    }
}
