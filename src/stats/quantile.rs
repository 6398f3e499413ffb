//! Percentiles of a sample: the `q` quantile of sorted values, linear between order
//! statistics (Hyndman and Fan's type 7, the default of R and NumPy). Used for the
//! bootstrap intervals of the calibration and of the sensitivity analysis.

/// How the value between two neighbouring order statistics `a ≤ b` is computed, at the
/// weight `w` of the way from `a` to `b`. Both are the type-7 rule and are equal in exact
/// arithmetic; in floating point they can differ in the last bit. Each is kept for the
/// results already computed with it, which must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// `a + w·(b − a)`: the calibration's bootstrap percentiles.
    Offset,
    /// `a·(1 − w) + b·w`: the sensitivity analysis's bootstrap intervals.
    Weighted,
}

/// The `q` quantile (`q` in [0, 1]) of `sorted`, values in increasing order, linear
/// between order statistics; NaN when there are no values.
pub fn percentile(sorted: &[f64], q: f64, interpolation: Interpolation) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let weight = position - below as f64;
    match interpolation {
        Interpolation::Offset => sorted[below] + weight * (sorted[above] - sorted[below]),
        Interpolation::Weighted => sorted[below] * (1.0 - weight) + sorted[above] * weight,
    }
}

#[cfg(test)]
mod tests {
    use super::{Interpolation, percentile};

    #[test]
    fn percentiles_interpolate_between_order_statistics() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        for rule in [Interpolation::Offset, Interpolation::Weighted] {
            assert_eq!(percentile(&sorted, 0.5, rule), 3.0);
            assert_eq!(percentile(&sorted, 0.0, rule), 1.0);
            assert_eq!(percentile(&sorted, 1.0, rule), 5.0);
            assert!((percentile(&sorted, 0.025, rule) - 1.1).abs() < 1e-12);
            assert!((percentile(&[3.0], 0.975, rule) - 3.0).abs() < 1e-12);
            assert!(percentile(&[], 0.5, rule).is_nan());
        }
    }

    /// The two rules agree to the last bit or two, and not always in it: why the rule is a
    /// parameter rather than one of them for every caller.
    #[test]
    fn the_two_rules_can_differ_in_the_last_bit() {
        let sorted = [0.1, 0.4];
        let offset = percentile(&sorted, 0.975, Interpolation::Offset);
        let weighted = percentile(&sorted, 0.975, Interpolation::Weighted);
        assert_ne!(offset, weighted);
        assert!((offset - weighted).abs() <= 2.0 * f64::EPSILON * offset);
    }
}
