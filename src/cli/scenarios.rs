//! `fundsim scenarios`: the built-in scenarios.

use super::error::CliError;
use crate::scenario::{BUILTIN_SCENARIOS, parse_str};

pub fn execute() -> Result<(), CliError> {
    for (name, text) in BUILTIN_SCENARIOS {
        let scenario = parse_str(text, name).map_err(|e| CliError::Failure(e.to_string()))?;
        println!("{name:<12} {}", scenario.description);
    }
    Ok(())
}
