//! `fundsim compare`: every strategy of a scenario ranked by one quantity, with paired
//! differences (common random numbers) to the baseline and to the best, and the verdict
//! of [`crate::analysis::verdict`]: the same words and sentence as `ranking.csv`, the
//! printed table of `fundsim run` and the brief.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::args::{OutputArgs, SimulationArgs, UncertaintyArgs};
use super::error::CliError;
use super::interrupt::Interrupt;
use super::run::{self, RunArgs};
use super::shard::{Merged, ShardArg};
use crate::analysis::precision::PrecisionOutcome;
use crate::analysis::robustness::Robustness;
use crate::analysis::verdict::{Judgement, Measure, Verdict};
use crate::engine::{BlockTree, ParameterWorlds, RunConfig, RunResult};
use crate::scenario::Scenario;
use crate::stats::{Quantity, SetQuantity};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |arg| arg.requires("shard").help("With --shard: the shard folder to write")),
    mut_arg("force", |arg| arg.requires("shard").help(
        "With --shard: replace the --out folder if it exists"
    )),
    mut_arg("quiet", |arg| arg.requires("shard").help(
        "With --shard: no progress bar and no message"
    )),
    // A comparison draws no charts; its shards, run shards, hold none either.
    mut_arg("no_charts", |arg| arg.requires("shard").hide(true)),
)]
pub struct CompareArgs {
    #[command(flatten)]
    pub simulation: SimulationArgs,
    #[command(flatten)]
    pub uncertainty: UncertaintyArgs,
    /// The metric to rank by: a metric of summary.csv (e.g. weighted_survival_at_horizon,
    /// abandonments_averted, cost_per_abandonment_averted_eur) or survival_year_N.
    #[arg(long, default_value = "survival_at_horizon")]
    pub by: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Keep adding replications (from --replications, in whole blocks of 16) until the 95%
    /// interval of every strategy's paired difference to the best is at most ±HALF_WIDTH
    /// in METRIC, e.g. weighted_survival_at_horizon=0.005.
    #[arg(long, value_name = "METRIC=HALF_WIDTH")]
    pub precision: Option<String>,
    /// The most replications --precision may run [default: 100000].
    #[arg(long)]
    pub max_replications: Option<u64>,
    #[command(flatten)]
    pub shard: ShardArg,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// One strategy's place in the ranking.
#[derive(Debug, Serialize)]
struct Row {
    /// The quantity ranked (so that tables of several `--by` runs can be stacked).
    metric: String,
    rank: usize,
    strategy: String,
    mean: f64,
    ci_low: f64,
    ci_high: f64,
    vs_baseline: f64,
    vs_baseline_ci_low: f64,
    vs_baseline_ci_high: f64,
    vs_best: f64,
    vs_best_ci_low: f64,
    vs_best_ci_high: f64,
    /// `best`, `identical`, `cannot be told apart`, `practically equal` or `clearly
    /// behind` (see [`crate::analysis::verdict::Verdict`]).
    verdict: &'static str,
    /// With an `[uncertainty]` table: the share of parameter sets in which the strategy
    /// is best, and in which it beats the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    p_best: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p_beats_baseline: Option<f64>,
}

/// What [`finish`] writes: a shard of the runs to compare, or the comparison.
pub(super) enum Compared {
    Shard(Box<run::Simulated>),
    Ranking(Box<Ranking>),
}

/// Every strategy ranked, ready to print.
pub(super) struct Ranking {
    /// The verdict on every strategy, and the sentence every reader prints.
    judgement: Judgement,
    /// What the quantity means, for the table's title (empty when it has no description).
    description: String,
    rows: Vec<Row>,
    baseline: String,
    replications: u64,
    seed: u64,
    format: Format,
    /// How a precision-driven comparison ended.
    precision: Option<PrecisionOutcome>,
    /// With an `[uncertainty]` table: the parameter sets, and what would change which
    /// strategy is best.
    robustness: Option<(usize, Option<String>)>,
}

pub fn execute(args: CompareArgs) -> Result<(), CliError> {
    let compared = compute(&args)?;
    finish(compared, &args.output)
}

/// Simulates and ranks; with `--shard`, simulates this process's share of the runs.
///
/// # Errors
/// [`CliError`] for bad input or a failed simulation.
pub(super) fn compute(args: &CompareArgs) -> Result<Compared, CliError> {
    if args.shard.shard.is_some() {
        // A comparison's shard is a run's shard that merges into a comparison.
        if args.precision.is_some() {
            return Err(CliError::Usage(
                "--precision decides the number of replications as it goes, so it cannot be split with --shard".into(),
            ));
        }
        let run = RunArgs {
            simulation: args.simulation.clone(),
            uncertainty: args.uncertainty.clone(),
            output: OutputArgs {
                no_charts: true,
                ..args.output.clone()
            },
            precision: None,
            max_replications: None,
            shard: args.shard,
            resume: false,
            checkpoint_every: 10.0,
            per_replication: false,
        };
        return Ok(Compared::Shard(Box::new(run::compute(&run, "compare")?)));
    }
    let prepared = args
        .simulation
        .prepare(true)?
        .with_uncertainty(&args.uncertainty)?;
    let scenario = &prepared.scenario;
    let measure = measure(&args.by, scenario)?;
    let config = RunConfig {
        parameter_worlds: prepared.parameters.clone(),
        ..RunConfig::from_scenario(scenario)
    };
    let rule = super::precision::parse(
        args.precision.as_deref(),
        args.max_replications,
        scenario,
        crate::analysis::precision::Target::DifferencesToBest,
    )?;
    let interrupt = Interrupt::install()?;
    let (result, precision) = prepared
        .pool
        .install(|| {
            super::precision::run(
                rule.as_ref(),
                scenario,
                prepared.portfolio.clone(),
                &config,
                &|_| {},
                interrupt.cancel_flag(),
            )
        })
        .map_err(|e| interrupt.failed(e))?;
    super::validate::warn_caveats(scenario, &result, args.output.quiet);
    let parameters = prepared.parameters.as_deref();
    let ranking = rank(
        measure,
        scenario,
        &result,
        parameters,
        args.format,
        precision,
    )?;
    Ok(Compared::Ranking(Box::new(ranking)))
}

/// The comparison of the runs of every shard of a job (from `fundsim merge`): nothing
/// is simulated.
///
/// # Errors
/// [`CliError::Usage`] when the scenario has changed since the shards ran.
pub(super) fn from_merged(
    args: &CompareArgs,
    merged: Merged<BlockTree>,
) -> Result<Compared, CliError> {
    let prepared = args
        .simulation
        .prepare(false)?
        .with_uncertainty(&args.uncertainty)?;
    let scenario = &prepared.scenario;
    let measure = measure(&args.by, scenario)?;
    merged.check_scenario(&prepared.loaded.origin, &scenario.hash())?;
    let result = RunResult::from_tree(scenario, prepared.portfolio.clone(), merged.state);
    super::validate::warn_caveats(scenario, &result, args.output.quiet);
    let parameters = prepared.parameters.as_deref();
    let ranking = rank(measure, scenario, &result, parameters, args.format, None)?;
    Ok(Compared::Ranking(Box::new(ranking)))
}

/// Prints the comparison (or writes the shard folder).
///
/// # Errors
/// [`CliError::Failure`] when the output cannot be written.
pub(super) fn finish(compared: Compared, output: &OutputArgs) -> Result<(), CliError> {
    let ranking = match compared {
        Compared::Shard(shard) => return run::finish(*shard, output),
        Compared::Ranking(ranking) => *ranking,
    };
    if let Some(outcome) = &ranking.precision {
        eprintln!("{}", super::precision::describe(outcome));
    }
    let Ranking {
        judgement,
        description,
        rows,
        baseline,
        replications,
        seed,
        format,
        precision: _,
        robustness,
    } = ranking;
    match format {
        Format::Json => {
            let json = serde_json::json!({
                "metric": judgement.metric,
                "higher_is_better": judgement.higher_is_better,
                "practical_threshold": judgement.threshold.value,
                "verdict_sentence": judgement.sentence(),
                "replications": replications,
                "seed": seed,
                "baseline": baseline,
                "strategies": rows,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&json)
                    .map_err(|e| CliError::Failure(e.to_string()))?
            );
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(std::io::stdout());
            for row in &rows {
                writer
                    .serialize(row)
                    .map_err(|e| CliError::Failure(e.to_string()))?;
            }
            writer
                .flush()
                .map_err(|e| CliError::Failure(e.to_string()))?;
        }
        Format::Table => print_table(
            &judgement,
            &description,
            &rows,
            &baseline,
            replications,
            robustness,
        ),
    }
    Ok(())
}

/// The quantity `--by` names: any single quantity an analysis reads (a metric of
/// `summary.csv`, a paired outcome, a cost ratio, survival in year N).
fn measure(by: &str, scenario: &Scenario) -> Result<Measure, CliError> {
    Measure::parse(by, scenario.fund.horizon_months)
        .map_err(|problem| CliError::Usage(format!("--by {by:?} {problem}")))
}

/// Every strategy of `result` with a defined value of `measure`, best first, with its
/// paired differences to the baseline and to the best, judged by the one verdict logic
/// ([`crate::analysis::verdict`]).
///
/// # Errors
/// [`CliError::Failure`] when the quantity is undefined for every strategy.
fn rank(
    measure: Measure,
    scenario: &Scenario,
    result: &RunResult,
    parameters: Option<&ParameterWorlds>,
    format: Format,
    precision: Option<PrecisionOutcome>,
) -> Result<Ranking, CliError> {
    let acc = &result.accumulator;
    let baseline = scenario.baseline_index();
    let set_quantity = match measure {
        Measure(Quantity::Metric(metric)) => Some(SetQuantity::Metric(metric)),
        Measure(Quantity::Paired(paired)) => Some(SetQuantity::Paired(paired)),
        _ => None,
    };
    let robust = parameters.zip(set_quantity).and_then(|(worlds, quantity)| {
        let robustness = Robustness::of(acc, worlds, baseline);
        let quantity = robustness.of_quantity(quantity)?.clone();
        Some((robustness.sets, quantity))
    });
    let names: Vec<String> = scenario.strategies.iter().map(|s| s.name.clone()).collect();
    let projects = acc.strategies.first().map_or(0, |s| s.abandoned.len());
    let Some(judgement) = measure.judge(acc, &names, projects, &scenario.practical_differences())
    else {
        return Err(CliError::Failure(format!(
            "{} is undefined for every strategy",
            measure.name()
        )));
    };
    let rows: Vec<Row> = judgement
        .rows
        .iter()
        .map(|ranked| {
            let i = names
                .iter()
                .position(|n| *n == ranked.strategy)
                .unwrap_or(baseline);
            let own = measure.estimate(acc, i);
            let (vs_baseline, _) = measure.difference(acc, i, baseline);
            Row {
                metric: judgement.metric.clone(),
                rank: ranked.rank,
                strategy: ranked.strategy.clone(),
                mean: own.mean,
                ci_low: own.low,
                ci_high: own.high,
                vs_baseline: vs_baseline.mean,
                vs_baseline_ci_low: vs_baseline.low,
                vs_baseline_ci_high: vs_baseline.high,
                vs_best: ranked.to_best.mean,
                vs_best_ci_low: ranked.to_best.low,
                vs_best_ci_high: ranked.to_best.high,
                verdict: ranked.verdict.label(),
                p_best: robust.as_ref().map(|(_, q)| q.decisions[i].p_best),
                p_beats_baseline: robust.as_ref().map(|(_, q)| q.decisions[i].p_beats_none),
            }
        })
        .collect();
    let robustness = robust.map(|(sets, q)| {
        let top = &scenario.strategies[q.top].name;
        (sets, q.switch.as_ref().map(|switch| switch.sentence(top)))
    });
    Ok(Ranking {
        description: measure.0.description(),
        judgement,
        rows,
        baseline: scenario.strategies[baseline].name.clone(),
        replications: acc.replications(),
        seed: RunConfig::from_scenario(scenario).seed,
        format,
        precision,
        robustness,
    })
}

fn interval(mean: f64, low: f64, high: f64) -> String {
    if mean.is_nan() {
        return "—".into();
    }
    format!("{} ({} to {})", short(mean), short(low), short(high))
}

fn short(value: f64) -> String {
    if value.abs() >= 1_000.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.4}")
    }
}

