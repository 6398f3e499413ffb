//! `fundsim slurm`: a Slurm job array of shards and a merge job that depends on it.

use clap::Args;

use super::CliError;

#[derive(Debug, Args)]
pub struct SlurmArgs {}

pub fn execute(_args: SlurmArgs) -> Result<(), CliError> {
    Err(CliError::Failure("not implemented yet".into()))
}
