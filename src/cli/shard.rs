//! `--shard K/N`: compute one share of a job and write it as a shard folder for
//! `fundsim merge` (the format is in [`crate::output::shard`]); and [`Merged`], the
//! combined state of a job's shards that `fundsim merge` hands back to the job's command.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::Args;
use serde::Serialize;

use super::error::CliError;
use super::staging::Staged;
use crate::output::Destination;
use crate::output::shard::{Job, MANIFEST, STATE, ShardManifest, share};

/// Which share of a job this process computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// From 0, like Slurm's `SLURM_ARRAY_TASK_ID` and Kubernetes' `JOB_COMPLETION_INDEX`.
    pub index: u64,
    pub count: u64,
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected K/N with 0 ≤ K < N, e.g. 0/4 for the first of four shards";
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: {expected}"))?;
        let parse = |part: &str| part.trim().parse::<u64>().ok();
        match (parse(k), parse(n)) {
            (Some(index), Some(count)) if index < count => Ok(Self { index, count }),
            _ => Err(format!("{text:?}: {expected}")),
        }
    }
}

impl ShardSpec {
    /// The units (blocks or design points) of `0 .. total` this shard computes.
    pub fn share(self, total: u64) -> std::ops::Range<u64> {
        share(self.index, self.count, total)
    }
}

/// The `--shard` option of `run`, `compare`, `sweep` and `sensitivity`.
#[derive(Debug, Clone, Copy, Args, Default)]
pub struct ShardArg {
    /// Compute only shard K of N (K from 0) and write it to --out as a shard folder, to
    /// be combined with `fundsim merge`; the merged result equals one run's, byte for
    /// byte.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<ShardSpec>,
}

/// The shard folder's destination: `--out` is required with `--shard`.
///
/// # Errors
/// [`CliError::Usage`] without `--out`.
pub fn destination(out: Option<&Path>, force: bool) -> Result<Destination, CliError> {
    let path = out.ok_or_else(|| {
        CliError::Usage("--shard needs --out DIR, the shard folder to write".into())
    })?;
    Ok(Destination::Explicit {
        path: path.to_path_buf(),
        force,
    })
}

/// Writes the shard folder: the state, then the manifest last, then moves it into place.
///
/// # Errors
/// [`CliError::Failure`] when the state cannot be encoded or the folder written.
pub fn write(
    staged: Staged,
    job: Job,
    spec: ShardSpec,
    units: &str,
    total: u64,
    state: &impl Serialize,
) -> Result<PathBuf, CliError> {
    let bytes = postcard::to_stdvec(state)
        .map_err(|e| CliError::Failure(format!("cannot encode the shard state: {e}")))?;
    let manifest = ShardManifest::new(
        job,
        (spec.index, spec.count),
        units,
        spec.share(total),
        total,
        &bytes,
    );
    staged.write(STATE, &bytes)?;
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| CliError::Failure(e.to_string()))?;
    // `finish` writes its argument as manifest.json; a shard folder's manifest is
    // shard.json, so it is written here and the finishing manifest stays empty.
    staged.write(MANIFEST, &json)?;
    staged.finish_without_manifest()
}

/// The combined result of a job's shards, handed to its command by `fundsim merge`.
#[derive(Debug)]
pub struct Merged<T> {
    pub state: T,
    /// The hash of the scenario the shards simulated: the command refuses to finish the
    /// job if the scenario file has changed since.
    pub scenario_hash: String,
}

impl<T> Merged<T> {
    /// Refuses to finish the job with a scenario that is not the one the shards ran.
    ///
    /// # Errors
    /// [`CliError::Usage`] naming the scenario when its hash differs.
    pub fn check_scenario(&self, origin: &str, hash: &str) -> Result<(), CliError> {
        if hash == self.scenario_hash {
            return Ok(());
        }
        Err(CliError::Usage(format!(
            "the scenario {origin} has changed since the shards were computed (its hash is {hash}, the shards ran {}); restore it or compute the shards again",
            self.scenario_hash
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_parse_from_zero() {
        assert_eq!(
            "2/4".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 2, count: 4 })
        );
        for bad in ["4/4", "1", "a/2", "-1/3", "1/0", ""] {
            let error = bad.parse::<ShardSpec>().expect_err(bad);
            assert!(error.contains("0 ≤ K < N"), "{error}");
        }
    }
}
