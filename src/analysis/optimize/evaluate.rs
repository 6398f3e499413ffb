//! Evaluating a candidate strategy: the scenario run with the baseline and the candidate
//! only, on the search's seed and parameter sets, so that every candidate meets the same
//! random numbers as every other and as the named strategies (common random numbers: a
//! strategy's streams depend on the seed, the replication, the set and its own name, never
//! on which other strategies run beside it; a test checks it).

use std::sync::atomic::AtomicBool;

use crate::engine::{self, ParameterWorlds, RunConfig, RunError};
use crate::params::ScenarioError;
use crate::portfolio::Portfolio;
use crate::scenario::uncertainty::PortfolioDraw;
use crate::scenario::uncertainty::sets::ParameterSets;
use crate::scenario::{self, Scenario};
use crate::stats::{MeanVar, Quantity, RunAccumulator, SetQuantity};
use crate::strategy::StrategySpec;

use super::objective::{Goal, Score, score_fixed, score_sets};

/// The name every candidate runs under (its fund's random stream is keyed by it, so the
/// hold-out run and `fundsim run` on `best.toml` give it the same draws).
pub const CANDIDATE_NAME: &str = "optimised";

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("{0}")]
    Shape(String),
}

/// The scenario's parameter sets, drawn once for the search.
#[derive(Debug, Clone)]
pub struct SearchSets {
    pub sets: ParameterSets,
    pub draw: PortfolioDraw,
}

/// Everything an evaluation needs, fixed for the whole search.
#[derive(Debug, Clone)]
pub struct Evaluator {
    /// The scenario's TOML text (with `--set` applied) and where it came from.
    pub text: String,
    pub origin: String,
    /// The validated scenario with the search's seed and replications.
    pub scenario: Scenario,
    pub portfolio: Portfolio,
    /// `None` for a fixed-parameter search.
    pub sets: Option<SearchSets>,
    pub quantity: SetQuantity,
    pub goal: Goal,
    /// The named strategies' set means (`[strategy][set]`, the baseline left out), or
    /// their (mean, standard error) in a fixed-parameter search.
    pub named_sets: Vec<Vec<f64>>,
    pub named_fixed: Vec<(f64, f64)>,
}

/// The scenario text with `table` appended as its last `[[strategies]]` entry.
///
/// # Errors
/// When the text is not a TOML table (it was validated before, so never in practice).
pub fn with_strategy(text: &str, table: &toml::Table) -> Result<String, String> {
    let mut document: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let strategies = document
        .entry("strategies")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    match strategies {
        toml::Value::Array(list) => list.push(toml::Value::Table(table.clone())),
        _ => return Err("`strategies` is not a list of tables".into()),
    }
    toml::to_string(&document).map_err(|e| e.to_string())
}

/// The quantity of a set-level metric as the fixed-parameter accumulators hold it.
pub fn as_quantity(quantity: SetQuantity) -> Quantity {
    match quantity {
        SetQuantity::Metric(metric) => Quantity::Metric(metric),
        SetQuantity::Paired(paired) => Quantity::Paired(paired),
    }
}

impl Evaluator {
    /// The candidate `table` as a validated strategy (checked as an entry of the scenario,
    /// so a problem names its full key, e.g. `strategies[5].max_share`).
    ///
    /// # Errors
    /// [`EvaluationError::Scenario`] when the entry is invalid.
    pub fn strategy(&self, table: &toml::Table) -> Result<StrategySpec, EvaluationError> {
        let text = with_strategy(&self.text, table).map_err(EvaluationError::Shape)?;
        let mut parsed = scenario::parse_with_overrides(&text, &self.origin, &[])?;
        parsed
            .strategies
            .pop()
            .ok_or_else(|| EvaluationError::Shape("the candidate was not read back".into()))
    }

    /// The scenario restricted to the baseline and `strategy`.
    fn with_candidate(&self, base: &Scenario, strategy: &StrategySpec) -> Scenario {
        let mut scenario = base.clone();
        let baseline = scenario.strategies[scenario.baseline_index()].clone();
        scenario.strategies = vec![baseline, strategy.clone()];
        scenario
    }

    /// Runs the baseline and `strategy` on the search's seed and sets.
    ///
    /// # Errors
    /// [`EvaluationError`] when a set cannot be built or the run is cancelled.
    pub fn run(
        &self,
        strategy: &StrategySpec,
        cancel: &AtomicBool,
    ) -> Result<RunAccumulator, EvaluationError> {
        let scenario = self.with_candidate(&self.scenario, strategy);
        let mut config = RunConfig::from_scenario(&scenario);
        if let Some(search) = &self.sets {
            let ParameterSets {
                paths,
                values,
                scenarios,
                assumptions,
            } = &search.sets;
            let sets = ParameterSets {
                paths: paths.clone(),
                values: values.clone(),
                scenarios: scenarios
                    .iter()
                    .map(|s| self.with_candidate(s, strategy))
                    .collect(),
                assumptions: assumptions.clone(),
            };
            let worlds = ParameterWorlds::new(
                &scenario,
                &self.portfolio,
                sets,
                search.draw,
                scenario.run.seed,
            )
            .map_err(|e| EvaluationError::Shape(e.to_string()))?;
            config.parameter_worlds = Some(std::sync::Arc::new(worlds));
        }
        let result = engine::run(&scenario, self.portfolio.clone(), &config, &|_| {}, cancel)?;
        Ok(result.accumulator)
    }

