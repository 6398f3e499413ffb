//! The manifest of a sensitivity folder (Morris screening or Sobol indices): the design,
//! the uncertain parameters and the outputs analysed. The report is drawn from it and the
//! folder's tables ([`crate::output::read::SensitivityData`]).

use serde::{Deserialize, Serialize};

use super::folder::FolderManifest;
use crate::analysis::Method;
use crate::scenario::UncertainParameter;

/// The method of a sensitivity analysis, as the manifest names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MethodName {
    Morris,
    Sobol,
}

impl From<Method> for MethodName {
    fn from(method: Method) -> Self {
        match method {
            Method::Morris => Self::Morris,
            Method::Sobol => Self::Sobol,
        }
    }
}

/// `manifest.json` of a sensitivity folder. Fields added after the first version read as
/// empty when an older folder lacks them, so its report can still be drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityManifest {
    pub fundsim_version: String,
    /// Always [`SensitivityManifest::COMMAND`].
    pub command: String,
    pub method: MethodName,
    #[serde(default)]
    pub scenario_name: String,
    #[serde(default)]
    pub scenario_description: String,
    #[serde(default)]
    pub scenario_origin: String,
    #[serde(default)]
    pub scenario_hash: String,
    /// `--set PATH=VALUE` as given, so the folder can be reproduced (the scenario hash is
    /// of the overridden scenario); left out of the file without `--set`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenario_overrides: Vec<String>,
    pub seed: u64,
    /// Replications at every design point, all with the same seed.
    pub inner_replications: u64,
    /// Sobol base sample N (`null` for Morris).
    pub samples: Option<u32>,
    /// Morris trajectories and grid levels (`null` for Sobol).
    pub trajectories: Option<u32>,
    pub levels: Option<u32>,
    pub design_points: usize,
    pub bootstrap_resamples: usize,
    pub parameters: Vec<UncertainParameter>,
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Every strategy of the scenario, in its order (their colours).
    #[serde(default)]
    pub strategies: Vec<String>,
    /// `--strategy` choices (empty: all).
    #[serde(default)]
    pub strategy_filter: Vec<String>,
    /// The strategies each one is compared with (paired differences).
    #[serde(default)]
    pub versus: Vec<String>,
    /// The files of the folder, the manifest aside (`report.html` included).
    #[serde(default)]
    pub files: Vec<String>,
}

impl FolderManifest for SensitivityManifest {
    const COMMAND: &'static str = "sensitivity";
}

#[cfg(test)]
mod tests {
    use super::super::tests::reference;
    use super::*;
    use crate::scenario::sensitivity::Distribution;

    fn parameters() -> Vec<UncertainParameter> {
        vec![
            UncertainParameter {
                path: "model.attrition_hazard".into(),
                label: "attrition hazard".into(),
                distribution: Distribution::LogUniform {
                    low: 0.014,
                    high: 0.056,
                },
            },
            UncertainParameter {
                path: "fund.budget_eur".into(),
                label: "budget (EUR)".into(),
                distribution: Distribution::Normal {
                    mean: 2e7,
                    sd: 0.1 + 0.2,
                    low: 1e7,
                    high: 3e7,
                },
            },
            UncertainParameter {
                path: "model.joining_rate".into(),
                label: "joining “rate”".into(),
                distribution: Distribution::Triangular {
                    low: 0.0,
                    mode: 0.5,
                    high: 1.0,
                },
            },
        ]
    }

