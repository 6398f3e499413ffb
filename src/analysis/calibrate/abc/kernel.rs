//! The move of ABC-SMC's proposals: a Gaussian kernel around the last population with
//! twice its weighted covariance (Beaumont et al. 2009), the density that the importance
//! weights divide by, and the small dense linear algebra both need.

/// The last population on the working scale and the Gaussian move around it.
pub(super) struct Kernel {
    pub(super) points: Vec<Vec<f64>>,
    weights: Vec<f64>,
    cumulative: Vec<f64>,
    /// Lower Cholesky factor of the move's covariance, `2 × Σ_w`.
    pub(super) chol: Vec<Vec<f64>>,
}

impl Kernel {
    pub(super) fn new(points: Vec<Vec<f64>>, weights: Vec<f64>, boxes: &[(f64, f64)]) -> Self {
        let dims = boxes.len();
        let mean: Vec<f64> = (0..dims)
            .map(|i| points.iter().zip(&weights).map(|(p, w)| w * p[i]).sum())
            .collect();
        let mut covariance = vec![vec![0.0; dims]; dims];
        for (point, weight) in points.iter().zip(&weights) {
            for i in 0..dims {
                for j in 0..dims {
                    covariance[i][j] += 2.0 * weight * (point[i] - mean[i]) * (point[j] - mean[j]);
                }
            }
        }
        // A population collapsed in some direction still needs a move there: a ridge of
        // a millionth of the box keeps the factorisation defined.
        for (i, (low, high)) in boxes.iter().enumerate() {
            covariance[i][i] += 1e-12 * (high - low).powi(2);
        }
        let chol = cholesky(&covariance).unwrap_or_else(|| {
            // Not positive definite in floating point: keep the variances only.
            (0..dims)
                .map(|i| {
                    (0..dims)
                        .map(|j| if i == j { covariance[i][i].sqrt() } else { 0.0 })
                        .collect()
                })
                .collect()
        });
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self {
            points,
            weights,
            cumulative,
            chol,
        }
    }

    pub(super) fn parent(&self, u: f64) -> &[f64] {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let index = self
            .cumulative
            .partition_point(|&c| c <= u * total)
            .min(self.points.len() - 1);
        &self.points[index]
    }

    /// `log Σ_j W_j exp(−½ (z − z_j)ᵀ (2Σ)⁻¹ (z − z_j))`, the log proposal density of `z`
    /// up to a constant shared by every particle.
    pub(super) fn log_density(&self, z: &[f64]) -> f64 {
        let terms: Vec<f64> = self
            .points
            .iter()
            .zip(&self.weights)
            .map(|(point, weight)| {
                let difference: Vec<f64> = z.iter().zip(point).map(|(a, b)| a - b).collect();
                let solved = forward_substitution(&self.chol, &difference);
                weight.ln() - 0.5 * solved.iter().map(|x| x * x).sum::<f64>()
            })
            .collect();
        log_sum_exp(&terms)
    }
}

/// The lower Cholesky factor of a small symmetric matrix; `None` unless positive
/// definite. Written out because the matrices are a handful of parameters across: a
/// linear-algebra crate would be a large dependency for a dozen lines.
fn cholesky(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let mut lower = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| lower[i][k] * lower[j][k]).sum();
            if i == j {
                let pivot = matrix[i][i] - sum;
                if !(pivot > 0.0 && pivot.is_finite()) {
                    return None;
                }
                lower[i][i] = pivot.sqrt();
            } else {
                lower[i][j] = (matrix[i][j] - sum) / lower[j][j];
            }
        }
    }
    Some(lower)
}

/// Solves `L x = b` for a lower-triangular `L`.
fn forward_substitution(lower: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let mut x = vec![0.0; b.len()];
    for i in 0..b.len() {
        let sum: f64 = (0..i).map(|k| lower[i][k] * x[k]).sum();
        x[i] = (b[i] - sum) / lower[i][i];
    }
    x
}

pub(super) fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_factors_reproduce_the_matrix() {
        let matrix = vec![
            vec![4.0, 2.0, 0.4],
            vec![2.0, 3.0, 0.5],
            vec![0.4, 0.5, 1.0],
        ];
        let lower = cholesky(&matrix).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let product: f64 = (0..3).map(|k| lower[i][k] * lower[j][k]).sum();
                assert!((product - matrix[i][j]).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
        let x = forward_substitution(&lower, &[1.0, 2.0, 3.0]);
        for i in 0..3 {
            let row: f64 = (0..3).map(|k| lower[i][k] * x[k]).sum();
            assert!((row - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
    }
}
