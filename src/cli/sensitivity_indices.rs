//! The indices of `fundsim sensitivity`: Morris effects or Sobol indices of every output,
//! as tables (`indices.csv`, Sobol's `convergence.csv`), bar charts per metric and
//! comparison, and one summary line per output.

use super::analysis_setup::{Label, write_csv};
use super::error::CliError;
use super::staging::Staged;
use crate::analysis::{self as sensitivity, MonteCarloNoise, MorrisDesign, sobol};
use crate::output::tables::number;
use crate::plot::labels::{self, Outcome, ValueFormat};
use crate::plot::sensitivity::{BarChart, BarKind, BarSeries, Heading, Whisker};
use crate::report::sensitivity::NOISE_LIMIT;
use crate::scenario::UncertainParameter;
use crate::stats::Estimate;

/// What the indices are computed from.
pub(super) struct Analysis<'a> {
    pub labels: &'a [Label],
    pub parameters: &'a [UncertainParameter],
    /// The Monte Carlo noise share of each output.
    pub noise: &'a [MonteCarloNoise],
    /// Every design point's estimates, in point order.
    pub estimates: &'a [Vec<Estimate>],
    /// Bootstrap resamples for the intervals.
    pub resamples: usize,
    pub seed: u64,
    /// The charts' source line.
    pub source: String,
    /// The scenario's horizon, for the outcomes' names ("in 10 years").
    pub horizon_months: u32,
}

/// The charts to draw (file stem, chart) and the summary lines to print.
pub(super) struct Drawn {
    pub charts: Vec<(String, BarChart)>,
    pub summary: Vec<String>,
}

