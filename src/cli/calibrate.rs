//! `fundsim calibrate SCENARIO --observed DATA.csv --param PATH=LO:HI …`: fits model
//! parameters so that the scenario's unfunded baseline reproduces an observed survival
//! curve, with bootstrap uncertainty, and writes the fit, the curves and a chart.
//! `fundsim calibrate --facts` fits the baseline to the stylised facts instead
//! (`calibrate_facts.rs`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::args::{OutputArgs, SimulationArgs};
use super::error::CliError;
use super::interrupt::Interrupt;
use super::limits::{self, Workload};
use super::staging::{self, Staged};
use super::survival::read_observed;
use crate::analysis::calibrate::{self, Calibration, Options, ParamRange, Problem};
use crate::input::{LoadedScenario, load_portfolio};
use crate::output::files::{csv_bytes, sha256_hex};
use crate::output::manifest::{CalibrateManifest, CalibratedParam, FolderManifest};
use crate::output::tables::number;
use crate::params::PortfolioSpec;
use crate::plot::observed_survival::{self, ChartCurve, CurveKind, ObservedChart};
use crate::stats::Lifetime;

#[derive(Debug, Args)]
#[command(
    mut_arg("scenario", |arg| arg.required_unless_present("facts").help(
        "Scenario file, or the name of a built-in scenario; only its `none` baseline is simulated, over the observed follow-up (with --facts, over its own horizon) [with --facts, default: the popular-projects baseline the facts were published for]"
    )),
    mut_arg("replications", |arg| arg.help(
        "Replications of the portfolio simulated (and pooled) per evaluation [default: 8; with --facts: 1, each simulation one study of the portfolio, as each published figure is]"
    )),
    mut_arg("seed", |arg| arg.help(
        "Seed of every evaluation (common random numbers); with --facts, of the whole fit [default: the scenario's run.seed]"
    )),
    mut_arg("out", |arg| arg.help(
        "Output folder [default: outputs/calibrate-<scenario>/run-NNN, numbered; with --facts outputs/calibrate-facts-<scenario>/run-NNN]"
    )),
    mut_arg("no_charts", |arg| arg.help("Write the tables only, no chart")),
)]
pub struct CalibrateArgs {
    /// Observed lifetimes (CSV: project, duration_months, event, optional group), as for
    /// `fundsim survival`.
    #[arg(long, required_unless_present = "facts", conflicts_with = "facts")]
    pub observed: Option<PathBuf>,
    /// Fit the baseline to the stylised facts instead, jointly, by ABC-SMC, and write a
    /// posterior sample: the built-in facts (the repository's facts.toml), or
    /// --facts=FILE in its format.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true)]
    pub facts: Option<Option<PathBuf>>,
    /// A parameter to fit and its range, by dotted path, e.g.
    /// `model.attrition_hazard=0.005:0.06`. Repeat for several. With --facts the range is
    /// the prior, uniform or, for hazards and rates, log-uniform (add `:uniform` or
    /// `:log-uniform` to choose) [with --facts, default: the attrition, break-return and
    /// revival parameters of docs/calibration.md].
    #[arg(
        long = "param",
        required_unless_present = "facts",
        value_name = "PATH=LO:HI"
    )]
    pub params: Vec<String>,
    /// Fit to one group of the observed data [default: all rows].
    #[arg(long, conflicts_with = "facts")]
    pub group: Option<String>,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Bootstrap refits for the uncertainty (0: none).
    #[arg(long, default_value_t = 30, conflicts_with = "facts")]
    pub bootstrap: usize,
    /// Evaluations allowed per fit (Nelder–Mead, restarts included).
    #[arg(long, default_value_t = 150, conflicts_with = "facts")]
    pub max_evaluations: usize,
    // The options of --facts have no clap default, so that giving one without --facts
    // can be refused (`compute`: clap's `requires` is not checked once --observed is
    // given); the defaults are in the help and in `calibrate_facts.rs`.
    /// With --facts: particles per ABC-SMC generation (the size of the posterior sample)
    /// [default: 200].
    #[arg(long)]
    pub particles: Option<usize>,
    /// With --facts: generations at most, the prior sample included [default: 20].
    #[arg(long)]
    pub generations: Option<usize>,
    /// With --facts: the target tolerance, in close margins (10% of the published
    /// figure): the fit stops once every fact is within this many [default: 1].
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// With --facts: stop when a generation accepts fewer than this share of its
    /// proposals [default: 0.02].
    #[arg(long)]
    pub min_acceptance: Option<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A calibration done, its folder staged: what [`finish`] writes.
pub(super) struct Calibrated {
    interrupt: Interrupt,
    staged: Staged,
    loaded: LoadedScenario,
    result: Calibration,
    options: Options,
    observed: PathBuf,
    /// The observed data file's bytes, for its checksum in the manifest.
    data_bytes: Vec<u8>,
    group: Option<String>,
    /// `--set`, recorded in the manifest.
    overrides: Vec<String>,
    threads: usize,
    started: Instant,
}

