//! `fundsim report RUN_DIR`: re-renders the policy brief (`report.html`) of a run folder
//! from its tables and manifest, without re-running the simulation.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::plot::{load, record_files, write_atomically};
use crate::report;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run folder (written by `fundsim run`).
    pub run_dir: PathBuf,
    /// Print nothing on success.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn execute(args: ReportArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let data = load(&args.run_dir)?;
    let html = report::render(&data).map_err(|e| CliError::Failure(e.to_string()))?;
    write_atomically(&args.run_dir, report::FILE, html.as_bytes())?;
    record_files(&args.run_dir, &[report::FILE])?;
    if !args.quiet {
        println!(
            "policy brief in {} in {:.2} s",
            args.run_dir.join(report::FILE).display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
