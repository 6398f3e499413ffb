//! `fundsim target`: the smallest (or largest) value of a parameter at which an outcome
//! of one strategy reaches a goal, by bracketing and bisection with the same seed at
//! every evaluation, and a 95% interval for that value.

use std::time::Instant;

use clap::{Args, ValueEnum};

use super::analysis_setup::{Setup, setup};
use super::args::{OutputArgs, SimulationArgs};
use super::error::CliError;
use super::interrupt::Interrupt;
use super::staging;
use crate::analysis::ModelError;
use crate::analysis::target::{self, Bound, Direction, TargetError, TargetProblem};
use crate::output::Destination;
use crate::plot::labels::compact;
use crate::stats::{Output, Quantity, Scale};

mod found;

use found::{Found, answer_interval, show};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |arg| arg.help("Also write a folder: target.json (the answer), target_trace.csv (every step of the search) and the chart [default: print only, write nothing]")),
    mut_arg("force", |arg| arg.help("Replace the --out folder if it exists")),
    mut_arg("quiet", |arg| arg.help("Print nothing on stdout (with --out: write the folder only)")),
    mut_arg("no_charts", |arg| arg.help("With --out: write the tables only, no chart")),
)]
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
    #[command(flatten)]
    pub output: OutputArgs,
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

pub fn execute(args: TargetArgs) -> Result<(), CliError> {
    let found = compute(&args)?;
    finish(found, &args.param, args.format, &args.output)
}

/// Checks the question and searches for the value, stopped by Ctrl-C.
///
/// # Errors
/// [`CliError::Usage`] for bad input (a goal outside the outcome's range, a bad range or
/// tolerance, a search above the size limits, an existing `--out` without `--force`),
/// [`CliError::Failure`] when the goal cannot be bracketed or the outcome is undefined
/// at a value tried, [`CliError::Interrupted`] when stopped.
pub(super) fn compute(args: &TargetArgs) -> Result<Found, CliError> {
    let started = Instant::now();
    if args.output.out.is_none() && (args.output.force || args.output.no_charts) {
        return Err(CliError::Usage(
            "--force and --no-charts only apply with --out (target writes a folder only when asked)".into(),
        ));
    }
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
    if quantity.undefined_for_baseline() && index == simulated.baseline_index() {
        return Err(CliError::Usage(format!(
            "--metric {}: undefined for the baseline {strategy:?} (a cost per unit of effect over the baseline); choose a funded strategy with --strategy",
            quantity.name()
        )));
    }
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
    let staged = match &args.output.out {
        Some(path) => Some(staging::stage(
            &interrupt,
            Destination::Explicit {
                path: path.clone(),
                force: args.output.force,
            },
            args.output.quiet,
        )?),
        None => None,
    };
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
        .map_err(|error| match error {
            TargetError::Undefined { at } => CliError::Failure(format!(
                "{} of {strategy:?} is undefined at {path} = {}{}; give a --range where it is defined",
                quantity.name(),
                show(path, if integer { at.round() } else { at }),
                quantity
                    .why_undefined()
                    .map_or_else(String::new, |why| format!(" ({why})"))
            )),
            other => interrupt.failed(other),
        })?;
    let colour = setup
        .loaded
        .scenario
        .strategies
        .iter()
        .position(|s| s.name == strategy)
        .unwrap_or(index);
    Ok(Found {
        setup,
        strategy,
        colour,
        quantity,
        goal: args.goal,
        integer,
        tolerance,
        initial: (low, high),
        result,
        started,
        interrupt,
        staged,
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

/// Prints the value found and its interval (text), or everything as JSON, unless
/// quiet; with `--out`, writes the folder first.
///
/// # Errors
/// [`CliError::Failure`] when the JSON or the folder cannot be written,
/// [`CliError::Interrupted`] when a stop signal came first.
pub(super) fn finish(
    mut found: Found,
    path: &str,
    format: Format,
    output: &OutputArgs,
) -> Result<(), CliError> {
    let json = answer_json(&found, path);
    let folder = match found.staged.take() {
        Some(staged) => Some(found::write_folder(&found, staged, &json, path, output)?),
        None => None,
    };
    if output.quiet {
        return Ok(());
    }
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json).map_err(|e| CliError::Failure(e.to_string()))?
        ),
        Format::Text => print_text(&found, path, folder.as_deref()),
    }
    Ok(())
}

/// Everything about the search, as printed by `--format json` and written to
/// `target.json`.
fn answer_json(found: &Found, path: &str) -> serde_json::Value {
    let Found {
        setup,
        strategy,
        quantity,
        goal,
        tolerance,
        initial,
        result,
        ..
    } = found;
    let model = &setup.model;
    let (interval_low, interval_high) = answer_interval(found);
    let open = |bound: Bound| matches!(bound, Bound::Beyond(_));
    let (near, far) = result.interval;
    let round = |v: f64| found.round(v);
    serde_json::json!({
        "param": path,
        "metric": quantity.name(),
        "metric_description": quantity.description(),
        "strategy": strategy,
        "goal": goal,
        "higher_is_better": quantity.higher_is_better(),
        "value": round(result.value),
        "ci_low": interval_low,
        "ci_high": interval_high,
        "interval_open_towards_missed": open(near),
        "interval_open_towards_reached": open(far),
        "direction": match result.direction {
            Direction::ReachedAbove => "smallest value reaching the goal",
            Direction::ReachedBelow => "largest value reaching the goal",
        },
        "range_given": [initial.0, initial.1],
        "range_searched": [result.searched.0, result.searched.1],
        "final_bracket": [round(result.bracket.0), round(result.bracket.1)],
        "tolerance": tolerance,
        "replications_per_evaluation": model.replications,
        "seed": model.seed,
        "scenario_origin": setup.loaded.origin,
        "scenario_hash": setup.loaded.scenario.hash(),
        "scenario_overrides": setup.overrides_given(),
        "evaluations": found.evaluations_by_value().iter().map(|(x, e)| serde_json::json!({
            "value": round(*x), "mean": e.mean, "ci_low": e.low, "ci_high": e.high, "mcse": e.mcse,
        })).collect::<Vec<_>>(),
    })
}

/// The answer, its interval, how it was found and every evaluation, for people.
fn print_text(found: &Found, path: &str, folder: Option<&std::path::Path>) {
    let Found {
        setup,
        strategy,
        quantity,
        goal,
        tolerance,
        result,
        started,
        ..
    } = found;
    let model = &setup.model;
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
    let open = |bound: Bound| matches!(bound, Bound::Beyond(_));
    let mark = |bound: Bound, text: String| {
        if open(bound) {
            format!("beyond {text} (the searched range's end)")
        } else {
            text
        }
    };
    let (near, far) = result.interval;
    let (low_bound, high_bound) = if near.value() <= far.value() {
        (near, far)
    } else {
        (far, near)
    };
    let (interval_low, interval_high) = answer_interval(found);
    println!(
        "  {}, 95% interval {} to {}",
        show(path, found.round(result.value)),
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
    let evaluations = found.evaluations_by_value();
    for (x, e) in &evaluations {
        println!(
            "{:>18} {:>12.5} {:>26}",
            compact(found.round(*x)),
            e.mean,
            format!("{:.5} – {:.5}", e.low, e.high)
        );
    }
    let place = folder.map_or_else(String::new, |f| format!("; results in {}", f.display()));
    println!(
        "\n{} evaluations in {:.1} s on {} threads{place}",
        evaluations.len(),
        started.elapsed().as_secs_f64(),
        setup.pool.current_num_threads()
    );
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