/// `fundsim calibrate --observed`; `--facts` is dispatched to `calibrate_facts` by
/// `cli::run`, so neither file imports the other round a cycle.
pub fn execute(args: CalibrateArgs) -> Result<(), CliError> {
    let calibrated = compute(&args)?;
    finish(calibrated, &args.output)
}

/// Reads the scenario and the observed data, stages the folder and fits.
///
/// # Errors
/// [`CliError::Usage`] for bad input (a calibration above the size limits included) or
/// a fit that cannot be made; an unwritable location; [`CliError::Interrupted`] when
/// stopped.
pub(super) fn compute(args: &CalibrateArgs) -> Result<Calibrated, CliError> {
    let started = Instant::now();
    let params: Vec<ParamRange> = args
        .params
        .iter()
        .map(|p| {
            p.parse()
                .map_err(|e| CliError::Usage(format!("--param {e}")))
        })
        .collect::<Result<_, _>>()?;
    for (given, option) in [
        (args.particles.is_some(), "--particles"),
        (args.generations.is_some(), "--generations"),
        (args.tolerance.is_some(), "--tolerance"),
        (args.min_acceptance.is_some(), "--min-acceptance"),
    ] {
        if given {
            return Err(CliError::Usage(format!(
                "{option} is an option of the fit to the facts: add --facts, or leave it out to fit --observed"
            )));
        }
    }
    let simulation = &args.simulation;
    let replications = simulation.replications.unwrap_or(8);
    if replications == 0 {
        return Err(CliError::Usage("--replications must be at least 1".into()));
    }
    if args.max_evaluations == 0 {
        return Err(CliError::Usage(
            "--max-evaluations must be at least 1".into(),
        ));
    }
    let (loaded, scenario_text) = simulation.load("stf")?;
    let portfolio_csv = portfolio_csv(&loaded)?;
    let observed = args
        .observed
        .as_ref()
        .ok_or_else(|| CliError::Usage("--observed DATA.csv is needed (or --facts)".into()))?;
    let (data, data_bytes) = read_observed(observed)?;
    let lifetimes = match &args.group {
        Some(group) => data.group(group).ok_or_else(|| {
            let names: Vec<String> = data.groups().into_iter().map(|(n, _)| n).collect();
            CliError::Usage(format!(
                "--group {group:?}: no such group in {} (groups: {})",
                observed.display(),
                names.join(", ")
            ))
        })?,
        None => data.lifetimes(),
    };
    let options = Options {
        replications,
        seed: simulation.seed.unwrap_or(loaded.scenario.run.seed),
        bootstrap: args.bootstrap,
        optimiser: calibrate::OptimiserSettings {
            max_evaluations: args.max_evaluations,
            ..Options::default().optimiser
        },
    };
    check_size(simulation, &loaded, &lifetimes, &options)?;
    let problem = Problem {
        scenario_text,
        origin: loaded.origin.clone(),
        portfolio_csv,
        params,
    };
    let destination = args
        .output
        .destination(format!("calibrate-{}", loaded.scenario.name));
    let interrupt = Interrupt::install()?;
    let staged = staging::stage(&interrupt, destination, args.output.quiet)?;
    let pool = super::common::worker_pool(simulation.threads)?;
    let bar = progress_bar(args.bootstrap as u64, args.output.quiet);
    let result = pool
        .install(|| {
            calibrate::calibrate(problem, &lifetimes, &options, &|done| {
                bar.set_position(done as u64);
            })
        })
        .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();
    Ok(Calibrated {
        interrupt,
        staged,
        loaded,
        result,
        options,
        observed: observed.clone(),
        data_bytes,
        group: args.group.clone(),
        overrides: simulation
            .overrides
            .settings
            .iter()
            .map(ToString::to_string)
            .collect(),
        threads: pool.current_num_threads(),
        started,
    })
}

/// The text and name of the scenario's portfolio CSV, when it names one (the fits parse
/// it again at every θ, as blank cells derive from the model parameters).
///
/// # Errors
/// [`CliError::Usage`] when the file cannot be read.
pub(super) fn portfolio_csv(loaded: &LoadedScenario) -> Result<Option<(String, String)>, CliError> {
    Ok(match &loaded.scenario.portfolio {
        PortfolioSpec::Csv { path } => {
            let (bytes, origin) = crate::input::portfolio_csv(loaded, path)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| CliError::Usage(format!("{origin} is not UTF-8 text")))?;
            Some((text, origin))
        }
        PortfolioSpec::Synthetic(_) => None,
    })
}

