//! `lottery`: partial randomisation. Reviewers score every eligible project (merit plus
//! noise); those above a quality threshold enter a draw, and winners are funded at a
//! standard size until the call's budget is spent. Proposed for research funding to cut
//! review cost and bias (e.g. the Swiss NSF and New Zealand's Explorer grants).

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Review, Rule};
use crate::rng::SimRng;

/// Parameters of `rule = "lottery"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotteryParams {
    /// Share of eligible projects, ranked by review score, that do *not* qualify:
    /// 0 puts everyone in the draw, 0.5 the better half.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Standard deviation of review noise, in units of the spread of merit.
    #[serde(default = "default_noise")]
    pub review_noise: f64,
    /// The standard grant (EUR), within the fund's minimum and maximum.
    #[serde(default = "default_grant")]
    pub grant_eur: f64,
}

fn default_threshold() -> f64 {
    0.5
}

fn default_noise() -> f64 {
    1.0
}

fn default_grant() -> f64 {
    150_000.0
}

pub struct Lottery(pub LotteryParams);

impl Rule for Lottery {
    const NAME: &'static str = "lottery";
    const SUMMARY: &'static str = "partial randomisation: a quality threshold, then a draw";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "threshold",
            allowed: "0–0.99",
            meaning: "share of eligible projects (lowest scores) that do not qualify",
        },
        Parameter {
            key: "review_noise",
            allowed: "0–100",
            meaning: "standard deviation of review error, in units of merit's spread",
        },
        Parameter {
            key: "grant_eur",
            allowed: "> 0, ≤ 10¹²",
            meaning: "the standard grant (EUR), clamped to the fund's minimum and maximum",
        },
    ];
    type Params = LotteryParams;

    fn check(params: &LotteryParams, check: &mut ParamCheck) {
        check.range("threshold", params.threshold, 0.0, 0.99);
        check.range("review_noise", params.review_noise, 0.0, 100.0);
        check.positive("grant_eur", params.grant_eur, 1e12);
    }

    fn describe(p: &LotteryParams) -> String {
        format!(
            "lottery among the top {:.0}% by review (noise {}), EUR {} each",
            100.0 * (1.0 - p.threshold),
            p.review_noise,
            p.grant_eur
        )
    }

    fn brief(_: &LotteryParams) -> String {
        "a lottery among projects above a quality threshold".into()
    }

    fn build(params: &LotteryParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for Lottery {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let fund = call.fund;
        let mut scored: Vec<(usize, f64)> = projects
            .iter()
            .filter(|p| p.eligible())
            .map(|p| (p.index, review.score(p.index, self.0.review_noise, rng)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let qualified = scored.len() - (self.0.threshold * scored.len() as f64).floor() as usize;
        let mut pool: Vec<usize> = scored[..qualified].iter().map(|&(i, _)| i).collect();
        pool.sort_unstable();
        let amount = self
            .0
            .grant_eur
            .clamp(fund.min_grant_eur, fund.max_grant_eur);
        let cost = Grant::upfront(0, amount).cost_eur(fund);
        let mut budget = call.budget_eur;
        // Draw winners without replacement (a partial Fisher–Yates shuffle).
        let mut drawn = 0;
        while drawn < pool.len() && budget >= cost {
            let pick = rng.random_range(drawn..pool.len());
            pool.swap(drawn, pick);
            decision.grants.push(Grant::upfront(pool[drawn], amount));
            budget -= cost;
            drawn += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::{decide_with, view};

    /// With everyone qualified, every eligible project wins equally often: k grants among
    /// n projects gives each a chance k/n; checked within 4 binomial standard errors.
    #[test]
    fn everyone_in_the_draw_wins_equally_often() {
        let fund = FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 300.0,
            fund: &fund,
        };
        let mut projects: Vec<_> = (0..10).map(|i| view(i, 1.0)).collect();
        projects[9].status = crate::fund::Status::Abandoned;
        let merit: Vec<f64> = (0..10).map(f64::from).collect();
        let rule = Lottery(LotteryParams {
            threshold: 0.0,
            review_noise: 0.0,
            grant_eur: 100.0,
        });
        let draws = 9_000;
        let mut wins = [0u32; 10];
        for replication in 0..draws {
            for grant in decide_with(&rule, &call, &projects, &merit, replication).grants {
                wins[grant.project] += 1;
            }
        }
        assert_eq!(wins[9], 0, "an abandoned project is not eligible");
        let p = 3.0 / 9.0;
        let se = (f64::from(draws as u32) * p * (1.0 - p)).sqrt();
        for (project, &won) in wins[..9].iter().enumerate() {
            assert!(
                (f64::from(won) - draws as f64 * p).abs() < 4.0 * se,
                "project {project}: {won} wins"
            );
        }
    }

    #[test]
    fn only_projects_above_the_threshold_enter_the_draw() {
        let fund = FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1_000.0,
            fund: &fund,
        };
        let projects: Vec<_> = (0..10).map(|i| view(i, 1.0)).collect();
        let merit: Vec<f64> = (0..10).map(f64::from).collect();
        let rule = Lottery(LotteryParams {
            threshold: 0.7,
            review_noise: 0.0,
            grant_eur: 100.0,
        });
        for replication in 0..50 {
            let grants = decide_with(&rule, &call, &projects, &merit, replication).grants;
            assert_eq!(grants.len(), 3);
            assert!(grants.iter().all(|g| g.project >= 7), "{grants:?}");
        }
    }
}
