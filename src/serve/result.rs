//! A checked request simulated with the engine, its run folder written as `fundsim run`
//! writes it (into a private temporary folder), and the API's answer read from that
//! folder: the summary rows are `summary.csv`'s, the curves `survival.csv`'s, the charts
//! the run folder's SVGs, drawn by the same chart code.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};

use super::Backend;
use super::error::ApiError;
use super::request::Checked;
use crate::engine::{self, ParameterWorlds, RecordSink, ReplicationRecord, RunConfig, RunResult};
use crate::output::read::RunData;
use crate::output::{Destination, StagedRun};
use crate::plot::{self, ChartKind};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;

/// Every replication's quantities, `[replication][strategy][quantity]`, for paired
/// differences (`/api/compare`).
#[derive(Debug, Default)]
pub struct Quantities(Mutex<Vec<Vec<Vec<Option<f64>>>>>);

impl RecordSink for Quantities {
    fn write(&self, records: Vec<ReplicationRecord>) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the quantities: the per-project outcomes are not needed and would grow
        // with the portfolio.
        kept.extend(records.into_iter().map(|record| record.quantities));
    }
}

impl Quantities {
    pub fn take(&self) -> Vec<Vec<Vec<Option<f64>>>> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A simulated request.
pub struct Simulated {
    pub checked: Checked,
    /// The scenario as the run records it.
    pub scenario: Scenario,
    pub result: RunResult,
    pub parameters: Option<Arc<ParameterWorlds>>,
}

/// What runs a request: the CLI's code, the worker threads of each simulation.
#[derive(Clone)]
pub struct Runner {
    pub backend: Arc<dyn Backend>,
    pub threads: usize,
}

impl Runner {
    /// Draws or reads the portfolio, checks the limits again with it, draws the
    /// parameter sets and runs the engine, reporting replications done to `progress` and
    /// stopping when `cancel` is set. With `records`, every replication's quantities go
    /// there.
    ///
    /// # Errors
    /// 400 for a bad portfolio CSV or parameter set, 413 above the limits, 499 when
    /// cancelled.
    pub fn simulate(
        &self,
        checked: Checked,
        cancel: &AtomicBool,
        progress: &(dyn Fn(u64) + Sync),
        records: Option<Arc<Quantities>>,
    ) -> Result<Simulated, ApiError> {
        let scenario = &checked.scenario;
        let portfolio = match &checked.portfolio_csv {
            None => crate::input::synthetic_portfolio(scenario)
                .map_err(|e| ApiError::bad_input(e.to_string()))?,
            Some((name, text)) => {
                let origin = match checked.origin.strip_prefix("built-in:") {
                    Some(_) => format!("built-in:{name}"),
                    None => name.clone(),
                };
                Portfolio::from_csv(text.as_bytes(), &origin, &scenario.model)
                    .map_err(|e| ApiError::bad_input(format!("invalid portfolio {e}")))?
            }
        };
        self.backend
            .check_limits(&checked.origin, scenario, Some(&portfolio), self.threads)
            .map_err(|m| ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, m))?;
        // A client's joint draws are read by the CLI's reader from a private temporary
        // folder holding only them, removed once the sets are drawn.
        let mut loaded = checked.loaded.clone();
        let joint_folder = match (&checked.joint_csv, loaded.origin.starts_with("built-in:")) {
            (Some((name, text)), false) => {
                let folder = tempfile::Builder::new()
                    .prefix("fundsim-serve-")
                    .tempdir()
                    .map_err(|e| {
                        ApiError::internal(format!("cannot stage the joint draws: {e}"))
                    })?;
                std::fs::write(folder.path().join(name), text).map_err(|e| {
                    ApiError::internal(format!("cannot stage the joint draws: {e}"))
                })?;
                loaded.base_dir = folder.path().to_path_buf();
                Some(folder)
            }
            _ => None,
        };
        let hide_folder = |message: String| match &joint_folder {
            Some(folder) => message.replace(&format!("{}/", folder.path().display()), ""),
            None => message,
        };
        let (scenario, parameters) = self
            .backend
            .parameter_worlds(
                loaded,
                checked.scenario.clone(),
                &portfolio,
                &checked.set_paths,
                checked.use_uncertainty,
                self.threads,
            )
            .map_err(|message| ApiError::bad_input(hide_folder(message)))?;
        drop(joint_folder);
        let config = RunConfig {
            parameter_worlds: parameters.clone(),
            records: records.map(|r| r as Arc<dyn RecordSink>),
            ..RunConfig::from_scenario(&scenario)
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| ApiError::internal(format!("cannot start worker threads: {e}")))?;
        let result = pool
            .install(|| engine::run(&scenario, portfolio, &config, progress, cancel))
            .map_err(|e| ApiError::new(client_closed(), e.to_string()))?;
        Ok(Simulated {
            checked,
            scenario,
            result,
            parameters,
        })
    }

