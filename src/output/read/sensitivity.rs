//! A sensitivity folder read back: `manifest.json` ([`SensitivityManifest`]), the CSV
//! tables (`outputs.csv`, `indices.csv`, `convergence.csv`, `parameters.csv`,
//! `design.csv`) and the charts' SVGs, as plain structs.
//!
//! The report is drawn from these only, so `fundsim report` on a sensitivity folder gives
//! exactly what `fundsim sensitivity` wrote. Columns are found by name; empty cells are
//! undefined values (NaN).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

pub use crate::output::manifest::{MethodName, SensitivityManifest};

use super::table::{csv_error, csv_reader, for_each_row};
use super::{ReadError, read_file};
use crate::output::manifest::{self, FolderManifest};
use crate::stats::Quantity;

/// One analysed output: a metric for a strategy, or a strategy's paired difference to
/// another (`versus`), with its Monte Carlo noise over the design.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRow {
    pub metric: String,
    pub strategy: String,
    /// Empty for a level.
    pub versus: String,
    /// Mean of the design-point means.
    pub mean: f64,
    pub variance: f64,
    /// Share of the variance that Monte Carlo noise could explain (NaN: constant).
    pub noise_share: f64,
}

impl OutputRow {
    /// Whether the metric is one of a time-resolved family (`survival_year_N`, …).
    pub fn time_resolved(&self) -> bool {
        quantity(&self.metric).is_some_and(|q| q.is_time_resolved())
    }

    /// A short name: `survival_at_horizon of equal`, or `… of equal − none`.
    pub fn name(&self) -> String {
        format!("{} of {}", self.metric, self.who())
    }

    /// The strategy, or the comparison `strategy − versus`.
    pub fn who(&self) -> String {
        if self.versus.is_empty() {
            self.strategy.clone()
        } else {
            format!("{} − {}", self.strategy, self.versus)
        }
    }
}

/// The quantity a metric name stands for (any year is accepted).
pub fn quantity(metric: &str) -> Option<Quantity> {
    Quantity::parse_list(metric, u32::MAX)
        .ok()
        .and_then(|list| (list.len() == 1).then(|| list[0]))
}

/// A value with its 95% bootstrap interval (NaN where undefined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    const UNDEFINED: Self = Self {
        value: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
    };
}

/// The indices of one output, one entry per parameter (in parameter order).
#[derive(Debug, Clone, PartialEq)]
pub struct Indices {
    /// Morris μ* or Sobol total index: the measure parameters are ranked by.
    pub main: Vec<Interval>,
    /// Morris σ or Sobol first-order index.
    pub second: Vec<Interval>,
}

impl Indices {
    fn empty(k: usize) -> Self {
        Self {
            main: vec![Interval::UNDEFINED; k],
            second: vec![Interval::UNDEFINED; k],
        }
    }

    /// Parameters from most to least important (undefined measures last, ties in
    /// parameter order).
    pub fn ranking(&self) -> Vec<usize> {
        let key = |p: usize| {
            let v = self.main[p].value;
            if v.is_nan() { f64::NEG_INFINITY } else { v }
        };
        let mut order: Vec<usize> = (0..self.main.len()).collect();
        order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
        order
    }
}

/// Sobol indices at one sample size of the convergence table.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvergenceStep {
    pub samples: usize,
    pub indices: Indices,
}

/// Everything the report of a sensitivity folder is drawn from.
#[derive(Debug, Clone)]
pub struct SensitivityData {
    pub info: SensitivityManifest,
    pub outputs: Vec<OutputRow>,
    /// `indices[o]`: the indices of output o.
    pub indices: Vec<Indices>,
    /// `convergence[o]`: Sobol indices by sample size, smallest first (empty for Morris).
    pub convergence: Vec<Vec<ConvergenceStep>>,
    /// Parameter values of each design point (`design[point][parameter]`).
    pub design_values: Vec<Vec<f64>>,
    /// Output means of each design point (`design_outputs[point][output]`).
    pub design_outputs: Vec<Vec<f64>>,
    /// Per parameter: whether the field is a whole number (its values are rounded).
    pub whole_number: Vec<bool>,
    /// The charts' SVG documents by file stem (`morris-survival_at_horizon`).
    pub charts: HashMap<String, String>,
}

