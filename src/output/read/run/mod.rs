//! A run folder read back: `manifest.json` and the CSV tables, as plain structs
//! (`ranking.csv`, and the uncertainty tables, only when present).
//!
//! Charts and the brief consume [`RunData`] only, so `fundsim plot` and `fundsim report`
//! on a folder give exactly what `fundsim run` wrote. Columns are found by name, so extra
//! columns and extra metrics are ignored; empty cells are undefined values (`None`).
//! What is derived from the tables (gains over the baseline, cost ratios) is in
//! `derived.rs`.

mod derived;
mod estimate;
mod ranking;
mod ranking_table;
mod uncertainty;

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

pub use estimate::{Estimate, Value};
pub use ranking_table::RankingRow;
pub use uncertainty::{ChangeRow, DecisionRow, SpreadRow, UncertaintyData};

use super::{ReadError, read_file};
use crate::output::read::table::read_csv;

/// A row of `summary.csv`. (No `#[serde(flatten)]`: the csv crate cannot read empty
/// cells as `None` through it.)
#[derive(Debug, Clone, Deserialize)]
struct SummaryRow {
    strategy: String,
    metric: String,
    mean: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    mcse: Option<f64>,
}

/// One month of a strategy's survival curves (shares of the portfolio, 0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalPoint {
    pub month: u32,
    pub surviving: f64,
    pub surviving_ci_low: Option<f64>,
    pub surviving_ci_high: Option<f64>,
    pub alive: f64,
    pub alive_ci_low: Option<f64>,
    pub alive_ci_high: Option<f64>,
    pub weighted_surviving: f64,
    pub weighted_surviving_ci_low: Option<f64>,
    pub weighted_surviving_ci_high: Option<f64>,
    /// Projects not yet abandoned at the start of the month, summed over replications.
    pub at_risk: f64,
    /// First abandonments during the month, summed over replications.
    pub events: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct SurvivalRow {
    strategy: String,
    month: u32,
    surviving: f64,
    surviving_ci_low: Option<f64>,
    surviving_ci_high: Option<f64>,
    alive: f64,
    alive_ci_low: Option<f64>,
    alive_ci_high: Option<f64>,
    weighted_surviving: f64,
    weighted_surviving_ci_low: Option<f64>,
    weighted_surviving_ci_high: Option<f64>,
    at_risk: f64,
    events: f64,
}

impl SurvivalRow {
    fn point(&self) -> SurvivalPoint {
        SurvivalPoint {
            month: self.month,
            surviving: self.surviving,
            surviving_ci_low: self.surviving_ci_low,
            surviving_ci_high: self.surviving_ci_high,
            alive: self.alive,
            alive_ci_low: self.alive_ci_low,
            alive_ci_high: self.alive_ci_high,
            weighted_surviving: self.weighted_surviving,
            weighted_surviving_ci_low: self.weighted_surviving_ci_low,
            weighted_surviving_ci_high: self.weighted_surviving_ci_high,
            at_risk: self.at_risk,
            events: self.events,
        }
    }
}

/// One month of a series summarised over replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    pub month: u32,
    pub mean: Option<f64>,
    pub p05: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
struct SeriesRow {
    strategy: String,
    metric: String,
    month: u32,
    mean: Option<f64>,
    p05: Option<f64>,
    p50: Option<f64>,
    p95: Option<f64>,
}

/// A row of `projects.csv`: one project under one strategy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProjectRow {
    pub strategy: String,
    pub project: String,
    pub dependents: Option<f64>,
    pub maintainers_start: Option<f64>,
    pub p_abandoned: Option<f64>,
    pub mean_received_eur: Option<f64>,
    pub mean_maintainers_end: Option<f64>,
}

/// A row of `allocations.csv`: the mean amount granted to a project in a call (EUR).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AllocationRow {
    pub strategy: String,
    pub call: u32,
    pub month: u32,
    pub project: String,
    pub mean_amount_eur: Option<f64>,
}

/// What `manifest.json` says about the run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub fundsim_version: String,
    pub seed: u64,
    pub replications: u64,
    pub scenario_name: String,
    pub scenario_description: String,
    pub scenario_origin: String,
    pub scenario_hash: String,
    /// Months from the first call to the end of the programme.
    pub programme_months: u32,
    /// Months simulated.
    pub horizon_months: u32,
    /// The whole scenario as written in the manifest (for the brief's assumptions).
    pub scenario: serde_json::Value,
}

