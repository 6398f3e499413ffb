//! `fundsim calibrate --facts[=FILE] [SCENARIO] [--param PATH=LO:HI …]`: fits the
//! baseline's parameters to every stylised fact jointly by ABC-SMC
//! ([`crate::analysis::calibrate::facts_fit`]) and writes the posterior sample
//! (`posterior.csv`), the sampler's generations, the facts at the posterior and the
//! manifest; prints the posterior and the facts at its median.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::args::{OutputArgs, SimulationArgs};
use super::calibrate::{CalibrateArgs, portfolio_csv, significant};
use super::error::CliError;
use super::interrupt::Interrupt;
use super::limits::{self, Workload};
use super::overrides::apply_and_write;
use super::staging::{self, Staged};
use crate::analysis::calibrate::CalibrationError;
use crate::analysis::calibrate::abc::{AbcError, AbcProgress, AbcSettings, Stop};
use crate::analysis::calibrate::facts_fit::{
    DEFAULT_PARAMS, FactsFit, FactsFitResult, FactsProblem, FitParam,
};
use crate::analysis::facts::{Evaluation, FACTS_SCENARIO};
use crate::input::LoadedScenario;
use crate::output::files::sha256_hex;
use crate::output::manifest::{FactsFitManifest, FactsFitParam, FolderManifest};

mod tables;

/// A fit done, its folder staged: what [`finish`] writes.
struct Fitted {
    interrupt: Interrupt,
    staged: Staged,
    loaded: LoadedScenario,
    fit: FactsFit,
    result: FactsFitResult,
    /// The facts at the posterior median, as `fundsim facts` evaluates them.
    at_median: Evaluation,
    settings: AbcSettings,
    /// The facts file as given (`built-in` without one) and its text's checksum.
    facts_origin: String,
    facts_sha256: String,
    overrides: Vec<String>,
    threads: usize,
    started: Instant,
    /// The `fundsim facts` command that prints the facts at the posterior median.
    command: String,
}

pub(super) fn execute(args: &CalibrateArgs) -> Result<(), CliError> {
    let fitted = compute(args)?;
    finish(fitted, &args.output)
}

/// Reads the facts, the scenario and the parameters, stages the folder, fits and
/// evaluates the facts at the posterior median.
///
/// # Errors
/// [`CliError::Usage`] for bad input (the key at fault named), an unwritable location,
/// [`CliError::Interrupted`] when stopped.
fn compute(args: &CalibrateArgs) -> Result<Fitted, CliError> {
    let started = Instant::now();
    let facts_path = args.facts.clone().flatten();
    let (facts, facts_text) = super::facts::read_facts(facts_path.as_deref())?;
    let simulation = &args.simulation;
    let (loaded, scenario_text) = facts_scenario(simulation)?;
    let params = fit_params(&args.params)?;
    let replications = simulation.replications.unwrap_or(1);
    let settings = settings(args, simulation.seed.unwrap_or(loaded.scenario.run.seed))?;
    let fit = FactsFit::new(FactsProblem {
        scenario_text,
        origin: loaded.origin.clone(),
        portfolio_csv: portfolio_csv(&loaded)?,
        params,
        facts,
        replications,
    })
    .map_err(|e| CliError::Usage(e.to_string()))?;
    check_size(simulation, &loaded, &settings, replications)?;
    let destination = args
        .output
        .destination(format!("calibrate-facts-{}", loaded.scenario.name));
    let interrupt = Interrupt::install()?;
    let staged = staging::stage(&interrupt, destination, args.output.quiet)?;
    let pool = super::common::worker_pool(simulation.threads)?;
    let bar = spinner(args.output.quiet);
    let cancel = interrupt.cancel_flag();
    let report = |p: &AbcProgress| {
        bar.set_message(format!(
            "generation {}, tolerance {}: {}/{} particles, {} simulations",
            p.generation,
            if p.tolerance.is_finite() {
                format!("{:.3}", p.tolerance)
            } else {
                "∞ (prior sample)".into()
            },
            p.accepted,
            p.particles,
            p.simulations
        ));
    };
    let fitted = pool.install(|| fit.fit(&settings, &report, &|| cancel.load(Ordering::SeqCst)));
    bar.finish_and_clear();
    let result = fitted.map_err(|error| match error {
        CalibrationError::Abc(AbcError::Cancelled) => interrupt.failed("the fit was stopped"),
        other => CliError::Usage(other.to_string()),
    })?;
    let overrides: Vec<String> = simulation
        .overrides
        .settings
        .iter()
        .map(ToString::to_string)
        .collect();
    let at_median = pool
        .install(|| {
            fit.evaluate_at(
                &tables::rounded_medians(&result),
                loaded.scenario.run.replications.max(2),
                settings.seed,
            )
        })
        .map_err(|e| CliError::Usage(format!("the facts at the posterior median: {e}")))?;
    let command = tables::facts_command(
        &fit,
        &result,
        simulation.scenario.as_deref(),
        simulation.seed,
        &overrides,
    );
    Ok(Fitted {
        interrupt,
        staged,
        loaded,
        fit,
        result,
        at_median,
        settings,
        facts_origin: facts_path.map_or_else(|| "built-in".into(), |p| p.display().to_string()),
        facts_sha256: sha256_hex(&facts_text),
        overrides: overrides.clone(),
        threads: pool.current_num_threads(),
        started,
        command,
    })
}

