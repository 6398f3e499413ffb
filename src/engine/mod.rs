//! The engine: replications in parallel, streaming aggregation, a fixed reduction order.
//!
//! Replications are grouped in blocks of [`BLOCK_SIZE`]. Each block is simulated
//! sequentially into its own accumulator; blocks run in parallel (rayon), handed out in
//! order, and are merged as soon as the blocks before them are in, into a fixed binary
//! tree over block indices ([`BlockTree`]). Neither the blocks nor the tree depend on the
//! thread count (or on checkpoints and shards), so the result is bit-identical for any
//! number of threads, and memory holds O(threads + log blocks) accumulators, whatever
//! the replication count.

mod records;
mod sets;

pub use records::{ProjectCovariates, ProjectOutcome, RecordSink, ReplicationRecord};
pub use sets::{ParameterWorld, ParameterWorlds, ShapeError};

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Arrivals, Trajectory, World, simulate_with_arrivals};
use crate::params::PortfolioSpec;
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;
use crate::stats::RunAccumulator;
use crate::strategy::AllocationRule;

/// Replications per block: the unit of parallel work and of the reduction order.
pub const BLOCK_SIZE: u64 = 16;

/// What a run needs beyond the scenario.
#[derive(Clone)]
pub struct RunConfig {
    pub replications: u64,
    pub seed: u64,
    /// The parameter sets of a run with uncertainty (replication `r` runs in set
    /// `r mod K`); `None` runs every replication with the scenario's own values.
    pub parameter_worlds: Option<Arc<ParameterWorlds>>,
    /// Where every replication's record goes (`--per-replication`), in replication
    /// order; `None` keeps aggregates only.
    pub records: Option<Arc<dyn RecordSink>>,
}

impl std::fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunConfig")
            .field("replications", &self.replications)
            .field("seed", &self.seed)
            .field("parameter_worlds", &self.parameter_worlds)
            .field("records", &self.records.is_some())
            .finish()
    }
}

impl RunConfig {
    /// A fixed-parameter run of `replications` replications from `seed`.
    pub fn new(replications: u64, seed: u64) -> Self {
        Self {
            replications,
            seed,
            parameter_worlds: None,
            records: None,
        }
    }

    /// The scenario's replications and seed, with fixed parameters.
    pub fn from_scenario(scenario: &Scenario) -> Self {
        Self::new(scenario.run.replications, scenario.run.seed)
    }

    /// Parameter sets of the run (0 for fixed parameters).
    pub fn parameter_sets(&self) -> usize {
        self.parameter_worlds.as_ref().map_or(0, |w| w.sets.len())
    }

    pub fn blocks(&self) -> u64 {
        self.replications.div_ceil(BLOCK_SIZE)
    }
}

/// The outcome of a run: aggregates only.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub accumulator: RunAccumulator,
    /// The partial sums `accumulator` is the total of, to continue the run from.
    pub tree: BlockTree,
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

/// The partial sums of a contiguous range of blocks, kept as a canonical binary tree.
///
/// Floating-point addition is not associative, so "the sum of blocks 0..B" must be one
/// fixed expression whoever computes it. fundsim fixes it as a dyadic tree: the node
/// covering blocks `a .. a + 2^k` (with `a` a multiple of `2^k`) is its left half merged
/// with its right half, and the total is the fold, left to right, of the largest such
/// nodes that tile `0 .. B` (the binary digits of B). A `BlockTree` holds the complete
/// nodes of the range it has seen — at most two per level, so O(log B) accumulators — and
/// builds parents the moment both children are present. Any split of `0 .. B` into
/// contiguous ranges (threads, waves, checkpoints, shards on other machines) therefore
/// gives the same nodes, and [`BlockTree::absorb`]ing the pieces in order gives exactly,
/// bit for bit, the total of one uninterrupted run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockTree {
    /// The first block of the range.
    first_block: u64,
    /// Complete nodes, in block order, none a sibling of its right neighbour.
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    first_block: u64,
    /// A power of two.
    blocks: u64,
    accumulator: RunAccumulator,
}

impl BlockTree {
    /// An empty range that starts at `first_block`.
    pub fn starting_at(first_block: u64) -> Self {
        Self {
            first_block,
            nodes: Vec::new(),
        }
    }

