//! The manifest of a calibrate folder: the parameters fitted so that the unfunded
//! baseline reproduces an observed survival curve, how well it fits, and the settings
//! that reproduce the fit.

use serde::{Deserialize, Serialize};

use super::folder::{FolderManifest, nan_if_null};
use crate::analysis::calibrate::FittedParam;

/// `manifest.json` of a calibrate folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrateManifest {
    pub fundsim_version: String,
    /// Always [`CalibrateManifest::COMMAND`].
    pub command: String,
    pub scenario_origin: String,
    /// `--set PATH=VALUE` as given, so the folder can be reproduced (the scenario hash is
    /// of the overridden scenario); left out of the file without `--set`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenario_overrides: Vec<String>,
    /// The observed-lifetimes CSV, as given on the command line, and its SHA-256.
    pub observed: String,
    pub observed_sha256: String,
    /// The group of the observed data fitted (`None`: all rows).
    pub group: Option<String>,
    pub seed: u64,
    pub replications_per_evaluation: u64,
    /// Bootstrap refits.
    pub bootstrap: usize,
    pub max_evaluations: usize,
    /// Months simulated (the observed follow-up).
    pub horizon_months: u32,
    /// The distance of the fitted curve to the observed one.
    #[serde(deserialize_with = "nan_if_null")]
    pub distance: f64,
    /// Months of the grid the curves are compared on.
    pub grid_months: usize,
    pub evaluations: usize,
    pub converged: bool,
    pub params: Vec<CalibratedParam>,
    /// The files of the folder, the manifest aside.
    pub files: Vec<String>,
}

impl FolderManifest for CalibrateManifest {
    const COMMAND: &'static str = "calibrate";
}

/// A fitted parameter with its uncertainty, as [`FittedParam`]. Undefined values (no
/// bootstrap) are `null` in the file and NaN here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedParam {
    pub path: String,
    pub low: f64,
    pub high: f64,
    pub start: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub estimate: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub std_error: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci_high: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub percentile_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub percentile_high: f64,
}

impl From<&FittedParam> for CalibratedParam {
    fn from(p: &FittedParam) -> Self {
        Self {
            path: p.path.clone(),
            low: p.low,
            high: p.high,
            start: p.start,
            estimate: p.estimate,
            std_error: p.std_error,
            ci_low: p.ci_low,
            ci_high: p.ci_high,
            percentile_low: p.percentile_low,
            percentile_high: p.percentile_high,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::reference;
    use super::*;

    fn fitted() -> Vec<FittedParam> {
        vec![
            FittedParam {
                path: "model.attrition_hazard".into(),
                low: 0.005,
                high: 0.06,
                start: 0.0325,
                estimate: 0.021_734_5,
                std_error: 0.001_2,
                ci_low: 0.019_3,
                ci_high: 0.024_1,
                percentile_low: 0.019_9,
                percentile_high: 0.023_8,
            },
            // No bootstrap: the uncertainty is undefined.
            FittedParam {
                path: "model.joining_rate".into(),
                low: 0.0,
                high: 1.0,
                start: 0.5,
                estimate: 0.1 + 0.2,
                std_error: f64::NAN,
                ci_low: f64::NAN,
                ci_high: f64::NAN,
                percentile_low: f64::NAN,
                percentile_high: f64::NAN,
            },
        ]
    }

    #[test]
    fn bytes_match_the_untyped_manifest() {
        let params = fitted();
        let bytes = b"project,duration_months,event\na,3,1\n";
        let given = vec!["model.joining_rate=0.2".to_string()];
        for (group, overrides) in [
            (None, Vec::new()),
            (Some("popular".to_string()), given.clone()),
            (None, given),
        ] {
            let files = vec!["fit.csv", "curves.csv", "bootstrap.csv"];
            let mut old = serde_json::json!({
                "fundsim_version": crate::VERSION,
                "command": "calibrate",
                "scenario_origin": "scenarios/popular-baseline.toml",
                "observed": "tests/fixtures/observed_popular.csv",
                "observed_sha256": crate::output::files::sha256_hex(bytes),
                "group": group,
                "seed": 1_u64,
                "replications_per_evaluation": 2_u64,
                "bootstrap": 2_usize,
                "max_evaluations": 20_usize,
                "horizon_months": 96_u32,
                "distance": 12.345_678_9,
                "grid_months": 95_usize,
                "evaluations": 20_usize,
                "converged": false,
                "params": params,
                "files": files,
            });
            // With `--set`, the untyped manifest had `scenario_overrides` added.
            if !overrides.is_empty() {
                old.as_object_mut()
                    .unwrap()
                    .insert("scenario_overrides".into(), overrides.clone().into());
            }
            let new = CalibrateManifest {
                fundsim_version: crate::VERSION.into(),
                command: CalibrateManifest::COMMAND.into(),
                scenario_origin: "scenarios/popular-baseline.toml".into(),
                scenario_overrides: overrides.clone(),
                observed: "tests/fixtures/observed_popular.csv".into(),
                observed_sha256: crate::output::files::sha256_hex(bytes),
                group: group.clone(),
                seed: 1,
                replications_per_evaluation: 2,
                bootstrap: 2,
                max_evaluations: 20,
                horizon_months: 96,
                distance: 12.345_678_9,
                grid_months: 95,
                evaluations: 20,
                converged: false,
                params: params.iter().map(CalibratedParam::from).collect(),
                files: files.iter().map(|f| (*f).to_string()).collect(),
            };
            let written = new.to_bytes().unwrap();
            assert_eq!(
                String::from_utf8(written.clone()).unwrap(),
                String::from_utf8(reference(&old)).unwrap()
            );
            let read = CalibrateManifest::parse(std::path::Path::new("m"), &written).unwrap();
            assert_eq!(read.group, group);
            assert_eq!(read.scenario_overrides, overrides);
            assert_eq!(read.params[0], new.params[0]);
            assert!(read.params[1].std_error.is_nan());
            assert_eq!(read.params[1].estimate, 0.1 + 0.2);
        }
    }
}
