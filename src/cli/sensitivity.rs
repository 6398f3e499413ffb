//! `fundsim sensitivity`: Morris screening or Sobol indices of any set of outcomes over
//! the uncertain parameters of the scenario's `[sensitivity]` table. Also the setup the
//! analysis subcommands share (`sweep`, `target`): the scenario text as a model, the
//! outputs to read, the output folder and the progress bar.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use super::common::SimulationArgs;
use super::interrupt::{Interrupt, Writing};
use super::merge::Merged;
use super::shard::{self, ShardArg, ShardSpec};
use crate::analysis::{
    self as sensitivity, Method, ModelError, MonteCarloNoise, MorrisDesign, PortfolioSource,
    SaltelliDesign, ScenarioModel, sobol,
};
use crate::input::{LoadedScenario, load_scenario};
use crate::output::shard::Job;
use crate::output::{Destination, StagedRun, tables::number};
use crate::params::PortfolioSpec;
use crate::plot::sensitivity::{BarChart, BarKind, BarSeries, Heading, Whisker, render};
use crate::scenario::UncertainParameter;
use crate::scenario::{self, Scenario};
use crate::stats::Estimate;
use crate::stats::{Output, Quantity};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Morris elementary effects (μ*, σ): cheap screening, r·(k+1) design points.
    Morris,
    /// Sobol first-order and total indices (Saltelli sampling): N·(k+2) design points.
    Sobol,
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file, or the name of a built-in scenario [default: sensitivity]. It must
    /// have a [sensitivity] table.
    pub scenario: Option<String>,
    /// The method.
    #[arg(long, value_enum, default_value = "morris")]
    pub method: MethodArg,
    /// Outcomes to analyse (repeatable): any metric of summary.csv, a paired outcome,
    /// survival_year_N, weighted_survival_year_N, survival_by_year,
    /// weighted_survival_by_year [default: the table's `metrics`].
    #[arg(long = "metric")]
    pub metrics: Vec<String>,
    /// Analyse only these strategies (repeatable) [default: all].
    #[arg(long = "strategy")]
    pub strategies: Vec<String>,
    /// Also analyse each strategy's paired difference to this one (repeatable)
    /// [default: the no-funding baseline].
    #[arg(long)]
    pub versus: Vec<String>,
    /// Sobol base sample N, a power of two [default: the table's `samples`].
    #[arg(long)]
    pub samples: Option<u32>,
    /// Morris trajectories [default: the table's `trajectories`].
    #[arg(long)]
    pub trajectories: Option<u32>,
    /// Inner replications per design point, all with the same seed [default: the
    /// table's `replications`].
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Master seed (overrides the scenario's run.seed); also fixes the design and the
    /// bootstrap.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: RAYON_NUM_THREADS, or all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Output folder [default: outputs/<scenario>-<method>/run-NNN].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write the tables only, no charts.
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub shard: ShardArg,
}

/// A scenario ready for analysis.
pub(super) struct Setup {
    pub loaded: LoadedScenario,
    pub model: ScenarioModel,
    pub pool: rayon::ThreadPool,
}

/// The scenario and simulation options an analysis takes.
pub(super) struct Choice<'a> {
    pub scenario: Option<&'a str>,
    pub replications: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
}

impl<'a> From<&'a SimulationArgs> for Choice<'a> {
    fn from(args: &'a SimulationArgs) -> Self {
        Self {
            scenario: args.scenario.as_deref(),
            replications: args.replications,
            seed: args.seed,
            threads: args.threads,
        }
    }
}

