//! Plain-language descriptions of strategies and scenario parameters, read from the
//! scenario as recorded in `manifest.json` (unknown rules and keys are shown by name).
//! A rule's words are its own (`Rule::brief`), reached through the rule registry.

use std::collections::HashMap;

use serde_json::Value;

use crate::output::read::RunData;
use crate::strategy::RuleSpec;

/// The scenario's entry for strategy `name`, when the manifest has it.
pub(super) fn strategy_entry<'a>(data: &'a RunData, name: &str) -> Option<&'a Value> {
    data.info
        .scenario
        .get("strategies")?
        .as_array()?
        .iter()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(name))
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key)?.as_str()
}

/// The allocation rule of a strategy entry, read through the rule registry: `rule` is an
/// object with a `rule` field and its parameters (a bare name in older manifests).
pub(super) fn rule(entry: &Value) -> Result<RuleSpec, String> {
    match entry.get("rule") {
        Some(Value::String(name)) => RuleSpec::from_json(&serde_json::json!({ "rule": name })),
        Some(object) => RuleSpec::from_json(object),
        None => Err("no rule".into()),
    }
}

/// The rule's name as recorded, for a rule this version cannot read.
fn rule_name(entry: &Value) -> &str {
    match entry.get("rule") {
        Some(Value::String(name)) => name,
        Some(object) => text(object, "rule").unwrap_or("unknown"),
        None => "unknown",
    }
}

/// "grants proportional to the square root of dependents, paid in equal yearly calls".
pub fn strategy(data: &RunData, name: &str) -> String {
    let Some(entry) = strategy_entry(data, name) else {
        return format!("strategy “{name}”");
    };
    let allocation = match rule(entry) {
        // The baseline pays nothing, so it has no timing to speak of.
        Ok(rule) if !rule.funds() => return rule.brief(),
        Ok(rule) => rule.brief(),
        Err(_) => format!("the “{}” rule", rule_name(entry).replace('_', " ")),
    };
    let interval = data
        .info
        .scenario
        .pointer("/fund/call_interval_months")
        .and_then(Value::as_u64);
    let timing = match text(entry, "timing") {
        Some("even") => match interval {
            Some(12) => "paid in equal yearly calls".to_string(),
            Some(months) => format!("paid in equal calls every {months} months"),
            None => "paid in equal calls".to_string(),
        },
        Some("front_loaded") => "all paid in the first call".to_string(),
        Some("endowment") => "as an endowment (only its returns are spent)".to_string(),
        Some(other) => format!("timing “{}”", other.replace('_', " ")),
        None => String::new(),
    };
    if timing.is_empty() {
        allocation
    } else {
        format!("{allocation}, {timing}")
    }
}

/// What a scenario parameter means, with its unit; empty when unknown.
pub fn parameter(section: &str, key: &str) -> &'static str {
    match (section, key) {
        ("fund", "budget_eur") => "total budget (EUR)",
        ("fund", "programme_months") => "months during which the fund makes calls",
        ("fund", "horizon_months") => "months simulated",
        ("fund", "call_interval_months") => "months between calls (decision points)",
        ("fund", "person_month_eur") => "cost of one paid person-month (EUR)",
        ("fund", "overhead_fixed_eur") => "fixed fund overhead per grant (EUR)",
        ("fund", "overhead_share") => "overhead as a share of each grant",
        ("fund", "grant_duration_months") => "months over which a grant is spent",
        ("fund", "min_grant_eur") => "smallest grant (EUR)",
        ("fund", "max_grant_eur") => "largest grant (EUR)",
        ("fund", "clawback_on_abandonment") => "unspent money returns when a project is abandoned",
        ("fund", "extension_months") => "months a project may spend a grant after its end",
        ("portfolio", "projects") => "projects in the portfolio",
        ("portfolio", "dependents_median") => "median dependents per project (usage)",
        ("portfolio", "dependents_sigma_log") => "spread of dependents (log-normal sigma)",
        ("portfolio", "maintainers_one_share") => "share of projects with one maintainer",
        ("portfolio", "maintainers_two_share") => "share of projects with two maintainers",
        ("portfolio", "maintainers_extra_mean") => "mean maintainers beyond two, larger teams",
        ("portfolio", "volunteer_hours") => "unpaid hours per maintainer per month",
        ("portfolio", "backlog_months") => "initial backlog (months of work)",
        ("portfolio", "absorption_base_pm") => "funded person-months a project can absorb",
        ("portfolio", "absorption_per_maintainer_pm") => "extra absorption per maintainer",
        ("portfolio", "baseline_funding_eur") => "existing funding per project (EUR/month)",
        ("portfolio", "redraw_per_replication") => "portfolio redrawn every replication",
        ("model", "attrition_hazard") => "monthly chance a maintainer leaves (base)",
        ("model", "burnout_slope") => "how fast workload raises attrition",
        ("model", "burnout_cap") => "largest burnout multiplier",
        ("model", "paid_attrition_multiplier") => "attrition multiplier while paid",
        ("model", "cliff_multiplier") => "attrition multiplier after pay stops",
        ("model", "cliff_months") => "months the cliff multiplier lasts",
        ("model", "funder_hazard") => "monthly chance a project's other funder leaves",
        ("model", "crowd_out") => "share of volunteer time lost while fund money is spent",
        ("model", "break_return_hazard") => "monthly chance a maintainer on a break returns",
        ("model", "newcomer_rate") => "monthly newcomer rate (reference usage)",
        ("model", "hire_rate") => "hires per funded person-month not covered by the team",
        ("model", "revival_hazard") => "monthly chance an abandoned project is revived",
        ("model", "abandonment_months") => "months without a maintainer before abandonment",
        ("model", "work_base_pm") => "maintenance work arriving per month (person-months)",
        ("model", "vuln_base_rate") => "vulnerabilities introduced per month (reference usage)",
        ("model", "vuln_effort_pm") => "person-months to fix one vulnerability",
        ("model", "vuln_discovery_external") => {
            "monthly chance outsiders find a latent vulnerability"
        }
        ("model", "vuln_discovery_usage_exponent") => {
            "how outsiders' finds grow with usage (exponent)"
        }
        ("model", "vuln_discovery_per_pm") => {
            "monthly chance of finding one per person-month of effort"
        }
        ("model", "backlog_obsolescence") => "share of the backlog lapsing each month",
        ("model", "break_max_months") => "longest break before an exit is final (months)",
        ("model", "break_return_decay_months") => "how fast the chance of return fades (months)",
        ("model", "hours_per_person_month") => "working hours in a person-month",
        ("model", "newcomer_activity_share") => "share of newcomers drawn by activity",
        ("model", "newcomer_usage_exponent") => "how newcomers grow with usage (exponent)",
        ("model", "reference_dependents") => "usage at which the base rates apply",
        ("model", "revival_usage_exponent") => "how revival grows with usage (exponent)",
        ("model", "vuln_usage_exponent") => "how vulnerabilities grow with usage (exponent)",
        ("model", "work_cv") => "variability of monthly work (coefficient of variation)",
        ("model", "work_usage_exponent") => "how work grows with usage (exponent)",
        ("portfolio", "volunteer_hours_sigma_log") => {
            "spread of volunteer hours (log-normal sigma)"
        }
        ("portfolio", "path") => "portfolio file",
        _ => "",
    }
}

