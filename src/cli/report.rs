//! `fundsim report DIR`: re-renders the `report.html` of a folder from its tables and
//! manifest, without re-running anything: the policy brief of a run folder, or the
//! "which assumptions drive the answer" report of a `fundsim sensitivity` folder.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::error::CliError;
use super::plot::{load, record_files, write_atomically};
use crate::report;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The folder (written by `fundsim run` or `fundsim sensitivity`).
    pub run_dir: PathBuf,
    /// Print nothing on success.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The `command` a folder's manifest names, if it can be read.
fn command_of(manifest: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(manifest).ok()?;
    json.get("command")?.as_str().map(str::to_string)
}

pub fn execute(args: ReportArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let manifest = fs::read(args.run_dir.join("manifest.json")).ok();
    let sensitivity = manifest.as_deref().and_then(command_of).as_deref() == Some("sensitivity");
    let html = match sensitivity {
        true => {
            let manifest = manifest.as_deref().unwrap_or_default();
            report::sensitivity::render_folder(&args.run_dir, manifest)
                .map_err(|e| CliError::Usage(e.to_string()))?
        }
        false => {
            let data = load(&args.run_dir)?;
            report::render(&data).map_err(|e| CliError::Failure(e.to_string()))?
        }
    };
    write_atomically(&args.run_dir, report::FILE, html.as_bytes())?;
    record_files(&args.run_dir, &[report::FILE])?;
    if !args.quiet {
        println!(
            "{} in {} in {:.2} s",
            if sensitivity {
                "sensitivity report"
            } else {
                "policy brief"
            },
            args.run_dir.join(report::FILE).display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
