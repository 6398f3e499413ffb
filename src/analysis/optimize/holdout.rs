//! The honest evaluation: the found policy run again on random numbers the search never
//! saw, paired with every named strategy of the scenario.
//!
//! The search simulates every candidate at master seed `S` (replications `0..R`, and the
//! parameter sets drawn from `S`). The hold-out runs at a master seed derived from `S`
//! through the generator's own mixing ([`holdout_seed`]), so its parameter sets and its
//! replications' streams are all different ones: every stream of fundsim is keyed by
//! (master seed, replication, index, purpose) through a bijective mix, and a test checks
//! that no stream of the hold-out is a stream of the search.

use crate::rng::{Purpose, stream_seed};
use crate::stats::{Estimate, Quantity, RunAccumulator, SetQuantity};

use super::evaluate::as_quantity;
use super::objective::mean_and_se;

/// The stream index the hold-out seed is derived with (apart from every simulation
/// stream's index: projects, strategies' name hashes, parameter sets).
const HOLDOUT_INDEX: u64 = 0x4f1d_0000_0000_0001;

/// The hold-out's master seed for a search at master seed `search_seed`: 53 bits, so
/// that a scenario file (TOML integers are signed 64-bit) and JSON hold it exactly.
pub fn holdout_seed(search_seed: u64) -> u64 {
    stream_seed(search_seed, u64::MAX, HOLDOUT_INDEX, Purpose::Parameters) >> 11
}

/// One row of `holdout.csv`: the found policy minus a named strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub strategy: String,
    pub estimate: Estimate,
}

/// What the difference says, in the metric's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole 95% interval is on the better side of 0.
    Better,
    /// The interval includes 0.
    NotDistinguishable,
    /// The whole interval is on the worse side.
    Worse,
}

impl Difference {
    pub fn verdict(&self, higher_is_better: bool) -> Verdict {
        let (low, high) = if higher_is_better {
            (self.estimate.low, self.estimate.high)
        } else {
            (-self.estimate.high, -self.estimate.low)
        };
        if low > 0.0 {
            Verdict::Better
        } else if high < 0.0 {
            Verdict::Worse
        } else {
            Verdict::NotDistinguishable
        }
    }
}

/// The found policy (strategy `found` of the hold-out run) minus every other strategy.
/// With parameter sets, the difference of the set means in each set (the same
/// replications: paired), and the mean and standard error across sets (which counts the
/// drawn sets as well as the Monte Carlo noise); without, the run's paired difference.
pub fn differences(
    acc: &RunAccumulator,
    names: &[String],
    found: usize,
    quantity: SetQuantity,
) -> Vec<Difference> {
    (0..names.len())
        .filter(|&s| s != found)
        .map(|s| {
            let estimate = if acc.parameter_sets() > 0 {
                let per_set: Vec<f64> = (0..acc.parameter_sets())
                    .map(|k| {
                        acc.in_set(k, found, quantity).mean_or_nan()
                            - acc.in_set(k, s, quantity).mean_or_nan()
                    })
                    .filter(|d| d.is_finite())
                    .collect();
                let score = mean_and_se(&per_set);
                Estimate::normal(score.value, score.se)
            } else {
                as_quantity(quantity).difference(acc, found, s)
            };
            Difference {
                strategy: names[s].clone(),
                estimate,
            }
        })
        .collect()
}

/// Every strategy's level of the metric in the hold-out run, as `summary.csv` has it.
pub fn levels(acc: &RunAccumulator, quantity: SetQuantity) -> Vec<Estimate> {
    let quantity: Quantity = as_quantity(quantity);
    (0..acc.strategies.len())
        .map(|s| quantity.estimate(acc, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const PURPOSES: [Purpose; 12] = [
        Purpose::Portfolio,
        Purpose::Arrivals,
        Purpose::Fixes,
        Purpose::Departures,
        Purpose::Returns,
        Purpose::Joins,
        Purpose::Fund,
        Purpose::Parameters,
        Purpose::Latent,
        Purpose::Discovery,
        Purpose::Funders,
        Purpose::Mentees,
    ];

    /// Every stream the search can use (replications and parameter sets 0..512, indices
    /// 0..64: projects, sets; and the optimiser's and the candidates' fund streams) is
    /// absent from the hold-out's, for several search seeds, including the built-in
    /// scenario's.
    #[test]
    fn holdout_streams_are_disjoint_from_the_search() {
        for search in [20_261_128_u64, 0, 1, 42] {
            let holdout = holdout_seed(search);
            assert_ne!(holdout, search);
            let streams = |seed: u64| {
                let mut all = HashSet::new();
                for replication in 0..512 {
                    for index in 0..64 {
                        for purpose in PURPOSES {
                            all.insert(stream_seed(seed, replication, index, purpose));
                        }
                    }
                }
                all
            };
            let (a, b) = (streams(search), streams(holdout));
            assert_eq!(a.len(), 512 * 64 * PURPOSES.len());
            assert!(a.is_disjoint(&b), "seed {search}");
        }
    }

    #[test]
    fn verdicts_follow_the_interval_and_the_direction() {
        let difference = |low: f64, high: f64| Difference {
            strategy: "x".into(),
            estimate: Estimate {
                mean: 0.5 * (low + high),
                low,
                high,
                mcse: 0.0,
            },
        };
        assert_eq!(difference(0.01, 0.03).verdict(true), Verdict::Better);
        assert_eq!(
            difference(-0.01, 0.03).verdict(true),
            Verdict::NotDistinguishable
        );
        assert_eq!(difference(-0.03, -0.01).verdict(true), Verdict::Worse);
        assert_eq!(difference(-0.03, -0.01).verdict(false), Verdict::Better);
    }
}
