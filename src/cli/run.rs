//! `fundsim run`: simulate a scenario and write its run folder.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::args::{OutputArgs, SimulationArgs, UncertaintyArgs};
use super::checkpoint::Checkpoints;
use super::common::Prepared;
use super::error::CliError;
use super::interrupt::Interrupt;
use super::shard::{self, Merged, ShardArg, ShardSpec};
use super::staging::{self, Staged};
use crate::analysis::precision::PrecisionRule;
use crate::analysis::robustness::Robustness;
use crate::analysis::verdict::{Judgement, Measure};
use crate::engine::{self, BLOCK_SIZE, BlockTree, ParameterWorlds, RunConfig, RunResult};
use crate::output::per_replication::{PER_REPLICATION_TABLES, PerReplicationFiles};
use crate::output::shard::Job;
use crate::output::uncertainty::{UNCERTAINTY_TABLES, write_uncertainty_tables};
use crate::output::{Destination, Manifest, StagedRun, TABLES, write_tables};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;
use crate::stats::{Metric, Quantity, SetQuantity};

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |arg| arg.help(
        "Output folder [default: outputs/<scenario>/run-NNN, numbered]; with --shard, the shard folder (required)"
    )),
    mut_arg("no_charts", |arg| arg.help(
        "Write the tables only: no charts/ and no report.html (render them later with `fundsim plot` and `fundsim report`)"
    )),
)]
pub struct RunArgs {
    #[command(flatten)]
    pub simulation: SimulationArgs,
    #[command(flatten)]
    pub uncertainty: UncertaintyArgs,
    #[command(flatten)]
    pub output: OutputArgs,
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
    /// Also write replications.csv (every metric of every replication and strategy, with
    /// its parameter set) and lifetimes.csv (every project's time to first abandonment,
    /// event and covariates, for Cox models); not with --shard, --resume or --precision.
    #[arg(long)]
    pub per_replication: bool,
}

/// A run simulated (or merged from shards), its folder staged: what [`finish`] writes.
pub(super) struct Simulated {
    interrupt: Interrupt,
    staged: Staged,
    origin: String,
    /// As recorded: a precision-driven run has the replications it ended with.
    scenario: Scenario,
    result: RunResult,
    /// The share of the job this process computed, for a shard.
    shard: Option<(ShardSpec, Job)>,
    /// Blocks of the whole job.
    total_blocks: u64,
    merged: bool,
    checkpoints: Option<Checkpoints>,
    simulated_seconds: f64,
    threads: usize,
    /// The parameter sets of a run with uncertainty.
    parameters: Option<Arc<ParameterWorlds>>,
    /// The per-replication files being written (`--per-replication`).
    records: Option<Arc<PerReplicationFiles>>,
}

pub fn execute(args: RunArgs) -> Result<(), CliError> {
    let simulated = compute(&args, "run")?;
    finish(simulated, &args.output)
}

