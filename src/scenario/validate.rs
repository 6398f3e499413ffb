//! Validation of a parsed [`ScenarioFile`] into a [`Scenario`]: every numeric field is
//! range-checked, every cross-field rule is checked, and all problems are reported at once.

use super::{Scenario, ScenarioFile, sensitivity};
use crate::params::{Checker, Issue, ScenarioError, Timing, line_of_offset};
use crate::strategy::{self, RuleSpec, StrategySpec};

/// Turns a TOML syntax or type error into an [`Issue`] with its line and, where the
/// line holds a key, the field.
pub(crate) fn issue_from_toml(text: &str, error: &toml::de::Error) -> Issue {
    let line = error.span().map(|span| line_of_offset(text, span.start));
    let field = line
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|l| {
            let l = l.trim();
            if l.starts_with('[') {
                // A table header: the field is the table (`[fund]`, `[[strategies]]`).
                let header = l.trim_start_matches('[').split(']').next()?.trim();
                (!header.is_empty()).then(|| header.to_string())
            } else {
                l.split_once('=').map(|(key, _)| key.trim().to_string())
            }
        })
        .unwrap_or_default();
    Issue {
        field,
        line,
        value: None,
        problem: plain_types(error.message().trim()),
    }
}

/// Serde names the Rust type it expected (`u32`, `struct FundParams`); a scenario's
/// author needs the kind of value and its range.
fn plain_types(message: &str) -> String {
    let mut plain = message.to_string();
    for (rust, words) in [
        ("u32", "a whole number (integer) from 0 to 4294967295"),
        (
            "u64",
            "a whole number (integer) from 0 to 18446744073709551615",
        ),
        ("f64", "a number"),
        ("a sequence", "an array (a [list] or [[table]] entries)"),
    ] {
        let from = format!("expected {rust}");
        if let Some(at) = plain.find(&from) {
            let end = at + from.len();
            if !plain[end..].starts_with(char::is_alphanumeric) {
                plain.replace_range(at..end, &format!("expected {words}"));
            }
        }
    }
    if let Some(at) = plain.find("expected struct ") {
        let end = plain[at..]
            .find([',', '\n'])
            .map_or(plain.len(), |offset| at + offset);
        plain.replace_range(at..end, "expected a table");
    }
    plain
}

pub(super) fn validate(
    file: ScenarioFile,
    text: &str,
    origin: &str,
) -> Result<Scenario, ScenarioError> {
    let mut check = Checker::new(text);
    if file.name.is_empty()
        || !file
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || file.name.starts_with('.')
    {
        check.fail(
            "name",
            Some(format!("{:?}", file.name)),
            "must be a non-empty name of letters, digits, '-', '_' or '.' (it names the output folder)",
        );
    }
    file.fund.check(&mut check);
    let scenario_horizon = file.fund.horizon_months;
    file.model.check(&mut check);
    file.run.check(&mut check);
    let portfolio = file.portfolio.check(&mut check);
    let mut strategies = Vec::new();
    if file.strategies.is_empty() {
        check.fail(
            "strategies",
            None,
            "at least one [[strategies]] entry is needed",
        );
    }
    for (index, entry) in file.strategies.iter().enumerate() {
        if let Some(spec) = strategy::parse_entry(&mut check, index, entry, plain_types) {
            strategies.push(spec);
        }
    }
    for (index, spec) in strategies.iter().enumerate() {
        if strategies[..index]
            .iter()
            .any(|other| other.name == spec.name)
        {
            check.fail(
                &format!("strategies[{index}].name"),
                Some(format!("{:?}", spec.name)),
                "strategy names must be unique",
            );
        }
    }
    // Every comparison is paired against the unfunded baseline, so there always is one,
    // and it comes first.
    match strategies.iter().position(|s| s.rule.is_baseline()) {
        Some(0) => {}
        Some(position) => {
            let baseline = strategies.remove(position);
            strategies.insert(0, baseline);
        }
        None if !strategies.is_empty() => strategies.insert(
            0,
            StrategySpec {
                name: "none".into(),
                timing: Timing::Even,
                rule: RuleSpec::none(),
            },
        ),
        None => {}
    }
    let scenario = Scenario {
        name: file.name,
        description: file.description.trim().to_string(),
        fund: file.fund,
        portfolio,
        model: file.model,
        strategies,
        run: file.run,
        sensitivity: file
            .sensitivity
            .as_ref()
            .map(|table| sensitivity::validate(&mut check, table, scenario_horizon)),
    };
    check.into_result(origin, scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_type_names_become_plain_words() {
        assert_eq!(
            plain_types("invalid type: string \"four years\", expected u32"),
            "invalid type: string \"four years\", expected a whole number (integer) from 0 to 4294967295"
        );
        assert_eq!(
            plain_types("invalid type: integer `5`, expected struct FundParams"),
            "invalid type: integer `5`, expected a table"
        );
        assert_eq!(plain_types("expected u32x"), "expected u32x");
        assert_eq!(plain_types("duplicate key"), "duplicate key");
    }
}