/// Everything a chart or the brief needs, read from a run folder.
#[derive(Debug, Clone)]
pub struct RunData {
    pub info: RunInfo,
    /// Strategy names in scenario order; the first is the baseline. Strategies found
    /// only in the tables are appended in the order met.
    pub strategies: Vec<String>,
    summary: HashMap<(String, String), Estimate>,
    /// Metric names of `summary.csv`, in file order.
    pub metrics: Vec<String>,
    /// Per strategy (same order as `strategies`), the survival curve by month.
    pub survival: Vec<Vec<SurvivalPoint>>,
    /// Series name → per strategy, points by month.
    series: HashMap<String, Vec<Vec<SeriesPoint>>>,
    pub projects: Vec<ProjectRow>,
    pub allocations: Vec<AllocationRow>,
    /// The spread across parameter sets and the decision tables of a run with
    /// uncertainty; `None` for a fixed-parameter run.
    pub uncertainty: Option<UncertaintyData>,
    /// `ranking.csv`: every summary metric ranked with its verdict; `None` for a folder
    /// written before the file existed (see [`RunData::judgement`]).
    pub ranking: Option<Vec<RankingRow>>,
}

impl RunData {
    /// Reads a run folder written by `fundsim run`.
    ///
    /// # Errors
    /// [`ReadError`] naming the file, line and problem when a file is missing or
    /// malformed.
    pub fn load(folder: &Path) -> Result<Self, ReadError> {
        let path = folder.join("manifest.json");
        let bytes = read_file(&path)?;
        Self::load_with_manifest(folder, &bytes)
    }

