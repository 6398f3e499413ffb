//! Decision outputs across parameter sets: how often each strategy is the best, how often
//! it beats the unfunded baseline, and what choosing it costs on average against the best
//! choice for each set (docs/uncertainty-statistics.md).
//!
//! Every statistic here compares strategies within one parameter set, where they met the
//! same parameters and the same random streams, so the comparison is paired.

/// One strategy's decision statistics for one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// The share of parameter sets in which the strategy has the best set mean; a tie for
    /// the best splits the set's credit equally among the tied, so the shares sum to 1.
    pub p_best: f64,
    /// The share of parameter sets in which the strategy is strictly better than the
    /// baseline strategy (0 for the baseline itself).
    pub p_beats_none: f64,
    /// The mean over parameter sets of the distance between the best set mean and the
    /// strategy's, in the metric's units: what choosing this strategy loses on average
    /// against choosing the best one for each set (≥ 0; 0 for a strategy best everywhere).
    pub expected_regret: f64,
}

/// The strategies with the best mean in each parameter set (`set_means[strategy][set]`),
/// in index order; `None` for a set in which any strategy's mean is NaN (or missing, when
/// the rows have different lengths), so that every statistic leaves out the same sets.
pub fn best_in_each_set(set_means: &[Vec<f64>], higher_is_better: bool) -> Vec<Option<Vec<usize>>> {
    let sets = set_means.iter().map(Vec::len).max().unwrap_or(0);
    (0..sets)
        .map(|set| {
            let column: Option<Vec<f64>> = set_means
                .iter()
                .map(|row| row.get(set).copied().filter(|v| !v.is_nan()))
                .collect();
            let column = column.filter(|c| !c.is_empty())?;
            let best = best_value(&column, higher_is_better);
            Some(
                (0..column.len())
                    .filter(|&strategy| column[strategy] == best)
                    .collect(),
            )
        })
        .collect()
}

fn best_value(values: &[f64], higher_is_better: bool) -> f64 {
    let better = |a: f64, b: f64| if higher_is_better { a.max(b) } else { a.min(b) };
    values[1..]
        .iter()
        .fold(values[0], |best, &v| better(best, v))
}

/// The decision statistics of each strategy (`set_means[strategy][set]`: the mean of the
/// metric for each strategy in each parameter set), in strategy order.
///
/// `higher_is_better` says which way the metric points; `baseline` is the index of the
/// strategy the others must beat for `p_beats_none` (the unfunded `none`, first in every
/// scenario). A parameter set in which any strategy's mean is NaN is left out of every
/// statistic (all shares are over the remaining sets). With no set left, every field is
/// NaN; with `baseline` out of range, `p_beats_none` is NaN.
///
/// The set means carry the inner Monte Carlo noise: where two strategies are closer in a
/// set than that noise, which one is best is partly a coin toss, so `p_best` moves toward
/// equal shares and the regret up by about the noise of the paired differences. It is the
/// probability of being best *as simulated*; docs/uncertainty-statistics.md says when
/// that matters and how to check it.
pub fn decide(set_means: &[Vec<f64>], higher_is_better: bool, baseline: usize) -> Vec<Decision> {
    let strategies = set_means.len();
    let mut best_credit = vec![0.0; strategies];
    let mut beats_baseline = vec![0_u64; strategies];
    let mut regret = vec![0.0; strategies];
    let mut used = 0_u64;
    for (set, best) in best_in_each_set(set_means, higher_is_better)
        .into_iter()
        .enumerate()
    {
        let Some(best) = best else { continue };
        used += 1;
        let credit = 1.0 / best.len() as f64;
        for &strategy in &best {
            best_credit[strategy] += credit;
        }
        let best_value = set_means[best[0]][set];
        for strategy in 0..strategies {
            let value = set_means[strategy][set];
            regret[strategy] += (best_value - value).abs();
            if let Some(&base) = set_means.get(baseline).map(|row| &row[set])
                && strategy != baseline
                && strictly_better(value, base, higher_is_better)
            {
                beats_baseline[strategy] += 1;
            }
        }
    }
    let share = |x: f64| if used == 0 { f64::NAN } else { x / used as f64 };
    (0..strategies)
        .map(|strategy| Decision {
            p_best: share(best_credit[strategy]),
            p_beats_none: if baseline < strategies {
                share(beats_baseline[strategy] as f64)
            } else {
                f64::NAN
            },
            expected_regret: share(regret[strategy]),
        })
        .collect()
}