/// (section, key) → the comment beside the value in the scenario's text.
pub type Sources = HashMap<(String, String), String>;

/// The sources of a built-in scenario's values: the comment after each `key = value` in
/// its compiled-in text, kept only where that value is the value run (so a scenario
/// changed since the run cannot lend it a wrong source). Scenario files carry their own
/// comments; the brief does not read files beyond the run folder.
pub fn sources(data: &RunData) -> Sources {
    let Some(text) = data
        .info
        .scenario_origin
        .strip_prefix("built-in:")
        .and_then(crate::scenario::builtin)
    else {
        return Sources::new();
    };
    let scenario = &data.info.scenario;
    let mut sources = Sources::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = if line.starts_with("[[") {
                String::new()
            } else {
                line.trim_matches(|c| c == '[' || c == ']')
                    .trim()
                    .to_string()
            };
            continue;
        }
        if section.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, rest)) = line.split_once('=') else {
            continue;
        };
        let Some((value, comment)) = split_comment(rest) else {
            continue;
        };
        let key = key.trim();
        let run = scenario
            .get(&section)
            .and_then(|s| s.get(key).or_else(|| s.get("synthetic")?.get(key)));
        if let Some(run) = run
            && same_value(value, run)
            && !comment.is_empty()
        {
            sources.insert((section.clone(), key.to_string()), comment.to_string());
        }
    }
    sources
}

/// Splits `value # comment` (a `#` inside a quoted value is not a comment).
fn split_comment(rest: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in rest.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return Some((rest[..i].trim(), rest[i + 1..].trim())),
            _ => {}
        }
    }
    None
}

/// Whether the TOML value text is the JSON value of the run.
fn same_value(text: &str, run: &Value) -> bool {
    match run {
        Value::Number(number) => {
            let (Some(run), Ok(written)) = (number.as_f64(), text.replace('_', "").parse::<f64>())
            else {
                return false;
            };
            (run - written).abs() <= 1e-9 * run.abs().max(1.0)
        }
        Value::Bool(flag) => text == flag.to_string(),
        Value::String(string) => text.trim_matches('"') == string,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{rule, rule_name, same_value, split_comment};
    use serde_json::json;

    #[test]
    fn rules_are_described_through_the_registry_and_unknown_ones_by_name() {
        let brief = |entry: serde_json::Value| rule(&entry).map(|r| r.brief());
        let root = json!({"rule": {"rule": "proportional", "score": "open_vulnerabilities", "power": 0.5}});
        assert_eq!(
            brief(root).unwrap(),
            "grants proportional to the square root of open vulnerabilities"
        );
        let none = json!({"rule": {"rule": "none"}});
        assert_eq!(brief(none).unwrap(), "no funding (the baseline)");
        // A bare name, as older manifests may have it, gets the rule's defaults.
        let bare = json!({"rule": "milestone"});
        assert_eq!(
            brief(bare).unwrap(),
            "grants paid in tranches, withheld from dormant projects"
        );
        let unknown = json!({"rule": {"rule": "fair_share", "x": 1}});
        assert!(rule(&unknown).is_err());
        assert_eq!(rule_name(&unknown), "fair_share");
    }

    #[test]
    fn comments_and_values_of_scenario_lines() {
        assert_eq!(
            split_comment(" 24_600_000.0   # STA news"),
            Some(("24_600_000.0", "STA news"))
        );
        assert_eq!(split_comment(" \"a#b\" # c"), Some(("\"a#b\"", "c")));
        assert_eq!(split_comment(" 3"), None);
        assert!(same_value("24_600_000.0", &serde_json::json!(24_600_000.0)));
        assert!(!same_value("0.2", &serde_json::json!(0.1)));
        assert!(same_value("false", &serde_json::json!(false)));
    }
}
