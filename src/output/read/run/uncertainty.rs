//! The uncertainty tables of a run folder read back (`uncertainty.csv`, `decision.csv`,
//! `what_would_change.csv`, `parameter_sets.csv`): present only for a run with
//! uncertainty.

use std::path::Path;

use serde::Deserialize;

use super::ReadError;
use crate::output::read::table::read_csv;

/// One row of `uncertainty.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SpreadRow {
    pub strategy: String,
    pub metric: String,
    pub mean: Option<f64>,
    pub p05: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub share_parameter: Option<f64>,
}

/// One row of `decision.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DecisionRow {
    pub metric: String,
    pub strategy: String,
    pub p_best: Option<f64>,
    pub p_beats_none: Option<f64>,
    pub expected_regret: Option<f64>,
}

/// One row of `what_would_change.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChangeRow {
    pub metric: String,
    pub strategy: String,
    pub parameter: Option<String>,
    pub sentence: Option<String>,
}

/// What a run with uncertainty adds to its folder.
#[derive(Debug, Clone, PartialEq)]
pub struct UncertaintyData {
    /// Parameter sets that ran at least one replication.
    pub parameter_sets: usize,
    pub spreads: Vec<SpreadRow>,
    pub decisions: Vec<DecisionRow>,
    pub changes: Vec<ChangeRow>,
}

#[derive(Debug, Deserialize)]
struct SetRow {
    replications: u64,
}

impl UncertaintyData {
    /// Reads the uncertainty tables of `folder`; `None` when it has none (a
    /// fixed-parameter run).
    ///
    /// # Errors
    /// [`ReadError`] when a table is present but malformed, or only some are present.
    pub fn load(folder: &Path) -> Result<Option<Self>, ReadError> {
        let spreads_path = folder.join("uncertainty.csv");
        if !spreads_path.exists() {
            return Ok(None);
        }
        let sets: Vec<SetRow> = read_csv(&folder.join("parameter_sets.csv"))?;
        Ok(Some(Self {
            parameter_sets: sets.iter().filter(|s| s.replications > 0).count(),
            spreads: read_csv(&spreads_path)?,
            decisions: read_csv(&folder.join("decision.csv"))?,
            changes: read_csv(&folder.join("what_would_change.csv"))?,
        }))
    }

    /// The spread of `metric` for `strategy` across parameter sets.
    pub fn spread(&self, strategy: &str, metric: &str) -> Option<&SpreadRow> {
        self.spreads
            .iter()
            .find(|r| r.strategy == strategy && r.metric == metric)
    }

    /// The decision row of `strategy` for `metric`.
    pub fn decision(&self, strategy: &str, metric: &str) -> Option<&DecisionRow> {
        self.decisions
            .iter()
            .find(|r| r.strategy == strategy && r.metric == metric)
    }

    /// What would change the answer for `metric`.
    pub fn change(&self, metric: &str) -> Option<&ChangeRow> {
        self.changes.iter().find(|r| r.metric == metric)
    }
}
