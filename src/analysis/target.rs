//! Target search: the parameter value at which an outcome reaches a goal, by bracketing
//! and bisection on a function evaluated with the same random streams at every value
//! (common random numbers make the estimated curve smooth in the parameter), and a 95%
//! interval for that value by inverting the outcome's interval: the ends are where the
//! upper and the lower bound of the outcome's 95% interval cross the goal.
//!
//! "Reaches" means at least the goal for an outcome where higher is better and at most
//! the goal otherwise. The answer is the boundary of the region where the goal is
//! reached: the smallest value when the outcome improves with the parameter, the largest
//! when it worsens.

use crate::stats::Estimate;

/// What to search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetProblem {
    pub goal: f64,
    /// Whether reaching the goal means `outcome ≥ goal` (else `outcome ≤ goal`).
    pub higher_is_better: bool,
    /// Initial bracket.
    pub low: f64,
    pub high: f64,
    /// Stop when the bracket is narrower than this (in parameter units).
    pub tolerance: f64,
    /// How often the bracket may be widened (doubled outward) to contain the goal.
    pub max_expansions: u32,
    /// Smallest value the parameter may take (the bracket is not widened below it).
    pub floor: f64,
}

/// How the outcome moves with the parameter, seen from the bracket's ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The goal is reached above the answer: the answer is the smallest such value.
    ReachedAbove,
    /// The goal is reached below the answer: the answer is the largest such value.
    ReachedBelow,
}

/// An end of the interval of the answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// Where the interval bound of the outcome crosses the goal.
    At(f64),
    /// Beyond the searched bracket (the outcome's interval still contains the goal at
    /// this end of the bracket).
    Beyond(f64),
}

impl Bound {
    pub fn value(self) -> f64 {
        match self {
            Self::At(value) | Self::Beyond(value) => value,
        }
    }
}

/// The answer and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetResult {
    /// The parameter value at which the goal is reached (the reaching end of the final
    /// bracket).
    pub value: f64,
    pub direction: Direction,
    /// The interval of the answer: its end towards where the goal is missed, and towards
    /// where it is reached.
    pub interval: (Bound, Bound),
    /// Every evaluation, in the order made: (parameter, outcome).
    pub evaluations: Vec<(f64, Estimate)>,
    /// Every decision of the search, in the order made (a value reused from an earlier
    /// evaluation appears again when it decides again).
    pub trace: Vec<TraceStep>,
    /// The bracket searched after widening (low, high).
    pub searched: (f64, f64),
    /// The final bracket (missed end, reached end).
    pub bracket: (f64, f64),
}

/// What a step of the search decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// An end of the bracket, evaluated (or widened) until the goal lies between them.
    Bracket,
    /// Bisection on the mean: the answer.
    Answer,
    /// Bisection on the optimistic end of the outcome's interval: the interval end
    /// towards where the goal is missed.
    NearBound,
    /// Bisection on the pessimistic end: the interval end towards where it is reached.
    FarBound,
}

impl Phase {
    /// The name in `target_trace.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bracket => "bracket",
            Self::Answer => "answer",
            Self::NearBound => "interval_near_end",
            Self::FarBound => "interval_far_end",
        }
    }
}

/// One decision of the search: the value tried, its outcome, and whether the goal
/// counts as reached there by the part of the interval this phase judges on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceStep {
    pub phase: Phase,
    pub value: f64,
    pub estimate: Estimate,
    /// Which of the estimate's numbers was compared with the goal: `mean`, `ci_low` or
    /// `ci_high`.
    pub judged_on: &'static str,
    pub reached: bool,
}

/// Why the search failed.
#[derive(Debug, thiserror::Error)]
pub enum TargetError<E: std::error::Error + 'static> {
    #[error("{0}")]
    Evaluation(#[source] E),
    #[error(
        "the goal {goal} is not bracketed: the outcome is {at_low:.6} at {low} and {at_high:.6} at {high} (after widening the range {expansions} times); give another --range"
    )]
    NotBracketed {
        goal: f64,
        low: f64,
        high: f64,
        at_low: f64,
        at_high: f64,
        expansions: u32,
    },
    #[error("the outcome is undefined at {at}")]
    Undefined { at: f64 },
}

/// Which part of the outcome's interval decides "reached".
#[derive(Debug, Clone, Copy)]
enum Side {
    Mean,
    /// The optimistic end of the interval (the goal is plausibly reached).
    Optimistic,
    /// The pessimistic end (the goal is reached with 95% confidence).
    Pessimistic,
}