/// Simulates the run, or with `--shard` its share of the blocks, after staging its
/// folder (so a bad location fails before anything is simulated). `command` is the
/// subcommand a shard is recorded as (`compare` shards are run shards that merge into a
/// comparison).
///
/// # Errors
/// [`CliError`] for bad input, an unwritable location, a failed or stopped simulation.
pub(super) fn compute(args: &RunArgs, command: &str) -> Result<Simulated, CliError> {
    let interrupt = Interrupt::install()?;
    let Prepared {
        loaded,
        mut scenario,
        portfolio,
        pool,
        parameters,
        ..
    } = args
        .simulation
        .prepare(true)?
        .with_uncertainty(&args.uncertainty)?;
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
    if args.per_replication && (rule.is_some() || args.shard.shard.is_some() || args.resume) {
        return Err(CliError::Usage(
            "--per-replication writes every replication as the run goes, in one process from the start: it cannot be combined with --precision, --shard or --resume".into(),
        ));
    }
    let destination = destination(args.shard.shard, &args.output, &scenario)?;
    let staged = staging::stage(&interrupt, destination.clone(), args.output.quiet)?;
    let records = match args.per_replication {
        true => Some(Arc::new(PerReplicationFiles::create(
            staged.staging_path(),
            scenario.strategies.iter().map(|s| s.name.clone()).collect(),
            portfolio.projects.iter().map(|p| p.name.clone()).collect(),
            scenario.fund.horizon_months,
        )?)),
        false => None,
    };
    let config = RunConfig {
        parameter_worlds: parameters.clone(),
        records: records.clone().map(|r| r as Arc<dyn engine::RecordSink>),
        ..RunConfig::from_scenario(&scenario)
    };
    let spec = args.shard.shard.unwrap_or(ShardSpec { index: 0, count: 1 });
    let job = Job {
        command: command.into(),
        arguments: super::job::job_arguments(),
        working_dir: super::job::working_dir()?,
        scenario_origin: loaded.origin.clone(),
        scenario_hash: scenario.hash(),
        seed: config.seed,
        replications: config.replications,
    };
    let every = checkpoint_interval(args.checkpoint_every)?;
    let started = Instant::now();
    let quiet = args.output.quiet;
    let (result, checkpoints) = match &rule {
        Some(rule) => {
            let result = to_precision(
                &interrupt, rule, &scenario, &config, portfolio, &pool, quiet,
            )?;
            // A precision-driven run is recorded as the run of its final size it equals.
            scenario.run.replications = result.accumulator.replications();
            (result, None)
        }
        None => {
            let mut checkpoints = checkpoints_for(&destination, &job, spec, every);
            interrupt.keep_checkpoint(checkpoints.path());
            let blocks = spec.share(config.blocks());
            let done = if args.resume {
                resumed(&checkpoints, &blocks, quiet)
            } else {
                BlockTree::starting_at(blocks.start)
            };
            let run = BlockRun {
                scenario: &scenario,
                config: &config,
                blocks,
                done,
                quiet,
            };
            let result = run.simulate(&interrupt, portfolio, &pool, &mut checkpoints)?;
            (result, Some(checkpoints))
        }
    };
    Ok(Simulated {
        interrupt,
        staged,
        origin: loaded.origin,
        scenario,
        result,
        shard: args.shard.shard.map(|spec| (spec, job)),
        total_blocks: config.blocks(),
        merged: false,
        checkpoints,
        simulated_seconds: started.elapsed().as_secs_f64(),
        threads: pool.current_num_threads(),
        parameters,
        records,
    })
}

/// The run of the blocks of every shard of a job (from `fundsim merge`), its folder
/// staged at `output`: nothing is simulated.
///
/// # Errors
/// [`CliError::Usage`] when the scenario has changed since the shards ran, or for an
/// unwritable location.
pub(super) fn from_merged(
    args: &RunArgs,
    output: &OutputArgs,
    merged: Merged<BlockTree>,
) -> Result<Simulated, CliError> {
    let interrupt = Interrupt::install()?;
    let Prepared {
        loaded,
        scenario,
        portfolio,
        pool,
        parameters,
        ..
    } = args
        .simulation
        .prepare(false)?
        .with_uncertainty(&args.uncertainty)?;
    merged.check_scenario(&loaded.origin, &scenario.hash())?;
    let destination = destination(None, output, &scenario)?;
    let staged = staging::stage(&interrupt, destination, output.quiet)?;
    let total_blocks = RunConfig::from_scenario(&scenario).blocks();
    let result = RunResult::from_tree(&scenario, portfolio, merged.state);
    Ok(Simulated {
        interrupt,
        staged,
        origin: loaded.origin,
        scenario,
        result,
        shard: None,
        total_blocks,
        merged: true,
        checkpoints: None,
        simulated_seconds: 0.0,
        threads: pool.current_num_threads(),
        parameters,
        records: None,
    })
}