    /// The first block of the range.
    pub fn first_block(&self) -> u64 {
        self.first_block
    }

    /// The block after the range (where the next block or range must start).
    pub fn end_block(&self) -> u64 {
        self.nodes
            .last()
            .map_or(self.first_block, |node| node.first_block + node.blocks)
    }

    /// Replications in the range.
    pub fn replications(&self) -> u64 {
        self.nodes
            .iter()
            .map(|node| node.accumulator.replications())
            .sum()
    }

    /// Appends the accumulator of block `end_block()`.
    pub fn push_block(&mut self, accumulator: RunAccumulator) {
        let first_block = self.end_block();
        self.push(Node {
            first_block,
            blocks: 1,
            accumulator,
        });
    }

    /// Appends every node of `next`, which must start where this range ends.
    ///
    /// # Panics
    /// If `next` does not start at [`BlockTree::end_block`].
    pub fn absorb(&mut self, next: BlockTree) {
        assert_eq!(
            next.first_block,
            self.end_block(),
            "ranges must be contiguous"
        );
        for node in next.nodes {
            self.push(node);
        }
    }

    fn push(&mut self, node: Node) {
        self.nodes.push(node);
        // Merge the last two nodes while they are the two halves of one parent.
        while let [.., left, right] = self.nodes.as_slice() {
            let siblings = left.blocks == right.blocks
                && left.first_block.is_multiple_of(2 * left.blocks)
                && left.first_block + left.blocks == right.first_block;
            if !siblings {
                break;
            }
            let right = self.nodes.pop().expect("two nodes");
            let left = self.nodes.last_mut().expect("two nodes");
            left.accumulator.merge(&right.accumulator);
            left.blocks *= 2;
        }
    }

    /// The accumulator of the whole range: its nodes folded left to right. `None` for an
    /// empty range.
    pub fn total(&self) -> Option<RunAccumulator> {
        let (first, rest) = self.nodes.split_first()?;
        let mut total = first.accumulator.clone();
        for node in rest {
            total.merge(&node.accumulator);
        }
        Some(total)
    }
}

/// Runs every strategy of the scenario over `config.replications` replications.
///
/// `portfolio` is the portfolio to use (read from CSV by the caller, or drawn with
/// [`Portfolio::synthetic`] for replication 0). `progress` is called with the number of
/// replications completed as blocks finish; `cancel` stops the run between blocks.
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
    resume(
        scenario,
        portfolio,
        config,
        BlockTree::starting_at(0),
        progress,
        cancel,
    )
}

