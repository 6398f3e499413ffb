//! The brief's caveats, read from a run folder: the sentences `fundsim run` printed as
//! warnings ([`crate::analysis::caveats`]), drawn from the same figures as `summary.csv`
//! and the manifest's scenario hold them, so a brief re-rendered with `fundsim report`
//! says what the run said.

use serde_json::Value as Json;

use super::describe;
use super::html::escape;
use crate::analysis::caveats::{self, BUDGET_FIELD, Caveat, Facts, Spending};
use crate::output::read::RunData;
use crate::params::{FundParams, Timing};

/// Paired metrics: a strategy whose outcomes equal the baseline's in every replication
/// has each of them at exactly zero with no spread.
const PAIRED: [&str; 3] = [
    "abandonments_averted",
    "project_years_gained",
    "weighted_project_years_gained",
];

/// The caveats of the run in `data`, the reasons strategies cannot differ first.
pub fn of(data: &RunData) -> Vec<Caveat> {
    caveats::caveats(&facts(data))
}

/// The budget as recorded in the manifest's scenario (EUR, overheads included).
pub fn budget_eur(data: &RunData) -> Option<f64> {
    data.info
        .scenario
        .pointer("/fund/budget_eur")
        .and_then(Json::as_f64)
}

fn budget_varies(data: &RunData) -> bool {
    data.info
        .scenario
        .pointer("/uncertainty/parameters")
        .and_then(Json::as_array)
        .is_some_and(|list| {
            list.iter()
                .any(|p| p.get("path").and_then(Json::as_str) == Some(BUDGET_FIELD))
        })
}

fn facts(data: &RunData) -> Facts {
    let baseline = data.baseline().unwrap_or_default();
    let baseline_rows: Vec<&crate::output::read::ProjectRow> = data
        .projects
        .iter()
        .filter(|row| row.strategy == baseline)
        .collect();
    let strategies = data
        .strategies
        .iter()
        .map(|name| {
            let entry = describe::strategy_entry(data, name);
            let funds = entry.map_or(name != baseline, |entry| {
                describe::rule(entry).map_or(name != baseline, |rule| rule.funds())
            });
            let spent_eur = ["total_paid_eur", "overhead_eur"]
                .iter()
                .map(|metric| data.mean(name, metric))
                .try_fold(0.0, |sum, v| v.map(|v| sum + v));
            Spending {
                strategy: name.clone(),
                funds,
                endowment: entry.and_then(|e| e.get("timing")?.as_str()) == Some("endowment"),
                spent_eur,
                same_as_baseline: Some(same_as_baseline(data, name, baseline)),
            }
        })
        .collect();
    Facts {
        // A manifest without a budget (an older version) cannot be checked against one;
        // NaN makes both the zero-budget and the unspent test false.
        budget_eur: budget_eur(data).unwrap_or(f64::NAN),
        budget_varies: budget_varies(data),
        nobody_active: !baseline_rows.is_empty()
            && baseline_rows
                .iter()
                .all(|row| row.maintainers_start == Some(0.0)),
        grant_capacity_eur: grant_capacity(data),
        strategies,
    }
}

/// [`caveats::grant_capacity_eur`] from the manifest's fund and strategies.
fn grant_capacity(data: &RunData) -> Option<f64> {
    let fund: FundParams = serde_json::from_value(data.info.scenario.get("fund")?.clone()).ok()?;
    let projects = match data.project_count() {
        0 => return None,
        n => n,
    };
    let timings: Vec<Timing> = data
        .strategies
        .iter()
        .filter_map(|name| {
            let entry = describe::strategy_entry(data, name)?;
            describe::rule(entry).ok()?.funds().then_some(())?;
            Timing::from_name(entry.get("timing")?.as_str()?)
        })
        .collect();
    caveats::grant_capacity_eur(&fund, projects, timings.into_iter())
}

/// Whether `name`'s outcomes equal the baseline's in every replication, as far as the
/// tables tell: every metric's mean is the baseline's, and every paired difference is
/// zero with a zero-width interval (which only happens when it is zero in every
/// replication).
fn same_as_baseline(data: &RunData, name: &str, baseline: &str) -> bool {
    let paired_zero = PAIRED.iter().all(|metric| match data.metric(name, metric) {
        Some(estimate) => {
            estimate.mean.is_none_or(|mean| mean == 0.0) && estimate.ci_low == estimate.ci_high
        }
        None => true,
    });
    paired_zero
        && data
            .metrics
            .iter()
            .filter(|metric| !PAIRED.contains(&metric.as_str()))
            .all(|metric| data.mean(name, metric) == data.mean(baseline, metric))
}

/// The notice box at the top of the brief: every caveat, or nothing when there is none.
pub fn notice(found: &[Caveat]) -> String {
    if found.is_empty() {
        return String::new();
    }
    let items: String = found
        .iter()
        .map(|caveat| format!("<li>{}</li>\n", escape(&caveat.sentence())))
        .collect();
    format!(
        "<aside class=\"notice\" id=\"caveats\" role=\"note\">\n<p><strong>Read this first.</strong></p>\n<ul>\n{items}</ul>\n</aside>\n"
    )
}

/// The note under a strategy's name in the strategy table when it left money unspent
/// ("spent EUR 19.99M of EUR 24.60M (81%)").
pub fn table_note(found: &[Caveat], name: &str) -> Option<String> {
    found
        .iter()
        .filter_map(Caveat::table_note)
        .find(|(strategy, _)| *strategy == name)
        .map(|(_, note)| note)
}

/// The sentence that opens the strategy table: what budget every row spends, and which
/// rows spend less of it.
pub fn budget_sentence(data: &RunData, found: &[Caveat]) -> String {
    if found.iter().any(|c| matches!(c, Caveat::CannotDiffer(_))) {
        return "Each row is one strategy of the scenario; as the notice at the top says, none of them can differ from the baseline here.".to_string();
    }
    let budget = match budget_eur(data) {
        _ if budget_varies(data) => format!(
            "a budget that differs between parameter sets (<code>{BUDGET_FIELD}</code> is uncertain)"
        ),
        Some(budget) => format!("a budget of {} (overheads included)", caveats::eur(budget)),
        None => "the fund’s budget".to_string(),
    };
    let unspent = found
        .iter()
        .filter(|c| matches!(c, Caveat::Unspent { .. }))
        .count();
    match unspent {
        0 => format!("Each row is one way of spending {budget}."),
        1 => format!(
            "Each row is one way of spending {budget}; the strategy with “spent … of …” under its name left part of it unspent, so its row is that of a smaller fund."
        ),
        _ => format!(
            "Each row is one way of spending {budget}; the {unspent} strategies with “spent … of …” under their names left part of it unspent, so their rows are those of a smaller fund."
        ),
    }
}
