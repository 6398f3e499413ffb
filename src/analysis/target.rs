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
    /// The final bracket (missed end, reached end).
    pub bracket: (f64, f64),
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
    let reached = |e: &Estimate, side: Side| {
        let value = match (side, problem.higher_is_better) {
            (Side::Mean, _) => e.mean,
            (Side::Optimistic, true) | (Side::Pessimistic, false) => e.high,
            (Side::Optimistic, false) | (Side::Pessimistic, true) => e.low,
        };
        if problem.higher_is_better {
            value >= problem.goal
        } else {
            value <= problem.goal
        }
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
    let mut at_high = eval(high, &mut evaluations)?;
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
        } else {
            low = (low - width).max(problem.floor);
            at_low = eval(low, &mut evaluations)?;
        }
    }
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
                      side: Side,
                      evaluations: &mut Vec<(f64, Estimate)>|
     -> Result<(f64, f64), TargetError<E>> {
        while (hit - missed).abs() > problem.tolerance {
            let middle = 0.5 * (missed + hit);
            let estimate = eval(middle, evaluations)?;
            if reached(&estimate, side) {
                hit = middle;
            } else {
                missed = middle;
            }
        }
        Ok((missed, hit))
    };
    let (missed, hit) = bisect(missed_end, reached_end, Side::Mean, &mut evaluations)?;
    // The optimistic bound reaches the goal first (towards the missed end).
    let near = if reached(&at_end(&evaluations, missed_end), Side::Optimistic) {
        Bound::Beyond(missed_end)
    } else {
        let (_, hit) = bisect(missed_end, hit, Side::Optimistic, &mut evaluations)?;
        Bound::At(hit)
    };
    let far = if !reached(&at_end(&evaluations, reached_end), Side::Pessimistic) {
        Bound::Beyond(reached_end)
    } else {
        let (_, hit) = bisect(missed, reached_end, Side::Pessimistic, &mut evaluations)?;
        Bound::At(hit)
    };
    Ok(TargetResult {
        value: hit,
        direction,
        interval: (near, far),
        evaluations,
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
