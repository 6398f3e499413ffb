//! `ranking.csv` as rows (the verdicts are read through `RunData::judgement`, in
//! `ranking.rs`).

use std::path::Path;

use serde::Deserialize;

use crate::output::files::ReadError;
use crate::output::read::table::read_csv;

/// One row of `ranking.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RankingRow {
    pub metric: String,
    pub rank: usize,
    pub strategy: String,
    pub mean: Option<f64>,
    pub difference_to_best: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub practical_threshold: Option<f64>,
    pub verdict: String,
    pub paired: Option<bool>,
}

/// Reads `ranking.csv`; `None` when the folder has none (written before it existed).
///
/// # Errors
/// [`ReadError`] when the file is present but malformed.
pub(super) fn load(folder: &Path) -> Result<Option<Vec<RankingRow>>, ReadError> {
    let path = folder.join("ranking.csv");
    if !path.exists() {
        return Ok(None);
    }
    read_csv(&path).map(Some)
}
