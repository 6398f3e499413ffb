//! A target search done ([`Found`]) and its folder (`fundsim target --out DIR`):
//! `target.json` (what `--format json` prints), `target_trace.csv` (every decision of the
//! search), the chart and the manifest — staged before the search and moved into place
//! when complete.

use std::path::PathBuf;
use std::time::Instant;

use super::super::analysis_setup::{Setup, write_csv};
use super::super::args::OutputArgs;
use super::super::error::CliError;
use super::super::interrupt::Interrupt;
use super::super::staging::Staged;
use crate::analysis::target::{Bound, Direction, TargetResult};
use crate::output::manifest::{FolderManifest, TargetManifest};
use crate::output::tables::number;
use crate::plot::labels::{capitalise, compact};
use crate::plot::sensitivity::{Heading, Whisker, render};
use crate::plot::target::{TargetChart, param_title, without_unit};
use crate::stats::{Estimate, Quantity, Scale};

/// A search done: what `target::finish` prints and writes.
pub(in crate::cli) struct Found {
    pub(super) setup: Setup,
    pub(super) strategy: String,
    /// The strategy's index in the scenario as written (its colour).
    pub(super) colour: usize,
    pub(super) quantity: Quantity,
    pub(super) goal: f64,
    pub(super) integer: bool,
    pub(super) tolerance: f64,
    /// The bracket the search started from (`--range`, or the default).
    pub(super) initial: (f64, f64),
    pub(super) result: TargetResult,
    pub(super) started: Instant,
    pub(super) interrupt: Interrupt,
    /// The `--out` folder, staged before the search.
    pub(super) staged: Option<Staged>,
}

/// A value for people: EUR amounts in millions, others with four significant digits.
pub(super) fn show(path: &str, value: f64) -> String {
    if path.ends_with("_eur") {
        if value.abs() >= 1e6 {
            format!("EUR {:.1}M", value / 1e6)
        } else {
            format!("EUR {}", crate::plot::style::thousands(value))
        }
    } else {
        compact(value)
    }
}

/// The answer's interval, rounded like the answer, lowest end first.
pub(super) fn answer_interval(found: &Found) -> (f64, f64) {
    let (near, far) = found.result.interval;
    let (a, b) = (found.round(near.value()), found.round(far.value()));
    (a.min(b), a.max(b))
}

impl Found {
    /// A parameter value as simulated: whole-number fields are rounded.
    pub(super) fn round(&self, value: f64) -> f64 {
        if self.integer { value.round() } else { value }
    }

    /// The evaluations, by value.
    pub(super) fn evaluations_by_value(&self) -> Vec<(f64, crate::stats::Estimate)> {
        let mut evaluations = self.result.evaluations.clone();
        evaluations.sort_by(|a, b| a.0.total_cmp(&b.0));
        evaluations
    }

    /// The goal in words: `at least 85%`, `at most EUR 250,000`, `at least 12`.
    pub(super) fn goal_words(&self) -> String {
        let bound = if self.quantity.higher_is_better() {
            "at least"
        } else {
            "at most"
        };
        format!("{bound} {}", self.outcome_value(self.goal))
    }

    /// A value of the outcome for people: shares in percent, EUR amounts as money.
    fn outcome_value(&self, value: f64) -> String {
        let name = self.quantity.name();
        if self.quantity.scale() == Scale::Share {
            compact(100.0 * value) + "%"
        } else {
            show(&name, value)
        }
    }
}

