//! A mergeable quantile sketch with bounded relative error (logarithmic bins, as in
//! DDSketch), so percentiles over any number of replications take fixed memory.

use serde::{Deserialize, Serialize};

/// Relative accuracy of the quantiles: a returned value is within 1% of a value of the
/// requested rank.
const RELATIVE_ACCURACY: f64 = 0.01;
/// Values below this are counted as zero (all sketched quantities are counts, EUR or
/// person-months, where this is far below meaning).
const ZERO_THRESHOLD: f64 = 1e-9;

fn gamma_ln() -> f64 {
    ((1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)).ln()
}

/// Counts of non-negative values in logarithmic bins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuantileSketch {
    zeros: u64,
    /// Bin index of `bins[0]`.
    offset: i32,
    bins: Vec<u64>,
    count: u64,
}

impl QuantileSketch {
    fn bin_of(value: f64) -> i32 {
        (value.ln() / gamma_ln()).ceil() as i32
    }

    fn value_of(bin: i32) -> f64 {
        // The midpoint (in relative terms) of bin `i`: (γ^(i−1), γ^i].
        let gamma = gamma_ln().exp();
        2.0 * (f64::from(bin) * gamma_ln()).exp() / (1.0 + gamma)
    }

    /// Adds a value; negative and NaN values count as zero.
    pub fn add(&mut self, value: f64) {
        self.count += 1;
        if value.is_nan() || value <= ZERO_THRESHOLD {
            self.zeros += 1;
            return;
        }
        let bin = Self::bin_of(value);
        self.add_to_bin(bin, 1);
    }

    fn add_to_bin(&mut self, bin: i32, count: u64) {
        if self.bins.is_empty() {
            self.offset = bin;
            self.bins.push(0);
        } else if bin < self.offset {
            let grow = (self.offset - bin) as usize;
            self.bins.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = bin;
        } else if bin >= self.offset + self.bins.len() as i32 {
            self.bins.resize((bin - self.offset) as usize + 1, 0);
        }
        self.bins[(bin - self.offset) as usize] += count;
    }

    pub fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.zeros += other.zeros;
        for (i, &count) in other.bins.iter().enumerate() {
            if count > 0 {
                self.add_to_bin(other.offset + i as i32, count);
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), lower-rank convention; NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let rank = (q.clamp(0.0, 1.0) * (self.count - 1) as f64).floor() as u64;
        if rank < self.zeros {
            return 0.0;
        }
        let mut seen = self.zeros;
        for (i, &count) in self.bins.iter().enumerate() {
            seen += count;
            if seen > rank {
                return Self::value_of(self.offset + i as i32);
            }
        }
        Self::value_of(self.offset + self.bins.len() as i32 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_the_relative_accuracy() {
        let mut sketch = QuantileSketch::default();
        let values: Vec<f64> = (1..=10_000).map(|i| f64::from(i) * 0.37).collect();
        values.iter().for_each(|&v| sketch.add(v));
        for q in [0.05, 0.5, 0.95] {
            let exact = values[(q * 9_999.0) as usize];
            let estimate = sketch.quantile(q);
            assert!(
                (estimate - exact).abs() <= RELATIVE_ACCURACY * exact * 1.0001,
                "q {q}: {estimate} vs {exact}"
            );
        }
    }

    #[test]
    fn merging_equals_adding_everything_to_one_sketch() {
        let mut one = QuantileSketch::default();
        let mut left = QuantileSketch::default();
        let mut right = QuantileSketch::default();
        for i in 0..500 {
            let value = if i % 7 == 0 {
                0.0
            } else {
                f64::from(i).powf(1.7)
            };
            one.add(value);
            if i < 200 {
                left.add(value)
            } else {
                right.add(value)
            }
        }
        right.merge(&left);
        assert_eq!(one.count(), right.count());
        for q in [0.0, 0.1, 0.5, 0.9, 1.0] {
            assert_eq!(one.quantile(q), right.quantile(q));
        }
        assert_eq!(one.quantile(0.0), 0.0);
        assert!(QuantileSketch::default().quantile(0.5).is_nan());
    }
}
