//! The command line: clap definitions, one file per subcommand. The only place that
//! prints. Exit codes: 0 success, 1 a run or I/O failure, 2 bad usage or bad input,
//! 130 interrupted (Ctrl-C, SIGINT, SIGTERM).
//!
//! The options several commands share are declared once (`args`: `OutputArgs`,
//! `SimulationArgs`) and flattened into each. A command that writes a folder is
//! `compute` (check the input, stage the folder, simulate) then `finish` (write, move
//! into place, report); `merge` finishes a sharded job with the command's own `finish`,
//! from the shards' combined state instead of a simulation.

mod analysis_setup;
mod args;
mod calibrate;
mod calibrate_facts;
mod checkpoint;
mod common;
mod compare;
mod error;
mod facts;
mod init;
mod interrupt;
mod job;
mod limits;
mod merge;
mod optimize;
mod overrides;
mod plot;
mod precision;
mod report;
mod run;
mod scenarios;
mod sensitivity;
mod sensitivity_indices;
mod serve;
mod shard;
mod slurm;
mod slurm_script;
mod staging;
mod survival;
mod sweep;
mod target;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;

/// fundsim: Monte Carlo simulation of funding strategies for open-source software.
#[derive(Debug, Parser)]
#[command(name = "fundsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write a run folder of CSV tables (default: the built-in `stf`).
    Run(run::RunArgs),
    /// Rank every strategy of a scenario by a metric, with paired differences.
    Compare(compare::CompareArgs),
    /// Check a scenario file and print what fundsim understood.
    Validate(validate::ValidateArgs),
    /// List the built-in scenarios.
    Scenarios,
    /// Write a commented scenario template to start from.
    Init(init::InitArgs),
    /// Re-render the charts of a run folder from its tables (no simulation).
    Plot(plot::PlotArgs),
    /// Re-render the policy brief (report.html) of a run folder (no simulation).
    Report(report::ReportArgs),
    /// Kaplan–Meier curves of observed project lifetimes (CSV tables and a chart).
    Survival(survival::SurvivalArgs),
    /// The stylised facts of the unfunded baseline (facts.toml) against the model.
    Facts(facts::FactsArgs),
    /// Fit model parameters so that the unfunded baseline reproduces observed survival, or
    /// (--facts) the stylised facts.
    Calibrate(calibrate::CalibrateArgs),
    /// Sweep one or two scenario fields over a grid (paired: the same seed at every point).
    Sweep(sweep::SweepArgs),
    /// Global sensitivity analysis (Morris or Sobol) over the scenario's [sensitivity] table.
    // The help text names the TOML table `[sensitivity]`, not a link to the module.
    #[allow(rustdoc::private_intra_doc_links, rustdoc::broken_intra_doc_links)]
    Sensitivity(sensitivity::SensitivityArgs),
    /// Find the parameter value (e.g. the budget) at which an outcome reaches a goal.
    Target(target::TargetArgs),
    /// Search a family of funding policies for the best on a metric under uncertainty,
    /// and judge the policy found on fresh random numbers against the named strategies.
    Optimize(optimize::OptimizeArgs),
    /// Combine the shard folders of one job (--shard K/N) into its result, byte for byte
    /// what one process would have written.
    Merge(merge::MergeArgs),
    /// Write (and with --submit, submit) a Slurm job array of shards and its merge job.
    Slurm(slurm::SlurmArgs),
    /// Start the local web app and its HTTP API (default: on http://127.0.0.1:8080/).
    Serve(serve::ServeArgs),
}

/// Runs a parsed command line; errors are printed here, once.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Run(args) => run::execute(args),
        Command::Compare(args) => compare::execute(args),
        Command::Validate(args) => validate::execute(args),
        Command::Scenarios => scenarios::execute(),
        Command::Init(args) => init::execute(args),
        Command::Plot(args) => plot::execute(args),
        Command::Report(args) => report::execute(args),
        Command::Survival(args) => survival::execute(args),
        Command::Facts(args) => facts::execute(args),
        Command::Calibrate(args) if args.facts.is_some() => calibrate_facts::execute(&args),
        Command::Calibrate(args) => calibrate::execute(args),
        Command::Sweep(args) => sweep::execute(args),
        Command::Sensitivity(args) => sensitivity::execute(args),
        Command::Target(args) => target::execute(args),
        Command::Optimize(args) => optimize::execute(args),
        Command::Merge(args) => merge::execute(args),
        Command::Slurm(args) => slurm::execute(args),
        Command::Serve(args) => serve::execute(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(CliError::Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(CliError::Interrupted(message)) => {
            eprintln!("interrupted: {message}");
            ExitCode::from(interrupt::EXIT_CODE)
        }
    }
}
