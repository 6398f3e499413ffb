//! `fundsim sweep`: one or two numeric scenario fields over a grid, every point with the
//! same seed (common random numbers across points); a tidy CSV and a line chart (one
//! parameter) or heat maps (two).

use std::time::Instant;

use clap::Args;

use super::analysis_setup::{
    Label, Setup, Share, design_destination, design_job, file_safe, resolve_outputs, setup,
    strategy_filter, write_csv, write_design_shard,
};
use super::args::{OutputArgs, SimulationArgs};
use super::error::CliError;
use super::interrupt::Interrupt;
use super::shard::{Merged, ShardArg, ShardSpec};
use super::staging::{self, Staged};
use crate::analysis::sweep::{self, Axis, SweepResult};
use crate::output::manifest::{FolderManifest, SweepAxis, SweepManifest};
use crate::output::shard::Job;
use crate::output::tables::number;
use crate::plot::labels::{self, Outcome, ParameterAxis, compact};
use crate::plot::sensitivity::{Heading, Whisker, render};
use crate::plot::sweep::{SweepChart, SweepSeries};
use crate::stats::{Estimate, Output};

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |arg| arg.help("Output folder [default: outputs/<scenario>-sweep/run-NNN]")),
    mut_arg("quiet", |arg| arg.help("No progress bar and no table on stdout")),
    mut_arg("no_charts", |arg| arg.help("Write the table only, no charts")),
)]
pub struct SweepArgs {
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// A field to sweep, as PATH=FROM:TO:STEPS (STEPS values, both ends included), e.g.
    /// fund.budget_eur=5e6:50e6:10. Once or twice (a grid).
    #[arg(long = "param", required = true)]
    pub params: Vec<String>,
    /// Outcomes to tabulate (repeatable): a metric of summary.csv, a paired outcome,
    /// survival_year_N, weighted_survival_year_N, survival_by_year, …
    #[arg(long = "metric", default_values_t = ["weighted_survival_at_horizon".to_string()])]
    pub metrics: Vec<String>,
    /// Only these strategies (repeatable) [default: all].
    #[arg(long = "strategy")]
    pub strategies: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub shard: ShardArg,
}

/// The grid and what is read at each point: everything decided before a point is
/// evaluated.
struct Plan {
    setup: Setup,
    axes: Vec<Axis>,
    points: Vec<Vec<f64>>,
    outputs: Vec<Output>,
    labels: Vec<Label>,
}

/// A sweep whose points are evaluated (or merged from shards), its folder staged: what
/// [`finish`] writes.
pub(super) struct Swept {
    plan: Plan,
    interrupt: Interrupt,
    staged: Staged,
    /// For a shard: its share of the job.
    shard: Option<(ShardSpec, Job)>,
    estimates: Vec<Vec<Estimate>>,
    started: Instant,
}

pub fn execute(args: SweepArgs) -> Result<(), CliError> {
    let swept = compute(&args)?;
    finish(swept, &args.output)
}

/// Evaluates the grid's points (with `--shard`, this process's share of them), after
/// staging the folder.
///
/// # Errors
/// [`CliError`] for bad input, a job above the size limits, an unwritable location or
/// a failed or stopped evaluation.
pub(super) fn compute(args: &SweepArgs) -> Result<Swept, CliError> {
    let started = Instant::now();
    let plan = plan(args)?;
    let simulated = plan
        .setup
        .model
        .scenario(&[])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    plan.setup.check_size(
        &simulated,
        plan.points.len() as u64,
        ("sweep points", "the --param steps"),
    )?;
    let job = match args.shard.shard {
        Some(spec) => Some((spec, design_job("sweep", &plan.setup)?)),
        None => None,
    };
    let share = args.shard.shard.map_or(Share::All, Share::Shard);
    evaluate(plan, share, job, &args.output, started)
}

/// The sweep of the estimates of every point, from the shards of a job (`fundsim
/// merge`), its folder staged at `output`: nothing is simulated.
///
/// # Errors
/// [`CliError::Usage`] when the scenario has changed since the shards ran or the
/// estimates do not fit the grid.
pub(super) fn from_merged(
    args: &SweepArgs,
    output: &OutputArgs,
    merged: Merged<Vec<Vec<Estimate>>>,
) -> Result<Swept, CliError> {
    let started = Instant::now();
    let plan = plan(args)?;
    let loaded = &plan.setup.loaded;
    merged.check_scenario(&loaded.origin, &loaded.scenario.hash())?;
    evaluate(plan, Share::Merged(merged.state), None, output, started)
}