/// Continues a run: simulates the blocks after `done` (the tree of blocks
/// `0 .. done.end_block()` of the same scenario, portfolio and seed) up to
/// `config.replications`. The result is exactly (bit for bit) that of one [`run`] of
/// `config.replications`: this is how a run grows until it is precise enough.
///
/// # Errors
/// [`RunError::Cancelled`] when `cancel` was set.
///
/// # Panics
/// If `done` does not start at block 0, or holds a partial block (its replications are
/// not a multiple of [`BLOCK_SIZE`]) or more replications than `config.replications`.
pub fn resume(
    scenario: &Scenario,
    portfolio: Portfolio,
    config: &RunConfig,
    done: BlockTree,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<RunResult, RunError> {
    assert!(
        done.first_block() == 0
            && done.replications() == done.end_block() * BLOCK_SIZE
            && done.replications() <= config.replications,
        "a run continues from whole blocks"
    );
    let on_progress = |tree: &BlockTree| progress(tree.replications().min(config.replications));
    let blocks = 0..config.blocks();
    run_blocks(
        scenario,
        portfolio,
        config,
        blocks,
        done,
        on_progress,
        cancel,
    )
}

/// Simulates blocks `blocks` (a range of the block indices of the run `config`: all of
/// them, or a shard's share) after those `done` already holds, pushing each, in order,
/// onto `done`. `done` starts at `blocks.start`; it is empty for a fresh start, or a
/// checkpoint to continue from. `on_progress` sees the tree each time it grows (for
/// progress and checkpoints); `cancel` stops the run: no block starts after it is set.
///
/// # Errors
/// [`RunError::Cancelled`] when `cancel` was set.
///
/// # Panics
/// If `done` does not start at `blocks.start` or ends beyond `blocks.end`.
pub fn run_blocks(
    scenario: &Scenario,
    portfolio: Portfolio,
    config: &RunConfig,
    blocks: Range<u64>,
    done: BlockTree,
    on_progress: impl FnMut(&BlockTree) + Send,
    cancel: &AtomicBool,
) -> Result<RunResult, RunError> {
    assert!(
        done.first_block() == blocks.start && done.end_block() <= blocks.end.max(blocks.start),
        "the blocks done must be a prefix of the blocks to simulate"
    );
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let rules: Vec<Box<dyn AllocationRule>> =
        scenario.strategies.iter().map(|s| s.rule.build()).collect();
    // Blocks are handed to the workers in order (`par_bridge` pulls from the range one
    // block at a time), and each finished block is pushed onto the tree as soon as all
    // blocks before it are in. No barrier between groups of blocks, and only the few
    // blocks finished ahead of a slower one wait in `ahead`: memory does not grow with
    // the number of blocks.
    let start = done.end_block();
    let merging = Mutex::new(Merging {
        done,
        ahead: BTreeMap::new(),
        on_progress,
        records: config.records.as_deref(),
    });
    // A worker does not start a block more than `window` blocks past the first unmerged
    // one (it waits for the slower block instead), so `ahead` stays small even when a
    // thread is descheduled for a while on a busy machine.
    let window = 4 * rayon::current_num_threads().max(1) as u64;
    let merged = Condvar::new();
    let lock = || merging.lock().unwrap_or_else(PoisonError::into_inner);
    (start..blocks.end).par_bridge().for_each(|block| {
        let mut state = lock();
        while block >= state.done.end_block() + window {
            // The block being waited for was handed out earlier and is running, unless
            // the run was cancelled: then nothing is waited for.
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            state = merged
                .wait_timeout(state, Duration::from_millis(50))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(state);
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let finished = simulate_block(scenario, &world, &rules, config, block);
        lock().add(block, finished);
        merged.notify_all();
    });
    let Merging { done, .. } = merging.into_inner().unwrap_or_else(PoisonError::into_inner);
    if done.end_block() < blocks.end {
        return Err(RunError::Cancelled {
            completed: done.replications(),
            total: config.replications,
        });
    }
    Ok(RunResult::from_tree(scenario, world.portfolio, done))
}

/// The blocks merged so far, and those finished ahead of their turn.
struct Merging<'a, F> {
    done: BlockTree,
    ahead: BTreeMap<u64, FinishedBlock>,
    on_progress: F,
    records: Option<&'a dyn RecordSink>,
}

/// A block's accumulator, and its per-replication records when they are kept.
struct FinishedBlock {
    accumulator: RunAccumulator,
    records: Vec<ReplicationRecord>,
}

impl<F: FnMut(&BlockTree)> Merging<'_, F> {
    fn add(&mut self, block: u64, finished: FinishedBlock) {
        self.ahead.insert(block, finished);
        let before = self.done.end_block();
        while let Some(next) = self.ahead.remove(&self.done.end_block()) {
            self.done.push_block(next.accumulator);
            // Under the merging lock and in block order: records leave in replication
            // order whatever the thread count.
            if let Some(sink) = self.records {
                sink.write(next.records);
            }
        }
        if self.done.end_block() > before {
            (self.on_progress)(&self.done);
        }
    }
}

impl RunResult {
    /// The result of the blocks of `tree` (their total; an empty accumulator for none).
    pub fn from_tree(scenario: &Scenario, portfolio: Portfolio, tree: BlockTree) -> Self {
        let accumulator = tree
            .total()
            .unwrap_or_else(|| empty_accumulator(scenario, portfolio.projects.len()));
        Self {
            accumulator,
            tree,
            portfolio,
        }
    }
}

fn empty_accumulator(scenario: &Scenario, projects: usize) -> RunAccumulator {
    RunAccumulator::new(
        scenario.strategies.len(),
        scenario.fund.horizon_months as usize,
        projects,
        scenario.max_calls(),
        scenario.fund.programme_months as usize,
    )
}

