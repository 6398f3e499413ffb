//! Strategies: an allocation rule (one file each), a timing profile and the grant-size
//! policy shared by all rules. A rule sees only what `crate::fund` gives it (see there for
//! the information discipline).
//!
//! A rule is a type implementing [`Rule`] in its own file, registered by one line in the
//! `register!` list below; [`RuleSpec`], the rule names, parsing, the brief's words and
//! the docs table ([`rules_table`]) all come from that list. The parameter types of the
//! older rules are re-exported for the library's users; a new rule needs no such line.

mod docs;
mod registry;
mod rule;
mod sizing;

// One line per rule: its module and the type that implements `Rule`. Everything that
// lists, parses, describes or documents rules reads this list.
registry::register! {
    none::NoFunding,
    equal::EqualSplit,
    proportional::ProportionalSplit,
    risk_targeted::RiskTargeted,
    competitive::OpenCall,
    lottery::Lottery,
    quadratic::QuadraticFunding,
    milestone::Milestones,
    fixed::FixedGrants,
    matching::Matching,
    audit::Audits,
    bug_bounty::BugBounties,
    fellowship::Fellowships,
    onboarding::Onboarding,
    mix::Mix,
    policy::Policy,
}

pub use competitive::CompetitiveParams;
pub use docs::{ParameterDescription, RuleDescription};
pub use fixed::FixedParams;
pub use lottery::LotteryParams;
pub use milestone::MilestoneParams;
pub use policy::search::{POLICY_SEARCH_RANGES, SearchDimension};
pub use policy::{PolicyBuy, PolicyParams, PolicyWeights, RECEIVED_UNIT_EUR};
pub use proportional::{ProportionalParams, Score};
pub use quadratic::{QuadraticParams, quadratic_match};
pub use registry::RuleSpec;
pub use risk_targeted::RiskTargetedParams;
pub use rule::{ParamCheck, Parameter, Rule};
pub use sizing::split_by_weights;

use serde::{Deserialize, Deserializer, Serialize, de};

pub use crate::fund::{
    AllocationRule, Call, Decision, Grant, ProjectView, Purchase, Review, Status,
};
use crate::params::{Checker, Timing};
use registry::RuleKind;

// What reads the list of rules lives here, beside the list, rather than in the registry's
// files: they import nothing from this module, so imports between files run one way.

/// The registered rule called `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static dyn RuleKind> {
    RULES.iter().copied().find(|kind| kind.name() == name)
}

/// The names a scenario can give in `rule = "…"`, in the registry's order.
pub fn rule_names() -> Vec<&'static str> {
    RULES.iter().map(|kind| kind.name()).collect()
}

/// The Markdown table of every rule, its parameters, their defaults (from serde, as a
/// scenario gets them), the values allowed and what they mean.
pub fn rules_table() -> String {
    docs::table_of(RULES)
}

/// What the table of [`rules_table`] says, as data (for `fundsim serve`'s form).
pub fn rule_descriptions() -> Vec<RuleDescription> {
    docs::descriptions_of(RULES)
}

impl RuleSpec {
    /// A rule as recorded in a manifest: its name under `rule` and its parameters.
    ///
    /// # Errors
    /// When the name is not a registered rule or the parameters do not fit it.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let mut params = value
            .as_object()
            .ok_or("a rule is a table with `rule` and its parameters")?
            .clone();
        let name = match params.remove("rule") {
            Some(serde_json::Value::String(name)) => name,
            _ => return Err("a rule needs `rule`, its name".into()),
        };
        let kind = lookup(&name).ok_or_else(|| format!("no rule is called `{name}`"))?;
        kind.with_params(serde_json::Value::Object(params))
    }
}

impl<'de> Deserialize<'de> for RuleSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Self::from_json(&value).map_err(de::Error::custom)
    }
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

