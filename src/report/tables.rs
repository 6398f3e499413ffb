//! The brief's tables: the strategy table, every metric of `summary.csv`, and the
//! scenario's parameters.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::describe;
use super::findings::{horizon_survival, horizon_weighted_survival, span};
use super::html::{compact, escape, percent_with_interval, signed};
use crate::analysis::caveats::Caveat;
use crate::output::read::{RunData, Value};
use crate::plot::style::css_colour;

const MISSING: &str = "—";

fn swatch(index: usize) -> String {
    format!(
        r#"<span class="swatch" style="background:{}"></span>"#,
        css_colour(index)
    )
}

/// A value with its interval on a second, smaller line.
fn stacked(mean: &str, interval: Option<(String, String)>) -> String {
    match interval {
        Some((low, high)) => format!(r#"{mean}<br><span class="note">{low}–{high}</span>"#),
        None => mean.to_string(),
    }
}

/// A share (0..1) in percent, its interval below.
fn share(value: Option<Value>) -> String {
    value.map_or_else(
        || MISSING.to_string(),
        |v| {
            let text = percent_with_interval(v.mean, v.interval());
            match text.split_once(" (") {
                Some((mean, rest)) => {
                    let (low, high) = rest
                        .trim_end_matches(')')
                        .split_once('–')
                        .unwrap_or((rest, ""));
                    stacked(mean, Some((low.to_string(), high.to_string())))
                }
                None => text,
            }
        },
    )
}

/// A share's cell with, for a run with uncertainty, the 5–95% range of the parameter
/// sets' means on a third line.
fn share_with_range(data: &RunData, value: Option<Value>, strategy: &str, metric: &str) -> String {
    let mut cell = share(value);
    if let Some((low, high)) = super::robust::parameter_range(data, strategy, metric) {
        let _ = write!(
            cell,
            r#"<br><span class="note">params {:.0}–{:.0}%</span>"#,
            100.0 * low,
            100.0 * high
        );
    }
    cell
}

/// One row per strategy with the headline outcomes and their 95% intervals (and, for a
/// run with uncertainty, their range across parameter sets and the probability of being
/// best).
pub fn strategy_table(data: &RunData, caveats: &[Caveat]) -> String {
    let years = span(data.info.horizon_months);
    // Survival when the money stops, beside survival at the horizon, shows the cliff.
    let programme_end = data.info.programme_months < data.info.horizon_months;
    let mut html = String::from(r#"<div class="table-wrap"><table><thead><tr>"#);
    let mut headers = vec![
        "Strategy".to_string(),
        format!("Never abandoned over {years}"),
        format!("Usage-weighted, over {years}"),
        "Abandonments averted per portfolio".to_string(),
        "Fund cost (EUR million)".to_string(),
        "Cost per abandonment averted (EUR million)".to_string(),
    ];
    if programme_end {
        headers.push(format!(
            "Never abandoned at the programme’s end (month {})",
            data.info.programme_months
        ));
    }
    headers.push("Gini of the allocation".to_string());
    let uncertain = data.uncertainty.is_some();
    if uncertain {
        headers.push(format!(
            "Probability of being best (never abandoned over {years})"
        ));
    }
    for (i, header) in headers.iter().enumerate() {
        let class = if i == 0 { r#" class="text""# } else { "" };
        let _ = write!(html, "<th{class}>{}</th>", escape(header));
    }
    html.push_str("</tr></thead><tbody>");
    for (index, name) in data.strategies.iter().enumerate() {
        let cost = ["total_paid_eur", "overhead_eur"]
            .iter()
            .map(|metric| data.mean(name, metric))
            .try_fold(0.0, |sum, v| v.map(|v| sum + v));
        let averted = data.abandonments_averted(name).map_or_else(
            || MISSING.to_string(),
            |v| {
                let interval = v.interval().map(|(l, h)| (signed(l, 1), signed(h, 1)));
                stacked(&signed(v.mean, 1), interval)
            },
        );
        let cost_per_averted = data.cost_per_abandonment_averted(name).map_or_else(
            || MISSING.to_string(),
            |v| {
                let v = v.scaled(1e-6);
                let interval = v
                    .interval()
                    .map(|(l, h)| (format!("{l:.2}"), format!("{h:.2}")));
                stacked(&format!("{:.2}", v.mean), interval)
            },
        );
        // A strategy that left money unspent says how much it spent, next to its name.
        let unspent = super::caveats::table_note(caveats, name).map_or_else(String::new, |note| {
            format!(r#"<br><span class="unspent">{}</span>"#, escape(&note))
        });
        let mut cells = vec![
            format!(
                r#"<strong>{}{}</strong>{unspent}<br><span class="note">{}</span>"#,
                swatch(index),
                escape(name),
                escape(&describe::strategy(data, name))
            ),
            share_with_range(
                data,
                horizon_survival(data, index),
                name,
                "survival_at_horizon",
            ),
            share_with_range(
                data,
                horizon_weighted_survival(data, index),
                name,
                "weighted_survival_at_horizon",
            ),
            averted,
            cost.map_or_else(|| MISSING.to_string(), |c| format!("{:.1}", c / 1e6)),
            cost_per_averted,
        ];
        if programme_end {
            cells.push(share(data.survival_after_programme(index, 0)));
        }
        cells.push(
            data.mean(name, "gini_allocation")
                .map_or_else(|| MISSING.to_string(), |g| format!("{g:.2}")),
        );
        if uncertain {
            cells.push(
                super::robust::p_best(data, name, super::robust::HEADLINE)
                    .map_or_else(|| MISSING.to_string(), |p| format!("{:.0}%", 100.0 * p)),
            );
        }
        html.push_str("<tr>");
        for (i, cell) in cells.iter().enumerate() {
            let class = if i == 0 { r#" class="text""# } else { "" };
            let _ = write!(html, "<td{class}>{cell}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html
}

/// What a metric of `summary.csv` means.
pub(super) fn metric_description(name: &str) -> String {
    match crate::stats::Quantity::parse_list(name, u32::MAX).as_deref() {
        Ok([quantity]) => quantity.description(),
        _ => String::new(),
    }
}

/// Every metric of `summary.csv`, one row each, one column per strategy: mean and 95%
/// interval (empty where undefined).
pub fn metrics_table(data: &RunData) -> String {
    let mut html =
        String::from(r#"<div class="table-wrap"><table><thead><tr><th class="text">Metric</th>"#);
    for (index, name) in data.strategies.iter().enumerate() {
        let _ = write!(html, "<th>{}{}</th>", swatch(index), escape(name));
    }
    html.push_str("</tr></thead><tbody>");
    for metric in &data.metrics {
        let description = metric_description(metric);
        let _ = write!(
            html,
            r#"<tr><td class="text"><code>{}</code>{}</td>"#,
            escape(metric),
            if description.is_empty() {
                String::new()
            } else {
                format!(r#"<br><span class="note">{}</span>"#, escape(&description))
            }
        );
        for name in &data.strategies {
            let cell = match data.metric(name, metric) {
                Some(estimate) => match (estimate.mean, estimate.interval()) {
                    (Some(mean), Some((low, high))) if low != high => format!(
                        r#"{}<br><span class="note">{} – {}</span>"#,
                        compact(mean),
                        compact(low),
                        compact(high)
                    ),
                    (Some(mean), _) => compact(mean),
                    (None, _) => MISSING.to_string(),
                },
                None => MISSING.to_string(),
            };
            let _ = write!(html, "<td>{cell}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html
}

fn json_value(value: &Json) -> String {
    match value {
        Json::Number(number) => match number.as_f64() {
            Some(v) if v.fract() == 0.0 && v.abs() >= 1e4 => crate::plot::style::thousands(v),
            _ => number.to_string(),
        },
        Json::String(text) => text.clone(),
        Json::Bool(true) => "yes".into(),
        Json::Bool(false) => "no".into(),
        Json::Null => MISSING.into(),
        other => other.to_string(),
    }
}

/// A key/value table of one section of the scenario (nested objects flattened).
fn parameter_table(
    section: &str,
    object: &serde_json::Map<String, Json>,
    sources: &describe::Sources,
) -> String {
    let mut rows = Vec::new();
    flatten("", object, &mut rows);
    let mut html = String::from(
        r#"<div class="table-wrap"><table><thead><tr><th class="text">Parameter</th><th>Value</th><th class="text">Meaning</th><th class="text">Source, as noted in the scenario</th></tr></thead><tbody>"#,
    );
    for (key, value) in rows {
        let last = key.rsplit('.').next().unwrap_or(&key);
        let source = sources
            .get(&(section.to_string(), last.to_string()))
            .map_or("", String::as_str);
        let _ = write!(
            html,
            r#"<tr><td class="text"><code>{}</code></td><td>{}</td><td class="text">{}</td><td class="text note">{}</td></tr>"#,
            escape(&key),
            escape(&json_value(value)),
            escape(describe::parameter(section, last)),
            escape(source)
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

fn flatten<'a>(
    prefix: &str,
    object: &'a serde_json::Map<String, Json>,
    rows: &mut Vec<(String, &'a Json)>,
) {
    for (key, value) in object {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Json::Object(inner) => flatten(&key, inner, rows),
            _ => rows.push((key, value)),
        }
    }
}

/// The scenario's parameters, section by section, and its strategies.
pub fn assumptions(data: &RunData) -> String {
    let scenario = &data.info.scenario;
    let sources = describe::sources(data);
    let mut html = String::new();
    let sections = [
        ("fund", "The fund"),
        ("portfolio", "The portfolio"),
        ("model", "The model of a project"),
    ];
    for (key, heading) in sections {
        if let Some(object) = scenario.get(key).and_then(Json::as_object) {
            let _ = write!(html, "<h3>{heading}</h3>");
            let object = match object.get("synthetic").and_then(Json::as_object) {
                Some(inner) if object.len() == 1 => {
                    html.push_str(
                        "<p>A synthetic portfolio drawn from these distributions with the run's seed.</p>",
                    );
                    inner
                }
                _ => object,
            };
            html.push_str(&parameter_table(key, object, &sources));
        }
    }
    html.push_str("<h3>The strategies</h3>");
    html.push_str(
        r#"<div class="table-wrap"><table><thead><tr><th class="text">Strategy</th><th class="text">Rule</th><th class="text">Parameters</th></tr></thead><tbody>"#,
    );
    let entries = scenario
        .get("strategies")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, name) in data.strategies.iter().enumerate() {
        let parameters = entries
            .iter()
            .find(|e| e.get("name").and_then(Json::as_str) == Some(name))
            .and_then(Json::as_object)
            .map(|object| {
                let mut rows = Vec::new();
                flatten("", object, &mut rows);
                rows.iter()
                    .filter(|(key, _)| key != "name")
                    .map(|(key, value)| {
                        format!(
                            "{} = {}",
                            key.replace("rule.rule", "rule"),
                            json_value(value)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let _ = write!(
            html,
            r#"<tr><td class="text">{}{}</td><td class="text">{}</td><td class="text"><code>{}</code></td></tr>"#,
            swatch(index),
            escape(name),
            escape(&describe::strategy(data, name)),
            escape(&parameters)
        );
    }
    html.push_str("</tbody></table></div>");
    html
}
