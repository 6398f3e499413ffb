//! Folders read back: what `plot`, `report` and `merge` are drawn from.
//!
//! - [`run`]: a run folder (`manifest.json` and its tables) as [`RunData`], with the
//!   derived quantities charts and the brief share (paired differences, cost ratios).
//! - [`sensitivity`]: a sensitivity folder (manifest, tables, chart SVGs) as
//!   [`SensitivityData`].
//! - `table.rs`: reading the CSV tables by column name, which both share.
//! - Shard folders are read by [`super::shard::read`]; the manifests of sweep, survival
//!   and calibrate folders by their types in [`super::manifest`].
//!
//! The tables are the contract between the simulation and everything drawn from it:
//! columns are found by name, so extra columns are ignored, and empty cells are undefined
//! values. Every error names the file, and the line where there is one.

pub mod run;
pub mod sensitivity;
mod table;

pub use super::files::{ReadError, read_file};

pub use run::{
    AllocationRow, Estimate, ProjectRow, RunData, RunInfo, SeriesPoint, SurvivalPoint, Value,
};
pub use sensitivity::SensitivityData;
