//! Checkpoints: a long `fundsim run` saves the blocks it has completed every few seconds,
//! so that, killed part-way (SIGKILL, a node failure, a job's time limit), it restarts
//! with `--resume` where it stopped and ends with the same files as an uninterrupted run.
//!
//! A checkpoint is one hidden file beside the run folder,
//! `.fundsim-checkpoint-<key>.bin`, the key naming the job and the destination. It holds
//! a SHA-256 of its body, then the body: `postcard` of the format version, the job id and
//! the [`BlockTree`] of the blocks done. It is written to a temporary file, synced and
//! renamed over the previous one (atomic), and removed when the run folder is in place.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::BlockTree;
use crate::output::files::{sha256_hex, write_atomic_with};

/// The version of the checkpoint layout; a checkpoint of another version is ignored.
const FORMAT_VERSION: u32 = 2;

/// What a checkpoint holds, as read back.
#[derive(Deserialize)]
struct Body {
    format_version: u32,
    job_id: String,
    tree: BlockTree,
}

/// The same, as written: borrowed, so saving does not copy the tree (the same bytes).
#[derive(Serialize)]
struct BodyRef<'a> {
    format_version: u32,
    job_id: &'a str,
    tree: &'a BlockTree,
}

/// The checkpoints of one job written to one destination.
#[derive(Debug)]
pub struct Checkpoints {
    path: PathBuf,
    job_id: String,
    /// How often progress is saved.
    interval: Duration,
    last_saved: Instant,
    /// A failed save is reported once, then the run goes on without checkpoints.
    failed: bool,
}

impl Checkpoints {
    /// The checkpoints of shard `shard` of job `job_id` (0 for a whole run) whose
    /// result goes to `destination` (a folder in `parent`).
    pub fn new(
        parent: &Path,
        destination: &str,
        (job_id, shard): (&str, u64),
        interval: Duration,
    ) -> Self {
        let key = sha256_hex(format!("{job_id}\n{shard}\n{destination}"));
        Self {
            path: parent.join(format!(".fundsim-checkpoint-{}.bin", &key[..16])),
            job_id: job_id.to_string(),
            interval,
            last_saved: Instant::now(),
            failed: false,
        }
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The blocks a previous attempt completed, if it left a valid checkpoint of this
    /// job; a missing, damaged or foreign checkpoint is `Err` with the reason.
    pub fn load(&self) -> Result<BlockTree, String> {
        let bytes = fs::read(&self.path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "no checkpoint of this run was found ({})",
                self.path.display()
            ),
            _ => format!("cannot read {}: {e}", self.path.display()),
        })?;
        let damaged = || format!("the checkpoint {} is damaged", self.path.display());
        let body = unseal(&bytes).ok_or_else(damaged)?;
        let body: Body = postcard::from_bytes(body).map_err(|_| damaged())?;
        if body.format_version != FORMAT_VERSION || body.job_id != self.job_id {
            return Err(format!(
                "the checkpoint {} belongs to another job or fundsim version",
                self.path.display()
            ));
        }
        Ok(body.tree)
    }

    /// Saves `tree` when the interval has passed since the last save, or `now`.
    pub fn save(&mut self, tree: &BlockTree, now: bool) {
        if self.failed || !(now || self.last_saved.elapsed() >= self.interval) {
            return;
        }
        self.last_saved = Instant::now();
        if let Err(error) = self.write(tree) {
            self.failed = true;
            eprintln!(
                "warning: cannot save a checkpoint to {} ({error}); the run goes on, but cannot be resumed if it is stopped",
                self.path.display()
            );
        }
    }

    fn write(&self, tree: &BlockTree) -> std::io::Result<()> {
        let body = postcard::to_stdvec(&BodyRef {
            format_version: FORMAT_VERSION,
            job_id: &self.job_id,
            tree,
        })
        .map_err(std::io::Error::other)?;
        write_atomic_with(&self.path, |file| file.write_all(&seal(&body)))
    }

    /// Removes the checkpoint (the run is complete).
    pub fn remove(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// `body` preceded by its SHA-256, so that a damaged saved state (a torn write, a bad
/// disk) is told from a good one on reading: [`unseal`].
pub(in crate::cli) fn seal(body: &[u8]) -> Vec<u8> {
    let mut bytes = Sha256::digest(body).to_vec();
    bytes.extend_from_slice(body);
    bytes
}

/// The body of bytes written by [`seal`]; `None` when they are damaged.
pub(in crate::cli) fn unseal(bytes: &[u8]) -> Option<&[u8]> {
    let (digest, body) = bytes.split_at_checked(32)?;
    (Sha256::digest(body).as_slice() == digest).then_some(body)
}
