//! `GET /api/schema`: what the page's form is generated from, from the same descriptions
//! the docs and the brief use: the brief's words for each fund field
//! ([`crate::report::parameter_description`]), the chart titles' names for them
//! ([`crate::plot::target::param_title`]), the rules table of docs/strategies.md
//! ([`crate::strategy::rule_descriptions`]) and the metrics' descriptions.

use serde_json::{Value, json};

use super::MAX_BODY_BYTES;
use super::api::State;
use crate::params::Timing;
use crate::scenario;
use crate::stats::Metric;

/// The range `FundParams::check` allows for each numeric fund field, and its unit; a
/// unit test holds them to the check.
const FUND_RANGES: &[(&str, f64, f64, &str)] = &[
    ("budget_eur", 0.0, 1e13, "EUR"),
    ("programme_months", 1.0, 1_200.0, "months"),
    ("horizon_months", 1.0, 1_200.0, "months"),
    ("call_interval_months", 1.0, 1_200.0, "months"),
    ("person_month_eur", 0.0, 1e7, "EUR"),
    ("overhead_fixed_eur", 0.0, 1e9, "EUR"),
    ("overhead_share", 0.0, 1.0, "share"),
    ("grant_duration_months", 1.0, 1_200.0, "months"),
    ("extension_months", 0.0, 1_200.0, "months"),
    ("min_grant_eur", 0.0, 1e12, "EUR"),
    ("max_grant_eur", 0.0, 1e13, "EUR"),
    ("endowment_real_return", 0.0, 0.5, "per year"),
];

/// The fields of `person_month_eur` and `max_grant_eur` must be above their minimum.
const ABOVE_MINIMUM: &[&str] = &["person_month_eur", "max_grant_eur"];

pub fn schema(state: &State) -> Value {
    let default_scenario = scenario::builtin(&state.default_scenario)
        .and_then(|text| scenario::parse_str(text, "default").ok());
    let defaults = default_scenario
        .as_ref()
        .and_then(|s| serde_json::to_value(&s.fund).ok())
        .unwrap_or(Value::Null);
    let fund: Vec<Value> = fund_fields(&defaults);
    let rules = serde_json::to_value(crate::strategy::rule_descriptions()).unwrap_or_default();
    let metrics: Vec<Value> = Metric::ALL
        .iter()
        .map(|m| {
            json!({"name": m.name(), "description": m.description(),
                   "higher_is_better": m.higher_is_better()})
        })
        .collect();
    let timings = Timing::NAMES;
    let max_replications = default_scenario
        .as_ref()
        .map(|s| max_replications(state, s))
        .unwrap_or(0);
    json!({
        "default_scenario": state.default_scenario,
        "fund": fund,
        "timings": timings,
        "rules": rules,
        "metrics": metrics,
        "limits": {
            "max_replications": max_replications,
            "max_replications_note": "for the default scenario on this server: the CLI's limit is on the estimated run time and memory, so it depends on the portfolio, the horizon and the strategies",
            "max_body_bytes": MAX_BODY_BYTES,
            "max_running": super::MAX_RUNNING,
            "max_queued": super::MAX_QUEUED,
        },
    })
}

/// Every numeric field of `[fund]`, in the format's order, with the default scenario's
/// value.
fn fund_fields(defaults: &Value) -> Vec<Value> {
    FUND_RANGES
        .iter()
        .map(|&(field, min, max, unit)| {
            let key = format!("fund.{field}");
            json!({
                "key": key,
                "label": crate::plot::target::param_title(&key),
                "description": crate::report::parameter_description("fund", field),
                "default": defaults.get(field).cloned().unwrap_or(Value::Null),
                "min": min,
                "max": max,
                "min_exclusive": ABOVE_MINIMUM.contains(&field),
                "integer": field.ends_with("_months"),
                "unit": unit,
            })
        })
        .collect()
}

/// The most replications of `scenario` the CLI's limits allow on this server (a
/// bisection over the limit check, which grows with the replications).
fn max_replications(state: &State, scenario: &scenario::Scenario) -> u64 {
    let backend = state.runner.backend.as_ref();
    let allowed = |replications: u64| {
        let mut scenario = scenario.clone();
        scenario.run.replications = replications;
        backend
            .check_limits("default", &scenario, None, state.runner.threads)
            .is_ok()
    };
    let (mut low, mut high) = (1_u64, 1_u64 << 40);
    if !allowed(low) {
        return 0;
    }
    if allowed(high) {
        return high;
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if allowed(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each range is the check's: its ends are accepted (or, for a field that must be
    /// above its minimum, only just above it) and values just outside are refused with a
    /// message naming the full key.
    #[test]
    fn fund_ranges_are_the_checks_ranges() {
        let text = scenario::builtin("stf").unwrap();
        let parse = |field: &str, value: f64| {
            let key = format!("fund.{field}");
            // Cross-field rules must not decide: keep the other fields out of the way (the
            // field itself, set last, wins).
            let mut overrides = vec![
                ("fund.horizon_months", 1_200.0),
                ("fund.budget_eur", 1e13),
                ("fund.min_grant_eur", 0.0),
                ("fund.max_grant_eur", 1e13),
                ("fund.overhead_fixed_eur", 0.0),
            ];
            if field == "horizon_months" {
                overrides.push(("fund.programme_months", 1.0));
            }
            overrides.push((key.as_str(), value));
            scenario::parse_with_overrides(text, "stf", &overrides)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        for &(field, min, max, _) in FUND_RANGES {
            let integer = field.ends_with("_months");
            let step = |x: f64| {
                if integer {
                    1.0
                } else {
                    x.abs().max(1.0) * 1e-9
                }
            };
            if ABOVE_MINIMUM.contains(&field) {
                assert!(parse(field, min).is_err(), "{field} = {min} is refused");
                assert!(
                    parse(field, min + step(min)).is_ok(),
                    "{field} just above {min}"
                );
            } else {
                assert!(
                    parse(field, min).is_ok(),
                    "{field} = {min}: {:?}",
                    parse(field, min)
                );
                let below = parse(field, min - step(min)).expect_err(field);
                // A negative whole number is refused by the type (u32) before the range
                // check, in words that do not name the field.
                if !(integer && min == 0.0) {
                    assert!(below.contains(&format!("fund.{field}")), "{below}");
                }
            }
            assert!(
                parse(field, max).is_ok(),
                "{field} = {max}: {:?}",
                parse(field, max)
            );
            let above = parse(field, max + step(max)).expect_err(field);
            assert!(above.contains(&format!("fund.{field}")), "{above}");
        }
    }
}