/// Loads the scenario and its text, reads a CSV portfolio's bytes, and starts the pool.
pub(super) fn setup(
    simulation: Choice<'_>,
    default_scenario: &str,
    default_replications: impl FnOnce(&Scenario) -> u64,
    strategies: Option<Vec<String>>,
) -> Result<Setup, CliError> {
    let loaded = load_scenario(Some(simulation.scenario.unwrap_or(default_scenario)))?;
    let text = match loaded.origin.strip_prefix("built-in:") {
        Some(name) => scenario::builtin(name)
            .expect("a built-in scenario has text")
            .to_string(),
        None => std::fs::read_to_string(&loaded.origin)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", loaded.origin)))?,
    };
    let portfolio = match &loaded.scenario.portfolio {
        PortfolioSpec::Synthetic(_) => PortfolioSource::Synthetic,
        PortfolioSpec::Csv { path } => {
            let full = loaded.base_dir.join(path);
            let bytes = std::fs::read(&full).map_err(|e| {
                CliError::Usage(format!(
                    "cannot read the portfolio CSV {}: {e}",
                    full.display()
                ))
            })?;
            PortfolioSource::Csv {
                bytes,
                origin: full.display().to_string(),
            }
        }
    };
    let replications = simulation
        .replications
        .unwrap_or_else(|| default_replications(&loaded.scenario));
    if replications == 0 {
        return Err(CliError::Usage("--replications must be at least 1".into()));
    }
    let model = ScenarioModel {
        text,
        origin: loaded.origin.clone(),
        portfolio,
        seed: simulation.seed.unwrap_or(loaded.scenario.run.seed),
        replications,
        strategies,
    };
    let pool = super::common::worker_pool(simulation.threads)?;
    Ok(Setup {
        loaded,
        model,
        pool,
    })
}

/// The strategies to simulate: the chosen ones and those compared with (the baseline is
/// always simulated); `None` for all.
pub(super) fn strategy_filter(chosen: &[String], versus: &[String]) -> Option<Vec<String>> {
    if chosen.is_empty() {
        return None;
    }
    let mut names: Vec<String> = chosen.to_vec();
    for name in versus {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    Some(names)
}

/// What an output is called in tables, and its colour.
#[derive(Debug, Clone)]
pub(super) struct Label {
    pub metric: String,
    pub strategy: String,
    /// Empty for a level; the other strategy for a paired difference.
    pub versus: String,
    /// Index of the strategy in the full scenario (its colour in every chart).
    pub colour: usize,
    pub time_resolved: bool,
}

impl Label {
    /// A column name for wide tables: `strategy:metric` or `strategy-versus:metric`.
    pub fn column(&self) -> String {
        if self.versus.is_empty() {
            format!("{}:{}", self.strategy, self.metric)
        } else {
            format!("{}-{}:{}", self.strategy, self.versus, self.metric)
        }
    }
}

/// Resolves metric names and strategies into outputs of the simulated scenario.
pub(super) fn resolve_outputs(
    loaded: &LoadedScenario,
    simulated: &Scenario,
    metrics: &[String],
    chosen: &[String],
    versus: &[String],
) -> Result<(Vec<Output>, Vec<Label>), CliError> {
    let mut quantities = Vec::new();
    for name in metrics {
        let list = Quantity::parse_list(name, simulated.fund.horizon_months)
            .map_err(|problem| CliError::Usage(format!("--metric {name:?} {problem}")))?;
        for quantity in list {
            if !quantities.contains(&quantity) {
                quantities.push(quantity);
            }
        }
    }
    let index_of = |name: &str| {
        simulated
            .strategies
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = simulated
                    .strategies
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                CliError::Usage(format!(
                    "no strategy {name:?} in the scenario (it has {})",
                    known.join(", ")
                ))
            })
    };
    let colour = |name: &str| {
        loaded
            .scenario
            .strategies
            .iter()
            .position(|s| s.name == name)
            .unwrap_or(0)
    };
    let strategies: Vec<usize> = if chosen.is_empty() {
        (0..simulated.strategies.len()).collect()
    } else {
        chosen
            .iter()
            .map(|name| index_of(name))
            .collect::<Result<_, _>>()?
    };
    let versus: Vec<usize> = versus
        .iter()
        .map(|name| index_of(name))
        .collect::<Result<_, _>>()?;
    let mut outputs = Vec::new();
    let mut labels = Vec::new();
    for &quantity in &quantities {
        let mut push = |strategy: usize, against: Option<usize>| {
            let name = &simulated.strategies[strategy].name;
            outputs.push(Output {
                quantity,
                strategy,
                versus: against,
            });
            labels.push(Label {
                metric: quantity.name(),
                strategy: name.clone(),
                versus: against.map_or_else(String::new, |v| simulated.strategies[v].name.clone()),
                colour: colour(name),
                time_resolved: quantity.is_time_resolved(),
            });
        };
        for &strategy in &strategies {
            push(strategy, None);
        }
        for &against in &versus {
            for &strategy in strategies.iter().filter(|&&s| s != against) {
                push(strategy, Some(against));
            }
        }
    }
    Ok((outputs, labels))
}

