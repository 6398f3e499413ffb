//! The policy family as the optimiser sees it: its searchable dimensions with their
//! documented ranges, setting them by key, and writing a policy as a `[[strategies]]`
//! entry or running it as a strategy.

use serde::Serialize;

use super::Policy;
use super::params::PolicyParams;
use crate::params::Timing;
use crate::strategy::{Rule, RuleSpec};

/// One continuous or whole-number dimension of the policy family as the optimiser
/// searches it: the parameter's dotted key, the documented search range and whether it
/// takes whole numbers. The ranges are narrower than what `check` accepts: they are where
/// a sensible policy lies (assumption), not what is valid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchDimension {
    pub key: &'static str,
    pub low: f64,
    pub high: f64,
    pub integer: bool,
    pub meaning: &'static str,
}

/// The policy's searchable scalar dimensions, set with [`PolicyParams::set`]. The two
/// simplexes are apart: `call_shares` (one share per call of the fund, each 0–1, sum 1)
/// and `buy` (four shares, sum 1).
pub const POLICY_SEARCH_RANGES: &[SearchDimension] = &[
    SearchDimension {
        key: "weights.dependents",
        low: 0.0,
        high: 2.0,
        integer: false,
        meaning: "exponent of dependents",
    },
    SearchDimension {
        key: "weights.criticality",
        low: 0.0,
        high: 2.0,
        integer: false,
        meaning: "exponent of criticality",
    },
    SearchDimension {
        key: "weights.maintainers",
        low: -2.0,
        high: 1.0,
        integer: false,
        meaning: "exponent of 1 + maintainers",
    },
    SearchDimension {
        key: "weights.backlog",
        low: -1.0,
        high: 2.0,
        integer: false,
        meaning: "exponent of 1 + backlog (person-months)",
    },
    SearchDimension {
        key: "weights.open_vulnerabilities",
        low: -1.0,
        high: 2.0,
        integer: false,
        meaning: "exponent of 1 + open vulnerabilities",
    },
    SearchDimension {
        key: "weights.received",
        low: -2.0,
        high: 1.0,
        integer: false,
        meaning: "exponent of 1 + received EUR / 100,000",
    },
    SearchDimension {
        key: "min_amount_eur",
        low: 0.0,
        high: 300_000.0,
        integer: false,
        meaning: "smallest grant at a call (EUR)",
    },
    SearchDimension {
        key: "max_share",
        low: 0.02,
        high: 1.0,
        integer: false,
        meaning: "largest share of a call's money per project",
    },
    SearchDimension {
        key: "max_maintainers",
        low: 1.0,
        high: 10.0,
        integer: true,
        meaning: "eligible with at most this many maintainers",
    },
    SearchDimension {
        key: "min_dependents",
        low: 0.0,
        high: 10_000.0,
        integer: false,
        meaning: "eligible with at least this many dependents",
    },
    SearchDimension {
        key: "max_projects",
        low: 1.0,
        high: 100.0,
        integer: true,
        meaning: "fund at most this many projects per call",
    },
    SearchDimension {
        key: "grant_months",
        low: 6.0,
        high: 48.0,
        integer: true,
        meaning: "months a maintenance grant is spent over",
    },
];

