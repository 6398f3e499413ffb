//! Scenario files: the serde types of the TOML format, their defaults, and validation
//! into a [`Scenario`] the engine can trust.
//!
//! Parsing is two-stage: [`parse_str`] deserializes the raw
//! [`ScenarioFile`] (unknown fields are errors) and then validates every numeric range and
//! every cross-field rule, collecting all problems into one [`ScenarioError`]. No I/O
//! happens here; reading files is the caller's job (`crate::input`).

mod builtin;
mod format;
pub mod sensitivity;
pub mod uncertainty;
pub(crate) mod validate;
pub mod verdict;

pub use builtin::{BUILTIN_FILES, BUILTIN_SCENARIOS, builtin, builtin_file, template};
pub use format::{Scenario, ScenarioFile};
pub use sensitivity::{Distribution, SensitivitySpec, UncertainParameter};
pub use uncertainty::UncertaintySpec;
pub use verdict::VerdictSpec;

use serde::Deserialize;

use crate::params::{Issue, ScenarioError, suggest_known_field};

/// Parses and validates scenario text. `origin` names the file (or built-in) in errors.
/// An `[uncertainty]` table is checked against the scenario too: each path must lead to
/// a numeric field that accepts the ends of its distribution.
///
/// # Errors
/// A [`ScenarioError`] listing every syntax, type, unknown-field and range problem.
pub fn parse_str(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let file: ScenarioFile = toml::from_str(text).map_err(|error| ScenarioError {
        origin: origin.to_string(),
        issues: vec![validate::issue_from_toml(text, &error)],
    })?;
    // The table's fields are probed on the scenario without the table, which is valid
    // whatever the table holds.
    let probe =
        |overrides: &[(&str, f64)]| parse_document(text, origin, overrides, false).map(|_| ());
    validate::validate(file, text, origin, Some(&probe))
}

/// Parses scenario text with numeric fields replaced, each named by its dotted path
/// (`fund.budget_eur`, `model.attrition_hazard`, `strategies[2].power`), then validates
/// the result. Sweeps, sensitivity analyses and calibration vary a scenario this way, so
/// every variant passes the same checks as a file.
///
/// An `[uncertainty]` table is validated on its own here, not probed against the
/// scenario field by field as [`parse_str`] does: a variant is made from a text already
/// parsed, and parameter sets make thousands of variants.
///
/// # Errors
/// A [`ScenarioError`] naming the path when it does not lead to a field of the
/// scenario format, or when a value is out of range.
pub fn parse_with_overrides(
    text: &str,
    origin: &str,
    overrides: &[(&str, f64)],
) -> Result<Scenario, ScenarioError> {
    parse_document(text, origin, overrides, true)
}

/// [`parse_with_overrides`], keeping the `[uncertainty]` table or leaving it out.
fn parse_document(
    text: &str,
    origin: &str,
    overrides: &[(&str, f64)],
    keep_uncertainty: bool,
) -> Result<Scenario, ScenarioError> {
    let fail = |field: &str, problem: String| ScenarioError {
        origin: origin.to_string(),
        issues: vec![Issue {
            field: field.to_string(),
            line: None,
            value: None,
            problem,
        }],
    };
    let mut document: toml::Table = toml::from_str(text).map_err(|error| ScenarioError {
        origin: origin.to_string(),
        issues: vec![validate::issue_from_toml(text, &error)],
    })?;
    if !keep_uncertainty {
        document.remove("uncertainty");
    }
    for &(path, value) in overrides {
        set_path(&mut document, path, value).map_err(|problem| fail(path, problem))?;
    }
    let file = ScenarioFile::deserialize(toml::Value::Table(document)).map_err(|error| {
        let message = suggest_known_field(error.message().trim());
        // A misspelt path creates its last key, which the format then refuses: name the
        // override that did it.
        let culprit = overrides.iter().map(|&(path, _)| path).find(|path| {
            let key = path.rsplit('.').next().unwrap_or(path);
            message.contains(&format!("unknown field `{key}`"))
        });
        match culprit {
            Some(path) => fail(
                path,
                format!("is not a field of the scenario format: {message}"),
            ),
            None => fail("", format!("after overrides: {message}")),
        }
    })?;
    validate::validate(file, text, origin, None)
}

/// Sets the number at a dotted path, creating the last key if the table lacks it (so a
/// default can be overridden). Integer fields get an integer when the value is whole.
/// `--set` uses it to write its values into the scenario text an analysis varies.
///
/// # Errors
/// A sentence when the path does not lead through tables and array entries to a field.
pub fn set_path(document: &mut toml::Table, path: &str, value: f64) -> Result<(), String> {
    let mut table = document;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => {
                let index = rest
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .map_err(|_| format!("bad index in {part:?}"))?;
                (key, Some(index))
            }
            None => (part, None),
        };
        if parts.peek().is_none() {
            if index.is_some() {
                return Err("the path must end at a field, not an array entry".into());
            }
            let number = if value.fract() == 0.0
                && value.abs() < 9e15
                && table.get(key).is_none_or(toml::Value::is_integer)
            {
                toml::Value::Integer(value as i64)
            } else {
                toml::Value::Float(value)
            };
            table.insert(key.to_string(), number);
            return Ok(());
        }
        let entry = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let entry = match index {
            Some(index) => entry
                .as_array_mut()
                .and_then(|array| array.get_mut(index))
                .ok_or_else(|| format!("`{key}` has no entry {index}"))?,
            None => entry,
        };
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{key}` is not a table"))?;
    }
    Err("empty path".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_change_fields_by_path_and_are_validated() {
        let text = builtin("stf").unwrap();
        let scenario = parse_with_overrides(
            text,
            "stf",
            &[
                ("fund.budget_eur", 5e6),
                ("strategies[4].power", 2.0),
                ("model.cliff_months", 3.0),
            ],
        )
        .unwrap();
        assert_eq!(scenario.fund.budget_eur, 5e6);
        assert_eq!(scenario.model.cliff_months, 3);
        assert!(
            scenario.strategies[4]
                .rule
                .params::<crate::strategy::ProportionalParams>()
                .is_some_and(|p| p.power == 2.0)
        );
        let error =
            parse_with_overrides(text, "stf", &[("model.attrition_hazard", -1.0)]).unwrap_err();
        assert_eq!(error.issues[0].field, "model.attrition_hazard");
        let error =
            parse_with_overrides(text, "stf", &[("model.atrition_hazard", 0.1)]).unwrap_err();
        assert!(error.to_string().contains("atrition_hazard"), "{error}");
        // The override that named no field is the key of the message, with a suggestion.
        assert_eq!(error.issues[0].field, "model.atrition_hazard");
        assert!(
            error
                .to_string()
                .contains("did you mean `attrition_hazard`?"),
            "{error}"
        );
        assert!(parse_with_overrides(text, "stf", &[("strategies[9].power", 1.0)]).is_err());
    }
}