/// A progress bar over `total` steps, hidden when quiet or not on a terminal.
pub(super) fn progress_bar(total: u64, quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}}, {{eta}} left"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// The output folder: `--out`, or `outputs/<scenario>-<kind>/run-NNN`.
pub(super) fn destination(
    out: Option<PathBuf>,
    force: bool,
    scenario: &str,
    kind: &str,
) -> Destination {
    match out {
        Some(path) => Destination::Explicit { path, force },
        None => Destination::Numbered {
            root: PathBuf::from("outputs"),
            scenario: format!("{scenario}-{kind}"),
        },
    }
}

/// The folder a design's points are written to: with `--shard`, the shard folder (`--out`
/// is required); otherwise `--out`, or `outputs/<scenario>-<kind>/run-NNN`.
pub(super) fn design_destination(
    shard: Option<ShardSpec>,
    out: Option<PathBuf>,
    force: bool,
    scenario: &str,
    kind: &str,
) -> Result<Destination, CliError> {
    match shard {
        Some(_) => shard::destination(out.as_deref(), force),
        None => Ok(destination(out, force, scenario, kind)),
    }
}

/// Which points of a design this process evaluates. The one place where `sweep` and
/// `sensitivity` evaluate their design points, whole, sharded or merged.
pub(super) enum Share {
    /// Every point.
    All,
    /// Shard K of N: its contiguous share of the points (the other shards evaluate the
    /// rest).
    Shard(ShardSpec),
    /// None: the estimates of every point, from the shards (`fundsim merge`).
    Merged(Vec<Vec<Estimate>>),
}

impl Share {
    pub fn new(shard: Option<ShardSpec>, merged: Option<Vec<Vec<Estimate>>>) -> Self {
        match (merged, shard) {
            (Some(estimates), _) => Self::Merged(estimates),
            (None, Some(spec)) => Self::Shard(spec),
            (None, None) => Self::All,
        }
    }

    /// The estimates of this process's points of a design of `points` points, with
    /// `outputs` estimates each, in point order: `evaluate` (given the range of points,
    /// a progress callback and a cancel flag) runs in `pool` behind a progress bar of
    /// `what`, stopped by Ctrl-C or a termination signal (`interrupt`); merged estimates
    /// are checked to cover the design and simulate nothing.
    ///
    /// # Errors
    /// [`CliError::Usage`] when merged estimates do not fit the design,
    /// [`CliError::Failure`] when an evaluation fails.
    pub fn estimates(
        self,
        (points, outputs): (usize, usize),
        pool: &rayon::ThreadPool,
        interrupt: &Interrupt,
        quiet: bool,
        what: &str,
        evaluate: impl FnOnce(
            Range<usize>,
            &(dyn Fn(u64) + Sync),
            &AtomicBool,
        ) -> Result<Vec<Vec<Estimate>>, ModelError>
        + Send,
    ) -> Result<Vec<Vec<Estimate>>, CliError> {
        let range = match self {
            Self::Merged(estimates) => {
                if estimates.len() != points {
                    return Err(CliError::Usage(format!(
                        "the shards hold {} design points, the design has {points}; compute the shards again",
                        estimates.len()
                    )));
                }
                if let Some(row) = estimates.iter().find(|row| row.len() != outputs) {
                    return Err(CliError::Usage(format!(
                        "the shards hold {} outputs per design point, the job has {outputs}; compute the shards again",
                        row.len()
                    )));
                }
                return Ok(estimates);
            }
            Self::All => 0..points,
            Self::Shard(spec) => {
                let share = spec.share(points as u64);
                share.start as usize..share.end as usize
            }
        };
        let bar = progress_bar(range.len() as u64, quiet, what);
        let cancel = interrupt.cancel_flag();
        let estimates = pool
            .install(|| evaluate(range, &|done| bar.set_position(done), cancel))
            .map_err(|e| interrupt.failed(e))?;
        bar.finish_and_clear();
        Ok(estimates)
    }
}

