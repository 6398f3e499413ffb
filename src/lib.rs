//! # fundsim
//!
//! A Monte Carlo simulator for public funders of open-source software: how should a fixed
//! budget be spread over a portfolio of projects, and over time, to keep the most
//! (usage-weighted) projects alive and maintained — and how sure are we?
//!
//! The library is usable without the CLI. The data flow:
//! scenario text → [`scenario::parse_str`] → [`scenario::Scenario`] →
//! [`portfolio::Portfolio`] → [`engine::run`] → [`engine::RunResult`] (aggregates only) →
//! [`output`] writers.
//!
//! The core (`digest`, `params`, `rng`, `fund`, `scenario`, `stats`, `portfolio`, `model`,
//! `strategy`, `engine`, `analysis`) does no I/O. `input` reads scenarios and portfolios;
//! `output` writes every result folder and reads it back, so `plot` and `report` render
//! from what it read and touch no file themselves; `cli` adds the files that belong to a
//! command rather than to a result (checkpoints, `init`'s template, Slurm scripts, the
//! data an analysis is given) and is the only module that prints.
//!
//! ```
//! use std::sync::atomic::AtomicBool;
//! let scenario = fundsim::scenario::parse_str(fundsim::scenario::builtin("stf").unwrap(), "stf").unwrap();
//! let portfolio = fundsim::input::synthetic_portfolio(&scenario).unwrap();
//! let config = fundsim::engine::RunConfig::new(16, 1);
//! let result = fundsim::engine::run(&scenario, portfolio, &config, &|_| {}, &AtomicBool::new(false)).unwrap();
//! assert_eq!(result.accumulator.replications(), 16);
//! ```

// The layers, from the top; each module imports only modules of the layers below it
// (tests/layers.rs checks it): cli → serve → report, plot → output → analysis → engine → input →
// scenario → stats → strategy, model (which never import each other) → fund → portfolio →
// params → rng → digest.
pub mod analysis;
pub mod cli;
pub mod digest;
pub mod engine;
pub mod fund;
pub mod input;
pub mod model;
pub mod output;
pub mod params;
pub mod plot;
pub mod portfolio;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod serve;
pub mod stats;
pub mod strategy;

/// The fundsim version, recorded in every manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
