//! "What would change the answer": the one uncertain parameter, and the threshold on it,
//! that best separate the parameter sets in which the top strategy is best from those in
//! which it is not, as scenario discovery does (Bryant & Lempert 2010) with the simplest
//! box there is: one side of one threshold.

use rand::{Rng, SeedableRng};

use crate::rng::SimRng;

/// A threshold on one parameter across which the top strategy's chance of being best
/// changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Switch {
    /// The parameter's dotted path.
    pub path: String,
    /// The split: halfway between the two parameter values it falls between.
    pub threshold: f64,
    /// Whether the top strategy is best less often below the threshold than above it.
    pub loses_below: bool,
    /// The share of the sets below (above) the threshold in which it is best.
    pub win_share_below: f64,
    pub win_share_above: f64,
    /// How many parameter sets lie below (above) the threshold.
    pub sets_below: usize,
    pub sets_above: usize,
    /// The permutation p-value of the split, the whole search included (at most
    /// [`SIGNIFICANCE`]).
    pub p_value: f64,
}

/// Each side of a split holds at least this share of the parameter sets: a threshold
/// that isolates a handful of sets describes those sets, not the parameter.
pub const MIN_SIDE_SHARE: f64 = 0.10;

/// No search when the top strategy is best (or not best) in more than this share of the
/// sets: the answer does not change, or there is no answer to change.
pub const DOMINANT_SHARE: f64 = 0.95;

/// A split must remove at least this share of the misclassifications of the base rate
/// ("the top strategy is always best", or never): it must change the answer on one side
/// (the two sides then have different majorities) and by enough to be worth a sentence.
pub const MIN_ERROR_REDUCTION: f64 = 0.20;

/// The random relabellings of the permutation test.
pub const PERMUTATIONS: usize = 999;

/// The largest permutation p-value reported as a switch.
pub const SIGNIFICANCE: f64 = 0.05;

/// The seed of the relabellings: fixed, so the answer is a function of the inputs only.
const PERMUTATION_SEED: u64 = 0x7377_6974_6368_2031;

/// The parameter and threshold that best separate the sets where the top strategy wins
/// (`wins[k]`: it is best in set k) from those where it does not, from each set's
/// parameter values (`values[k][p]`, the value of `paths[p]` in set k); `None` when no
/// split is worth reporting.
///
/// # Method
///
/// A classification tree with one split (a "stump"): for each parameter, the sets are
/// sorted by its value and every threshold between two distinct values is scored by the
/// decrease in Gini impurity of the win/lose labels (CART; Breiman et al. 1984). A split
/// is admissible when each side holds at least [`MIN_SIDE_SHARE`] of the sets and it
/// removes at least [`MIN_ERROR_REDUCTION`] of the base rate's misclassifications. The
/// best admissible split over all parameters is returned when:
///
/// - the top strategy wins in at most [`DOMINANT_SHARE`] of the sets and loses in at most
///   that share (otherwise there is nothing to explain);
/// - it survives a permutation test of the whole search (as conditional inference trees
///   do, Hothorn, Hornik & Zeileis 2006): the labels are shuffled [`PERMUTATIONS`] times
///   with a fixed seed, the search is repeated on each, and the best admissible split of
///   the real labels must beat the shuffled ones' at p ≤ [`SIGNIFICANCE`]. Scanning every
///   threshold of every parameter finds *some* split even in pure noise, and the test
///   says how often noise does as well.
///
/// A set with a non-finite value for a parameter is left out of that parameter's scan;
/// `values` and `wins` are read up to the shorter, and a row shorter than `paths` counts
/// its missing values as non-finite. The result depends only on the inputs (the shuffles
/// use a fixed seed and a value-stable generator).
pub fn what_would_change(paths: &[String], values: &[Vec<f64>], wins: &[bool]) -> Option<Switch> {
    let sets = values.len().min(wins.len());
    let wins = &wins[..sets];
    let won = wins.iter().filter(|&&w| w).count() as f64;
    let share = won / sets as f64;
    if sets == 0 || !(1.0 - DOMINANT_SHARE..=DOMINANT_SHARE).contains(&share) {
        return None;
    }
    let orders: Vec<Vec<(f64, usize)>> = (0..paths.len())
        .map(|path| {
            let mut order: Vec<(f64, usize)> = (0..sets)
                .filter_map(|set| {
                    let value = values[set].get(path).copied()?;
                    value.is_finite().then_some((value, set))
                })
                .collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            order
        })
        .collect();
    let observed = best_split(&orders, wins)?;
    let p_value = permutation_p_value(&orders, wins, observed.score)?;
    let order = &orders[observed.path];
    let (below, above) = (observed.position, order.len() - observed.position);
    let win_share_below = observed.wins_below as f64 / below as f64;
    let win_share_above = observed.wins_above as f64 / above as f64;
    Some(Switch {
        path: paths[observed.path].clone(),
        threshold: 0.5 * (order[below - 1].0 + order[below].0),
        loses_below: win_share_below < win_share_above,
        win_share_below,
        win_share_above,
        sets_below: below,
        sets_above: above,
        p_value,
    })
}