    /// The goal's value for the candidate whose run (baseline first, candidate second)
    /// gave `acc`.
    pub fn score(&self, acc: &RunAccumulator, higher_is_better: bool) -> Score {
        self.score_of(acc, 1, higher_is_better)
    }

    /// The goal's value for strategy `candidate` of the run that gave `acc` (e.g. a named
    /// strategy of the whole scenario, for comparison).
    pub fn score_of(
        &self,
        acc: &RunAccumulator,
        candidate: usize,
        higher_is_better: bool,
    ) -> Score {
        if acc.parameter_sets() > 0 {
            let sets: Vec<MeanVar> = (0..acc.parameter_sets())
                .map(|k| *acc.in_set(k, candidate, self.quantity))
                .collect();
            score_sets(self.goal, higher_is_better, &sets, &self.named_sets)
        } else {
            let estimate = as_quantity(self.quantity).estimate(acc, candidate);
            score_fixed(
                self.goal,
                higher_is_better,
                (estimate.mean, estimate.mcse),
                &self.named_fixed,
            )
        }
    }
}

/// The named strategies' set means (`[strategy][set]`) or (mean, standard error), the
/// baseline left out, from a run of the whole scenario.
pub fn named_results(
    acc: &RunAccumulator,
    baseline: usize,
    quantity: SetQuantity,
) -> (Vec<Vec<f64>>, Vec<(f64, f64)>) {
    let named: Vec<usize> = (0..acc.strategies.len())
        .filter(|&s| s != baseline)
        .collect();
    let sets = named
        .iter()
        .map(|&s| {
            (0..acc.parameter_sets())
                .map(|k| acc.in_set(k, s, quantity).mean_or_nan())
                .collect()
        })
        .collect();
    let fixed = named
        .iter()
        .map(|&s| {
            let e = as_quantity(quantity).estimate(acc, s);
            (e.mean, e.mcse)
        })
        .collect();
    (sets, fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{load_joint_draws, load_portfolio, load_scenario};
    use crate::scenario::uncertainty::sets::parameter_sets;
    use crate::stats::Metric;

    /// A candidate run beside the baseline alone meets exactly the random numbers it meets
    /// in the whole scenario: `usage-sqrt` written as a candidate table gives, set by set,
    /// the same accumulators as in a run of every strategy (common random numbers).
    #[test]
    fn a_candidate_alone_equals_the_same_strategy_in_the_whole_scenario() {
        let loaded = load_scenario(Some("stf")).unwrap();
        let mut scenario = loaded.scenario.clone();
        scenario.run.replications = 32;
        let mut spec = scenario.uncertainty.clone().unwrap();
        spec.parameter_sets = 4;
        scenario.uncertainty = Some(spec.clone());
        let seed = scenario.run.seed;
        let joint = load_joint_draws(&loaded).unwrap();
        let sets =
            parameter_sets(&loaded.text, &loaded.origin, &spec, joint.as_ref(), seed).unwrap();
        let portfolio = load_portfolio(&loaded, seed).unwrap();
        let quantity = SetQuantity::Metric(Metric::SurvivalAtHorizon);
        // The candidate is checked as an extra entry of the scenario, whose names must be
        // unique: the named `usage-sqrt` is renamed in the evaluator's copy only.
        let renamed = loaded
            .text
            .replace("name = \"usage-sqrt\"", "name = \"usage-sqrt-named\"");
        assert_ne!(renamed, loaded.text);
        let evaluator = Evaluator {
            text: renamed,
            origin: loaded.origin.clone(),
            scenario: scenario.clone(),
            portfolio: portfolio.clone(),
            sets: Some(SearchSets {
                sets: sets.clone(),
                draw: spec.portfolio,
            }),
            quantity,
            goal: Goal::Mean,
            named_sets: Vec::new(),
            named_fixed: Vec::new(),
        };
        let table: toml::Table = toml::from_str(
            "name = \"usage-sqrt\"\nrule = \"proportional\"\ntiming = \"even\"\nscore = \"dependents\"\npower = 0.5",
        )
        .unwrap();
        let strategy = evaluator.strategy(&table).unwrap();
        let alone = evaluator.run(&strategy, &AtomicBool::new(false)).unwrap();
        let worlds =
            ParameterWorlds::new(&scenario, &portfolio, sets, spec.portfolio, seed).unwrap();
        let config = RunConfig {
            parameter_worlds: Some(std::sync::Arc::new(worlds)),
            ..RunConfig::from_scenario(&scenario)
        };
        let whole = engine::run(
            &scenario,
            portfolio,
            &config,
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap()
        .accumulator;
        let index = scenario
            .strategies
            .iter()
            .position(|s| s.name == "usage-sqrt")
            .unwrap();
        assert_eq!(alone.parameter_sets(), 4);
        for k in 0..4 {
            assert_eq!(
                alone.in_set(k, 1, quantity),
                whole.in_set(k, index, quantity),
                "set {k}"
            );
            assert!(alone.in_set(k, 1, quantity).count > 0);
        }
        let (named, _) = named_results(&whole, 0, quantity);
        assert_eq!(named.len(), 4);
        let score = evaluator.score(&alone, true);
        assert!((score.value - named[index - 1].iter().sum::<f64>() / 4.0).abs() < 1e-12);
    }
}
