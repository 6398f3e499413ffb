//! Parameter sweeps: one or two numeric scenario fields over a grid, every point with the
//! same seed, so every point meets the same random streams (common random numbers
//! across points: the curve over the grid is smooth, and the difference between two
//! points is far more precise than their separate intervals suggest).

use std::sync::atomic::AtomicBool;

use super::model::{ModelError, ScenarioModel};
use crate::stats::Estimate;
use crate::stats::Output;

/// The most points on one axis, and in a whole grid.
pub const MAX_STEPS: usize = 1_000;
pub const MAX_POINTS: usize = 10_000;

/// One swept field: its dotted path and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<f64>,
}

impl Axis {
    /// Parses `PATH=FROM:TO:STEPS`: STEPS evenly spaced values from FROM to TO, both
    /// included (one value, FROM, when STEPS is 1).
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!("--param {text:?} must be PATH=FROM:TO:STEPS, e.g. fund.budget_eur=5e6:50e6:10")
        };
        let (path, range) = text.split_once('=').ok_or_else(bad)?;
        let parts: Vec<&str> = range.split(':').collect();
        let [from, to, steps] = parts[..] else {
            return Err(bad());
        };
        let number = |s: &str| {
            s.trim()
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("--param {text:?}: {s:?} is not a finite number"))
        };
        let (from, to) = (number(from)?, number(to)?);
        let steps: usize = steps
            .trim()
            .parse()
            .map_err(|_| format!("--param {text:?}: STEPS {steps:?} is not a whole number"))?;
        if steps == 0 || steps > MAX_STEPS {
            return Err(format!(
                "--param {text:?}: STEPS must be from 1 to {MAX_STEPS}"
            ));
        }
        let path = path.trim();
        if path.is_empty() {
            return Err(bad());
        }
        let values = (0..steps)
            .map(|i| {
                if steps == 1 {
                    from
                } else {
                    from + (to - from) * i as f64 / (steps - 1) as f64
                }
            })
            .collect();
        Ok(Self {
            path: path.to_string(),
            values,
        })
    }

    /// Rounds the values (for a field of whole numbers) and drops repeats.
    pub fn round(&mut self) {
        for value in &mut self.values {
            *value = value.round();
        }
        self.values.dedup();
    }
}

/// Every point of the grid, the first axis varying slowest.
pub fn grid(axes: &[Axis]) -> Vec<Vec<f64>> {
    let mut points: Vec<Vec<f64>> = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|point| {
                axis.values.iter().map(move |&value| {
                    let mut next = point.clone();
                    next.push(value);
                    next
                })
            })
            .collect();
    }
    points
}

/// The result of a sweep: for each grid point, one estimate per output.
#[derive(Debug, Clone)]
pub struct SweepResult {
    pub axes: Vec<Axis>,
    pub points: Vec<Vec<f64>>,
    pub estimates: Vec<Vec<Estimate>>,
}

/// The points of the sweep's grid ([`grid`]), refused when there are more than
/// [`MAX_POINTS`].
///
/// # Errors
/// [`ModelError::Usage`] for a grid that is too large.
pub fn design(axes: &[Axis]) -> Result<Vec<Vec<f64>>, ModelError> {
    let points = grid(axes);
    if points.len() > MAX_POINTS {
        return Err(ModelError::Usage(format!(
            "the grid has {} points; at most {MAX_POINTS}",
            points.len()
        )));
    }
    Ok(points)
}

/// Evaluates `points` (all of a [`design`] or a contiguous share of it) with `model`'s
/// seed and replications: one estimate per output, in point order.
///
/// # Errors
/// The first [`ModelError`] in point order (a path that is not a field, a value out of
/// range, a cancelled run).
pub fn evaluate(
    model: &ScenarioModel,
    axes: &[Axis],
    points: &[Vec<f64>],
    outputs: &[Output],
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<Vec<Vec<Estimate>>, ModelError> {
    let paths: Vec<String> = axes.iter().map(|a| a.path.clone()).collect();
    let integer = vec![false; axes.len()]; // the axes were rounded already
    model.evaluate_points(&paths, &integer, points, outputs, progress, cancel)
}

/// Runs the sweep: every grid point with `model`'s seed and replications.
///
/// # Errors
/// The first [`ModelError`] in grid order (a grid that is too large, a path that is not
/// a field, a value out of range, a cancelled run).
pub fn run(
    model: &ScenarioModel,
    axes: Vec<Axis>,
    outputs: &[Output],
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<SweepResult, ModelError> {
    let points = design(&axes)?;
    let estimates = evaluate(model, &axes, &points, outputs, progress, cancel)?;
    Ok(SweepResult {
        axes,
        points,
        estimates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_and_grids_multiply() {
        let axis = Axis::parse("fund.budget_eur=5e6:25e6:5").unwrap();
        assert_eq!(axis.path, "fund.budget_eur");
        assert_eq!(axis.values, [5e6, 10e6, 15e6, 20e6, 25e6]);
        let mut months = Axis::parse("model.cliff_months=0:12:5").unwrap();
        months.round();
        assert_eq!(months.values, [0.0, 3.0, 6.0, 9.0, 12.0]);
        let mut few = Axis::parse("model.cliff_months=0:2:5").unwrap();
        few.round();
        assert_eq!(few.values, [0.0, 1.0, 2.0]);
        assert_eq!(Axis::parse("a.b=1:1:1").unwrap().values, [1.0]);
        for bad in [
            "fund.budget_eur",
            "x=1:2",
            "x=1:2:0",
            "x=a:2:3",
            "=1:2:3",
            "x=1:inf:2",
        ] {
            assert!(Axis::parse(bad).is_err(), "{bad}");
        }
        let points = grid(&[
            Axis::parse("a=0:1:2").unwrap(),
            Axis::parse("b=5:7:3").unwrap(),
        ]);
        assert_eq!(points.len(), 6);
        assert_eq!(points[0], [0.0, 5.0]);
        assert_eq!(points[1], [0.0, 6.0]);
        assert_eq!(points[5], [1.0, 7.0]);
    }
}