/// The p-value of the best admissible split's score `observed` under random relabelling
/// of the sets; `None` as soon as more shuffles have done as well than a significant
/// p-value allows (the rest cannot change the verdict).
fn permutation_p_value(orders: &[Vec<(f64, usize)>], wins: &[bool], observed: f64) -> Option<f64> {
    let allowed = (SIGNIFICANCE * (PERMUTATIONS + 1) as f64).floor() as usize - 1;
    let mut labels = wins.to_vec();
    let mut rng = SimRng::seed_from_u64(PERMUTATION_SEED);
    // A shuffled score equal to the observed one counts as doing as well; the tolerance
    // keeps the same split, summed in another order, from counting as better or worse.
    let as_good = observed * (1.0 - 1e-12);
    let mut exceed = 0;
    for _ in 0..PERMUTATIONS {
        shuffle(&mut labels, &mut rng);
        if best_split(orders, &labels).is_some_and(|split| split.score >= as_good) {
            exceed += 1;
            if exceed > allowed {
                return None;
            }
        }
    }
    Some((exceed + 1) as f64 / (PERMUTATIONS + 1) as f64)
}

/// Fisher–Yates with an index from the generator's 64 bits by multiply-shift (Lemire):
/// written out rather than `SliceRandom::shuffle`, whose draws may change between `rand`
/// versions, so the p-value stays the same bits. The bias of the multiply-shift, at most
/// n/2⁶⁴, is far below anything a p-value resolves.
fn shuffle(labels: &mut [bool], rng: &mut SimRng) {
    for i in (1..labels.len()).rev() {
        let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
        labels.swap(i, j);
    }
}

/// The best admissible split found by a scan.
#[derive(Debug, Clone, Copy)]
struct Split {
    path: usize,
    /// How many of the path's sorted sets lie below the threshold.
    position: usize,
    /// The decrease in count-weighted Gini impurity (halved: `W·L/n` per node).
    score: f64,
    wins_below: usize,
    wins_above: usize,
}

/// The admissible split with the largest Gini decrease over every parameter (the first
/// found on a tie: the earlier parameter, the lower threshold).
fn best_split(orders: &[Vec<(f64, usize)>], wins: &[bool]) -> Option<Split> {
    let mut best: Option<Split> = None;
    for (path, order) in orders.iter().enumerate() {
        let n = order.len();
        let min_side = ((MIN_SIDE_SHARE * n as f64).ceil() as usize).max(1);
        if n < 2 * min_side {
            continue;
        }
        let total_wins = order.iter().filter(|&&(_, set)| wins[set]).count();
        let impurity = |w: usize, count: usize| (w * (count - w)) as f64 / count as f64;
        let error = |w: usize, count: usize| w.min(count - w);
        let parent = impurity(total_wins, n);
        let base_error = error(total_wins, n) as f64;
        let mut wins_below = 0;
        for position in 1..n {
            wins_below += usize::from(wins[order[position - 1].1]);
            let above = n - position;
            if position < min_side || above < min_side || order[position - 1].0 == order[position].0
            {
                continue;
            }
            let wins_above = total_wins - wins_below;
            let split_error = (error(wins_below, position) + error(wins_above, above)) as f64;
            if split_error > (1.0 - MIN_ERROR_REDUCTION) * base_error {
                continue;
            }
            let score = parent - impurity(wins_below, position) - impurity(wins_above, above);
            if best.is_none_or(|b| score > b.score) {
                best = Some(Split {
                    path,
                    position,
                    score,
                    wins_below,
                    wins_above,
                });
            }
        }
    }
    best
}

