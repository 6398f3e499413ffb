//! The stylised facts of the unfunded baseline, as data (`facts.toml`), and the model's
//! value of each: what `fundsim facts` prints and what the calibration fits.
//!
//! A fact is a statistic of the `none` baseline (abandonment within five years, revival,
//! the risk of one-maintainer projects, returns from breaks) with a published value or
//! range. The model's value comes with two intervals, as in docs/validation.md: the *model
//! mean* with its 95% Monte Carlo interval (what the model expects for this portfolio), and
//! for simulated statistics the *one study* range, the 2.5–97.5% range over replications
//! (what one study of this many projects could see if the model were right). A published
//! figure comes from one sample of real projects, so it is compared with the one-study
//! range.

use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Trajectory, World, simulate};
use crate::params::ModelParams;
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;
use crate::stats::{CoMoments, Estimate, Interpolation, percentile};

/// The facts compiled into fundsim (the repository's `facts.toml`).
pub const BUILTIN_FACTS: &str = include_str!("../../facts.toml");

/// The scenario the published facts were measured on: popular GitHub projects, unfunded,
/// five years (`scenarios/popular-baseline.toml`).
pub const FACTS_SCENARIO: &str = include_str!("../../scenarios/popular-baseline.toml");

/// A gap between the published figure and the model's one-study range of at most this
/// share of the published figure counts as close rather than failing.
pub const CLOSE_RELATIVE_GAP: f64 = 0.10;

/// What a fact measures: one statistic of the unfunded baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    AbandonedWithin,
    RevivedWithin,
    RiskRatio,
    BreakReturnWithin,
    BreakReturnAfter,
    BreakNeverReturn,
}

impl Statistic {
    /// Whether the model's value is exact (from the parameters) rather than simulated.
    pub fn is_exact(self) -> bool {
        matches!(
            self,
            Self::BreakReturnWithin | Self::BreakReturnAfter | Self::BreakNeverReturn
        )
    }

    /// Whether the value is a ratio (printed as `6.0×`) rather than a share (`16.0%`).
    pub fn is_ratio(self) -> bool {
        self == Self::RiskRatio
    }
}

/// One stylised fact, as `facts.toml` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    pub id: String,
    pub description: String,
    pub statistic: Statistic,
    /// The window of the statistic, in months from the start (or away, for breaks).
    pub months: Option<u32>,
    /// For `revived_within`: months after abandonment within which revival counts.
    pub window: Option<u32>,
    /// For `risk_ratio`: the smallest initial team of the comparison group.
    pub versus_team: Option<u32>,
    /// The published value as `[low, high]` (equal ends for a single figure).
    pub published: [f64; 2],
    pub sources: Vec<String>,
    /// The kind of portfolio the published figure was measured on.
    pub portfolio: String,
}

/// Facts that cannot all hold at once, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub facts: Vec<String>,
    pub reason: String,
}

/// A facts file: the facts and the groups of them that contradict each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub facts: Vec<Fact>,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
}

/// A facts file that cannot be used, or facts that cannot be evaluated on a scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: {problem}")]
pub struct FactsError {
    pub origin: String,
    pub problem: String,
}

