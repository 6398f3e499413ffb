//! Folders read back: what `plot`, `report` and `merge` are drawn from.
//!
//! - [`run`]: a run folder (`manifest.json` and the five tables) as [`RunData`], with the
//!   derived quantities charts and the brief share (paired differences, cost ratios).
//! - [`sensitivity`]: a sensitivity folder (manifest, tables, chart SVGs) as
//!   [`SensitivityData`].
//! - Shard folders are read by [`super::shard::read`]; the manifests of sweep, survival
//!   and calibrate folders by their types in [`super::manifest`].
//!
//! The tables are the contract between the simulation and everything drawn from it:
//! columns are found by name, so extra columns are ignored, and empty cells are undefined
//! values. Every error names the file, and the line where there is one.

pub mod run;
pub mod sensitivity;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;

pub use super::files::{ReadError, read_file};

pub use run::{
    AllocationRow, Estimate, ProjectRow, RunData, RunInfo, SeriesPoint, SurvivalPoint, Value,
};
pub use sensitivity::SensitivityData;

/// The rows of a CSV file deserialised by column name (serde), in file order.
pub(crate) fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReadError> {
    let bytes = read_file(path)?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let mut rows = Vec::new();
    for record in reader.deserialize() {
        let row: T = record.map_err(|e| ReadError::Csv {
            path: path.display().to_string(),
            line: e.position().map_or(0, csv::Position::line),
            reason: match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => e.to_string(),
            },
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// One CSV row with cells found by column name.
pub(crate) struct Row<'a> {
    header: &'a HashMap<String, usize>,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    /// The cell of `column` as text.
    pub(crate) fn text(&self, column: &str) -> Result<String, String> {
        self.header
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map(str::to_string)
            .ok_or_else(|| format!("no column {column}"))
    }

    /// A number; an empty cell is undefined (NaN).
    pub(crate) fn number(&self, column: &str) -> Result<f64, String> {
        let text = self.text(column)?;
        if text.is_empty() {
            return Ok(f64::NAN);
        }
        text.parse()
            .map_err(|_| format!("{column} = {text:?} is not a number"))
    }
}

/// A CSV reader of `path`.
pub(crate) fn csv_reader(path: &Path) -> Result<csv::Reader<fs::File>, ReadError> {
    csv::Reader::from_path(path).map_err(|e| ReadError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// A malformed CSV record at `line` of `path`.
pub(crate) fn csv_error(path: &Path, line: u64, e: csv::Error) -> ReadError {
    ReadError::Csv {
        path: path.display().to_string(),
        line,
        reason: e.to_string(),
    }
}

/// Calls `each` with every row of `folder/file` (and its line number); an error it
/// returns becomes a [`ReadError::Csv`] at that line.
pub(crate) fn for_each_row(
    folder: &Path,
    file: &str,
    mut each: impl FnMut(u64, &Row<'_>) -> Result<(), String>,
) -> Result<(), ReadError> {
    let path = folder.join(file);
    let mut reader = csv_reader(&path)?;
    let header: HashMap<String, usize> = reader
        .headers()
        .map_err(|e| csv_error(&path, 1, e))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_string(), i))
        .collect();
    for (line, record) in reader.records().enumerate() {
        let line = line as u64 + 2;
        let record = record.map_err(|e| csv_error(&path, line, e))?;
        each(
            line,
            &Row {
                header: &header,
                record: &record,
            },
        )
        .map_err(|reason| ReadError::Csv {
            path: path.display().to_string(),
            line,
            reason,
        })?;
    }
    Ok(())
}
