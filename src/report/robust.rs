//! What the brief says about robustness, for a run with uncertainty: how often the
//! leading strategy is best across the parameter sets, the range of a figure across
//! them, and what would change the answer.

use super::html::{escape, percent};
use crate::output::read::RunData;

/// The metric the brief ranks strategies by.
pub const HEADLINE: &str = "survival_at_horizon";

/// The 5th and 95th percentiles of `metric` for `strategy` across parameter sets.
pub fn parameter_range(data: &RunData, strategy: &str, metric: &str) -> Option<(f64, f64)> {
    let row = data.uncertainty.as_ref()?.spread(strategy, metric)?;
    Some((row.p05?, row.p95?))
}

/// "; 61–77% across parameter sets" for a share, or nothing for a fixed-parameter run.
pub fn share_range_clause(data: &RunData, strategy: &str, metric: &str) -> String {
    parameter_range(data, strategy, metric).map_or_else(String::new, |(low, high)| {
        format!(
            "; {}–{} across parameter sets",
            percent(low, Some((low, high))).trim_end_matches('%'),
            percent(high, Some((low, high)))
        )
    })
}

/// The probability that `strategy` is best in `metric` across parameter sets.
pub fn p_best(data: &RunData, strategy: &str, metric: &str) -> Option<f64> {
    data.uncertainty
        .as_ref()?
        .decision(strategy, metric)?
        .p_best
}

fn quoted(name: &str) -> String {
    format!("“{}”", escape(name))
}

fn whole_percent(share: f64) -> String {
    format!("{:.0}%", 100.0 * share)
}

/// The brief's first finding for a run with uncertainty: how robust the ranking by the
/// headline metric is, and what would change it. `None` for a fixed-parameter run.
pub fn ranking_finding(data: &RunData) -> Option<String> {
    let uncertainty = data.uncertainty.as_ref()?;
    // Strategies that give the same result in every replication have no ranking to be
    // robust: naming one as "keeping the most projects" would contradict the verdict.
    if data
        .judgement(HEADLINE)
        .is_some_and(|judgement| judgement.all_identical())
    {
        return None;
    }
    let mut ranked: Vec<(&str, f64)> = data
        .strategies
        .iter()
        .filter_map(|s| Some((s.as_str(), p_best(data, s, HEADLINE)?)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let &(top, share) = ranked.first()?;
    let sets = uncertainty.parameter_sets;
    let beats_none = uncertainty
        .decision(top, HEADLINE)
        .and_then(|d| d.p_beats_none);
    let mut sentence = if share >= 0.9 {
        format!(
            "The ranking is robust to what we do not know: across {sets} parameter sets drawn from the scenario’s uncertainty table, {} keeps the most projects from being abandoned in {} of them",
            quoted(top),
            whole_percent(share)
        )
    } else if share >= 0.5 {
        format!(
            "The ranking depends in part on what we do not know: across {sets} parameter sets drawn from the scenario’s uncertainty table, {} keeps the most projects from being abandoned in {} of them",
            quoted(top),
            whole_percent(share)
        )
    } else {
        let others: Vec<String> = ranked
            .iter()
            .take(3)
            .filter(|(_, p)| *p > 0.0)
            .map(|(name, p)| format!("{} in {}", quoted(name), whole_percent(*p)))
            .collect();
        format!(
            "No strategy is best in most of the {sets} parameter sets drawn from the scenario’s uncertainty table: the one that keeps the most projects from being abandoned is {}",
            others.join(", ")
        )
    };
    if let Some(beats) = beats_none {
        sentence.push_str(&format!(
            "; it beats no funding in {} of them",
            whole_percent(beats)
        ));
    }
    sentence.push('.');
    match uncertainty.change(HEADLINE).and_then(|c| c.sentence.as_deref()) {
        Some(change) if !change.is_empty() => {
            sentence.push_str(&format!(" What would change the answer: {}", escape(change)));
            if !change.ends_with('.') {
                sentence.push('.');
            }
        }
        _ if share < 1.0 => sentence.push_str(
            " No single uncertain assumption separates the parameter sets where it is best from the others.",
        ),
        _ => {}
    }
    Some(sentence)
}