/// Searches with `evaluate` (called with parameter values; it should use the same
/// random streams at every value).
///
/// # Errors
/// [`TargetError`] when an evaluation fails, the outcome is undefined or the goal is
/// not bracketed.
pub fn search<E, F>(
    problem: &TargetProblem,
    mut evaluate: F,
) -> Result<TargetResult, TargetError<E>>
where
    E: std::error::Error + 'static,
    F: FnMut(f64) -> Result<Estimate, E>,
{
    let mut evaluations: Vec<(f64, Estimate)> = Vec::new();
    let mut eval = |x: f64, evaluations: &mut Vec<(f64, Estimate)>| {
        if let Some(&(_, e)) = evaluations.iter().find(|(at, _)| *at == x) {
            return Ok(e);
        }
        let estimate = evaluate(x).map_err(TargetError::Evaluation)?;
        if estimate.mean.is_nan() {
            return Err(TargetError::Undefined { at: x });
        }
        evaluations.push((x, estimate));
        Ok(estimate)
    };
    let judged_on = |side: Side| match (side, problem.higher_is_better) {
        (Side::Mean, _) => "mean",
        (Side::Optimistic, true) | (Side::Pessimistic, false) => "ci_high",
        (Side::Optimistic, false) | (Side::Pessimistic, true) => "ci_low",
    };
    let reached = |e: &Estimate, side: Side| {
        let value = match judged_on(side) {
            "mean" => e.mean,
            "ci_high" => e.high,
            _ => e.low,
        };
        if problem.higher_is_better {
            value >= problem.goal
        } else {
            value <= problem.goal
        }
    };
    let mut trace: Vec<TraceStep> = Vec::new();
    let mut record = |phase: Phase, value: f64, estimate: Estimate, side: Side| {
        let step = TraceStep {
            phase,
            value,
            estimate,
            judged_on: judged_on(side),
            reached: reached(&estimate, side),
        };
        trace.push(step);
        step.reached
    };
    // Signed progress towards the goal, to see which way the outcome moves.
    let progress = |e: &Estimate| {
        if problem.higher_is_better {
            e.mean - problem.goal
        } else {
            problem.goal - e.mean
        }
    };
    let (mut low, mut high) = (problem.low, problem.high);
    let mut at_low = eval(low, &mut evaluations)?;
    record(Phase::Bracket, low, at_low, Side::Mean);
    let mut at_high = eval(high, &mut evaluations)?;
    record(Phase::Bracket, high, at_high, Side::Mean);
    let mut expansions = 0;
    while reached(&at_low, Side::Mean) == reached(&at_high, Side::Mean) {
        let improving_upwards = progress(&at_high) > progress(&at_low);
        let widen_up = improving_upwards != reached(&at_low, Side::Mean);
        let width = high - low;
        if expansions >= problem.max_expansions || (!widen_up && low <= problem.floor) {
            return Err(TargetError::NotBracketed {
                goal: problem.goal,
                low,
                high,
                at_low: at_low.mean,
                at_high: at_high.mean,
                expansions,
            });
        }
        expansions += 1;
        if widen_up {
            high += width;
            at_high = eval(high, &mut evaluations)?;
            record(Phase::Bracket, high, at_high, Side::Mean);
        } else {
            low = (low - width).max(problem.floor);
            at_low = eval(low, &mut evaluations)?;
            record(Phase::Bracket, low, at_low, Side::Mean);
        }
    }
    let searched = (low, high);
    let direction = if reached(&at_high, Side::Mean) {
        Direction::ReachedAbove
    } else {
        Direction::ReachedBelow
    };
    let (missed_end, reached_end) = match direction {
        Direction::ReachedAbove => (low, high),
        Direction::ReachedBelow => (high, low),
    };
    let mut bisect = |mut missed: f64,
                      mut hit: f64,
                      (phase, side): (Phase, Side),
                      evaluations: &mut Vec<(f64, Estimate)>|
     -> Result<(f64, f64), TargetError<E>> {
        while (hit - missed).abs() > problem.tolerance {
            let middle = 0.5 * (missed + hit);
            let estimate = eval(middle, evaluations)?;
            if record(phase, middle, estimate, side) {
                hit = middle;
            } else {
                missed = middle;
            }
        }
        Ok((missed, hit))
    };
    let (missed, hit) = bisect(
        missed_end,
        reached_end,
        (Phase::Answer, Side::Mean),
        &mut evaluations,
    )?;
    // The optimistic bound reaches the goal first (towards the missed end).
    let near = if reached(&at_end(&evaluations, missed_end), Side::Optimistic) {
        Bound::Beyond(missed_end)
    } else {
        let (_, hit) = bisect(
            missed_end,
            hit,
            (Phase::NearBound, Side::Optimistic),
            &mut evaluations,
        )?;
        Bound::At(hit)
    };
    let far = if !reached(&at_end(&evaluations, reached_end), Side::Pessimistic) {
        Bound::Beyond(reached_end)
    } else {
        let (_, hit) = bisect(
            missed,
            reached_end,
            (Phase::FarBound, Side::Pessimistic),
            &mut evaluations,
        )?;
        Bound::At(hit)
    };
    Ok(TargetResult {
        value: hit,
        direction,
        interval: (near, far),
        evaluations,
        trace,
        searched,
        bracket: (missed, hit),
    })
}