impl Switch {
    /// One sentence for a brief, e.g. "`equal-front` stops being best when
    /// `model.hire_rate` is below 0.1 (best in 12% of parameter sets there, 85% above)";
    /// the threshold is rounded to two significant figures.
    pub fn sentence(&self, strategy: &str) -> String {
        let (side, other, losing, winning) = if self.loses_below {
            ("below", "above", self.win_share_below, self.win_share_above)
        } else {
            ("above", "below", self.win_share_above, self.win_share_below)
        };
        format!(
            "`{strategy}` stops being best when `{}` is {side} {} (best in {:.0}% of parameter sets there, {:.0}% {other})",
            self.path,
            two_significant_figures(self.threshold),
            100.0 * losing,
            100.0 * winning,
        )
    }
}

/// `value` rounded to two significant figures, without trailing zeros, with thousands
/// separators from 10,000 up: 0.1, 0.042, 3.5, 250, 12,000, 24,000,000.
pub fn two_significant_figures(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return format!("{value}");
    }
    let unit = 10_f64.powi(value.abs().log10().floor() as i32 - 1);
    let rounded = (value / unit).round() * unit;
    // Rounding can carry into the next power of ten (0.0996 → 0.1): decimals from the
    // rounded value.
    let decimals = (1 - rounded.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{rounded:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if rounded.abs() < 10_000.0 {
        return text;
    }
    let (sign, digits) = text.split_at(usize::from(text.starts_with('-')));
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}")
}

#[cfg(test)]
mod tests {
    use rand::RngExt;

    use super::*;

    /// `sets` parameter sets of four parameters uniform on [0, 1]; the top strategy wins
    /// when parameter 2 is above 0.4, the label flipped with probability `noise`.
    fn step_toy(sets: usize, noise: f64, seed: u64) -> (Vec<String>, Vec<Vec<f64>>, Vec<bool>) {
        let mut rng = SimRng::seed_from_u64(seed);
        let paths: Vec<String> = (0..4).map(|p| format!("model.p{p}")).collect();
        let values: Vec<Vec<f64>> = (0..sets)
            .map(|_| (0..4).map(|_| rng.random::<f64>()).collect())
            .collect();
        let wins = values
            .iter()
            .map(|v| (v[2] > 0.4) != (rng.random::<f64>() < noise))
            .collect();
        (paths, values, wins)
    }

    /// Wins when parameter 2 is above 0.4, 10% of the labels flipped, 400 sets: the
    /// switch is parameter 2 at 0.4. Over 300 seeds (a run of this test's code, not kept)
    /// the threshold found had sd 0.0045 and never missed 0.4 by more than 0.033, and
    /// parameter 2 was found every time: the tolerance is 0.05. The win shares are 10% below
    /// (about 160 sets, binomial SE √(0.09/160) = 0.024) and 90% above (about 240, SE
    /// 0.019), checked within 4 SE; the count below is 400·0.4 within 4·√(400·0.24) = 39.
    #[test]
    fn a_noisy_step_is_found_where_it_is() {
        let (paths, values, wins) = step_toy(400, 0.1, 2);
        let switch = what_would_change(&paths, &values, &wins).expect("a switch");
        assert_eq!(switch.path, "model.p2");
        assert!((switch.threshold - 0.4).abs() < 0.05, "{switch:?}");
        assert!(switch.loses_below);
        assert!(
            (switch.win_share_below - 0.1).abs() < 4.0 * 0.024,
            "{switch:?}"
        );
        assert!(
            (switch.win_share_above - 0.9).abs() < 4.0 * 0.019,
            "{switch:?}"
        );
        assert!((switch.sets_below as f64 - 160.0).abs() < 39.0);
        assert_eq!(switch.sets_below + switch.sets_above, 400);
        // Nothing in 999 shuffles does as well as a real step.
        assert_eq!(switch.p_value, 0.001);
        let expected = format!(
            "`equal-front` stops being best when `model.p2` is below 0.4 (best in {:.0}% of parameter sets there, {:.0}% above)",
            100.0 * switch.win_share_below,
            100.0 * switch.win_share_above
        );
        assert_eq!(switch.sentence("equal-front"), expected);
        // The same inputs give the same answer, to the bit.
        assert_eq!(what_would_change(&paths, &values, &wins), Some(switch));
    }

