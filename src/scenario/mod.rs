//! Scenario files: the serde types of the TOML format, their defaults, and validation
//! into a [`Scenario`] the engine can trust.
//!
//! Parsing is two-stage (STYLE.md, practice 3): [`parse_str`] deserializes the raw
//! [`ScenarioFile`] (unknown fields are errors) and then validates every numeric range and
//! every cross-field rule, collecting all problems into one [`ScenarioError`]. No I/O
//! happens here; reading files is the caller's job (`crate::input`).

mod builtin;
mod error;
pub(crate) mod validate;

pub use builtin::{BUILTIN_SCENARIOS, builtin, template};
pub use error::{Issue, ScenarioError};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::ModelParams;
use crate::strategy::{RuleSpec, Timing};

/// A scenario file as written, before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub fund: FundParams,
    #[serde(default)]
    pub portfolio: PortfolioFile,
    #[serde(default)]
    pub model: ModelParams,
    #[serde(default)]
    pub strategies: Vec<StrategyEntry>,
    #[serde(default)]
    pub run: RunParams,
    /// Uncertain inputs for `fundsim sensitivity` (optional).
    pub sensitivity: Option<crate::sensitivity::spec::SensitivityFile>,
}

/// The fund: its money, its programme and what running it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundParams {
    /// Total budget of the programme (EUR), overheads included.
    pub budget_eur: f64,
    /// Months during which the fund makes calls.
    pub programme_months: u32,
    /// Months simulated in all; the months after the programme show what funding leaves.
    pub horizon_months: u32,
    /// Months between two calls (decision points); the first call is in month 0.
    pub call_interval_months: u32,
    /// Fully loaded cost of one person-month of maintenance (EUR).
    pub person_month_eur: f64,
    /// Fund overhead per grant, fixed part (EUR).
    pub overhead_fixed_eur: f64,
    /// Fund overhead per grant, as a share of the grant.
    pub overhead_share: f64,
    /// Length of a grant (months): its money is planned to be spent over this time.
    pub grant_duration_months: u32,
    /// Smallest grant the fund makes (EUR); smaller shares are not paid.
    pub min_grant_eur: f64,
    /// Largest grant the fund makes in one call (EUR).
    pub max_grant_eur: f64,
    /// Whether money a project still holds when it is abandoned returns to the fund.
    pub clawback_on_abandonment: bool,
    /// Real annual return of the invested budget under the `endowment` timing.
    pub endowment_real_return: f64,
}

impl Default for FundParams {
    fn default() -> Self {
        Self {
            budget_eur: 24_600_000.0,
            programme_months: 48,
            horizon_months: 120,
            call_interval_months: 12,
            person_month_eur: 9_200.0,
            overhead_fixed_eur: 10_000.0,
            overhead_share: 0.05,
            grant_duration_months: 18,
            min_grant_eur: 50_000.0,
            max_grant_eur: 1_000_000.0,
            clawback_on_abandonment: false,
            endowment_real_return: 0.04,
        }
    }
}

/// The `[portfolio]` table as written: either a CSV path or synthetic distributions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioFile {
    /// Path of a portfolio CSV, relative to the scenario file.
    pub csv: Option<String>,
    pub projects: Option<u32>,
    pub dependents_median: Option<f64>,
    pub dependents_sigma_log: Option<f64>,
    pub maintainers_one_share: Option<f64>,
    pub maintainers_two_share: Option<f64>,
    pub maintainers_extra_mean: Option<f64>,
    pub volunteer_hours: Option<f64>,
    pub volunteer_hours_sigma_log: Option<f64>,
    pub backlog_months: Option<f64>,
    pub absorption_base_pm: Option<f64>,
    pub absorption_per_maintainer_pm: Option<f64>,
    pub baseline_funding_eur: Option<f64>,
    pub redraw_per_replication: Option<bool>,
}

