//! Drawing the parameter sets of a scenario with an `[uncertainty]` table: set *k* draws
//! from its own stream, so the sets do not depend on how many there are, on the order
//! they are built in or on the number of threads.
//!
//! In set *k*, from `rng::stream(seed, k, 0, Purpose::Parameters)`: one standard normal
//! per table parameter (by inversion of a uniform), correlated by the copula's Cholesky
//! factor; each parameter's value is its distribution's quantile at Φ(score); then one
//! uniform picks the joint CSV's row (in proportion to its weight). The set's scenario is
//! the scenario text with these values written into their fields, validated as a file is.

use rand::Rng;
use rayon::prelude::*;

use super::UncertaintySpec;
use super::fields::{FieldKind, Probe, field_kind, refusal};
use super::joint::JointDraws;
use crate::params::{Issue, ScenarioError};
use crate::rng::{Purpose, SimRng, stream};
use crate::scenario::sensitivity::normal_quantile;
use crate::scenario::{Scenario, parse_with_overrides};

/// The parameter sets drawn for a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterSets {
    /// The uncertain fields: the table's parameters in file order, then the joint CSV's
    /// field columns in file order.
    pub paths: Vec<String>,
    /// The value of each field in each set, `[set][path]` (whole-number fields rounded,
    /// as the scenario holds them).
    pub values: Vec<Vec<f64>>,
    /// The validated scenario of each set.
    pub scenarios: Vec<Scenario>,
    /// Whether each path's range is marked as an assumption (joint columns are not).
    pub assumptions: Vec<bool>,
}

/// Draws `spec.parameter_sets` parameter sets for the scenario `text` (from `origin`),
/// with the joint draws `joint` if the table names a CSV.
///
/// # Errors
/// A [`ScenarioError`] when the table and the joint draws do not fit together (a field
/// in both, a CSV named but not given), or when a set's scenario refuses a drawn value
/// (naming the set, the field and the value).
pub fn parameter_sets(
    text: &str,
    origin: &str,
    spec: &UncertaintySpec,
    joint: Option<&JointDraws>,
    seed: u64,
) -> Result<ParameterSets, ScenarioError> {
    let fail = |field: &str, value: Option<String>, problem: String| ScenarioError {
        origin: origin.to_string(),
        issues: vec![Issue {
            field: field.to_string(),
            line: None,
            value,
            problem,
        }],
    };
    if let (Some(path), None) = (&spec.joint, joint) {
        return Err(fail(
            "uncertainty.joint",
            Some(format!("{path:?}")),
            "names a joint-draws CSV, but none was loaded (input::load_joint_draws reads it)"
                .into(),
        ));
    }
    let joint_paths: &[String] = joint.map_or(&[], |joint| &joint.paths);
    if let Some(path) = joint_paths.iter().find(|p| spec.index_of(p).is_some()) {
        return Err(fail(
            path,
            None,
            "is drawn both from uncertainty.parameters and from the joint CSV: give each field one source".into(),
        ));
    }
    let copula = spec.copula().map_err(|_| {
        fail(
            "uncertainty.correlations",
            None,
            "the rank correlations do not form a valid correlation matrix".into(),
        )
    })?;
    let probe =
        |overrides: &[(&str, f64)]| parse_with_overrides(text, origin, overrides).map(|_| ());
    let paths: Vec<String> = spec
        .parameters
        .iter()
        .map(|p| p.path.clone())
        .chain(joint_paths.iter().cloned())
        .collect();
    let kinds = paths
        .iter()
        .map(|path| field_kind(&probe as &Probe, path).map_err(|problem| fail(path, None, problem)))
        .collect::<Result<Vec<FieldKind>, _>>()?;
    let table = spec.parameters.len();
    let values: Vec<Vec<f64>> = (0..u64::from(spec.parameter_sets))
        .map(|set| {
            let mut rng = stream(seed, set, 0, Purpose::Parameters);
            let independent: Vec<f64> = (0..table).map(|_| standard_normal(&mut rng)).collect();
            let scores = copula.correlate(&independent);
            let mut values: Vec<f64> = spec
                .parameters
                .iter()
                .zip(&scores)
                .map(|(parameter, &z)| parameter.distribution.value_at_normal_score(z))
                .collect();
            if let Some(joint) = joint {
                let row = joint.row_for(unit_uniform(&mut rng));
                values.extend_from_slice(&joint.rows[row]);
            }
            values
                .iter()
                .zip(&kinds)
                .map(|(&value, kind)| kind.fit(value))
                .collect()
        })
        .collect();
    // Fields that take the value of a table entry (its `also`), with their own kind.
    let also: Vec<(usize, &str, FieldKind)> = spec
        .parameters
        .iter()
        .enumerate()
        .flat_map(|(index, p)| p.also.iter().map(move |path| (index, path.as_str())))
        .map(|(index, path)| {
            field_kind(&probe as &Probe, path)
                .map(|kind| (index, path, kind))
                .map_err(|problem| fail(path, None, problem))
        })
        .collect::<Result<_, _>>()?;
    let built: Vec<Result<Scenario, ScenarioError>> = values
        .par_iter()
        .enumerate()
        .map(|(set, values)| {
            let overrides: Vec<(&str, f64)> = paths
                .iter()
                .map(String::as_str)
                .zip(values.iter().copied())
                .chain(
                    also.iter()
                        .map(|&(index, path, kind)| (path, kind.fit(values[index]))),
                )
                .collect();
            parse_with_overrides(text, origin, &overrides)
                .map_err(|error| refused(origin, spec, set, &overrides, &error))
        })
        .collect();
    // The first refusal in set order, whatever the threads finished first.
    let scenarios = built.into_iter().collect::<Result<Vec<Scenario>, _>>()?;
    let assumptions = spec
        .parameters
        .iter()
        .map(|p| p.assumption)
        .chain(joint_paths.iter().map(|_| false))
        .collect();
    Ok(ParameterSets {
        paths,
        values,
        scenarios,
        assumptions,
    })
}

/// A standard normal by inversion of a uniform on (0, 1): one draw per value, and the
/// same value on every platform (no rejection sampler whose draws depend on the crate).
fn standard_normal(rng: &mut SimRng) -> f64 {
    normal_quantile(((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64)
}

/// A uniform on [0, 1).
fn unit_uniform(rng: &mut SimRng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The error for a set whose scenario refuses its values.
fn refused(
    origin: &str,
    spec: &UncertaintySpec,
    set: usize,
    overrides: &[(&str, f64)],
    error: &ScenarioError,
) -> ScenarioError {
    let culprit = overrides
        .iter()
        .find(|(path, _)| error.issues.iter().any(|issue| issue.field == *path));
    let all: Vec<String> = overrides
        .iter()
        .map(|(path, value)| format!("{path} = {value}"))
        .collect();
    let (field, value, problem) = match culprit {
        Some(&(path, value)) => {
            let source = spec.index_of(path).map_or_else(
                || "its row of the joint CSV".to_string(),
                |index| format!("uncertainty.parameters[{index}]"),
            );
            (
                path.to_string(),
                Some(value.to_string()),
                format!(
                    "parameter set {set} drew {path} = {value}, which the scenario refuses ({}); narrow or truncate the distribution of {source}",
                    refusal(error, path)
                ),
            )
        }
        None => (
            "uncertainty".to_string(),
            None,
            format!(
                "parameter set {set} drew values the scenario refuses together ({}): {}",
                refusal(error, ""),
                all.join(", ")
            ),
        ),
    };
    ScenarioError {
        origin: origin.to_string(),
        issues: vec![Issue {
            field,
            line: None,
            value,
            problem,
        }],
    }
}