impl SensitivityData {
    /// Reads the folder's tables and charts, with the manifest given as bytes (so the
    /// command that writes the folder can render the report before the manifest is in
    /// place).
    ///
    /// # Errors
    /// [`ReadError`] naming the file, line and problem.
    pub fn load_with_manifest(folder: &Path, manifest: &[u8]) -> Result<Self, ReadError> {
        let info = SensitivityManifest::parse(&folder.join(manifest::FILE), manifest)?;
        let k = info.parameters.len();
        let outputs = read_outputs(folder)?;
        let position: HashMap<(String, String, String), usize> = outputs
            .iter()
            .enumerate()
            .map(|(o, r)| ((r.metric.clone(), r.strategy.clone(), r.versus.clone()), o))
            .collect();
        let parameter: HashMap<&str, usize> = info
            .parameters
            .iter()
            .enumerate()
            .map(|(p, x)| (x.path.as_str(), p))
            .collect();
        let mut indices = vec![Indices::empty(k); outputs.len()];
        let mut steps: Vec<Vec<ConvergenceStep>> = vec![Vec::new(); outputs.len()];
        let (main_name, second_name) = match info.method {
            MethodName::Morris => ("mu_star", "sigma"),
            MethodName::Sobol => ("total", "first"),
        };
        let mut tables = vec![("indices.csv", false)];
        if info.method == MethodName::Sobol {
            tables.push(("convergence.csv", true));
        }
        for (file, by_size) in tables {
            for_each_row(folder, file, |_, row| {
                let key = (
                    row.text("metric")?,
                    row.text("strategy")?,
                    row.text("versus")?,
                );
                let o = *position
                    .get(&key)
                    .ok_or_else(|| format!("output {key:?} is not in outputs.csv"))?;
                let path = row.text("path")?;
                let p = *parameter
                    .get(path.as_str())
                    .ok_or_else(|| format!("parameter {path} is not in the manifest"))?;
                let interval = Interval {
                    value: row.number("value")?,
                    low: row.number("ci_low")?,
                    high: row.number("ci_high")?,
                };
                let target = if by_size {
                    let samples: usize = row
                        .text("samples")?
                        .parse()
                        .map_err(|_| "samples is not a whole number".to_string())?;
                    let list = &mut steps[o];
                    if list.last().is_none_or(|s| s.samples != samples) {
                        list.push(ConvergenceStep {
                            samples,
                            indices: Indices::empty(k),
                        });
                    }
                    &mut list.last_mut().expect("just pushed").indices
                } else {
                    &mut indices[o]
                };
                let index = row.text("index")?;
                if index == main_name {
                    target.main[p] = interval;
                } else if index == second_name {
                    target.second[p] = interval;
                }
                Ok(())
            })?;
        }
        let mut whole_number = vec![false; k];
        for_each_row(folder, "parameters.csv", |_, row| {
            let path = row.text("path")?;
            if let Some(&p) = parameter.get(path.as_str()) {
                whole_number[p] = row.text("whole_number")? == "true";
            }
            Ok(())
        })?;
        let mut design_values = Vec::new();
        let mut design_outputs = Vec::new();
        let design_path = folder.join("design.csv");
        let mut reader = csv_reader(&design_path)?;
        for (line, record) in reader.records().enumerate() {
            let record = record.map_err(|e| csv_error(&design_path, line as u64 + 2, e))?;
            let cells: Vec<f64> = record
                .iter()
                .skip(2)
                .map(|c| c.parse::<f64>().unwrap_or(f64::NAN))
                .collect();
            if cells.len() != k + outputs.len() {
                return Err(ReadError::Csv {
                    path: design_path.display().to_string(),
                    line: line as u64 + 2,
                    reason: format!(
                        "{} values, expected {k} parameters and {} outputs",
                        cells.len(),
                        outputs.len()
                    ),
                });
            }
            design_values.push(cells[..k].to_vec());
            design_outputs.push(cells[k..].to_vec());
        }
        let mut charts = HashMap::new();
        for file in &info.files {
            if let Some(stem) = file
                .strip_prefix("charts/")
                .and_then(|f| f.strip_suffix(".svg"))
            {
                let path = folder.join(file);
                let svg = fs::read_to_string(&path).map_err(|e| ReadError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                charts.insert(stem.to_string(), svg);
            }
        }
        Ok(Self {
            info,
            outputs,
            indices,
            convergence: steps,
            design_values,
            design_outputs,
            whole_number,
            charts,
        })
    }

    /// Reads a folder with its own `manifest.json`.
    ///
    /// # Errors
    /// As [`SensitivityData::load_with_manifest`].
    pub fn load(folder: &Path) -> Result<Self, ReadError> {
        let manifest = read_file(&folder.join(manifest::FILE))?;
        Self::load_with_manifest(folder, &manifest)
    }

    /// The colour index of a strategy (its position in the scenario).
    pub fn colour(&self, strategy: &str) -> usize {
        self.info
            .strategies
            .iter()
            .position(|s| s == strategy)
            .unwrap_or(0)
    }
}

fn read_outputs(folder: &Path) -> Result<Vec<OutputRow>, ReadError> {
    let mut outputs = Vec::new();
    for_each_row(folder, "outputs.csv", |_, row| {
        outputs.push(OutputRow {
            metric: row.text("metric")?,
            strategy: row.text("strategy")?,
            versus: row.text("versus")?,
            mean: row.number("mean")?,
            variance: row.number("variance")?,
            noise_share: row.number("noise_share")?,
        });
        Ok(())
    })?;
    Ok(outputs)
}