/// Refuses a calibration above the size limits unless `--allow-large`: at most
/// `max_evaluations` evaluations for the fit and for each bootstrap refit, each a run of
/// the unfunded baseline over the observed follow-up.
fn check_size(
    simulation: &SimulationArgs,
    loaded: &LoadedScenario,
    lifetimes: &[Lifetime],
    options: &Options,
) -> Result<(), CliError> {
    let mut baseline = loaded.scenario.clone();
    if let Ok(target) = calibrate::Target::new(lifetimes) {
        baseline.fund.horizon_months = target.horizon_months();
        baseline.fund.programme_months =
            baseline.fund.programme_months.min(target.horizon_months());
    }
    let kept = baseline.baseline_index();
    baseline.strategies = vec![baseline.strategies[kept].clone()];
    baseline.run.replications = options.replications;
    let fits = 1 + options.bootstrap as u64;
    let workload = Workload {
        origin: &loaded.origin,
        scenario: &baseline,
        runs: fits * options.optimiser.max_evaluations as u64,
        runs_are: "evaluations at most (the fit and each bootstrap refit)",
        runs_from: "--max-evaluations, --bootstrap",
        replications_from: "--replications",
    };
    let check = |portfolio| {
        limits::check_workload(
            &workload,
            portfolio,
            simulation.threads,
            simulation.allow_large,
        )
    };
    check(None)?; // a synthetic portfolio, from its stated size
    if let PortfolioSpec::Csv { .. } = loaded.scenario.portfolio {
        check(Some(&load_portfolio(loaded, options.seed)?))?;
    }
    Ok(())
}

/// Writes the fit, the curves, the bootstrap refits, the chart and the manifest, moves
/// the folder into place and, unless quiet, prints the fit.
///
/// # Errors
/// [`CliError`] when the folder cannot be written, or a stop signal came first.
pub(super) fn finish(calibrated: Calibrated, output: &OutputArgs) -> Result<(), CliError> {
    let writing = calibrated.interrupt.writing()?;
    let Calibrated {
        staged,
        loaded,
        result,
        options,
        observed,
        data_bytes,
        group,
        overrides,
        threads,
        started,
        ..
    } = calibrated;
    staged.write("fit.csv", &fit_table(&result))?;
    staged.write("curves.csv", &curves_table(&result))?;
    staged.write("bootstrap.csv", &bootstrap_table(&result))?;
    let mut files = vec!["fit.csv", "curves.csv", "bootstrap.csv"];
    if !output.no_charts {
        let chart = chart(&loaded, &result, &options, &observed, group.as_deref());
        match observed_survival::render_png(&chart)
            .and_then(|png| Ok((png, observed_survival::render_svg(&chart)?)))
        {
            Ok((png, svg)) => {
                staged.write("charts/calibration.png", &png)?;
                staged.write("charts/calibration.svg", svg.as_bytes())?;
                files.extend(["charts/calibration.png", "charts/calibration.svg"]);
            }
            Err(error) => {
                eprintln!("warning: chart not written ({error}); the tables are complete")
            }
        }
    }
    let manifest = CalibrateManifest {
        fundsim_version: crate::VERSION.into(),
        command: CalibrateManifest::COMMAND.into(),
        scenario_origin: loaded.origin.clone(),
        scenario_overrides: overrides,
        observed: observed.display().to_string(),
        observed_sha256: sha256_hex(&data_bytes),
        group,
        seed: options.seed,
        replications_per_evaluation: options.replications,
        bootstrap: options.bootstrap,
        max_evaluations: options.optimiser.max_evaluations,
        horizon_months: result.horizon_months,
        distance: result.fit.distance,
        grid_months: result.target.months.len(),
        evaluations: result.fit.evaluations,
        converged: result.fit.converged,
        params: result.params.iter().map(CalibratedParam::from).collect(),
        files: files.iter().map(|f| (*f).to_string()).collect(),
    }
    .to_bytes()
    .map_err(|e| CliError::Failure(e.to_string()))?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    if !output.quiet {
        print_fit(&result);
        println!(
            "\n{} evaluations, distance {:.2} over {} months; {:.1} s on {threads} threads; results in {}",
            result.fit.evaluations,
            result.fit.distance,
            result.target.months.len(),
            started.elapsed().as_secs_f64(),
            folder.display()
        );
    }
    Ok(())
}

