//! `fundsim plot RUN_DIR`: re-renders the charts of a run folder from its tables and
//! manifest, without re-running the simulation.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::error::CliError;
use crate::output::files::write_atomic;
use crate::output::read::RunData;
use crate::plot::{self, ChartKind};

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The run folder (written by `fundsim run`).
    pub run_dir: PathBuf,
    /// Print nothing on success.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn execute(args: PlotArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let data = load(&args.run_dir)?;
    let charts = plot::render_all(&data).map_err(|e| CliError::Failure(e.to_string()))?;
    let mut written = Vec::new();
    for chart in &charts {
        write_atomically(&args.run_dir, chart.kind.png_path(), &chart.png)?;
        write_atomically(&args.run_dir, chart.kind.svg_path(), chart.svg.as_bytes())?;
        written.extend([chart.kind.png_path(), chart.kind.svg_path()]);
    }
    record_files(&args.run_dir, &written)?;
    if !args.quiet {
        println!(
            "{} charts (PNG and SVG) in {} in {:.2} s",
            charts.len(),
            args.run_dir.join("charts").display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Renders every chart (PNG and SVG) and the brief from the tables in `folder` and the
/// manifest given as bytes; returns (path in the run folder, bytes), nothing written yet.
///
/// # Errors
/// [`crate::plot::PlotError`] when the tables cannot be read or a chart not drawn.
pub(super) fn render_folder(
    folder: &Path,
    manifest: &[u8],
) -> Result<Vec<(&'static str, Vec<u8>)>, crate::plot::PlotError> {
    let data = RunData::load_with_manifest(folder, manifest)?;
    let charts = plot::render_all(&data)?;
    let svgs: Vec<(ChartKind, String)> = charts.iter().map(|c| (c.kind, c.svg.clone())).collect();
    let report = crate::report::render_with_charts(&data, &svgs);
    let mut files = Vec::with_capacity(2 * charts.len() + 1);
    for chart in charts {
        files.push((chart.kind.png_path(), chart.png));
        files.push((chart.kind.svg_path(), chart.svg.into_bytes()));
    }
    files.push((crate::report::FILE, report.into_bytes()));
    Ok(files)
}

/// Reads a run folder; a missing or malformed one is bad input (exit code 2).
pub(super) fn load(run_dir: &Path) -> Result<RunData, CliError> {
    if !run_dir.join("manifest.json").is_file() {
        return Err(CliError::Usage(format!(
            "{} is not a run folder (no manifest.json); give the folder `fundsim run` wrote",
            run_dir.display()
        )));
    }
    RunData::load(run_dir).map_err(|e| CliError::Usage(e.to_string()))
}

/// Writes `name` (a path relative to `folder`) through a temporary file and a rename, so
/// a reader never sees half a file.
pub(super) fn write_atomically(folder: &Path, name: &str, bytes: &[u8]) -> Result<(), CliError> {
    let path = folder.join(name);
    write_atomic(&path, bytes)
        .map_err(|e| CliError::Failure(format!("cannot write {}: {e}", path.display())))
}

/// Adds `names` to the `files` list of the folder's manifest (once each), so the
/// manifest keeps naming everything in the folder.
pub(super) fn record_files(folder: &Path, names: &[&str]) -> Result<(), CliError> {
    let path = folder.join("manifest.json");
    let text = fs::read(&path)
        .map_err(|e| CliError::Failure(format!("cannot read {}: {e}", path.display())))?;
    let mut manifest: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| CliError::Usage(format!("{}: not valid JSON: {e}", path.display())))?;
    let Some(files) = manifest
        .get_mut("files")
        .and_then(serde_json::Value::as_array_mut)
    else {
        return Ok(());
    };
    let before = files.len();
    for name in names {
        if !files.iter().any(|f| f.as_str() == Some(name)) {
            files.push(serde_json::Value::from(*name));
        }
    }
    if files.len() == before {
        return Ok(());
    }
    let bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failure(e.to_string()))?;
    write_atomically(folder, "manifest.json", &bytes)
}
