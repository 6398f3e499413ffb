//! `audit`: one-off security audits paid to outside auditors, like the audits the
//! Sovereign Tech Agency's Resilience programme commissions through OSTIF (and
//! Alpha-Omega's engagements). At each call the fund buys as many audits as the call's
//! budget pays, for the highest-scored eligible projects, rotating down the ranking from
//! call to call so the same few are not audited every time.

use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Purchase, Review,
    Rule, Score,
};
use crate::rng::SimRng;

/// Parameters of `rule = "audit"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Price of one audit (EUR), the fund's overhead not included. Default: OSTIF's
    /// published total, "just under" USD 3 million for its first 50 engagements, about
    /// USD 58,000 (≈ EUR 55,000) each.
    #[serde(default = "default_cost")]
    pub cost_eur: f64,
    /// Share of a project's latent vulnerabilities an audit finds (assumption).
    #[serde(default = "default_discovery")]
    pub discovery_share: f64,
    /// Share of the found vulnerabilities fixed with the auditors at once (assumption).
    #[serde(default = "default_fix")]
    pub fix_share: f64,
    /// Which projects are most worth auditing.
    #[serde(default = "default_score")]
    pub score: Score,
}

fn default_cost() -> f64 {
    55_000.0
}

fn default_discovery() -> f64 {
    0.3
}

fn default_fix() -> f64 {
    0.8
}

fn default_score() -> Score {
    Score::Dependents
}

pub struct Audits(pub AuditParams);

impl Rule for Audits {
    const NAME: &'static str = "audit";
    const SUMMARY: &'static str =
        "security audits of the highest-scored projects, in turn, as many as each call pays";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "cost_eur",
            allowed: "> 0, ≤ 10⁹",
            meaning: "price of one audit (EUR, overhead not included; OSTIF's mean)",
        },
        Parameter {
            key: "discovery_share",
            allowed: "0–1",
            meaning: "share of the project's latent vulnerabilities an audit finds (assumption)",
        },
        Parameter {
            key: "fix_share",
            allowed: "0–1",
            meaning: "share of those found fixed with the auditors at once (assumption)",
        },
        Parameter {
            key: "score",
            allowed: "as `proportional`",
            meaning: "which projects are audited first",
        },
    ];
    type Params = AuditParams;

    fn check(p: &AuditParams, check: &mut ParamCheck) {
        check.positive("cost_eur", p.cost_eur, 1e9);
        check.probability("discovery_share", p.discovery_share);
        check.probability("fix_share", p.fix_share);
    }

    fn describe(p: &AuditParams) -> String {
        format!(
            "audits at EUR {} each by {}, finding {:.0}% of latent vulnerabilities, fixing {:.0}% of those",
            p.cost_eur,
            p.score.name(),
            100.0 * p.discovery_share,
            100.0 * p.fix_share
        )
    }

    fn brief(p: &AuditParams) -> String {
        format!(
            "security audits of the projects with the most {}, in turn",
            p.score.name().replace('_', " ")
        )
    }

    fn build(params: &AuditParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for Audits {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let p = &self.0;
        let purchase = Purchase::Audit {
            discovery_share: p.discovery_share,
            fix_share: p.fix_share,
        };
        // An audit costs what it costs: the fund neither pays more for one to reach its
        // minimum grant (that buys nothing more) nor splits one above its maximum.
        let fund = call.fund;
        if p.cost_eur < fund.min_grant_eur || p.cost_eur > fund.max_grant_eur {
            return;
        }
        let cost = Grant::buying(0, p.cost_eur, purchase).cost_eur(fund);
        let affordable = affordable(call.budget_eur, cost);
        for project in in_turn(projects, p.score, call.index, affordable) {
            decision
                .grants
                .push(Grant::buying(project.index, p.cost_eur, purchase));
        }
    }
}

/// How many purchases of `cost` (overhead included) a budget pays.
pub(super) fn affordable(budget_eur: f64, cost: f64) -> usize {
    if cost > 0.0 && budget_eur >= cost {
        // Saturating float-to-integer conversion: an enormous budget pays "all".
        (budget_eur / cost).floor() as usize
    } else {
        0
    }
}

