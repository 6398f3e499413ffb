//! The `fundsim` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = fundsim::cli::Cli::parse();
    fundsim::cli::run(cli)
}
