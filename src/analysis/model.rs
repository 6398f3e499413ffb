//! The simulation as a function of its inputs: scenario text plus numeric overrides (by
//! dotted path) in, a run's accumulator out. Every evaluation uses the same seed, so
//! two evaluations meet the same random streams (common random numbers across design
//! points, sweep points and search steps), and differences between them are paired.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::engine::{self, RunConfig, RunError};
use crate::params::{PortfolioSpec, ScenarioError};
use crate::portfolio::{Portfolio, PortfolioError};
use crate::scenario::{self, Scenario};
use crate::stats::Output;
use crate::stats::{Estimate, RunAccumulator};

/// Where the projects of each evaluation come from.
#[derive(Debug, Clone)]
pub enum PortfolioSource {
    /// Drawn from the (overridden) scenario's distributions with the run's seed.
    Synthetic,
    /// A portfolio CSV's bytes, parsed again at each evaluation because blank cells are
    /// derived from the (overridden) model parameters.
    Csv { bytes: Vec<u8>, origin: String },
}

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("invalid portfolio {0}")]
    Portfolio(#[from] PortfolioError),
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("{0}")]
    Usage(String),
}

/// A scenario ready to be evaluated at many parameter values.
#[derive(Debug, Clone)]
pub struct ScenarioModel {
    /// The scenario's TOML text.
    pub text: String,
    /// Names the scenario in errors (file path or `built-in:NAME`).
    pub origin: String,
    pub portfolio: PortfolioSource,
    pub seed: u64,
    /// Replications per evaluation.
    pub replications: u64,
    /// Simulate only these strategies (by name), plus the baseline; all when `None`.
    pub strategies: Option<Vec<String>>,
}

impl ScenarioModel {
    /// The scenario with `overrides` applied and validated, restricted to the chosen
    /// strategies, with this model's seed and replications.
    ///
    /// # Errors
    /// [`ModelError::Scenario`] for a bad path or value, [`ModelError::Usage`] for an
    /// unknown strategy.
    pub fn scenario(&self, overrides: &[(&str, f64)]) -> Result<Scenario, ModelError> {
        let mut scenario = scenario::parse_with_overrides(&self.text, &self.origin, overrides)?;
        if let Some(names) = &self.strategies {
            let baseline = scenario.baseline_index();
            for name in names {
                if !scenario.strategies.iter().any(|s| &s.name == name) {
                    let known: Vec<&str> = scenario
                        .strategies
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect();
                    return Err(ModelError::Usage(format!(
                        "the scenario has no strategy {name:?} (it has {})",
                        known.join(", ")
                    )));
                }
            }
            let mut index = 0;
            scenario.strategies.retain(|s| {
                let keep = index == baseline || names.contains(&s.name);
                index += 1;
                keep
            });
        }
        scenario.run.seed = self.seed;
        scenario.run.replications = self.replications;
        Ok(scenario)
    }

    /// Whether the field at `path` holds a whole number (such values are rounded before
    /// they are set).
    pub fn is_integer_field(&self, path: &str) -> bool {
        match scenario::parse_with_overrides(&self.text, &self.origin, &[(path, 0.5)]) {
            Err(error) => error
                .issues
                .iter()
                .any(|issue| issue.problem.contains("floating point")),
            Ok(_) => false,
        }
    }

    /// The portfolio for an evaluated scenario.
    ///
    /// # Errors
    /// [`ModelError::Portfolio`] when the CSV is invalid under the overridden model.
    pub fn portfolio_for(&self, scenario: &Scenario) -> Result<Portfolio, ModelError> {
        Ok(match (&self.portfolio, &scenario.portfolio) {
            (PortfolioSource::Csv { bytes, origin }, _) => {
                Portfolio::from_csv(bytes.as_slice(), origin, &scenario.model)?
            }
            (PortfolioSource::Synthetic, PortfolioSpec::Synthetic(spec)) => {
                Portfolio::synthetic(spec, &scenario.model, self.seed, 0)
            }
            (PortfolioSource::Synthetic, PortfolioSpec::Csv { path }) => {
                return Err(ModelError::Usage(format!(
                    "the scenario reads its portfolio from {path}: pass its bytes as PortfolioSource::Csv"
                )));
            }
        })
    }

    /// Runs the scenario at `overrides`.
    ///
    /// # Errors
    /// [`ModelError`] for invalid overrides, an invalid portfolio or a cancelled run.
    pub fn run(
        &self,
        overrides: &[(&str, f64)],
        cancel: &AtomicBool,
    ) -> Result<(Scenario, RunAccumulator), ModelError> {
        let scenario = self.scenario(overrides)?;
        let portfolio = self.portfolio_for(&scenario)?;
        let config = RunConfig::from_scenario(&scenario);
        let result = engine::run(&scenario, portfolio, &config, &|_| {}, cancel)?;
        Ok((scenario, result.accumulator))
    }

    /// Evaluates many points in parallel (results in point order, so the outcome does
    /// not depend on the number of threads). Each point is the values of `paths`, in
    /// order; values of integer fields (`integer[i]`) are rounded. `outputs` receives
    /// the scenario of the first point, to resolve strategy indices, and returns what to
    /// read; `progress` is called with the number of points done.
    ///
    /// # Errors
    /// The first [`ModelError`] in point order.
    pub fn evaluate_points(
        &self,
        paths: &[String],
        integer: &[bool],
        points: &[Vec<f64>],
        outputs: &[Output],
        progress: &(dyn Fn(u64) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Vec<Vec<Estimate>>, ModelError> {
        let done = AtomicU64::new(0);
        points
            .par_iter()
            .map(|point| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ModelError::Run(RunError::Cancelled {
                        completed: done.load(Ordering::Relaxed),
                        total: points.len() as u64,
                    }));
                }
                let overrides: Vec<(&str, f64)> = paths
                    .iter()
                    .zip(point)
                    .zip(integer)
                    .map(|((path, &value), &whole)| {
                        (path.as_str(), if whole { value.round() } else { value })
                    })
                    .collect();
                let (_, acc) = self.run(&overrides, cancel)?;
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                Ok(outputs.iter().map(|output| output.estimate(&acc)).collect())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ScenarioModel {
        ScenarioModel {
            text: scenario::builtin("stf").unwrap().to_string(),
            origin: "stf".into(),
            portfolio: PortfolioSource::Synthetic,
            seed: 5,
            replications: 16,
            strategies: Some(vec!["equal-even".into()]),
        }
    }

    #[test]
    fn integer_fields_are_recognised_and_strategies_filtered() {
        let model = model();
        assert!(model.is_integer_field("model.cliff_months"));
        assert!(model.is_integer_field("fund.horizon_months"));
        assert!(!model.is_integer_field("model.attrition_hazard"));
        assert!(!model.is_integer_field("fund.budget_eur"));
        let scenario = model.scenario(&[("fund.budget_eur", 1e7)]).unwrap();
        let names: Vec<&str> = scenario
            .strategies
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["none", "equal-even"]);
        assert_eq!(scenario.fund.budget_eur, 1e7);
        assert_eq!((scenario.run.seed, scenario.run.replications), (5, 16));
        let unknown = ScenarioModel {
            strategies: Some(vec!["nope".into()]),
            ..model
        };
        assert!(unknown.scenario(&[]).is_err());
    }
}
