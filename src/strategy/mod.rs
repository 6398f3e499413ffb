//! Strategies: an allocation rule (one file each), a timing profile and the grant-size
//! policy shared by all rules.
//!
//! **Information discipline.** A rule receives only [`ProjectView`]s: what a real fund
//! could observe at a call (attributes, current maintainers, backlog, open
//! vulnerabilities, status, past grants). The simulation state itself is private to
//! `crate::model`, so a rule cannot read the future, hidden merit or another
//! replication: the type it receives does not contain them.

mod equal;
mod none;
mod proportional;
mod sizing;
mod timing;

pub use proportional::{ProportionalParams, Score};
pub use sizing::split_by_weights;
pub use timing::Timing;

use serde::{Deserialize, Serialize};

use crate::model::Status;
use crate::rng::SimRng;
use crate::scenario::validate::Checker;
use crate::scenario::{FundParams, StrategyEntry, StrategySpec};

/// What the fund can observe about one project at a call.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectView {
    /// Position in the portfolio.
    pub index: usize,
    pub dependents: f64,
    pub criticality: f64,
    /// Active maintainers now.
    pub maintainers: u32,
    /// Outstanding maintenance work (person-months).
    pub backlog: f64,
    pub open_vulnerabilities: u32,
    pub status: Status,
    /// Money the fund has paid this project so far (EUR).
    pub received_eur: f64,
    /// Grants the fund has made to this project so far.
    pub grants: u32,
}

impl ProjectView {
    /// Only active projects can take a grant: a dormant or abandoned one has nobody to
    /// spend it.
    pub fn eligible(&self) -> bool {
        self.status == Status::Active
    }
}

/// The call being decided.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// 0-based number of the call in the programme.
    pub index: usize,
    /// Month of the call.
    pub month: u32,
    /// Money available in this call, overheads included (EUR).
    pub budget_eur: f64,
    pub fund: &'a FundParams,
}

/// One grant decided at a call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grant {
    pub project: usize,
    /// Money paid to the project (EUR), overhead not included.
    pub amount_eur: f64,
}

impl Grant {
    /// What the grant costs the fund: the amount plus overhead.
    pub fn cost_eur(&self, fund: &FundParams) -> f64 {
        self.amount_eur * (1.0 + fund.overhead_share) + fund.overhead_fixed_eur
    }
}

/// An allocation rule: decides the grants of one call from what the fund observes.
///
/// Implementations must keep the total cost of their grants (amount plus overhead)
/// within `call.budget_eur`; [`split_by_weights`] does this for weight-based rules.
pub trait AllocationRule: Send + Sync {
    /// Appends this call's grants to `grants` (which arrives empty).
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        rng: &mut SimRng,
        grants: &mut Vec<Grant>,
    );
}

/// A validated allocation rule with its parameters, as a scenario names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RuleSpec {
    /// No funding: the baseline every strategy is compared with.
    None,
    /// Each call's budget split equally over the eligible projects.
    Equal,
    /// Shares proportional to a score raised to a power.
    Proportional(ProportionalParams),
}

/// The names a scenario can give in `rule = "…"`.
pub const RULE_NAMES: [&str; 3] = ["none", "equal", "proportional"];

impl RuleSpec {
    /// The rule ready to run.
    pub fn build(&self) -> Box<dyn AllocationRule> {
        match self {
            Self::None => Box::new(none::NoFunding),
            Self::Equal => Box::new(equal::EqualSplit),
            Self::Proportional(params) => Box::new(proportional::ProportionalSplit(params.clone())),
        }
    }

    /// Whether the rule ever pays anything.
    pub fn funds(&self) -> bool {
        !matches!(self, Self::None)
    }
}

/// Validates one `[[strategies]]` entry; problems go to `check`.
pub(crate) fn parse_entry(
    check: &mut Checker,
    index: usize,
    entry: &StrategyEntry,
) -> Option<StrategySpec> {
    let field = |key: &str| format!("strategies[{index}].{key}");
    let Some(rule_name) = entry.rule.as_deref() else {
        check.fail(
            &format!("strategies[{index}]"),
            None,
            format!("needs `rule`, one of {}", RULE_NAMES.join(", ")),
        );
        return None;
    };
    let name = entry.name.clone().unwrap_or_else(|| rule_name.to_string());
    if name.is_empty()
        || name.len() > 64
        || name.chars().any(|c| c.is_control() || c == ',' || c == '"')
    {
        check.fail(
            &field("name"),
            Some(format!("{name:?}")),
            "must be 1 to 64 characters, without commas, quotes or control characters",
        );
    }
    let timing = match entry.timing.as_deref() {
        None => Timing::Even,
        Some(text) => match Timing::from_name(text) {
            Some(timing) => timing,
            None => {
                check.fail(
                    &field("timing"),
                    Some(format!("{text:?}")),
                    format!("must be one of {}", Timing::NAMES.join(", ")),
                );
                Timing::Even
            }
        },
    };
    let params = toml::Value::Table(entry.params.clone());
    let parsed = match rule_name {
        "none" | "equal" => {
            if let Some(key) = entry.params.keys().next() {
                check.fail(
                    &field(key),
                    None,
                    format!("is not a parameter of rule `{rule_name}`, which takes none"),
                );
                return None;
            }
            Some(if rule_name == "none" {
                RuleSpec::None
            } else {
                RuleSpec::Equal
            })
        }
        "proportional" => match params.try_into::<ProportionalParams>() {
            Ok(params) => {
                proportional::check(check, index, &params);
                Some(RuleSpec::Proportional(params))
            }
            Err(error) => {
                check.fail(
                    &format!("strategies[{index}]"),
                    None,
                    format!("rule `proportional`: {}", error.message().trim()),
                );
                None
            }
        },
        other => {
            check.fail(
                &field("rule"),
                Some(format!("{other:?}")),
                format!("must be one of {}", RULE_NAMES.join(", ")),
            );
            None
        }
    };
    parsed.map(|rule| StrategySpec { name, timing, rule })
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A view of an active project with the given usage.
    pub fn view(index: usize, dependents: f64) -> ProjectView {
        ProjectView {
            index,
            dependents,
            criticality: 0.5,
            maintainers: 1,
            backlog: 1.0,
            open_vulnerabilities: 0,
            status: Status::Active,
            received_eur: 0.0,
            grants: 0,
        }
    }
}
