//! `fundsim survival DATA.csv`: Kaplan–Meier curves of observed project lifetimes, per
//! group, as CSV tables and a chart, so real data can sit beside the model's curves.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::OutputArgs;
use super::error::CliError;
use super::interrupt::Interrupt;
use super::staging::{self, Staged};
use crate::analysis::calibrate::observed::ObservedLifetimes;
use crate::output::files::{csv_bytes, sha256_hex};
use crate::output::manifest::{FolderManifest, RmstEstimate, SurvivalGroup, SurvivalManifest};
use crate::output::tables::number;
use crate::plot::observed_survival::{self, ChartCurve, CurveKind, ObservedChart};
use crate::stats::KaplanMeier;

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |arg| arg.help(
        "Output folder [default: outputs/survival-<data file name>/run-NNN, numbered]"
    )),
    mut_arg("quiet", |arg| arg.help("Print nothing on success")),
    mut_arg("no_charts", |arg| arg.help("Write the tables only, no chart")),
)]
pub struct SurvivalArgs {
    /// Observed lifetimes: a CSV with columns project, duration_months, event (1 =
    /// abandoned at duration_months, 0 = still maintained when follow-up ended) and an
    /// optional group.
    pub data: PathBuf,
    /// Horizon of the restricted mean survival time, in months [default: the shortest
    /// follow-up of the groups, so that groups compare over the same window].
    #[arg(long)]
    pub tau: Option<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Reads an observed-lifetimes CSV; problems are bad input (exit code 2).
pub(super) fn read_observed(path: &Path) -> Result<(ObservedLifetimes, Vec<u8>), CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let data = ObservedLifetimes::from_csv(bytes.as_slice(), &path.display().to_string())
        .map_err(|e| CliError::Usage(format!("invalid observed data {e}")))?;
    Ok((data, bytes))
}

/// The curves and summaries of the observed data, the folder staged: what [`finish`]
/// writes.
pub(super) struct Estimated {
    interrupt: Interrupt,
    staged: Staged,
    data: PathBuf,
    /// The data file's bytes, for its checksum in the manifest.
    bytes: Vec<u8>,
    records: usize,
    grouped: bool,
    groups: Vec<(String, KaplanMeier)>,
    summaries: Vec<SurvivalGroup>,
    tau: f64,
}

pub fn execute(args: SurvivalArgs) -> Result<(), CliError> {
    let estimated = compute(&args)?;
    finish(estimated, &args.output)
}

/// Reads the data, fits the Kaplan–Meier curves and stages the folder.
///
/// # Errors
/// [`CliError::Usage`] for unreadable or invalid data or a bad `--tau`; an unwritable
/// location.
pub(super) fn compute(args: &SurvivalArgs) -> Result<Estimated, CliError> {
    let (data, bytes) = read_observed(&args.data)?;
    let groups: Vec<(String, KaplanMeier)> = data
        .groups()
        .into_iter()
        .map(|(name, lifetimes)| {
            KaplanMeier::fit(&lifetimes)
                .map(|km| (name, km))
                .map_err(|e| CliError::Usage(format!("{}: {e}", args.data.display())))
        })
        .collect::<Result<_, _>>()?;
    let tau = match args.tau {
        Some(tau) if !(tau.is_finite() && tau > 0.0) => {
            return Err(CliError::Usage(format!(
                "--tau {tau}: expected a positive number of months"
            )));
        }
        Some(tau) => tau,
        None => groups
            .iter()
            .map(|(_, km)| km.last_time())
            .fold(f64::INFINITY, f64::min),
    };
    let summaries: Vec<SurvivalGroup> = groups
        .iter()
        .map(|(name, km)| SurvivalGroup {
            group: name.clone(),
            projects: km.subjects(),
            abandoned: km.rows().iter().map(|r| r.events).sum(),
            median: km.median().into(),
            rmst: km.rmst(tau).map(RmstEstimate::from),
        })
        .collect();
    let stem = args
        .data
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    let destination = args
        .output
        .destination(format!("survival-{}", safe_name(&stem)));
    let interrupt = Interrupt::install()?;
    let staged = staging::stage(&interrupt, destination, args.output.quiet)?;
    Ok(Estimated {
        interrupt,
        staged,
        data: args.data.clone(),
        bytes,
        records: data.records.len(),
        grouped: data.grouped,
        groups,
        summaries,
        tau,
    })
}

