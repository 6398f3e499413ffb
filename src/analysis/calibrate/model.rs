//! The model side of a calibration: a scenario whose parameters are varied ([`Model`]),
//! validated at every θ like a scenario file, and the unfunded baseline it simulates
//! (pooled survival for the distance, lifetimes for the bootstrap's data sets). Apart
//! from the fit because it is the only part that simulates.

use rayon::prelude::*;

use super::problem::{CalibrationError, ParamRange, Problem};
use crate::model::{Trajectory, World, simulate};
use crate::params::PortfolioSpec;
use crate::portfolio::Portfolio;
use crate::scenario::{Scenario, parse_with_overrides};
use crate::strategy::StrategySpec;

/// A scenario ready to simulate at any parameter values, over a fixed horizon.
#[derive(Debug, Clone)]
pub struct Model {
    problem: Problem,
    /// Months simulated: the observed follow-up, rounded up.
    horizon_months: u32,
    /// Overrides that fix the horizon (and a programme that fits in it).
    fixed: Vec<(String, f64)>,
}

impl Model {
    /// Checks the scenario and the parameter boxes (both ends of every box must be valid
    /// values of its field) for a simulation of `horizon_months`.
    ///
    /// # Errors
    /// [`CalibrationError`] for an invalid scenario or portfolio, or a bad parameter.
    pub fn new(problem: Problem, horizon_months: u32) -> Result<Self, CalibrationError> {
        let base = parse_with_overrides(&problem.scenario_text, &problem.origin, &[])?;
        let horizon_months = horizon_months.max(1);
        let fixed = vec![
            ("fund.horizon_months".to_string(), f64::from(horizon_months)),
            (
                "fund.programme_months".to_string(),
                f64::from(base.fund.programme_months.min(horizon_months)),
            ),
        ];
        let model = Self {
            problem,
            horizon_months,
            fixed,
        };
        for (index, param) in model.problem.params.iter().enumerate() {
            if model.problem.params[..index]
                .iter()
                .any(|p| p.path == param.path)
            {
                return Err(CalibrationError::Param {
                    path: param.path.clone(),
                    problem: "given twice".into(),
                });
            }
            if param.path.starts_with("fund.horizon_months")
                || param.path.starts_with("fund.programme_months")
            {
                return Err(CalibrationError::Param {
                    path: param.path.clone(),
                    problem: "the horizon is set by the observed follow-up".into(),
                });
            }
            for value in [param.low, param.high] {
                let overrides = [(param.path.as_str(), value)];
                if let Err(error) = parse_with_overrides(
                    &model.problem.scenario_text,
                    &model.problem.origin,
                    &overrides,
                ) {
                    return Err(CalibrationError::Param {
                        path: param.path.clone(),
                        problem: format!("{value} is not accepted: {error}"),
                    });
                }
            }
        }
        model.scenario_at(&model.start())?;
        Ok(model)
    }

    pub fn params(&self) -> &[ParamRange] {
        &self.problem.params
    }

    pub fn horizon_months(&self) -> u32 {
        self.horizon_months
    }

    /// The scenario's own values of the parameters, where inside their boxes; the
    /// middle of the box otherwise.
    pub fn start(&self) -> Vec<f64> {
        let json = parse_with_overrides(&self.problem.scenario_text, &self.problem.origin, &[])
            .ok()
            .and_then(|s| serde_json::to_value(&s).ok());
        self.problem
            .params
            .iter()
            .map(|p| {
                json.as_ref()
                    .and_then(|j| value_at_path(j, &p.path))
                    .filter(|v| *v > p.low && *v < p.high)
                    .unwrap_or(0.5 * (p.low + p.high))
            })
            .collect()
    }

    /// The validated scenario at `theta`, with the calibration's horizon.
    ///
    /// # Errors
    /// [`CalibrationError::Scenario`] when the scenario rejects the values.
    pub fn scenario_at(&self, theta: &[f64]) -> Result<Scenario, CalibrationError> {
        let overrides: Vec<(&str, f64)> = self
            .fixed
            .iter()
            .map(|(p, v)| (p.as_str(), *v))
            .chain(
                self.problem
                    .params
                    .iter()
                    .zip(theta)
                    .map(|(p, v)| (p.path.as_str(), *v)),
            )
            .collect();
        Ok(parse_with_overrides(
            &self.problem.scenario_text,
            &self.problem.origin,
            &overrides,
        )?)
    }

    /// The world of replication `replication` at `theta`, its portfolio drawn with
    /// `portfolio_seed` (a CSV portfolio is the same for every seed), and the baseline.
    fn world(
        &self,
        scenario: &Scenario,
        portfolio_seed: u64,
        replication: u64,
    ) -> Result<World, CalibrationError> {
        Ok(World::new(
            self.portfolio_of(scenario, portfolio_seed, replication)?,
            scenario.model.clone(),
            scenario.fund.clone(),
        ))
    }

    /// The portfolio of `scenario` (a scenario at some θ) drawn with `portfolio_seed`, as
    /// a run with that seed draws it; a CSV portfolio is the same for every seed.
    ///
    /// # Errors
    /// [`CalibrationError`] when the portfolio CSV is missing or invalid at θ.
    pub fn portfolio(
        &self,
        scenario: &Scenario,
        portfolio_seed: u64,
    ) -> Result<Portfolio, CalibrationError> {
        self.portfolio_of(scenario, portfolio_seed, 0)
    }

