//! `fundsim init FILE`: a commented scenario template.

use std::path::{Path, PathBuf};

use clap::Args;

use super::error::CliError;
use crate::scenario::{builtin_file, parse_str, template};

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
    let text = template(&name);
    let companions = companion_files(&text, &args.file, args.force)?;
    std::fs::write(&args.file, &text)
        .map_err(|e| CliError::Failure(format!("cannot write {}: {e}", args.file.display())))?;
    for (path, contents) in &companions {
        std::fs::write(path, contents)
            .map_err(|e| CliError::Failure(format!("cannot write {}: {e}", path.display())))?;
    }
    let also: String = companions
        .iter()
        .map(|(path, _)| format!(" and {}", path.display()))
        .collect();
    println!(
        "wrote {}{also} (scenario \"{name}\"); check it with: fundsim validate {}",
        args.file.display(),
        args.file.display()
    );
    Ok(())
}

/// The files the template names (its `[uncertainty]` table's joint-draws CSV), to be
/// written beside it: a file scenario reads them from its own folder, so a template
/// without them would not run. Checked before anything is written, so that an existing
/// file that differs is refused (without `--force`) with nothing half-written.
fn companion_files(
    text: &str,
    file: &Path,
    force: bool,
) -> Result<Vec<(PathBuf, &'static str)>, CliError> {
    let scenario = parse_str(text, "the template")
        .map_err(|e| CliError::Failure(format!("the built-in template is invalid: {e}")))?;
    let Some(written) = scenario.uncertainty.and_then(|table| table.joint) else {
        return Ok(Vec::new());
    };
    let contents = builtin_file(&written).ok_or_else(|| {
        CliError::Failure(format!(
            "the template names {written}, which is not built in"
        ))
    })?;
    let path = file
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(&written);
    let differs = std::fs::read(&path).is_ok_and(|existing| existing != contents.as_bytes());
    if differs && !force {
        return Err(CliError::Usage(format!(
            "{} already exists and differs from the template's {written}; add --force to replace it",
            path.display()
        )));
    }
    Ok(vec![(path, contents)])
}
