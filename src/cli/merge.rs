//! `fundsim merge`: combine the shard folders of one job into the folder a single
//! process would have written, byte for byte.
//!
//! The shards are checked (format, checksums, one job, every shard once), their states
//! combined in shard order, and the job's own command is parsed again from the
//! arguments recorded in the shards, in the working folder they were given in, to write
//! its folder exactly as it would have, from the combined state instead of a simulation.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use super::args::OutputArgs;
use super::compare::{self, CompareArgs};
use super::error::CliError;
use super::run::{self, RunArgs};
use super::sensitivity::{self, SensitivityArgs};
use super::shard::Merged;
use super::sweep::{self, SweepArgs};
use crate::engine::BlockTree;
use crate::output::shard::{self, Shard};
use crate::stats::Estimate;

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |arg| arg.help(
        "The folder to write (for merged `run`, `sweep` and `sensitivity` shards)"
    )),
    mut_arg("quiet", |arg| arg.help("No results table on stdout")),
    mut_arg("no_charts", |arg| arg.help("Write the tables only, no charts and no report")),
)]
pub struct MergeArgs {
    /// The shard folders of one job (written with --shard K/N), in any order.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A sharded job's command line, as `fundsim merge` parses it again from its shards (and
/// `fundsim slurm` checks it before writing the scripts).
#[derive(Debug, Parser)]
#[command(name = "fundsim")]
pub(super) struct JobLine {
    #[command(subcommand)]
    pub command: JobCommand,
}

/// The commands whose jobs can be split into shards.
#[derive(Debug, Subcommand)]
pub(super) enum JobCommand {
    Run(RunArgs),
    Compare(CompareArgs),
    Sweep(SweepArgs),
    Sensitivity(SensitivityArgs),
}

/// `fundsim merge` as a merge job runs it (for `fundsim slurm` to check).
#[derive(Debug, Parser)]
#[command(name = "fundsim merge")]
pub(super) struct MergeLine {
    #[command(flatten)]
    pub args: MergeArgs,
}

/// Checks and combines the shards, then finishes the job with its own command: the
/// command is given the combined state instead of simulating, and merge's output
/// options instead of its own.
pub fn execute(args: MergeArgs) -> Result<(), CliError> {
    let shards = args
        .shards
        .iter()
        .map(|path| shard::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let shards = shard::check_complete(shards)?;
    let job = shards[0].manifest.job.clone();
    let out = match &args.output.out {
        Some(out) => Some(
            std::path::absolute(out)
                .map_err(|e| CliError::Usage(format!("--out {}: {e}", out.display())))?,
        ),
        None => None,
    };
    let output = OutputArgs {
        out,
        ..args.output.clone()
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
    let line = JobLine::try_parse_from(command_line).map_err(|e| {
        CliError::Usage(format!(
            "the shards' command `fundsim {} {}` is not understood by this fundsim: {e}",
            job.command,
            job.arguments.join(" ")
        ))
    })?;
    let require_out = || match output.out {
        Some(_) => Ok(()),
        None => Err(CliError::Usage(format!(
            "merging `{}` shards writes a folder: give it with --out DIR",
            job.command
        ))),
    };
    match line.command {
        JobCommand::Run(args) => {
            require_out()?;
            let state = merged(combined_tree(&shards)?, &job.scenario_hash);
            run::finish(run::from_merged(&args, &output, state)?, &output)
        }
        JobCommand::Compare(args) => {
            if output.out.is_some() {
                return Err(CliError::Usage(
                    "`compare` shards merge into the comparison printed on stdout, not a folder: leave out --out (merge `run` shards for a run folder)".into(),
                ));
            }
            let state = merged(combined_tree(&shards)?, &job.scenario_hash);
            compare::finish(compare::from_merged(&args, state)?, &output)
        }
        JobCommand::Sweep(args) => {
            require_out()?;
            let state = merged(combined_points(&shards)?, &job.scenario_hash);
            sweep::finish(sweep::from_merged(&args, &output, state)?, &output)
        }
        JobCommand::Sensitivity(args) => {
            require_out()?;
            let state = merged(combined_points(&shards)?, &job.scenario_hash);
            sensitivity::finish(sensitivity::from_merged(&args, &output, state)?, &output)
        }
    }
}

/// The combined state, for the command that finishes the job.
fn merged<T>(state: T, scenario_hash: &str) -> Merged<T> {
    Merged {
        state,
        scenario_hash: scenario_hash.to_string(),
    }
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