fn at_end(evaluations: &[(f64, Estimate)], x: f64) -> Estimate {
    evaluations
        .iter()
        .find(|(at, _)| *at == x)
        .map(|&(_, e)| e)
        .expect("the bracket's ends were evaluated")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("never")]
    struct Never;

    fn problem(goal: f64, low: f64, high: f64) -> TargetProblem {
        TargetProblem {
            goal,
            higher_is_better: true,
            low,
            high,
            tolerance: 1e-6,
            max_expansions: 8,
            floor: 0.0,
        }
    }

    #[test]
    fn finds_the_root_of_an_increasing_function_and_widens_the_bracket() {
        // x² reaches 2 at √2; the bracket [0.1, 0.5] must be widened upward.
        let result = search(&problem(2.0, 0.1, 0.5), |x| {
            Ok::<_, Never>(Estimate::normal(x * x, 0.01))
        })
        .unwrap();
        assert_eq!(result.direction, Direction::ReachedAbove);
        assert!((result.value - 2f64.sqrt()).abs() < 2e-6, "{result:?}");
        // The interval: where x² ± 1.96·0.01 crosses 2.
        let (near, far) = result.interval;
        let z = crate::stats::Z95 * 0.01;
        assert!((near.value() - (2.0 - z).sqrt()).abs() < 2e-6, "{near:?}");
        assert!((far.value() - (2.0 + z).sqrt()).abs() < 2e-6, "{far:?}");
        // The trace: the bracket widened from [0.1, 0.5] upward, then the three
        // bisections in order, each decision true to the number it was judged on.
        let phases: Vec<Phase> = result.trace.iter().map(|s| s.phase).collect();
        assert_eq!(&phases[..2], &[Phase::Bracket, Phase::Bracket]);
        let first = |phase| phases.iter().position(|&p| p == phase).unwrap();
        assert!(first(Phase::Bracket) < first(Phase::Answer));
        assert!(first(Phase::Answer) < first(Phase::NearBound));
        assert!(first(Phase::NearBound) < first(Phase::FarBound));
        // Widened twice, doubling the width each time: 0.5 → 0.9 → 1.7 (1.7² ≥ 2).
        assert_eq!(result.searched.0, 0.1);
        assert!(
            (result.searched.1 - 1.7).abs() < 1e-12,
            "{:?}",
            result.searched
        );
        for step in &result.trace {
            let judged = match step.judged_on {
                "mean" => step.estimate.mean,
                "ci_high" => step.estimate.high,
                "ci_low" => step.estimate.low,
                other => panic!("{other}"),
            };
            assert_eq!(step.reached, judged >= 2.0, "{step:?}");
            assert_eq!(step.estimate.mean, step.value * step.value);
        }
        assert_eq!(result.trace.last().unwrap().phase, Phase::FarBound);
    }

    #[test]
    fn finds_the_largest_value_for_a_falling_outcome() {
        // Abandonments (lower is better) rise as 10·x: at most 4 up to x = 0.4.
        let mut p = problem(4.0, 0.0, 1.0);
        p.higher_is_better = false;
        let result = search(&p, |x| Ok::<_, Never>(Estimate::normal(10.0 * x, 0.0))).unwrap();
        assert_eq!(result.direction, Direction::ReachedBelow);
        assert!((result.value - 0.4).abs() < 2e-6);
        assert!(result.value <= 0.4);
    }

    #[test]
    fn reports_a_goal_out_of_reach() {
        let error = search(&problem(5.0, 0.0, 1.0), |x| {
            Ok::<_, Never>(Estimate::normal(x.min(1.0), 0.0))
        })
        .unwrap_err();
        assert!(matches!(error, TargetError::NotBracketed { .. }), "{error}");
    }
}
