//! Whether the uncertain assumptions change which strategy is best: from the design
//! points' outputs (`design.csv`), the share of points at which each strategy leads, over
//! the whole design and in the lower and upper half of each assumption's range.

use crate::output::read::sensitivity::{SensitivityData, quantity};

/// How often each strategy is best over a set of design points.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaders {
    /// Per strategy (in the analysis' order): share of the points at which it is best,
    /// ties shared equally.
    pub shares: Vec<f64>,
    /// Design points counted (those with every strategy's value defined).
    pub points: usize,
}

impl Leaders {
    /// The strategy best at the most points (the first on a tie), with its share.
    pub fn leader(&self) -> Option<(usize, f64)> {
        if self.points == 0 {
            return None;
        }
        let mut best = 0;
        for (s, &share) in self.shares.iter().enumerate() {
            if share > self.shares[best] {
                best = s;
            }
        }
        Some((best, self.shares[best]))
    }
}

/// One assumption's effect on the ranking: the leaders below and above its median.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub parameter: usize,
    /// The median of the assumption's distribution (rounded for whole numbers).
    pub median: f64,
    pub below: Leaders,
    pub above: Leaders,
    /// The largest change of a strategy's share between the two halves (0 to 1).
    pub swing: f64,
}

impl Split {
    /// Whether the strategy best at the most points differs between the halves.
    pub fn leader_changes(&self) -> bool {
        match (self.below.leader(), self.above.leader()) {
            (Some((a, _)), Some((b, _))) => a != b,
            _ => false,
        }
    }
}

/// The ranking analysis of one metric across the analysed strategies (levels only).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub metric: String,
    pub higher_is_better: bool,
    /// Strategy names, in the analysis' order.
    pub strategies: Vec<String>,
    pub overall: Leaders,
    /// One per assumption, the largest swing first.
    pub splits: Vec<Split>,
}

/// Share of points at which each column is best.
fn leaders<'a>(
    points: impl Iterator<Item = &'a Vec<f64>>,
    columns: &[usize],
    higher_is_better: bool,
) -> Leaders {
    let mut shares = vec![0.0; columns.len()];
    let mut counted = 0;
    for row in points {
        let values: Vec<f64> = columns.iter().map(|&c| row[c]).collect();
        if values.iter().any(|v| !v.is_finite()) {
            continue;
        }
        let best = if higher_is_better {
            values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        } else {
            values.iter().copied().fold(f64::INFINITY, f64::min)
        };
        let tied = values.iter().filter(|&&v| v == best).count() as f64;
        for (share, &v) in shares.iter_mut().zip(&values) {
            if v == best {
                *share += 1.0 / tied;
            }
        }
        counted += 1;
    }
    if counted > 0 {
        for share in &mut shares {
            *share /= counted as f64;
        }
    }
    Leaders {
        shares,
        points: counted,
    }
}

/// The ranking analysis of every scalar metric with at least two strategies' levels.
pub fn rankings(data: &SensitivityData) -> Vec<Ranking> {
    let mut metrics: Vec<&str> = Vec::new();
    for output in &data.outputs {
        if output.versus.is_empty()
            && !output.time_resolved()
            && !metrics.contains(&output.metric.as_str())
        {
            metrics.push(&output.metric);
        }
    }
    let medians: Vec<f64> = data
        .info
        .parameters
        .iter()
        .enumerate()
        .map(|(p, parameter)| {
            let median = parameter.distribution.quantile(0.5);
            // Whole-number fields: the design holds rounded values.
            if data.whole_number[p] {
                median.round()
            } else {
                median
            }
        })
        .collect();
    metrics
        .into_iter()
        .filter_map(|metric| {
            let columns: Vec<usize> = data
                .outputs
                .iter()
                .enumerate()
                .filter(|(_, o)| o.versus.is_empty() && o.metric == metric)
                .map(|(i, _)| i)
                .collect();
            if columns.len() < 2 {
                return None;
            }
            let higher_is_better = quantity(metric).is_none_or(|q| q.higher_is_better());
            let rows = &data.design_outputs;
            let overall = leaders(rows.iter(), &columns, higher_is_better);
            let mut splits: Vec<Split> = medians
                .iter()
                .enumerate()
                .map(|(p, &median)| {
                    let side = |below: bool| {
                        leaders(
                            rows.iter()
                                .zip(&data.design_values)
                                .filter(|(_, values)| {
                                    if below {
                                        values[p] < median
                                    } else {
                                        values[p] > median
                                    }
                                })
                                .map(|(row, _)| row),
                            &columns,
                            higher_is_better,
                        )
                    };
                    let (below, above) = (side(true), side(false));
                    let swing = if below.points > 0 && above.points > 0 {
                        below
                            .shares
                            .iter()
                            .zip(&above.shares)
                            .map(|(a, b)| (a - b).abs())
                            .fold(0.0, f64::max)
                    } else {
                        0.0
                    };
                    Split {
                        parameter: p,
                        median,
                        below,
                        above,
                        swing,
                    }
                })
                .collect();
            splits.sort_by(|a, b| {
                b.swing
                    .total_cmp(&a.swing)
                    .then(a.parameter.cmp(&b.parameter))
            });
            Some(Ranking {
                metric: metric.to_string(),
                higher_is_better,
                strategies: columns
                    .iter()
                    .map(|&c| data.outputs[c].strategy.clone())
                    .collect(),
                overall,
                splits,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaders_share_ties_and_skip_undefined_points() {
        let rows = [
            vec![1.0, 2.0, 0.0],
            vec![3.0, 3.0, 0.0],
            vec![f64::NAN, 1.0, 0.0],
            vec![5.0, 4.0, 0.0],
        ];
        let high = leaders(rows.iter(), &[0, 1], true);
        assert_eq!(high.points, 3);
        assert_eq!(high.shares, [0.5, 0.5]);
        let low = leaders(rows.iter(), &[0, 1], false);
        assert_eq!(low.shares, [0.5, 0.5]);
        let one = leaders(rows.iter(), &[1, 2], true);
        assert_eq!(one.shares, [1.0, 0.0]);
        assert_eq!(one.leader(), Some((0, 1.0)));
    }
}
