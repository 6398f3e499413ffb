//! What the simulating subcommands share: the scenario with command-line overrides, its
//! portfolio and the worker pool.

use clap::Args;

use super::CliError;
use crate::input::{LoadedScenario, load_portfolio, load_scenario};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;

/// Scenario and simulation options common to `run` and `compare`.
#[derive(Debug, Args)]
pub struct SimulationArgs {
    /// Scenario file, or the name of a built-in scenario [default: stf].
    pub scenario: Option<String>,
    /// Replications (overrides the scenario's run.replications).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Master seed (overrides the scenario's run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: RAYON_NUM_THREADS, or all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run even when the estimated time or memory is above the safety limits.
    #[arg(long)]
    pub allow_large: bool,
}

/// A scenario ready to simulate.
pub struct Prepared {
    pub loaded: LoadedScenario,
    /// The scenario with the command line's overrides applied.
    pub scenario: Scenario,
    pub portfolio: Portfolio,
    pub pool: rayon::ThreadPool,
}

impl SimulationArgs {
    /// Loads and validates the scenario and its portfolio, applies the overrides, checks
    /// the size limits (unless `check_limits` is false: merging shards simulates
    /// nothing) and starts the worker pool.
    ///
    /// # Errors
    /// [`CliError::Usage`] for bad input, [`CliError::Failure`] if no threads start.
    pub fn prepare(&self, check_limits: bool) -> Result<Prepared, CliError> {
        let loaded = load_scenario(self.scenario.as_deref())?;
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
