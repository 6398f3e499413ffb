//! The scenario as written ([`ScenarioFile`], the serde types of the TOML format) and as
//! validated ([`Scenario`], what the engine trusts). Parsing and validation, which turn the
//! one into the other, import these types from here.

use serde::{Deserialize, Serialize};

use super::sensitivity::{SensitivityFile, SensitivitySpec};
use super::uncertainty::{UncertaintyFile, UncertaintySpec};
use super::verdict::{VerdictFile, VerdictSpec};
use crate::params::{FundParams, ModelParams, PortfolioFile, PortfolioSpec, RunParams};
use crate::strategy::{StrategyEntry, StrategySpec};

/// A scenario file as written, before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub fund: FundParams,
    #[serde(default)]
    pub portfolio: PortfolioFile,
    #[serde(default)]
    pub model: ModelParams,
    #[serde(default)]
    pub strategies: Vec<StrategyEntry>,
    #[serde(default)]
    pub run: RunParams,
    /// Uncertain inputs for `fundsim sensitivity` (optional).
    pub sensitivity: Option<SensitivityFile>,
    /// Parameter uncertainty carried into runs (optional).
    pub uncertainty: Option<UncertaintyFile>,
    /// Practical thresholds of the verdict on which strategy is best (optional).
    pub verdict: Option<VerdictFile>,
}

/// A validated scenario: every field in range, strategies resolved to rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub fund: FundParams,
    pub portfolio: PortfolioSpec,
    pub model: ModelParams,
    /// The strategies; the `none` baseline is always first.
    pub strategies: Vec<StrategySpec>,
    pub run: RunParams,
    /// The `[sensitivity]` table, when given (not part of the hash of a scenario without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<SensitivitySpec>,
    /// The `[uncertainty]` table, when given (not part of the hash of a scenario without
    /// it, so every scenario without one keeps its hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<UncertaintySpec>,
    /// The `[verdict]` table, when given (not part of the hash of a scenario without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<VerdictSpec>,
}

impl Scenario {
    /// SHA-256 of the scenario as validated (canonical JSON), in hex: two files that
    /// mean the same scenario have the same hash.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("a scenario always serializes");
        crate::digest::sha256_hex(json)
    }

    /// The most calls any strategy makes (the size of the allocation tables).
    pub fn max_calls(&self) -> usize {
        self.strategies
            .iter()
            .map(|s| s.timing.call_months(&self.fund).len())
            .max()
            .unwrap_or(0)
    }

    /// The scenario's practical thresholds per metric (`[verdict.practical_difference]`),
    /// empty when it sets none.
    pub fn practical_differences(&self) -> std::collections::BTreeMap<String, f64> {
        self.verdict
            .as_ref()
            .map(|v| v.practical_difference.clone())
            .unwrap_or_default()
    }

    /// Index of the `none` baseline strategy (always present after validation).
    pub fn baseline_index(&self) -> usize {
        self.strategies
            .iter()
            .position(|s| s.rule.is_baseline())
            .unwrap_or(0)
    }
}
