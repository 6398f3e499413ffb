//! `fundsim init FILE`: a commented scenario template.

use std::path::PathBuf;

use clap::Args;

use super::error::CliError;
use crate::scenario::template;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the template (e.g. my-fund.toml).
    pub file: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn execute(args: InitArgs) -> Result<(), CliError> {
    if args.file.exists() && !args.force {
        return Err(CliError::Usage(format!(
            "{} already exists; add --force to replace it",
            args.file.display()
        )));
    }
    let name = args
        .file
        .file_stem()
        .map(|s| {
            s.to_string_lossy()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect()
        })
        .unwrap_or_else(|| "my-fund".to_string());
    std::fs::write(&args.file, template(&name))
        .map_err(|e| CliError::Failure(format!("cannot write {}: {e}", args.file.display())))?;
    println!(
        "wrote {} (scenario \"{name}\"); check it with: fundsim validate {}",
        args.file.display(),
        args.file.display()
    );
    Ok(())
}