impl Facts {
    /// The facts compiled into fundsim.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_FACTS, "facts.toml").expect("the built-in facts are valid")
    }

    /// Parses and checks a facts file.
    ///
    /// # Errors
    /// A [`FactsError`] naming the fact's key (`facts[2].months`) and what is expected.
    pub fn parse(text: &str, origin: &str) -> Result<Self, FactsError> {
        let fail = |problem: String| FactsError {
            origin: origin.to_string(),
            problem,
        };
        let facts: Facts = toml::from_str(text).map_err(|e| fail(e.message().trim().into()))?;
        for (index, fact) in facts.facts.iter().enumerate() {
            let key = |field: &str| format!("facts[{index}].{field} (fact `{}`)", fact.id);
            let [low, high] = fact.published;
            if !(low.is_finite() && high.is_finite() && 0.0 <= low && low <= high) {
                return Err(fail(format!(
                    "{}: got [{low}, {high}], expected [low, high] with 0 <= low <= high",
                    key("published")
                )));
            }
            if !fact.statistic.is_ratio() && high > 1.0 {
                return Err(fail(format!(
                    "{}: got {high}, expected a share from 0 to 1",
                    key("published")
                )));
            }
            let needs = |field: &str, value: Option<u32>| match value {
                Some(months) if months >= 1 => Ok(()),
                Some(months) => Err(fail(format!(
                    "{}: got {months}, expected 1 or more",
                    key(field)
                ))),
                None => Err(fail(format!(
                    "{}: missing; {:?} needs it",
                    key(field),
                    fact.statistic
                ))),
            };
            match fact.statistic {
                Statistic::AbandonedWithin
                | Statistic::BreakReturnWithin
                | Statistic::BreakReturnAfter => {
                    needs("months", fact.months)?;
                }
                Statistic::RevivedWithin => {
                    needs("months", fact.months)?;
                    needs("window", fact.window)?;
                }
                Statistic::RiskRatio => {
                    needs("months", fact.months)?;
                    needs("versus_team", fact.versus_team)?;
                }
                Statistic::BreakNeverReturn => {}
            }
            if facts.facts[..index].iter().any(|other| other.id == fact.id) {
                return Err(fail(format!("{}: the id is used twice", key("id"))));
            }
        }
        for (index, conflict) in facts.conflicts.iter().enumerate() {
            for id in &conflict.facts {
                if !facts.facts.iter().any(|fact| &fact.id == id) {
                    return Err(fail(format!(
                        "conflicts[{index}].facts: `{id}` is not the id of a fact"
                    )));
                }
            }
        }
        Ok(facts)
    }

    /// The conflict a fact belongs to, if any.
    pub fn conflict_of(&self, id: &str) -> Option<&Conflict> {
        self.conflicts
            .iter()
            .find(|conflict| conflict.facts.iter().any(|f| f == id))
    }
}

/// How the model compares with a published figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The published figure (or range) lies in, or overlaps, the model's one-study range.
    Consistent,
    /// Outside, by at most [`CLOSE_RELATIVE_GAP`] of the published figure.
    Close,
    Fails,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Consistent => "consistent",
            Self::Close => "close",
            Self::Fails => "fails",
        })
    }
}

/// The verdict for a model range against a published range.
pub fn verdict(published: [f64; 2], model: (f64, f64)) -> Verdict {
    let [low, high] = published;
    let (model_low, model_high) = model;
    if model_high >= low && model_low <= high {
        return Verdict::Consistent;
    }
    let (gap, nearest) = if model_high < low {
        (low - model_high, low)
    } else {
        (model_low - high, high)
    };
    if nearest > 0.0 && gap <= CLOSE_RELATIVE_GAP * nearest {
        Verdict::Close
    } else {
        Verdict::Fails
    }
}

/// One fact with the model's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluated {
    pub fact: Fact,
    /// The model mean and its 95% Monte Carlo interval (for an exact statistic, the
    /// value with a zero-width interval).
    pub model: Estimate,
    /// The 2.5–97.5% range over replications: what one study could observe. `None` for an
    /// exact statistic.
    pub one_study: Option<(f64, f64)>,
    pub verdict: Verdict,
}

/// Every fact evaluated on one scenario's baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub scenario: String,
    pub projects: usize,
    pub replications: u64,
    pub seed: u64,
    pub facts: Vec<Evaluated>,
}

/// What one replication of the baseline contributes to the simulated facts.
struct Replication {
    first_abandoned: Vec<Option<u32>>,
}

