//! The setup the analysis subcommands share (`sweep`, `sensitivity`, `target`): the
//! scenario text as a model, the outputs to read, the size check, the output folder, the
//! evaluation of design points (whole, sharded or merged) and the progress bar.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::args::{OutputArgs, SimulationArgs};
use super::error::CliError;
use super::interrupt::{Interrupt, Writing};
use super::limits::{self, Workload};
use super::overrides::Setting;
use super::shard::{self, ShardSpec};
use super::staging::Staged;
use crate::analysis::{ModelError, PortfolioSource, ScenarioModel};
use crate::input::LoadedScenario;
use crate::output::Destination;
use crate::output::files::csv_bytes;
use crate::output::shard::Job;
use crate::params::PortfolioSpec;
use crate::scenario::Scenario;
use crate::stats::{Estimate, Output, Quantity};

/// A scenario ready for analysis.
pub(super) struct Setup {
    /// The scenario as loaded, with `--set` applied.
    pub loaded: LoadedScenario,
    pub model: ScenarioModel,
    pub pool: rayon::ThreadPool,
    threads: Option<usize>,
    allow_large: bool,
    /// Where the replications per evaluation come from, for the size check's message.
    replications_from: &'static str,
    /// `--set`, recorded in the manifest so that the folder can be reproduced.
    overrides: Vec<Setting>,
}

/// Loads the scenario (`default_scenario` when none is named) with `--set` applied, and
/// its text; reads a CSV portfolio's bytes, and starts the pool. `default_replications`
/// (said to come from `replications_from`) applies without `--replications`.
pub(super) fn setup(
    simulation: &SimulationArgs,
    default_scenario: &str,
    (default_replications, replications_from): (fn(&Scenario) -> u64, &'static str),
    strategies: Option<Vec<String>>,
) -> Result<Setup, CliError> {
    let (loaded, text) = simulation.load(default_scenario)?;
    let portfolio = match &loaded.scenario.portfolio {
        PortfolioSpec::Synthetic(_) => PortfolioSource::Synthetic,
        PortfolioSpec::Csv { path } => {
            let (bytes, origin) = crate::input::portfolio_csv(&loaded, path)?;
            PortfolioSource::Csv { bytes, origin }
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
        threads: simulation.threads,
        allow_large: simulation.allow_large,
        replications_from,
        overrides: simulation.overrides.settings.clone(),
    })
}

impl Setup {
    /// Refuses `runs` runs of `simulated` (the scenario as the model simulates it) above
    /// the size limits, unless `--allow-large`; `(runs_are, runs_from)` say in the
    /// message what they are and which options set their number.
    ///
    /// # Errors
    /// [`CliError::Usage`] with the sizes and the estimate, or for an invalid portfolio.
    pub fn check_size(
        &self,
        simulated: &Scenario,
        runs: u64,
        (runs_are, runs_from): (&str, &str),
    ) -> Result<(), CliError> {
        let workload = Workload {
            origin: &self.loaded.origin,
            scenario: simulated,
            runs,
            runs_are,
            runs_from,
            replications_from: self.replications_from,
        };
        let check = |portfolio| {
            limits::check_workload(&workload, portfolio, self.threads, self.allow_large)
        };
        check(None)?; // a synthetic portfolio, from its stated size
        if let PortfolioSource::Csv { .. } = self.model.portfolio {
            let portfolio = self
                .model
                .portfolio_for(simulated)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            check(Some(&portfolio))?;
        }
        Ok(())
    }

    /// `--set` as given, for a folder's manifest (`scenario_overrides`; the scenario's
    /// hash is of the overridden scenario); empty without `--set`.
    pub fn overrides_given(&self) -> Vec<String> {
        self.overrides.iter().map(ToString::to_string).collect()
    }
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
    // The baseline is simulated first; a ratio to the effect over it is undefined for it.
    let baseline = 0;
    let mut left_out = Vec::new();
    for &quantity in &quantities {
        let mut push = |strategy: usize, against: Option<usize>| {
            if quantity.undefined_for_baseline()
                && (strategy == baseline || against == Some(baseline))
            {
                if !left_out.contains(&quantity) {
                    left_out.push(quantity);
                }
                return;
            }
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
    let baseline_name = simulated
        .strategies
        .get(baseline)
        .map_or("the baseline", |s| s.name.as_str());
    let notes: Vec<String> = left_out
        .iter()
        .map(|quantity| {
            format!(
                "{} is left out for the baseline {baseline_name:?}: it is a cost per unit of effect over the baseline, undefined for the baseline itself",
                quantity.name()
            )
        })
        .collect();
    if outputs.is_empty() {
        let why = if notes.is_empty() {
            format!(
                "no outcome within the horizon of {} months",
                simulated.fund.horizon_months
            )
        } else {
            format!("{}; choose a funded strategy", notes.join("; "))
        };
        return Err(CliError::Usage(format!(
            "--metric {}: {why}",
            metrics.join(", ")
        )));
    }
    for note in notes {
        eprintln!("note: {note}");
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
pub(super) fn destination(output: &OutputArgs, scenario: &str, kind: &str) -> Destination {
    match &output.out {
        Some(path) => Destination::Explicit {
            path: path.clone(),
            force: output.force,
        },
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
    output: &OutputArgs,
    scenario: &str,
    kind: &str,
) -> Result<Destination, CliError> {
    match shard {
        Some(_) => shard::destination(output.out.as_deref(), output.force),
        None => Ok(destination(output, scenario, kind)),
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
        arguments: super::job::job_arguments(),
        working_dir: super::job::working_dir()?,
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
    (staged, writing): (Staged, Writing),
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

pub(super) fn write_csv(
    staged: &Staged,
    name: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<(), CliError> {
    staged.write(name, &csv_bytes(header, rows))?;
    Ok(())
}

pub(super) fn write_wide_csv(
    staged: &Staged,
    name: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<(), CliError> {
    staged.write(name, &csv_bytes(header, rows))?;
    Ok(())
}