    /// Writes the run folder of `simulated` as `fundsim run` does (with `charts`, its
    /// charts and brief too) into a new private temporary folder.
    ///
    /// # Errors
    /// 500 when the folder cannot be written.
    pub fn write_folder(&self, simulated: &Simulated, charts: bool) -> Result<Folder, ApiError> {
        let failed = |e: &dyn std::fmt::Display| {
            ApiError::internal(format!("cannot write the run folder: {e}"))
        };
        let temporary = tempfile::Builder::new()
            .prefix("fundsim-serve-")
            .tempdir()
            .map_err(|e| failed(&e))?;
        let staged = StagedRun::prepare(Destination::Explicit {
            path: temporary.path().join("run"),
            force: false,
        })
        .map_err(|e| failed(&e))?;
        let manifest = self
            .backend
            .write_run_folder(
                &staged,
                &simulated.checked.origin,
                &simulated.scenario,
                &simulated.result,
                simulated.parameters.as_deref(),
                charts,
            )
            .map_err(|e| failed(&e))?;
        let path = staged.finish(&manifest).map_err(|e| failed(&e))?;
        Ok(Folder {
            _temporary: temporary,
            path,
        })
    }
}

/// The status of an answer nobody reads: the client closed the connection.
fn client_closed() -> axum::http::StatusCode {
    axum::http::StatusCode::from_u16(499).unwrap_or(axum::http::StatusCode::BAD_REQUEST)
}

/// A run folder in a private temporary folder, removed when dropped.
pub struct Folder {
    _temporary: tempfile::TempDir,
    pub path: PathBuf,
}

impl Folder {
    /// A file of the folder.
    ///
    /// # Errors
    /// 500 when it cannot be read.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, ApiError> {
        std::fs::read(self.path.join(name))
            .map_err(|e| ApiError::internal(format!("cannot read {name} of the run: {e}")))
    }
}

/// The answer of `/api/run`: the run's scenario and numbers, read from its folder.
///
/// # Errors
/// 500 when a table cannot be read or a chart not drawn.
pub fn answer(simulated: &Simulated, folder: &Folder) -> Result<Value, ApiError> {
    let checked = &simulated.checked;
    let scenario = &simulated.scenario;
    let strategies: Vec<Value> = scenario
        .strategies
        .iter()
        .map(|s| json!({"name": s.name, "rule": s.rule.name()}))
        .collect();
    let data = RunData::load(&folder.path)
        .map_err(|e| ApiError::internal(format!("cannot read the run folder: {e}")))?;
    let chart = |kind| {
        plot::render_svg(kind, &data)
            .map_err(|e| ApiError::internal(format!("cannot draw the {kind:?} chart: {e}")))
    };
    Ok(json!({
        "scenario_toml": checked.scenario_toml,
        "portfolio_csv": checked.portfolio_csv.as_ref().map(|(_, text)| text),
        "portfolio_file": checked.portfolio_csv.as_ref().map(|(name, _)| name),
        "joint_csv": checked.joint_csv.as_ref().map(|(_, text)| text),
        "joint_file": checked.joint_csv.as_ref().map(|(name, _)| name),
        "scenario_name": scenario.name,
        "replications": scenario.run.replications,
        "seed": scenario.run.seed,
        "strategies": strategies,
        "summary": summary_rows(&folder.read("summary.csv")?)?,
        "survival": survival_curves(&folder.read("survival.csv")?)?,
        "charts": {
            "survival": chart(ChartKind::Survival)?,
            "cost_effectiveness": chart(ChartKind::CostEffectiveness)?,
        },
        "uncertainty": uncertainty(simulated, &folder.path)?,
    }))
}

/// A CSV table's header and rows.
fn table(bytes: &[u8], name: &str) -> Result<(Vec<String>, Vec<Vec<String>>), ApiError> {
    let failed = |e: csv::Error| ApiError::internal(format!("cannot read {name}: {e}"));
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(failed)?
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|row| row.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    Ok((header, rows))
}