/// The fitted baseline against the observed curve.
fn chart<'a>(
    loaded: &LoadedScenario,
    result: &'a Calibration,
    options: &Options,
    observed: &std::path::Path,
    group: Option<&str>,
) -> ObservedChart<'a> {
    let fitted_label = result
        .params
        .iter()
        .map(|p| format!("{} = {}", short_path(&p.path), significant(p.estimate)))
        .collect::<Vec<_>>()
        .join(", ");
    let observed_label = match group {
        Some(group) => format!("observed: {group}"),
        None => "observed".to_string(),
    };
    ObservedChart {
        title: "Calibration: fitted baseline against observed survival".into(),
        subtitle: format!(
            "Unfunded baseline of “{}” at {fitted_label}",
            loaded.scenario.name
        ),
        source: format!(
            "Source: {} and fundsim {} calibrate · seed {} · {} replications per evaluation · {} bootstrap refits",
            observed.display(),
            crate::VERSION,
            options.seed,
            options.replications,
            options.bootstrap
        ),
        curves: vec![
            ChartCurve {
                label: observed_label,
                km: &result.target.observed,
                kind: CurveKind::Observed,
            },
            ChartCurve {
                label: "fitted baseline (none)".into(),
                km: &result.fitted,
                kind: CurveKind::Simulated,
            },
        ],
    }
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || total == 0 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} bootstrap refits [{bar:40}] {pos}/{len}, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// The field name of a dotted path (`model.attrition_hazard` → `attrition_hazard`).
fn short_path(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Four significant digits.
pub(super) fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (3 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.digits$}")
}

/// `fit.csv`: per parameter, its box, start, estimate and bootstrap uncertainty.
fn fit_table(result: &Calibration) -> Vec<u8> {
    let rows = result.params.iter().map(|p| {
        vec![
            p.path.clone(),
            number(p.low),
            number(p.high),
            number(p.start),
            number(p.estimate),
            number(p.std_error),
            number(p.ci_low),
            number(p.ci_high),
            number(p.percentile_low),
            number(p.percentile_high),
        ]
    });
    csv_bytes(
        &[
            "parameter",
            "low",
            "high",
            "start",
            "estimate",
            "std_error",
            "ci_low",
            "ci_high",
            "bootstrap_p025",
            "bootstrap_p975",
        ],
        rows,
    )
}

/// `curves.csv`: per month of the grid, the observed Kaplan–Meier estimate with its
/// interval and the number at risk, and the fitted simulated survival.
fn curves_table(result: &Calibration) -> Vec<u8> {
    let observed = &result.target.observed;
    let rows = std::iter::once(0)
        .chain(result.target.months.iter().copied())
        .map(|month| {
            let t = f64::from(month);
            let (low, high) = observed.interval_at(t);
            let at_risk = observed
                .rows()
                .iter()
                .find(|r| r.time >= t)
                .map_or(0, |r| r.at_risk);
            vec![
                month.to_string(),
                number(observed.survival_at(t)),
                number(low),
                number(high),
                at_risk.to_string(),
                number(result.fitted.survival_at(t)),
            ]
        });
    csv_bytes(
        &[
            "month",
            "observed_survival",
            "observed_ci_low",
            "observed_ci_high",
            "observed_at_risk",
            "fitted_survival",
        ],
        rows,
    )
}

/// `bootstrap.csv`: every refit, with its data set's seed.
fn bootstrap_table(result: &Calibration) -> Vec<u8> {
    let mut names = vec!["replicate".to_string(), "seed".to_string()];
    names.extend(result.params.iter().map(|p| p.path.clone()));
    names.extend(["distance".to_string(), "converged".to_string()]);
    let seed = result.options.seed;
    let rows = result.bootstrap.iter().enumerate().map(|(b, fit)| {
        let mut row = vec![
            b.to_string(),
            calibrate::bootstrap_seed(seed, b).to_string(),
        ];
        row.extend(fit.estimates.iter().map(|&v| number(v)));
        row.extend([number(fit.distance), fit.converged.to_string()]);
        row
    });
    csv_bytes(&names, rows)
}

fn print_fit(result: &Calibration) {
    println!(
        "{:<36} {:>12} {:>12} {:>28} {:>20}",
        "parameter", "estimate", "std. error", "95% interval", "box"
    );
    for p in &result.params {
        println!(
            "{:<36} {:>12} {:>12} {:>28} {:>20}",
            p.path,
            significant(p.estimate),
            if p.std_error.is_finite() {
                significant(p.std_error)
            } else {
                "—".into()
            },
            if p.ci_low.is_finite() {
                format!("{} to {}", significant(p.ci_low), significant(p.ci_high))
            } else {
                "— (no bootstrap)".into()
            },
            format!("{}:{}", p.low, p.high),
        );
    }
    if !result.fit.converged {
        println!(
            "\nwarning: the search stopped at its evaluation budget before converging; raise --max-evaluations"
        );
    }
    let at_edge: Vec<&str> = result
        .params
        .iter()
        .filter(|p| {
            let margin = 0.01 * (p.high - p.low);
            p.estimate - p.low < margin || p.high - p.estimate < margin
        })
        .map(|p| p.path.as_str())
        .collect();
    if !at_edge.is_empty() {
        println!(
            "\nwarning: {} ended at the edge of its box; widen the range",
            at_edge.join(", ")
        );
    }
}
