//! `fundsim run`: simulate a scenario and write its run folder.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use super::checkpoint::Checkpoints;
use super::common::{Prepared, SimulationArgs};
use super::merge::Merged;
use super::shard::{self, ShardArg, ShardSpec};
use crate::engine::{self, BLOCK_SIZE, BlockTree, RunConfig, RunResult};
use crate::output::shard::Job;
use crate::output::{Destination, Manifest, StagedRun, TABLES, write_tables};
use crate::scenario::Scenario;
use crate::stats::Metric;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Output folder [default: outputs/<scenario>/run-NNN, numbered]; with --shard, the
    /// shard folder (required).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no results table.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write the tables only: no charts/ and no report.html (render them later with
    /// `fundsim plot` and `fundsim report`).
    #[arg(long)]
    pub no_charts: bool,
    /// Keep adding replications (from --replications, in whole blocks of 16) until the 95%
    /// interval of METRIC is at most ±HALF_WIDTH for every strategy, e.g.
    /// survival_at_horizon=0.005; the result equals a run of the final size.
    #[arg(long, value_name = "METRIC=HALF_WIDTH")]
    pub precision: Option<String>,
    /// The most replications --precision may run [default: 100000].
    #[arg(long)]
    pub max_replications: Option<u64>,
    #[command(flatten)]
    pub shard: ShardArg,
    /// Continue from the checkpoint that a stopped run of the same command left; the
    /// result equals an uninterrupted run's.
    #[arg(long)]
    pub resume: bool,
    /// Save the completed blocks this often, in seconds, so a stopped run can resume.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub checkpoint_every: f64,
}

pub fn execute(args: RunArgs) -> Result<(), CliError> {
    execute_with(args, None, "run")
}

