//! Key findings: plain sentences generated from the numbers of a run, each with its
//! interval, in the order a policy reader asks the questions.

use super::html::{escape, number_auto, percent, percent_with_interval};
use super::robust::HEADLINE;
use crate::analysis::verdict::{Judgement, Verdict};
use crate::output::read::{RunData, Value};
use crate::plot::cliff::OFFSETS;

/// The usage-weighted metric the brief ranks by, beside [`HEADLINE`].
pub const WEIGHTED: &str = "weighted_survival_at_horizon";

/// Survival (never abandoned) at the horizon of strategy `index`, as a share (0..1).
pub fn horizon_survival(data: &RunData, index: usize) -> Option<Value> {
    shared_metric(data, index, "survival_at_horizon").or_else(|| {
        let point = data.survival.get(index)?.last()?;
        Some(Value {
            mean: point.surviving,
            low: point.surviving_ci_low,
            high: point.surviving_ci_high,
            paired: false,
        })
    })
}

/// Usage-weighted survival at the horizon of strategy `index` (0..1).
pub fn horizon_weighted_survival(data: &RunData, index: usize) -> Option<Value> {
    shared_metric(data, index, "weighted_survival_at_horizon").or_else(|| {
        let point = data.survival.get(index)?.last()?;
        Some(Value {
            mean: point.weighted_surviving,
            low: point.weighted_surviving_ci_low,
            high: point.weighted_surviving_ci_high,
            paired: false,
        })
    })
}

fn shared_metric(data: &RunData, index: usize, metric: &str) -> Option<Value> {
    let estimate = data.metric(data.strategies.get(index)?, metric)?;
    Some(Value {
        mean: estimate.mean?,
        low: estimate.ci_low,
        high: estimate.ci_high,
        paired: false,
    })
}

/// "10 years", or "126 months" when the horizon is not whole years.
pub fn span(months: u32) -> String {
    match months {
        12 => "1 year".to_string(),
        m if m % 12 == 0 => format!("{} years", m / 12),
        m => format!("{m} months"),
    }
}

/// The portfolio size: projects in `projects.csv`, else the scenario's count.
pub fn portfolio_size(data: &RunData) -> usize {
    match data.project_count() {
        0 => data
            .info
            .scenario
            .pointer("/portfolio/synthetic/projects")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as usize,
        n => n,
    }
}

/// The largest cliff offset within the horizon (months after the programme ends).
pub fn cliff_offset(data: &RunData) -> Option<u32> {
    OFFSETS
        .iter()
        .copied()
        .filter(|&k| k > 0 && data.info.programme_months + k <= data.info.horizon_months)
        .max()
}

fn quoted(name: &str) -> String {
    format!("“{}”", escape(name))
}

