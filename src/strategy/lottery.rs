//! `lottery`: partial randomisation. Reviewers score every eligible project (merit plus
//! noise); those above a quality threshold qualify, and winners are funded at a standard
//! size until the call's budget is spent. Proposed for research funding to cut review
//! cost and bias (e.g. the Swiss NSF and New Zealand's Explorer grants).
//!
//! Where randomness enters is the lottery's type, after Feliciani, Luo & Shankar (2024,
//! Research Evaluation, doi 10.1093/reseval/rvae025): `threshold` draws among every
//! qualified project; `tie-break` funds by review and draws only among the projects tied
//! at the funding line (ties come from a coarse grade scale); `bypass` funds the best
//! reviewed outright and draws among the other qualified projects for the rest.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{AllocationRule, Call, Decision, Grant, ParamCheck, Parameter, ProjectView, Review, Rule};
use crate::rng::SimRng;

/// Where the draw decides, in Feliciani, Luo & Shankar's (2024) taxonomy of funding
/// lotteries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LotteryType {
    /// A draw among every project above the quality threshold.
    #[default]
    Threshold,
    /// Funded in order of graded review; a draw only among the projects tied at the
    /// funding line.
    TieBreak,
    /// The best-reviewed share funded outright; a draw among the other qualified
    /// projects for the rest of the budget.
    Bypass,
}

impl LotteryType {
    /// The types as the docs table lists them.
    pub const ALLOWED: &'static str = "`threshold`, `tie-break`, `bypass`";

    pub fn name(self) -> &'static str {
        match self {
            Self::Threshold => "threshold",
            Self::TieBreak => "tie-break",
            Self::Bypass => "bypass",
        }
    }

    /// The default type is left out of a scenario's canonical JSON, so that scenarios
    /// written before types existed keep their hash.
    fn is_threshold(&self) -> bool {
        *self == Self::Threshold
    }
}

/// Parameters of `rule = "lottery"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotteryParams {
    /// Share of eligible projects, ranked by review score, that do *not* qualify:
    /// 0 puts everyone in the draw, 0.5 the better half.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Standard deviation of review noise, in units of the spread of merit. The default,
    /// 2, is a review reliability of 1 / (1 + 2²) = 0.2, as measured for panels of 3–5
    /// reviewers (Forscher et al. 2019); see `competitive`.
    #[serde(default = "default_noise")]
    pub review_noise: f64,
    /// The standard grant (EUR), within the fund's minimum and maximum.
    #[serde(default = "default_grant")]
    pub grant_eur: f64,
    /// Where the draw decides (Feliciani, Luo & Shankar 2024).
    #[serde(rename = "type", default, skip_serializing_if = "LotteryType::is_threshold")]
    pub kind: LotteryType,
    /// With `type = "tie-break"`: the number of grades on the reviewers' scale (the
    /// paper's scale granularity). A score becomes grade ⌊grades · Φ(score / √(1 + σ²))⌋,
    /// so each grade is equally common when scores are normal; coarse scales make ties.
    /// Not set: scores are not rounded, ties do not happen, and the rule is ranking by
    /// review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grades: Option<u32>,
    /// With `type = "bypass"` (required there): the share of eligible projects, the best
    /// reviewed, funded outright before the draw (at most the qualified ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass_share: Option<f64>,
}

fn default_threshold() -> f64 {
    0.5
}