/// Runs, or with `merged` (the blocks of every shard of the job, from `fundsim merge`)
/// writes the run folder of those blocks instead of simulating them. `command` is the
/// subcommand a shard is recorded as (`compare` shards are run shards that merge into a
/// comparison).
pub(super) fn execute_with(
    args: RunArgs,
    merged: Option<Merged<BlockTree>>,
    command: &str,
) -> Result<(), CliError> {
    let interrupt = super::interrupt::Interrupt::install()?;
    let merging = merged.is_some();
    let Prepared {
        loaded,
        mut scenario,
        portfolio,
        pool,
    } = args.simulation.prepare(!merging)?;
    if let Some(merged) = &merged {
        merged.check_scenario(&loaded.origin, &scenario.hash())?;
    }
    let rule = super::precision::parse(
        args.precision.as_deref(),
        args.max_replications,
        &scenario,
        crate::analysis::precision::Target::EveryStrategy,
    )?;
    if rule.is_some() && (args.shard.shard.is_some() || args.resume) {
        return Err(CliError::Usage(
            "--precision decides the number of replications as it goes, so it cannot be split with --shard or resumed with --resume".into(),
        ));
    }
    let destination = match args.shard.shard {
        Some(_) => shard::destination(args.out.as_deref(), args.force)?,
        None => run_destination(args.out.clone(), args.force, &scenario),
    };
    // The output location is checked before the simulation, so a bad one fails fast.
    let staged = interrupt.stage(|| StagedRun::prepare(destination.clone()))?;
    let config = RunConfig::from_scenario(&scenario);
    let spec = args.shard.shard.unwrap_or(ShardSpec { index: 0, count: 1 });
    let job = Job {
        command: command.into(),
        arguments: shard::job_arguments(),
        working_dir: shard::working_dir()?,
        scenario_origin: loaded.origin.clone(),
        scenario_hash: scenario.hash(),
        seed: config.seed,
        replications: config.replications,
    };
    if !(args.checkpoint_every.is_finite() && args.checkpoint_every >= 0.0) {
        return Err(CliError::Usage(format!(
            "--checkpoint-every {}: expected a number of seconds, 0 or more",
            args.checkpoint_every
        )));
    }
    let every = Duration::from_secs_f64(args.checkpoint_every);
    let mut checkpoints =
        (!merging && rule.is_none()).then(|| checkpoints_for(&destination, &job, spec, every));
    let started = Instant::now();
    let blocks = spec.share(config.blocks());
    let bar = progress_bar(
        (blocks.end - blocks.start) * BLOCK_SIZE,
        args.quiet || merging,
    );
    let result = match (merged, &checkpoints) {
        (Some(merged), _) => RunResult::from_tree(&scenario, portfolio, merged.state),
        (None, None) => {
            let (result, outcome) = pool
                .install(|| {
                    let progress = |done| bar.set_position(done);
                    let cancel = interrupt.cancel_flag();
                    super::precision::run(
                        rule.as_ref(),
                        &scenario,
                        portfolio,
                        &config,
                        &progress,
                        cancel,
                    )
                })
                .map_err(|e| interrupt.failed(e))?;
            if let Some(outcome) = outcome.as_ref().filter(|_| !args.quiet) {
                bar.suspend(|| eprintln!("{}", super::precision::describe(outcome)));
            }
            // A precision-driven run is recorded as the run of its final size it equals.
            scenario.run.replications = result.accumulator.replications();
            result
        }
        (None, Some(_)) => {
            let checkpoints = checkpoints.as_mut().expect("matched Some");
            let done = if args.resume {
                resumed(checkpoints, &blocks, args.quiet)
            } else {
                BlockTree::starting_at(blocks.start)
            };
            let cancel = interrupt.cancel_flag();
            let first = blocks.start;
            let on_progress = |tree: &BlockTree| {
                bar.set_position((tree.end_block() - first) * BLOCK_SIZE);
                checkpoints.save(tree, cancel.load(Ordering::SeqCst));
            };
            pool.install(|| {
                engine::run_blocks(
                    &scenario,
                    portfolio,
                    &config,
                    blocks.clone(),
                    done,
                    on_progress,
                    cancel,
                )
            })
            .map_err(|e| interrupt.failed_keeping(e, Some(checkpoints.path())))?
        }
    };
    bar.finish_and_clear();
    let simulated = started.elapsed().as_secs_f64();
    let writing = interrupt.writing()?; // a stop signal now waits for the folder
    let folder = match args.shard.shard {
        Some(spec) => {
            writing.check()?;
            shard::write(staged, job, spec, "blocks", config.blocks(), &result.tree)?
        }
        None => {
            let manifest =
                write_run_folder(&staged, &loaded.origin, &scenario, &result, args.no_charts)?;
            writing.check()?;
            staged.finish(&manifest)?
        }
    };
    writing.finished(&folder)?;
    if let Some(checkpoints) = &checkpoints {
        checkpoints.remove();
    }
    if !args.quiet {
        let what = match args.shard.shard {
            Some(spec) => format!("shard {}/{}: ", spec.index, spec.count),
            None if merging => "merged: ".into(),
            None => {
                print_results(&scenario, &result);
                "\n".into()
            }
        };
        println!(
            "{what}{} replications in {simulated:.1} s on {} threads; results in {}",
            result.tree.replications(),
            pool.current_num_threads(),
            folder.display()
        );
    }
    Ok(())
}

/// Where a run folder goes: `--out`, or the next numbered folder of the scenario.
fn run_destination(out: Option<PathBuf>, force: bool, scenario: &Scenario) -> Destination {
    match out {
        Some(path) => Destination::Explicit { path, force },
        None => Destination::Numbered {
            root: PathBuf::from("outputs"),
            scenario: scenario.name.clone(),
        },
    }
}

/// The checkpoints of `job`'s shard `spec` written to `destination`.
fn checkpoints_for(
    destination: &Destination,
    job: &Job,
    spec: ShardSpec,
    every: Duration,
) -> Checkpoints {
    let (parent, name) = match destination {
        Destination::Numbered { root, scenario } => (root.join(scenario), "numbered".to_string()),
        Destination::Explicit { path, .. } => (
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf),
            path.display().to_string(),
        ),
    };
    Checkpoints::new(&parent, &name, (&job.id(spec.count), spec.index), every)
}

