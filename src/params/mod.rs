//! Parameter types and their checking: the bottom layer of fundsim's core.
//!
//! Each table of a scenario file (`[fund]`, `[portfolio]`, `[model]`, `[run]`, a
//! strategy's timing) is a plain type here with its defaults, its sources in the doc
//! comments, and a `check` that reports every out-of-range value to a [`Checker`]. This
//! module imports nothing of the crate: the scenario format, the model, the strategies
//! and the analyses all build on it.

mod check;
mod fund;
mod model;
mod portfolio;
mod run;
mod timing;

pub use check::{Checker, Issue, ScenarioError, line_of_offset, locate_field, suggest_known_field};
pub use fund::FundParams;
pub use model::ModelParams;
pub use portfolio::{PortfolioFile, PortfolioSpec, SyntheticPortfolio};
pub use run::RunParams;
pub use timing::Timing;