fn default_noise() -> f64 {
    2.0
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
            meaning: "standard deviation of review error, in units of merit's spread (2: \
                      reliability 0.2, Forscher et al. 2019)",
        },
        Parameter {
            key: "grant_eur",
            allowed: "> 0, ≤ 10¹²",
            meaning: "the standard grant (EUR), clamped to the fund's minimum and maximum",
        },
        Parameter {
            key: "type",
            allowed: LotteryType::ALLOWED,
            meaning: "where the draw decides (Feliciani et al. 2024): among all qualified \
                      (`threshold`, when not set), only among those tied at the funding \
                      line (`tie-break`), or after the best are funded outright (`bypass`)",
        },
        Parameter {
            key: "grades",
            allowed: "2–100, with `tie-break`",
            meaning: "grades on the reviewers' scale (scale granularity): coarse scales \
                      make ties; not set: no rounding, no ties",
        },
        Parameter {
            key: "bypass_share",
            allowed: "0–1, required with `bypass`",
            meaning: "share of eligible projects, the best reviewed, funded outright",
        },
    ];
    type Params = LotteryParams;

    fn check(params: &LotteryParams, check: &mut ParamCheck) {
        check.range("threshold", params.threshold, 0.0, 0.99);
        check.range("review_noise", params.review_noise, 0.0, 100.0);
        check.positive("grant_eur", params.grant_eur, 1e12);
        if let Some(grades) = params.grades {
            if params.kind == LotteryType::TieBreak {
                check.count("grades", grades.into(), 2, 100);
            } else {
                check.fail(
                    "grades",
                    Some(grades.to_string()),
                    "applies only with type = \"tie-break\"",
                );
            }
        }
        match (params.kind, params.bypass_share) {
            (LotteryType::Bypass, Some(share)) => check.range("bypass_share", share, 0.0, 1.0),
            (LotteryType::Bypass, None) => check.fail(
                "bypass_share",
                None,
                "is required with type = \"bypass\": the share of eligible projects funded \
                 outright, a number from 0 to 1",
            ),
            (_, Some(share)) => check.fail(
                "bypass_share",
                Some(share.to_string()),
                "applies only with type = \"bypass\"",
            ),
            (_, None) => {}
        }
    }

    fn describe(p: &LotteryParams) -> String {
        let threshold = format!(
            "lottery among the top {:.0}% by review (noise {}), EUR {} each",
            100.0 * (1.0 - p.threshold),
            p.review_noise,
            p.grant_eur
        );
        match p.kind {
            LotteryType::Threshold => threshold,
            LotteryType::TieBreak => match p.grades {
                Some(grades) => format!("{threshold}, tie-break on a {grades}-grade scale"),
                None => format!("{threshold}, tie-break on unrounded scores"),
            },
            LotteryType::Bypass => format!(
                "{threshold}, the best {:.0}% bypass the draw",
                100.0 * p.bypass_share.unwrap_or(0.0)
            ),
        }
    }

    fn brief(p: &LotteryParams) -> String {
        match p.kind {
            LotteryType::Threshold => "a lottery among projects above a quality threshold".into(),
            LotteryType::TieBreak => {
                "grants by review, a lottery only among projects tied at the funding line".into()
            }
            LotteryType::Bypass => {
                "the best-reviewed funded outright, a lottery among the other good projects"
                    .into()
            }
        }
    }

    fn build(params: &LotteryParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

/// What is left of a call's budget, and the grants made from it.
struct Purse<'d> {
    budget: f64,
    amount: f64,
    cost: f64,
    decision: &'d mut Decision,
}

impl Purse<'_> {
    /// Whether one more standard grant fits.
    fn affords(&self) -> bool {
        self.budget >= self.cost
    }

    fn fund(&mut self, project: usize) {
        self.decision.grants.push(Grant::upfront(project, self.amount));
        self.budget -= self.cost;
    }

    /// Draws winners from `pool` without replacement (a partial Fisher–Yates shuffle)
    /// while the budget lasts.
    fn draw(&mut self, pool: &mut [usize], rng: &mut SimRng) {
        let mut drawn = 0;
        while drawn < pool.len() && self.affords() {
            let pick = rng.random_range(drawn..pool.len());
            pool.swap(drawn, pick);
            self.fund(pool[drawn]);
            drawn += 1;
        }
    }
}

impl Lottery {
    /// A score on the reviewers' grade scale: with `grades` set, the grade
    /// ⌊grades · Φ(score / √(1 + σ²))⌋ (from 0 to grades − 1), where √(1 + σ²) is the spread
    /// of scores when merit has unit spread; otherwise the score itself.
    fn graded(&self, score: f64) -> f64 {
        let Some(grades) = self.0.grades else {
            return score;
        };
        let spread = (1.0 + self.0.review_noise * self.0.review_noise).sqrt();
        let quantile = 0.5 * libm::erfc(-score / spread / std::f64::consts::SQRT_2);
        let grades = f64::from(grades);
        (grades * quantile).floor().min(grades - 1.0)
    }

