//! Reading a folder's CSV tables: whole files deserialised by column name
//! ([`read_csv`]), or row by row with cells found by column name ([`for_each_row`]),
//! every error naming the file and the line.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::output::files::{ReadError, read_file};

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
