//! Checks of an uncertain field against the scenario itself: that its path leads to a
//! numeric field, whether that field takes whole numbers, and that the field accepts the
//! ends of its distribution. The scenario is asked, not a list of fields: a [`Probe`]
//! parses the scenario with the field set to a value, so every rule the format has
//! (ranges, cross-field rules, a strategy's own parameters) applies.

use super::distribution::ParameterDistribution;
use crate::params::{Checker, ScenarioError};

/// Parses the scenario (without its `[uncertainty]` table) with the given fields set,
/// and says whether it is valid.
pub type Probe<'a> = dyn Fn(&[(&str, f64)]) -> Result<(), ScenarioError> + 'a;

/// Tables whose numeric fields can be uncertain (not `run`, which says how to run).
pub const VARIABLE_TABLES: [&str; 4] = ["fund.", "portfolio.", "model.", "strategies["];

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Any number in its range.
    Real,
    /// Whole numbers only (months, counts): a drawn value is rounded to the nearest.
    Whole,
}

impl FieldKind {
    /// The value the field gets for a drawn `value`.
    pub fn fit(self, value: f64) -> f64 {
        match self {
            Self::Real => value,
            Self::Whole => value.round(),
        }
    }
}

/// A value no whole-number field accepts and most real fields do.
const FRACTIONAL_PROBE: f64 = 0.5;

/// What `path` leads to, or why it leads to no numeric field (a sentence).
///
/// # Errors
/// The problem, with the format's own suggestion for a misspelt name ("did you mean").
pub fn field_kind(probe: &Probe, path: &str) -> Result<FieldKind, String> {
    let outcome = probe(&[(path, FRACTIONAL_PROBE)]);
    if !VARIABLE_TABLES.iter().any(|table| path.starts_with(table)) {
        let detail = match &outcome {
            Err(error) => structural_problem(error, path)
                .map(|problem| format!(" ({problem})"))
                .unwrap_or_default(),
            Ok(()) => String::new(),
        };
        return Err(format!(
            "must be the dotted path of a numeric field in [fund], [portfolio], [model] or [[strategies]] (e.g. model.hire_rate, strategies[2].power){detail}"
        ));
    }
    let Err(error) = outcome else {
        return Ok(FieldKind::Real);
    };
    let refuses_fractions = error.issues.iter().any(|issue| {
        (issue.field.is_empty() || issue.field == path) && refuses_fraction(&issue.problem)
    });
    if refuses_fractions {
        return Ok(FieldKind::Whole);
    }
    match structural_problem(&error, path) {
        Some(problem) => Err(format!(
            "is not a numeric field of the scenario format: {problem}"
        )),
        // Refused for its value (a range), so it is a field.
        None => Ok(FieldKind::Real),
    }
}

/// Serde's refusal of a fractional number where a whole one is due.
fn refuses_fraction(problem: &str) -> bool {
    problem.contains("invalid type: floating point")
        && [
            "u8",
            "u16",
            "u32",
            "u64",
            "usize",
            "i32",
            "i64",
            "a whole number",
        ]
        .iter()
        .any(|kind| problem.contains(&format!("expected {kind}")))
}

/// The problem that says the path leads to no numeric field, if that is why the probe
/// failed: a document that no longer deserializes (a type or a name the format does not
/// have), or a problem at the path that is not about its value (no such entry, a rule
/// without that parameter). The value of a refusal for range is always given, so a
/// problem at the path without a value is one of these.
fn structural_problem(error: &ScenarioError, path: &str) -> Option<String> {
    error
        .issues
        .iter()
        .find(|issue| issue.field.is_empty() || (issue.field == path && issue.value.is_none()))
        .map(|issue| {
            issue
                .problem
                .strip_prefix("after overrides: ")
                .unwrap_or(&issue.problem)
                .to_string()
        })
}

/// The problems of a refused probe, those at `path` first: what to quote when a value
/// is refused.
pub fn refusal(error: &ScenarioError, path: &str) -> String {
    let at_path: Vec<&str> = error
        .issues
        .iter()
        .filter(|issue| issue.field == path)
        .map(|issue| issue.problem.as_str())
        .collect();
    if !at_path.is_empty() {
        return at_path.join("; ");
    }
    let all: Vec<String> = error
        .issues
        .iter()
        .map(|issue| match issue.field.as_str() {
            "" => issue.problem.clone(),
            field => format!("{field} {}", issue.problem),
        })
        .collect();
    all.join("; ")
}

/// Checks the entry at `field` (`uncertainty.parameters[2]`), which gives `path` the
/// `distribution`: the path leads to a numeric field and the field accepts both ends of
/// the distribution. Problems go to `check`, naming the full key.
pub fn check_field(
    check: &mut Checker,
    probe: &Probe,
    field: &str,
    path_key: &str,
    path: &str,
    distribution: &ParameterDistribution,
) {
    let kind = match field_kind(probe, path) {
        Ok(kind) => kind,
        Err(problem) => {
            check.fail(
                &format!("{field}.{path_key}"),
                Some(format!("{path:?}")),
                problem,
            );
            return;
        }
    };
    let (low, high) = distribution.checked_ends();
    let (open_low, open_high) = distribution.open_sides();
    for (side, value, open, quantile) in [
        ("low", low, open_low, "0.1%"),
        ("high", high, open_high, "99.9%"),
    ] {
        let value = kind.fit(value);
        let Err(error) = probe(&[(path, value)]) else {
            continue;
        };
        let (reach, remedy) = if open {
            (format!("its {quantile} quantile"), "truncate with low/high")
        } else {
            (
                format!("its {side} end"),
                "move low/high within the values the field accepts",
            )
        };
        check.fail(
            &format!("{field}.{side}"),
            Some(value.to_string()),
            format!(
                "the {} distribution reaches {path} = {value} ({reach}), which the scenario refuses ({}): {remedy}",
                distribution.name(),
                refusal(&error, path)
            ),
        );
    }
}
