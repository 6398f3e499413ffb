//! The generation loop: ask the optimiser for a generation of candidates, evaluate them
//! (in parallel, by the caller), record every evaluation, update the optimiser, save the
//! state; finally evaluate the optimiser's mean, the recommended policy (for a noisy
//! objective the mean of the search distribution is a better estimate of the optimum than
//! the best single evaluation, which is biased by its own noise: Hansen 2016, §B.2;
//! Arnold & Beyer 2006).
//!
//! Everything the loop carries is in [`SearchState`], serializable: a search stopped
//! after any generation and resumed from its saved state ends with exactly the result of
//! an uninterrupted one, because evaluations are pure functions of the candidate and the
//! search's seed and the optimiser's draws are keyed by the generation.

use serde::{Deserialize, Serialize};

use super::cmaes::CmaesState;
use super::objective::Score;
use super::space::SearchSpace;

/// The initial step size in the unit box: a third of each range, so the first
/// generations explore the whole family.
pub const INITIAL_SIGMA: f64 = 0.3;

/// One evaluation, as `trace.csv` has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    /// The generation (from 0); the final evaluation of the mean has the number of
    /// generations.
    pub generation: u64,
    /// The candidate's place in its generation; `None` for the final mean.
    pub candidate: Option<u32>,
    /// The parameter values evaluated (as written to the strategy table).
    pub values: Vec<f64>,
    pub estimate: f64,
    pub se: f64,
}

/// The whole search so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchState {
    pub optimiser: CmaesState,
    /// Generations to run before the final evaluation.
    pub generations: u64,
    pub trace: Vec<TraceRow>,
    /// The final evaluation of the optimiser's mean, once made.
    pub recommended: Option<TraceRow>,
}

impl SearchState {
    /// A search of `generations` generations from the space's start, its draws from
    /// `seed`.
    pub fn new(
        space: &SearchSpace,
        generations: u64,
        population: Option<usize>,
        seed: u64,
    ) -> Self {
        Self {
            optimiser: CmaesState::new(space.start(), INITIAL_SIGMA, population, seed),
            generations,
            trace: Vec::new(),
            recommended: None,
        }
    }

    /// Candidates per generation.
    pub fn population(&self) -> usize {
        self.optimiser.settings.population
    }

    /// Evaluations the whole search makes: every generation and the final mean.
    pub fn evaluations(&self) -> u64 {
        self.generations * self.population() as u64 + 1
    }

    pub fn is_done(&self) -> bool {
        self.recommended.is_some()
    }

    /// The best evaluation so far by `loss` (ties: the earliest).
    pub fn best_so_far(&self, loss: impl Fn(f64) -> f64) -> Option<&TraceRow> {
        self.trace
            .iter()
            .filter(|row| row.estimate.is_finite())
            .min_by(|a, b| loss(a.estimate).total_cmp(&loss(b.estimate)))
    }
}

/// Runs the search to its end from `state` (fresh or restored): `evaluate` gets the
/// parameter values of a generation's candidates and returns their scores in the same
/// order; `loss` turns a score's value into what is minimised; `saved` is called after
/// every generation and after the final evaluation with the state to keep.
///
/// # Errors
/// The first error of `evaluate` (e.g. a cancelled run): the state then holds every
/// generation completed before it.
pub fn run<E>(
    state: &mut SearchState,
    space: &SearchSpace,
    mut evaluate: impl FnMut(&[Vec<f64>]) -> Result<Vec<Score>, E>,
    loss: impl Fn(f64) -> f64,
    mut saved: impl FnMut(&SearchState),
) -> Result<(), E> {
    while state.optimiser.generation < state.generations {
        let generation = state.optimiser.generation;
        let points = state.optimiser.ask();
        let values: Vec<Vec<f64>> = points.iter().map(|y| space.values(y)).collect();
        let scores = evaluate(&values)?;
        let losses: Vec<f64> = scores.iter().map(|s| loss(s.value)).collect();
        for (k, (values, score)) in values.into_iter().zip(&scores).enumerate() {
            state.trace.push(TraceRow {
                generation,
                candidate: Some(k as u32),
                values,
                estimate: score.value,
                se: score.se,
            });
        }
        state.optimiser.tell(&points, &losses);
        saved(state);
    }
    if state.recommended.is_none() {
        let values = space.values(&state.optimiser.mean);
        let score = evaluate(std::slice::from_ref(&values))?[0];
        state.recommended = Some(TraceRow {
            generation: state.generations,
            candidate: None,
            values,
            estimate: score.value,
            se: score.se,
        });
        saved(state);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::optimize::space::{Dimension, Kind};

    fn toy_space() -> SearchSpace {
        SearchSpace {
            fixed: toml::Table::new(),
            dimensions: vec![
                Dimension::new("a", Kind::Real, (-1.0, 1.0), 0.9),
                Dimension::new("b", Kind::Real, (0.0, 10.0), 9.0),
            ],
        }
    }

    /// A toy objective with a known optimum inside the box, (a − 0.25)² + ((b − 3)/10)²,
    /// to be minimised: the recommended point lands on it (to the rounding of three
    /// significant figures plus the optimiser's spread).
    fn toy(values: &[Vec<f64>]) -> Result<Vec<Score>, String> {
        Ok(values
            .iter()
            .map(|v| Score {
                value: (v[0] - 0.25).powi(2) + ((v[1] - 3.0) / 10.0).powi(2),
                se: 0.0,
            })
            .collect())
    }

    #[test]
    fn reaches_a_known_optimum_through_the_bounds_transform() {
        let space = toy_space();
        let mut state = SearchState::new(&space, 40, None, 3);
        run(&mut state, &space, toy, |v| v, |_| {}).unwrap();
        let best = state.recommended.clone().unwrap();
        assert!((best.values[0] - 0.25).abs() < 0.01, "{best:?}");
        assert!((best.values[1] - 3.0).abs() < 0.1, "{best:?}");
        assert_eq!(state.trace.len() as u64 + 1, state.evaluations());
        eprintln!(
            "toy: optimum within 0.01 after {} evaluations",
            state.evaluations()
        );
    }

    /// Stopped after 7 generations (the evaluation fails, as a Ctrl-C would make it),
    /// saved, restored and continued: the same trace and answer as one uninterrupted run.
    #[test]
    fn a_resumed_search_equals_an_uninterrupted_one() {
        let space = toy_space();
        let mut whole = SearchState::new(&space, 15, None, 9);
        run(&mut whole, &space, toy, |v| v, |_| {}).unwrap();
        let mut first = SearchState::new(&space, 15, None, 9);
        let mut saved = Vec::new();
        let mut calls = 0;
        let stopped = run(
            &mut first,
            &space,
            |v: &[Vec<f64>]| {
                calls += 1;
                if calls > 7 {
                    Err("stopped".to_string())
                } else {
                    toy(v)
                }
            },
            |v| v,
            |s| saved = postcard::to_stdvec(s).unwrap(),
        );
        assert!(stopped.is_err());
        let mut resumed: SearchState = postcard::from_bytes(&saved).unwrap();
        assert_eq!(resumed.optimiser.generation, 7);
        run(&mut resumed, &space, toy, |v| v, |_| {}).unwrap();
        assert_eq!(resumed, whole);
    }
}
