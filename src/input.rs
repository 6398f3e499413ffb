//! Reading inputs from disk: scenario files (or built-ins) and portfolio CSVs.
//! The parsing itself is in the pure core; this module only finds and reads bytes.

use std::path::{Path, PathBuf};

use crate::params::{PortfolioSpec, ScenarioError};
use crate::portfolio::{Portfolio, PortfolioError};
use crate::scenario::uncertainty::joint::JointDraws;
use crate::scenario::{self, BUILTIN_SCENARIOS, Scenario};

/// A scenario and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// The file path, or `built-in:<name>`.
    pub origin: String,
    /// Folder that relative paths in the scenario are resolved from.
    pub base_dir: PathBuf,
    /// The scenario text as loaded (what parameter sets and overrides vary).
    pub text: String,
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
        "cannot read the joint-draws CSV {path} (uncertainty.joint = {written:?} in {scenario}, resolved from the scenario file's folder): {reason}"
    )]
    JointFile {
        path: String,
        written: String,
        scenario: String,
        reason: String,
    },
    #[error("invalid joint draws for {scenario} (uncertainty.joint = {written:?}): {}", problems(.error))]
    JointDraws {
        written: String,
        scenario: String,
        error: ScenarioError,
    },
    #[error(
        "no scenario file or built-in scenario named {name:?} (built-ins: {builtins}; a file path must exist)"
    )]
    NotFound { name: String, builtins: String },
}

/// Every problem of an error about a file other than a scenario, each on its own line
/// after the file (and line) it concerns.
fn problems(error: &ScenarioError) -> String {
    let mut text = format!(
        "{} problem{}",
        error.issues.len(),
        if error.issues.len() == 1 { "" } else { "s" }
    );
    for issue in &error.issues {
        match issue.line {
            Some(line) => text.push_str(&format!("\n  {}:{line}: {issue}", error.origin)),
            None => text.push_str(&format!("\n  {}: {issue}", error.origin)),
        }
    }
    text
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
            text,
        });
    }
    let text = scenario::builtin(name).expect("checked above");
    let origin = format!("built-in:{name}");
    let scenario = scenario::parse_str(text, &origin)?;
    Ok(LoadedScenario {
        scenario,
        origin,
        base_dir: PathBuf::from("."),
        text: text.to_string(),
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
            let (bytes, origin) = portfolio_csv(loaded, path)?;
            // The portfolio parser checks the encoding itself, so errors name the line.
            Ok(Portfolio::from_csv(
                bytes.as_slice(),
                &origin,
                &scenario.model,
            )?)
        }
    }
}

/// The bytes of the portfolio CSV a scenario names (`portfolio.csv = path`), and the name
/// to give them in messages: read from the scenario file's folder or, for a built-in
/// scenario, from the files compiled in with it (a built-in scenario has no folder).
///
/// # Errors
/// [`InputError::PortfolioFile`] when the file cannot be read.
pub fn portfolio_csv(loaded: &LoadedScenario, path: &str) -> Result<(Vec<u8>, String), InputError> {
    let file_error = |full: String, reason: String| InputError::PortfolioFile {
        path: full,
        written: path.to_string(),
        scenario: loaded.origin.clone(),
        reason,
    };
    if loaded.origin.starts_with("built-in:") {
        let text = scenario::builtin_file(path).ok_or_else(|| {
            file_error(
                path.to_string(),
                "a built-in scenario reads only the files compiled in with it, and none is called that".into(),
            )
        })?;
        return Ok((text.as_bytes().to_vec(), format!("built-in:{path}")));
    }
    let full = loaded.base_dir.join(path);
    let bytes =
        std::fs::read(&full).map_err(|e| file_error(full.display().to_string(), e.to_string()))?;
    Ok((bytes, full.display().to_string()))
}

/// The joint draws the scenario's `[uncertainty]` table names (`joint = "..."`), read from
/// the scenario file's folder, or, for a built-in scenario, from the files compiled in
/// with it ([`scenario::builtin_file`]), and checked against the scenario. `None` when the
/// scenario has no table or its table names no CSV.
///
/// # Errors
/// [`InputError::JointFile`] when the file cannot be read; [`InputError::JointDraws`]
/// naming the file, line and column of every problem in it (including a column the table
/// also draws and a row the scenario refuses).
pub fn load_joint_draws(loaded: &LoadedScenario) -> Result<Option<JointDraws>, InputError> {
    let Some(spec) = loaded.scenario.uncertainty.as_ref() else {
        return Ok(None);
    };
    let Some(written) = spec.joint.as_ref() else {
        return Ok(None);
    };
    let file_error = |path: String, reason: String| InputError::JointFile {
        path,
        written: written.clone(),
        scenario: loaded.origin.clone(),
        reason,
    };
    let (bytes, origin) = if loaded.origin.starts_with("built-in:") {
        let text = scenario::builtin_file(written).ok_or_else(|| {
            file_error(
                written.clone(),
                "a built-in scenario reads only the files compiled in with it, and none is called that".into(),
            )
        })?;
        (text.as_bytes().to_vec(), format!("built-in:{written}"))
    } else {
        let full = loaded.base_dir.join(written);
        let bytes = std::fs::read(&full)
            .map_err(|e| file_error(full.display().to_string(), e.to_string()))?;
        (bytes, full.display().to_string())
    };
    let invalid = |error: ScenarioError| InputError::JointDraws {
        written: written.clone(),
        scenario: loaded.origin.clone(),
        error,
    };
    let joint = JointDraws::from_csv(&bytes, &origin).map_err(invalid)?;
    joint
        .check_against(&loaded.text, &loaded.origin, spec)
        .map_err(invalid)?;
    Ok(Some(joint))
}