/// The eligible projects ranked by `score`, highest first; ties by criticality, then
/// portfolio order.
pub(super) fn ranked_by(
    projects: &[ProjectView],
    score: impl Fn(&ProjectView) -> f64,
) -> Vec<&ProjectView> {
    let mut ranked: Vec<&ProjectView> = projects.iter().filter(|p| p.eligible()).collect();
    ranked.sort_by(|a, b| {
        score(b)
            .total_cmp(&score(a))
            .then(b.criticality.total_cmp(&a.criticality))
            .then(a.index.cmp(&b.index))
    });
    ranked
}

/// The `count` eligible projects whose turn it is at call `call_index`: the eligible
/// projects ranked by `score` (highest first; ties by criticality, then portfolio order),
/// call k taking the `count` after the `k · count` taken before it, wrapping round to the
/// top. A rule has no memory of its earlier calls, so this is how it avoids buying the
/// same project the same thing at every call; with equal budgets per call (`even`
/// timing) and a stable ranking no project gets a second turn before every other has
/// had one. Never more than one turn per project in a call.
pub(super) fn in_turn(
    projects: &[ProjectView],
    score: Score,
    call_index: usize,
    count: usize,
) -> Vec<&ProjectView> {
    let mut ranked = ranked_by(projects, |project| score.of(project));
    let count = count.min(ranked.len());
    if count == 0 {
        return Vec::new();
    }
    let start = call_index.wrapping_mul(count) % ranked.len();
    ranked.rotate_left(start);
    ranked.truncate(count);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fund::Status;
    use crate::params::FundParams;
    use crate::strategy::test_support::{call, decide, view};

    fn rule() -> Audits {
        Audits(toml::from_str("").unwrap())
    }

    /// Ten projects, project i with 100·(i+1) dependents; projects 8 and 3 dormant.
    fn portfolio() -> Vec<ProjectView> {
        let mut projects: Vec<_> = (0..10).map(|i| view(i, 100.0 * (i + 1) as f64)).collect();
        projects[8].status = Status::Dormant;
        projects[3].status = Status::Abandoned;
        projects
    }

    #[test]
    fn audits_the_most_used_eligible_projects_as_many_as_the_budget_pays() {
        let fund = FundParams::default();
        let one = 55_000.0 * 1.05 + 10_000.0;
        // Budget for three audits and most of a fourth.
        let grants = decide(&rule(), &call(&fund, 0, 3.9 * one), &portfolio());
        let audited: Vec<usize> = grants.iter().map(|g| g.project).collect();
        assert_eq!(audited, [9, 7, 6], "the most used, skipping the dormant 8");
        for grant in &grants {
            assert_eq!(grant.amount_eur, 55_000.0);
            assert_eq!(
                grant.buys,
                Purchase::Audit {
                    discovery_share: 0.3,
                    fix_share: 0.8
                }
            );
        }
    }

    #[test]
    fn later_calls_audit_the_next_projects_down_the_ranking_and_wrap_round() {
        let fund = FundParams::default();
        let one = 55_000.0 * 1.05 + 10_000.0;
        let projects = portfolio();
        let audited = |index: usize| -> Vec<usize> {
            decide(&rule(), &call(&fund, index, 3.0 * one), &projects)
                .iter()
                .map(|g| g.project)
                .collect()
        };
        // Eligible by dependents: 9, 7, 6, 5, 4, 2, 1, 0.
        assert_eq!(audited(0), [9, 7, 6]);
        assert_eq!(audited(1), [5, 4, 2]);
        assert_eq!(audited(2), [1, 0, 9], "the rotation wraps round to the top");
        let everyone = decide(&rule(), &call(&fund, 5, 100.0 * one), &projects);
        assert_eq!(everyone.len(), 8, "each eligible project once, however rich the call");
    }

    #[test]
    fn an_audit_priced_outside_the_fund_s_grant_sizes_is_not_bought() {
        let fund = FundParams {
            min_grant_eur: 60_000.0,
            ..FundParams::default()
        };
        assert!(decide(&rule(), &call(&fund, 0, 1e7), &portfolio()).is_empty());
        let fund = FundParams {
            max_grant_eur: 50_000.0,
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        assert!(decide(&rule(), &call(&fund, 0, 1e7), &portfolio()).is_empty());
        assert_eq!(affordable(10.0, 0.0), 0);
        assert_eq!(affordable(f64::MAX, 1.0), usize::MAX);
    }
}