/// The key findings, as HTML sentences.
pub fn findings(data: &RunData) -> Vec<String> {
    let mut sentences = Vec::new();
    let n = data.strategies.len();
    if n == 0 {
        return vec!["The run folder has no strategies.".to_string()];
    }
    let projects = portfolio_size(data);
    let years = span(data.info.horizon_months);
    let abandonment_months = data
        .info
        .scenario
        .pointer("/model/abandonment_months")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(12);
    let count = |share: f64| (share * projects as f64).round() as i64;
    let survival: Vec<Option<Value>> = (0..n).map(|i| horizon_survival(data, i)).collect();
    let baseline_name = &data.strategies[0];
    // A run with uncertainty opens with how far its ranking can be trusted.
    sentences.extend(super::robust::ranking_finding(data));
    let range = |name: &str| super::robust::share_range_clause(data, name, HEADLINE);

    if let Some(base) = survival[0] {
        sentences.push(format!(
            "Without funding ({}), {} of the {projects} projects ({}, 95% interval {}{}) are never abandoned over {years}; a project counts as abandoned once it has had no active maintainer for {abandonment_months} months.",
            quoted(baseline_name),
            count(base.mean),
            percent(base.mean, base.interval()),
            interval_text(base),
            range(baseline_name),
        ));
    }

    // One verdict logic for the whole run (ranking.csv): the brief says what `compare`
    // and the printed table say.
    let verdict = data.judgement(HEADLINE);
    let weighted_verdict = data.judgement(WEIGHTED);
    let identical = verdict.as_ref().is_some_and(Judgement::all_identical);
    let index_of = |name: &str| data.strategies.iter().position(|s| s == name);
    // The strategy the brief features: the best, or when that is the baseline, the
    // best-ranked funded strategy (by mean when the folder has no verdict).
    let best = match &verdict {
        Some(judgement) => judgement
            .rows
            .iter()
            .filter_map(|r| index_of(&r.strategy))
            .find(|&i| i != 0)
            .and_then(|i| Some((i, survival[i]?))),
        None => (1..n)
            .filter_map(|i| Some((i, survival[i]?)))
            .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean)),
    };
    if let Some(judgement) = verdict.as_ref().filter(|_| identical) {
        sentences.push(format!(
            "By survival over {years}: {}",
            escape(&judgement.clause())
        ));
    } else if let Some((index, value)) = best {
        let name = &data.strategies[index];
        let mut sentence = format!(
            "With {} ({}), {} of {projects} ({}, 95% interval {}{}) are never abandoned over {years}",
            escape(&super::describe::strategy(data, name)),
            quoted(name),
            count(value.mean),
            percent(value.mean, value.interval()),
            interval_text(value),
            range(name),
        );
        if let Some(base) = survival[0] {
            sentence.push_str(&format!(", against {} without funding", count(base.mean)));
        }
        if let Some(averted) = data.abandonments_averted(name) {
            sentence.push_str(&format!(
                ": {} abandonments averted per portfolio{}",
                number_auto(averted.mean, averted.interval()).replacen(" (", " (95% interval ", 1),
                if averted.paired { ", paired" } else { "" }
            ));
        }
        sentence.push('.');
        if let Some(judgement) = &verdict {
            sentence.push_str(&format!(
                " By survival over {years}: {}",
                escape(&judgement.clause())
            ));
        }
        sentences.push(sentence);
    }

    if n > 2 && !identical {
        let mut ranked: Vec<(usize, Value)> =
            (0..n).filter_map(|i| Some((i, survival[i]?))).collect();
        ranked.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean));
        let shown = ranked.len().min(8);
        let mut list: Vec<String> = ranked[..shown]
            .iter()
            .map(|(i, v)| {
                format!(
                    "{} {}",
                    quoted(&data.strategies[*i]),
                    percent(v.mean, v.interval())
                )
            })
            .collect();
        if ranked.len() > shown {
            list.push(format!("and {} more (see the table)", ranked.len() - shown));
        }
        sentences.push(format!(
            "Ranked by the share of projects never abandoned over {years}: {}.",
            list.join(", ")
        ));
    }

    let weighted: Vec<Option<Value>> = (0..n).map(|i| horizon_weighted_survival(data, i)).collect();
    sentences.extend(weighted_finding(
        data,
        &weighted,
        weighted_verdict.as_ref(),
        verdict.as_ref(),
    ));

    let mut costs: Vec<(usize, Value)> = (1..n)
        .filter_map(|i| Some((i, data.cost_per_abandonment_averted(&data.strategies[i])?)))
        .collect();
    costs.sort_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
    let million = |v: Value| {
        number_auto(v.mean / 1e6, v.interval().map(|(l, h)| (l / 1e6, h / 1e6))).replacen(
            " (",
            " million (95% interval ",
            1,
        )
    };
    match costs.as_slice() {
        [] if n > 1 => sentences.push(
            "No funded strategy averted any abandonment on average, so no cost per abandonment averted can be given.".to_string(),
        ),
        [] => {}
        [(index, cost)] => sentences.push(format!(
            "Counting money paid plus the fund's overhead, {} costs EUR {} per abandonment averted.",
            quoted(&data.strategies[*index]),
            million(*cost)
        )),
        [(cheap, cheap_cost), .., (dear, dear_cost)] => sentences.push(format!(
            "Counting money paid plus the fund's overhead, the most cost-effective strategy, {}, costs EUR {} per abandonment averted; the least, {}, EUR {}.",
            quoted(&data.strategies[*cheap]),
            million(*cheap_cost),
            quoted(&data.strategies[*dear]),
            million(*dear_cost)
        )),
    }

    for name in data.strategies.iter().skip(1) {
        if let Some(averted) = data.abandonments_averted(name)
            && averted.high.unwrap_or(averted.mean) < 0.0
        {
            sentences.push(format!(
                "{} ends with more abandonments than no funding: {} abandonments averted per portfolio (95% interval {}).",
                quoted(name),
                crate::report::html::signed(averted.mean, 1),
                interval_numbers(averted, 1)
            ));
        }
    }

    if let Some(offset) = cliff_offset(data) {
        sentences.extend(cliff_finding(data, offset, identical));
    }

    let worst_mcse = (0..n)
        .filter_map(|i| {
            data.metric(&data.strategies[i], "survival_at_horizon")?
                .mcse
        })
        .fold(f64::NAN, f64::max);
    let mut precision = format!(
        "Every figure is a mean over {} replications in which all strategies meet the same random events (common random numbers)",
        crate::plot::style::thousands(data.info.replications as f64)
    );
    if let Some(uncertainty) = &data.uncertainty {
        precision.push_str(&format!(
            ", spread over {} parameter sets drawn from the scenario’s uncertainty table; “95% interval” is the Monte Carlo interval of the mean, “across parameter sets” the 5th to 95th percentile of the parameter sets’ means (corrected for the Monte Carlo noise within a set)",
            uncertainty.parameter_sets
        ));
    }
    if worst_mcse.is_finite() {
        precision.push_str(&format!(
            "; the Monte Carlo standard error of survival over {years} is at most {:.2} percentage points",
            100.0 * worst_mcse
        ));
    }
    precision.push('.');
    sentences.push(precision);
    sentences
}

