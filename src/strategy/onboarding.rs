//! `onboarding`: paid, mentored internships for newcomers, like Google Summer of Code and
//! Outreachy: the fund pays each mentee's stipend and the programme's cost; the host
//! project's maintainers mentor them for a few months, and some stay on as maintainers.
//! At each call the fund pays for cohorts at the projects that need newcomers most, while
//! the call's budget lasts.

use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Purchase, Review,
    Rule, Score,
};
use super::audit::ranked_by;
use crate::rng::SimRng;

/// Which projects host mentees first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostScore {
    /// Dependents per active maintainer: much-used projects with small teams, where one
    /// more maintainer matters most.
    DependentsPerMaintainer,
    Dependents,
    Criticality,
    Backlog,
    OpenVulnerabilities,
}

impl HostScore {
    const ALLOWED: &'static str =
        "`dependents_per_maintainer`, `dependents`, `criticality`, `backlog`, `open_vulnerabilities`";

    fn name(self) -> &'static str {
        match self {
            Self::DependentsPerMaintainer => "dependents_per_maintainer",
            Self::Dependents => Score::Dependents.name(),
            Self::Criticality => Score::Criticality.name(),
            Self::Backlog => Score::Backlog.name(),
            Self::OpenVulnerabilities => Score::OpenVulnerabilities.name(),
        }
    }

    fn of(self, project: &ProjectView) -> f64 {
        match self {
            Self::DependentsPerMaintainer => {
                project.dependents / f64::from(project.maintainers.max(1))
            }
            Self::Dependents => Score::Dependents.of(project),
            Self::Criticality => Score::Criticality.of(project),
            Self::Backlog => Score::Backlog.of(project),
            Self::OpenVulnerabilities => Score::OpenVulnerabilities.of(project),
        }
    }
}

/// Parameters of `rule = "onboarding"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnboardingParams {
    /// What one mentee costs the fund (EUR): Outreachy's USD 7,000 stipend plus about
    /// USD 1,000 of programme cost (Outreachy asked sponsors USD 6,500 per intern when the
    /// stipend was USD 5,500), about USD 8,000 ≈ EUR 7,500.
    #[serde(default = "default_cost")]
    pub cost_per_mentee_eur: f64,
    /// Mentees per host project, at least (more when the fund's minimum grant needs it).
    #[serde(default = "default_mentees")]
    pub mentees_per_project: u32,
    /// Length of the internship (months): GSoC's and Outreachy's three months.
    #[serde(default = "default_months")]
    pub months: u32,
    /// Chance a mentee stays on as a maintainer: about 16 % of GSoC students (Silva et
    /// al. 2020).
    #[serde(default = "default_retention")]
    pub retention: f64,
    /// Mentoring effort per mentee, in the host's maintainers' person-months a month: 5
    /// hours a week, about 0.125 PM (assumption).
    #[serde(default = "default_mentoring")]
    pub mentoring_pm: f64,
    /// Which projects host first.
    #[serde(default = "default_score")]
    pub score: HostScore,
}

fn default_cost() -> f64 {
    7_500.0
}

fn default_mentees() -> u32 {
    2
}

fn default_months() -> u32 {
    3
}

fn default_retention() -> f64 {
    0.16
}

fn default_mentoring() -> f64 {
    0.125
}

fn default_score() -> HostScore {
    HostScore::DependentsPerMaintainer
}

pub struct Onboarding(pub OnboardingParams);

