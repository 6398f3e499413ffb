//! The manifest of a `calibrate --facts` folder: the posterior of the baseline's
//! parameters fitted to the stylised facts by ABC-SMC, how the sampler went, and the
//! settings that reproduce it.

use serde::{Deserialize, Serialize};

use super::folder::{FolderManifest, nan_if_null};
use crate::analysis::calibrate::abc::{PriorShape, Stop};
use crate::analysis::calibrate::facts_fit::PosteriorParam;

/// `manifest.json` of a `calibrate --facts` folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactsFitManifest {
    pub fundsim_version: String,
    /// Always [`FactsFitManifest::COMMAND`].
    pub command: String,
    pub scenario_origin: String,
    /// `--set PATH=VALUE` as given; left out of the file without `--set`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenario_overrides: Vec<String>,
    /// The facts file as given on the command line (`built-in` for the repository's
    /// facts.toml), and the SHA-256 of its text.
    pub facts: String,
    pub facts_sha256: String,
    pub seed: u64,
    pub replications_per_simulation: u64,
    pub particles: usize,
    pub max_generations: usize,
    /// The quantile of the distances that sets the next tolerance.
    pub quantile: f64,
    pub target_tolerance: f64,
    pub min_acceptance: f64,
    pub min_shrink: f64,
    /// Complete generations (the last is the posterior).
    pub generations: usize,
    pub simulations: u64,
    /// The tolerance of the posterior population.
    #[serde(deserialize_with = "nan_if_null")]
    pub final_tolerance: f64,
    pub stop: Stop,
    pub params: Vec<FactsFitParam>,
    /// Replications and seed of the evaluation of the facts at the posterior median
    /// (`facts.csv`'s `median_*` columns, the printed table).
    pub median_replications: u64,
    pub median_seed: u64,
    /// The files of the folder, the manifest aside.
    pub files: Vec<String>,
}

impl FolderManifest for FactsFitManifest {
    const COMMAND: &'static str = "calibrate --facts";
}

/// A fitted parameter: its prior and posterior summary, as [`PosteriorParam`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactsFitParam {
    pub path: String,
    pub prior: PriorShape,
    pub low: f64,
    pub high: f64,
    pub mean: f64,
    pub median: f64,
    pub p05: f64,
    pub p95: f64,
}

impl From<&PosteriorParam> for FactsFitParam {
    fn from(p: &PosteriorParam) -> Self {
        Self {
            path: p.path.clone(),
            prior: p.prior.shape,
            low: p.prior.low,
            high: p.prior.high,
            mean: p.mean,
            median: p.median,
            p05: p.p05,
            p95: p.p95,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::calibrate::abc::Prior;

    #[test]
    fn manifests_round_trip_with_sorted_keys() {
        let param = PosteriorParam {
            path: "model.attrition_hazard".into(),
            prior: Prior {
                low: 0.009,
                high: 0.056,
                shape: PriorShape::LogUniform,
            },
            mean: 0.0127,
            median: 0.0126,
            p05: 0.0098,
            p95: 0.0151,
        };
        let manifest = FactsFitManifest {
            fundsim_version: crate::VERSION.into(),
            command: FactsFitManifest::COMMAND.into(),
            scenario_origin: "built-in:popular-baseline".into(),
            scenario_overrides: Vec::new(),
            facts: "built-in".into(),
            facts_sha256: "ab".into(),
            seed: 1,
            replications_per_simulation: 1,
            particles: 200,
            max_generations: 20,
            quantile: 0.5,
            target_tolerance: 1.0,
            min_acceptance: 0.02,
            min_shrink: 0.02,
            generations: 14,
            simulations: 29_248,
            final_tolerance: 1.0,
            stop: Stop::TargetReached,
            params: vec![FactsFitParam::from(&param)],
            median_replications: 200,
            median_seed: 1,
            files: vec!["posterior.csv".into()],
        };
        let bytes = manifest.to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains("\"command\": \"calibrate --facts\""),
            "{text}"
        );
        assert!(text.contains("\"prior\": \"log-uniform\""), "{text}");
        assert!(text.contains("\"stop\": \"target_reached\""), "{text}");
        assert!(!text.contains("scenario_overrides"), "{text}");
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \""))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
        let read = FactsFitManifest::parse(std::path::Path::new("m"), &bytes).unwrap();
        assert_eq!(read, manifest);
        let error = super::super::CalibrateManifest::parse(std::path::Path::new("m"), &bytes)
            .unwrap_err()
            .to_string();
        assert!(error.contains("fundsim calibrate --facts"), "{error}");
    }
}
