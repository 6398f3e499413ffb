//! Every folder fundsim writes, written and read back here: run folders (and `compare`'s,
//! which are run folders), shard folders, and the folders of `sweep`, `sensitivity`,
//! `survival` and `calibrate`.
//!
//! A folder is created in a hidden staging folder ([`StagedRun`]), filled, then renamed
//! into place with the manifest written last, so a folder that looks complete is
//! complete. An existing folder is never overwritten without `--force`.
//!
//! - [`tables`]: the run folder's CSV tables ([`ranking`]: its `ranking.csv`, the
//!   verdicts); [`Manifest`]: its manifest.
//! - [`manifest`]: the typed manifests of the other folder kinds, written and parsed.
//! - [`shard`]: shard folders (one process's share of a job) and their checks.
//! - [`read`]: run and sensitivity folders read back, for `plot` and `report`.
//! - [`files`]: what every writer shares: atomic replacement of a file, CSV to bytes,
//!   SHA-256 checksums, reading a file with an error that names it.

pub mod files;
pub mod manifest;
pub mod per_replication;
pub mod ranking;
pub mod read;
pub mod shard;
pub mod stale;
pub mod tables;
pub mod uncertainty;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::RunResult;
use crate::scenario::Scenario;

/// Where a run goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// `root/<scenario>/run-NNN`, numbered after the existing runs, with `latest` naming it.
    Numbered { root: PathBuf, scenario: String },
    /// An explicit folder; an existing one is replaced only with `force`.
    Explicit { path: PathBuf, force: bool },
}

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "output folder {path} already exists; choose another --out or add --force to replace it"
    )]
    Exists { path: String },
    #[error("cannot write to {path}: {reason}")]
    Io { path: String, reason: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |e| OutputError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// A run folder being written. Dropped without [`StagedRun::finish`], it removes itself.
#[derive(Debug)]
pub struct StagedRun {
    destination: Destination,
    staging: PathBuf,
    finished: bool,
}

impl StagedRun {
    /// Checks the destination and creates the staging folder, before any simulation, so
    /// an unwritable location fails fast.
    ///
    /// # Errors
    /// [`OutputError::Exists`] for an existing explicit folder without force,
    /// [`OutputError::Io`] when the location cannot be written.
    pub fn prepare(destination: Destination) -> Result<Self, OutputError> {
        let parent = match &destination {
            Destination::Numbered { root, scenario } => root.join(scenario),
            Destination::Explicit { path, force } => {
                if path.exists() && !force {
                    return Err(OutputError::Exists {
                        path: path.display().to_string(),
                    });
                }
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            }
        };
        fs::create_dir_all(&parent).map_err(io_error(&parent))?;
        let staging = parent.join(format!(
            ".partial-{}-{}",
            std::process::id(),
            unique_suffix()
        ));
        fs::create_dir(&staging).map_err(io_error(&staging))?;
        Ok(Self {
            destination,
            staging,
            finished: false,
        })
    }

    /// Writes one file into the staging folder.
    ///
    /// # Errors
    /// [`OutputError::Io`] when the file cannot be written (e.g. a full disk).
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.staging.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        let mut file = fs::File::create(&path).map_err(io_error(&path))?;
        file.write_all(bytes).map_err(io_error(&path))?;
        file.sync_all().map_err(io_error(&path))
    }

    /// Writes the manifest last and moves the folder into place; returns its path.
    ///
    /// # Errors
    /// [`OutputError`] when the manifest cannot be written or the folder not renamed.
    pub fn finish(self, manifest: &[u8]) -> Result<PathBuf, OutputError> {
        self.write("manifest.json", manifest)?;
        self.finish_without_manifest()
    }

    /// Moves the folder into place as it is (for folders whose last file, written by the
    /// caller, plays the manifest's part); returns its path.
    ///
    /// # Errors
    /// [`OutputError`] when the folder cannot be renamed.
    pub fn finish_without_manifest(mut self) -> Result<PathBuf, OutputError> {
        let target = match &self.destination {
            Destination::Explicit { path, .. } => {
                if path.exists() {
                    fs::remove_dir_all(path).map_err(io_error(path))?;
                }
                fs::rename(&self.staging, path).map_err(io_error(path))?;
                path.clone()
            }
            Destination::Numbered { root, scenario } => {
                let folder = root.join(scenario);
                let target = rename_numbered(&self.staging, &folder)?;
                let name = target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let latest = folder.join("latest");
                files::write_atomic(&latest, format!("{name}\n").as_bytes())
                    .map_err(io_error(&latest))?;
                target
            }
        };
        self.finished = true;
        Ok(target)
    }

    /// The staging folder (for callers that render charts into it).
    pub fn staging_path(&self) -> &Path {
        &self.staging
    }
}

impl Drop for StagedRun {
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Renames `staging` to the next free `run-NNN` in `folder`.
fn rename_numbered(staging: &Path, folder: &Path) -> Result<PathBuf, OutputError> {
    let highest = fs::read_dir(folder)
        .map_err(io_error(folder))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()?
                .strip_prefix("run-")?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    for number in highest + 1..highest + 1000 {
        let target = folder.join(format!("run-{number:03}"));
        if target.exists() {
            continue;
        }
        match fs::rename(staging, &target) {
            Ok(()) => return Ok(target),
            Err(_) if target.exists() => continue,
            Err(e) => return Err(io_error(&target)(e)),
        }
    }
    Err(OutputError::Io {
        path: folder.display().to_string(),
        reason: "no free run number".into(),
    })
}

/// `manifest.json`: what produced the run folder. Only what the results depend on, so a
/// run folder is a pure function of scenario, seed and fundsim version (the thread count
/// and the wall time are printed, not recorded).
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub fundsim_version: &'a str,
    pub scenario_origin: &'a str,
    pub scenario_hash: String,
    pub seed: u64,
    pub replications: u64,
    pub files: Vec<&'static str>,
    pub scenario: &'a Scenario,
}

/// Renders one table of a run folder to CSV bytes.
pub type TableRenderer = fn(&Scenario, &RunResult) -> Vec<u8>;

/// The tables of a run folder: (file name, renderer).
pub const TABLES: [(&str, TableRenderer); 6] = [
    ("summary.csv", tables::summary_csv),
    ("ranking.csv", ranking::ranking_csv),
    ("survival.csv", tables::survival_csv),
    ("timeseries.csv", tables::timeseries_csv),
    ("projects.csv", tables::projects_csv),
    ("allocations.csv", tables::allocations_csv),
];

/// Writes every table of a run into the staging folder.
///
/// # Errors
/// [`OutputError::Io`] when a file cannot be written.
pub fn write_tables(
    staged: &StagedRun,
    scenario: &Scenario,
    result: &RunResult,
) -> Result<(), OutputError> {
    for (name, render) in TABLES {
        staged.write(name, &render(scenario, result))?;
    }
    Ok(())
}