impl Rule for Onboarding {
    const NAME: &'static str = "onboarding";
    const SUMMARY: &'static str =
        "paid, mentored internships at the projects that need newcomers most";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "cost_per_mentee_eur",
            allowed: "> 0, ≤ 10⁷",
            meaning: "stipend plus programme cost per mentee (EUR; Outreachy)",
        },
        Parameter {
            key: "mentees_per_project",
            allowed: "1–100",
            meaning: "mentees per host, at least (more if the fund's minimum grant needs it)",
        },
        Parameter {
            key: "months",
            allowed: "1–24",
            meaning: "length of the internship (months; GSoC, Outreachy)",
        },
        Parameter {
            key: "retention",
            allowed: "0–1",
            meaning: "chance a mentee stays on as a maintainer (GSoC: Silva et al.)",
        },
        Parameter {
            key: "mentoring_pm",
            allowed: "0–1",
            meaning: "mentoring effort per mentee (PM a month of the host's maintainers; assumption)",
        },
        Parameter {
            key: "score",
            allowed: HostScore::ALLOWED,
            meaning: "which projects host first",
        },
    ];
    type Params = OnboardingParams;

    fn check(p: &OnboardingParams, check: &mut ParamCheck) {
        check.positive("cost_per_mentee_eur", p.cost_per_mentee_eur, 1e7);
        check.count("mentees_per_project", p.mentees_per_project.into(), 1, 100);
        check.count("months", p.months.into(), 1, 24);
        check.probability("retention", p.retention);
        check.range("mentoring_pm", p.mentoring_pm, 0.0, 1.0);
    }

    fn describe(p: &OnboardingParams) -> String {
        format!(
            "onboarding: {}+ mentees per host by {} for {} months at EUR {} each, \
             {:.0}% stay, {} PM mentoring each",
            p.mentees_per_project,
            p.score.name(),
            p.months,
            p.cost_per_mentee_eur,
            100.0 * p.retention,
            p.mentoring_pm
        )
    }

    fn brief(p: &OnboardingParams) -> String {
        format!(
            "{}-month mentored internships at the projects with the most {}",
            p.months,
            p.score.name().replace('_', " ")
        )
    }

    fn build(params: &OnboardingParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for Onboarding {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let p = &self.0;
        let fund = call.fund;
        let Some(mentees) = cohort(p, fund.min_grant_eur, fund.max_grant_eur) else {
            return;
        };
        let amount = f64::from(mentees) * p.cost_per_mentee_eur;
        let grant = |project: usize| {
            Grant::buying(
                project,
                amount,
                Purchase::Onboarding {
                    mentees,
                    months: p.months,
                    retention: p.retention,
                    mentoring_pm: p.mentoring_pm * f64::from(mentees),
                },
            )
        };
        let cost = grant(0).cost_eur(fund);
        // No rotation: the neediest hosts at every call. A mentee who stays raises the
        // host's team, so under the default score others move up by themselves.
        let mut budget = call.budget_eur;
        for host in ranked_by(projects, |project| p.score.of(project)) {
            if cost > budget {
                break;
            }
            budget -= cost;
            decision.grants.push(grant(host.index));
        }
    }
}

/// Mentees per host: `mentees_per_project`, raised to the fewest whose cost reaches the
/// fund's minimum grant (a fund that makes no smaller grants pays for a larger cohort,
/// as large programmes' hosts take several mentees) and lowered to the most its maximum
/// grant pays; `None` when no whole cohort fits between the two.
fn cohort(p: &OnboardingParams, min_grant_eur: f64, max_grant_eur: f64) -> Option<u32> {
    let cost = p.cost_per_mentee_eur;
    let at_least = (min_grant_eur / cost).ceil().max(f64::from(p.mentees_per_project));
    let at_most = (max_grant_eur / cost).floor();
    let mentees = at_least.min(at_most);
    let amount = mentees * cost;
    (mentees >= 1.0 && amount >= min_grant_eur && mentees <= f64::from(u32::MAX))
        .then_some(mentees as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide, view};

    fn params() -> OnboardingParams {
        toml::from_str("").unwrap()
    }

    #[test]
    fn cohorts_go_to_the_most_used_small_teams_within_the_budget() {
        let fund = FundParams {
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let mut projects: Vec<_> = (0..5).map(|i| view(i, 1_000.0)).collect();
        projects[0].maintainers = 4; // 250 dependents per maintainer
        projects[1].maintainers = 1; // 1,000
        projects[2].maintainers = 2; // 500
        projects[3].dependents = 100.0; // 100
        projects[4].status = crate::fund::Status::Dormant;
        let one = 2.0 * 7_500.0 * 1.05 + 10_000.0;
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 3.5 * one,
            fund: &fund,
        };
        let grants = decide(&Onboarding(params()), &call, &projects);
        assert_eq!(
            grants.iter().map(|g| g.project).collect::<Vec<_>>(),
            [1, 2, 0]
        );
        assert!(grants.iter().all(|g| g.amount_eur == 15_000.0
            && g.buys
                == Purchase::Onboarding {
                    mentees: 2,
                    months: 3,
                    retention: 0.16,
                    mentoring_pm: 0.25
                }));
    }

    #[test]
    fn a_cohort_is_enlarged_to_the_fund_s_minimum_grant_and_cut_to_its_maximum() {
        let p = params();
        assert_eq!(cohort(&p, 0.0, 1e6), Some(2));
        assert_eq!(cohort(&p, 50_000.0, 1e6), Some(7), "7 × 7,500 ≥ 50,000");
        assert_eq!(cohort(&p, 0.0, 10_000.0), Some(1));
        assert_eq!(cohort(&p, 0.0, 5_000.0), None, "not even one mentee fits");
        assert_eq!(cohort(&p, 9_000.0, 10_000.0), None, "no whole cohort in between");
    }
}
