//! What the simulating subcommands share: the scenario with the command line's
//! overrides, its portfolio and the worker pool.

use std::sync::Arc;

use super::args::SimulationArgs;
use super::error::CliError;
use crate::engine::ParameterWorlds;
use crate::input::{LoadedScenario, load_portfolio, load_scenario};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;

/// A scenario ready to simulate.
pub struct Prepared {
    /// The scenario as loaded, with `--set` applied.
    pub loaded: LoadedScenario,
    /// The scenario with every override of the command line applied (`--set`,
    /// `--replications`, `--seed`).
    pub scenario: Scenario,
    pub portfolio: Portfolio,
    pub pool: rayon::ThreadPool,
    /// The parameter sets of a run with uncertainty (the scenario's `[uncertainty]`
    /// table), drawn once; `None` for fixed parameters.
    pub parameters: Option<Arc<ParameterWorlds>>,
}

impl SimulationArgs {
    /// The scenario named on the command line (`default` when none is), with `--set`
    /// applied, and its text with the values written into it.
    ///
    /// # Errors
    /// [`CliError::Usage`] for an unknown, unreadable or invalid scenario or a bad
    /// `--set`.
    pub fn load(&self, default: &str) -> Result<(LoadedScenario, String), CliError> {
        let loaded = load_scenario(Some(self.scenario.as_deref().unwrap_or(default)))?;
        super::overrides::load_with(loaded, &self.overrides.settings)
    }

    /// Loads and validates the scenario and its portfolio, applies the overrides, checks
    /// the size limits (unless `check_limits` is false: merging shards simulates
    /// nothing) and starts the worker pool.
    ///
    /// # Errors
    /// [`CliError::Usage`] for bad input, [`CliError::Failure`] if no threads start.
    pub fn prepare(&self, check_limits: bool) -> Result<Prepared, CliError> {
        let loaded = match self.overrides.settings.is_empty() {
            true => load_scenario(self.scenario.as_deref())?,
            false => self.load("stf")?.0,
        };
        let mut scenario = loaded.scenario.clone();
        if let Some(replications) = self.replications {
            if replications == 0 {
                return Err(CliError::Usage("--replications must be at least 1".into()));
            }
            scenario.run.replications = replications;
        }
        if let Some(seed) = self.seed {
            scenario.run.seed = seed;
        }
        let limits = |portfolio| {
            if !check_limits {
                return Ok(());
            }
            super::limits::check(
                &loaded.origin,
                &scenario,
                portfolio,
                self.threads,
                self.allow_large,
            )
        };
        limits(None)?; // before a synthetic portfolio is drawn
        let portfolio = load_portfolio(&loaded, scenario.run.seed)?;
        limits(Some(&portfolio))?;
        let pool = worker_pool(self.threads)?;
        Ok(Prepared {
            loaded,
            scenario,
            portfolio,
            pool,
            parameters: None,
        })
    }
}

/// The worker pool: `threads` threads, or rayon's default (RAYON_NUM_THREADS, or all
/// cores).
///
/// # Errors
/// [`CliError::Usage`] for `--threads 0`, [`CliError::Failure`] if no threads start.
pub fn worker_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        if threads == 0 {
            return Err(CliError::Usage("--threads must be at least 1".into()));
        }
        pool = pool.num_threads(threads);
    }
    pool.build()
        .map_err(|e| CliError::Failure(format!("cannot start worker threads: {e}")))
}