    /// Reads the tables of `folder` with a manifest given as bytes (used by `fundsim run`,
    /// which writes the manifest last).
    ///
    /// # Errors
    /// As [`RunData::load`].
    pub fn load_with_manifest(folder: &Path, manifest: &[u8]) -> Result<Self, ReadError> {
        let manifest_path = folder.join("manifest.json");
        let info = parse_manifest(&manifest_path, manifest)?;
        let mut strategies: Vec<String> = info
            .scenario
            .pointer("/strategies")
            .and_then(serde_json::Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|s| s.get("name")?.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();

        let summary_rows: Vec<SummaryRow> = read_csv(&folder.join("summary.csv"))?;
        let survival_rows: Vec<SurvivalRow> = read_csv(&folder.join("survival.csv"))?;
        let series_rows: Vec<SeriesRow> = read_csv(&folder.join("timeseries.csv"))?;
        let projects: Vec<ProjectRow> = read_csv(&folder.join("projects.csv"))?;
        let allocations: Vec<AllocationRow> = read_csv(&folder.join("allocations.csv"))?;
        let uncertainty = UncertaintyData::load(folder)?;
        let ranking = ranking_table::load(folder)?;

        let index_of = |name: &str, strategies: &mut Vec<String>| -> usize {
            strategies
                .iter()
                .position(|s| s == name)
                .unwrap_or_else(|| {
                    strategies.push(name.to_string());
                    strategies.len() - 1
                })
        };
        let mut metrics = Vec::new();
        let mut summary = HashMap::new();
        for row in summary_rows {
            index_of(&row.strategy, &mut strategies);
            if !metrics.contains(&row.metric) {
                metrics.push(row.metric.clone());
            }
            let estimate = Estimate {
                mean: row.mean,
                ci_low: row.ci_low,
                ci_high: row.ci_high,
                mcse: row.mcse,
            };
            summary.insert((row.strategy, row.metric), estimate);
        }
        let mut survival: Vec<Vec<SurvivalPoint>> = Vec::new();
        for row in survival_rows {
            let i = index_of(&row.strategy, &mut strategies);
            if survival.len() <= i {
                survival.resize(i + 1, Vec::new());
            }
            survival[i].push(row.point());
        }
        let mut series: HashMap<String, Vec<Vec<SeriesPoint>>> = HashMap::new();
        for row in series_rows {
            let i = index_of(&row.strategy, &mut strategies);
            let per_strategy = series.entry(row.metric).or_default();
            if per_strategy.len() <= i {
                per_strategy.resize(i + 1, Vec::new());
            }
            per_strategy[i].push(SeriesPoint {
                month: row.month,
                mean: row.mean,
                p05: row.p05,
                p50: row.p50,
                p95: row.p95,
            });
        }
        for row in projects.iter().map(|r| &r.strategy) {
            index_of(row, &mut strategies);
        }
        for row in allocations.iter().map(|r| &r.strategy) {
            index_of(row, &mut strategies);
        }
        let n = strategies.len();
        survival.resize(n, Vec::new());
        for curves in survival.iter_mut() {
            curves.sort_by_key(|p| p.month);
        }
        for per_strategy in series.values_mut() {
            per_strategy.resize(n, Vec::new());
            for points in per_strategy.iter_mut() {
                points.sort_by_key(|p| p.month);
            }
        }
        Ok(Self {
            info,
            strategies,
            summary,
            metrics,
            survival,
            series,
            projects,
            allocations,
            uncertainty,
            ranking,
        })
    }

    /// The estimate of `metric` for `strategy` in `summary.csv`, when present.
    pub fn metric(&self, strategy: &str, metric: &str) -> Option<&Estimate> {
        self.summary
            .get(&(strategy.to_string(), metric.to_string()))
    }

    /// The mean of `metric` for `strategy`, when present and defined.
    pub fn mean(&self, strategy: &str, metric: &str) -> Option<f64> {
        self.metric(strategy, metric)?.mean
    }

    /// Per strategy, the points of a `timeseries.csv` series (empty when absent).
    pub fn series(&self, name: &str) -> Option<&[Vec<SeriesPoint>]> {
        self.series.get(name).map(Vec::as_slice)
    }

    /// The baseline every paired comparison is made against: the first strategy.
    pub fn baseline(&self) -> Option<&str> {
        self.strategies.first().map(String::as_str)
    }

    /// Projects in the portfolio (distinct names in `projects.csv`).
    pub fn project_count(&self) -> usize {
        let mut names: Vec<&str> = self.projects.iter().map(|p| p.project.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }
    /// The survival point of strategy `index` at `month`, when simulated.
    pub fn survival_at(&self, index: usize, month: u32) -> Option<&SurvivalPoint> {
        self.survival
            .get(index)?
            .iter()
            .find(|point| point.month == month)
    }

    /// Per project, the mean money received under `strategy` (EUR), in file order.
    pub fn received(&self, strategy: &str) -> Vec<(&str, f64)> {
        self.projects
            .iter()
            .filter(|p| p.strategy == strategy)
            .map(|p| (p.project.as_str(), p.mean_received_eur.unwrap_or(0.0)))
            .collect()
    }
}

fn parse_manifest(path: &Path, bytes: &[u8]) -> Result<RunInfo, ReadError> {
    let error = |reason: String| ReadError::Manifest {
        path: path.display().to_string(),
        reason,
    };
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| error(format!("not valid JSON: {e}")))?;
    let text = |pointer: &str| {
        json.pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let number = |pointer: &str| {
        json.pointer(pointer)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| error(format!("missing or not a whole number: `{pointer}`")))
    };
    let months = |pointer: &str| -> Result<u32, ReadError> {
        u32::try_from(number(pointer)?).map_err(|_| error(format!("`{pointer}` is too large")))
    };
    Ok(RunInfo {
        fundsim_version: text("/fundsim_version"),
        seed: number("/seed")?,
        replications: number("/replications")?.max(1),
        scenario_name: text("/scenario/name"),
        scenario_description: text("/scenario/description"),
        scenario_origin: text("/scenario_origin"),
        scenario_hash: text("/scenario_hash"),
        programme_months: months("/scenario/fund/programme_months")?,
        horizon_months: months("/scenario/fund/horizon_months")?,
        scenario: json.get("scenario").cloned().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::RunData;

    const MANIFEST: &str = r#"{"fundsim_version": "9.9.9", "seed": 7, "replications": 4,
        "scenario": {"name": "tiny", "fund": {"programme_months": 12, "horizon_months": 24},
        "strategies": [{"name": "none"}, {"name": "deep"}]}}"#;

    fn folder(summary: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
        write("manifest.json", MANIFEST);
        write("summary.csv", summary);
        write(
            "survival.csv",
            "strategy,month,surviving,surviving_ci_low,surviving_ci_high,alive,alive_ci_low,alive_ci_high,weighted_surviving,weighted_surviving_ci_low,weighted_surviving_ci_high,at_risk,events,extra\n\
             deep,1,0.9,0.8,1,0.9,,,0.95,,,36,4,x\n\
             deep,0,1,1,1,1,1,1,1,1,1,40,0,x\n\
             none,0,1,1,1,1,1,1,1,1,1,40,0,x\n",
        );
        write(
            "timeseries.csv",
            "strategy,month,metric,mean,p05,p50,p95\nnone,0,maintainers_per_project,2,1,2,3\n",
        );
        write(
            "projects.csv",
            "strategy,project,dependents,maintainers_start,p_abandoned,mean_received_eur,mean_maintainers_end\n\
             none,a,10,1,0.5,0,1\nnone,b,20,2,0.25,0,2\ndeep,a,10,1,0.25,1000,1\ndeep,b,20,2,0,,2\n",
        );
        write(
            "allocations.csv",
            "strategy,call,month,project,mean_amount_eur\ndeep,0,0,a,1000\n",
        );
        dir
    }

    #[test]
    fn reads_tables_with_extra_columns_empty_cells_and_unknown_metrics() {
        let dir = folder(
            "strategy,metric,mean,ci_low,ci_high,mcse\n\
             none,abandonments,1,0.5,1.5,0.25\n\
             deep,abandonments,0.5,0.25,0.75,0.1\n\
             deep,total_paid_eur,1000,900,1100,50\n\
             deep,a_future_metric,3,,,\n\
             extra,abandonments,2,1,3,0.5\n",
        );
        let data = RunData::load(dir.path()).unwrap();
        assert_eq!(data.info.fundsim_version, "9.9.9");
        assert_eq!(data.info.replications, 4);
        assert_eq!(data.strategies, ["none", "deep", "extra"]);
        assert_eq!(data.baseline(), Some("none"));
        assert_eq!(data.project_count(), 2);
        assert_eq!(data.mean("deep", "a_future_metric"), Some(3.0));
        assert_eq!(data.metric("deep", "a_future_metric").unwrap().ci_low, None);
        // Sorted by month whatever the file order; empty cells are undefined.
        assert_eq!(data.survival[1][0].month, 0);
        assert_eq!(data.survival[1][1].alive_ci_low, None);
        assert!(data.survival[2].is_empty());
        assert_eq!(data.received("deep"), [("a", 1000.0), ("b", 0.0)]);
        // No paired metric in this folder: the difference of means, unpaired.
        let averted = data.abandonments_averted("deep").unwrap();
        assert!(!averted.paired);
        assert!((averted.mean - 0.5).abs() < 1e-12);
        assert!(data.abandonments_averted("none").is_none());
        let cost = data.cost_per_abandonment_averted("deep").unwrap();
        assert!((cost.mean - 2000.0).abs() < 1e-9);
        let after = data.survival_after_programme(1, 12);
        assert!(after.is_none(), "month 24 is not in this survival table");
    }

    #[test]
    fn paired_metrics_are_preferred_when_present() {
        let dir = folder(
            "strategy,metric,mean,ci_low,ci_high,mcse\n\
             none,abandonments_averted,,,,\n\
             deep,abandonments,0.5,0.25,0.75,0.1\n\
             deep,abandonments_averted,0.75,0.7,0.8,0.02\n\
             deep,cost_per_abandonment_averted_eur,1500,1400,1600,50\n\
             deep,survival_12m_after_programme,0.5,0.4,0.6,0.05\n",
        );
        let data = RunData::load(dir.path()).unwrap();
        let averted = data.abandonments_averted("deep").unwrap();
        assert!(averted.paired);
        assert_eq!(averted.interval(), Some((0.7, 0.8)));
        assert_eq!(
            data.cost_per_abandonment_averted("deep").unwrap().mean,
            1500.0
        );
        assert_eq!(data.survival_after_programme(1, 12).unwrap().mean, 0.5);
        assert!((data.survival_gained_points("deep").unwrap().mean - 37.5).abs() < 1e-9);
    }

    #[test]
    fn the_verdict_comes_from_ranking_csv_or_else_from_the_summary() {
        use crate::analysis::verdict::Verdict;
        let dir = folder(
            "strategy,metric,mean,ci_low,ci_high,mcse\n\
             none,abandonments,15,14,16,0.5\n\
             deep,abandonments,9,8,10,0.5\n",
        );
        let data = RunData::load(dir.path()).unwrap();
        assert!(data.ranking.is_none());
        // An older folder: the same logic on summary.csv, unpaired; fewer is better.
        let judgement = data.judgement("abandonments").unwrap();
        assert_eq!(judgement.rows[0].strategy, "deep");
        assert_eq!(judgement.rows[1].verdict, Verdict::ClearlyBehind);
        assert!(!judgement.paired);
        fs::write(
            dir.path().join("ranking.csv"),
            "metric,rank,strategy,mean,difference_to_best,ci_low,ci_high,practical_threshold,verdict,paired\n\
             abandonments,2,none,15,6,5.5,6.5,7,practically equal,true\n\
             abandonments,1,deep,9,0,0,0,7,best,true\n",
        )
        .unwrap();
        let data = RunData::load(dir.path()).unwrap();
        let judgement = data.judgement("abandonments").unwrap();
        // The file's verdicts, in rank order, are what the brief says.
        assert_eq!(judgement.rows[0].strategy, "deep");
        assert_eq!(
            judgement.rows[1].verdict,
            Verdict::BehindByLessThanThreshold
        );
        assert_eq!(judgement.threshold.value, 7.0);
        assert!(judgement.paired);
        assert!(judgement.sentence().contains("less than 7 projects"));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = folder("strategy,metric,mean,ci_low,ci_high,mcse\nnone,abandonments,lots,,,\n");
        let error = RunData::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("summary.csv"), "{error}");
        assert!(error.contains("line 2"), "{error}");
        fs::remove_file(dir.path().join("projects.csv")).unwrap();
        fs::write(
            dir.path().join("summary.csv"),
            "strategy,metric,mean,ci_low,ci_high,mcse\n",
        )
        .unwrap();
        let error = RunData::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("projects.csv"), "{error}");
        fs::write(dir.path().join("manifest.json"), "{\"seed\": 1}").unwrap();
        let error = RunData::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("replications"), "{error}");
    }
}
