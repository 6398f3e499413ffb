//! `fellowship`: the fund employs maintainers of the projects it chooses, like the
//! Sovereign Tech Agency's Fellowship (employment for up to two years at 20–40 hours a
//! week, EUR 64,000–82,000 a year full time; 14 fellows chosen from 170 applicants in
//! 2026). Maintainers of some eligible projects apply; reviewers score their projects'
//! merit with noise, as in `competitive`; the best-scored are employed while the call's
//! budget lasts.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Purchase, Review,
    Rule,
};
use crate::rng::SimRng;

/// Parameters of `rule = "fellowship"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FellowshipParams {
    /// Gross full-time salary (EUR a year): the middle of the STA Fellowship's
    /// EUR 64,000–82,000 (TVöD-Bund pay scale).
    #[serde(default = "default_salary")]
    pub salary_eur_per_year: f64,
    /// Employer's social contributions on top of the salary, as a share of it: German
    /// statutory rates (pension 9.3 %, health ≈ 8.75 %, unemployment 1.3 %, long-term
    /// care 1.8 %) sum to about 0.21.
    #[serde(default = "default_employer")]
    pub employer_costs_share: f64,
    /// Length of the employment (months): the STA Fellowship's two years.
    #[serde(default = "default_months")]
    pub months: u32,
    /// Share of full time worked: 30 hours of 40, the middle of the STA's 20–40 h/week.
    #[serde(default = "default_hours")]
    pub hours_share: f64,
    /// Maintainers employed per chosen project (at most its active maintainers).
    #[serde(default = "default_fellows")]
    pub fellows_per_project: u32,
    /// Standard deviation of review noise, in units of the spread of merit: 2 makes the
    /// correlation of score and merit 1/√(1 + 2²) ≈ 0.45, the square root of the
    /// reliability of about 0.2 reported for panels of 3–5 reviewers.
    #[serde(default = "default_noise")]
    pub review_noise: f64,
    /// Chance that an eligible project's maintainers apply to a call (assumption).
    #[serde(default = "default_apply")]
    pub apply_share: f64,
    /// Effort an application costs the project (person-months; assumption).
    #[serde(default = "default_application_cost")]
    pub application_cost_pm: f64,
}

fn default_salary() -> f64 {
    73_000.0
}

fn default_employer() -> f64 {
    0.21
}

fn default_months() -> u32 {
    24
}

fn default_hours() -> f64 {
    0.75
}

fn default_fellows() -> u32 {
    1
}

fn default_noise() -> f64 {
    2.0
}

fn default_apply() -> f64 {
    0.3
}

fn default_application_cost() -> f64 {
    0.1
}

impl FellowshipParams {
    /// What employing one fellow costs for the whole fellowship (EUR): salary plus
    /// employer's contributions, at the hours worked, over its months.
    pub fn per_fellow_eur(&self) -> f64 {
        self.salary_eur_per_year
            * (1.0 + self.employer_costs_share)
            * self.hours_share
            * f64::from(self.months)
            / 12.0
    }
}

pub struct Fellowships(pub FellowshipParams);

impl Rule for Fellowships {
    const NAME: &'static str = "fellowship";
    const SUMMARY: &'static str =
        "employs maintainers of the best-reviewed applicant projects for a fixed term";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "salary_eur_per_year",
            allowed: "> 0, ≤ 10⁷",
            meaning: "gross full-time salary (EUR a year; STA Fellowship EUR 64,000–82,000)",
        },
        Parameter {
            key: "employer_costs_share",
            allowed: "0–1",
            meaning: "employer's social contributions, as a share of salary (German rates)",
        },
        Parameter {
            key: "months",
            allowed: "1–120",
            meaning: "length of the employment (months; STA: up to 2 years)",
        },
        Parameter {
            key: "hours_share",
            allowed: "> 0, ≤ 1",
            meaning: "share of full time (STA: 20–40 h a week)",
        },
        Parameter {
            key: "fellows_per_project",
            allowed: "1–100",
            meaning: "maintainers employed per chosen project, at most its active ones",
        },
        Parameter {
            key: "review_noise",
            allowed: "0–100",
            meaning: "standard deviation of review error, in units of merit's spread",
        },
        Parameter {
            key: "apply_share",
            allowed: "0–1",
            meaning: "chance an eligible project's maintainers apply to a call (assumption)",
        },
        Parameter {
            key: "application_cost_pm",
            allowed: "0–100",
            meaning: "effort of an application (PM), added to the project's backlog (assumption)",
        },
    ];
    type Params = FellowshipParams;

    fn check(p: &FellowshipParams, check: &mut ParamCheck) {
        check.positive("salary_eur_per_year", p.salary_eur_per_year, 1e7);
        check.probability("employer_costs_share", p.employer_costs_share);
        check.count("months", p.months.into(), 1, 120);
        check.positive("hours_share", p.hours_share, 1.0);
        check.count("fellows_per_project", p.fellows_per_project.into(), 1, 100);
        check.range("review_noise", p.review_noise, 0.0, 100.0);
        check.probability("apply_share", p.apply_share);
        check.range("application_cost_pm", p.application_cost_pm, 0.0, 100.0);
    }

    fn describe(p: &FellowshipParams) -> String {
        format!(
            "fellowships: {} per project for {} months at {:.0}% of EUR {} a year (+{:.0}%), \
             EUR {:.0} each; {:.0}% apply, review noise {}",
            p.fellows_per_project,
            p.months,
            100.0 * p.hours_share,
            p.salary_eur_per_year,
            100.0 * p.employer_costs_share,
            p.per_fellow_eur(),
            100.0 * p.apply_share,
            p.review_noise
        )
    }

    fn brief(p: &FellowshipParams) -> String {
        format!(
            "{}-month fellowships employing maintainers of the best-reviewed applicants",
            p.months
        )
    }

    fn build(params: &FellowshipParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for Fellowships {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let p = &self.0;
        let fund = call.fund;
        // Every eligible project draws its decision and its review in the same order, so
        // the fund's stream stays aligned across calls (as in `competitive`).
        let mut applicants: Vec<(&ProjectView, f64)> = Vec::new();
        for project in projects.iter().filter(|p| p.eligible()) {
            let applies = rng.random::<f64>() < p.apply_share;
            let score = review.score(project.index, p.review_noise, rng);
            if applies {
                decision
                    .application_effort
                    .push((project.index, p.application_cost_pm));
                applicants.push((project, score));
            }
        }
        applicants.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.index.cmp(&b.0.index)));
        let per_fellow = p.per_fellow_eur();
        let mut budget = call.budget_eur;
        for (project, _) in applicants {
            let Some(grant) = employment(p, per_fellow, project, call) else {
                continue;
            };
            let cost = grant.cost_eur(fund);
            if cost <= budget {
                budget -= cost;
                decision.grants.push(grant);
            }
        }
    }
}