/// Parses the axes, checks both ends of each, resolves the outputs and lays out the grid.
fn plan(args: &SweepArgs) -> Result<Plan, CliError> {
    if args.params.len() > 2 {
        return Err(CliError::Usage(
            "--param may be given once or twice (a line or a grid)".into(),
        ));
    }
    let mut axes: Vec<Axis> = args
        .params
        .iter()
        .map(|p| Axis::parse(p))
        .collect::<Result<_, _>>()
        .map_err(CliError::Usage)?;
    if axes.len() == 2 && axes[0].path == axes[1].path {
        return Err(CliError::Usage("the two --param paths must differ".into()));
    }
    let replications = |scenario: &crate::scenario::Scenario| scenario.run.replications;
    let setup = setup(
        &args.simulation,
        "stf",
        (replications, "run.replications"),
        strategy_filter(&args.strategies, &[]),
    )?;
    let model = &setup.model;
    for axis in &mut axes {
        if model.is_integer_field(&axis.path) {
            axis.round();
        }
        // Check both ends before simulating anything.
        for &value in [axis.values[0], axis.values[axis.values.len() - 1]].iter() {
            model
                .scenario(&[(axis.path.as_str(), value)])
                .map_err(|e| CliError::Usage(format!("--param {}: {e}", axis.path)))?;
        }
    }
    let simulated = model
        .scenario(&[])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let (outputs, labels) = resolve_outputs(
        &setup.loaded,
        &simulated,
        &args.metrics,
        &args.strategies,
        &[],
    )?;
    let points = sweep::design(&axes).map_err(|e| CliError::Failure(e.to_string()))?;
    Ok(Plan {
        setup,
        axes,
        points,
        outputs,
        labels,
    })
}

/// Stages the folder at `output` and evaluates `share` of the points.
fn evaluate(
    plan: Plan,
    share: Share,
    shard: Option<(ShardSpec, Job)>,
    output: &OutputArgs,
    started: Instant,
) -> Result<Swept, CliError> {
    let destination = design_destination(
        shard.as_ref().map(|(spec, _)| *spec),
        output,
        &plan.setup.loaded.scenario.name,
        "sweep",
    )?;
    let interrupt = Interrupt::install()?;
    let staged = staging::stage(&interrupt, destination, output.quiet)?;
    let estimates = share.estimates(
        (plan.points.len(), plan.outputs.len()),
        &plan.setup.pool,
        &interrupt,
        output.quiet,
        "sweep points",
        |range, progress, cancel| {
            let points = &plan.points[range];
            sweep::evaluate(
                &plan.setup.model,
                &plan.axes,
                points,
                &plan.outputs,
                progress,
                cancel,
            )
        },
    )?;
    Ok(Swept {
        plan,
        interrupt,
        staged,
        shard,
        estimates,
        started,
    })
}

/// Writes the shard folder, or `sweep.csv`, the charts and the manifest, moves the
/// folder into place and, unless quiet, prints a table per metric.
///
/// # Errors
/// [`CliError`] when the folder cannot be written, or a stop signal came first.
pub(super) fn finish(swept: Swept, output: &OutputArgs) -> Result<(), CliError> {
    let writing = swept.interrupt.writing()?; // a stop signal now waits for the folder
    let Swept {
        plan,
        staged,
        shard,
        estimates,
        started,
        ..
    } = swept;
    if let Some((spec, job)) = shard {
        let points = plan.points.len();
        let quiet = output.quiet;
        return write_design_shard(
            (staged, writing),
            job,
            spec,
            points,
            &estimates,
            quiet,
            started,
        );
    }
    let Plan {
        setup,
        axes,
        points,
        labels,
        ..
    } = plan;
    let result = SweepResult {
        axes,
        points,
        estimates,
    };
    write_table(&result, &labels, &staged)?;
    let mut files = vec!["sweep.csv".to_string()];
    let mut metrics: Vec<String> = Vec::new();
    for label in &labels {
        if !metrics.contains(&label.metric) {
            metrics.push(label.metric.clone());
        }
    }
    if !output.no_charts {
        for metric in &metrics {
            draw_chart(&setup, &result, &labels, metric, &staged, &mut files)?;
        }
    }
    let model = &setup.model;
    let manifest = SweepManifest {
        fundsim_version: crate::VERSION.into(),
        command: SweepManifest::COMMAND.into(),
        scenario_origin: setup.loaded.origin.clone(),
        scenario_hash: setup.loaded.scenario.hash(),
        scenario_overrides: setup.overrides_given(),
        seed: model.seed,
        replications_per_point: model.replications,
        axes: result.axes.iter().map(SweepAxis::from).collect(),
        metrics: metrics.clone(),
        files,
    }
    .to_bytes()
    .map_err(|e| CliError::Failure(e.to_string()))?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    if !output.quiet {
        for (i, metric) in metrics.iter().enumerate() {
            if i > 0 {
                println!();
            }
            print_table(&setup, &result, &labels, metric);
        }
        println!(
            "\n{} points in {:.1} s on {} threads; results in {}",
            result.points.len(),
            started.elapsed().as_secs_f64(),
            setup.pool.current_num_threads(),
            folder.display()
        );
    }
    Ok(())
}

