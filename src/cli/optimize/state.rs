//! The saved state of a search: after every generation, the whole [`SearchState`]
//! (the optimiser and the trace) in a hidden file beside the output folder,
//! `.fundsim-optimize-<key>.bin`, written atomically (temporary file, sync, rename) with
//! a SHA-256 of its body, like `run`'s checkpoints; `--resume` continues from it, and it
//! is removed once the folder is in place.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::optimize::SearchState;
use crate::cli::checkpoint::{seal, unseal};
use crate::output::Destination;
use crate::output::files::{sha256_hex, write_atomic};
use crate::scenario::Scenario;

/// The version of the saved layout; a state of another version is refused.
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Body {
    format_version: u32,
    job_id: String,
    state: SearchState,
}

/// The saved state of one search writing to one destination.
#[derive(Debug)]
pub(in crate::cli) struct Saved {
    path: PathBuf,
    job_id: String,
    /// A failed save is reported once; the search goes on without.
    failed: bool,
}

/// What decides a search's result: a state saved by another question is not resumed.
/// `question` is the metric, the goal and the family as given.
pub(super) fn job_id(question: [&str; 3], scenario: &Scenario, evaluations: u64) -> String {
    sha256_hex(format!(
        "{}\n{}\n{}\n{}\n{}\n{evaluations}\n{}\n{}",
        crate::VERSION,
        scenario.hash(),
        question[0],
        question[1],
        question[2],
        scenario.run.seed,
        scenario.run.replications,
    ))
}

impl Saved {
    pub(super) fn new(destination: &Destination, job_id: &str) -> Self {
        let parent = crate::cli::staging::parent_of(destination);
        let name = match destination {
            Destination::Explicit { path, .. } => path.display().to_string(),
            Destination::Numbered { root, scenario } => {
                format!("{}/{scenario}", root.display())
            }
        };
        let key = sha256_hex(format!("{job_id}\n{name}"));
        Self {
            path: parent.join(format!(".fundsim-optimize-{}.bin", &key[..16])),
            job_id: job_id.to_string(),
            failed: false,
        }
    }

    pub(in crate::cli) fn path(&self) -> &Path {
        &self.path
    }

    /// The state a stopped search of the same question left.
    ///
    /// # Errors
    /// Why there is none to resume (missing, damaged, another question or version).
    pub(super) fn load(&self) -> Result<SearchState, String> {
        let bytes = std::fs::read(&self.path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "--resume: no saved state of this search was found ({}); run it without --resume",
                self.path.display()
            ),
            _ => format!("--resume: cannot read {}: {e}", self.path.display()),
        })?;
        let damaged = || {
            format!(
                "--resume: the saved state {} is damaged",
                self.path.display()
            )
        };
        let body = unseal(&bytes).ok_or_else(damaged)?;
        let body: Body = postcard::from_bytes(body).map_err(|_| damaged())?;
        if body.format_version != FORMAT_VERSION || body.job_id != self.job_id {
            return Err(format!(
                "--resume: the saved state {} belongs to another search (other options or fundsim version)",
                self.path.display()
            ));
        }
        Ok(body.state)
    }

    /// Saves `state` (after a generation).
    pub(super) fn save(&mut self, state: &SearchState) {
        if self.failed {
            return;
        }
        let body = Body {
            format_version: FORMAT_VERSION,
            job_id: self.job_id.clone(),
            state: state.clone(),
        };
        let written = postcard::to_stdvec(&body)
            .map_err(std::io::Error::other)
            .and_then(|body| write_atomic(&self.path, &seal(&body)));
        if let Err(error) = written {
            self.failed = true;
            eprintln!(
                "warning: cannot save the search's state to {} ({error}); the search goes on, but cannot be resumed if it is stopped",
                self.path.display()
            );
        }
    }

    /// Removes the saved state (the folder is complete).
    pub(super) fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