/// One block of replications, simulated in order into a fresh accumulator.
fn simulate_block(
    scenario: &Scenario,
    world: &World,
    rules: &[Box<dyn AllocationRule>],
    config: &RunConfig,
    block: u64,
) -> FinishedBlock {
    let mut acc = empty_accumulator(scenario, world.project_count())
        .with_parameter_sets(config.parameter_sets());
    let mut records = Vec::new();
    let mut trajectories = vec![Trajectory::default(); scenario.strategies.len()];
    let mut arrivals = Arrivals::default();
    let mut scratch = Vec::new();
    let first = block * BLOCK_SIZE;
    let last = (first + BLOCK_SIZE).min(config.replications);
    for replication in first..last {
        // In a run with uncertainty the replication runs in its parameter set: that set's
        // scenario, world and rules (built once per set); otherwise in the scenario's own.
        let (set, scenario, world, rules) = match config.parameter_worlds.as_deref() {
            Some(sets) => {
                let set = sets.set_of(replication);
                let parameters = &sets.sets[set];
                let rules = parameters.rules.as_slice();
                (Some(set), &parameters.scenario, &parameters.world, rules)
            }
            None => (None, scenario, world, rules),
        };
        let redrawn = world_for(scenario, config.seed, replication);
        let world = redrawn.as_ref().unwrap_or(world);
        // Work and vulnerability arrivals do not depend on the strategy: drawn once per
        // replication, shared by every strategy (the same draws each would make).
        arrivals.draw(world, config.seed, replication);
        for ((strategy, rule), trajectory) in
            scenario.strategies.iter().zip(rules).zip(&mut trajectories)
        {
            simulate_with_arrivals(
                world,
                &arrivals,
                &strategy.name,
                rule.as_ref(),
                strategy.timing,
                config.seed,
                replication,
                trajectory,
            );
        }
        acc.add_replication(&trajectories, &world.usage_weights, set, &mut scratch);
        if config.records.is_some() {
            let set = set.unwrap_or(0);
            let record =
                ReplicationRecord::of(set, replication, world, &trajectories, &mut scratch);
            records.push(record);
        }
    }
    FinishedBlock {
        accumulator: acc,
        records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    /// The accumulator of block `value` of a long STF run (two strategies kept).
    fn block(value: u64) -> RunAccumulator {
        let text = crate::scenario::builtin("stf").expect("built in");
        let scenario = crate::scenario::parse_str(text, "built-in:stf").expect("valid");
        let PortfolioSpec::Synthetic(spec) = &scenario.portfolio else {
            unreachable!("stf is synthetic")
        };
        let portfolio = Portfolio::synthetic(spec, &scenario.model, 1, 0);
        let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
        let rules: Vec<_> = scenario.strategies.iter().map(|s| s.rule.build()).collect();
        let config = RunConfig::new(1 << 20, 7);
        let mut acc = simulate_block(&scenario, &world, &rules, &config, value).accumulator;
        // Keep the test fast: one replication's worth is enough to tell orders apart.
        acc.strategies.truncate(2);
        acc
    }

    fn tree_of(blocks: &[RunAccumulator], first: u64) -> BlockTree {
        let mut tree = BlockTree::starting_at(first);
        for acc in blocks {
            tree.push_block(acc.clone());
        }
        tree
    }

    #[test]
    fn any_split_into_contiguous_ranges_gives_the_same_total() {
        let blocks: Vec<RunAccumulator> = (0..11).map(block).collect();
        let whole = tree_of(&blocks, 0);
        // At most two nodes per level: 11 = 8 + 2 + 1.
        assert_eq!(whole.nodes.len(), 3);
        let expected = whole.total().expect("not empty");
        for cuts in [vec![3], vec![1, 5, 6], vec![4, 8], vec![2, 3, 7, 10]] {
            let mut bounds = vec![0];
            bounds.extend(&cuts);
            bounds.push(blocks.len());
            let mut merged = BlockTree::starting_at(0);
            for range in bounds.windows(2) {
                merged.absorb(tree_of(&blocks[range[0]..range[1]], range[0] as u64));
            }
            assert_eq!(merged, whole, "cuts {cuts:?}");
            assert_eq!(merged.total().expect("not empty"), expected);
        }
        assert_eq!(whole.replications(), 11 * BLOCK_SIZE);
    }

    #[test]
    #[should_panic(expected = "contiguous")]
    fn a_gap_between_ranges_is_refused() {
        let blocks: Vec<RunAccumulator> = (0..3).map(block).collect();
        let mut tree = tree_of(&blocks[..1], 0);
        tree.absorb(tree_of(&blocks[2..], 2));
    }
}
