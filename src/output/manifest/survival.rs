//! The manifest of a survival folder: Kaplan–Meier curves of observed project lifetimes
//! (`survival.csv`, `summary.csv`, a chart), with each group's median and restricted
//! mean survival time.

use serde::{Deserialize, Serialize};

use super::folder::{FolderManifest, nan_if_null};
use crate::stats::{Rmst, SurvivalQuantile};

/// `manifest.json` of a survival folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalManifest {
    pub fundsim_version: String,
    /// Always [`SurvivalManifest::COMMAND`].
    pub command: String,
    /// The observed-lifetimes CSV, as given on the command line.
    pub data: String,
    /// Its SHA-256, so a result can be traced to the exact data.
    pub data_sha256: String,
    /// The horizon of the restricted mean survival time (months).
    #[serde(deserialize_with = "nan_if_null")]
    pub rmst_tau_months: f64,
    /// The files of the folder, the manifest aside.
    pub files: Vec<String>,
    pub groups: Vec<SurvivalGroup>,
}

impl FolderManifest for SurvivalManifest {
    const COMMAND: &'static str = "survival";
}

/// One group's summary: its size, abandonments, median and RMST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalGroup {
    pub group: String,
    pub projects: u64,
    /// Projects observed abandoned.
    pub abandoned: u64,
    pub median: QuantileEstimate,
    /// `None` when the horizon is beyond the group's follow-up.
    pub rmst: Option<RmstEstimate>,
}

/// A survival quantile with its 95% interval, as [`SurvivalQuantile`]; `None` where
/// the curve does not fall to the level within follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileEstimate {
    /// The survival level, 0.5 for the median.
    pub level: f64,
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl From<SurvivalQuantile> for QuantileEstimate {
    fn from(q: SurvivalQuantile) -> Self {
        Self {
            level: q.level,
            estimate: q.estimate,
            ci_low: q.ci_low,
            ci_high: q.ci_high,
        }
    }
}

/// A restricted mean survival time with its 95% interval, as [`Rmst`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RmstEstimate {
    pub tau: f64,
    pub estimate: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub std_error: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci_high: f64,
}

impl From<Rmst> for RmstEstimate {
    fn from(r: Rmst) -> Self {
        Self {
            tau: r.tau,
            estimate: r.estimate,
            std_error: r.std_error,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::reference;
    use super::*;
    use crate::stats::{KaplanMeier, Lifetime};

    /// The summary as `fundsim survival` built it before the manifest was typed.
    #[derive(Serialize)]
    struct GroupSummary {
        group: String,
        projects: u64,
        abandoned: u64,
        median: SurvivalQuantile,
        rmst: Option<Rmst>,
    }

    #[test]
    fn bytes_match_the_untyped_manifest() {
        let lifetime = |time: f64, event: bool| Lifetime { time, event };
        let early = KaplanMeier::fit(&[
            lifetime(3.0, true),
            lifetime(7.5, true),
            lifetime(12.0, false),
            lifetime(20.0, true),
        ])
        .unwrap();
        // All censored: no median, and an RMST with no spread.
        let censored = KaplanMeier::fit(&[lifetime(30.0, false), lifetime(40.0, false)]).unwrap();
        let tau = 11.0 / 3.0 + 10.0;
        let groups = [("early “a”", &early), ("censored", &censored)];
        let summaries: Vec<GroupSummary> = groups
            .iter()
            .map(|(name, km)| GroupSummary {
                group: (*name).into(),
                projects: km.subjects(),
                abandoned: km.rows().iter().map(|r| r.events).sum(),
                median: km.median(),
                rmst: km.rmst(tau),
            })
            .collect();
        let files = vec!["survival.csv", "summary.csv"];
        let bytes = b"project,duration_months,event\n";
        let old = serde_json::json!({
            "fundsim_version": crate::VERSION,
            "command": "survival",
            "data": "tests/fixtures/observed.csv",
            "data_sha256": crate::output::files::sha256_hex(bytes),
            "rmst_tau_months": tau,
            "files": files,
            "groups": summaries,
        });
        let new = SurvivalManifest {
            fundsim_version: crate::VERSION.into(),
            command: SurvivalManifest::COMMAND.into(),
            data: "tests/fixtures/observed.csv".into(),
            data_sha256: crate::output::files::sha256_hex(bytes),
            rmst_tau_months: tau,
            files: files.iter().map(|f| (*f).to_string()).collect(),
            groups: summaries
                .iter()
                .map(|s| SurvivalGroup {
                    group: s.group.clone(),
                    projects: s.projects,
                    abandoned: s.abandoned,
                    median: s.median.into(),
                    rmst: s.rmst.map(RmstEstimate::from),
                })
                .collect(),
        };
        let written = new.to_bytes().unwrap();
        assert_eq!(
            String::from_utf8(written.clone()).unwrap(),
            String::from_utf8(reference(&old)).unwrap()
        );
        let path = std::path::Path::new("manifest.json");
        let read = SurvivalManifest::parse(path, &written).unwrap();
        assert_eq!(read.groups.len(), 2);
        let (got, want) = (&read.groups[0], &new.groups[0]);
        assert_eq!((got.projects, got.abandoned), (4, 3));
        assert_eq!(got.median, want.median);
        // serde_json parses floats to within one unit in the last place.
        let (got, want) = (got.rmst.unwrap(), want.rmst.unwrap());
        assert!((got.ci_low - want.ci_low).abs() <= 1e-15 * want.ci_low);
        assert_eq!(got.estimate, want.estimate);
        assert_eq!(read.groups[1].median.estimate, None);
    }

    #[test]
    fn undefined_numbers_read_back_as_nan() {
        let manifest = SurvivalManifest {
            fundsim_version: "0".into(),
            command: SurvivalManifest::COMMAND.into(),
            data: "d.csv".into(),
            data_sha256: String::new(),
            rmst_tau_months: f64::INFINITY,
            files: vec![],
            groups: vec![SurvivalGroup {
                group: "all".into(),
                projects: 1,
                abandoned: 0,
                median: QuantileEstimate {
                    level: 0.5,
                    estimate: None,
                    ci_low: None,
                    ci_high: None,
                },
                rmst: Some(RmstEstimate {
                    tau: 5.0,
                    estimate: 5.0,
                    std_error: f64::NAN,
                    ci_low: f64::NAN,
                    ci_high: f64::NAN,
                }),
            }],
        };
        let bytes = manifest.to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"rmst_tau_months\": null"), "{text}");
        let read = SurvivalManifest::parse(std::path::Path::new("m"), &bytes).unwrap();
        assert!(read.rmst_tau_months.is_nan());
        assert!(read.groups[0].rmst.unwrap().std_error.is_nan());
    }
}