impl PolicyParams {
    /// Sets the scalar parameter `key` (one of [`POLICY_SEARCH_RANGES`]' keys) to `value`;
    /// whole-number parameters are rounded to the nearest whole number. Values are not
    /// range-checked here: parsing the written entry checks them.
    ///
    /// # Errors
    /// When `key` is not one of the scalar dimensions.
    pub fn set(&mut self, key: &str, value: f64) -> Result<(), String> {
        let whole = || value.round().clamp(0.0, f64::from(u32::MAX)) as u32;
        let w = &mut self.weights;
        match key {
            "weights.dependents" => w.dependents = value,
            "weights.criticality" => w.criticality = value,
            "weights.maintainers" => w.maintainers = value,
            "weights.backlog" => w.backlog = value,
            "weights.open_vulnerabilities" => w.open_vulnerabilities = value,
            "weights.received" => w.received = value,
            "min_amount_eur" => self.min_amount_eur = Some(value),
            "max_share" => self.max_share = Some(value),
            "max_maintainers" => self.max_maintainers = Some(whole()),
            "min_dependents" => self.min_dependents = Some(value),
            "max_projects" => self.max_projects = Some(whole()),
            "grant_months" => self.grant_months = Some(whole()),
            _ => {
                let keys: Vec<&str> = POLICY_SEARCH_RANGES.iter().map(|d| d.key).collect();
                return Err(format!(
                    "`{key}` is not a scalar parameter of rule `policy`; they are {}",
                    keys.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// The value of scalar parameter `key`; `None` when it is not set (or not a key).
    pub fn get(&self, key: &str) -> Option<f64> {
        let w = &self.weights;
        match key {
            "weights.dependents" => Some(w.dependents),
            "weights.criticality" => Some(w.criticality),
            "weights.maintainers" => Some(w.maintainers),
            "weights.backlog" => Some(w.backlog),
            "weights.open_vulnerabilities" => Some(w.open_vulnerabilities),
            "weights.received" => Some(w.received),
            "min_amount_eur" => self.min_amount_eur,
            "max_share" => self.max_share,
            "max_maintainers" => self.max_maintainers.map(f64::from),
            "min_dependents" => self.min_dependents,
            "max_projects" => self.max_projects.map(f64::from),
            "grant_months" => self.grant_months.map(f64::from),
            _ => None,
        }
    }

    /// The timing the policy runs with: `front_loaded` when it has `call_shares` (they
    /// are its timing), else `otherwise`.
    pub fn timing_or(&self, otherwise: Timing) -> Timing {
        if self.call_shares.is_some() {
            Timing::FrontLoaded
        } else {
            otherwise
        }
    }

    /// The policy as a rule.
    pub fn rule_spec(&self) -> RuleSpec {
        RuleSpec::new::<Policy>(self.clone())
    }

    /// The policy as one `[[strategies]]` table: `name`, `rule = "policy"`, `timing`
    /// (`timing_or(otherwise)`) and the parameters that are set.
    ///
    /// # Errors
    /// Only if a value has no TOML form (never for a policy that passes its checks).
    pub fn to_strategy_table(&self, name: &str, otherwise: Timing) -> Result<toml::Table, String> {
        let mut table = toml::Table::new();
        table.insert("name".into(), name.into());
        table.insert("rule".into(), Policy::NAME.into());
        table.insert("timing".into(), self.timing_or(otherwise).name().into());
        let params = toml::Table::try_from(self).map_err(|e| e.to_string())?;
        table.extend(params);
        Ok(table)
    }

    /// The policy as the text of a scenario's `[[strategies]]` entry, which
    /// `fundsim run` reads back to the same rule (a test checks it).
    ///
    /// # Errors
    /// As [`Self::to_strategy_table`].
    pub fn to_strategies_toml(&self, name: &str, otherwise: Timing) -> Result<String, String> {
        // A struct rather than a `toml::Table`, whose keys come out sorted: the entry
        // reads name, rule, timing, then the parameters in their documented order.
        #[derive(Serialize)]
        struct Entry<'a> {
            name: &'a str,
            rule: &'static str,
            timing: &'static str,
            #[serde(flatten)]
            params: &'a PolicyParams,
        }
        #[derive(Serialize)]
        struct Entries<'a> {
            strategies: [Entry<'a>; 1],
        }
        let entries = Entries {
            strategies: [Entry {
                name,
                rule: Policy::NAME,
                timing: self.timing_or(otherwise).name(),
                params: self,
            }],
        };
        toml::to_string(&entries).map_err(|e| e.to_string())
    }
}
