//! A run request (`POST /api/run` and the other run bodies): read, checked with the CLI's
//! checks, and turned into the self-contained scenario text that reproduces it.
//!
//! A client's scenario is text: nothing it says makes the server read a file. A
//! portfolio CSV it names comes from the body's `portfolio_csv` (or the request is
//! refused), and joint draws (`uncertainty.joint`) are refused; built-in scenarios read
//! the files compiled in with them, as on the command line.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::Backend;
use super::error::ApiError;
use crate::input::LoadedScenario;
use crate::params::PortfolioSpec;
use crate::scenario::{self, BUILTIN_SCENARIOS, Scenario};

/// The body of `POST /api/run` (and each side of `/api/compare`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// A built-in scenario's name, or a scenario's TOML text [default: the server's].
    pub scenario: Option<String>,
    /// The portfolio CSV a TOML names (replaces the file for a built-in too).
    pub portfolio_csv: Option<String>,
    /// The joint-draws CSV a TOML's `[uncertainty]` table names (`joint = "..."`); a
    /// TOML may instead name one of the files compiled in with the built-ins.
    pub joint_csv: Option<String>,
    pub replications: Option<u64>,
    pub seed: Option<u64>,
    /// `--set` settings: dotted path → number.
    #[serde(default)]
    pub set: serde_json::Map<String, Value>,
    /// Use the scenario's `[uncertainty]` table [default: yes, if it has one].
    pub uncertainty: Option<bool>,
    /// The file name a client's TOML is named by in messages [default: scenario.toml].
    pub file_name: Option<String>,
}

/// A request that passed every check that needs no simulation.
#[derive(Debug, Clone)]
pub struct Checked {
    /// `built-in:<name>`, or the client's file name.
    pub origin: String,
    /// The scenario as `fundsim run` would load the written text (settings applied; the
    /// request's replications and seed not yet).
    pub loaded: LoadedScenario,
    /// The scenario to run: `loaded` with the request's replications and seed.
    pub scenario: Scenario,
    /// A scenario file that `fundsim run` turns into this run's numbers.
    pub scenario_toml: String,
    /// The portfolio CSV (the name the TOML gives it, its text), if the scenario names
    /// one.
    pub portfolio_csv: Option<(String, String)>,
    /// The joint-draws CSV (its name, its text), if the `[uncertainty]` table used
    /// names one.
    pub joint_csv: Option<(String, String)>,
    pub set_paths: Vec<String>,
    pub use_uncertainty: bool,
}

/// The largest seed a scenario file can hold (TOML integers are signed 64-bit).
const MAX_SEED: u64 = i64::MAX as u64;

/// Reads a JSON body into `T`, naming the field at fault.
///
/// # Errors
/// 400 with the JSON path and serde's message.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = format!("request body: {path}: {}", error.inner());
        match path.as_str() {
            "." | "" => ApiError::bad_input(message),
            _ => ApiError::bad_field(&path, message),
        }
    })
}

impl RunRequest {
    /// Checks the request as `fundsim run` checks its command line and scenario.
    ///
    /// # Errors
    /// 404 for an unknown built-in, 400 for bad input, 413 above the size limits.
    pub fn check(
        &self,
        backend: &dyn Backend,
        default_scenario: &str,
        threads: usize,
    ) -> Result<Checked, ApiError> {
        let (text, origin, builtin) = self.source(default_scenario)?;
        let settings = self.settings()?;
        let (loaded_scenario, written) = backend
            .apply_settings(&text, &origin, &settings)
            .map_err(|message| {
                let pairs: Vec<(&str, f64)> =
                    settings.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                let error = ApiError::bad_input(message);
                match scenario::parse_with_overrides(&text, &origin, &pairs) {
                    Err(scenario_error) => error.with_problems_of(&scenario_error),
                    Ok(_) => error,
                }
            })?;
        let portfolio_csv = self.portfolio_csv(&loaded_scenario, &origin, builtin)?;
        let use_uncertainty = self.uncertainty.unwrap_or(true);
        let joint_csv = match use_uncertainty {
            true => self.joint_csv(&loaded_scenario, &origin, builtin)?,
            false => None,
        };
        let mut scenario = loaded_scenario.clone();
        if !use_uncertainty {
            scenario.uncertainty = None;
        }
        if let Some(replications) = self.replications {
            if replications == 0 {
                return Err(ApiError::bad_field(
                    "run.replications",
                    "replications must be at least 1",
                ));
            }
            scenario.run.replications = replications;
        }
        if let Some(seed) = self.seed {
            if seed > MAX_SEED {
                return Err(ApiError::bad_field(
                    "run.seed",
                    format!("seed {seed}: expected a whole number from 0 to {MAX_SEED}"),
                ));
            }
            scenario.run.seed = seed;
        }
        backend
            .check_limits(&origin, &scenario, None, threads)
            .map_err(|message| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message))?;
        let scenario_toml = self_contained(&written, &origin, &loaded_scenario, &scenario)?;
        Ok(Checked {
            loaded: LoadedScenario {
                scenario: loaded_scenario,
                origin: origin.clone(),
                // Never read: a client's scenario reads no file (checked above).
                base_dir: std::path::PathBuf::new(),
                text: written,
            },
            origin,
            scenario,
            scenario_toml,
            portfolio_csv,
            joint_csv,
            set_paths: settings.into_iter().map(|(path, _)| path).collect(),
            use_uncertainty,
        })
    }

    /// The scenario text, its origin and whether it is a built-in.
    fn source(&self, default_scenario: &str) -> Result<(String, String, bool), ApiError> {
        let given = self.scenario.as_deref().unwrap_or(default_scenario);
        if let Some(text) = scenario::builtin(given) {
            return Ok((text.to_string(), format!("built-in:{given}"), true));
        }
        // A single word is a name; anything a scenario file needs (`=`, a table) is text.
        let looks_like_a_name = !given.contains(['=', '[', '\n']);
        if looks_like_a_name {
            let builtins: Vec<&str> = BUILTIN_SCENARIOS.iter().map(|(n, _)| *n).collect();
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "no built-in scenario named {given:?} (built-ins: {}); give a scenario's TOML text to run your own",
                    builtins.join(", ")
                ),
            ));
        }
        let name = self.file_name.as_deref().unwrap_or("scenario.toml");
        // The name only appears in messages; keep it to one harmless line.
        let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
        Ok((given.to_string(), name, false))
    }

    /// The `set` object as `--set` settings, each a finite number.
    fn settings(&self) -> Result<Vec<(String, f64)>, ApiError> {
        self.set
            .iter()
            .map(|(path, value)| match value.as_f64() {
                Some(number) if number.is_finite() => Ok((path.clone(), number)),
                _ => Err(ApiError::bad_field(
                    path,
                    format!("--set {path}: expected a finite number, got {value}"),
                )),
            })
            .collect()
    }

    /// The portfolio CSV the scenario names: the body's, or a built-in's own file.
    fn portfolio_csv(
        &self,
        scenario: &Scenario,
        origin: &str,
        builtin: bool,
    ) -> Result<Option<(String, String)>, ApiError> {
        let PortfolioSpec::Csv { path } = &scenario.portfolio else {
            return Ok(None);
        };
        if let Some(text) = &self.portfolio_csv {
            return Ok(Some((path.clone(), text.clone())));
        }
        match builtin.then(|| scenario::builtin_file(path)).flatten() {
            Some(text) => Ok(Some((path.clone(), text.to_string()))),
            None => Err(ApiError::bad_field(
                "portfolio.csv",
                format!(
                    "{origin}: portfolio.csv = {path:?} names a file, and the server reads no file on a client's request: send the CSV's text as \"portfolio_csv\" in the request"
                ),
            )),
        }
    }
}

