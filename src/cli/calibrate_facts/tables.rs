//! The tables of a `calibrate --facts` folder (`posterior.csv`, `generations.csv`,
//! `facts.csv`), the posterior predictive as printed, and the `fundsim facts` command
//! that shows the facts at the posterior median.

use super::significant;
use crate::analysis::calibrate::facts_fit::{FactsFit, FactsFitResult};
use crate::analysis::facts::{Evaluation, Fact};
use crate::output::files::csv_bytes;
use crate::output::tables::number;

/// `posterior.csv`: `particle,weight,distance,<dotted paths…>`, one row per particle,
/// the weights summing to 1; read as joint draws of the parameters.
pub(super) fn posterior(fit: &FactsFit, result: &FactsFitResult) -> Vec<u8> {
    let mut header = vec![
        "particle".to_string(),
        "weight".to_string(),
        "distance".to_string(),
    ];
    header.extend(fit.params().iter().map(|p| p.path.clone()));
    let rows = result
        .posterior
        .particles
        .iter()
        .enumerate()
        .map(|(i, particle)| {
            let mut row = vec![
                i.to_string(),
                number(particle.weight),
                number(particle.distance),
            ];
            row.extend(particle.theta.iter().map(|&v| number(v)));
            row
        });
    csv_bytes(&header, rows)
}

/// `generations.csv`: per generation its tolerance (`inf` for the prior sample), the
/// proposals to its last acceptance, the simulations run, the acceptance rate and the
/// effective sample size of its weights.
pub(super) fn generations(result: &FactsFitResult) -> Vec<u8> {
    let rows = result.posterior.generations.iter().map(|g| {
        vec![
            g.generation.to_string(),
            if g.tolerance.is_finite() {
                number(g.tolerance)
            } else {
                "inf".into()
            },
            g.proposals.to_string(),
            g.simulations.to_string(),
            number(g.acceptance_rate),
            number(g.ess),
        ]
    });
    csv_bytes(
        &[
            "generation",
            "tolerance",
            "proposals",
            "simulations",
            "acceptance_rate",
            "effective_sample_size",
        ],
        rows,
    )
}

fn statistic_name(fact: &Fact) -> String {
    serde_json::to_value(fact.statistic)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `facts.csv`: per fact the published range and the scales of its gap, whether it is
/// in a conflict group, the posterior predictive (mean, p05, p95 of one simulation per
/// particle) and the evaluation at the posterior median (model mean, one-study range,
/// scaled gap of the mean, verdict).
pub(super) fn facts(fit: &FactsFit, result: &FactsFitResult, at_median: &Evaluation) -> Vec<u8> {
    let rows = fit
        .facts()
        .facts
        .iter()
        .zip(fit.targets())
        .zip(&result.predictive)
        .zip(&at_median.facts)
        .map(|(((fact, target), predictive), evaluated)| {
            let (study_low, study_high) = evaluated
                .one_study
                .map_or((String::new(), String::new()), |(low, high)| {
                    (number(low), number(high))
                });
            vec![
                fact.id.clone(),
                statistic_name(fact),
                number(fact.published[0]),
                number(fact.published[1]),
                number(target.below),
                number(target.above),
                fit.facts().conflict_of(&fact.id).is_some().to_string(),
                number(predictive.mean),
                number(predictive.p05),
                number(predictive.p95),
                number(evaluated.model.mean),
                study_low,
                study_high,
                number(target.gap(evaluated.model.mean)),
                evaluated.verdict.to_string(),
            ]
        });
    csv_bytes(
        &[
            "fact",
            "statistic",
            "published_low",
            "published_high",
            "scale_below",
            "scale_above",
            "in_conflict",
            "predictive_mean",
            "predictive_p05",
            "predictive_p95",
            "median_model_mean",
            "median_one_study_low",
            "median_one_study_high",
            "median_gap",
            "median_verdict",
        ],
        rows,
    )
}

/// A value in the fact's unit: `16.0%` or `6.0×`.
fn shown(fact: &Fact, value: f64) -> String {
    if fact.statistic.is_ratio() {
        format!("{value:.1}×")
    } else {
        format!("{:.1}%", 100.0 * value)
    }
}

/// Per fact: published, the posterior predictive mean and 90% range, the scaled gap at
/// the posterior median; the facts of a conflict group marked.
pub(super) fn print_predictive(fit: &FactsFit, result: &FactsFitResult, at_median: &Evaluation) {
    println!(
        "Posterior predictive: one fresh simulation per particle ({} replication{} each), weighted; gap: the model mean's distance from the published range at the posterior median, in close margins (10% of the published figure)",
        fit.replications(),
        if fit.replications() == 1 { "" } else { "s" }
    );
    println!(
        "{:<54} {:>13} {:>8} {:>15} {:>6}",
        "fact", "published", "mean", "90% range", "gap"
    );
    for (((fact, target), predictive), evaluated) in fit
        .facts()
        .facts
        .iter()
        .zip(fit.targets())
        .zip(&result.predictive)
        .zip(&at_median.facts)
    {
        let [low, high] = fact.published;
        let published = if low == high {
            shown(fact, low)
        } else {
            format!("{}–{}", shown(fact, low), shown(fact, high))
        };
        let conflict = if fit.facts().conflict_of(&fact.id).is_some() {
            "  (in conflict)"
        } else {
            ""
        };
        println!(
            "{:<54} {:>13} {:>8} {:>15} {:>6.2}{conflict}",
            fact.description,
            published,
            shown(fact, predictive.mean),
            format!(
                "{}–{}",
                shown(fact, predictive.p05),
                shown(fact, predictive.p95)
            ),
            target.gap(evaluated.model.mean),
        );
    }
}

/// The posterior medians to four significant digits: the values the facts are
/// evaluated at and the command prints, so that the printed table is what the command
/// shows.
pub(super) fn rounded_medians(result: &FactsFitResult) -> Vec<f64> {
    result
        .medians()
        .iter()
        .map(|&m| significant(m).parse().unwrap_or(m))
        .collect()
}

/// `fundsim facts` with the posterior medians (and the scenario, seed and `--set` of the
/// fit) set.
pub(super) fn facts_command(
    fit: &FactsFit,
    result: &FactsFitResult,
    scenario: Option<&str>,
    seed: Option<u64>,
    settings: &[String],
) -> String {
    let mut words = vec!["fundsim facts".to_string()];
    words.extend(scenario.map(str::to_string));
    words.extend(seed.map(|s| format!("--seed {s}")));
    words.extend(settings.iter().map(|s| format!("--set {s}")));
    words.extend(
        fit.params()
            .iter()
            .zip(rounded_medians(result))
            .map(|(p, m)| format!("--set {}={m}", p.path)),
    );
    words.join(" ")
}