/// The job a shard of `command` (`sweep` or `sensitivity`) belongs to.
///
/// # Errors
/// [`CliError::Failure`] when the working folder cannot be determined.
pub(super) fn design_job(command: &str, setup: &Setup) -> Result<Job, CliError> {
    Ok(Job {
        command: command.into(),
        arguments: shard::job_arguments(),
        working_dir: shard::working_dir()?,
        scenario_origin: setup.loaded.origin.clone(),
        scenario_hash: setup.loaded.scenario.hash(),
        seed: setup.model.seed,
        replications: setup.model.replications,
    })
}

/// Writes shard `spec`'s estimates of a design of `points` points as a shard folder, and
/// says so unless `quiet`.
///
/// # Errors
/// [`CliError::Failure`] when the folder cannot be written.
pub(super) fn write_design_shard(
    (staged, writing): (StagedRun, Writing),
    job: Job,
    spec: ShardSpec,
    points: usize,
    estimates: &[Vec<Estimate>],
    quiet: bool,
    started: Instant,
) -> Result<(), CliError> {
    writing.check()?;
    let folder = shard::write(staged, job, spec, "points", points as u64, &estimates)?;
    writing.finished(&folder)?;
    if !quiet {
        let share = spec.share(points as u64);
        println!(
            "shard {}/{}: design points {}..{} of {points} in {:.1} s; results in {}",
            spec.index,
            spec.count,
            share.start,
            share.end,
            started.elapsed().as_secs_f64(),
            folder.display()
        );
    }
    Ok(())
}

/// A name safe in a file name.
pub(super) fn file_safe(name: &str) -> String {
    crate::plot::sensitivity::file_safe(name)
}

fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, CliError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| CliError::Failure(e.to_string());
    writer.write_record(header).map_err(fail)?;
    for row in rows {
        writer.write_record(row).map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| CliError::Failure(e.to_string()))
}