    /// The untyped manifest as `fundsim sensitivity` built it, and the typed one, from the
    /// same inputs.
    fn both(method: Method) -> (serde_json::Value, SensitivityManifest) {
        let parameters = parameters();
        let (samples, trajectories, levels) = (8_u32, 3_u32, 4_u32);
        let (seed, replications, points, resamples) = (1_u64, 4_u64, 12_usize, 50_usize);
        let metrics = vec!["survival_at_horizon".to_string()];
        let strategies = ["none", "equal", "usage-sqrt"];
        let strategy_filter: Vec<String> = vec![];
        let versus = vec!["none".to_string()];
        let files = vec!["outputs.csv".to_string(), "report.html".to_string()];
        let (name, description) = ("sensitivity", "Which “assumptions” matter\nmost");
        let old = serde_json::json!({
            "fundsim_version": crate::VERSION,
            "command": "sensitivity",
            "method": match method { Method::Morris => "morris", Method::Sobol => "sobol" },
            "scenario_name": name,
            "scenario_description": description,
            "scenario_origin": "built-in:sensitivity",
            "scenario_hash": "0f",
            "seed": seed,
            "inner_replications": replications,
            "samples": (method == Method::Sobol).then_some(samples),
            "trajectories": (method == Method::Morris).then_some(trajectories),
            "levels": (method == Method::Morris).then_some(levels),
            "design_points": points,
            "bootstrap_resamples": resamples,
            "parameters": parameters,
            "metrics": metrics,
            "strategies": strategies.to_vec(),
            "strategy_filter": strategy_filter,
            "versus": versus,
            "files": files,
        });
        let new = SensitivityManifest {
            fundsim_version: crate::VERSION.into(),
            command: SensitivityManifest::COMMAND.into(),
            method: method.into(),
            scenario_name: name.into(),
            scenario_description: description.into(),
            scenario_origin: "built-in:sensitivity".into(),
            scenario_hash: "0f".into(),
            scenario_overrides: Vec::new(),
            seed,
            inner_replications: replications,
            samples: (method == Method::Sobol).then_some(samples),
            trajectories: (method == Method::Morris).then_some(trajectories),
            levels: (method == Method::Morris).then_some(levels),
            design_points: points,
            bootstrap_resamples: resamples,
            parameters,
            metrics,
            strategies: strategies.iter().map(|s| (*s).to_string()).collect(),
            strategy_filter,
            versus,
            files,
        };
        (old, new)
    }

    #[test]
    fn bytes_match_the_untyped_manifest_for_both_methods() {
        for method in [Method::Morris, Method::Sobol] {
            let (old, new) = both(method);
            let bytes = new.to_bytes().unwrap();
            assert_eq!(
                String::from_utf8(bytes.clone()).unwrap(),
                String::from_utf8(reference(&old)).unwrap()
            );
            let path = std::path::Path::new("manifest.json");
            assert_eq!(SensitivityManifest::parse(path, &bytes).unwrap(), new);
        }
    }

    #[test]
    fn overrides_are_written_only_when_given() {
        let (mut old, new) = both(Method::Sobol);
        let overrides = vec![
            "model.attrition_hazard=0.03".to_string(),
            "fund.budget_eur=5000000".to_string(),
        ];
        old.as_object_mut()
            .unwrap()
            .insert("scenario_overrides".into(), overrides.clone().into());
        let new = SensitivityManifest {
            scenario_overrides: overrides,
            ..new
        };
        let bytes = new.to_bytes().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            String::from_utf8(reference(&old)).unwrap()
        );
        let path = std::path::Path::new("manifest.json");
        assert_eq!(SensitivityManifest::parse(path, &bytes).unwrap(), new);
    }

    #[test]
    fn an_older_manifest_without_the_later_fields_reads() {
        let (mut old, _) = both(Method::Morris);
        let object = old.as_object_mut().unwrap();
        for key in ["scenario_name", "metrics", "strategies", "versus", "files"] {
            object.remove(key);
        }
        let bytes = reference(&old);
        let path = std::path::Path::new("manifest.json");
        let read = SensitivityManifest::parse(path, &bytes).unwrap();
        assert_eq!(read.method, MethodName::Morris);
        assert!(read.scenario_name.is_empty() && read.files.is_empty());
        assert_eq!(read.parameters, parameters());
    }
}