/// Validates one `[[strategies]]` entry; problems go to `check`. `plain` rewords serde's
/// messages for a scenario's author (`expected f64` becomes `expected a number`).
pub(crate) fn parse_entry(
    check: &mut Checker,
    index: usize,
    entry: &StrategyEntry,
    plain: fn(&str) -> String,
) -> Option<StrategySpec> {
    let field = |key: &str| format!("strategies[{index}].{key}");
    let names = || rule_names().join(", ");
    let Some(rule_name) = entry.rule.as_deref() else {
        check.fail(
            &format!("strategies[{index}]"),
            None,
            format!("needs `rule`, one of {}", names()),
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
    let Some(kind) = lookup(rule_name) else {
        check.fail(
            &field("rule"),
            Some(format!("{rule_name:?}")),
            format!("must be one of {}", names()),
        );
        return None;
    };
    let mut params = ParamCheck::new(check, index, &name, kind.name(), check_nested_rule);
    let rule = kind.parse(&entry.params, &mut params, plain)?;
    // A policy's `call_shares` are its timing (docs/strategies.md, `policy`).
    let written = entry.timing.as_deref().and_then(Timing::from_name);
    let timing = policy::timing_for(&rule, written, timing).unwrap_or_else(|problem| {
        let value = entry.timing.as_deref().map(|t| format!("{t:?}"));
        check.fail(&field("timing"), value, problem);
        timing
    });
    Some(StrategySpec { name, timing, rule })
}

/// Checks a rule written at `part` (`parts[1]`) of another rule's parameters: the rule
/// it names and, by that rule's own parsing, its parameters, under their full keys.
fn check_nested_rule(part: &str, table: &toml::Table, check: &mut ParamCheck) {
    let mut params = table.clone();
    let names = || rule_names().join(", ");
    let kind = match params.remove("rule") {
        Some(toml::Value::String(name)) => match lookup(&name) {
            Some(kind) => kind,
            None => {
                let problem = format!("must be one of {}", names());
                check.fail(&format!("{part}.rule"), Some(format!("{name:?}")), problem);
                return;
            }
        },
        Some(other) => {
            let problem = format!("must be a rule's name, one of {}", names());
            check.fail(&format!("{part}.rule"), Some(other.to_string()), problem);
            return;
        }
        None => {
            check.fail(part, None, format!("needs `rule`, one of {}", names()));
            return;
        }
    };
    let plain = check.plain();
    let _ = kind.parse(&params, &mut check.nested(part, kind.name()), plain);
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::rng::{Purpose, stream};

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
            other_funding_eur_per_month: 0.0,
        }
    }

    /// Call number `index` (one a year, the first at month 0) with `budget_eur` to spend.
    pub fn call(fund: &crate::params::FundParams, index: usize, budget_eur: f64) -> Call<'_> {
        Call {
            index,
            month: 12 * index as u32,
            budget_eur,
            fund,
        }
    }

    /// The grants a rule makes at a call, with merit equal for every project.
    pub fn decide(rule: &dyn AllocationRule, call: &Call, projects: &[ProjectView]) -> Vec<Grant> {
        decide_with(rule, call, projects, &vec![0.0; projects.len()], 1).grants
    }

    /// The decision of a rule with the given hidden merit and fund-stream replication.
    pub fn decide_with(
        rule: &dyn AllocationRule,
        call: &Call,
        projects: &[ProjectView],
        merit: &[f64],
        replication: u64,
    ) -> Decision {
        let mut decision = Decision::default();
        let review = Review::new(merit);
        rule.allocate(
            call,
            projects,
            &review,
            &mut stream(1, replication, 0, Purpose::Fund),
            &mut decision,
        );
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{decide_with, view};
    use super::*;
    use crate::params::FundParams;

    /// Every registered rule with its default parameters (plus those it requires), as a
    /// scenario would give it.
    fn every_rule() -> Vec<RuleSpec> {
        let mut check = Checker::new("");
        let rules: Vec<RuleSpec> = RULES
            .iter()
            .enumerate()
            .filter_map(|(index, kind)| {
                let text = format!("rule = \"{}\"\n{}", kind.name(), kind.example());
                let entry: StrategyEntry = toml::from_str(&text).unwrap();
                parse_entry(&mut check, index, &entry, str::to_string).map(|s| s.rule)
            })
            .collect();
        assert_eq!(rules.len(), rule_names().len(), "every rule parses");
        rules
    }

    /// For every rule: grants only to eligible (active) projects, each within the fund's
    /// minimum and maximum, and the call's cost (grants plus overhead) within its budget.
    #[test]
    fn every_rule_respects_eligibility_grant_sizes_and_the_call_budget() {
        let fund = FundParams {
            min_grant_eur: 20_000.0,
            max_grant_eur: 300_000.0,
            ..FundParams::default()
        };
        let mut projects: Vec<ProjectView> =
            (0..30).map(|i| view(i, 100.0 * (1.0 + i as f64))).collect();
        for (i, project) in projects.iter_mut().enumerate() {
            project.criticality = (i as f64 + 1.0) / 30.0;
            project.maintainers = 1 + (i % 3) as u32;
            project.backlog = (i % 7) as f64;
            project.other_funding_eur_per_month = 5_000.0 * (i % 4) as f64;
            match i % 5 {
                1 => project.status = Status::Dormant,
                3 => project.status = Status::Abandoned,
                _ => {}
            }
        }
        let merit: Vec<f64> = (0..30).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        for rule in every_rule() {
            let built = rule.build();
            for (budget, replication) in [(2_000_000.0, 1), (150_000.0, 2), (10_000.0, 3)] {
                let call = Call {
                    index: 0,
                    month: 0,
                    budget_eur: budget,
                    fund: &fund,
                };
                let decision = decide_with(built.as_ref(), &call, &projects, &merit, replication);
                let cost: f64 = decision.grants.iter().map(|g| g.cost_eur(&fund)).sum();
                assert!(
                    cost <= budget * (1.0 + 1e-12),
                    "{rule:?}: cost {cost} above {budget}"
                );
                for grant in &decision.grants {
                    assert!(
                        projects[grant.project].eligible(),
                        "{rule:?}: grant to an ineligible project"
                    );
                    assert!(
                        grant.amount_eur >= fund.min_grant_eur - 1e-6
                            && grant.amount_eur <= fund.max_grant_eur + 1e-6,
                        "{rule:?}: grant of {} outside the fund's sizes",
                        grant.amount_eur
                    );
                }
                assert!(
                    decision
                        .application_effort
                        .iter()
                        .all(|&(p, _)| projects[p].eligible())
                );
                if rule.funds() && budget >= 2_000_000.0 {
                    assert!(
                        !decision.grants.is_empty(),
                        "{rule:?} funds something with a large budget"
                    );
                }
            }
        }
    }
}