pub(super) fn write_csv(
    staged: &StagedRun,
    name: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<(), CliError> {
    let header: Vec<String> = header.iter().map(|h| (*h).to_string()).collect();
    staged.write(name, &csv_bytes(&header, rows)?)?;
    Ok(())
}

pub(super) fn write_wide_csv(
    staged: &StagedRun,
    name: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<(), CliError> {
    staged.write(name, &csv_bytes(header, rows)?)?;
    Ok(())
}

fn write_listed(
    staged: &StagedRun,
    files: &mut Vec<String>,
    name: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<(), CliError> {
    write_csv(staged, name, header, &rows)?;
    files.push(name.to_string());
    Ok(())
}

pub fn execute(args: SensitivityArgs) -> Result<(), CliError> {
    execute_with(args, None)
}

/// Runs the analysis, or with `merged` (the estimates of every design point, from the
/// shards of `fundsim merge`) writes its folder from them instead of simulating.
pub(super) fn execute_with(
    args: SensitivityArgs,
    merged: Option<Merged<Vec<Vec<Estimate>>>>,
) -> Result<(), CliError> {
    let started = Instant::now();
    let simulation = Choice {
        scenario: args.scenario.as_deref(),
        replications: args.replications,
        seed: args.seed,
        threads: args.threads,
    };
    let mut setup = setup(
        simulation,
        "sensitivity",
        |scenario| {
            scenario
                .sensitivity
                .as_ref()
                .map_or(crate::scenario::sensitivity::DEFAULT_REPLICATIONS, |s| {
                    s.replications
                })
        },
        None,
    )?;
    let Some(spec) = setup.loaded.scenario.sensitivity.clone() else {
        return Err(CliError::Usage(format!(
            "{} has no [sensitivity] table: declare the uncertain parameters there (see docs/sensitivity.md, or the built-in scenario `sensitivity`)",
            setup.loaded.origin
        )));
    };
    if let Some(merged) = &merged {
        merged.check_scenario(&setup.loaded.origin, &setup.loaded.scenario.hash())?;
    }
    let baseline = setup.loaded.scenario.baseline_index();
    let versus = if args.versus.is_empty() {
        vec![setup.loaded.scenario.strategies[baseline].name.clone()]
    } else {
        args.versus.clone()
    };
    setup.model.strategies = strategy_filter(&args.strategies, &versus);
    let model = &setup.model;
    let simulated = model
        .scenario(&[])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let metrics = if args.metrics.is_empty() {
        spec.metrics.clone()
    } else {
        args.metrics.clone()
    };
    let (outputs, labels) = resolve_outputs(
        &setup.loaded,
        &simulated,
        &metrics,
        &args.strategies,
        &versus,
    )?;
    let parameters = &spec.parameters;
    let integer = sensitivity::check_parameters(model, parameters)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let method = match args.method {
        MethodArg::Morris => Method::Morris,
        MethodArg::Sobol => Method::Sobol,
    };
    let k = parameters.len();
    let samples = args.samples.unwrap_or(spec.samples);
    if method == Method::Sobol
        && (!samples.is_power_of_two()
            || !(4..=crate::scenario::sensitivity::MAX_SAMPLES).contains(&samples))
    {
        return Err(CliError::Usage(format!(
            "--samples must be a power of two from 4 to {}",
            crate::scenario::sensitivity::MAX_SAMPLES
        )));
    }
    let trajectories = args.trajectories.unwrap_or(spec.trajectories);
    if method == Method::Morris && trajectories < 2 {
        return Err(CliError::Usage("--trajectories must be at least 2".into()));
    }
    let seed = model.seed;
    let design_seed = (seed ^ (seed >> 32)) as u32;
    let (unit_points, morris_design) = match method {
        Method::Sobol => (
            SaltelliDesign::new(samples as usize, k, design_seed).points(),
            None,
        ),
        Method::Morris => {
            let design = MorrisDesign::new(k, trajectories as usize, spec.levels, seed);
            (design.points(), Some(design))
        }
    };
    let job = match args.shard.shard {
        Some(_) => Some(design_job("sensitivity", &setup)?),
        None => None,
    };
    let destination = design_destination(
        args.shard.shard,
        args.out.clone(),
        args.force,
        &setup.loaded.scenario.name,
        match method {
            Method::Morris => "morris",
            Method::Sobol => "sobol",
        },
    )?;
    let interrupt = Interrupt::install()?;
    let staged = interrupt.stage(|| StagedRun::prepare(destination))?;
    let estimates = Share::new(args.shard.shard, merged.map(|m| m.state)).estimates(
        (unit_points.len(), outputs.len()),
        &setup.pool,
        &interrupt,
        args.quiet,
        "design points",
        |range, progress, cancel| {
            sensitivity::evaluate_design(
                model,
                parameters,
                &integer,
                &unit_points[range],
                &outputs,
                progress,
                cancel,
            )
        },
    )?;
    let writing = interrupt.writing()?; // a stop signal now waits for the folder
    if let (Some(spec), Some(job)) = (args.shard.shard, job) {
        return write_design_shard(
            (staged, writing),
            job,
            spec,
            unit_points.len(),
            &estimates,
            args.quiet,
            started,
        );
    }
    let simulated_seconds = started.elapsed().as_secs_f64();

    let mut files: Vec<String> = Vec::new();
    write_listed(
        &staged,
        &mut files,
        "parameters.csv",
        &[
            "parameter",
            "path",
            "distribution",
            "low",
            "high",
            "whole_number",
        ],
        parameters
            .iter()
            .zip(&integer)
            .map(|(p, &whole)| {
                let (low, high) = p.distribution.range();
                vec![
                    p.label.clone(),
                    p.path.clone(),
                    p.distribution.describe(),
                    number(low),
                    number(high),
                    whole.to_string(),
                ]
            })
            .collect(),
    )?;
    let noise: Vec<MonteCarloNoise> = (0..outputs.len())
        .map(|o| MonteCarloNoise::of(&estimates.iter().map(|row| row[o]).collect::<Vec<_>>()))
        .collect();
    write_listed(
        &staged,
        &mut files,
        "outputs.csv",
        &[
            "metric",
            "strategy",
            "versus",
            "mean",
            "variance",
            "mean_squared_mcse",
            "noise_share",
        ],
        labels
            .iter()
            .zip(&noise)
            .map(|(l, n)| {
                vec![
                    l.metric.clone(),
                    l.strategy.clone(),
                    l.versus.clone(),
                    number(n.mean),
                    number(n.variance),
                    number(n.mean_squared_mcse),
                    number(n.share),
                ]
            })
            .collect(),
    )?;
    let mut header: Vec<String> = vec!["point".into()];
    header.push(match method {
        Method::Morris => "trajectory".into(),
        Method::Sobol => "row".into(),
    });
    header.extend(parameters.iter().map(|p| p.path.clone()));
    header.extend(labels.iter().map(Label::column));
    let per_group = match method {
        Method::Morris => k + 1,
        Method::Sobol => k + 2,
    };
    let design_rows: Vec<Vec<String>> = unit_points
        .iter()
        .zip(&estimates)
        .enumerate()
        .map(|(point, (unit, row))| {
            let values = sensitivity::to_values(unit, parameters);
            let mut cells = vec![point.to_string(), (point / per_group).to_string()];
            cells.extend(
                values
                    .iter()
                    .zip(&integer)
                    .map(|(&v, &whole)| number(if whole { v.round() } else { v })),
            );
            cells.extend(row.iter().map(|e| number(e.mean)));
            cells
        })
        .collect();
    write_wide_csv(&staged, "design.csv", &header, &design_rows)?;
    files.push("design.csv".into());

    let resamples = args.bootstrap.max(10);
    let indices_header = [
        "method",
        "metric",
        "strategy",
        "versus",
        "parameter",
        "path",
        "index",
        "value",
        "ci_low",
        "ci_high",
    ];
    let row = |method: &str,
               l: &Label,
               p: &UncertainParameter,
               index: &str,
               v: f64,
               low: f64,
               high: f64| {
        vec![
            method.to_string(),
            l.metric.clone(),
            l.strategy.clone(),
            l.versus.clone(),
            p.label.clone(),
            p.path.clone(),
            index.to_string(),
            number(v),
            number(low),
            number(high),
        ]
    };
    let mut charts: Vec<(String, BarChart)> = Vec::new();
    let mut summary: Vec<String> = Vec::new();
    let source = format!(
        "Source: fundsim {} {} · scenario “{}” · seed {} · {} inner replications per point (same seed at every point) · {} design points",
        crate::VERSION,
        match method {
            Method::Morris => "Morris screening",
            Method::Sobol => "Sobol indices",
        },
        setup.loaded.scenario.name,
        seed,
        model.replications,
        unit_points.len()
    );
    match method {
        Method::Morris => {
            let design = morris_design.as_ref().expect("a Morris design");
            let reports = sensitivity::morris_reports(design, &estimates, resamples, seed);
            let mut rows = Vec::new();
            for (l, report) in labels.iter().zip(&reports) {
                for (p, e) in parameters.iter().zip(&report.effects) {
                    rows.push(row(
                        "morris",
                        l,
                        p,
                        "mu_star",
                        e.mu_star,
                        e.mu_star_low,
                        e.mu_star_high,
                    ));
                    rows.push(row("morris", l, p, "mu", e.mu, f64::NAN, f64::NAN));
                    rows.push(row("morris", l, p, "sigma", e.sigma, f64::NAN, f64::NAN));
                }
            }
            write_listed(&staged, &mut files, "indices.csv", &indices_header, rows)?;
            let series_of = |selected: &[usize]| -> Vec<BarSeries> {
                selected
                    .iter()
                    .map(|&o| BarSeries {
                        label: labels[o].strategy.clone(),
                        colour_index: labels[o].colour,
                        main: reports[o]
                            .effects
                            .iter()
                            .map(|e| Whisker {
                                value: e.mu_star,
                                low: e.mu_star_low,
                                high: e.mu_star_high,
                            })
                            .collect(),
                        second: reports[o]
                            .effects
                            .iter()
                            .map(|e| Whisker {
                                value: e.sigma,
                                low: f64::NAN,
                                high: f64::NAN,
                            })
                            .collect(),
                    })
                    .collect()
            };
            for group in chart_groups(&labels) {
                let first = &labels[group[0]];
                let worst_noise = group.iter().map(|&o| noise[o].share).fold(0.0, f64::max);
                charts.push((
                    chart_name("morris", first),
                    BarChart {
                        kind: BarKind::Tornado,
                        heading: Heading {
                            title: format!("What drives {}: Morris screening", first.metric),
                            subtitle: chart_subtitle(
                                first,
                                "μ*: mean absolute change over each parameter's range",
                            ),
                            source: source.clone(),
                        },
                        parameters: parameters.iter().map(|p| p.label.clone()).collect(),
                        series: series_of(&group),
                        axis_title: format!(
                            "μ* of {} (change over the parameter's range)",
                            first.metric
                        ),
                        note: noise_note(worst_noise),
                    },
                ));
                for &o in &group {
                    summary.push(summary_line(&labels[o], &noise[o], parameters, |p| {
                        (
                            reports[o].effects[p].mu_star,
                            format!("μ* {:.4}", reports[o].effects[p].mu_star),
                        )
                    }));
                }
            }
        }
        Method::Sobol => {
            let reports =
                sensitivity::sobol_reports(&estimates, k, samples as usize, resamples, seed);
            let mut rows = Vec::new();
            let mut convergence = Vec::new();
            for (l, report) in labels.iter().zip(&reports) {
                for (i, p) in parameters.iter().enumerate() {
                    let (f, t) = (report.indices.first[i], report.indices.total[i]);
                    rows.push(row("sobol", l, p, "first", f.value, f.low, f.high));
                    rows.push(row("sobol", l, p, "total", t.value, t.low, t.high));
                }
                for at in &report.convergence {
                    for (i, p) in parameters.iter().enumerate() {
                        for (name, x) in [("first", at.first[i]), ("total", at.total[i])] {
                            let mut cells = row("sobol", l, p, name, x.value, x.low, x.high);
                            cells[0] = at.samples.to_string();
                            convergence.push(cells);
                        }
                    }
                }
            }
            write_listed(&staged, &mut files, "indices.csv", &indices_header, rows)?;
            let mut convergence_header = indices_header;
            convergence_header[0] = "samples";
            write_listed(
                &staged,
                &mut files,
                "convergence.csv",
                &convergence_header,
                convergence,
            )?;
            let series_of = |selected: &[usize]| -> Vec<BarSeries> {
                let whiskers = |list: &[sobol::Interval]| {
                    list.iter()
                        .map(|x| Whisker {
                            value: x.value,
                            low: x.low,
                            high: x.high,
                        })
                        .collect()
                };
                selected
                    .iter()
                    .map(|&o| BarSeries {
                        label: labels[o].strategy.clone(),
                        colour_index: labels[o].colour,
                        main: whiskers(&reports[o].indices.total),
                        second: whiskers(&reports[o].indices.first),
                    })
                    .collect()
            };
            for group in chart_groups(&labels) {
                let first = &labels[group[0]];
                let worst_noise = group.iter().map(|&o| noise[o].share).fold(0.0, f64::max);
                charts.push((
                    chart_name("sobol", first),
                    BarChart {
                        kind: BarKind::SobolIndices,
                        heading: Heading {
                            title: format!("What drives {}: Sobol indices", first.metric),
                            subtitle: chart_subtitle(
                                first,
                                "share of the outcome's variance due to each parameter",
                            ),
                            source: source.clone(),
                        },
                        parameters: parameters.iter().map(|p| p.label.clone()).collect(),
                        series: series_of(&group),
                        axis_title: "Sobol index (share of variance)".into(),
                        note: noise_note(worst_noise),
                    },
                ));
                for &o in &group {
                    let report = &reports[o];
                    summary.push(summary_line(&labels[o], &noise[o], parameters, |p| {
                        let t = report.indices.total[p];
                        let f = report.indices.first[p];
                        (
                            t.value,
                            format!(
                                "ST {:.3} [{:.3}, {:.3}], S1 {:.3}",
                                t.value, t.low, t.high, f.value
                            ),
                        )
                    }));
                    if let [.., before, last] = &report.convergence[..] {
                        let change = (0..k)
                            .map(|p| (last.total[p].value - before.total[p].value).abs())
                            .filter(|v| v.is_finite())
                            .fold(0.0, f64::max);
                        summary.push(format!(
                            "    convergence: largest change of a total index from N = {} to {}: {change:.3}",
                            before.samples, last.samples
                        ));
                    }
                }
            }
        }
    }
    if !args.no_charts {
        for (name, chart) in &charts {
            match render(chart) {
                Ok(rendered) => {
                    let png = format!("charts/{name}.png");
                    let svg = format!("charts/{name}.svg");
                    staged.write(&png, &rendered.png)?;
                    staged.write(&svg, rendered.svg.as_bytes())?;
                    files.push(png);
                    files.push(svg);
                }
                Err(error) => {
                    eprintln!("warning: chart {name} not drawn ({error}); the tables are complete")
                }
            }
        }
    }
    files.push(crate::report::FILE.into());
    let manifest = serde_json::json!({
        "fundsim_version": crate::VERSION,
        "command": "sensitivity",
        "method": match method { Method::Morris => "morris", Method::Sobol => "sobol" },
        "scenario_name": setup.loaded.scenario.name,
        "scenario_description": setup.loaded.scenario.description,
        "scenario_origin": setup.loaded.origin,
        "scenario_hash": setup.loaded.scenario.hash(),
        "seed": seed,
        "inner_replications": model.replications,
        "samples": (method == Method::Sobol).then_some(samples),
        "trajectories": (method == Method::Morris).then_some(trajectories),
        "levels": (method == Method::Morris).then_some(spec.levels),
        "design_points": unit_points.len(),
        "bootstrap_resamples": resamples,
        "parameters": parameters,
        "metrics": metrics,
        "strategies": setup.loaded.scenario.strategies.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        "strategy_filter": args.strategies,
        "versus": versus,
        "files": files,
    });
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failure(e.to_string()))?;
    // The report is drawn from the staged tables and charts, as `fundsim report` draws
    // it from the finished folder: the same bytes either way.
    let report = crate::report::sensitivity::render_folder(staged.staging_path(), &manifest)
        .map_err(|e| CliError::Failure(format!("cannot write the report: {e}")))?;
    staged.write(crate::report::FILE, report.as_bytes())?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    if !args.quiet {
        println!(
            "{} of {} over {k} uncertain parameters: {} design points × {} inner replications (same seed at every point)",
            match method {
                Method::Morris => "Morris screening",
                Method::Sobol => "Sobol indices",
            },
            setup.loaded.scenario.name,
            unit_points.len(),
            model.replications
        );
        println!(
            "Monte Carlo noise share = mean squared MCSE of a point's mean / variance of the points' means (an upper bound; above 0.1, add --replications)."
        );
        for line in &summary {
            println!("{line}");
        }
        println!(
            "\n{} design points in {simulated_seconds:.1} s on {} threads ({:.1} s in all); results and report.html in {}",
            unit_points.len(),
            setup.pool.current_num_threads(),
            started.elapsed().as_secs_f64(),
            folder.display()
        );
    }
    Ok(())
}

/// Outputs charted together: the scalar (not time-resolved) outputs of one metric and
/// one comparison (levels, or differences to one strategy), in output order.
fn chart_groups(labels: &[Label]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (o, label) in labels.iter().enumerate() {
        if label.time_resolved {
            continue;
        }
        match groups.iter_mut().find(|g| {
            let first = &labels[g[0]];
            first.metric == label.metric && first.versus == label.versus
        }) {
            Some(group) => group.push(o),
            None => groups.push(vec![o]),
        }
    }
    groups
}

fn chart_name(method: &str, label: &Label) -> String {
    crate::plot::sensitivity::chart_stem(method, &label.metric, &label.versus)
}

fn chart_subtitle(label: &Label, what: &str) -> String {
    if label.versus.is_empty() {
        format!("{what}, per strategy")
    } else {
        format!(
            "{what}, for each strategy's gain over “{}” (paired)",
            label.versus
        )
    }
}

fn noise_note(share: f64) -> String {
    if share.is_finite() {
        format!(
            "Monte Carlo noise: at most {:.1}% of the variance over the design (worst strategy).",
            100.0 * share
        )
    } else {
        String::new()
    }
}

/// One line per output: the noise share and the three most important parameters.
fn summary_line(
    label: &Label,
    noise: &MonteCarloNoise,
    parameters: &[UncertainParameter],
    measure: impl Fn(usize) -> (f64, String),
) -> String {
    let mut order: Vec<usize> = (0..parameters.len()).collect();
    // Undefined measures (a constant output) last.
    let key = |p: usize| {
        let value = measure(p).0;
        if value.is_nan() {
            f64::NEG_INFINITY
        } else {
            value
        }
    };
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    let top: Vec<String> = order
        .iter()
        .take(3)
        .map(|&p| format!("{} ({})", parameters[p].label, measure(p).1))
        .collect();
    let output = if label.versus.is_empty() {
        format!("{} of {}", label.metric, label.strategy)
    } else {
        format!("{} of {} − {}", label.metric, label.strategy, label.versus)
    };
    format!(
        "{output}: noise share {}; top: {}",
        if noise.share.is_finite() {
            format!("{:.3}", noise.share)
        } else {
            "— (constant)".into()
        },
        top.join("; ")
    )
}
