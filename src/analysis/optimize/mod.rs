//! `fundsim optimize`: the search for the funding policy that does best on a metric,
//! under the scenario's parameter uncertainty.
//!
//! - [`cmaes`]: the derivative-free optimiser (CMA-ES), deterministic for a seed;
//! - [`space`]: the searched parameters, named and bounded, and how a point becomes a
//!   `[[strategies]]` table;
//! - [`objective`]: the goal (expected value, 10th percentile across parameter sets,
//!   expected regret against the named strategies) from per-set means;
//! - [`holdout`]: the seeds of the search and of the hold-out (disjoint), and the paired
//!   comparison of the found policy with every named strategy;
//! - [`search`]: the generation loop, its trace and resumable state;
//! - [`explain`]: the found policy in words, and its comparison with the named strategies.
//!
//! The method and its limits: docs/optimize.md.

pub mod cmaes;
pub mod evaluate;
pub mod explain;
pub mod holdout;
pub mod objective;
pub mod search;
pub mod space;

pub use evaluate::{
    CANDIDATE_NAME, EvaluationError, Evaluator, SearchSets, named_results, with_strategy,
};
pub use holdout::{Difference, Verdict, differences, holdout_seed, levels};
pub use objective::{Goal, Score};
pub use search::{SearchState, TraceRow};
pub use space::{Dimension, Kind, SearchSpace, policy_space, proportional_space};
