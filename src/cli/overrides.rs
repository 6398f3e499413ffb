//! `--set PATH=VALUE`: a numeric scenario field replaced for one command, so an economist
//! can try a value without editing the file. The replaced scenario passes the same
//! checks as a file ([`scenario::parse_with_overrides`]); the analyses, which vary the
//! scenario text themselves, get the text with the values written into it.

use std::fmt;
use std::str::FromStr;

use super::error::CliError;
use crate::input::LoadedScenario;
use crate::scenario::{self, Scenario};

/// One `--set PATH=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Dotted path, as in a scenario error: `fund.budget_eur`, `strategies[2].power`.
    pub path: String,
    pub value: f64,
}

impl FromStr for Setting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (path, value) = text.split_once('=').ok_or_else(|| {
            format!("{text:?}: expected PATH=VALUE, a numeric scenario field and its value, e.g. fund.budget_eur=15e6")
        })?;
        let path = path.trim();
        if path.is_empty() {
            return Err(format!(
                "{text:?}: the field's dotted path is missing before `=`, e.g. fund.budget_eur=15e6"
            ));
        }
        let value = value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
            .ok_or_else(|| {
                format!("{path}: expected a finite number after `=`, got {value:?} (e.g. {path}=0.5 or {path}=15e6)")
            })?;
        Ok(Self {
            path: path.to_string(),
            value,
        })
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, self.value)
    }
}

/// The text of a loaded scenario: the built-in's, or the file's as it is now.
///
/// # Errors
/// [`CliError::Usage`] when the file cannot be read.
pub fn scenario_text(loaded: &LoadedScenario) -> Result<String, CliError> {
    match loaded
        .origin
        .strip_prefix("built-in:")
        .and_then(scenario::builtin)
    {
        Some(text) => Ok(text.to_string()),
        None => std::fs::read_to_string(&loaded.origin)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", loaded.origin))),
    }
}

/// The scenario of `text` (from `origin`) with `settings` applied, validated as a file
/// is.
///
/// # Errors
/// [`CliError::Usage`] naming the settings and every problem (the field, its value and
/// what is allowed).
pub fn apply(text: &str, origin: &str, settings: &[Setting]) -> Result<Scenario, CliError> {
    let pairs: Vec<(&str, f64)> = settings
        .iter()
        .map(|setting| (setting.path.as_str(), setting.value))
        .collect();
    scenario::parse_with_overrides(text, origin, &pairs).map_err(|error| {
        let given: Vec<String> = settings.iter().map(|s| format!("--set {s}")).collect();
        CliError::Usage(format!("{}: {error}", given.join(" ")))
    })
}

/// `loaded` with `settings` applied to its scenario, and the scenario text with the
/// values written into it (for the analyses, which parse the text at every point). With
/// no settings, both are as loaded.
///
/// # Errors
/// [`CliError::Usage`] for a bad setting or an unreadable file.
pub fn load_with(
    mut loaded: LoadedScenario,
    settings: &[Setting],
) -> Result<(LoadedScenario, String), CliError> {
    let text = scenario_text(&loaded)?;
    if settings.is_empty() {
        return Ok((loaded, text));
    }
    let (scenario, written) = apply_and_write(&text, &loaded.origin, settings)?;
    loaded.scenario = scenario;
    loaded.text.clone_from(&written);
    Ok((loaded, written))
}

/// The scenario of `text` (from `origin`) with `settings` applied, and the text with the
/// values written into it; for a scenario that is not a file or a listed built-in (the
/// facts scenario).
///
/// # Errors
/// [`CliError::Usage`] for a bad setting.
pub fn apply_and_write(
    text: &str,
    origin: &str,
    settings: &[Setting],
) -> Result<(Scenario, String), CliError> {
    let scenario = apply(text, origin, settings)?;
    if settings.is_empty() {
        return Ok((scenario, text.to_string()));
    }
    let written = written_text(text, settings).map_err(CliError::Usage)?;
    // The written text must mean exactly the checked scenario, or an analysis would
    // vary another one than the command line asked for.
    match scenario::parse_str(&written, origin) {
        Ok(reparsed) if reparsed == scenario => Ok((scenario, written)),
        _ => Err(CliError::Failure(format!(
            "internal error: the scenario {origin} with {} could not be written back as a scenario file",
            settings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `text` with each setting written at its path, as
/// [`scenario::parse_with_overrides`] sets it: the last key created if missing, a whole
/// value as an integer unless the field holds a float.
fn written_text(text: &str, settings: &[Setting]) -> Result<String, String> {
    let mut document: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    for setting in settings {
        scenario::set_path(&mut document, &setting.path, setting.value)
            .map_err(|problem| format!("--set {setting}: {problem}"))?;
    }
    toml::to_string(&document).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn stf() -> LoadedScenario {
        let text = scenario::builtin("stf").unwrap();
        LoadedScenario {
            scenario: scenario::parse_str(text, "built-in:stf").unwrap(),
            origin: "built-in:stf".into(),
            base_dir: PathBuf::from("."),
            text: text.to_string(),
        }
    }

    fn settings(texts: &[&str]) -> Vec<Setting> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn settings_parse_as_path_and_finite_number() {
        let setting: Setting = "strategies[2].power=0.5".parse().unwrap();
        assert_eq!(setting.path, "strategies[2].power");
        assert_eq!(setting.value, 0.5);
        assert_eq!(setting.to_string(), "strategies[2].power=0.5");
        for (bad, says) in [
            ("fund.budget_eur", "PATH=VALUE"),
            ("=5", "path is missing"),
            ("fund.budget_eur=lots", "expected a finite number"),
            ("fund.budget_eur=inf", "expected a finite number"),
            ("fund.budget_eur=NaN", "expected a finite number"),
        ] {
            let error = bad.parse::<Setting>().expect_err(bad);
            assert!(error.contains(says), "{bad}: {error}");
        }
        let error = "fund.budget_eur=lots".parse::<Setting>().unwrap_err();
        assert!(error.contains("fund.budget_eur"), "{error}");
    }

    #[test]
    fn settings_change_the_scenario_and_the_text_alike() {
        let (loaded, text) = load_with(
            stf(),
            &settings(&[
                "fund.budget_eur=15e6",
                "strategies[3].power=0.5",
                "model.cliff_months=3",
            ]),
        )
        .unwrap();
        assert_eq!(loaded.scenario.fund.budget_eur, 15e6);
        assert_eq!(loaded.scenario.model.cliff_months, 3);
        assert_ne!(loaded.scenario.hash(), stf().scenario.hash());
        let reparsed = scenario::parse_str(&text, "built-in:stf").unwrap();
        assert_eq!(reparsed, loaded.scenario);
    }

    #[test]
    fn no_settings_leave_scenario_and_text_untouched() {
        let (loaded, text) = load_with(stf(), &[]).unwrap();
        assert_eq!(loaded.scenario, stf().scenario);
        assert_eq!(text, scenario::builtin("stf").unwrap());
    }

    #[test]
    fn bad_settings_are_bad_input_naming_the_key() {
        for (bad, names) in [
            ("fund.budget_eur=-5", "fund.budget_eur"),
            ("model.atrition_hazard=0.1", "atrition_hazard"),
            ("strategies[9].power=1", "strategies[9].power"),
            ("model.cliff_months=2.5", "cliff_months"),
        ] {
            match load_with(stf(), &settings(&[bad])) {
                Err(CliError::Usage(message)) => {
                    assert!(message.contains(names), "{bad}: {message}");
                    assert!(message.starts_with(&format!("--set {bad}: ")), "{message}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