/// Evaluates every fact on the `none` baseline of `scenario`, simulated on `portfolio`
/// (`replications` replications from `seed`; results do not depend on the thread count).
///
/// # Errors
/// A [`FactsError`] when the scenario's horizon is shorter than a fact's window, or when
/// a ratio or share is undefined (e.g. no project abandoned).
pub fn evaluate(
    scenario: &Scenario,
    portfolio: Portfolio,
    facts: &Facts,
    replications: u64,
    seed: u64,
) -> Result<Evaluation, FactsError> {
    let fail = |problem: String| FactsError {
        origin: scenario.name.clone(),
        problem,
    };
    check_horizon(scenario, facts)?;
    if replications < 2 {
        return Err(fail(format!(
            "got {replications} replications, expected at least 2 (for the one-study range)"
        )));
    }
    let baseline = simulate_baseline(scenario, portfolio, replications, seed);
    let mut evaluated = Vec::with_capacity(facts.facts.len());
    for fact in &facts.facts {
        let (model, one_study) = if fact.statistic.is_exact() {
            let value = exact_value(fact, &scenario.model);
            (Estimate::normal(value, 0.0), None)
        } else {
            ratio_estimate(&baseline.terms(fact)).ok_or_else(|| undefined(scenario, fact))?
        };
        let compared = one_study.unwrap_or((model.mean, model.mean));
        evaluated.push(Evaluated {
            fact: fact.clone(),
            model,
            one_study,
            verdict: verdict(fact.published, compared),
        });
    }
    Ok(Evaluation {
        scenario: scenario.name.clone(),
        projects: baseline.teams.len(),
        replications,
        seed,
        facts: evaluated,
    })
}

/// The model's value of every fact on the `none` baseline of `scenario`, in the order of
/// `facts`: for a simulated statistic the ratio of its numerator and denominator summed
/// over `replications` replications from `seed` (with one replication, the value one
/// study of the portfolio would see), for an exact one its value. What the calibration
/// compares with the published figures; [`evaluate`] adds the intervals and verdicts.
///
/// # Errors
/// As [`evaluate`], and for `replications` of 0.
pub fn statistics(
    scenario: &Scenario,
    portfolio: Portfolio,
    facts: &Facts,
    replications: u64,
    seed: u64,
) -> Result<Vec<f64>, FactsError> {
    check_horizon(scenario, facts)?;
    if replications == 0 {
        return Err(FactsError {
            origin: scenario.name.clone(),
            problem: "got 0 replications, expected at least 1".into(),
        });
    }
    let baseline = simulate_baseline(scenario, portfolio, replications, seed);
    facts
        .facts
        .iter()
        .map(|fact| {
            if fact.statistic.is_exact() {
                return Ok(exact_value(fact, &scenario.model));
            }
            let (numerator, denominator) = baseline
                .terms(fact)
                .iter()
                .fold((0.0, 0.0), |(n, d), (x, y)| (n + x, d + y));
            if denominator > 0.0 {
                Ok(numerator / denominator)
            } else {
                Err(undefined(scenario, fact))
            }
        })
        .collect()
}

fn undefined(scenario: &Scenario, fact: &Fact) -> FactsError {
    FactsError {
        origin: scenario.name.clone(),
        problem: format!(
            "fact `{}` is undefined for this baseline: no project in the group at risk was abandoned",
            fact.id
        ),
    }
}

/// Refuses facts whose window is longer than the scenario's horizon.
fn check_horizon(scenario: &Scenario, facts: &Facts) -> Result<(), FactsError> {
    let horizon = scenario.fund.horizon_months;
    for fact in &facts.facts {
        if !fact.statistic.is_exact()
            && let Some(months) = fact.months
            && months > horizon
        {
            return Err(FactsError {
                origin: scenario.name.clone(),
                problem: format!(
                    "fact `{}` needs {months} months, but fund.horizon_months is {horizon}",
                    fact.id
                ),
            });
        }
    }
    Ok(())
}

/// The simulated baseline: every replication's first abandonments, with the projects'
/// initial teams and revival probabilities that the statistics need.
struct Baseline {
    teams: Vec<u32>,
    revival_monthly: Vec<f64>,
    runs: Vec<Replication>,
}

impl Baseline {
    /// Each replication's numerator and denominator of a simulated statistic.
    fn terms(&self, fact: &Fact) -> Vec<(f64, f64)> {
        self.runs
            .iter()
            .map(|run| ratio_terms(fact, run, &self.teams, &self.revival_monthly))
            .collect()
    }
}