/// Writes the tables, the chart and the manifest, moves the folder into place and,
/// unless quiet, prints the summaries.
///
/// # Errors
/// [`CliError`] when the folder cannot be written, or a stop signal came first.
pub(super) fn finish(estimated: Estimated, output: &OutputArgs) -> Result<(), CliError> {
    let writing = estimated.interrupt.writing()?;
    let Estimated {
        staged,
        data,
        bytes,
        records,
        grouped,
        groups,
        summaries,
        tau,
        ..
    } = estimated;
    staged.write("survival.csv", &survival_table(&groups))?;
    staged.write("summary.csv", &summary_table(&summaries))?;
    let mut files = vec!["survival.csv", "summary.csv"];
    let chart = ObservedChart {
        title: "Observed project survival".into(),
        subtitle: format!(
            "Share of projects not abandoned, Kaplan–Meier estimate{}",
            if grouped { ", by group" } else { "" }
        ),
        source: format!(
            "Source: {} · {records} projects · fundsim {} survival",
            data.display(),
            crate::VERSION
        ),
        curves: groups
            .iter()
            .map(|(name, km)| ChartCurve {
                label: name.clone(),
                km,
                kind: CurveKind::Observed,
            })
            .collect(),
    };
    if !output.no_charts {
        match render(&chart) {
            Ok((png, svg)) => {
                staged.write("charts/observed_survival.png", &png)?;
                staged.write("charts/observed_survival.svg", svg.as_bytes())?;
                files.extend([
                    "charts/observed_survival.png",
                    "charts/observed_survival.svg",
                ]);
            }
            Err(error) => {
                eprintln!("warning: chart not written ({error}); the tables are complete")
            }
        }
    }
    let manifest = SurvivalManifest {
        fundsim_version: crate::VERSION.into(),
        command: SurvivalManifest::COMMAND.into(),
        data: data.display().to_string(),
        data_sha256: sha256_hex(&bytes),
        rmst_tau_months: tau,
        files: files.iter().map(|f| (*f).to_string()).collect(),
        groups: summaries,
    };
    let bytes = manifest
        .to_bytes()
        .map_err(|e| CliError::Failure(e.to_string()))?;
    writing.check()?;
    let folder = staged.finish(&bytes)?;
    writing.finished(&folder)?;
    if !output.quiet {
        print_summaries(&manifest.groups, tau);
        println!("\nresults in {}", folder.display());
    }
    Ok(())
}

fn render(chart: &ObservedChart<'_>) -> Result<(Vec<u8>, String), crate::plot::PlotError> {
    Ok((
        observed_survival::render_png(chart)?,
        observed_survival::render_svg(chart)?,
    ))
}

/// Letters, digits, `-`, `_` and `.` of a file stem; anything else becomes `_`.
fn safe_name(stem: &str) -> String {
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// `survival.csv`: the Kaplan–Meier table of every group (see `stats::survival` for the
/// conventions: at risk just before `time`, events before censorings at a tie, survival
/// after the events at `time`). Undefined values are empty cells.
fn survival_table(groups: &[(String, KaplanMeier)]) -> Vec<u8> {
    let rows = groups.iter().flat_map(|(name, km)| {
        km.rows().iter().map(move |r| {
            vec![
                name.clone(),
                number(r.time),
                r.at_risk.to_string(),
                r.events.to_string(),
                r.censored.to_string(),
                number(r.survival),
                number(r.std_error),
                number(r.ci_low),
                number(r.ci_high),
            ]
        })
    });
    csv_bytes(
        &[
            "group",
            "time",
            "at_risk",
            "events",
            "censored",
            "survival",
            "std_error",
            "ci_low",
            "ci_high",
        ],
        rows,
    )
}

/// `summary.csv`: per group, the median survival and the RMST with 95% intervals (empty
/// where not reached or undefined).
fn summary_table(summaries: &[SurvivalGroup]) -> Vec<u8> {
    let optional = |v: Option<f64>| v.map_or_else(String::new, number);
    let rows = summaries.iter().map(|s| {
        let rmst = s.rmst.as_ref();
        vec![
            s.group.clone(),
            s.projects.to_string(),
            s.abandoned.to_string(),
            optional(s.median.estimate),
            optional(s.median.ci_low),
            optional(s.median.ci_high),
            optional(rmst.map(|r| r.tau)),
            optional(rmst.map(|r| r.estimate)),
            optional(rmst.map(|r| r.std_error)),
            optional(rmst.map(|r| r.ci_low)),
            optional(rmst.map(|r| r.ci_high)),
        ]
    });
    csv_bytes(
        &[
            "group",
            "projects",
            "abandoned",
            "median_months",
            "median_ci_low",
            "median_ci_high",
            "rmst_tau_months",
            "rmst_months",
            "rmst_std_error",
            "rmst_ci_low",
            "rmst_ci_high",
        ],
        rows,
    )
}

fn months(value: Option<f64>) -> String {
    value.map_or_else(|| "not reached".into(), |v| format!("{v:.1}"))
}

fn print_summaries(summaries: &[SurvivalGroup], tau: f64) {
    println!(
        "{:<20} {:>9} {:>10} {:>34} {:>30}",
        "group",
        "projects",
        "abandoned",
        "median months (95% CI)",
        format!("RMST to {tau:.1} mo (95% CI)")
    );
    for s in summaries {
        let median = format!(
            "{} ({} to {})",
            months(s.median.estimate),
            months(s.median.ci_low),
            months(s.median.ci_high)
        );
        let rmst = s.rmst.as_ref().map_or_else(
            || "beyond follow-up".to_string(),
            |r| format!("{:.1} ({:.1} to {:.1})", r.estimate, r.ci_low, r.ci_high),
        );
        println!(
            "{:<20} {:>9} {:>10} {:>34} {:>30}",
            s.group, s.projects, s.abandoned, median, rmst
        );
    }
}