/// Distributions a synthetic portfolio is drawn from (MODEL.md, "The portfolio").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticPortfolio {
    /// Number of projects.
    pub projects: u32,
    /// Median of the log-normal number of dependents.
    pub dependents_median: f64,
    /// σ of log(dependents).
    pub dependents_sigma_log: f64,
    /// Share of projects with one maintainer at month 0.
    pub maintainers_one_share: f64,
    /// Share with two maintainers; the rest have three plus a geometric extra.
    pub maintainers_two_share: f64,
    /// Mean of the extra maintainers beyond three, for teams of three or more.
    pub maintainers_extra_mean: f64,
    /// Median unpaid hours per maintainer per month.
    pub volunteer_hours: f64,
    /// σ of log(volunteer hours) across projects.
    pub volunteer_hours_sigma_log: f64,
    /// Mean initial backlog, in months of the project's arriving work.
    pub backlog_months: f64,
    /// Absorption (PM/month) of a project, before its maintainers are counted.
    pub absorption_base_pm: f64,
    /// Absorption (PM/month) each initial maintainer adds.
    pub absorption_per_maintainer_pm: f64,
    /// EUR per month every project already gets from elsewhere.
    pub baseline_funding_eur: f64,
    /// Draw a new portfolio for every replication (portfolio uncertainty).
    pub redraw_per_replication: bool,
}

impl Default for SyntheticPortfolio {
    fn default() -> Self {
        Self {
            projects: 62,
            dependents_median: 3_000.0,
            dependents_sigma_log: 2.0,
            maintainers_one_share: 0.46,
            maintainers_two_share: 0.28,
            maintainers_extra_mean: 2.0,
            volunteer_hours: 20.0,
            volunteer_hours_sigma_log: 0.3,
            backlog_months: 3.0,
            absorption_base_pm: 0.5,
            absorption_per_maintainer_pm: 1.0,
            baseline_funding_eur: 0.0,
            redraw_per_replication: false,
        }
    }
}

/// Where the projects come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortfolioSpec {
    Synthetic(SyntheticPortfolio),
    /// A portfolio CSV; the path as written in the scenario (relative to its file).
    Csv {
        path: String,
    },
}

/// One `[[strategies]]` entry as written: common keys plus the rule's own parameters.
#[derive(Debug, Clone, Deserialize)]
pub struct StrategyEntry {
    pub name: Option<String>,
    pub rule: Option<String>,
    pub timing: Option<String>,
    /// Everything else: the rule's parameters, checked by the rule itself.
    #[serde(flatten)]
    pub params: toml::Table,
}

/// A validated strategy: a named allocation rule with its timing profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategySpec {
    pub name: String,
    pub timing: Timing,
    pub rule: RuleSpec,
}

/// The `[run]` table: how many replications and from which seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunParams {
    pub replications: u64,
    pub seed: u64,
}

impl Default for RunParams {
    fn default() -> Self {
        Self {
            replications: 1_000,
            seed: 20_261_128,
        }
    }
}

/// A validated scenario: every field in range, strategies resolved to rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub fund: FundParams,
    pub portfolio: PortfolioSpec,
    pub model: ModelParams,
    /// The strategies; the `none` baseline is always first.
    pub strategies: Vec<StrategySpec>,
    pub run: RunParams,
    /// The `[sensitivity]` table, when given (not part of the hash of a scenario without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<crate::sensitivity::SensitivitySpec>,
}

impl Scenario {
    /// SHA-256 of the scenario as validated (canonical JSON), in hex: two files that
    /// mean the same scenario have the same hash.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("a scenario always serializes");
        let digest = Sha256::digest(&json);
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The most calls any strategy makes (the size of the allocation tables).
    pub fn max_calls(&self) -> usize {
        self.strategies
            .iter()
            .map(|s| s.timing.call_months(&self.fund).len())
            .max()
            .unwrap_or(0)
    }

    /// Index of the `none` baseline strategy (always present after validation).
    pub fn baseline_index(&self) -> usize {
        self.strategies
            .iter()
            .position(|s| matches!(s.rule, RuleSpec::None))
            .unwrap_or(0)
    }
}