/// Writes the run folder (or the shard folder), moves it into place, removes the
/// checkpoint and, unless quiet, prints the results table and where they are.
///
/// # Errors
/// [`CliError`] when the folder cannot be written, or a stop signal came first.
pub(super) fn finish(run: Simulated, output: &OutputArgs) -> Result<(), CliError> {
    let robustness = run.parameters.as_deref().map(|worlds| {
        let robust = Robustness::of(
            &run.result.accumulator,
            worlds,
            run.scenario.baseline_index(),
        );
        (worlds, robust)
    });
    let writing = run.interrupt.writing()?; // a stop signal now waits for the folder
    let folder = match &run.shard {
        Some((spec, job)) => {
            writing.check()?;
            let tree = &run.result.tree;
            shard::write(
                run.staged,
                job.clone(),
                *spec,
                "blocks",
                run.total_blocks,
                tree,
            )?
        }
        None => {
            let per_replication = run.records.is_some();
            if let Some(records) = run.records {
                // The run is over: the engine holds no other reference to the files.
                let files = Arc::into_inner(records).ok_or_else(|| {
                    CliError::Failure("per-replication files still in use".into())
                })?;
                files.finish()?;
            }
            let manifest = write_run_folder(
                &run.staged,
                &run.origin,
                &run.scenario,
                &run.result,
                robustness.as_ref(),
                per_replication,
                output.no_charts,
            )?;
            writing.check()?;
            run.staged.finish(&manifest)?
        }
    };
    // The folder is in place: its checkpoint goes even if a stop signal came meanwhile.
    let finished = writing.finished(&folder);
    if let Some(checkpoints) = &run.checkpoints {
        checkpoints.remove();
    }
    finished?;
    if !output.quiet {
        let what = match &run.shard {
            Some((spec, _)) => format!("shard {}/{}: ", spec.index, spec.count),
            None if run.merged => "merged: ".into(),
            None => {
                print_results(
                    &run.scenario,
                    &run.result,
                    robustness.as_ref().map(|r| &r.1),
                );
                "\n".into()
            }
        };
        println!(
            "{what}{} replications in {:.1} s on {} threads; results in {}",
            run.result.tree.replications(),
            run.simulated_seconds,
            run.threads,
            folder.display()
        );
    }
    super::validate::warn_caveats(&run.scenario, &run.result, output.quiet);
    Ok(())
}

/// Where the folder goes: with `--shard`, the shard folder (`--out` is required);
/// otherwise `--out`, or the next numbered folder of the scenario.
fn destination(
    shard: Option<ShardSpec>,
    output: &OutputArgs,
    scenario: &Scenario,
) -> Result<Destination, CliError> {
    if shard.is_some() {
        return shard::destination(output.out.as_deref(), output.force);
    }
    Ok(match &output.out {
        Some(path) => Destination::Explicit {
            path: path.clone(),
            force: output.force,
        },
        None => Destination::Numbered {
            root: PathBuf::from("outputs"),
            scenario: scenario.name.clone(),
        },
    })
}