/// Simulates the `none` baseline of `scenario` on `portfolio`, `replications` times from
/// `seed` (in parallel; the result does not depend on the thread count).
fn simulate_baseline(
    scenario: &Scenario,
    portfolio: Portfolio,
    replications: u64,
    seed: u64,
) -> Baseline {
    let teams: Vec<u32> = portfolio.projects.iter().map(|p| p.maintainers).collect();
    let revival_monthly = revival_probabilities(&portfolio, &scenario.model);
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let baseline = &scenario.strategies[scenario.baseline_index()];
    let rule = baseline.rule.build();
    let runs: Vec<Replication> = (0..replications)
        .into_par_iter()
        .map(|replication| {
            let mut trajectory = Trajectory::default();
            simulate(
                &world,
                &baseline.name,
                rule.as_ref(),
                baseline.timing,
                seed,
                replication,
                &mut trajectory,
            );
            Replication {
                first_abandoned: trajectory.first_abandoned,
            }
        })
        .collect();
    Baseline {
        teams,
        revival_monthly,
        runs,
    }
}

/// Each project's monthly probability of revival once abandoned (docs/model.md:
/// `min(revival_hazard · d̃^revival_usage_exponent, 1)`).
pub fn revival_probabilities(portfolio: &Portfolio, model: &ModelParams) -> Vec<f64> {
    portfolio
        .projects
        .iter()
        .map(|project| {
            let usage = project.dependents.max(1.0) / model.reference_dependents;
            (model.revival_hazard * usage.powf(model.revival_usage_exponent)).min(1.0)
        })
        .collect()
}

/// A simulated statistic of one replication as numerator and denominator, so that the
/// model mean is a ratio of means (each replication weighs by its denominator).
fn ratio_terms(
    fact: &Fact,
    run: &Replication,
    teams: &[u32],
    revival_monthly: &[f64],
) -> (f64, f64) {
    let months = fact.months.unwrap_or(0);
    let abandoned = |project: usize| run.first_abandoned[project].is_some_and(|m| m <= months);
    let projects = 0..run.first_abandoned.len();
    match fact.statistic {
        Statistic::AbandonedWithin => (
            projects.clone().filter(|&p| abandoned(p)).count() as f64,
            projects.len() as f64,
        ),
        Statistic::RevivedWithin => {
            let window = fact.window.unwrap_or(0) as i32;
            projects
                .filter(|&p| abandoned(p))
                .fold((0.0, 0.0), |(revived, count), p| {
                    let stay = (1.0 - revival_monthly[p]).powi(window);
                    (revived + 1.0 - stay, count + 1.0)
                })
        }
        Statistic::RiskRatio => {
            let versus = fact.versus_team.unwrap_or(2);
            let risk = |in_group: &dyn Fn(u32) -> bool| {
                let members: Vec<usize> =
                    projects.clone().filter(|&p| in_group(teams[p])).collect();
                let lost = members.iter().filter(|&&p| abandoned(p)).count() as f64;
                lost / (members.len().max(1) as f64)
            };
            (risk(&|team| team <= 1), risk(&|team| team >= versus))
        }
        Statistic::BreakReturnWithin
        | Statistic::BreakReturnAfter
        | Statistic::BreakNeverReturn => {
            unreachable!("exact statistics are not simulated")
        }
    }
}

/// Ratio of means over replications with its delta-method interval, and the 2.5–97.5%
/// range of the per-replication ratios. `None` when the denominator's mean is zero.
fn ratio_estimate(terms: &[(f64, f64)]) -> Option<(Estimate, Option<(f64, f64)>)> {
    let mut moments = CoMoments::default();
    let mut ratios: Vec<f64> = Vec::with_capacity(terms.len());
    for &(numerator, denominator) in terms {
        moments.add(numerator, denominator);
        if denominator > 0.0 {
            ratios.push(numerator / denominator);
        }
    }
    let estimate = moments.ratio()?;
    ratios.sort_by(f64::total_cmp);
    let range = (ratios.len() >= 2).then(|| {
        (
            percentile(&ratios, 0.025, Interpolation::Offset),
            percentile(&ratios, 0.975, Interpolation::Offset),
        )
    });
    Some((estimate, range))
}

/// The probability that a maintainer on a break, whose project stays active, is still
/// away after months `from` to `to` of the break (1-based; the model's return probability
/// in month `s` away is `break_return_hazard · e^(−s/break_return_decay_months)`, and
/// nobody returns after `break_max_months`).
pub fn still_away(model: &ModelParams, from: u32, to: u32) -> f64 {
    (from..=to.min(model.break_max_months))
        .map(|s| {
            1.0 - model.break_return_hazard
                * (-f64::from(s) / model.break_return_decay_months).exp()
        })
        .product()
}