    /// The other way round: the top strategy is best below 0.3 on parameter 1.
    #[test]
    fn a_switch_above_the_threshold_is_said_so() {
        let (paths, values, _) = step_toy(300, 0.0, 5);
        let wins: Vec<bool> = values.iter().map(|v| v[1] < 0.3).collect();
        let switch = what_would_change(&paths, &values, &wins).expect("a switch");
        assert_eq!(switch.path, "model.p1");
        assert!(!switch.loses_below);
        assert_eq!((switch.win_share_below, switch.win_share_above), (1.0, 0.0));
        // No noise: the threshold lies between the two sets on either side of 0.3.
        let below = values
            .iter()
            .map(|v| v[1])
            .filter(|&v| v < 0.3)
            .fold(0.0, f64::max);
        let above = values
            .iter()
            .map(|v| v[1])
            .filter(|&v| v > 0.3)
            .fold(1.0, f64::min);
        assert_eq!(switch.threshold, 0.5 * (below + above));
        assert!(
            switch
                .sentence("equal-even")
                .starts_with("`equal-even` stops being best when `model.p1` is above 0.3 (best in 0% of parameter sets there, 100% below)"),
            "{}",
            switch.sentence("equal-even")
        );
    }

    #[test]
    fn no_switch_when_the_winner_wins_almost_everywhere() {
        let (paths, values, _) = step_toy(400, 0.0, 9);
        assert_eq!(what_would_change(&paths, &values, &[true; 400]), None);
        assert_eq!(what_would_change(&paths, &values, &[false; 400]), None);
        // Best in 96% of the sets, all its losses below 0.04 on parameter 0: a clean
        // split, but the answer hardly ever changes.
        let wins: Vec<bool> = values.iter().map(|v| v[0] >= 0.04).collect();
        let share = wins.iter().filter(|&&w| w).count() as f64 / 400.0;
        assert!(share > DOMINANT_SHARE, "{share}");
        assert_eq!(what_would_change(&paths, &values, &wins), None);
    }

    /// Labels independent of every parameter (best in 70% of sets at random): over 300
    /// seeds (a run of this test's code, not kept) no switch was reported, so this seed is
    /// not a lucky one.
    #[test]
    fn no_switch_in_noise() {
        let (paths, values, _) = step_toy(400, 0.0, 11);
        let mut rng = SimRng::seed_from_u64(1011);
        let wins: Vec<bool> = (0..400).map(|_| rng.random::<f64>() < 0.7).collect();
        assert_eq!(what_would_change(&paths, &values, &wins), None);
    }

    /// Each side holds at least [`MIN_SIDE_SHARE`] of the sets, here 3 of 30. With the
    /// top strategy losing in the two sets of lowest x, the clean split (2 sets below) is
    /// too small; the best allowed one puts 3 sets below, one of them a win.
    #[test]
    fn each_side_holds_a_tenth_of_the_sets() {
        let paths = vec!["x".to_string()];
        let values: Vec<Vec<f64>> = (0..30).map(|k| vec![f64::from(k)]).collect();
        let mut wins = vec![true; 30];
        wins[0] = false;
        wins[1] = false;
        let switch = what_would_change(&paths, &values, &wins).expect("a switch");
        assert_eq!((switch.threshold, switch.sets_below), (2.5, 3));
        assert!((switch.win_share_below - 1.0 / 3.0).abs() < 1e-12);
        // With 20 sets the minimum is 2, and the clean split is allowed.
        let values = &values[..20];
        let switch = what_would_change(&paths, values, &wins[..20]).expect("a switch");
        assert_eq!((switch.threshold, switch.sets_below), (1.5, 2));
        assert_eq!(switch.win_share_below, 0.0);
    }

    #[test]
    fn bad_values_are_left_out_without_a_panic() {
        let (paths, mut values, wins) = step_toy(400, 0.1, 2);
        values[0][2] = f64::NAN;
        values[1].truncate(1);
        values[3][0] = f64::INFINITY;
        let switch = what_would_change(&paths, &values, &wins).expect("a switch");
        assert_eq!(switch.path, "model.p2");
        assert_eq!(switch.sets_below + switch.sets_above, 398);
        assert_eq!(what_would_change(&paths, &[], &[]), None);
        assert_eq!(what_would_change(&[], &values, &wins), None);
    }

    #[test]
    fn thresholds_are_said_to_two_significant_figures() {
        let cases = [
            (0.1, "0.1"),
            (0.0996, "0.1"),
            (0.04249, "0.042"),
            (3.46, "3.5"),
            (251.0, "250"),
            (9_960.0, "10,000"),
            (12_345.0, "12,000"),
            (24_600_000.0, "25,000,000"),
            (-0.31, "-0.31"),
            (-45_678.0, "-46,000"),
            (0.0, "0"),
            (7.0, "7"),
        ];
        for (value, text) in cases {
            assert_eq!(two_significant_figures(value), text, "{value}");
        }
    }
}
