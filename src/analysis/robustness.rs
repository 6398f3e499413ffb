//! How robust a run's answer is to what we do not know: from the per-parameter-set
//! accumulators of a run with uncertainty, every quantity's spread across parameter sets,
//! every strategy's chance of being best, and what would change the answer.
//!
//! The estimators are in [`super::uncertainty`]; this module only feeds them a run.

use super::uncertainty::{Decision, Spread, Switch, decide, spread, switch_for_top, top_strategy};
use crate::engine::ParameterWorlds;
use crate::stats::{Metric, RunAccumulator, SetQuantity};

const ALWAYS_DEFINED: SetQuantity = SetQuantity::Metric(Metric::SurvivalAtHorizon);

/// The robustness of one quantity (a metric or a paired difference).
#[derive(Debug, Clone)]
pub struct QuantityRobustness {
    pub quantity: SetQuantity,
    /// One per strategy, in scenario order.
    pub spreads: Vec<Spread>,
    /// One per strategy, in scenario order.
    pub decisions: Vec<Decision>,
    /// The strategy most often best, and what would make it stop being best (`None`
    /// when no single uncertain field separates the sets where it wins).
    pub top: usize,
    pub switch: Option<Switch>,
}

/// Everything a run with uncertainty says about robustness.
#[derive(Debug, Clone)]
pub struct Robustness {
    /// Parameter sets with at least one replication.
    pub sets: usize,
    pub paths: Vec<String>,
    /// Replications per parameter set, in set order.
    pub replications: Vec<u64>,
    pub quantities: Vec<QuantityRobustness>,
}

impl Robustness {
    /// The robustness of every [`SetQuantity`] of `accumulator`, a run over the parameter
    /// sets `worlds`, with the baseline strategy at `baseline`.
    pub fn of(accumulator: &RunAccumulator, worlds: &ParameterWorlds, baseline: usize) -> Self {
        let sets = accumulator.parameter_sets().min(worlds.sets.len());
        let strategies = accumulator.strategies.len();
        // Survival at the horizon is defined in every replication: its count is the
        // set's replications. Sets that no replication reached (a run shorter than the
        // number of sets) say nothing: left out of every statistic.
        let replications_in = |set: usize| accumulator.in_set(set, 0, ALWAYS_DEFINED).count;
        let used: Vec<usize> = (0..sets).filter(|&set| replications_in(set) > 0).collect();
        let values: Vec<Vec<f64>> = used
            .iter()
            .map(|&set| worlds.sets[set].values.clone())
            .collect();
        let quantities = SetQuantity::all()
            .map(|quantity| {
                let cells = |strategy: usize| {
                    used.iter()
                        .map(move |&set| accumulator.in_set(set, strategy, quantity))
                };
                let spreads = (0..strategies)
                    .map(|strategy| {
                        let counts: Vec<u64> = cells(strategy).map(|c| c.count).collect();
                        let sums: Vec<f64> =
                            cells(strategy).map(|c| c.count as f64 * c.mean).collect();
                        let squares: Vec<f64> = cells(strategy)
                            .map(|c| c.m2 + c.count as f64 * c.mean * c.mean)
                            .collect();
                        spread(&counts, &sums, &squares)
                    })
                    .collect();
                let set_means: Vec<Vec<f64>> = (0..strategies)
                    .map(|strategy| cells(strategy).map(|c| c.mean_or_nan()).collect())
                    .collect();
                let better = quantity.higher_is_better();
                let decisions = decide(&set_means, better, baseline);
                let top = top_strategy(&decisions).unwrap_or(baseline);
                let switch = switch_for_top(&worlds.paths, &values, &set_means, better)
                    .map(|(_, switch)| switch);
                QuantityRobustness {
                    quantity,
                    spreads,
                    decisions,
                    top,
                    switch,
                }
            })
            .collect();
        let replications = used.iter().map(|&set| replications_in(set)).collect();
        Self {
            sets: used.len(),
            paths: worlds.paths.clone(),
            replications,
            quantities,
        }
    }

    /// The robustness of `quantity`.
    pub fn of_quantity(&self, quantity: SetQuantity) -> Option<&QuantityRobustness> {
        self.quantities.iter().find(|q| q.quantity == quantity)
    }
}
