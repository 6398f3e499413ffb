//! Rank correlations between uncertain fields, through a Gaussian copula: independent
//! standard normal scores are correlated by the Cholesky factor of a correlation matrix,
//! and each field's value is its quantile at the score's normal probability. Monotone
//! transformations keep rank correlations, so a field pair's Spearman correlation is that
//! of its two normal scores, whatever the marginal distributions.

use std::f64::consts::PI;

/// The smallest pivot of the Cholesky factorisation a valid matrix may have: a smaller
/// one means the matrix is singular or indefinite (within rounding), so no set of
/// variables can have these correlations.
const MIN_PIVOT: f64 = 1e-10;

/// The Pearson correlation of two standard normals whose Spearman rank correlation is
/// `rank`: r = 2·sin(π·ρ/6) (Pearson 1907; Kruskal 1958).
pub fn pearson_of_spearman(rank: f64) -> f64 {
    2.0 * (PI * rank / 6.0).sin()
}

/// A Gaussian copula in `dimension` variables.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianCopula {
    dimension: usize,
    /// The lower-triangular Cholesky factor L of the normal scores' correlation matrix
    /// (R = L·Lᵀ), row by row; empty when the variables are independent.
    lower: Vec<f64>,
}

/// The correlations asked for cannot all hold at once: their matrix is not positive
/// definite (its Cholesky factorisation meets a pivot at or below zero in `variable`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotPositiveDefinite {
    pub variable: usize,
    pub pivot: f64,
}

impl GaussianCopula {
    /// The copula with the given Spearman rank correlations `(i, j, rank)` between
    /// variables `i` and `j` (each pair once, `i != j`, rank in (−1, 1)); pairs not given
    /// are independent.
    ///
    /// # Errors
    /// [`NotPositiveDefinite`] when the implied correlation matrix is not a valid one.
    pub fn new(
        dimension: usize,
        ranks: &[(usize, usize, f64)],
    ) -> Result<Self, NotPositiveDefinite> {
        if ranks.is_empty() {
            return Ok(Self {
                dimension,
                lower: Vec::new(),
            });
        }
        let mut matrix = vec![0.0; dimension * dimension];
        for i in 0..dimension {
            matrix[i * dimension + i] = 1.0;
        }
        for &(i, j, rank) in ranks {
            let r = pearson_of_spearman(rank);
            matrix[i * dimension + j] = r;
            matrix[j * dimension + i] = r;
        }
        cholesky(&matrix, dimension).map(|lower| Self { dimension, lower })
    }

    /// How many variables the copula joins.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Correlated normal scores from independent standard normal ones (`L·z`).
    pub fn correlate(&self, independent: &[f64]) -> Vec<f64> {
        if self.lower.is_empty() {
            return independent.to_vec();
        }
        let n = self.dimension;
        (0..n)
            .map(|i| {
                self.lower[i * n..=i * n + i]
                    .iter()
                    .zip(independent)
                    .map(|(l, z)| l * z)
                    .sum()
            })
            .collect()
    }
}

/// The Cholesky factor of a symmetric `n × n` matrix (row-major), or where it fails.
fn cholesky(matrix: &[f64], n: usize) -> Result<Vec<f64>, NotPositiveDefinite> {
    let mut lower = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| lower[i * n + k] * lower[j * n + k]).sum();
            let value = matrix[i * n + j] - dot;
            if i == j {
                if value.is_nan() || value <= MIN_PIVOT {
                    return Err(NotPositiveDefinite {
                        variable: i,
                        pivot: value,
                    });
                }
                lower[i * n + i] = value.sqrt();
            } else {
                lower[i * n + j] = value / lower[j * n + j];
            }
        }
    }
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factor_reproduces_the_matrix() {
        let copula = GaussianCopula::new(3, &[(0, 1, 0.5), (1, 2, -0.3)]).unwrap();
        let n = 3;
        let expected = |i: usize, j: usize| match (i.min(j), i.max(j)) {
            (a, b) if a == b => 1.0,
            (0, 1) => pearson_of_spearman(0.5),
            (1, 2) => pearson_of_spearman(-0.3),
            _ => 0.0,
        };
        for i in 0..n {
            for j in 0..n {
                let product: f64 = (0..n)
                    .map(|k| copula.lower[i * n + k] * copula.lower[j * n + k])
                    .sum();
                assert!((product - expected(i, j)).abs() < 1e-12, "({i}, {j})");
            }
        }
        // The scores of the first variable are unchanged; the factor is lower-triangular.
        let scores = copula.correlate(&[1.0, 0.0, 0.0]);
        assert_eq!(scores[0], 1.0);
        assert!((scores[1] - pearson_of_spearman(0.5)).abs() < 1e-15);
    }

    #[test]
    fn the_pearson_of_a_rank_correlation_is_slightly_larger_in_magnitude() {
        assert_eq!(pearson_of_spearman(0.0), 0.0);
        assert!((pearson_of_spearman(1.0) - 1.0).abs() < 1e-15);
        assert!((pearson_of_spearman(0.5) - 0.517_638_090_205_041_5).abs() < 1e-12);
        assert!((pearson_of_spearman(-0.5) + 0.517_638_090_205_041_5).abs() < 1e-12);
    }

    #[test]
    fn impossible_correlations_are_refused() {
        // a and b move together, b and c together, but a and c against each other.
        let refused = GaussianCopula::new(3, &[(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9)]);
        assert_eq!(refused.unwrap_err().variable, 2);
        assert!(GaussianCopula::new(2, &[(0, 1, 0.99)]).is_ok());
        // Independent variables need no factor.
        let independent = GaussianCopula::new(2, &[]).unwrap();
        assert_eq!(independent.correlate(&[0.3, -1.0]), vec![0.3, -1.0]);
    }
}
