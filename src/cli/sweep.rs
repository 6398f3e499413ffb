//! `fundsim sweep`: one or two numeric scenario fields over a grid, every point with the
//! same seed (common random numbers across points); a tidy CSV and a line chart (one
//! parameter) or heat maps (two).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::common::SimulationArgs;
use super::interrupt::Interrupt;
use super::merge::Merged;
use super::sensitivity::{
    Share, design_destination, design_job, file_safe, resolve_outputs, setup, strategy_filter,
    write_csv, write_design_shard,
};
use super::shard::ShardArg;
use crate::analysis::sweep::{self, Axis, SweepResult};
use crate::output::{StagedRun, tables::number};
use crate::plot::sensitivity::{Heading, Whisker, render};
use crate::plot::sweep::{SweepChart, SweepSeries, compact};
use crate::stats::Estimate;

#[derive(Debug, Args)]
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
    /// Output folder [default: outputs/<scenario>-sweep/run-NNN].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no table on stdout.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write the table only, no charts.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub shard: ShardArg,
}

pub fn execute(args: SweepArgs) -> Result<(), CliError> {
    execute_with(args, None)
}

/// Sweeps, or with `merged` (the estimates of every grid point, from the shards of
/// `fundsim merge`) writes the sweep's folder from them instead of simulating.
pub(super) fn execute_with(
    args: SweepArgs,
    merged: Option<Merged<Vec<Vec<Estimate>>>>,
) -> Result<(), CliError> {
    let started = Instant::now();
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
    let setup = setup(
        (&args.simulation).into(),
        "stf",
        |scenario| scenario.run.replications,
        strategy_filter(&args.strategies, &[]),
    )?;
    if let Some(merged) = &merged {
        merged.check_scenario(&setup.loaded.origin, &setup.loaded.scenario.hash())?;
    }
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
    let job = match args.shard.shard {
        Some(_) => Some(design_job("sweep", &setup)?),
        None => None,
    };
    let destination = design_destination(
        args.shard.shard,
        args.out.clone(),
        args.force,
        &setup.loaded.scenario.name,
        "sweep",
    )?;
    let interrupt = Interrupt::install()?;
    let staged = interrupt.stage(|| StagedRun::prepare(destination))?;
    let estimates = Share::new(args.shard.shard, merged.map(|m| m.state)).estimates(
        (points.len(), outputs.len()),
        &setup.pool,
        &interrupt,
        args.quiet,
        "sweep points",
        |range, progress, cancel| {
            sweep::evaluate(model, &axes, &points[range], &outputs, progress, cancel)
        },
    )?;
    let writing = interrupt.writing()?; // a stop signal now waits for the folder
    if let (Some(spec), Some(job)) = (args.shard.shard, job) {
        return write_design_shard(
            (staged, writing),
            job,
            spec,
            points.len(),
            &estimates,
            args.quiet,
            started,
        );
    }
    let result = SweepResult {
        axes,
        points,
        estimates,
    };

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
    write_csv(&staged, "sweep.csv", &header, &rows)?;
    let mut files = vec!["sweep.csv".to_string()];
    let mut metrics: Vec<String> = Vec::new();
    for label in &labels {
        if !metrics.contains(&label.metric) {
            metrics.push(label.metric.clone());
        }
    }
    if !args.no_charts {
        for metric in &metrics {
            let chart = SweepChart {
                heading: Heading {
                    title: format!("{metric} over {}", paths(&result.axes)),
                    subtitle: format!(
                        "Scenario “{}”: each point {} replications with the same seed",
                        setup.loaded.scenario.name, model.replications
                    ),
                    source: format!(
                        "Source: fundsim {} sweep · scenario “{}” · seed {} · {} replications per point · bands: 95% intervals of the mean",
                        crate::VERSION,
                        setup.loaded.scenario.name,
                        model.seed,
                        model.replications
                    ),
                },
                axis_titles: result.axes.iter().map(|a| a.path.clone()).collect(),
                axes: result.axes.iter().map(|a| a.values.clone()).collect(),
                outcome: metric.clone(),
                series: labels
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| &l.metric == metric)
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
        }
    }
    let manifest = serde_json::json!({
        "fundsim_version": crate::VERSION,
        "command": "sweep",
        "scenario_origin": setup.loaded.origin,
        "scenario_hash": setup.loaded.scenario.hash(),
        "seed": model.seed,
        "replications_per_point": model.replications,
        "axes": result.axes.iter().map(|a| serde_json::json!({"path": a.path, "values": a.values})).collect::<Vec<_>>(),
        "metrics": metrics,
        "files": files,
    });
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failure(e.to_string()))?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    if !args.quiet {
        let metric = &metrics[0];
        println!(
            "{metric} (mean and 95% interval; {} replications per point, same seed at every point)",
            model.replications
        );
        let point_width = 16 * result.axes.len();
        print!("{:<point_width$}", paths(&result.axes));
        let columns: Vec<usize> = (0..labels.len())
            .filter(|&o| &labels[o].metric == metric)
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

fn paths(axes: &[Axis]) -> String {
    axes.iter()
        .map(|a| a.path.as_str())
        .collect::<Vec<_>>()
        .join(" × ")
}