/// The fellowship a chosen project gets: `fellows_per_project` of its active maintainers,
/// fewer when that costs more than the fund's maximum grant; none when even one fellow
/// costs less than its minimum grant (a salary costs what it costs) or more than its
/// maximum.
fn employment(
    p: &FellowshipParams,
    per_fellow: f64,
    project: &ProjectView,
    call: &Call,
) -> Option<Grant> {
    let fund = call.fund;
    let wanted = p.fellows_per_project.min(project.maintainers);
    let within_max = (fund.max_grant_eur / per_fellow).floor();
    let fellows = if within_max < f64::from(wanted) {
        within_max as u32
    } else {
        wanted
    };
    let amount = per_fellow * f64::from(fellows);
    if fellows == 0 || amount < fund.min_grant_eur {
        return None;
    }
    Some(Grant::buying(
        project.index,
        amount,
        Purchase::Fellowship {
            fellows,
            months: p.months,
            hours_share: p.hours_share,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide_with, view};

    fn params() -> FellowshipParams {
        toml::from_str("").unwrap()
    }

    #[test]
    fn a_fellow_costs_salary_and_employer_s_share_at_the_hours_over_the_months() {
        // 73,000 × 1.21 × 0.75 × 24/12.
        assert!((params().per_fellow_eur() - 132_495.0).abs() < 1e-6);
    }

    #[test]
    fn without_noise_the_best_applicants_are_employed_within_the_budget() {
        let fund = FundParams::default();
        let per_fellow = params().per_fellow_eur();
        let one = per_fellow * 1.05 + 10_000.0;
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 3.5 * one,
            fund: &fund,
        };
        let mut projects: Vec<_> = (0..10).map(|i| view(i, 1.0)).collect();
        projects[9].maintainers = 3;
        let merit: Vec<f64> = (0..10).map(f64::from).collect();
        let rule = Fellowships(FellowshipParams {
            apply_share: 1.0,
            review_noise: 0.0,
            fellows_per_project: 2,
            ..params()
        });
        let decision = decide_with(&rule, &call, &projects, &merit, 1);
        assert_eq!(decision.application_effort.len(), 10, "everyone applied");
        assert!(decision.application_effort.iter().all(|&(_, pm)| pm == 0.1));
        let chosen: Vec<(usize, f64)> = decision
            .grants
            .iter()
            .map(|g| (g.project, g.amount_eur / per_fellow))
            .collect();
        // Project 9 has 3 maintainers and gets 2 fellows (2 grants' worth of budget);
        // project 8 has 1 maintainer and gets 1; then the budget (3.5 fellows) is spent.
        assert_eq!(chosen.len(), 2, "{chosen:?}");
        assert_eq!(chosen[0].0, 9);
        assert!((chosen[0].1 - 2.0).abs() < 1e-9);
        assert_eq!(chosen[1].0, 8);
        assert!((chosen[1].1 - 1.0).abs() < 1e-9);
        assert_eq!(
            decision.grants[1].buys,
            Purchase::Fellowship {
                fellows: 1,
                months: 24,
                hours_share: 0.75
            }
        );
    }

    #[test]
    fn nobody_applies_with_a_zero_share_and_sizes_follow_the_fund_s_limits() {
        let fund = FundParams::default();
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1e8,
            fund: &fund,
        };
        let projects: Vec<_> = (0..10).map(|i| view(i, 1.0)).collect();
        let merit = vec![0.0; 10];
        let none = Fellowships(FellowshipParams {
            apply_share: 0.0,
            ..params()
        });
        let decision = decide_with(&none, &call, &projects, &merit, 1);
        assert!(decision.grants.is_empty() && decision.application_effort.is_empty());
        let short = FellowshipParams {
            months: 3,
            ..params()
        };
        let mut project = view(0, 1.0);
        assert!(
            employment(&short, short.per_fellow_eur(), &project, &call).is_none(),
            "3 months cost less than the minimum grant"
        );
        project.maintainers = 20;
        let many = FellowshipParams {
            fellows_per_project: 10,
            ..params()
        };
        let grant = employment(&many, many.per_fellow_eur(), &project, &call).unwrap();
        assert_eq!(
            grant.buys,
            Purchase::Fellowship {
                fellows: 7,
                months: 24,
                hours_share: 0.75
            },
            "as many as the maximum grant pays"
        );
    }
}
