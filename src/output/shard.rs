//! Shard folders: one process's share of a job, to be merged with the others.
//!
//! A shard folder holds two files:
//!
//! - `state.bin`: the shard's mergeable state, encoded with `postcard` (a compact,
//!   documented serde format; floats are stored as their exact IEEE-754 bits). For `run`
//!   and `compare` it is the [`crate::engine::BlockTree`] of the shard's blocks; for
//!   `sweep` and `sensitivity`, the estimates of the shard's design points.
//! - `shard.json`: written last, human-readable: the format name and version, the fundsim
//!   version, the job (command, its result-affecting arguments, working folder, scenario
//!   hash, seed, replications), the job id, which shard of how many, the range of units
//!   it covers, and the size and SHA-256 of `state.bin`.
//!
//! Shards of one job have the same job id, the SHA-256 of the fundsim version, the job
//! and the shard count: [`check_complete`] refuses a foreign shard, a duplicated one and
//! a missing one, naming each. Bumping [`FORMAT_VERSION`] is required whenever the
//! layout of `state.bin` changes; a reader refuses any other version.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::sha256_hex;

/// The `format` field of every shard manifest.
pub const FORMAT: &str = "fundsim-shard";
/// The version of the shard format this build reads and writes.
pub const FORMAT_VERSION: u32 = 2;
/// The manifest's file name.
pub const MANIFEST: &str = "shard.json";
/// The state's file name.
pub const STATE: &str = "state.bin";

/// What a job computes: everything the result depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The subcommand: `run`, `compare`, `sweep` or `sensitivity`.
    pub command: String,
    /// Its command-line arguments without the options that do not change the result
    /// (`--shard`, `--out`, `--force`, `--threads`, `--quiet`, …).
    pub arguments: Vec<String>,
    /// The folder relative paths in `arguments` are resolved from.
    pub working_dir: String,
    pub scenario_origin: String,
    pub scenario_hash: String,
    pub seed: u64,
    /// Replications per run (per design point for sweeps and sensitivity analyses).
    pub replications: u64,
}

impl Job {
    /// The id shared by the shards of this job split `shards` ways.
    pub fn id(&self, shards: u64) -> String {
        let json = serde_json::to_vec(&(crate::VERSION, FORMAT_VERSION, self, shards))
            .expect("a job always serializes");
        sha256_hex(json)
    }
}

/// `shard.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub format: String,
    pub format_version: u32,
    pub fundsim_version: String,
    pub job_id: String,
    /// This shard's index, from 0.
    pub shard: u64,
    /// How many shards the job has.
    pub shards: u64,
    /// What `first`, `end` and `total` count: `blocks` (of 16 replications) or `points`.
    pub units: String,
    /// The units this shard covers: `first .. end` of `0 .. total`.
    pub first: u64,
    pub end: u64,
    pub total: u64,
    pub state_file: String,
    pub state_bytes: u64,
    pub state_sha256: String,
    pub job: Job,
}

impl ShardManifest {
    /// The manifest of shard `shard` of `shards`, covering `range` of `total` units,
    /// with `state` as its state file.
    pub fn new(
        job: Job,
        (shard, shards): (u64, u64),
        units: &str,
        range: std::ops::Range<u64>,
        total: u64,
        state: &[u8],
    ) -> Self {
        Self {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            fundsim_version: crate::VERSION.into(),
            job_id: job.id(shards),
            shard,
            shards,
            units: units.into(),
            first: range.start,
            end: range.end,
            total,
            state_file: STATE.into(),
            state_bytes: state.len() as u64,
            state_sha256: sha256_hex(state),
            job,
        }
    }
}

/// The share of `total` units that shard `shard` of `shards` computes: contiguous and
/// as even as possible, so shards together cover `0 .. total` exactly once.
pub fn share(shard: u64, shards: u64, total: u64) -> std::ops::Range<u64> {
    let bound = |k: u64| ((u128::from(total) * u128::from(k)) / u128::from(shards)) as u64;
    bound(shard)..bound(shard + 1)
}

/// Why shards cannot be read or merged.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("cannot read shard {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} is not a fundsim shard folder: {reason}")]
    NotAShard { path: String, reason: String },
    #[error("{path} is damaged: {reason}; compute this shard again")]
    Damaged { path: String, reason: String },
    #[error("{path} belongs to another job: {difference}")]
    Foreign { path: String, difference: String },
    #[error("shard {shard} of {shards} is given twice: {first} and {second}")]
    Duplicate {
        shard: u64,
        shards: u64,
        first: String,
        second: String,
    },
    #[error(
        "shard {shard} of {shards} is missing (the job has shards 0 to {last}; compute it with --shard {shard}/{shards})",
        last = shards - 1
    )]
    Missing { shard: u64, shards: u64 },
    #[error("no shard folders given")]
    None,
}