fn strictly_better(value: f64, baseline: f64, higher_is_better: bool) -> bool {
    if higher_is_better {
        value > baseline
    } else {
        value < baseline
    }
}

/// The strategy to call the top one: the highest `p_best`, ties broken by the lower
/// expected regret and then the earlier strategy; `None` when there is no strategy or
/// every `p_best` is NaN.
pub fn top_strategy(decisions: &[Decision]) -> Option<usize> {
    (0..decisions.len())
        .filter(|&s| !decisions[s].p_best.is_nan())
        .min_by(|&a, &b| {
            let (a, b) = (&decisions[a], &decisions[b]);
            b.p_best
                .total_cmp(&a.p_best)
                .then(a.expected_regret.total_cmp(&b.expected_regret))
        })
}

/// Per parameter set, whether `strategy` is (one of) the best; `None` for the sets
/// [`best_in_each_set`] leaves out.
pub fn wins_of(
    set_means: &[Vec<f64>],
    higher_is_better: bool,
    strategy: usize,
) -> Vec<Option<bool>> {
    best_in_each_set(set_means, higher_is_better)
        .into_iter()
        .map(|best| best.map(|b| b.contains(&strategy)))
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    use super::*;
    use crate::rng::SimRng;

    /// Φ(1), the standard normal distribution function at 1.
    const PHI_OF_ONE: f64 = 0.841_344_746_068_542_9;

    /// Two strategies whose set means differ by d_k ~ N(μ, s²), μ = s = 0.5: the first is
    /// best when d_k > 0, with probability Φ(μ/s) = Φ(1) = 0.8413. Over K = 20,000 sets the
    /// share has binomial SE √(0.8413·0.1587/K) = 0.0026; checked within 4 SE. Its
    /// probability of beating the second (the baseline here) is the same event.
    #[test]
    fn two_strategies_with_normal_differences() {
        let sets = 20_000;
        let mut rng = SimRng::seed_from_u64(42);
        let level = Normal::new(10.0, 3.0).unwrap();
        let difference = Normal::new(0.5, 0.5).unwrap();
        let (mut first, mut second) = (Vec::new(), Vec::new());
        for _ in 0..sets {
            let base = level.sample(&mut rng);
            second.push(base);
            first.push(base + difference.sample(&mut rng));
        }
        let decisions = decide(&[first, second], true, 1);
        let se = (PHI_OF_ONE * (1.0 - PHI_OF_ONE) / f64::from(sets)).sqrt();
        assert!(
            (decisions[0].p_best - PHI_OF_ONE).abs() < 4.0 * se,
            "{decisions:?}"
        );
        assert_eq!(decisions[0].p_best + decisions[1].p_best, 1.0);
        assert_eq!(decisions[0].p_beats_none, decisions[0].p_best);
        assert_eq!(decisions[1].p_beats_none, 0.0);
        // Regret of the second: E[max(d, 0)] = μΦ(μ/s) + sφ(μ/s) = 0.5·0.8413 + 0.5·0.2420
        // = 0.5417; of the first E[max(−d, 0)] = 0.5417 − μ = 0.0417. The SE of a mean of
        // max(d, 0) is below s/√K = 0.0035.
        let phi_of_one = (-0.5_f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let regret_second = 0.5 * PHI_OF_ONE + 0.5 * phi_of_one;
        let tolerance = 4.0 * 0.5 / f64::from(sets).sqrt();
        assert!((decisions[1].expected_regret - regret_second).abs() < tolerance);
        assert!((decisions[0].expected_regret - (regret_second - 0.5)).abs() < tolerance);
    }

    /// Three strategies with exchangeable effects (independent N(0, 1) each): each is best
    /// with probability 1/3; binomial SE √(2/9/K) = 0.0033 for K = 20,000, within 4 SE.
    #[test]
    fn exchangeable_strategies_share_the_best_equally() {
        let sets = 20_000;
        let mut rng = SimRng::seed_from_u64(3);
        let normal = Normal::new(0.0, 1.0).unwrap();
        let means: Vec<Vec<f64>> = (0..3)
            .map(|_| (0..sets).map(|_| normal.sample(&mut rng)).collect())
            .collect();
        let se = (2.0 / 9.0 / f64::from(sets)).sqrt();
        for higher_is_better in [true, false] {
            let decisions = decide(&means, higher_is_better, 0);
            for d in &decisions {
                assert!((d.p_best - 1.0 / 3.0).abs() < 4.0 * se, "{decisions:?}");
            }
            let total: f64 = decisions.iter().map(|d| d.p_best).sum();
            assert!((total - 1.0).abs() < 1e-9);
        }
    }

    /// A hand-computed case, lower is better (e.g. abandonments), with a tie and a NaN.
    #[test]
    fn regret_ties_and_nan_by_hand() {
        let means = vec![
            vec![10.0, 8.0, 6.0, 5.0],     // none
            vec![7.0, 8.0, 4.0, f64::NAN], // a
            vec![9.0, 6.0, 4.0, 1.0],      // b
        ];
        let decisions = decide(&means, false, 0);
        // Set 4 is left out (a is NaN there). Set 1: a best (7). Set 2: b best (6).
        // Set 3: a and b tie at 4, half a set each.
        assert_eq!(decisions[1].p_best, 1.5 / 3.0);
        assert_eq!(decisions[2].p_best, 1.5 / 3.0);
        assert_eq!(decisions[0].p_best, 0.0);
        // Regrets: none 3 + 2 + 2 = 7, a 0 + 2 + 0 = 2, b 2 + 0 + 0 = 2, over 3 sets.
        assert_eq!(decisions[0].expected_regret, 7.0 / 3.0);
        assert_eq!(decisions[1].expected_regret, 2.0 / 3.0);
        assert_eq!(decisions[2].expected_regret, 2.0 / 3.0);
        // Beating none strictly: a in sets 1 and 3 (8 = 8 is no win), b in all three.
        assert_eq!(decisions[1].p_beats_none, 2.0 / 3.0);
        assert_eq!(decisions[2].p_beats_none, 1.0);
        assert_eq!(decisions[0].p_beats_none, 0.0);
        // a and b tie on p_best and on regret: the earlier (a) is the top.
        assert_eq!(top_strategy(&decisions), Some(1));
        assert_eq!(
            wins_of(&means, false, 1),
            [Some(true), Some(false), Some(true), None]
        );
    }

    #[test]
    fn a_strategy_best_everywhere_has_no_regret() {
        let means = vec![vec![0.1, 0.2], vec![0.5, 0.6], vec![0.3, 0.7]];
        let decisions = decide(&means, true, 0);
        assert_eq!(decisions[2].p_best, 0.5);
        assert!((decisions[1].expected_regret - 0.5 * 0.1).abs() < 1e-15);
        let only = decide(&[vec![0.5, 0.6], vec![0.1, 0.2]], true, 1);
        assert_eq!(only[0].p_best, 1.0);
        assert_eq!(only[0].expected_regret, 0.0);
        assert_eq!(top_strategy(&only), Some(0));
    }

    #[test]
    fn nothing_to_decide_gives_nan_not_a_panic() {
        let decisions = decide(&[vec![f64::NAN], vec![1.0]], true, 0);
        assert!(
            decisions
                .iter()
                .all(|d| d.p_best.is_nan() && d.expected_regret.is_nan())
        );
        assert_eq!(top_strategy(&decisions), None);
        assert!(decide(&[], true, 0).is_empty());
        // A baseline index out of range: no share of beating it.
        let decisions = decide(&[vec![1.0], vec![2.0]], true, 5);
        assert!(decisions[1].p_beats_none.is_nan());
        assert_eq!(decisions[1].p_best, 1.0);
        // Rows of different lengths: the missing entries count as NaN.
        let ragged = decide(&[vec![1.0, 2.0], vec![3.0]], true, 0);
        assert_eq!(ragged[1].p_best, 1.0);
    }
}