/// The columns of `indices.csv` (and, with `samples` first, of `convergence.csv`).
const INDICES_HEADER: [&str; 10] = [
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

/// One row of `indices.csv`.
fn row(
    method: &str,
    l: &Label,
    p: &UncertainParameter,
    index: &str,
    v: f64,
    low: f64,
    high: f64,
) -> Vec<String> {
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
}

/// Writes a table into `staged` and lists it in `files`.
pub(super) fn write_listed(
    staged: &Staged,
    files: &mut Vec<String>,
    name: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<(), CliError> {
    write_csv(staged, name, header, &rows)?;
    files.push(name.to_string());
    Ok(())
}

/// Morris screening: μ*, μ and σ of every parameter for every output.
///
/// # Errors
/// [`CliError::Failure`] when a table cannot be written.
pub(super) fn morris(
    analysis: &Analysis<'_>,
    design: &MorrisDesign,
    staged: &Staged,
    files: &mut Vec<String>,
) -> Result<Drawn, CliError> {
    let Analysis {
        labels,
        parameters,
        noise,
        estimates,
        resamples,
        seed,
        source,
        horizon_months,
    } = analysis;
    let (resamples, seed) = (*resamples, *seed);
    let mut charts: Vec<(String, BarChart)> = Vec::new();
    let mut summary: Vec<String> = Vec::new();
    let reports = sensitivity::morris_reports(design, estimates, resamples, seed);
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
    write_listed(staged, files, "indices.csv", &INDICES_HEADER, rows)?;
    let series_of = |selected: &[usize]| -> Vec<BarSeries> {
        selected
            .iter()
            .map(|&o| BarSeries {
                label: series_label(&labels[o], &noise[o]),
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
    for group in chart_groups(labels) {
        let first = &labels[group[0]];
        let worst_noise = group.iter().map(|&o| noise[o].share).fold(0.0, f64::max);
        let outcome = outcome_of(first, *horizon_months);
        // μ* is a change of the outcome: a share changes by percentage points.
        let (format, unit) = match outcome.format {
            ValueFormat::Percent | ValueFormat::Points => {
                (ValueFormat::Points, "percentage points".to_string())
            }
            other => (other, outcome.unit.clone()),
        };
        let axis_title = if unit.is_empty() {
            "μ*: mean absolute change over the parameter's range".to_string()
        } else {
            format!("μ*: mean absolute change over the parameter's range ({unit})")
        };
        charts.push((
            chart_name("morris", first),
            BarChart {
                kind: BarKind::Tornado,
                heading: Heading {
                    title: format!("What moves the {}: Morris screening", outcome.phrase),
                    subtitle: chart_subtitle(
                        first,
                        "μ*: how much the outcome changes over each parameter's range",
                    ),
                    source: source.clone(),
                },
                parameters: parameters.iter().map(|p| p.label.clone()).collect(),
                series: series_of(&group),
                axis_title,
                format,
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
    Ok(Drawn { charts, summary })
}

/// Sobol indices: first-order and total indices of every parameter for every output,
/// with their convergence over the base sample.
///
/// # Errors
/// [`CliError::Failure`] when a table cannot be written.
pub(super) fn sobol(
    analysis: &Analysis<'_>,
    samples: u32,
    staged: &Staged,
    files: &mut Vec<String>,
) -> Result<Drawn, CliError> {
    let Analysis {
        labels,
        parameters,
        noise,
        estimates,
        resamples,
        seed,
        source,
        horizon_months,
    } = analysis;
    let (resamples, seed) = (*resamples, *seed);
    let mut charts: Vec<(String, BarChart)> = Vec::new();
    let mut summary: Vec<String> = Vec::new();
    let k = parameters.len();
    let reports = sensitivity::sobol_reports(estimates, k, samples as usize, resamples, seed);
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
    write_listed(staged, files, "indices.csv", &INDICES_HEADER, rows)?;
    let mut convergence_header = INDICES_HEADER;
    convergence_header[0] = "samples";
    write_listed(
        staged,
        files,
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
                label: series_label(&labels[o], &noise[o]),
                colour_index: labels[o].colour,
                main: whiskers(&reports[o].indices.total),
                second: whiskers(&reports[o].indices.first),
            })
            .collect()
    };
    for group in chart_groups(labels) {
        let first = &labels[group[0]];
        let worst_noise = group.iter().map(|&o| noise[o].share).fold(0.0, f64::max);
        let outcome = outcome_of(first, *horizon_months);
        charts.push((
            chart_name("sobol", first),
            BarChart {
                kind: BarKind::SobolIndices,
                heading: Heading {
                    title: format!("What moves the {}: Sobol indices", outcome.phrase),
                    subtitle: chart_subtitle(
                        first,
                        "share of the outcome's variance due to each parameter",
                    ),
                    source: source.clone(),
                },
                parameters: parameters.iter().map(|p| p.label.clone()).collect(),
                series: series_of(&group),
                axis_title: "Sobol index: share of the outcome's variance (%)".into(),
                format: ValueFormat::Percent,
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
    Ok(Drawn { charts, summary })
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

/// The outcome of `label` as the charts name it.
fn outcome_of(label: &Label, horizon_months: u32) -> Outcome {
    labels::outcome(&label.metric, &label.versus, horizon_months)
}

/// Whether Monte Carlo noise is too large a share of the variance for the indices of an
/// output to be trusted ([`NOISE_LIMIT`], as the printed header and the report say).
pub(super) fn too_noisy(noise: &MonteCarloNoise) -> bool {
    noise.share.is_finite() && noise.share > NOISE_LIMIT
}

/// A strategy's legend entry, with a second line when its output is too noisy.
fn series_label(label: &Label, noise: &MonteCarloNoise) -> String {
    if too_noisy(noise) {
        format!(
            "{}\ntoo noisy ({:.0}% of variance)",
            label.strategy,
            100.0 * noise.share
        )
    } else {
        label.strategy.clone()
    }
}

fn noise_note(share: f64) -> String {
    if !share.is_finite() {
        String::new()
    } else if share > NOISE_LIMIT {
        format!(
            "Monte Carlo noise: up to {:.1}% of the variance over the design (worst strategy), above the {:.0}% at which indices can be trusted: small bars and the order of close ones may be noise. Rerun with more --replications.",
            100.0 * share,
            100.0 * NOISE_LIMIT
        )
    } else {
        format!(
            "Monte Carlo noise: at most {:.1}% of the variance over the design (worst strategy), below the {:.0}% at which indices stop being trustworthy.",
            100.0 * share,
            100.0 * NOISE_LIMIT
        )
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
    let share = if too_noisy(noise) {
        format!(
            "{:.3} (above {NOISE_LIMIT}: not to be trusted, add --replications)",
            noise.share
        )
    } else if noise.share.is_finite() {
        format!("{:.3}", noise.share)
    } else {
        "— (constant)".into()
    };
    let undefined = match noise.undefined_points {
        0 => String::new(),
        n => format!(
            " (undefined at {n} design point{}: the measures that step through them are undefined)",
            if n == 1 { "" } else { "s" }
        ),
    };
    format!(
        "{output}: noise share {share}{undefined}; top: {}",
        top.join("; ")
    )
}