/// A shard read from disk, its state checked against the manifest's checksum.
#[derive(Debug, Clone)]
pub struct Shard {
    pub path: PathBuf,
    pub manifest: ShardManifest,
    pub state: Vec<u8>,
}

/// Reads a shard folder and checks its format, version and checksum.
///
/// # Errors
/// [`ShardError`] naming the folder and what is wrong with it.
pub fn read(path: &Path) -> Result<Shard, ShardError> {
    let name = path.display().to_string();
    if !path.is_dir() {
        return Err(ShardError::NotAShard {
            path: name,
            reason: "it is not a folder".into(),
        });
    }
    let read_file = |file: &str| {
        fs::read(path.join(file)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ShardError::NotAShard {
                path: name.clone(),
                reason: format!("it has no {file} (an unfinished shard, or not a shard folder)"),
            },
            _ => ShardError::Read {
                path: path.join(file).display().to_string(),
                reason: e.to_string(),
            },
        })
    };
    let manifest_bytes = read_file(MANIFEST)?;
    let value: serde_json::Value =
        serde_json::from_slice(&manifest_bytes).map_err(|e| ShardError::NotAShard {
            path: name.clone(),
            reason: format!("{MANIFEST} is not JSON ({e})"),
        })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(ShardError::NotAShard {
            path: name,
            reason: format!("{MANIFEST} has no \"format\": \"{FORMAT}\""),
        });
    }
    let version = value.get("format_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(ShardError::NotAShard {
            path: name,
            reason: format!(
                "it is in shard format version {}, this fundsim {} reads version {FORMAT_VERSION}; merge it with the fundsim that wrote it",
                version.map_or_else(|| "?".into(), |v| v.to_string()),
                crate::VERSION
            ),
        });
    }
    let manifest: ShardManifest =
        serde_json::from_value(value).map_err(|e| ShardError::Damaged {
            path: name.clone(),
            reason: format!("{MANIFEST} does not match the format ({e})"),
        })?;
    let state = read_file(&manifest.state_file)?;
    let digest = sha256_hex(&state);
    if state.len() as u64 != manifest.state_bytes || digest != manifest.state_sha256 {
        return Err(ShardError::Damaged {
            path: name,
            reason: format!(
                "{} has {} bytes and SHA-256 {digest}, the manifest says {} bytes and {}",
                manifest.state_file,
                state.len(),
                manifest.state_bytes,
                manifest.state_sha256
            ),
        });
    }
    Ok(Shard {
        path: path.to_path_buf(),
        manifest,
        state,
    })
}

/// Checks that `shards` are the shards of one job, each once, all present, and returns
/// them in shard order.
///
/// The job is the one most of the shards belong to; every other shard is foreign.
///
/// # Errors
/// [`ShardError::Foreign`], [`ShardError::Duplicate`], [`ShardError::Missing`] or
/// [`ShardError::None`].
pub fn check_complete(mut shards: Vec<Shard>) -> Result<Vec<Shard>, ShardError> {
    let reference = most_common_job(&shards).ok_or(ShardError::None)?;
    for shard in &shards {
        if shard.manifest.job_id != reference.job_id {
            return Err(ShardError::Foreign {
                path: shard.path.display().to_string(),
                difference: difference(&shard.manifest, &reference),
            });
        }
    }
    shards.sort_by_key(|s| s.manifest.shard);
    for pair in shards.windows(2) {
        if pair[0].manifest.shard == pair[1].manifest.shard {
            return Err(ShardError::Duplicate {
                shard: pair[0].manifest.shard,
                shards: reference.shards,
                first: pair[0].path.display().to_string(),
                second: pair[1].path.display().to_string(),
            });
        }
    }
    if let Some(missing) = (0..reference.shards).find(|&k| {
        shards
            .get(k as usize)
            .is_none_or(|shard| shard.manifest.shard != k)
    }) {
        return Err(ShardError::Missing {
            shard: missing,
            shards: reference.shards,
        });
    }
    // Same job and every index once: the ranges are the job's split, unless a manifest
    // was edited by hand.
    for shard in &shards {
        let m = &shard.manifest;
        if (m.first..m.end) != share(m.shard, m.shards, m.total) {
            return Err(ShardError::Damaged {
                path: shard.path.display().to_string(),
                reason: format!(
                    "it covers {} {}..{}, shard {} of {} must cover {:?}",
                    m.units,
                    m.first,
                    m.end,
                    m.shard,
                    m.shards,
                    share(m.shard, m.shards, m.total)
                ),
            });
        }
    }
    Ok(shards)
}