/// The scenario the facts are fitted on, with `--set` applied, and its text with the
/// values written in: the one named, or the popular-projects baseline the facts were
/// published for (as `fundsim facts`).
fn facts_scenario(simulation: &SimulationArgs) -> Result<(LoadedScenario, String), CliError> {
    if simulation.scenario.is_some() {
        return simulation.load("stf");
    }
    let origin = "built-in:popular-baseline".to_string();
    let (scenario, text) =
        apply_and_write(FACTS_SCENARIO, &origin, &simulation.overrides.settings)?;
    Ok((
        LoadedScenario {
            scenario,
            origin,
            base_dir: PathBuf::from("."),
            text: text.clone(),
        },
        text,
    ))
}

/// The `--param` options, or the default parameters.
fn fit_params(given: &[String]) -> Result<Vec<FitParam>, CliError> {
    let texts: Vec<&str> = if given.is_empty() {
        DEFAULT_PARAMS.to_vec()
    } else {
        given.iter().map(String::as_str).collect()
    };
    texts
        .iter()
        .map(|text| {
            text.parse()
                .map_err(|e| CliError::Usage(format!("--param {e}")))
        })
        .collect()
}

/// The sampler's settings from the command line (defaults: [`AbcSettings::default`]),
/// checked.
fn settings(args: &CalibrateArgs, seed: u64) -> Result<AbcSettings, CliError> {
    let defaults = AbcSettings::default();
    let settings = AbcSettings {
        particles: args.particles.unwrap_or(defaults.particles),
        max_generations: args.generations.unwrap_or(defaults.max_generations),
        tolerance: args.tolerance.unwrap_or(defaults.tolerance),
        min_acceptance: args.min_acceptance.unwrap_or(defaults.min_acceptance),
        seed,
        ..defaults
    };
    let usage = |problem: &str| Err(CliError::Usage(problem.to_string()));
    if args.simulation.replications == Some(0) {
        return usage("--replications must be at least 1");
    }
    if settings.particles < 2 {
        return usage("--particles must be at least 2");
    }
    if settings.max_generations < 1 {
        return usage("--generations must be at least 1");
    }
    if !(settings.tolerance.is_finite() && settings.tolerance >= 0.0) {
        return usage("--tolerance must be a number of at least 0");
    }
    if !(0.0..1.0).contains(&settings.min_acceptance) {
        return usage("--min-acceptance must be at least 0 and below 1");
    }
    Ok(settings)
}

/// Refuses a fit above the size limits unless `--allow-large`, counting the fewest
/// simulations it can take: every generation at least `--particles` of them.
fn check_size(
    simulation: &SimulationArgs,
    loaded: &LoadedScenario,
    settings: &AbcSettings,
    replications: u64,
) -> Result<(), CliError> {
    let mut baseline = loaded.scenario.clone();
    let kept = baseline.baseline_index();
    baseline.strategies = vec![baseline.strategies[kept].clone()];
    baseline.run.replications = replications;
    let workload = Workload {
        origin: &loaded.origin,
        scenario: &baseline,
        runs: (settings.particles * settings.max_generations) as u64,
        runs_are: "simulations at least (particles × generations)",
        runs_from: "--particles, --generations",
        replications_from: "--replications",
    };
    limits::check_workload(&workload, None, simulation.threads, simulation.allow_large)
}