    fn portfolio_of(
        &self,
        scenario: &Scenario,
        portfolio_seed: u64,
        replication: u64,
    ) -> Result<Portfolio, CalibrationError> {
        Ok(match &scenario.portfolio {
            PortfolioSpec::Synthetic(spec) => {
                let replication = if spec.redraw_per_replication {
                    replication
                } else {
                    0
                };
                Portfolio::synthetic(spec, &scenario.model, portfolio_seed, replication)
            }
            PortfolioSpec::Csv { path } => {
                let (text, origin) = self.problem.portfolio_csv.as_ref().ok_or_else(|| {
                    CalibrationError::Observed(format!(
                        "the scenario's portfolio CSV {path:?} was not provided"
                    ))
                })?;
                Portfolio::from_csv(text.as_bytes(), origin, &scenario.model)?
            }
        })
    }

    fn redraws(scenario: &Scenario) -> bool {
        matches!(&scenario.portfolio, PortfolioSpec::Synthetic(s) if s.redraw_per_replication)
    }

    /// Simulates the baseline `replications` times and calls `visit` with each
    /// replication's trajectory, in parallel; results are collected in replication order.
    fn simulate_baseline<T: Send>(
        &self,
        theta: &[f64],
        seed: u64,
        replications: u64,
        visit: impl Fn(&Trajectory) -> T + Sync,
    ) -> Result<Vec<T>, CalibrationError> {
        let scenario = self.scenario_at(theta)?;
        let baseline = baseline_of(&scenario);
        let rule = baseline.rule.build();
        let shared = self.world(&scenario, seed, 0)?;
        let redraws = Self::redraws(&scenario);
        (0..replications)
            .into_par_iter()
            .map(|replication| {
                let redrawn = if redraws {
                    Some(self.world(&scenario, seed, replication)?)
                } else {
                    None
                };
                let world = redrawn.as_ref().unwrap_or(&shared);
                let mut trajectory = Trajectory::default();
                simulate(
                    world,
                    &baseline.name,
                    rule.as_ref(),
                    baseline.timing,
                    seed,
                    replication,
                    &mut trajectory,
                );
                Ok(visit(&trajectory))
            })
            .collect()
    }

    /// The pooled number of projects not yet abandoned at each month-end `0 … H`, over
    /// `replications` replications with `seed` (the engine's `surviving_total`).
    ///
    /// # Errors
    /// [`CalibrationError`] when the scenario rejects `theta`.
    pub fn pooled_survival(
        &self,
        theta: &[f64],
        seed: u64,
        replications: u64,
    ) -> Result<Vec<u64>, CalibrationError> {
        let per_replication =
            self.simulate_baseline(theta, seed, replications, |t| t.surviving.clone())?;
        let mut total = vec![0u64; self.horizon_months as usize + 1];
        for surviving in per_replication {
            for (sum, count) in total.iter_mut().zip(surviving) {
                *sum += u64::from(count);
            }
        }
        Ok(total)
    }

    /// `count` simulated project lifetimes at `theta`: the projects of replications 0, 1, …
    /// with `seed` in portfolio order, each the month of its first abandonment or `None`
    /// when not abandoned within the horizon.
    ///
    /// # Errors
    /// [`CalibrationError`] when the scenario rejects `theta`.
    pub fn simulated_lifetimes(
        &self,
        theta: &[f64],
        seed: u64,
        count: usize,
    ) -> Result<Vec<Option<u32>>, CalibrationError> {
        let projects = self
            .world(&self.scenario_at(theta)?, seed, 0)?
            .project_count();
        let replications = count.div_ceil(projects.max(1)) as u64;
        let per_replication =
            self.simulate_baseline(theta, seed, replications, |t| t.first_abandoned.clone())?;
        Ok(per_replication.into_iter().flatten().take(count).collect())
    }
}

/// The `none` strategy of a scenario (validation always adds one).
fn baseline_of(scenario: &Scenario) -> StrategySpec {
    scenario
        .strategies
        .iter()
        .find(|s| s.rule.is_baseline())
        .cloned()
        .unwrap_or_else(|| scenario.strategies[scenario.baseline_index()].clone())
}

/// A number in a serialized scenario by dotted path (`portfolio.x` also looks inside the
/// synthetic portfolio).
fn value_at_path(json: &serde_json::Value, path: &str) -> Option<f64> {
    let mut value = json;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        value = match value.get(key) {
            Some(v) => v,
            None => value.get("synthetic")?.get(key)?,
        };
        if let Some(index) = index {
            value = value.get(index)?;
        }
    }
    value.as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_path() {
        let json =
            serde_json::json!({"model": {"a": 0.5}, "portfolio": {"synthetic": {"projects": 62}}});
        assert_eq!(value_at_path(&json, "model.a"), Some(0.5));
        assert_eq!(value_at_path(&json, "portfolio.projects"), Some(62.0));
        assert_eq!(value_at_path(&json, "model.b"), None);
    }
}
