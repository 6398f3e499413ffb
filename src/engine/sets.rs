//! The parameter sets of a run with uncertainty, each with its world and rules built once.
//!
//! A run with uncertainty draws `K` parameter sets (the outer loop, `[uncertainty]` in the
//! scenario) and gives replication `r` the set `r mod K`. The assignment does not depend on
//! the number of replications, so growing a run (`--precision`, `--resume`) keeps every
//! earlier replication in its set; every strategy of a replication runs in the same set on
//! the same random streams, so paired differences stay paired.

use std::fmt;

use crate::model::World;
use crate::params::PortfolioSpec;
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;
use crate::scenario::uncertainty::PortfolioDraw;
use crate::scenario::uncertainty::sets::ParameterSets;
use crate::strategy::AllocationRule;

/// One parameter set, ready to simulate.
pub struct ParameterWorld {
    /// The set's value of every uncertain field ([`ParameterWorlds::paths`]).
    pub values: Vec<f64>,
    /// The scenario with the set's values.
    pub scenario: Scenario,
    pub world: World,
    /// One rule per strategy, built from the set's strategy parameters.
    pub(super) rules: Vec<Box<dyn AllocationRule>>,
}

/// Every parameter set of a run with uncertainty.
pub struct ParameterWorlds {
    /// The uncertain fields, by dotted path.
    pub paths: Vec<String>,
    pub sets: Vec<ParameterWorld>,
}

impl fmt::Debug for ParameterWorlds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParameterWorlds")
            .field("sets", &self.sets.len())
            .finish()
    }
}

/// Why the parameter sets cannot run together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("parameter set {set}: {problem}")]
pub struct ShapeError {
    pub set: usize,
    pub problem: String,
}

impl ParameterWorlds {
    /// Builds the world and rules of every parameter set drawn for `base`. `portfolio` is
    /// the run's portfolio, drawn or read for the base scenario: a portfolio read from
    /// CSV is the same in every set; a synthetic one is drawn again from each set's
    /// parameters, on the set's own draws (`Redraw`, "a portfolio like this one") or on
    /// the run's (`Fixed`).
    ///
    /// # Errors
    /// [`ShapeError`] when a set changes what the accumulators are shaped by (the
    /// horizon, the programme, the calls, the strategies or the number of projects):
    /// such fields cannot be uncertain.
    pub fn new(
        base: &Scenario,
        portfolio: &Portfolio,
        drawn: ParameterSets,
        draw: PortfolioDraw,
        seed: u64,
    ) -> Result<Self, ShapeError> {
        use rayon::prelude::*;
        let ParameterSets {
            paths,
            values,
            scenarios,
            ..
        } = drawn;
        let sets = scenarios
            .into_par_iter()
            .zip(values)
            .enumerate()
            .map(|(set, (scenario, values))| {
                let shape_changed = |what: &str| ShapeError {
                    set,
                    problem: format!("{what} differs from the scenario's; it cannot be uncertain"),
                };
                if scenario.fund.horizon_months != base.fund.horizon_months {
                    return Err(shape_changed("fund.horizon_months"));
                }
                if scenario.fund.programme_months != base.fund.programme_months {
                    return Err(shape_changed("fund.programme_months"));
                }
                if scenario.max_calls() != base.max_calls()
                    || scenario.strategies.len() != base.strategies.len()
                {
                    return Err(shape_changed("the number of calls"));
                }
                let set_portfolio = match (&scenario.portfolio, draw) {
                    (PortfolioSpec::Synthetic(spec), PortfolioDraw::Redraw) => {
                        Portfolio::synthetic(spec, &scenario.model, seed, set as u64)
                    }
                    (PortfolioSpec::Synthetic(spec), PortfolioDraw::Fixed) => {
                        Portfolio::synthetic(spec, &scenario.model, seed, 0)
                    }
                    (PortfolioSpec::Csv { .. }, _) => portfolio.clone(),
                };
                if set_portfolio.projects.len() != portfolio.projects.len() {
                    return Err(shape_changed("portfolio.projects"));
                }
                let rules = scenario.strategies.iter().map(|s| s.rule.build()).collect();
                let world =
                    World::new(set_portfolio, scenario.model.clone(), scenario.fund.clone());
                Ok(ParameterWorld {
                    values,
                    scenario,
                    world,
                    rules,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { paths, sets })
    }

    /// The parameter set of a replication.
    pub fn set_of(&self, replication: u64) -> usize {
        (replication % self.sets.len() as u64) as usize
    }
}