/// Writes the posterior, the generations, the facts and the manifest, moves the folder
/// into place and, unless quiet, prints the fit.
///
/// # Errors
/// [`CliError`] when the folder cannot be written, or a stop signal came first.
fn finish(fitted: Fitted, output: &OutputArgs) -> Result<(), CliError> {
    let writing = fitted.interrupt.writing()?;
    let Fitted {
        command,
        staged,
        loaded,
        fit,
        result,
        at_median,
        settings,
        facts_origin,
        facts_sha256,
        overrides,
        threads,
        started,
        ..
    } = fitted;
    let files = ["posterior.csv", "generations.csv", "facts.csv"];
    staged.write(files[0], &tables::posterior(&fit, &result))?;
    staged.write(files[1], &tables::generations(&result))?;
    staged.write(files[2], &tables::facts(&fit, &result, &at_median))?;
    let posterior = &result.posterior;
    let manifest = FactsFitManifest {
        fundsim_version: crate::VERSION.into(),
        command: FactsFitManifest::COMMAND.into(),
        scenario_origin: loaded.origin.clone(),
        scenario_overrides: overrides,
        facts: facts_origin,
        facts_sha256,
        seed: settings.seed,
        replications_per_simulation: fit.replications(),
        particles: settings.particles,
        max_generations: settings.max_generations,
        quantile: settings.quantile,
        target_tolerance: settings.tolerance,
        min_acceptance: settings.min_acceptance,
        min_shrink: settings.min_shrink,
        generations: posterior.generations.len(),
        simulations: posterior.simulations,
        final_tolerance: posterior.tolerance(),
        stop: posterior.stop,
        params: result.params.iter().map(FactsFitParam::from).collect(),
        median_replications: at_median.replications,
        median_seed: at_median.seed,
        files: files.iter().map(|f| (*f).to_string()).collect(),
    }
    .to_bytes()
    .map_err(|e| CliError::Failure(e.to_string()))?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    if !output.quiet {
        print_fit(&loaded, &fit, &result, &at_median, &settings);
        println!();
        println!("Facts at the posterior median, as `fundsim facts` prints them with");
        println!("  {command}");
        println!();
        super::facts::print_table(&at_median, fit.facts());
        println!(
            "\n{:.1} s on {threads} threads; results in {}",
            started.elapsed().as_secs_f64(),
            folder.display()
        );
    }
    Ok(())
}

/// The posterior per parameter and the posterior predictive per fact.
fn print_fit(
    loaded: &LoadedScenario,
    fit: &FactsFit,
    result: &FactsFitResult,
    at_median: &Evaluation,
    settings: &AbcSettings,
) {
    let posterior = &result.posterior;
    println!(
        "ABC-SMC fit of the unfunded baseline of {} to {} stylised facts: {} particles, {} generations, {} simulations of {} replication{} each; {} (tolerance {})",
        loaded.scenario.name,
        fit.facts().facts.len(),
        settings.particles,
        posterior.generations.len(),
        posterior.simulations,
        fit.replications(),
        if fit.replications() == 1 { "" } else { "s" },
        posterior.stop,
        significant(posterior.tolerance()),
    );
    println!();
    println!(
        "{:<36} {:>30} {:>12} {:>26}",
        "parameter", "prior", "median", "90% interval"
    );
    for p in &result.params {
        println!(
            "{:<36} {:>30} {:>12} {:>26}",
            p.path,
            format!("{} {}–{}", p.prior.shape, p.prior.low, p.prior.high),
            significant(p.median),
            format!("{} – {}", significant(p.p05), significant(p.p95)),
        );
    }
    println!();
    tables::print_predictive(fit, result, at_median);
    if posterior.stop != Stop::TargetReached {
        println!(
            "\nwarning: the fit stopped at tolerance {} without reaching the target {}: the posterior is that of the larger tolerance (wider than asked); raise --generations or lower --min-acceptance",
            significant(posterior.tolerance()),
            settings.tolerance
        );
    }
}

fn spinner(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} ABC-SMC {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
