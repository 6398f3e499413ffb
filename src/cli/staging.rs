//! The output folder of this process's job: cleared of what a stopped attempt of the
//! same job left, staged under the signal handler before anything is computed (so a bad
//! location fails fast and Ctrl-C leaves nothing), and marked as the job's until it is
//! moved into place (see [`crate::output::stale`]).

use std::ops::Deref;
use std::path::{Path, PathBuf};

use super::error::CliError;
use super::interrupt::Interrupt;
use crate::output::files::sha256_hex;
use crate::output::{Destination, StagedRun, stale};

/// A staging folder of this job. Dropped without being finished, it removes itself.
#[derive(Debug)]
pub struct Staged(StagedRun);

impl Deref for Staged {
    type Target = StagedRun;

    fn deref(&self) -> &StagedRun {
        &self.0
    }
}

impl Staged {
    /// Writes the manifest last and moves the folder into place; returns its path.
    ///
    /// # Errors
    /// [`CliError::Failure`] when the folder cannot be finished.
    pub fn finish(self, manifest: &[u8]) -> Result<PathBuf, CliError> {
        self.unmark()?;
        Ok(self.0.finish(manifest)?)
    }

    /// Moves the folder into place as it is (a shard folder, whose own manifest is
    /// written by the caller); returns its path.
    ///
    /// # Errors
    /// [`CliError::Failure`] when the folder cannot be moved.
    pub fn finish_without_manifest(self) -> Result<PathBuf, CliError> {
        self.unmark()?;
        Ok(self.0.finish_without_manifest()?)
    }

    fn unmark(&self) -> Result<(), CliError> {
        stale::unmark(self.0.staging_path()).map_err(|e| {
            CliError::Failure(format!(
                "cannot write to {}: {e}",
                self.0.staging_path().display()
            ))
        })
    }
}

/// Stages `destination` for this process's job: removes the staging folders a stopped
/// attempt of the same job left beside it (saying so unless `quiet`), then creates and
/// marks its own under `interrupt`.
///
/// # Errors
/// As [`Interrupt::stage`]: an existing folder without `--force` or a stop signal is
/// bad usage or an interruption, an unwritable location a failure.
pub fn stage(
    interrupt: &Interrupt,
    destination: Destination,
    quiet: bool,
) -> Result<Staged, CliError> {
    let key = job_key(&destination);
    let cleared = stale::clear_staging(&parent_of(&destination), &key);
    if !quiet && !cleared.is_empty() {
        let names: Vec<String> = cleared.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "removed the unfinished folder{} that a stopped earlier attempt of this command left: {}",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
    }
    let staged = interrupt.stage(|| {
        let staged = StagedRun::prepare(destination)?;
        // Without its mark a staging folder is only never cleared automatically: the
        // job itself does not depend on it.
        let _ = stale::mark(staged.staging_path(), &key);
        Ok(staged)
    })?;
    Ok(Staged(staged))
}

/// The folder a destination's staging folder (and a run's checkpoint) is made in.
pub fn parent_of(destination: &Destination) -> PathBuf {
    match destination {
        Destination::Numbered { root, scenario } => root.join(scenario),
        Destination::Explicit { path, .. } => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    }
}

/// Names the job of this process writing to `destination`: its subcommand, the
/// arguments that decide the result, the working folder and the destination. A second
/// attempt of the same command (resumed, with other threads, quiet or not) has the same
/// key.
fn job_key(destination: &Destination) -> String {
    let command = std::env::args().nth(1).unwrap_or_default();
    let arguments = super::job::job_arguments().join("\0");
    let working_dir = std::env::current_dir()
        .map(|dir| dir.display().to_string())
        .unwrap_or_default();
    let destination = match destination {
        Destination::Numbered { root, scenario } => {
            format!("numbered:{}", root.join(scenario).display())
        }
        Destination::Explicit { path, .. } => format!("folder:{}", path.display()),
    };
    sha256_hex(format!(
        "{command}\n{arguments}\n{working_dir}\n{destination}"
    ))
}
