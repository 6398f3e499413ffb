//! `fundsim merge`: combine the shard folders of one job into the folder a single
//! process would have written, byte for byte.
//!
//! The shards are checked (format, checksums, one job, every shard once), their states
//! combined in shard order, and the job's own command is parsed again from the
//! arguments recorded in the shards, in the working folder they were given in, to write
//! its folder exactly as it would have, from the combined state instead of a simulation.

use std::path::{Path, PathBuf};

use clap::{Args, Parser};

use super::{Cli, CliError, Command};
use crate::engine::BlockTree;
use crate::output::shard::{self, Shard, ShardError};
use crate::stats::Estimate;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard folders of one job (written with --shard K/N), in any order.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// The folder to write (for merged `run`, `sweep` and `sensitivity` shards).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// No results table on stdout.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write the tables only, no charts and no report.
    #[arg(long)]
    pub no_charts: bool,
}

/// The combined result of a job's shards, handed to its command.
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

impl From<ShardError> for CliError {
    fn from(error: ShardError) -> Self {
        match error {
            ShardError::Read { .. } => Self::Failure(error.to_string()),
            _ => Self::Usage(error.to_string()),
        }
    }
}

pub fn execute(args: MergeArgs) -> Result<(), CliError> {
    let shards = args
        .shards
        .iter()
        .map(|path| shard::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let shards = shard::check_complete(shards)?;
    let job = shards[0].manifest.job.clone();
    let out = match &args.out {
        Some(out) => Some(
            std::path::absolute(out)
                .map_err(|e| CliError::Usage(format!("--out {}: {e}", out.display())))?,
        ),
        None => None,
    };
    // The job's arguments name files relative to the folder they were given in.
    std::env::set_current_dir(&job.working_dir).map_err(|e| {
        CliError::Usage(format!(
            "cannot enter the job's working folder {} (its scenario path is relative to it): {e}",
            job.working_dir
        ))
    })?;
    let command_line = ["fundsim", job.command.as_str()]
        .into_iter()
        .map(String::from)
        .chain(job.arguments.iter().cloned());
    let cli = Cli::try_parse_from(command_line).map_err(|e| {
        CliError::Usage(format!(
            "the shards' command `fundsim {} {}` is not understood by this fundsim: {e}",
            job.command,
            job.arguments.join(" ")
        ))
    })?;
    let scenario_hash = job.scenario_hash.clone();
    let require_out = || {
        out.clone().ok_or_else(|| {
            CliError::Usage(format!(
                "merging `{}` shards writes a folder: give it with --out DIR",
                job.command
            ))
        })
    };
    match cli.command {
        Command::Run(mut run) => {
            run.out = Some(require_out()?);
            run.force = args.force;
            run.quiet = args.quiet;
            run.no_charts = args.no_charts;
            let state = combined_tree(&shards)?;
            super::run::execute_with(run, merged(state, &scenario_hash), "run")
        }
        Command::Compare(compare) => {
            if out.is_some() {
                return Err(CliError::Usage(
                    "`compare` shards merge into the comparison printed on stdout, not a folder: leave out --out (merge `run` shards for a run folder)".into(),
                ));
            }
            let state = combined_tree(&shards)?;
            super::compare::execute_with(compare, merged(state, &scenario_hash))
        }
        Command::Sweep(mut sweep) => {
            sweep.out = Some(require_out()?);
            sweep.force = args.force;
            sweep.quiet = args.quiet;
            sweep.no_charts = args.no_charts;
            let state = combined_points(&shards)?;
            super::sweep::execute_with(sweep, merged(state, &scenario_hash))
        }
        Command::Sensitivity(mut sensitivity) => {
            sensitivity.out = Some(require_out()?);
            sensitivity.force = args.force;
            sensitivity.quiet = args.quiet;
            sensitivity.no_charts = args.no_charts;
            let state = combined_points(&shards)?;
            super::sensitivity::execute_with(sensitivity, merged(state, &scenario_hash))
        }
        other => Err(CliError::Usage(format!(
            "shards of `{}` cannot be merged by this fundsim ({other:?})",
            job.command
        ))),
    }
}

/// The combined state, for the command that finishes the job.
fn merged<T>(state: T, scenario_hash: &str) -> Option<Merged<T>> {
    Some(Merged {
        state,
        scenario_hash: scenario_hash.to_string(),
    })
}

/// The block trees of the shards, decoded and combined in shard order.
fn combined_tree(shards: &[Shard]) -> Result<BlockTree, CliError> {
    let mut total = BlockTree::starting_at(0);
    for shard in shards {
        let tree: BlockTree = decode(&shard.path, &shard.state)?;
        total.absorb(tree);
    }
    Ok(total)
}

/// The design-point estimates of the shards (`sweep`, `sensitivity`), concatenated in
/// shard order: the estimates of every point of the design, in point order.
fn combined_points(shards: &[Shard]) -> Result<Vec<Vec<Estimate>>, CliError> {
    let mut all = Vec::new();
    for shard in shards {
        let manifest = &shard.manifest;
        if manifest.units != "points" {
            return Err(CliError::Usage(format!(
                "{} holds {}, a `{}` shard holds design points",
                shard.path.display(),
                manifest.units,
                manifest.job.command
            )));
        }
        let part: Vec<Vec<Estimate>> = decode(&shard.path, &shard.state)?;
        if part.len() as u64 != manifest.end - manifest.first {
            return Err(CliError::Usage(format!(
                "{}: {} holds {} design points, its manifest says {} ({}..{}); compute this shard again",
                shard.path.display(),
                shard::STATE,
                part.len(),
                manifest.end - manifest.first,
                manifest.first,
                manifest.end
            )));
        }
        all.extend(part);
    }
    Ok(all)
}

/// Decodes a shard's state.
///
/// # Errors
/// [`CliError::Usage`] naming the shard when the state does not decode.
pub fn decode<T: serde::de::DeserializeOwned>(path: &Path, state: &[u8]) -> Result<T, CliError> {
    postcard::from_bytes(state).map_err(|e| {
        CliError::Usage(format!(
            "{}: {} does not decode ({e}); compute this shard again",
            path.display(),
            shard::STATE
        ))
    })
}
