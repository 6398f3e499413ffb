//! The goal under uncertainty, from each parameter set's mean of the metric.
//!
//! A run with an `[uncertainty]` table gives every parameter set `k` its mean `m_k` of the
//! metric for the candidate (and for each named strategy, on the same replications:
//! common random numbers). The goals:
//!
//! - `mean`: the expected value, the mean of the set means (the sets are equally likely
//!   and, with replications a multiple of the sets, equally replicated);
//! - `p10`: the bad tail across parameter sets: the 10th percentile of the set means for
//!   a metric where higher is better, the 90th where lower is better, after removing the
//!   inner Monte Carlo noise from their spread exactly as `uncertainty.csv` does
//!   (variance-matching shrinkage, docs/uncertainty-statistics.md);
//! - `regret`: the expected regret against the named strategies (the baseline left out,
//!   as in `decision.csv`): the mean over sets of `max(0, best named − candidate)`
//!   (`candidate − best named` where lower is better).
//!
//! Each comes with a standard error across parameter sets, which counts both the inner
//! Monte Carlo noise and which sets were drawn.

use crate::stats::{Interpolation, MeanVar, Z95, percentile};

/// What the search optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Mean,
    P10,
    Regret,
}

impl Goal {
    pub const NAMES: [&'static str; 3] = ["mean", "p10", "regret"];

    /// # Errors
    /// A sentence naming the valid goals.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "mean" => Ok(Self::Mean),
            "p10" => Ok(Self::P10),
            "regret" => Ok(Self::Regret),
            _ => Err(format!(
                "--goal {name:?} is not a goal; choose mean, p10 or regret"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// What the goal's value is, for people.
    pub fn describe(self, metric: &str, higher_is_better: bool) -> String {
        match (self, higher_is_better) {
            (Self::Mean, _) => format!("the expected {metric}"),
            (Self::P10, true) => format!(
                "the 10th percentile of {metric} across parameter sets (90% of the plausible worlds do at least this well)"
            ),
            (Self::P10, false) => format!(
                "the 90th percentile of {metric} across parameter sets (90% of the plausible worlds do at least this well)"
            ),
            (Self::Regret, _) => format!(
                "the expected regret in {metric} against the best named strategy of each parameter set"
            ),
        }
    }

    /// Whether a larger value of the goal is better (regret is always minimised).
    pub fn higher_is_better(self, metric_higher_is_better: bool) -> bool {
        match self {
            Self::Regret => false,
            _ => metric_higher_is_better,
        }
    }

    /// The loss the optimiser minimises for a goal value.
    pub fn loss(self, value: f64, metric_higher_is_better: bool) -> f64 {
        if self.higher_is_better(metric_higher_is_better) {
            -value
        } else {
            value
        }
    }
}

/// A goal's estimated value and its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub value: f64,
    pub se: f64,
}

/// The goal from the candidate's per-set accumulators and each named strategy's set
/// means (`named[strategy][set]`, the baseline left out). Sets where the candidate's or a
/// named strategy's mean is undefined are left out.
pub fn score_sets(
    goal: Goal,
    higher_is_better: bool,
    candidate: &[MeanVar],
    named: &[Vec<f64>],
) -> Score {
    let kept: Vec<usize> = (0..candidate.len())
        .filter(|&k| {
            candidate[k].count > 0
                && candidate[k].mean.is_finite()
                && named
                    .iter()
                    .all(|s| s.get(k).is_some_and(|m| m.is_finite()))
        })
        .collect();
    if kept.is_empty() {
        return Score {
            value: f64::NAN,
            se: f64::NAN,
        };
    }
    match goal {
        Goal::Mean => mean_and_se(&kept.iter().map(|&k| candidate[k].mean).collect::<Vec<_>>()),
        Goal::Regret => {
            let regrets: Vec<f64> = kept
                .iter()
                .map(|&k| {
                    let mine = candidate[k].mean;
                    let gaps = named.iter().map(|s| {
                        if higher_is_better {
                            s[k] - mine
                        } else {
                            mine - s[k]
                        }
                    });
                    gaps.fold(0.0, f64::max)
                })
                .collect();
            mean_and_se(&regrets)
        }
        Goal::P10 => {
            let sets: Vec<MeanVar> = kept.iter().map(|&k| candidate[k]).collect();
            let probability = if higher_is_better { 0.10 } else { 0.90 };
            tail(&sets, probability)
        }
    }
}

/// The goal of a fixed-parameter run (one world): the candidate's mean, or its regret
/// against the best named mean (each an estimate with its standard error). `p10` has no
/// meaning without parameter sets; the command refuses it before searching.
pub fn score_fixed(
    goal: Goal,
    higher_is_better: bool,
    candidate: (f64, f64),
    named: &[(f64, f64)],
) -> Score {
    match goal {
        Goal::Mean | Goal::P10 => Score {
            value: candidate.0,
            se: candidate.1,
        },
        Goal::Regret => {
            let best = named.iter().copied().reduce(|a, b| {
                let better = if higher_is_better {
                    b.0 > a.0
                } else {
                    b.0 < a.0
                };
                if better { b } else { a }
            });
            let Some(best) = best else {
                return Score {
                    value: 0.0,
                    se: 0.0,
                };
            };
            let gap = if higher_is_better {
                best.0 - candidate.0
            } else {
                candidate.0 - best.0
            };
            Score {
                value: gap.max(0.0),
                se: candidate.1.hypot(best.1),
            }
        }
    }
}

/// Mean and standard error of the mean of `values` (n − 1 variance; 0 for one value).
pub fn mean_and_se(values: &[f64]) -> Score {
    let mut acc = MeanVar::default();
    values.iter().for_each(|&v| acc.add(v));
    Score {
        value: acc.mean_or_nan(),
        se: if acc.count < 2 { 0.0 } else { acc.mcse() },
    }
}

/// The `probability` percentile across sets of the set means, shrunk toward the overall
/// mean by √(τ̂²/var(m)) to remove the inner Monte Carlo noise (the estimator of
/// `analysis::uncertainty::spread`, at another percentile), and its standard error from
/// the distribution-free order-statistic interval of a quantile (ranks K·p ∓ z√(K·p(1−p));
/// David & Nagaraja, Order Statistics, §7.1), divided by 2z.
fn tail(sets: &[MeanVar], probability: f64) -> Score {
    let count = sets.len() as f64;
    let total: f64 = sets.iter().map(|s| s.count as f64).sum();
    let mean = sets.iter().map(|s| s.mean * s.count as f64).sum::<f64>() / total;
    let means: Vec<f64> = sets.iter().map(|s| s.mean).collect();
    if sets.len() < 2 {
        return Score {
            value: mean,
            se: 0.0,
        };
    }
    let centre = means.iter().sum::<f64>() / count;
    let observed = means.iter().map(|m| (m - centre).powi(2)).sum::<f64>() / (count - 1.0);
    let (m2, dof) = sets
        .iter()
        .filter(|s| s.count >= 2)
        .fold((0.0, 0.0), |(m2, dof), s| {
            (m2 + s.m2, dof + (s.count - 1) as f64)
        });
    let within = if dof > 0.0 { m2 / dof } else { 0.0 };
    let inverse = sets.iter().map(|s| 1.0 / s.count as f64).sum::<f64>() / count;
    let between = (observed - within * inverse).max(0.0);
    let factor = if observed > 0.0 {
        (between / observed).sqrt()
    } else {
        0.0
    };
    let mut shrunk: Vec<f64> = means.iter().map(|m| mean + factor * (m - mean)).collect();
    shrunk.sort_by(f64::total_cmp);
    let value = percentile(&shrunk, probability, Interpolation::Offset);
    let spread = Z95 * (count * probability * (1.0 - probability)).sqrt();
    let rank = |r: f64| shrunk[(r.round().max(0.0) as usize).min(shrunk.len() - 1)];
    let low = rank(count * probability - spread - 1.0);
    let high = rank(count * probability + spread - 1.0);
    Score {
        value,
        se: (high - low) / (2.0 * Z95),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(means: &[f64]) -> Vec<MeanVar> {
        means
            .iter()
            .map(|&m| MeanVar {
                count: 4,
                mean: m,
                m2: 0.0,
            })
            .collect()
    }

    #[test]
    fn goals_parse_and_say_what_they_are() {
        assert_eq!(Goal::parse("p10"), Ok(Goal::P10));
        assert!(
            Goal::parse("median")
                .unwrap_err()
                .contains("mean, p10 or regret")
        );
        assert_eq!(Goal::Regret.loss(0.2, true), 0.2);
        assert_eq!(Goal::Mean.loss(0.2, true), -0.2);
        assert_eq!(Goal::Mean.loss(0.2, false), 0.2);
    }

    #[test]
    fn mean_regret_and_tail_over_sets() {
        let candidate = sets(&[0.5, 0.7, 0.9]);
        let named = vec![vec![0.6, 0.6, 0.6], vec![0.4, 0.8, 0.5]];
        let mean = score_sets(Goal::Mean, true, &candidate, &named);
        assert!((mean.value - 0.7).abs() < 1e-15);
        assert!((mean.se - 0.2 / 3f64.sqrt()).abs() < 1e-12);
        // Regret per set: 0.1, 0.1, 0.
        let regret = score_sets(Goal::Regret, true, &candidate, &named);
        assert!((regret.value - 0.2 / 3.0).abs() < 1e-15);
        // Lower is better: the regret is candidate − best (lowest) named: 0.1, 0.1, 0.4.
        let regret = score_sets(Goal::Regret, false, &candidate, &named);
        assert!((regret.value - 0.2).abs() < 1e-15);
        // No within-set noise: no shrinkage; p10 of 0.5, 0.7, 0.9 (type 7) = 0.54.
        let tail = score_sets(Goal::P10, true, &candidate, &named);
        assert!((tail.value - 0.54).abs() < 1e-12, "{tail:?}");
        let tail = score_sets(Goal::P10, false, &candidate, &named);
        assert!((tail.value - 0.86).abs() < 1e-12, "{tail:?}");
    }

    /// Set means that differ only by their Monte Carlo noise have no spread to show: the
    /// tail is the mean.
    #[test]
    fn the_tail_removes_inner_noise() {
        // Within-set variance 0.04 with 4 replications: noise variance 0.01 of each set
        // mean; observed variance of the set means 0.01: nothing is between sets.
        let means = [0.4, 0.5, 0.6, 0.5, 0.4, 0.6, 0.5, 0.5];
        let observed = 0.04 / 7.0 * 2.0;
        let within = observed * 4.0; // so that within / n equals the observed variance
        let candidate: Vec<MeanVar> = means
            .iter()
            .map(|&m| MeanVar {
                count: 4,
                mean: m,
                m2: within * 3.0,
            })
            .collect();
        let tail = score_sets(Goal::P10, true, &candidate, &[]);
        assert!((tail.value - 0.5).abs() < 1e-12, "{tail:?}");
    }

    #[test]
    fn a_fixed_run_scores_its_mean_or_regret() {
        let s = score_fixed(Goal::Regret, true, (0.5, 0.03), &[(0.6, 0.04), (0.4, 0.01)]);
        assert!((s.value - 0.1).abs() < 1e-15 && (s.se - 0.05).abs() < 1e-15);
        let s = score_fixed(Goal::Regret, true, (0.7, 0.03), &[(0.6, 0.04)]);
        assert_eq!(s.value, 0.0);
        let s = score_fixed(Goal::Mean, false, (0.7, 0.03), &[]);
        assert_eq!((s.value, s.se), (0.7, 0.03));
    }
}
