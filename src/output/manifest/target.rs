//! The manifest of a target folder (`target.json`, `target_trace.csv` and the chart).

use serde::{Deserialize, Serialize};

use super::folder::FolderManifest;

/// `manifest.json` of a target folder: what was searched, with what, and the files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetManifest {
    pub fundsim_version: String,
    /// Always [`TargetManifest::COMMAND`].
    pub command: String,
    pub scenario_origin: String,
    pub scenario_hash: String,
    /// `--set PATH=VALUE` as given, so the folder can be reproduced (the scenario hash is
    /// of the overridden scenario); left out of the file without `--set`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenario_overrides: Vec<String>,
    pub seed: u64,
    /// Replications at every value tried, all with the same seed.
    pub replications_per_evaluation: u64,
    /// The dotted path of the field searched.
    pub param: String,
    /// The outcome that must reach the goal, and whose.
    pub metric: String,
    pub strategy: String,
    pub goal: f64,
    /// The files of the folder, the manifest aside.
    pub files: Vec<String>,
}

impl FolderManifest for TargetManifest {
    const COMMAND: &'static str = "target";
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn a_target_manifest_reads_back_and_refuses_another_kind() {
        let manifest = TargetManifest {
            fundsim_version: "0.1.0".into(),
            command: TargetManifest::COMMAND.into(),
            scenario_origin: "stf".into(),
            scenario_hash: "abc".into(),
            scenario_overrides: Vec::new(),
            seed: 7,
            replications_per_evaluation: 64,
            param: "fund.budget_eur".into(),
            metric: "cost_per_abandonment_averted_eur".into(),
            strategy: "equal-even".into(),
            goal: 250_000.0,
            files: vec!["target.json".into()],
        };
        let bytes = manifest.to_bytes().unwrap();
        let path = Path::new("t/manifest.json");
        assert_eq!(TargetManifest::parse(path, &bytes).unwrap(), manifest);
        assert!(!String::from_utf8_lossy(&bytes).contains("scenario_overrides"));
        let error = TargetManifest::parse(path, br#"{"command": "sweep"}"#).unwrap_err();
        assert!(error.to_string().contains("fundsim sweep"), "{error}");
    }
}
