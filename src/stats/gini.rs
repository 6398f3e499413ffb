//! The Gini coefficient of an allocation.

/// Gini coefficient of non-negative amounts: 0 when all are equal (or all zero), close
/// to 1 when one takes everything.
pub fn gini(amounts: &[f64]) -> f64 {
    let total: f64 = amounts.iter().sum();
    if amounts.len() < 2 || total <= 0.0 {
        return 0.0;
    }
    let mut sorted = amounts.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
        .sum();
    weighted / (n * total)
}

#[cfg(test)]
mod tests {
    use super::gini;

    #[test]
    fn equal_and_concentrated_allocations() {
        assert_eq!(gini(&[5.0, 5.0, 5.0, 5.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 10.0]) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[0.0, 0.0]), 0.0);
        // Hand-computed: 1, 2, 3 → Σ|xi−xj| over pairs = 8, / (2 n² mean) = 8 / 36 · 2 = 2/9.
        assert!((gini(&[3.0, 1.0, 2.0]) - 2.0 / 9.0).abs() < 1e-12);
    }
}