fn print_table(
    judgement: &Judgement,
    description: &str,
    rows: &[Row],
    baseline: &str,
    replications: u64,
    robustness: Option<(usize, Option<String>)>,
) {
    let direction = if judgement.higher_is_better {
        "higher is better"
    } else {
        "lower is better"
    };
    let description = if description.is_empty() {
        String::new()
    } else {
        format!(" {description}")
    };
    println!(
        "{}:{description} ({direction}); {replications} replications, {} 95% intervals; practically equal: behind by less than {}",
        judgement.metric,
        if judgement.paired {
            "paired"
        } else {
            "unpaired"
        },
        judgement.threshold.words()
    );
    let uncertain = robustness.is_some();
    println!(
        "{:<5}{:<22}{:>34}{:>36}{:>36}{}  verdict",
        "rank",
        "strategy",
        "mean",
        format!("difference to {baseline}"),
        "difference to best",
        if uncertain { "   P(best)" } else { "" }
    );
    for row in rows {
        // A strategy identical to the best shares each set's credit with it: neither is
        // better, so no share is shown.
        let p_best = match row.p_best {
            None => String::new(),
            Some(_) if row.verdict == Verdict::Identical.label() => format!("{:>10}", "—"),
            Some(p) => format!("{:>9.0}%", 100.0 * p),
        };
        println!(
            "{:<5}{:<22}{:>34}{:>36}{:>36}{p_best}  {}",
            row.rank,
            row.strategy,
            interval(row.mean, row.ci_low, row.ci_high),
            interval(
                row.vs_baseline,
                row.vs_baseline_ci_low,
                row.vs_baseline_ci_high
            ),
            interval(row.vs_best, row.vs_best_ci_low, row.vs_best_ci_high),
            row.verdict
        );
    }
    if let Some((sets, change)) = robustness {
        println!(
            "\nP(best): the share of {sets} parameter sets (the scenario's [uncertainty] table) in which the strategy has the best mean; the intervals are Monte Carlo intervals over all of them."
        );
        if let Some(change) = change {
            println!("What would change the answer: {change}");
        }
    }
    println!("\n{}", judgement.sentence());
}