impl RunRequest {
    /// The joint-draws CSV the scenario's `[uncertainty]` table names: a built-in's own
    /// file; for a client's TOML the body's `joint_csv`, or else a file compiled in with
    /// the built-ins of that name (never a file on disk).
    fn joint_csv(
        &self,
        scenario: &Scenario,
        origin: &str,
        builtin: bool,
    ) -> Result<Option<(String, String)>, ApiError> {
        let Some(name) = scenario.uncertainty.as_ref().and_then(|u| u.joint.as_ref()) else {
            return Ok(None);
        };
        let refuse = |why: String| {
            Err(ApiError::bad_field(
                "uncertainty.joint",
                format!("{origin}: uncertainty.joint = {name:?}: {why}"),
            ))
        };
        if builtin {
            if self.joint_csv.is_some() {
                return refuse("a built-in scenario uses its own joint draws; send the scenario's TOML text to use others".into());
            }
            return match scenario::builtin_file(name) {
                Some(text) => Ok(Some((name.clone(), text.to_string()))),
                None => refuse("no such built-in file".into()),
            };
        }
        // The CSV is handed to the CLI's reader as a file of this name in a private
        // temporary folder: a plain name cannot lead out of it.
        let plain =
            !name.is_empty() && !name.contains(['/', '\\', ':']) && name != "." && name != "..";
        if !plain {
            return refuse("expected a plain file name (no folders), with the CSV's text sent as \"joint_csv\" in the request".into());
        }
        match (&self.joint_csv, scenario::builtin_file(name)) {
            (Some(text), _) => Ok(Some((name.clone(), text.clone()))),
            (None, Some(text)) => Ok(Some((name.clone(), text.to_string()))),
            (None, None) => refuse("the file is not sent with the request, and the server reads no file on a client's request: send the CSV's text as \"joint_csv\"".into()),
        }
    }
}

/// The written scenario text with the request's replications, seed and uncertainty
/// choice written into it, so that `fundsim run` on it runs exactly `scenario`; the
/// text as given when nothing needs writing (it keeps its comments).
fn self_contained(
    written: &str,
    origin: &str,
    loaded: &Scenario,
    scenario: &Scenario,
) -> Result<String, ApiError> {
    let same_run = loaded.run.replications == scenario.run.replications
        && loaded.run.seed == scenario.run.seed
        && loaded.uncertainty.is_some() == scenario.uncertainty.is_some();
    if same_run {
        return Ok(written.to_string());
    }
    let internal = |e: &dyn std::fmt::Display| {
        ApiError::internal(format!(
            "internal error: the scenario {origin} could not be written back: {e}"
        ))
    };
    let mut document: toml::Table = toml::from_str(written).map_err(|e| internal(&e))?;
    if scenario.uncertainty.is_none() {
        document.remove("uncertainty");
    }
    let run = document
        .entry("run")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(run) = run else {
        return Err(internal(&"[run] is not a table"));
    };
    // Both fit: replications are within the size limits, the seed within MAX_SEED.
    let as_integer = |n: u64| toml::Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    run.insert("replications".into(), as_integer(scenario.run.replications));
    run.insert("seed".into(), as_integer(scenario.run.seed));
    let text = toml::to_string(&document).map_err(|e| internal(&e))?;
    // The text must mean exactly the scenario run, or the download would not reproduce
    // the page's numbers.
    match scenario::parse_str(&text, origin) {
        Ok(reparsed) if &reparsed == scenario => Ok(text),
        Ok(_) => Err(internal(&"it reads back as another scenario")),
        Err(e) => Err(internal(&e)),
    }
}
