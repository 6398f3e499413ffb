//! `/api/compare`: two configurations run on the same seed, so that replication r of
//! each draws the same random numbers, and the differences b − a of every metric paired
//! by replication, with a normal 95% interval (the mean difference ± 1.96 standard
//! errors of the paired differences), as `fundsim compare` pairs strategies.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use super::error::ApiError;
use super::request::{Checked, RunRequest};
use super::result::{self, Quantities, Runner, Simulated};
use crate::stats::Metric;

/// The normal quantile of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Checks both bodies, `b` on `a`'s seed.
///
/// # Errors
/// The first side's error, with `a.` or `b.` before each field at fault.
pub fn check_pair(
    a: &RunRequest,
    b: &RunRequest,
    check: impl Fn(&RunRequest) -> Result<Checked, ApiError>,
) -> Result<(Checked, Checked), ApiError> {
    let side = |name: &str, mut error: ApiError| {
        error.error = format!("{name}: {}", error.error);
        for problem in &mut error.problems {
            problem.key = format!("{name}.{}", problem.key);
        }
        error
    };
    let a = check(a).map_err(|e| side("a", e))?;
    let b = RunRequest {
        seed: Some(a.scenario.run.seed),
        ..b.clone()
    };
    let b = check(&b).map_err(|e| side("b", e))?;
    Ok((a, b))
}

/// Runs both sides one after the other (one simulation slot) and pairs them.
///
/// # Errors
/// As [`Runner::simulate`].
pub fn run_pair(
    runner: &Runner,
    a: Checked,
    b: Checked,
    cancel: &AtomicBool,
) -> Result<Value, ApiError> {
    let side = |checked: Checked| -> Result<(Value, Simulated, Vec<Replication>), ApiError> {
        let records = Arc::new(Quantities::default());
        let simulated = runner.simulate(checked, cancel, &|_| {}, Some(Arc::clone(&records)))?;
        let folder = runner.write_folder(&simulated, false)?;
        Ok((
            result::answer(&simulated, &folder)?,
            simulated,
            records.take(),
        ))
    };
    let (answer_a, simulated_a, records_a) = side(a)?;
    let (answer_b, simulated_b, records_b) = side(b)?;
    let names = |s: &Simulated| -> Vec<String> {
        s.scenario
            .strategies
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    let differences = paired_differences(
        &names(&simulated_a),
        &records_a,
        &names(&simulated_b),
        &records_b,
    );
    Ok(json!({"a": answer_a, "b": answer_b, "differences": differences}))
}

/// One replication's quantities, `[strategy][quantity]`.
type Replication = Vec<Vec<Option<f64>>>;

/// For every strategy in both runs (by name) and every metric, the mean of b − a over
/// the replications both ran in which both values are defined, and its 95% interval.
pub fn paired_differences(
    names_a: &[String],
    records_a: &[Replication],
    names_b: &[String],
    records_b: &[Replication],
) -> Vec<Value> {
    let mut rows = Vec::new();
    for (index_a, name) in names_a.iter().enumerate() {
        let Some(index_b) = names_b.iter().position(|n| n == name) else {
            continue;
        };
        for (slot, metric) in Metric::ALL.iter().enumerate() {
            let differences: Vec<f64> = records_a
                .iter()
                .zip(records_b)
                .filter_map(|(a, b)| {
                    let a = a.get(index_a)?.get(slot).copied().flatten()?;
                    let b = b.get(index_b)?.get(slot).copied().flatten()?;
                    Some(b - a)
                })
                .filter(|d| d.is_finite())
                .collect();
            let (mean, low, high) = normal_interval(&differences);
            rows.push(json!({
                "strategy": name,
                "metric": metric.name(),
                "mean": finite(mean),
                "ci_low": finite(low),
                "ci_high": finite(high),
                "replications": differences.len(),
            }));
        }
    }
    rows
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        Value::from(x)
    } else {
        Value::Null
    }
}

/// The mean and its normal 95% interval; NaN without values, a zero-width interval
/// with one.
fn normal_interval(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() == 1 {
        return (mean, mean, mean);
    }
    let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = Z95 * (variance / n).sqrt();
    (mean, mean - half, mean + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_paired_by_replication_and_strategy_name() {
        let slots = Metric::ALL.len();
        let replication = |x: f64| vec![vec![Some(x); slots], vec![Some(10.0 * x); slots]];
        let records_a: Vec<Replication> = [1.0, 2.0, 3.0].map(replication).to_vec();
        let records_b: Vec<Replication> = [2.0, 4.0, 6.0].map(replication).to_vec();
        let names_a = vec!["x".to_string(), "y".to_string()];
        // b lists its strategies in the other order: pairing is by name.
        let names_b = vec!["y".to_string(), "x".to_string()];
        let records_b: Vec<Replication> = records_b
            .into_iter()
            .map(|mut r| {
                r.swap(0, 1);
                r
            })
            .collect();
        let rows = paired_differences(&names_a, &records_a, &names_b, &records_b);
        assert_eq!(rows.len(), 2 * slots);
        // x: differences 1, 2, 3: mean 2, sd 1, half-width 1.96/√3.
        let x = &rows[0];
        assert_eq!(x["strategy"], "x");
        assert_eq!(x["mean"], 2.0);
        let half = Z95 / 3f64.sqrt();
        assert!((x["ci_high"].as_f64().unwrap() - (2.0 + half)).abs() < 1e-12);
        assert!((x["ci_low"].as_f64().unwrap() - (2.0 - half)).abs() < 1e-12);
        assert_eq!(rows[slots]["mean"], 20.0);
    }

    #[test]
    fn undefined_values_are_left_out_of_the_pairs() {
        let slots = Metric::ALL.len();
        let mut first = vec![vec![Some(1.0); slots]];
        first[0][0] = None;
        let records_a = vec![first, vec![vec![Some(1.0); slots]]];
        let records_b = vec![vec![vec![Some(5.0); slots]]; 2];
        let names = vec!["x".to_string()];
        let rows = paired_differences(&names, &records_a, &names, &records_b);
        assert_eq!(rows[0]["replications"], 1);
        assert_eq!(rows[0]["mean"], 4.0);
        assert_eq!(rows[1]["replications"], 2);
    }
}
