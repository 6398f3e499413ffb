//! The manifest of a sweep folder (`sweep.csv` and one chart per metric).

use serde::{Deserialize, Serialize};

use super::folder::FolderManifest;
use crate::analysis::sweep::Axis;

/// `manifest.json` of a sweep folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    pub fundsim_version: String,
    /// Always [`SweepManifest::COMMAND`].
    pub command: String,
    pub scenario_origin: String,
    pub scenario_hash: String,
    /// `--set PATH=VALUE` as given, so the folder can be reproduced (the scenario hash is
    /// of the overridden scenario); left out of the file without `--set`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenario_overrides: Vec<String>,
    pub seed: u64,
    /// Replications at every grid point, all with the same seed.
    pub replications_per_point: u64,
    /// The fields swept (one: a line; two: a grid) and their values.
    pub axes: Vec<SweepAxis>,
    /// The metrics of `sweep.csv`, in the order they first appear.
    pub metrics: Vec<String>,
    /// The files of the folder, the manifest aside.
    pub files: Vec<String>,
}

impl FolderManifest for SweepManifest {
    const COMMAND: &'static str = "sweep";
}

/// One swept field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepAxis {
    /// Dotted scenario path (`fund.budget_eur`).
    pub path: String,
    pub values: Vec<f64>,
}

impl From<&Axis> for SweepAxis {
    fn from(axis: &Axis) -> Self {
        Self {
            path: axis.path.clone(),
            values: axis.values.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::reference;
    use super::*;

    #[test]
    fn bytes_match_the_untyped_manifest() {
        let axes = [
            Axis {
                path: "fund.budget_eur".into(),
                values: vec![5e6, 22.5e6, 40e6],
            },
            Axis {
                path: "model.attrition_hazard".into(),
                values: vec![0.01, 0.1 + 0.2, 1e-7],
            },
        ];
        let metrics = vec![
            "survival_at_horizon".to_string(),
            "survival_year_2".to_string(),
        ];
        let files = vec!["sweep.csv".to_string(), "charts/sweep-a.png".to_string()];
        let (origin, hash, seed, replications) = ("built-in:timing", "ab12", 2_u64, 16_u64);
        let old = serde_json::json!({
            "fundsim_version": crate::VERSION,
            "command": "sweep",
            "scenario_origin": origin,
            "scenario_hash": hash,
            "seed": seed,
            "replications_per_point": replications,
            "axes": axes.iter().map(|a| serde_json::json!({"path": a.path, "values": a.values})).collect::<Vec<_>>(),
            "metrics": metrics,
            "files": files,
        });
        let manifest = SweepManifest {
            fundsim_version: crate::VERSION.into(),
            command: SweepManifest::COMMAND.into(),
            scenario_origin: origin.into(),
            scenario_hash: hash.into(),
            scenario_overrides: Vec::new(),
            seed,
            replications_per_point: replications,
            axes: axes.iter().map(SweepAxis::from).collect(),
            metrics,
            files,
        };
        let bytes = manifest.to_bytes().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            String::from_utf8(reference(&old)).unwrap()
        );
        let path = std::path::Path::new("manifest.json");
        assert_eq!(SweepManifest::parse(path, &bytes).unwrap(), manifest);

        // With `--set`, the untyped manifest had `scenario_overrides` added.
        let overrides = vec!["fund.budget_eur=15000000".to_string()];
        let mut old = old;
        old.as_object_mut()
            .unwrap()
            .insert("scenario_overrides".into(), overrides.clone().into());
        let manifest = SweepManifest {
            scenario_overrides: overrides,
            ..manifest
        };
        let bytes = manifest.to_bytes().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            String::from_utf8(reference(&old)).unwrap()
        );
        assert_eq!(SweepManifest::parse(path, &bytes).unwrap(), manifest);
    }
}