/// What happens when the money stops: survival `offset` months after the programme
/// under the funded strategy with the highest survival at its end, and without funding;
/// when every strategy is identical, once for all of them.
fn cliff_finding(data: &RunData, offset: u32, identical: bool) -> Option<String> {
    let at = |index: usize, k: u32| data.survival_after_programme(index, k);
    let stops = format!(
        "When the money stops after {} months, survival keeps falling",
        data.info.programme_months
    );
    if identical {
        let (start, end) = (at(0, 0)?, at(0, offset)?);
        return Some(format!(
            "{stops}: from {} at the programme's end to {} {offset} months later, the same under every strategy.",
            percent(start.mean, start.interval()),
            percent(end.mean, end.interval()),
        ));
    }
    let (index, start) = (1..data.strategies.len())
        .filter_map(|i| Some((i, at(i, 0)?)))
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))?;
    let end = at(index, offset)?;
    let mut sentence = format!(
        "{stops}: under {} from {} at the programme's end to {} {offset} months later",
        quoted(&data.strategies[index]),
        percent(start.mean, start.interval()),
        percent(end.mean, end.interval()),
    );
    if let (Some(base_start), Some(base_end)) = (at(0, 0), at(0, offset)) {
        sentence.push_str(&format!(
            "; without funding, from {} to {}",
            percent(base_start.mean, base_start.interval()),
            percent(base_end.mean, base_end.interval())
        ));
    }
    sentence.push('.');
    Some(sentence)
}

/// Usage-weighted survival: the best strategy's share of usage never abandoned, against
/// no funding, with the verdict sentence of `weighted` (and whether counting usage
/// rather than projects changes who leads). Never says anyone does best when every
/// strategy is identical.
fn weighted_finding(
    data: &RunData,
    weighted: &[Option<Value>],
    verdict: Option<&Judgement>,
    survival_verdict: Option<&Judgement>,
) -> Option<String> {
    let index_of = |name: &str| data.strategies.iter().position(|s| s == name);
    let Some(judgement) = verdict else {
        // A folder without the weighted metric in its tables: the best funded by mean.
        let (index, value) = (1..weighted.len())
            .filter_map(|i| Some((i, weighted[i]?)))
            .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))?;
        return Some(format!(
            "Weighted by usage (dependents), {} of all usage sits in projects never abandoned under {}.",
            percent_with_interval(value.mean, value.interval()),
            quoted(&data.strategies[index])
        ));
    };
    if judgement.all_identical() {
        return Some(format!(
            "Weighted by usage (dependents): {}",
            escape(&judgement.clause())
        ));
    }
    let best = judgement.best().and_then(|r| index_of(&r.strategy))?;
    let value = weighted.get(best).copied().flatten()?;
    let mut sentence = format!(
        "Weighted by usage (dependents), {} of all usage sits in projects never abandoned under {}",
        percent_with_interval(value.mean, value.interval()),
        quoted(&data.strategies[best]),
    );
    if best != 0
        && let Some(base) = weighted[0]
    {
        sentence.push_str(&format!(
            ", against {} without funding",
            percent(base.mean, base.interval())
        ));
    }
    sentence.push_str(&format!(". {}", escape(&judgement.sentence())));
    let leader = survival_verdict.and_then(Judgement::best);
    if let Some(leader) = leader
        && leader.strategy != data.strategies[best]
        && judgement.verdict_of(&leader.strategy) == Some(Verdict::ClearlyBehind)
    {
        sentence.push_str(&format!(
            " Counting usage rather than projects changes the ranking: {} leads on usage, {} on projects.",
            quoted(&data.strategies[best]),
            quoted(&leader.strategy)
        ));
    }
    Some(sentence)
}

/// "85–89%" (the interval of a share), or "not available".
fn interval_text(value: Value) -> String {
    match value.interval() {
        Some(_) => {
            let text = percent_with_interval(value.mean, value.interval());
            text.split_once('(')
                .map(|(_, rest)| rest.trim_end_matches(')').to_string())
                .unwrap_or(text)
        }
        None => "not available".to_string(),
    }
}

fn interval_numbers(value: Value, digits: usize) -> String {
    match value.interval() {
        Some((low, high)) => format!(
            "{}–{}",
            crate::report::html::signed(low, digits),
            crate::report::html::signed(high, digits)
        ),
        None => "not available".to_string(),
    }
}