/// Parses and validates scenario text. `origin` names the file (or built-in) in errors.
///
/// # Errors
/// A [`ScenarioError`] listing every syntax, type, unknown-field and range problem.
pub fn parse_str(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let file: ScenarioFile = toml::from_str(text).map_err(|error| ScenarioError {
        origin: origin.to_string(),
        issues: vec![validate::issue_from_toml(text, &error)],
    })?;
    validate::validate(file, text, origin)
}

/// Parses scenario text with numeric fields replaced, each named by its dotted path
/// (`fund.budget_eur`, `model.attrition_hazard`, `strategies[2].power`), then validates
/// the result. Sweeps, sensitivity analyses and calibration vary a scenario this way, so
/// every variant passes the same checks as a file.
///
/// # Errors
/// A [`ScenarioError`] naming the path when it does not lead to a field of the
/// scenario format, or when a value is out of range.
pub fn parse_with_overrides(
    text: &str,
    origin: &str,
    overrides: &[(&str, f64)],
) -> Result<Scenario, ScenarioError> {
    let fail = |field: &str, problem: String| ScenarioError {
        origin: origin.to_string(),
        issues: vec![Issue {
            field: field.to_string(),
            line: None,
            value: None,
            problem,
        }],
    };
    let mut document: toml::Table = toml::from_str(text).map_err(|error| ScenarioError {
        origin: origin.to_string(),
        issues: vec![validate::issue_from_toml(text, &error)],
    })?;
    for &(path, value) in overrides {
        set_path(&mut document, path, value).map_err(|problem| fail(path, problem))?;
    }
    let file = ScenarioFile::deserialize(toml::Value::Table(document))
        .map_err(|error| fail("", format!("after overrides: {}", error.message().trim())))?;
    validate::validate(file, text, origin)
}

/// Sets the number at a dotted path, creating the last key if the table lacks it (so a
/// default can be overridden). Integer fields get an integer when the value is whole.
fn set_path(document: &mut toml::Table, path: &str, value: f64) -> Result<(), String> {
    let mut table = document;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => {
                let index = rest
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .map_err(|_| format!("bad index in {part:?}"))?;
                (key, Some(index))
            }
            None => (part, None),
        };
        if parts.peek().is_none() {
            if index.is_some() {
                return Err("the path must end at a field, not an array entry".into());
            }
            let number = if value.fract() == 0.0
                && value.abs() < 9e15
                && table.get(key).is_none_or(toml::Value::is_integer)
            {
                toml::Value::Integer(value as i64)
            } else {
                toml::Value::Float(value)
            };
            table.insert(key.to_string(), number);
            return Ok(());
        }
        let entry = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let entry = match index {
            Some(index) => entry
                .as_array_mut()
                .and_then(|array| array.get_mut(index))
                .ok_or_else(|| format!("`{key}` has no entry {index}"))?,
            None => entry,
        };
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{key}` is not a table"))?;
    }
    Err("empty path".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_change_fields_by_path_and_are_validated() {
        let text = builtin("stf").unwrap();
        let scenario = parse_with_overrides(
            text,
            "stf",
            &[
                ("fund.budget_eur", 5e6),
                ("strategies[4].power", 2.0),
                ("model.cliff_months", 3.0),
            ],
        )
        .unwrap();
        assert_eq!(scenario.fund.budget_eur, 5e6);
        assert_eq!(scenario.model.cliff_months, 3);
        assert!(
            matches!(&scenario.strategies[4].rule, crate::strategy::RuleSpec::Proportional(p) if p.power == 2.0)
        );
        let error =
            parse_with_overrides(text, "stf", &[("model.attrition_hazard", -1.0)]).unwrap_err();
        assert_eq!(error.issues[0].field, "model.attrition_hazard");
        let error =
            parse_with_overrides(text, "stf", &[("model.atrition_hazard", 0.1)]).unwrap_err();
        assert!(error.to_string().contains("atrition_hazard"), "{error}");
        assert!(parse_with_overrides(text, "stf", &[("strategies[9].power", 1.0)]).is_err());
    }
}