    /// `tie-break`: the qualified (every project graded at least as well as the one at
    /// the threshold) are funded best grade first; the first grade that does not fit in
    /// the budget is drawn among its projects, and the draw ends the call.
    fn tie_break(&self, ranked: &[(usize, f64)], qualified: usize, purse: &mut Purse, rng: &mut SimRng) {
        let graded: Vec<(usize, f64)> =
            ranked.iter().map(|&(i, score)| (i, self.graded(score))).collect();
        let line = graded[qualified - 1].1;
        let mut rest = &graded[..graded.partition_point(|&(_, grade)| grade >= line)];
        while let Some(&(_, grade)) = rest.first() {
            let tied = rest.partition_point(|&(_, g)| g == grade);
            let mut group: Vec<usize> = rest[..tied].iter().map(|&(i, _)| i).collect();
            group.sort_unstable();
            // Counted as the grants will be paid, one subtraction at a time, so that
            // "the whole grade fits" never disagrees with the budget by a rounding.
            let whole_grade_fits = group
                .iter()
                .try_fold(purse.budget, |left, _| {
                    (left >= purse.cost).then_some(left - purse.cost)
                })
                .is_some();
            if whole_grade_fits {
                group.into_iter().for_each(|project| purse.fund(project));
            } else {
                purse.draw(&mut group, rng);
                return;
            }
            rest = &rest[tied..];
        }
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
        let amount = self
            .0
            .grant_eur
            .clamp(fund.min_grant_eur, fund.max_grant_eur);
        let mut purse = Purse {
            budget: call.budget_eur,
            amount,
            cost: Grant::upfront(0, amount).cost_eur(fund),
            decision,
        };
        match self.0.kind {
            LotteryType::Threshold => {
                let mut pool: Vec<usize> = scored[..qualified].iter().map(|&(i, _)| i).collect();
                pool.sort_unstable();
                purse.draw(&mut pool, rng);
            }
            LotteryType::TieBreak => {
                if qualified > 0 {
                    self.tie_break(&scored, qualified, &mut purse, rng);
                }
            }
            LotteryType::Bypass => {
                let share = self.0.bypass_share.unwrap_or(0.0);
                let bypass = ((share * scored.len() as f64).floor() as usize).min(qualified);
                for &(project, _) in &scored[..bypass] {
                    if !purse.affords() {
                        return;
                    }
                    purse.fund(project);
                }
                let mut pool: Vec<usize> =
                    scored[bypass..qualified].iter().map(|&(i, _)| i).collect();
                pool.sort_unstable();
                purse.draw(&mut pool, rng);
            }
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
            kind: LotteryType::Threshold,
            grades: None,
            bypass_share: None,
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
            kind: LotteryType::Threshold,
            grades: None,
            bypass_share: None,
        });
        for replication in 0..50 {
            let grants = decide_with(&rule, &call, &projects, &merit, replication).grants;
            assert_eq!(grants.len(), 3);
            assert!(grants.iter().all(|g| g.project >= 7), "{grants:?}");
        }
    }

    fn no_overhead() -> FundParams {
        FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            ..FundParams::default()
        }
    }

    fn noiseless(kind: LotteryType, threshold: f64) -> LotteryParams {
        LotteryParams {
            threshold,
            review_noise: 0.0,
            grant_eur: 100.0,
            kind,
            grades: None,
            bypass_share: None,
        }
    }

    /// How often each project wins over `draws` replications of one call.
    fn wins(rule: &Lottery, budget: f64, merit: &[f64], draws: u64) -> Vec<u32> {
        let fund = no_overhead();
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: budget,
            fund: &fund,
        };
        let projects: Vec<_> = (0..merit.len()).map(|i| view(i, 1.0)).collect();
        let mut wins = vec![0u32; merit.len()];
        for replication in 0..draws {
            let grants = decide_with(rule, &call, &projects, merit, replication).grants;
            let cost: f64 = grants.iter().map(|g| g.cost_eur(&fund)).sum();
            assert!(cost <= budget, "{grants:?}");
            for grant in grants {
                wins[grant.project] += 1;
            }
        }
        wins
    }

    /// `won` wins in `draws` replications are within 4 binomial standard errors of
    /// chance `p`.
    fn assert_chance(won: u32, draws: u64, p: f64, who: &str) {
        let n = draws as f64;
        let se = (n * p * (1.0 - p)).sqrt();
        assert!(
            (f64::from(won) - n * p).abs() < 4.0 * se,
            "{who}: {won} wins in {draws}, expected about {}",
            n * p
        );
    }

    /// Without grades scores do not tie, so a tie-break lottery is ranking by review: the
    /// three best of ten get the three grants, every time.
    #[test]
    fn tie_break_without_grades_funds_the_best_reviewed() {
        let rule = Lottery(noiseless(LotteryType::TieBreak, 0.0));
        let merit: Vec<f64> = (0..10).map(f64::from).collect();
        let won = wins(&rule, 300.0, &merit, 50);
        assert_eq!(won, [0, 0, 0, 0, 0, 0, 0, 50, 50, 50]);
    }

    /// Four grades: merit 2 is grade ⌊4 Φ(2)⌋ = ⌊3.91⌋ = 3, merit 0.5 is ⌊4 Φ(0.5)⌋ =
    /// ⌊2.77⌋ = 2, merit −2 is grade 0. Two grants: the grade-3 project outright, the
    /// other drawn among the three tied at grade 2 (chance 1/3 each); grade 0 never wins.
    #[test]
    fn tie_break_draws_only_among_the_projects_tied_at_the_funding_line() {
        let rule = Lottery(LotteryParams {
            grades: Some(4),
            ..noiseless(LotteryType::TieBreak, 0.0)
        });
        let merit = [2.0, 0.5, 0.5, 0.5, -2.0, -2.0];
        let draws = 3_000;
        let won = wins(&rule, 200.0, &merit, draws);
        assert_eq!(won[0], draws as u32, "the best grade is funded outright");
        assert_eq!(won[4] + won[5], 0, "below the funding line");
        for (project, &won) in won.iter().enumerate().take(4).skip(1) {
            assert_chance(won, draws, 1.0 / 3.0, &format!("project {project}"));
        }
    }

    /// Ten projects with merit 0…9, the better half qualifies (5…9), the best 20% (2
    /// projects: 9 and 8) bypass the draw; two more grants are drawn among 5, 6 and 7
    /// (chance 2/3 each).
    #[test]
    fn bypass_funds_the_best_outright_and_draws_among_the_other_qualified() {
        let rule = Lottery(LotteryParams {
            bypass_share: Some(0.2),
            ..noiseless(LotteryType::Bypass, 0.5)
        });
        let merit: Vec<f64> = (0..10).map(f64::from).collect();
        let draws = 3_000;
        let won = wins(&rule, 400.0, &merit, draws);
        assert_eq!(won[8], draws as u32);
        assert_eq!(won[9], draws as u32);
        assert_eq!(won[..5].iter().sum::<u32>(), 0, "not qualified");
        for (project, &won) in won.iter().enumerate().take(8).skip(5) {
            assert_chance(won, draws, 2.0 / 3.0, &format!("project {project}"));
        }
        // A budget for one grant goes to the best project, with no draw.
        assert_eq!(wins(&rule, 100.0, &merit, 20)[9], 20);
    }

    /// The grade scale: equally common grades for normal scores, from 0 to grades − 1.
    #[test]
    fn grades_cut_the_normal_scale_into_equal_parts() {
        let rule = Lottery(LotteryParams {
            grades: Some(4),
            review_noise: 0.0,
            ..noiseless(LotteryType::TieBreak, 0.0)
        });
        // Φ(−0.6745) = 0.25 and Φ(0.6745) = 0.75: the quartiles of the standard normal.
        assert_eq!(rule.graded(-0.7), 0.0);
        assert_eq!(rule.graded(-0.6), 1.0);
        assert_eq!(rule.graded(0.1), 2.0);
        assert_eq!(rule.graded(0.7), 3.0);
        assert_eq!(rule.graded(50.0), 3.0);
        // With noise σ = 2, scores spread √5 times wider: the quartile is 0.6745 · √5.
        let noisy = Lottery(LotteryParams {
            review_noise: 2.0,
            ..rule.0.clone()
        });
        assert_eq!(noisy.graded(0.6745 * 5f64.sqrt() - 0.01), 2.0);
        assert_eq!(noisy.graded(0.6745 * 5f64.sqrt() + 0.01), 3.0);
    }

    /// The default type is the threshold lottery, and a scenario that does not name a
    /// type keeps its canonical JSON (and hash): the type is left out.
    #[test]
    fn the_default_type_is_threshold_and_is_not_serialized() {
        let params: LotteryParams = toml::from_str("").unwrap();
        assert_eq!(params.kind, LotteryType::Threshold);
        assert_eq!(params.review_noise, 2.0);
        let json = serde_json::to_string(&params).unwrap();
        assert_eq!(
            json,
            r#"{"threshold":0.5,"review_noise":2.0,"grant_eur":150000.0}"#
        );
        let tie: LotteryParams = toml::from_str("type = \"tie-break\"\ngrades = 5").unwrap();
        assert_eq!(tie.kind, LotteryType::TieBreak);
        assert!(serde_json::to_string(&tie).unwrap().contains(r#""type":"tie-break","grades":5"#));
    }
}
