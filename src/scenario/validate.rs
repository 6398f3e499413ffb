//! Validation of a parsed [`ScenarioFile`] into a [`Scenario`]: every numeric field is
//! range-checked, every cross-field rule is checked, and all problems are reported at once.

use super::format::{Scenario, ScenarioFile};
use super::sensitivity;
use super::uncertainty::{self, Probe};
use crate::params::{
    Checker, Issue, PortfolioSpec, ScenarioError, Timing, line_of_offset, suggest_known_field,
};
use crate::strategy::{self, RuleSpec, StrategySpec};

/// Turns a TOML syntax or type error into an [`Issue`] with its line and, where the
/// line holds a key or a table header, the field's full dotted path (`fund.budget_eur`,
/// `strategies[2].rule`), like the range checks name it.
pub(crate) fn issue_from_toml(text: &str, error: &toml::de::Error) -> Issue {
    let line = error.span().map(|span| line_of_offset(text, span.start));
    let field = line
        .map(|line| field_on_line(text, line))
        .unwrap_or_default();
    Issue {
        field,
        line,
        value: None,
        problem: suggest_known_field(&plain_types(error.message().trim())),
    }
}

/// The field on 1-based line `line`: a table header names its table, a `key = value`
/// line its key below the nearest header above it; empty when the line holds neither.
fn field_on_line(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(here) = line.checked_sub(1).and_then(|n| lines.get(n)) else {
        return String::new();
    };
    if let Some(header) = table_header(here) {
        return table_path(&lines[..line], header);
    }
    let Some((key, _)) = here.split_once('=') else {
        return String::new();
    };
    let key = key.trim().trim_matches('"');
    let table = lines[..line - 1]
        .iter()
        .rposition(|l| table_header(l).is_some())
        .map(|at| table_path(&lines[..=at], table_header(lines[at]).unwrap_or_default()));
    match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key.to_string(),
    }
}

/// A table header's name (`fund` of `[fund]`, `strategies` of `[[strategies]]`, also of
/// a header missing its `]`), or `None` for any other line (a key, a comment, an array's
/// continuation line).
fn table_header(line: &str) -> Option<&str> {
    let line = line.split('#').next().unwrap_or_default().trim();
    let inner = line.strip_prefix('[')?;
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    let (name, rest) = inner.split_once(']').unwrap_or((inner, ""));
    let name = name.trim();
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | ' ');
    let closed = matches!(rest.trim(), "" | "]");
    (closed && !name.is_empty() && name.chars().all(plain)).then_some(name)
}

/// The path of the table whose header is the last of `lines`: its name, with the entry's
/// index for an array of tables (`strategies[2]` for the third `[[strategies]]`).
fn table_path(lines: &[&str], name: &str) -> String {
    let is_array = |line: &str| line.trim_start().starts_with("[[");
    let Some(last) = lines.last() else {
        return name.to_string();
    };
    if !is_array(last) {
        return name.to_string();
    }
    let index = lines
        .iter()
        .filter(|line| is_array(line) && table_header(line) == Some(name))
        .count()
        - 1;
    format!("{name}[{index}]")
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

/// Validates `file` (parsed from `text`, which locates fields by line). With a `probe`,
/// the `[uncertainty]` table's paths and distributions are also checked against the
/// scenario (see [`Probe`]); parsing a file gives one, a variant with overrides does not.
pub(super) fn validate(
    file: ScenarioFile,
    text: &str,
    origin: &str,
    probe: Option<&Probe>,
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
    let csv_portfolio = matches!(portfolio, PortfolioSpec::Csv { .. });
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
        uncertainty: file
            .uncertainty
            .as_ref()
            .map(|table| uncertainty::validate(&mut check, table, csv_portfolio, probe)),
        verdict: file
            .verdict
            .as_ref()
            .map(|table| super::verdict::validate(&mut check, table, scenario_horizon)),
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

    #[test]
    fn a_line_names_the_full_key_below_its_table_header() {
        let text = "name = \"x\"\n[fund]\n# money\nbudget_eur = \"lots\"  # EUR\n\n\
                    [[strategies]]\nrule = \"equal\"\n[[strategies]]\nrule = 5\n\
                    amounts_eur = [\n  [1.0, 2.0],\n]\n[a.b]\n\"c\" = 1\n[broken\n";
        assert_eq!(field_on_line(text, 1), "name");
        assert_eq!(field_on_line(text, 2), "fund");
        assert_eq!(field_on_line(text, 3), "");
        assert_eq!(field_on_line(text, 4), "fund.budget_eur");
        assert_eq!(field_on_line(text, 6), "strategies[0]");
        assert_eq!(field_on_line(text, 7), "strategies[0].rule");
        assert_eq!(field_on_line(text, 9), "strategies[1].rule");
        // An array's continuation line is no table header.
        assert_eq!(field_on_line(text, 11), "");
        assert_eq!(field_on_line(text, 14), "a.b.c");
        assert_eq!(field_on_line(text, 15), "broken");
        assert_eq!(field_on_line(text, 99), "");
        assert_eq!(field_on_line(text, 0), "");
    }

    #[test]
    fn toml_errors_name_the_full_key_and_suggest_a_misspelt_name() {
        let text = "name = \"x\"\n[model]\natrition_hazard = 0.1\n";
        let error = toml::from_str::<super::super::ScenarioFile>(text).unwrap_err();
        let issue = issue_from_toml(text, &error);
        assert_eq!(issue.field, "model.atrition_hazard");
        assert_eq!(issue.line, Some(3));
        assert!(
            issue
                .problem
                .starts_with("unknown field `atrition_hazard` (did you mean `attrition_hazard`?), expected one of"),
            "{}",
            issue.problem
        );
        let text = "name = \"x\"\n[fund]\nbudget_eur = \"24600000\"\n";
        let error = toml::from_str::<super::super::ScenarioFile>(text).unwrap_err();
        let issue = issue_from_toml(text, &error);
        assert_eq!(issue.field, "fund.budget_eur");
        assert!(
            issue.problem.contains("expected a number"),
            "{}",
            issue.problem
        );
    }
}