/// A table's number as JSON: whole numbers (months, counts) as integers, an empty cell
/// (not finite) as null.
fn number(cell: &str) -> Value {
    if let Ok(whole) = cell.parse::<i64>() {
        return Value::from(whole);
    }
    cell.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map_or(Value::Null, Value::from)
}

/// The rows of `summary.csv`, numbers as numbers.
fn summary_rows(bytes: &[u8]) -> Result<Vec<Value>, ApiError> {
    let (header, rows) = table(bytes, "summary.csv")?;
    Ok(rows
        .iter()
        .map(|row| {
            let object = header
                .iter()
                .zip(row)
                .map(|(key, cell)| {
                    let value = match key.as_str() {
                        "strategy" | "metric" => Value::from(cell.as_str()),
                        _ => number(cell),
                    };
                    (key.clone(), value)
                })
                .collect();
            Value::Object(object)
        })
        .collect())
}

/// Per strategy, the survival curve of `survival.csv` (the share not yet abandoned, its
/// interval and the projects at risk, pooled over replications).
fn survival_curves(bytes: &[u8]) -> Result<Vec<Value>, ApiError> {
    let (header, rows) = table(bytes, "survival.csv")?;
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ApiError::internal(format!("survival.csv has no column {name}")))
    };
    let columns = [
        ("months", column("month")?),
        ("survival", column("surviving")?),
        ("ci_low", column("surviving_ci_low")?),
        ("ci_high", column("surviving_ci_high")?),
        ("at_risk", column("at_risk")?),
    ];
    let mut curves: Vec<(String, Vec<Vec<Value>>)> = Vec::new();
    for row in &rows {
        let strategy = &row[0];
        if curves.last().is_none_or(|(name, _)| name != strategy) {
            curves.push((strategy.clone(), vec![Vec::new(); columns.len()]));
        }
        let Some((_, series)) = curves.last_mut() else {
            continue;
        };
        for (values, (_, index)) in series.iter_mut().zip(&columns) {
            values.push(number(&row[*index]));
        }
    }
    Ok(curves
        .into_iter()
        .map(|(strategy, series)| {
            let mut object = serde_json::Map::new();
            object.insert("strategy".into(), Value::from(strategy));
            for ((key, _), values) in columns.iter().zip(series) {
                object.insert((*key).into(), Value::Array(values));
            }
            Value::Object(object)
        })
        .collect())
}

/// The parameter range and probability of being best per strategy and metric, from the
/// run folder's `uncertainty.csv` and `decision.csv`; null for a fixed-parameter run.
fn uncertainty(simulated: &Simulated, folder: &Path) -> Result<Value, ApiError> {
    let Some(worlds) = &simulated.parameters else {
        return Ok(Value::Null);
    };
    let read = |name: &str| {
        std::fs::read(folder.join(name))
            .map_err(|e| ApiError::internal(format!("cannot read {name} of the run: {e}")))
    };
    let (header, rows) = table(&read("uncertainty.csv")?, "uncertainty.csv")?;
    let (decision_header, decisions) = table(&read("decision.csv")?, "decision.csv")?;
    let at = |header: &[String], name: &str| header.iter().position(|h| h == name);
    let (Some(strategy), Some(metric), Some(p05), Some(p50), Some(p95)) = (
        at(&header, "strategy"),
        at(&header, "metric"),
        at(&header, "p05"),
        at(&header, "p50"),
        at(&header, "p95"),
    ) else {
        return Err(ApiError::internal("uncertainty.csv lacks a column"));
    };
    let (Some(d_metric), Some(d_strategy), Some(p_best)) = (
        at(&decision_header, "metric"),
        at(&decision_header, "strategy"),
        at(&decision_header, "p_best"),
    ) else {
        return Err(ApiError::internal("decision.csv lacks a column"));
    };
    let rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            let best = decisions
                .iter()
                .find(|d| d[d_metric] == row[metric] && d[d_strategy] == row[strategy])
                .map_or(Value::Null, |d| number(&d[p_best]));
            json!({
                "strategy": row[strategy],
                "metric": row[metric],
                "p05": number(&row[p05]),
                "p50": number(&row[p50]),
                "p95": number(&row[p95]),
                "probability_best": best,
            })
        })
        .collect();
    Ok(json!({"parameter_sets": worlds.sets.len(), "rows": rows}))
}