/// The exact value of a statistic of breaks: the model's monthly return probability is
/// `break_return_hazard · e^(−s/break_return_decay_months)` in month `s` away, up to
/// `break_max_months` (docs/model.md), for a maintainer whose project stays active.
fn exact_value(fact: &Fact, model: &ModelParams) -> f64 {
    let stay_away = |from: u32, to: u32| still_away(model, from, to);
    let months = fact.months.unwrap_or(0);
    match fact.statistic {
        Statistic::BreakReturnWithin => 1.0 - stay_away(1, months),
        Statistic::BreakReturnAfter => 1.0 - stay_away(months + 1, model.break_max_months),
        Statistic::BreakNeverReturn => stay_away(1, model.break_max_months),
        _ => unreachable!("simulated statistics are not exact"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_facts_parse_and_name_their_conflicts() {
        let facts = Facts::builtin();
        assert!(facts.facts.len() >= 6);
        assert!(facts.conflict_of("break_never_return").is_some());
        assert!(facts.conflict_of("abandoned_within_5_years").is_none());
    }

    #[test]
    fn bad_facts_name_the_key() {
        let text = BUILTIN_FACTS.replacen("published = [0.124, 0.16]", "published = [0.3, 0.1]", 1);
        let error = Facts::parse(&text, "f.toml").unwrap_err();
        assert!(error.to_string().contains("facts[0].published"), "{error}");
        let text = BUILTIN_FACTS.replacen("window = 36\n", "", 1);
        let error = Facts::parse(&text, "f.toml").unwrap_err();
        assert!(error.to_string().contains("facts[1].window"), "{error}");
    }

    #[test]
    fn verdicts_compare_ranges() {
        assert_eq!(verdict([0.124, 0.16], (0.146, 0.17)), Verdict::Consistent);
        assert_eq!(verdict([0.21, 0.26], (0.194, 0.194)), Verdict::Close);
        assert_eq!(verdict([0.124, 0.16], (0.191, 0.218)), Verdict::Fails);
        assert_eq!(verdict([6.0, 6.0], (4.3, 7.1)), Verdict::Consistent);
    }

    #[test]
    fn statistics_are_the_model_means_of_the_evaluation() {
        let scenario = crate::scenario::parse_with_overrides(
            FACTS_SCENARIO,
            "popular-baseline",
            &[("portfolio.projects", 400.0)],
        )
        .unwrap();
        let crate::params::PortfolioSpec::Synthetic(spec) = &scenario.portfolio else {
            panic!("the facts scenario has a synthetic portfolio");
        };
        let portfolio = || Portfolio::synthetic(spec, &scenario.model, 5, 0);
        let facts = Facts::builtin();
        let evaluation = evaluate(&scenario, portfolio(), &facts, 6, 11).unwrap();
        let values = statistics(&scenario, portfolio(), &facts, 6, 11).unwrap();
        for (value, evaluated) in values.iter().zip(&evaluation.facts) {
            let mean = evaluated.model.mean;
            assert!((value - mean).abs() <= 1e-12 * mean.abs(), "{value} {mean}");
        }
        // One replication is one study: defined, and within that study's range.
        let one = statistics(&scenario, portfolio(), &facts, 1, 11).unwrap();
        assert!(one[0] > 0.0 && one[0] < 1.0);
        assert!(statistics(&scenario, portfolio(), &facts, 0, 11).is_err());
    }

    #[test]
    fn break_returns_add_up() {
        let model = ModelParams::default();
        let fact = |statistic, months| Fact {
            id: String::new(),
            description: String::new(),
            statistic,
            months,
            window: None,
            versus_team: None,
            published: [0.0, 1.0],
            sources: vec![],
            portfolio: String::new(),
        };
        let within = exact_value(&fact(Statistic::BreakReturnWithin, Some(12)), &model);
        let after = exact_value(&fact(Statistic::BreakReturnAfter, Some(12)), &model);
        let never = exact_value(&fact(Statistic::BreakNeverReturn, None), &model);
        // Never back = still away after a year × not back later.
        assert!(((1.0 - within) * (1.0 - after) - never).abs() < 1e-12);
        assert!(within > 0.0 && within < 1.0);
    }
}
