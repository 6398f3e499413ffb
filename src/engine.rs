//! The engine: replications in parallel, streaming aggregation, a fixed reduction order.
//!
//! Replications are grouped in blocks of [`BLOCK_SIZE`]. Each block is simulated
//! sequentially into its own accumulator; blocks run in parallel (rayon) a wave at a
//! time and are merged into the running total in block order. Block boundaries do not
//! depend on the thread count, so the result is bit-identical for any number of threads,
//! and memory holds one wave of block accumulators, whatever the replication count.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::{Trajectory, World, simulate};
use crate::portfolio::Portfolio;
use crate::scenario::{PortfolioSpec, Scenario};
use crate::stats::RunAccumulator;
use crate::strategy::AllocationRule;

/// Replications per block: the unit of parallel work and of the reduction order.
pub const BLOCK_SIZE: u64 = 16;

/// What a run needs beyond the scenario.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub replications: u64,
    pub seed: u64,
}

impl RunConfig {
    pub fn from_scenario(scenario: &Scenario) -> Self {
        Self {
            replications: scenario.run.replications,
            seed: scenario.run.seed,
        }
    }

    pub fn blocks(&self) -> u64 {
        self.replications.div_ceil(BLOCK_SIZE)
    }
}

/// The outcome of a run: aggregates only.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub accumulator: RunAccumulator,
    /// The portfolio of replication 0 (the portfolio of every replication unless it is
    /// redrawn per replication).
    pub portfolio: Portfolio,
}

/// Why a run did not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("the run was cancelled after {completed} of {total} replications")]
    Cancelled { completed: u64, total: u64 },
}

/// Builds the world of a replication: the fixed portfolio, or a redrawn one.
fn world_for(scenario: &Scenario, seed: u64, replication: u64) -> Option<World> {
    match &scenario.portfolio {
        PortfolioSpec::Synthetic(spec) if spec.redraw_per_replication => Some(World::new(
            Portfolio::synthetic(spec, &scenario.model, seed, replication),
            scenario.model.clone(),
            scenario.fund.clone(),
        )),
        _ => None,
    }
}

/// Runs every strategy of the scenario over `config.replications` replications.
///
/// `portfolio` is the portfolio to use (read from CSV by the caller, or drawn with
/// [`Portfolio::synthetic`] for replication 0). `progress` is called with the number of
/// replications completed after each wave; `cancel` stops the run between waves.
///
/// # Errors
/// [`RunError::Cancelled`] when `cancel` was set.
pub fn run(
    scenario: &Scenario,
    portfolio: Portfolio,
    config: &RunConfig,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<RunResult, RunError> {
    // A run is a continuation of nothing: one wave loop serves both.
    let start = RunAccumulator::default();
    resume(scenario, portfolio, config, start, progress, cancel)
}

/// Continues a run: simulates replications `start.replications() .. config.replications`
/// and merges them, block by block in order, into `start`, the accumulator of
/// replications `0 .. start.replications()` of the same scenario, portfolio and seed.
/// Because blocks are fixed and merged in order, continuing a run of a whole number of
/// blocks gives exactly (bit for bit) the accumulator of one [`run`] of
/// `config.replications`: this is how a run grows until it is precise enough.
///
/// # Errors
/// [`RunError::Cancelled`] when `cancel` was set.
///
/// # Panics
/// If `start` holds a partial block (its replications are not a multiple of
/// [`BLOCK_SIZE`]) or more replications than `config.replications`.
pub fn resume(
    scenario: &Scenario,
    portfolio: Portfolio,
    config: &RunConfig,
    start: RunAccumulator,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<RunResult, RunError> {
    let done = start.replications();
    assert!(
        done.is_multiple_of(BLOCK_SIZE) && done <= config.replications,
        "a run continues from whole blocks"
    );
    let rules: Vec<Box<dyn AllocationRule>> =
        scenario.strategies.iter().map(|s| s.rule.build()).collect();
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let new_accumulator = || {
        RunAccumulator::new(
            scenario.strategies.len(),
            scenario.fund.horizon_months as usize,
            world.project_count(),
            scenario.max_calls(),
            scenario.fund.programme_months as usize,
        )
    };
    let mut total = if done == 0 { new_accumulator() } else { start };
    let blocks = config.blocks();
    let wave = (rayon::current_num_threads() as u64 * 4).max(1);
    let mut next_block = done / BLOCK_SIZE;
    while next_block < blocks {
        if cancel.load(Ordering::Relaxed) {
            return Err(RunError::Cancelled {
                completed: next_block * BLOCK_SIZE,
                total: config.replications,
            });
        }
        let end = (next_block + wave).min(blocks);
        let results: Vec<RunAccumulator> = (next_block..end)
            .into_par_iter()
            .map(|block| {
                let mut acc = new_accumulator();
                let mut trajectories = vec![Trajectory::default(); scenario.strategies.len()];
                let mut scratch = Vec::new();
                let first = block * BLOCK_SIZE;
                let last = (first + BLOCK_SIZE).min(config.replications);
                for replication in first..last {
                    let redrawn = world_for(scenario, config.seed, replication);
                    let world = redrawn.as_ref().unwrap_or(&world);
                    for ((strategy, rule), trajectory) in scenario
                        .strategies
                        .iter()
                        .zip(&rules)
                        .zip(&mut trajectories)
                    {
                        simulate(
                            world,
                            &strategy.name,
                            rule.as_ref(),
                            strategy.timing,
                            config.seed,
                            replication,
                            trajectory,
                        );
                    }
                    acc.add_replication(&trajectories, &world.usage_weights, &mut scratch);
                }
                acc
            })
            .collect();
        for block in &results {
            total.merge(block);
        }
        next_block = end;
        progress((next_block * BLOCK_SIZE).min(config.replications));
    }
    Ok(RunResult {
        accumulator: total,
        portfolio: world.portfolio,
    })
}