/// The blocks a stopped run completed (`--resume`), or none, saying which.
fn resumed(checkpoints: &Checkpoints, blocks: &Range<u64>, quiet: bool) -> BlockTree {
    match checkpoints.load() {
        Ok(tree) if tree.first_block() == blocks.start && tree.end_block() <= blocks.end => {
            if !quiet {
                eprintln!(
                    "resuming from {}: {} replications already done",
                    checkpoints.path().display(),
                    tree.replications()
                );
            }
            tree
        }
        Ok(_) => {
            eprintln!(
                "warning: --resume: the checkpoint does not fit this run; starting from the beginning"
            );
            BlockTree::starting_at(blocks.start)
        }
        Err(reason) => {
            // A first attempt has nothing to resume (e.g. a Slurm task that always
            // passes --resume): only worth saying when asked to talk.
            if !quiet || checkpoints.path().exists() {
                eprintln!("warning: --resume: {reason}; starting from the beginning");
            }
            BlockTree::starting_at(blocks.start)
        }
    }
}

/// Writes the tables, charts and brief of a run into `staged`; returns the manifest to
/// finish the folder with.
///
/// # Errors
/// [`CliError`] when a file cannot be written.
fn write_run_folder(
    staged: &StagedRun,
    origin: &str,
    scenario: &Scenario,
    result: &RunResult,
    no_charts: bool,
) -> Result<Vec<u8>, CliError> {
    write_tables(staged, scenario, result)?;
    let manifest_with = |files: Vec<&'static str>| {
        let manifest = Manifest {
            fundsim_version: crate::VERSION,
            scenario_origin: origin,
            scenario_hash: scenario.hash(),
            seed: scenario.run.seed,
            replications: scenario.run.replications,
            files,
            scenario,
        };
        serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failure(e.to_string()))
    };
    let mut files: Vec<&'static str> = TABLES.iter().map(|(name, _)| *name).collect();
    if !no_charts {
        // Charts and brief are drawn from the tables just written, exactly as
        // `fundsim plot` and `fundsim report` draw them from a finished folder.
        let provisional = manifest_with(files.clone())?;
        match super::plot::render_folder(staged.staging_path(), &provisional) {
            Ok(rendered) => {
                for (name, bytes) in &rendered {
                    staged.write(name, bytes)?;
                }
                files.extend(rendered.iter().map(|(name, _)| *name));
            }
            // The simulation's tables are complete; a drawing failure must not lose them.
            Err(error) => eprintln!(
                "warning: charts and report not written ({error}); the tables are complete: render them with `fundsim plot` and `fundsim report`"
            ),
        }
    }
    manifest_with(files)
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating [{bar:40}] {pos}/{len} replications, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// The short results table on stdout.
fn print_results(scenario: &Scenario, result: &RunResult) {
    let n = scenario.fund.horizon_months;
    println!(
        "{:<22} {:>24} {:>24} {:>14} {:>14}",
        "strategy",
        format!("survival at {n} mo"),
        "usage-weighted survival",
        "abandonments",
        "paid (EUR M)"
    );
    for (strategy, acc) in scenario
        .strategies
        .iter()
        .zip(&result.accumulator.strategies)
    {
        let share = |metric: Metric| {
            let stat = acc.metric(metric);
            let (low, high) = stat.ci95();
            format!(
                "{:.1}% ({:.1}–{:.1})",
                100.0 * stat.mean,
                100.0 * low,
                100.0 * high
            )
        };
        println!(
            "{:<22} {:>24} {:>24} {:>14.2} {:>14.2}",
            strategy.name,
            share(Metric::SurvivalAtHorizon),
            share(Metric::WeightedSurvivalAtHorizon),
            acc.metric(Metric::Abandonments).mean,
            acc.metric(Metric::TotalPaidEur).mean / 1e6
        );
    }
}