fn most_common_job(shards: &[Shard]) -> Option<ShardManifest> {
    let mut counts: Vec<(&str, usize, &ShardManifest)> = Vec::new();
    for shard in shards {
        let id = shard.manifest.job_id.as_str();
        match counts.iter_mut().find(|(other, ..)| *other == id) {
            Some((_, count, _)) => *count += 1,
            None => counts.push((id, 1, &shard.manifest)),
        }
    }
    // The first of the most common, so the choice does not depend on anything else.
    let most = counts.iter().map(|(_, count, _)| *count).max()?;
    counts
        .into_iter()
        .find(|(_, count, _)| *count == most)
        .map(|(.., manifest)| manifest.clone())
}

/// How `shard`'s job differs from `reference`'s, in the user's terms.
fn difference(shard: &ShardManifest, reference: &ShardManifest) -> String {
    let (a, b) = (&shard.job, &reference.job);
    let mut differences = Vec::new();
    let mut differ = |what: &str, mine: String, theirs: String| {
        if mine != theirs {
            differences.push(format!("{what} {mine} where the others have {theirs}"));
        }
    };
    differ(
        "fundsim",
        shard.fundsim_version.clone(),
        reference.fundsim_version.clone(),
    );
    differ("command", a.command.clone(), b.command.clone());
    differ(
        "scenario hash",
        a.scenario_hash.clone(),
        b.scenario_hash.clone(),
    );
    differ("seed", a.seed.to_string(), b.seed.to_string());
    differ(
        "replications",
        a.replications.to_string(),
        b.replications.to_string(),
    );
    differ(
        "shard count",
        shard.shards.to_string(),
        reference.shards.to_string(),
    );
    differ(
        "arguments",
        format!("{:?}", a.arguments),
        format!("{:?}", b.arguments),
    );
    differ(
        "working folder",
        a.working_dir.clone(),
        b.working_dir.clone(),
    );
    if differences.is_empty() {
        "its job id differs".into()
    } else {
        differences.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_the_range_exactly_once() {
        for total in [0, 1, 5, 63, 64, 1000] {
            for shards in 1..=9 {
                let mut next = 0;
                for k in 0..shards {
                    let range = share(k, shards, total);
                    assert_eq!(range.start, next);
                    assert!(range.end - range.start <= total.div_ceil(shards));
                    next = range.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    fn job(seed: u64) -> Job {
        Job {
            command: "run".into(),
            arguments: vec!["stf".into()],
            working_dir: "/tmp".into(),
            scenario_origin: "built-in:stf".into(),
            scenario_hash: "abc".into(),
            seed,
            replications: 64,
        }
    }

    fn shard(k: u64, n: u64, seed: u64) -> Shard {
        Shard {
            path: PathBuf::from(format!("s{k}-{seed}")),
            manifest: ShardManifest::new(job(seed), (k, n), "blocks", share(k, n, 4), 4, b"x"),
            state: b"x".to_vec(),
        }
    }

    #[test]
    fn foreign_duplicate_and_missing_shards_are_named() {
        let ok = check_complete(vec![shard(1, 2, 1), shard(0, 2, 1)]).expect("complete");
        assert_eq!(ok[0].manifest.shard, 0);
        let error = check_complete(vec![shard(0, 3, 1), shard(1, 3, 1), shard(2, 3, 9)])
            .expect_err("foreign")
            .to_string();
        assert!(
            error.contains("s2-9") && error.contains("seed 9"),
            "{error}"
        );
        let error = check_complete(vec![shard(0, 2, 1), shard(0, 2, 1), shard(1, 2, 1)])
            .expect_err("duplicate")
            .to_string();
        assert!(error.contains("shard 0 of 2 is given twice"), "{error}");
        let error = check_complete(vec![shard(0, 3, 1), shard(2, 3, 1)])
            .expect_err("missing")
            .to_string();
        assert!(error.contains("shard 1 of 3 is missing"), "{error}");
        assert!(matches!(check_complete(vec![]), Err(ShardError::None)));
    }
}