/// `--checkpoint-every` as a duration.
fn checkpoint_interval(seconds: f64) -> Result<Duration, CliError> {
    if !(seconds.is_finite() && seconds >= 0.0) {
        return Err(CliError::Usage(format!(
            "--checkpoint-every {seconds}: expected a number of seconds, 0 or more"
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The checkpoints of `job`'s shard `spec` written to `destination`; temporaries that a
/// stopped earlier attempt left beside them are removed.
fn checkpoints_for(
    destination: &Destination,
    job: &Job,
    spec: ShardSpec,
    every: Duration,
) -> Checkpoints {
    let name = match destination {
        Destination::Numbered { .. } => "numbered".to_string(),
        Destination::Explicit { path, .. } => path.display().to_string(),
    };
    let parent = staging::parent_of(destination);
    let checkpoints = Checkpoints::new(&parent, &name, (&job.id(spec.count), spec.index), every);
    crate::output::stale::clear_temporaries(checkpoints.path());
    checkpoints
}

/// Runs the scenario until `rule` is met, saying how it ended unless `quiet`.
fn to_precision(
    interrupt: &Interrupt,
    rule: &PrecisionRule,
    scenario: &Scenario,
    config: &RunConfig,
    portfolio: Portfolio,
    pool: &rayon::ThreadPool,
    quiet: bool,
) -> Result<RunResult, CliError> {
    let bar = progress_bar(config.blocks() * BLOCK_SIZE, quiet);
    let (result, outcome) = pool
        .install(|| {
            let progress = |done| bar.set_position(done);
            let cancel = interrupt.cancel_flag();
            super::precision::run(Some(rule), scenario, portfolio, config, &progress, cancel)
        })
        .map_err(|e| interrupt.failed(e))?;
    if let Some(outcome) = outcome.as_ref().filter(|_| !quiet) {
        bar.suspend(|| eprintln!("{}", super::precision::describe(outcome)));
    }
    bar.finish_and_clear();
    Ok(result)
}

/// The blocks a process simulates, saving its progress as it goes.
struct BlockRun<'a> {
    scenario: &'a Scenario,
    config: &'a RunConfig,
    blocks: Range<u64>,
    /// The blocks done before (a resumed checkpoint), or none.
    done: BlockTree,
    quiet: bool,
}

impl BlockRun<'_> {
    fn simulate(
        self,
        interrupt: &Interrupt,
        portfolio: Portfolio,
        pool: &rayon::ThreadPool,
        checkpoints: &mut Checkpoints,
    ) -> Result<RunResult, CliError> {
        let first = self.blocks.start;
        let bar = progress_bar((self.blocks.end - first) * BLOCK_SIZE, self.quiet);
        let cancel = interrupt.cancel_flag();
        let on_progress = |tree: &BlockTree| {
            bar.set_position((tree.end_block() - first) * BLOCK_SIZE);
            checkpoints.save(tree, cancel.load(Ordering::SeqCst));
        };
        let result = pool
            .install(|| {
                engine::run_blocks(
                    self.scenario,
                    portfolio,
                    self.config,
                    self.blocks.clone(),
                    self.done,
                    on_progress,
                    cancel,
                )
            })
            .map_err(|e| interrupt.failed(e))?;
        bar.finish_and_clear();
        Ok(result)
    }
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

/// Writes the run folder of a finished run with `parameters` (the sets of a run with
/// uncertainty) into `staged`, as `fundsim run` does; returns the manifest to finish the
/// folder with. `fundsim serve` writes its downloads with it.
///
/// # Errors
/// [`CliError`] when a file cannot be written.
pub(super) fn write_run_folder_of(
    staged: &StagedRun,
    origin: &str,
    scenario: &Scenario,
    result: &RunResult,
    parameters: Option<&ParameterWorlds>,
    no_charts: bool,
) -> Result<Vec<u8>, CliError> {
    let robustness = parameters.map(|worlds| {
        let robust = Robustness::of(&result.accumulator, worlds, scenario.baseline_index());
        (worlds, robust)
    });
    write_run_folder(
        staged,
        origin,
        scenario,
        result,
        robustness.as_ref(),
        false,
        no_charts,
    )
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
    robustness: Option<&(&ParameterWorlds, Robustness)>,
    per_replication: bool,
    no_charts: bool,
) -> Result<Vec<u8>, CliError> {
    write_tables(staged, scenario, result)?;
    let mut files: Vec<&'static str> = TABLES.iter().map(|(name, _)| *name).collect();
    if per_replication {
        files.extend(PER_REPLICATION_TABLES);
    }
    if let Some((worlds, robustness)) = robustness {
        write_uncertainty_tables(staged, scenario, result, worlds, robustness)?;
        files.extend(UNCERTAINTY_TABLES);
    }
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

/// The verdicts on survival and on usage-weighted survival, in the words
/// of `compare`, `ranking.csv` and the brief ([`crate::analysis::verdict`]).
fn verdicts(scenario: &Scenario, result: &RunResult) -> Vec<(String, Judgement)> {
    let acc = &result.accumulator;
    let names: Vec<String> = scenario.strategies.iter().map(|s| s.name.clone()).collect();
    let projects = acc.strategies.first().map_or(0, |s| s.abandoned.len());
    let overrides = scenario.practical_differences();
    [
        (
            Metric::SurvivalAtHorizon,
            format!("Survival at {} mo", scenario.fund.horizon_months),
        ),
        (
            Metric::WeightedSurvivalAtHorizon,
            "Usage-weighted survival".to_string(),
        ),
    ]
    .into_iter()
    .filter_map(|(metric, label)| {
        let measure = Measure(Quantity::Metric(metric));
        Some((label, measure.judge(acc, &names, projects, &overrides)?))
    })
    .collect()
}

/// The short results table on stdout. A run with uncertainty adds, in square brackets,
/// the 5–95% range of the parameter sets' means, and each strategy's probability of being
/// best, with a legend that says which interval is which.
fn print_results(scenario: &Scenario, result: &RunResult, robustness: Option<&Robustness>) {
    let n = scenario.fund.horizon_months;
    let width = if robustness.is_some() { 30 } else { 24 };
    print!(
        "{:<22} {:>width$} {:>width$} {:>14} {:>14}",
        "strategy",
        format!("survival at {n} mo"),
        "usage-weighted survival",
        "abandonments",
        "paid (EUR M)"
    );
    println!(
        "{}",
        if robustness.is_some() {
            "   P(best)"
        } else {
            ""
        }
    );
    let survival = SetQuantity::Metric(Metric::SurvivalAtHorizon);
    let verdicts = verdicts(scenario, result);
    let identical = verdicts.first().is_some_and(|(_, j)| j.all_identical());
    for (index, (strategy, acc)) in scenario
        .strategies
        .iter()
        .zip(&result.accumulator.strategies)
        .enumerate()
    {
        let share = |metric: Metric| {
            let stat = acc.metric(metric);
            let (low, high) = stat.ci95();
            let mut text = format!(
                "{:.1}% ({:.1}–{:.1})",
                100.0 * stat.mean,
                100.0 * low,
                100.0 * high
            );
            if let Some(q) = robustness.and_then(|r| r.of_quantity(SetQuantity::Metric(metric))) {
                let spread = &q.spreads[index];
                // Identical strategies have no spread to correct for noise: no range.
                if spread.p05.is_finite() && spread.p95.is_finite() {
                    text.push_str(&format!(
                        " [{:.0}–{:.0}]",
                        100.0 * spread.p05,
                        100.0 * spread.p95
                    ));
                } else {
                    text.push_str(" [—]");
                }
            }
            text
        };
        print!(
            "{:<22} {:>width$} {:>width$} {:>14.2} {:>14.2}",
            strategy.name,
            share(Metric::SurvivalAtHorizon),
            share(Metric::WeightedSurvivalAtHorizon),
            acc.metric(Metric::Abandonments).mean,
            acc.metric(Metric::TotalPaidEur).mean / 1e6
        );
        match robustness.and_then(|r| r.of_quantity(survival)) {
            // Strategies that cannot differ share the sets' credit equally; no one is best.
            Some(_) if identical => println!("   {:>6}", "—"),
            Some(q) => println!("   {:>5.0}%", 100.0 * q.decisions[index].p_best),
            None => println!(),
        }
    }
    println!();
    for (label, judgement) in &verdicts {
        println!("{label}: {}", judgement.clause());
    }
    if let Some(robustness) = robustness {
        println!(
            "\n(…) 95% Monte Carlo interval of the mean; […] 5–95% range of the means across {} parameter sets\n(corrected for Monte Carlo noise); P(best): share of parameter sets in which the strategy has the highest survival at {n} mo.",
            robustness.sets
        );
        if let Some(switch) = robustness.of_quantity(survival).and_then(|q| {
            let top = &scenario.strategies[q.top].name;
            Some(q.switch.as_ref()?.sentence(top))
        }) {
            println!("What would change the answer: {switch}");
        }
    }
}
