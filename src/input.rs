//! Reading inputs from disk: scenario files (or built-ins) and portfolio CSVs.
//! The parsing itself is in the pure core; this module only finds and reads bytes.

use std::path::{Path, PathBuf};

use crate::params::{PortfolioSpec, ScenarioError};
use crate::portfolio::{Portfolio, PortfolioError};
use crate::scenario::{self, BUILTIN_SCENARIOS, Scenario};

/// A scenario and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// The file path, or `built-in:<name>`.
    pub origin: String,
    /// Folder that relative paths in the scenario are resolved from.
    pub base_dir: PathBuf,
}

/// Why inputs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("invalid portfolio {0}")]
    Portfolio(#[from] PortfolioError),
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error(
        "cannot read the portfolio CSV {path} (portfolio.csv = {written:?} in {scenario}, resolved from the scenario file's folder): {reason}"
    )]
    PortfolioFile {
        path: String,
        written: String,
        scenario: String,
        reason: String,
    },
    #[error(
        "no scenario file or built-in scenario named {name:?} (built-ins: {builtins}; a file path must exist)"
    )]
    NotFound { name: String, builtins: String },
}

fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        InputError::Read {
            path: format!("{}:{line}", path.display()),
            reason: crate::portfolio::not_utf8_problem(bytes[offset], offset),
        }
    })
}

/// Loads a scenario by file path or built-in name; `None` is the default `stf`.
///
/// # Errors
/// [`InputError`] when the file cannot be read or the scenario is invalid.
pub fn load_scenario(name_or_path: Option<&str>) -> Result<LoadedScenario, InputError> {
    let name = name_or_path.unwrap_or("stf");
    let path = Path::new(name);
    if path.is_file() || (name_or_path.is_some() && scenario::builtin(name).is_none()) {
        if !path.exists() {
            let builtins: Vec<&str> = BUILTIN_SCENARIOS.iter().map(|(n, _)| *n).collect();
            return Err(InputError::NotFound {
                name: name.to_string(),
                builtins: builtins.join(", "),
            });
        }
        let text = read_text(path)?;
        let origin = path.display().to_string();
        let scenario = scenario::parse_str(&text, &origin)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        return Ok(LoadedScenario {
            scenario,
            origin,
            base_dir,
        });
    }
    let text = scenario::builtin(name).expect("checked above");
    let origin = format!("built-in:{name}");
    let scenario = scenario::parse_str(text, &origin)?;
    Ok(LoadedScenario {
        scenario,
        origin,
        base_dir: PathBuf::from("."),
    })
}

/// The portfolio of replication 0 for a synthetic scenario.
///
/// # Errors
/// Never for a synthetic portfolio; [`InputError::Read`] if the scenario names a CSV
/// (use [`load_portfolio`]).
pub fn synthetic_portfolio(scenario: &Scenario) -> Result<Portfolio, InputError> {
    match &scenario.portfolio {
        PortfolioSpec::Synthetic(spec) => Ok(Portfolio::synthetic(
            spec,
            &scenario.model,
            scenario.run.seed,
            0,
        )),
        PortfolioSpec::Csv { path } => Err(InputError::Read {
            path: path.clone(),
            reason: "a CSV portfolio needs load_portfolio".into(),
        }),
    }
}

/// The portfolio of a loaded scenario: read from its CSV, or drawn for seed `seed`.
///
/// # Errors
/// [`InputError`] when the CSV cannot be read or is invalid.
pub fn load_portfolio(loaded: &LoadedScenario, seed: u64) -> Result<Portfolio, InputError> {
    let scenario = &loaded.scenario;
    match &scenario.portfolio {
        PortfolioSpec::Synthetic(spec) => Ok(Portfolio::synthetic(spec, &scenario.model, seed, 0)),
        PortfolioSpec::Csv { path } => {
            let full = loaded.base_dir.join(path);
            let bytes = std::fs::read(&full).map_err(|e| InputError::PortfolioFile {
                path: full.display().to_string(),
                written: path.clone(),
                scenario: loaded.origin.clone(),
                reason: e.to_string(),
            })?;
            // The portfolio parser checks the encoding itself, so errors name the line.
            Ok(Portfolio::from_csv(
                bytes.as_slice(),
                &full.display().to_string(),
                &scenario.model,
            )?)
        }
    }
}
