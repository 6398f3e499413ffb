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
    /// included (one value, FROM, when STEPS is 1), as the decimals a person would write
    /// ([`on_decimal_grid`]).
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
        let largest = from.abs().max(to.abs());
        let values = (0..steps)
            .map(|i| {
                if steps == 1 {
                    from
                } else {
                    on_decimal_grid(from + (to - from) * i as f64 / (steps - 1) as f64, largest)
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

/// `value` rounded to 12 significant digits of the grid's largest magnitude `largest`.
/// The grid's arithmetic leaves binary noise that nobody wrote (0.1 + (0.3 − 0.1)/2 =
/// 0.19999999999999998, and −0.3 + 0.6/2 = 5.6e−17 instead of 0); it would show in
/// `sweep.csv` and reach the model as a value no scenario file could hold. Twelve digits
/// are far more than any field needs and fewer than an `f64` carries (15–17), so the
/// rounding removes the noise and nothing else. Rounding through the decimal text (not
/// by multiplying by a power of ten, which adds noise of its own) gives the `f64`
/// nearest the decimal, the one `0.2` parses to.
pub fn on_decimal_grid(value: f64, largest: f64) -> f64 {
    if !(value.is_finite() && largest.is_finite()) || largest == 0.0 {
        return value;
    }
    let decimals = (11 - largest.log10().floor() as i32).clamp(0, 320) as usize;
    let rounded: f64 = format!("{value:.decimals$}").parse().unwrap_or(value);
    // Not "-0": a zero is written 0.
    if rounded == 0.0 { 0.0 } else { rounded }
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
        // Exact decimals: no binary noise in the grid (written to sweep.csv as is).
        let shares = Axis::parse("fund.overhead_share=0:0.3:4").unwrap();
        assert_eq!(shares.values, [0.0, 0.1, 0.2, 0.3]);
        assert_eq!(
            shares.values.iter().map(f64::to_string).collect::<Vec<_>>(),
            ["0", "0.1", "0.2", "0.3"]
        );
        // The noise this removes (what the grid's arithmetic gives unrounded).
        assert_eq!((0.3_f64 * 2.0 / 3.0).to_string(), "0.19999999999999998");
        let fine = Axis::parse("x=0.05:0.25:5").unwrap();
        assert_eq!(fine.values[2].to_string(), "0.15");
        let around_zero = Axis::parse("x=-0.3:0.3:3").unwrap();
        assert_eq!(around_zero.values, [-0.3, 0.0, 0.3]);
        assert_eq!(around_zero.values[1].to_string(), "0");
        let thirds = Axis::parse("x=0:1:4").unwrap();
        assert_eq!(thirds.values[1].to_string(), "0.33333333333");
        let hazards = Axis::parse("model.attrition_hazard=0.007:0.019:7").unwrap();
        assert_eq!(
            hazards
                .values
                .iter()
                .map(f64::to_string)
                .collect::<Vec<_>>(),
            [
                "0.007", "0.009", "0.011", "0.013", "0.015", "0.017", "0.019"
            ]
        );
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
