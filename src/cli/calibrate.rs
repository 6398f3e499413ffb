//! `fundsim calibrate SCENARIO --observed DATA.csv --param PATH=LO:HI …`: fits model
//! parameters so that the scenario's unfunded baseline reproduces an observed survival
//! curve, with bootstrap uncertainty, and writes the fit, the curves and a chart.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::CliError;
use super::survival::read_observed;
use crate::analysis::calibrate::{self, Calibration, Options, ParamRange, Problem};
use crate::input::load_scenario;
use crate::output::tables::number;
use crate::output::{Destination, StagedRun};
use crate::params::PortfolioSpec;
use crate::plot::observed_survival::{self, ChartCurve, CurveKind, ObservedChart};

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Scenario file, or the name of a built-in scenario; only its `none` baseline is
    /// simulated, over the observed follow-up.
    pub scenario: String,
    /// Observed lifetimes (CSV: project, duration_months, event, optional group), as for
    /// `fundsim survival`.
    #[arg(long)]
    pub observed: PathBuf,
    /// A parameter to fit and its range, by dotted path, e.g.
    /// `model.attrition_hazard=0.005:0.06`. Repeat for several.
    #[arg(long = "param", required = true, value_name = "PATH=LO:HI")]
    pub params: Vec<String>,
    /// Fit to one group of the observed data [default: all rows].
    #[arg(long)]
    pub group: Option<String>,
    /// Replications of the portfolio simulated (and pooled) per evaluation.
    #[arg(long, short = 'n', default_value_t = 8)]
    pub replications: u64,
    /// Bootstrap refits for the uncertainty (0: none).
    #[arg(long, default_value_t = 30)]
    pub bootstrap: usize,
    /// Evaluations allowed per fit (Nelder–Mead, restarts included).
    #[arg(long, default_value_t = 150)]
    pub max_evaluations: usize,
    /// Seed of every evaluation (common random numbers) [default: the scenario's run.seed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: RAYON_NUM_THREADS, or all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder [default: outputs/calibrate-<scenario>/run-NNN, numbered].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no results table.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn execute(args: CalibrateArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let params: Vec<ParamRange> = args
        .params
        .iter()
        .map(|p| {
            p.parse()
                .map_err(|e| CliError::Usage(format!("--param {e}")))
        })
        .collect::<Result<_, _>>()?;
    if args.replications == 0 {
        return Err(CliError::Usage("--replications must be at least 1".into()));
    }
    if args.max_evaluations == 0 {
        return Err(CliError::Usage(
            "--max-evaluations must be at least 1".into(),
        ));
    }
    let loaded = load_scenario(Some(&args.scenario))?;
    let scenario_text = match crate::scenario::builtin(&args.scenario) {
        Some(text) if loaded.origin.starts_with("built-in:") => text.to_string(),
        _ => std::fs::read_to_string(&args.scenario)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", args.scenario)))?,
    };
    let portfolio_csv = match &loaded.scenario.portfolio {
        PortfolioSpec::Csv { path } => {
            let full = loaded.base_dir.join(path);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", full.display())))?;
            Some((text, full.display().to_string()))
        }
        PortfolioSpec::Synthetic(_) => None,
    };
    let (data, data_bytes) = read_observed(&args.observed)?;
    let lifetimes = match &args.group {
        Some(group) => data.group(group).ok_or_else(|| {
            let names: Vec<String> = data.groups().into_iter().map(|(n, _)| n).collect();
            CliError::Usage(format!(
                "--group {group:?}: no such group in {} (groups: {})",
                args.observed.display(),
                names.join(", ")
            ))
        })?,
        None => data.lifetimes(),
    };
    let options = Options {
        replications: args.replications,
        seed: args.seed.unwrap_or(loaded.scenario.run.seed),
        bootstrap: args.bootstrap,
        optimiser: calibrate::OptimiserSettings {
            max_evaluations: args.max_evaluations,
            ..Options::default().optimiser
        },
    };
    let problem = Problem {
        scenario_text,
        origin: loaded.origin.clone(),
        portfolio_csv,
        params,
    };
    let destination = match &args.out {
        Some(path) => Destination::Explicit {
            path: path.clone(),
            force: args.force,
        },
        None => Destination::Numbered {
            root: PathBuf::from("outputs"),
            scenario: format!("calibrate-{}", loaded.scenario.name),
        },
    };
    let staged = StagedRun::prepare(destination)?;
    let pool = super::common::worker_pool(args.threads)?;
    let bar = progress_bar(args.bootstrap as u64, args.quiet);
    let result = pool
        .install(|| {
            calibrate::calibrate(problem, &lifetimes, &options, &|done| {
                bar.set_position(done as u64);
            })
        })
        .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();

    staged.write("fit.csv", &fit_table(&result))?;
    staged.write("curves.csv", &curves_table(&result))?;
    staged.write("bootstrap.csv", &bootstrap_table(&result))?;
    let mut files = vec!["fit.csv", "curves.csv", "bootstrap.csv"];
    let fitted_label = result
        .params
        .iter()
        .map(|p| format!("{} = {}", short_path(&p.path), significant(p.estimate)))
        .collect::<Vec<_>>()
        .join(", ");
    let observed_label = match &args.group {
        Some(group) => format!("observed: {group}"),
        None => "observed".to_string(),
    };
    let chart = ObservedChart {
        title: "Calibration: fitted baseline against observed survival".into(),
        subtitle: format!(
            "Unfunded baseline of “{}” at {fitted_label}",
            loaded.scenario.name
        ),
        source: format!(
            "Source: {} and fundsim {} calibrate · seed {} · {} replications per evaluation · {} bootstrap refits",
            args.observed.display(),
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
    };
    match observed_survival::render_png(&chart)
        .and_then(|png| Ok((png, observed_survival::render_svg(&chart)?)))
    {
        Ok((png, svg)) => {
            staged.write("charts/calibration.png", &png)?;
            staged.write("charts/calibration.svg", svg.as_bytes())?;
            files.extend(["charts/calibration.png", "charts/calibration.svg"]);
        }
        Err(error) => eprintln!("warning: chart not written ({error}); the tables are complete"),
    }
    let manifest = serde_json::json!({
        "fundsim_version": crate::VERSION,
        "command": "calibrate",
        "scenario_origin": loaded.origin,
        "observed": args.observed.display().to_string(),
        "observed_sha256": Sha256::digest(&data_bytes).iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "group": args.group,
        "seed": options.seed,
        "replications_per_evaluation": options.replications,
        "bootstrap": options.bootstrap,
        "max_evaluations": options.optimiser.max_evaluations,
        "horizon_months": result.horizon_months,
        "distance": result.fit.distance,
        "grid_months": result.target.months.len(),
        "evaluations": result.fit.evaluations,
        "converged": result.fit.converged,
        "params": result.params,
        "files": files,
    });
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failure(e.to_string()))?;
    let folder = staged.finish(&manifest)?;
    if !args.quiet {
        print_fit(&result);
        println!(
            "\n{} evaluations, distance {:.2} over {} months; {:.1} s on {} threads; results in {}",
            result.fit.evaluations,
            result.fit.distance,
            result.target.months.len(),
            started.elapsed().as_secs_f64(),
            pool.current_num_threads(),
            folder.display()
        );
    }
    Ok(())
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
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (3 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.digits$}")
}

fn csv_bytes(header: &[String], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(header)
        .expect("writing to memory cannot fail");
    for row in rows {
        writer
            .write_record(&row)
            .expect("writing to memory cannot fail");
    }
    writer.into_inner().expect("writing to memory cannot fail")
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_string()).collect()
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
        &header(&[
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
        ]),
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
        &header(&[
            "month",
            "observed_survival",
            "observed_ci_low",
            "observed_ci_high",
            "observed_at_risk",
            "fitted_survival",
        ]),
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
