//! `fundsim run`: simulate a scenario and write its run folder.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use crate::engine::{RunConfig, RunResult};
use crate::input::{load_portfolio, load_scenario};
use crate::output::{Destination, Manifest, StagedRun, TABLES, write_tables};
use crate::scenario::Scenario;
use crate::stats::Metric;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file, or the name of a built-in scenario [default: stf].
    pub scenario: Option<String>,
    /// Replications (overrides the scenario's run.replications).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Master seed (overrides the scenario's run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: RAYON_NUM_THREADS, or all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder [default: outputs/<scenario>/run-NNN, numbered].
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
    /// Run even when the run is estimated to take over an hour or 8 GB of memory (without
    /// it, such a run is refused with the estimate before anything is simulated).
    #[arg(long)]
    pub allow_large: bool,
    /// Keep adding replications (from --replications, in whole blocks of 16) until the 95%
    /// interval of METRIC is at most ±HALF_WIDTH for every strategy, e.g.
    /// survival_at_horizon=0.005; the result equals a run of the final size.
    #[arg(long, value_name = "METRIC=HALF_WIDTH")]
    pub precision: Option<String>,
    /// The most replications --precision may run [default: 100000].
    #[arg(long)]
    pub max_replications: Option<u64>,
}

pub fn execute(args: RunArgs) -> Result<(), CliError> {
    let interrupt = super::interrupt::Interrupt::install()?;
    let loaded = load_scenario(args.scenario.as_deref())?;
    let mut scenario = loaded.scenario.clone();
    if let Some(replications) = args.replications {
        if replications == 0 {
            return Err(CliError::Usage("--replications must be at least 1".into()));
        }
        scenario.run.replications = replications;
    }
    if let Some(seed) = args.seed {
        scenario.run.seed = seed;
    }
    let rule = super::precision::parse(
        args.precision.as_deref(),
        args.max_replications,
        &scenario,
        crate::sensitivity::precision::Target::EveryStrategy,
    )?;
    let limits = |portfolio| {
        let (origin, allow) = (&loaded.origin, args.allow_large);
        super::limits::check(origin, &scenario, portfolio, args.threads, allow)
    };
    limits(None)?; // before a synthetic portfolio is drawn
    let portfolio = load_portfolio(&loaded, scenario.run.seed)?;
    limits(Some(&portfolio))?;
    let destination = match args.out {
        Some(path) => Destination::Explicit {
            path,
            force: args.force,
        },
        None => Destination::Numbered {
            root: PathBuf::from("outputs"),
            scenario: scenario.name.clone(),
        },
    };
    // The output location is checked before the simulation, so a bad one fails fast.
    let staged = interrupt.stage(|| StagedRun::prepare(destination))?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        if threads == 0 {
            return Err(CliError::Usage("--threads must be at least 1".into()));
        }
        pool = pool.num_threads(threads);
    }
    let pool = pool
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start worker threads: {e}")))?;
    let config = RunConfig::from_scenario(&scenario);
    let bar = progress_bar(config.replications, args.quiet);
    let started = Instant::now();
    let cancel = interrupt.cancel_flag();
    let (result, precision) = pool
        .install(|| {
            super::precision::run(
                rule.as_ref(),
                &scenario,
                portfolio,
                &config,
                &|done| bar.set_position(done),
                cancel,
            )
        })
        .map_err(|e| interrupt.failed(e))?;
    bar.finish_and_clear();
    if let Some(outcome) = precision.as_ref().filter(|_| !args.quiet) {
        eprintln!("{}", super::precision::describe(outcome));
    }
    // A precision-driven run is recorded as the run of its final size it equals.
    scenario.run.replications = result.accumulator.replications();
    let config = RunConfig::from_scenario(&scenario);
    let writing = interrupt.writing()?; // a stop signal now waits for the folder
    let simulated = started.elapsed().as_secs_f64();

    write_tables(&staged, &scenario, &result)?;
    let manifest_with = |files: Vec<&'static str>| {
        let manifest = Manifest {
            fundsim_version: crate::VERSION,
            scenario_origin: &loaded.origin,
            scenario_hash: scenario.hash(),
            seed: config.seed,
            replications: config.replications,
            threads: pool.current_num_threads(),
            wall_time_seconds: started.elapsed().as_secs_f64(),
            files,
            scenario: &scenario,
        };
        serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failure(e.to_string()))
    };
    let mut files: Vec<&'static str> = TABLES.iter().map(|(name, _)| *name).collect();
    if !args.no_charts {
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
    let manifest = manifest_with(files)?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    if !args.quiet {
        print_results(&scenario, &result);
        println!(
            "\n{} replications in {simulated:.1} s on {} threads; results in {}",
            config.replications,
            pool.current_num_threads(),
            folder.display()
        );
    }
    Ok(())
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