/// Writes `target.json`, `target_trace.csv`, the chart (unless `--no-charts`) and the
/// manifest, and moves the folder into place; returns its path.
pub(super) fn write_folder(
    found: &Found,
    staged: Staged,
    json: &serde_json::Value,
    path: &str,
    output: &OutputArgs,
) -> Result<PathBuf, CliError> {
    let writing = found.interrupt.writing()?; // a stop signal now waits for the folder
    let bytes = serde_json::to_vec_pretty(json).map_err(|e| CliError::Failure(e.to_string()))?;
    staged.write("target.json", &bytes)?;
    let header = [
        "step",
        "phase",
        path,
        "mean",
        "ci_low",
        "ci_high",
        "mcse",
        "judged_on",
        "decision",
    ];
    let rows: Vec<Vec<String>> = found
        .result
        .trace
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let e = step.estimate;
            vec![
                (i + 1).to_string(),
                step.phase.name().to_string(),
                number(found.round(step.value)),
                number(e.mean),
                number(e.low),
                number(e.high),
                number(e.mcse),
                step.judged_on.to_string(),
                if step.reached { "reached" } else { "missed" }.to_string(),
            ]
        })
        .collect();
    write_csv(&staged, "target_trace.csv", &header, &rows)?;
    let mut files = vec!["target.json".to_string(), "target_trace.csv".to_string()];
    if !output.no_charts {
        match render(&chart(found, path)) {
            Ok(rendered) => {
                staged.write("charts/target.png", &rendered.png)?;
                staged.write("charts/target.svg", rendered.svg.as_bytes())?;
                files.extend(["charts/target.png".into(), "charts/target.svg".into()]);
            }
            Err(error) => eprintln!(
                "warning: the target chart was not drawn ({error}); target.json and target_trace.csv are complete"
            ),
        }
    }
    let setup = &found.setup;
    let manifest = TargetManifest {
        fundsim_version: crate::VERSION.into(),
        command: TargetManifest::COMMAND.into(),
        scenario_origin: setup.loaded.origin.clone(),
        scenario_hash: setup.loaded.scenario.hash(),
        scenario_overrides: setup.overrides_given(),
        seed: setup.model.seed,
        replications_per_evaluation: setup.model.replications,
        param: path.to_string(),
        metric: found.quantity.name(),
        strategy: found.strategy.clone(),
        goal: found.goal,
        files,
    }
    .to_bytes()
    .map_err(|e| CliError::Failure(e.to_string()))?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    Ok(folder)
}

/// The chart of the search: every value tried with its estimate, the goal and the answer.
fn chart(found: &Found, path: &str) -> TargetChart {
    let model = &found.setup.model;
    let scenario = &found.setup.loaded.scenario.name;
    let result = &found.result;
    let (interval_low, interval_high) = answer_interval(found);
    let answer = found.round(result.value);
    let open = matches!(result.interval.0, Bound::Beyond(_))
        || matches!(result.interval.1, Bound::Beyond(_));
    let which = match result.direction {
        Direction::ReachedAbove => "Smallest",
        Direction::ReachedBelow => "Largest",
    };
    let share = found.quantity.scale() == Scale::Share;
    let reached = |e: &Estimate| {
        if found.quantity.higher_is_better() {
            e.mean >= found.goal
        } else {
            e.mean <= found.goal
        }
    };
    let evaluations = found.evaluations_by_value();
    let param = param_title(path);
    let description = found.quantity.description();
    TargetChart {
        heading: Heading {
            title: format!(
                "{which} {} for “{}” to reach the goal",
                param.to_lowercase().replace(" (eur)", ""),
                found.strategy
            ),
            subtitle: format!(
                "Goal: {} {}",
                without_unit(&description),
                found.goal_words()
            ),
            source: format!(
                "Source: fundsim {} target · scenario “{scenario}” · {path} · seed {} · {} replications per value tried · {} values tried",
                crate::VERSION,
                model.seed,
                model.replications,
                evaluations.len()
            ),
        },
        param_title: param,
        outcome_title: capitalise(&description) + if share { " (%)" } else { "" },
        share,
        strategy: found.strategy.clone(),
        colour_index: found.colour,
        points: evaluations
            .iter()
            .map(|(x, e)| {
                let whisker = Whisker {
                    value: e.mean,
                    low: e.low,
                    high: e.high,
                };
                (found.round(*x), whisker, reached(e))
            })
            .collect(),
        goal: found.goal,
        goal_label: found.goal_words(),
        answer,
        answer_label: show(path, answer),
        interval_label: format!(
            "{} – {}",
            show(path, interval_low),
            show(path, interval_high)
        ),
        interval: (interval_low, interval_high),
        note: format!(
            "Each point: the mean of {} replications at a value tried (the same seed at every value) and its 95% interval. The answer is where the mean crosses the goal (bisection to ±{}); its interval is where the ends of the points' 95% intervals cross it.{}",
            model.replications,
            show(path, found.tolerance),
            if open {
                " The interval reaches the end of the range searched and may extend beyond it."
            } else {
                ""
            }
        ),
    }
}
