//! Strategies: an allocation rule (one file each), a timing profile and the grant-size
//! policy shared by all rules. A rule sees only what `crate::fund` gives it (see there for
//! the information discipline).

mod competitive;
mod equal;
mod fixed;
mod lottery;
mod milestone;
mod none;
mod proportional;
mod quadratic;
mod risk_targeted;
mod sizing;

pub use competitive::CompetitiveParams;
pub use fixed::FixedParams;
pub use lottery::LotteryParams;
pub use milestone::MilestoneParams;
pub use proportional::{ProportionalParams, Score};
pub use quadratic::{QuadraticParams, quadratic_match};
pub use risk_targeted::RiskTargetedParams;
pub use sizing::split_by_weights;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::fund::{AllocationRule, Call, Decision, Grant, ProjectView, Review, Status};
use crate::params::{Checker, Timing};

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
    /// Greedy: each next euro where it cuts the observable usage-weighted risk most.
    RiskTargeted(RiskTargetedParams),
    /// An open call: applications, noisy review, ranking, requested sizes.
    Competitive(CompetitiveParams),
    /// Partial randomisation: a quality threshold, then a draw.
    Lottery(LotteryParams),
    /// A matching pool split by quadratic funding of community contributions.
    Quadratic(QuadraticParams),
    /// Grants in tranches, withheld from projects that went dormant.
    Milestone(MilestoneParams),
    /// A given list of grants at the first call, the rest spread like them.
    Fixed(FixedParams),
}

/// The names a scenario can give in `rule = "…"`.
pub const RULE_NAMES: [&str; 9] = [
    "none",
    "equal",
    "proportional",
    "risk_targeted",
    "competitive",
    "lottery",
    "quadratic",
    "milestone",
    "fixed",
];

impl RuleSpec {
    /// The rule ready to run.
    pub fn build(&self) -> Box<dyn AllocationRule> {
        match self {
            Self::None => Box::new(none::NoFunding),
            Self::Equal => Box::new(equal::EqualSplit),
            Self::Proportional(params) => Box::new(proportional::ProportionalSplit(params.clone())),
            Self::RiskTargeted(params) => Box::new(risk_targeted::RiskTargeted(params.clone())),
            Self::Competitive(params) => Box::new(competitive::OpenCall(params.clone())),
            Self::Lottery(params) => Box::new(lottery::Lottery(params.clone())),
            Self::Quadratic(params) => Box::new(quadratic::QuadraticFunding(params.clone())),
            Self::Milestone(params) => Box::new(milestone::Milestones(params.clone())),
            Self::Fixed(params) => Box::new(fixed::FixedGrants(params.clone())),
        }
    }

    /// Whether the rule ever pays anything.
    pub fn funds(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// A one-line description with the parameters, for `validate` and the brief.
    pub fn describe(&self) -> String {
        match self {
            Self::None => "none (the baseline every strategy is paired with)".into(),
            Self::Equal => "equal split over active projects".into(),
            Self::Proportional(p) => format!("proportional to {} ^ {}", p.score.name(), p.power),
            Self::RiskTargeted(p) => {
                format!("risk-targeted, greedy in steps of EUR {}", p.step_eur)
            }
            Self::Competitive(p) => format!(
                "open call: {:.0}% apply at {} PM each, review noise {}, requests median EUR {}",
                100.0 * p.application_probability,
                p.application_cost_pm,
                p.review_noise,
                p.request_median_eur
            ),
            Self::Lottery(p) => format!(
                "lottery among the top {:.0}% by review (noise {}), EUR {} each",
                100.0 * (1.0 - p.threshold),
                p.review_noise,
                p.grant_eur
            ),
            Self::Quadratic(p) => format!(
                "quadratic funding: {} contributors at reference usage, median EUR {}",
                p.contributors_base, p.contribution_median_eur
            ),
            Self::Milestone(p) => format!(
                "milestones: {} tranches, shares by {} ^ {}",
                p.tranches,
                p.score.name(),
                p.power
            ),
            Self::Fixed(p) => format!(
                "{} fixed grants (EUR {:.0} in all) at the first call{}",
                p.amounts_eur.len(),
                p.amounts_eur.iter().sum::<f64>(),
                if p.spread_rest {
                    ", the rest spread like them"
                } else {
                    ""
                }
            ),
        }
    }
}

/// Deserializes a rule's parameters from the entry's extra keys, reporting problems.
fn parse_params<P: DeserializeOwned>(
    check: &mut Checker,
    index: usize,
    rule: &str,
    params: &toml::Table,
) -> Option<P> {
    match toml::Value::Table(params.clone()).try_into::<P>() {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            check.fail(
                &format!("strategies[{index}]"),
                None,
                format!("rule `{rule}`: {}", error.message().trim()),
            );
            None
        }
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
    let params = &entry.params;
    let parsed = match rule_name {
        "none" | "equal" => {
            if let Some(key) = params.keys().next() {
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
        "proportional" => parse_params(check, index, rule_name, params).map(|p| {
            proportional::check(check, index, &p);
            RuleSpec::Proportional(p)
        }),
        "risk_targeted" => parse_params(check, index, rule_name, params).map(|p| {
            risk_targeted::check(check, index, &p);
            RuleSpec::RiskTargeted(p)
        }),
        "competitive" => parse_params(check, index, rule_name, params).map(|p| {
            competitive::check(check, index, &p);
            RuleSpec::Competitive(p)
        }),
        "lottery" => parse_params(check, index, rule_name, params).map(|p| {
            lottery::check(check, index, &p);
            RuleSpec::Lottery(p)
        }),
        "quadratic" => parse_params(check, index, rule_name, params).map(|p| {
            quadratic::check(check, index, &p);
            RuleSpec::Quadratic(p)
        }),
        "milestone" => parse_params(check, index, rule_name, params).map(|p| {
            milestone::check(check, index, &p);
            RuleSpec::Milestone(p)
        }),
        "fixed" => parse_params(check, index, rule_name, params).map(|p| {
            fixed::check(check, index, &p);
            RuleSpec::Fixed(p)
        }),
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

    /// Every rule with its default parameters, as a scenario would give it.
    fn every_rule() -> Vec<RuleSpec> {
        let mut check = Checker::new("");
        let entries = [
            ("none", ""),
            ("equal", ""),
            ("proportional", ""),
            ("risk_targeted", ""),
            ("competitive", ""),
            ("lottery", ""),
            ("quadratic", ""),
            ("milestone", ""),
            ("fixed", "amounts_eur = [120000.0, 80000.0]"),
        ];
        assert_eq!(entries.len(), RULE_NAMES.len(), "every rule is covered");
        entries
            .iter()
            .enumerate()
            .map(|(index, (rule, params))| {
                let entry: StrategyEntry =
                    toml::from_str(&format!("rule = \"{rule}\"\n{params}")).unwrap();
                parse_entry(&mut check, index, &entry).unwrap().rule
            })
            .collect()
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