/// `sweep.csv`: one row per point, strategy and metric.
fn write_table(result: &SweepResult, labels: &[Label], staged: &Staged) -> Result<(), CliError> {
    let mut header: Vec<&str> = result.axes.iter().map(|a| a.path.as_str()).collect();
    header.extend(["strategy", "metric", "mean", "ci_low", "ci_high", "mcse"]);
    let mut rows = Vec::new();
    for (point, estimates) in result.points.iter().zip(&result.estimates) {
        for (label, e) in labels.iter().zip(estimates) {
            let mut row: Vec<String> = point.iter().map(|&v| number(v)).collect();
            row.extend([
                label.strategy.clone(),
                label.metric.clone(),
                number(e.mean),
                number(e.low),
                number(e.high),
                number(e.mcse),
            ]);
            rows.push(row);
        }
    }
    write_csv(staged, "sweep.csv", &header, &rows)
}

/// The chart of `metric` over the grid (PNG and SVG); one that cannot be drawn is
/// reported and left out.
fn draw_chart(
    setup: &Setup,
    result: &SweepResult,
    labels: &[Label],
    metric: &str,
    staged: &Staged,
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    let model = &setup.model;
    let name = &setup.loaded.scenario.name;
    let outcome = outcome_of(setup, metric);
    let axes: Vec<ParameterAxis> = result.axes.iter().map(parameter_axis).collect();
    let by: Vec<&str> = axes.iter().map(|a| a.phrase.as_str()).collect();
    let what_is_drawn = if result.axes.len() == 1 {
        "lines: mean over the replications; bands: 95% intervals of the mean"
    } else {
        "colour and numbers: mean over the replications"
    };
    let chart = SweepChart {
        heading: Heading {
            title: format!(
                "{}, by {}",
                labels::capitalise(&outcome.phrase),
                by.join(" and ")
            ),
            subtitle: format!(
                "Scenario “{name}”: the mean of {} replications at each grid point, the same seed at every point",
                model.replications
            ),
            source: format!(
                "Source: fundsim {} sweep · scenario “{name}” · seed {} · {} replications per point · {what_is_drawn}",
                crate::VERSION,
                model.seed,
                model.replications
            ),
        },
        axis_titles: axes.iter().map(|a| a.title.clone()).collect(),
        axis_formats: axes.iter().map(|a| a.format).collect(),
        axes: result.axes.iter().map(|a| a.values.clone()).collect(),
        outcome: outcome.title,
        format: outcome.format,
        series: labels
            .iter()
            .enumerate()
            .filter(|(_, l)| l.metric == metric)
            .map(|(o, l)| SweepSeries {
                label: l.strategy.clone(),
                colour_index: l.colour,
                values: result
                    .estimates
                    .iter()
                    .map(|row| Whisker {
                        value: row[o].mean,
                        low: row[o].low,
                        high: row[o].high,
                    })
                    .collect(),
            })
            .collect(),
    };
    match render(&chart) {
        Ok(rendered) => {
            let stem = format!("charts/sweep-{}", file_safe(metric));
            staged.write(&format!("{stem}.png"), &rendered.png)?;
            staged.write(&format!("{stem}.svg"), rendered.svg.as_bytes())?;
            files.push(format!("{stem}.png"));
            files.push(format!("{stem}.svg"));
        }
        Err(error) => eprintln!(
            "warning: the sweep chart of {metric} was not drawn ({error}); the table is complete"
        ),
    }
    Ok(())
}

/// The outcome `metric` as the charts name it (the horizon of the scenario as swept).
fn outcome_of(setup: &Setup, metric: &str) -> Outcome {
    let horizon = setup
        .model
        .scenario(&[])
        .map_or(setup.loaded.scenario.fund.horizon_months, |s| {
            s.fund.horizon_months
        });
    labels::outcome(metric, "", horizon)
}

/// A swept field as an axis names it, from the scenario field's description.
fn parameter_axis(axis: &Axis) -> ParameterAxis {
    let description = axis.path.split_once('.').map_or("", |(section, key)| {
        crate::report::parameter_description(section, key)
    });
    labels::parameter_axis(&axis.path, description, &axis.values)
}

/// The table of `metric` on stdout: one row per point, one column per strategy.
fn print_table(setup: &Setup, result: &SweepResult, labels: &[Label], metric: &str) {
    println!(
        "{metric}: {} (mean and 95% interval; {} replications per point, same seed at every point)",
        labels::capitalise(&outcome_of(setup, metric).phrase),
        setup.model.replications
    );
    let point_width = 16 * result.axes.len();
    print!("{:<point_width$}", paths(&result.axes));
    let columns: Vec<usize> = (0..labels.len())
        .filter(|&o| labels[o].metric == metric)
        .collect();
    for &o in &columns {
        print!("{:>28}", labels[o].strategy);
    }
    println!();
    for (point, estimates) in result.points.iter().zip(&result.estimates) {
        let at: Vec<String> = point.iter().map(|&v| compact(v)).collect();
        print!("{:<point_width$}", at.join(" × "));
        for &o in &columns {
            let e = estimates[o];
            print!(
                "{:>28}",
                format!("{:.4} ({:.4}–{:.4})", e.mean, e.low, e.high)
            );
        }
        println!();
    }
}

fn paths(axes: &[Axis]) -> String {
    axes.iter()
        .map(|a| a.path.as_str())
        .collect::<Vec<_>>()
        .join(" × ")
}
