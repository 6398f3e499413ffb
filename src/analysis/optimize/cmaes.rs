//! CMA-ES, the covariance matrix adaptation evolution strategy (Hansen & Ostermeier
//! 2001), with the default settings and update equations of Hansen's tutorial ("The CMA
//! Evolution Strategy: A Tutorial", arXiv:1604.00772, 2016, Table 1 and Fig. 6, positive
//! recombination weights only). It needs no gradient and ranks candidates only by their
//! order, so it tolerates noisy objectives: the reason it was chosen for a simulation
//! whose estimates carry Monte Carlo error.
//!
//! Written here rather than taken from a crate so that it is deterministic bit for bit
//! (the draws of generation `g` come from their own keyed stream, so a search resumed
//! from a saved [`CmaesState`] continues exactly as an uninterrupted one), serializable,
//! and free of a linear-algebra dependency: the dimensions are a few dozen at most, so a
//! cyclic Jacobi eigendecomposition suffices.

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::rng::{Purpose, SimRng, stream_seed};

/// The stream index of the optimiser's draws, apart from every simulation stream (whose
/// index is a project or a strategy's name hash).
const SAMPLING_INDEX: u64 = 0x0c3a_e5f0_0000_0001;

/// The strategy parameters that follow from the dimension (Hansen 2016, Table 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub dimension: usize,
    /// Candidates per generation (λ).
    pub population: usize,
    /// Recombination weights of the `weights.len()` (μ) best candidates, summing to 1.
    pub weights: Vec<f64>,
    pub mu_eff: f64,
    pub c_sigma: f64,
    pub d_sigma: f64,
    pub c_c: f64,
    pub c_1: f64,
    pub c_mu: f64,
    /// E‖N(0, I)‖.
    pub chi_n: f64,
}

impl Settings {
    /// The defaults for `dimension` dimensions: λ = 4 + ⌊3 ln n⌋ unless `population` is
    /// given (at least 2).
    pub fn new(dimension: usize, population: Option<usize>) -> Self {
        let n = dimension as f64;
        let population = population
            .unwrap_or(4 + (3.0 * n.ln()).floor() as usize)
            .max(2);
        let mu = population / 2;
        let raw: Vec<f64> = (1..=mu)
            .map(|i| ((population as f64 + 1.0) / 2.0).ln() - (i as f64).ln())
            .collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let mu_eff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let c_sigma = (mu_eff + 2.0) / (n + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (n + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let c_c = (4.0 + mu_eff / n) / (n + 4.0 + 2.0 * mu_eff / n);
        let c_1 = 2.0 / ((n + 1.3).powi(2) + mu_eff);
        let c_mu =
            (1.0 - c_1).min(2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((n + 2.0).powi(2) + mu_eff));
        let chi_n = n.sqrt() * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
        Self {
            dimension,
            population,
            weights,
            mu_eff,
            c_sigma,
            d_sigma,
            c_c,
            c_1,
            c_mu,
            chi_n,
        }
    }
}

/// Everything the search carries from one generation to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CmaesState {
    pub settings: Settings,
    pub seed: u64,
    /// Generations completed.
    pub generation: u64,
    pub mean: Vec<f64>,
    pub sigma: f64,
    /// Covariance matrix C, row-major n × n.
    pub covariance: Vec<f64>,
    /// Its eigenvectors B (columns, row-major n × n) and the square roots D of its
    /// eigenvalues, from the last decomposition.
    pub basis: Vec<f64>,
    pub scales: Vec<f64>,
    pub path_sigma: Vec<f64>,
    pub path_c: Vec<f64>,
}

impl CmaesState {
    /// A search from `mean` with step size `sigma`, identity covariance.
    pub fn new(mean: Vec<f64>, sigma: f64, population: Option<usize>, seed: u64) -> Self {
        let n = mean.len();
        let settings = Settings::new(n, population);
        Self {
            settings,
            seed,
            generation: 0,
            mean,
            sigma,
            covariance: identity(n),
            basis: identity(n),
            scales: vec![1.0; n],
            path_sigma: vec![0.0; n],
            path_c: vec![0.0; n],
        }
    }

    /// The candidates of the next generation: `m + σ·B·D·z` with `z` standard normal,
    /// drawn from the generation's own stream (a pure function of the state).
    pub fn ask(&self) -> Vec<Vec<f64>> {
        let n = self.settings.dimension;
        let mut rng = SimRng::seed_from_u64(stream_seed(
            self.seed,
            self.generation,
            SAMPLING_INDEX,
            Purpose::Fund,
        ));
        (0..self.settings.population)
            .map(|_| {
                let z: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
                let y = self.transform(&z);
                (0..n).map(|i| self.mean[i] + self.sigma * y[i]).collect()
            })
            .collect()
    }

    /// `B·D·z`.
    fn transform(&self, z: &[f64]) -> Vec<f64> {
        let n = self.settings.dimension;
        let scaled: Vec<f64> = z.iter().zip(&self.scales).map(|(z, d)| z * d).collect();
        (0..n)
            .map(|i| (0..n).map(|j| self.basis[i * n + j] * scaled[j]).sum())
            .collect()
    }

    /// `C^(-1/2)·y = B·D⁻¹·Bᵀ·y`.
    fn whiten(&self, y: &[f64]) -> Vec<f64> {
        let n = self.settings.dimension;
        let projected: Vec<f64> = (0..n)
            .map(|j| (0..n).map(|i| self.basis[i * n + j] * y[i]).sum::<f64>() / self.scales[j])
            .collect();
        (0..n)
            .map(|i| (0..n).map(|j| self.basis[i * n + j] * projected[j]).sum())
            .collect()
    }

    /// Updates the distribution from the generation's candidates (as [`ask`] gave them)
    /// and their losses (lower is better; NaN counts as worst). Ties keep candidate order,
    /// so the update is a pure function of its inputs.
    ///
    /// [`ask`]: CmaesState::ask
    pub fn tell(&mut self, candidates: &[Vec<f64>], losses: &[f64]) {
        let s = self.settings.clone();
        let n = s.dimension;
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        let key = |i: usize| {
            if losses[i].is_nan() {
                f64::INFINITY
            } else {
                losses[i]
            }
        };
        order.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
        let steps: Vec<Vec<f64>> = order
            .iter()
            .take(s.weights.len())
            .map(|&i| {
                candidates[i]
                    .iter()
                    .zip(&self.mean)
                    .map(|(x, m)| (x - m) / self.sigma)
                    .collect()
            })
            .collect();
        let y_w: Vec<f64> = (0..n)
            .map(|i| steps.iter().zip(&s.weights).map(|(y, w)| w * y[i]).sum())
            .collect();
        for (m, y) in self.mean.iter_mut().zip(&y_w) {
            *m += self.sigma * y;
        }
        let whitened = self.whiten(&y_w);
        let sigma_gain = (s.c_sigma * (2.0 - s.c_sigma) * s.mu_eff).sqrt();
        for (p, w) in self.path_sigma.iter_mut().zip(&whitened) {
            *p = (1.0 - s.c_sigma) * *p + sigma_gain * w;
        }
        let norm = self.path_sigma.iter().map(|p| p * p).sum::<f64>().sqrt();
        let generations = (self.generation + 1) as i32;
        let correction = (1.0 - (1.0 - s.c_sigma).powi(2 * generations)).sqrt();
        let stalled = norm / correction >= (1.4 + 2.0 / (n as f64 + 1.0)) * s.chi_n;
        let h_sigma = if stalled { 0.0 } else { 1.0 };
        let c_gain = (s.c_c * (2.0 - s.c_c) * s.mu_eff).sqrt();
        for (p, y) in self.path_c.iter_mut().zip(&y_w) {
            *p = (1.0 - s.c_c) * *p + h_sigma * c_gain * y;
        }
        let delta = (1.0 - h_sigma) * s.c_c * (2.0 - s.c_c);
        let keep = 1.0 - s.c_1 - s.c_mu;
        for i in 0..n {
            for j in 0..n {
                let rank_mu: f64 = steps
                    .iter()
                    .zip(&s.weights)
                    .map(|(y, w)| w * y[i] * y[j])
                    .sum();
                let c = self.covariance[i * n + j];
                self.covariance[i * n + j] = keep * c
                    + s.c_1 * (self.path_c[i] * self.path_c[j] + delta * c)
                    + s.c_mu * rank_mu;
            }
        }
        self.sigma *= ((s.c_sigma / s.d_sigma) * (norm / s.chi_n - 1.0)).exp();
        let (values, vectors) = symmetric_eigen(&self.covariance, n);
        self.scales = values.iter().map(|v| v.max(1e-300).sqrt()).collect();
        self.basis = vectors;
        self.generation += 1;
    }
}

fn identity(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
        .collect()
}

/// Eigenvalues and eigenvectors (columns, row-major) of the symmetric `n × n` matrix `a`
/// by cyclic Jacobi rotations (Golub & Van Loan, Matrix Computations, §8.5): exact enough
/// for the small, well-conditioned covariances of this search, and deterministic.
fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    // Symmetrise: the update is symmetric in exact arithmetic only.
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = mean;
            a[j * n + i] = mean;
        }
    }
    let mut v = identity(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        let scale: f64 = (0..n).map(|i| a[i * n + i].powi(2)).sum();
        if off <= 1e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search on `f` until the best loss is below `target` or `budget`
    /// evaluations are spent; returns the evaluations used and the best point.
    fn minimise(
        f: impl Fn(&[f64], u64) -> f64,
        start: Vec<f64>,
        sigma: f64,
        target: f64,
        budget: u64,
    ) -> (u64, Vec<f64>, f64) {
        let mut state = CmaesState::new(start, sigma, None, 7);
        let mut used = 0;
        let mut best = (f64::INFINITY, Vec::new());
        while used < budget {
            let candidates = state.ask();
            let losses: Vec<f64> = candidates
                .iter()
                .enumerate()
                .map(|(k, x)| f(x, state.generation * 1000 + k as u64))
                .collect();
            used += candidates.len() as u64;
            for (x, &loss) in candidates.iter().zip(&losses) {
                if loss < best.0 {
                    best = (loss, x.clone());
                }
            }
            state.tell(&candidates, &losses);
            if best.0 < target {
                break;
            }
        }
        (used, state.mean, best.0)
    }

    fn sphere(x: &[f64]) -> f64 {
        x.iter().map(|v| v * v).sum()
    }

    fn rosenbrock(x: &[f64]) -> f64 {
        x.windows(2)
            .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
            .sum()
    }

    #[test]
    fn eigen_decomposition_reconstructs_the_matrix() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 1.0];
        let (values, v) = symmetric_eigen(&a, 3);
        for i in 0..3 {
            for j in 0..3 {
                let back: f64 = (0..3)
                    .map(|k| v[i * 3 + k] * values[k] * v[j * 3 + k])
                    .sum();
                assert!((back - a[i * 3 + j]).abs() < 1e-12, "{i},{j}: {back}");
            }
        }
        let trace: f64 = values.iter().sum();
        assert!((trace - 8.0).abs() < 1e-12);
    }

    /// The default strategy parameters of Hansen (2016, Table 1) for n = 10: λ = 10,
    /// μ = 5, μ_eff ≈ 3.17 (the tutorial's figure).
    #[test]
    fn default_settings_match_the_tutorial() {
        let s = Settings::new(10, None);
        assert_eq!((s.population, s.weights.len()), (10, 5));
        assert!((s.weights.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!((s.mu_eff - 3.1672992).abs() < 1e-6, "{}", s.mu_eff);
        assert!((s.chi_n - 3.0847).abs() < 1e-4, "{}", s.chi_n);
    }

    /// Sphere from (3, …, 3) with σ = 1: the tutorial's behaviour is linear convergence,
    /// a loss of 1e-10 within a few hundred evaluations in 2-D and about a thousand in
    /// 5-D; the budgets here are generous multiples of what this implementation needs.
    #[test]
    fn reaches_the_sphere_optimum() {
        for (n, budget) in [(2, 400), (5, 1200)] {
            let (used, mean, best) = minimise(|x, _| sphere(x), vec![3.0; n], 1.0, 1e-10, budget);
            assert!(best < 1e-10, "{n}-D: best {best} after {used}");
            assert!(mean.iter().all(|m| m.abs() < 1e-4), "{n}-D: {mean:?}");
            eprintln!("sphere {n}-D: 1e-10 after {used} evaluations");
        }
    }

    /// Rosenbrock from (0, …, 0) with σ = 0.5: the banana valley needs the covariance to
    /// adapt; optimum (1, …, 1).
    #[test]
    fn reaches_the_rosenbrock_optimum() {
        for (n, budget) in [(2, 1500), (5, 6000)] {
            let (used, mean, best) =
                minimise(|x, _| rosenbrock(x), vec![0.0; n], 0.5, 1e-10, budget);
            assert!(best < 1e-10, "{n}-D: best {best} after {used}");
            assert!(
                mean.iter().all(|m| (m - 1.0).abs() < 1e-3),
                "{n}-D: {mean:?}"
            );
            eprintln!("rosenbrock {n}-D: 1e-10 after {used} evaluations");
        }
    }

    /// A noisy quadratic, (x − 0.3)² + (y + 0.2)² plus Gaussian noise of sd 0.01 on every
    /// evaluation: the mean of the search distribution settles near the optimum. Closer
    /// than √0.01 = 0.1 the quadratic's signal is below one noise standard deviation, so
    /// no ranking method can resolve the optimum more finely: that is the tolerance.
    #[test]
    fn finds_the_optimum_of_a_noisy_toy() {
        let noisy = |x: &[f64], key: u64| {
            let mut rng = SimRng::seed_from_u64(key ^ 0x5eed);
            let noise: f64 = StandardNormal.sample(&mut rng);
            (x[0] - 0.3).powi(2) + (x[1] + 0.2).powi(2) + 0.01 * noise
        };
        let (used, mean, _) = minimise(noisy, vec![2.0, 2.0], 1.0, f64::NEG_INFINITY, 600);
        assert_eq!(used, 600);
        let distance = ((mean[0] - 0.3).powi(2) + (mean[1] + 0.2).powi(2)).sqrt();
        assert!(distance < 0.1, "{mean:?}");
    }

    /// Resuming from a copy of the state (as a checkpoint holds it) continues exactly.
    #[test]
    fn a_restored_state_continues_identically() {
        let mut state = CmaesState::new(vec![1.0, -1.0, 0.5], 0.3, None, 11);
        for _ in 0..3 {
            let c = state.ask();
            let l: Vec<f64> = c.iter().map(|x| rosenbrock(x)).collect();
            state.tell(&c, &l);
        }
        let bytes = postcard::to_stdvec(&state).unwrap();
        let mut restored: CmaesState = postcard::from_bytes(&bytes).unwrap();
        for _ in 0..3 {
            for s in [&mut state, &mut restored] {
                let c = s.ask();
                let l: Vec<f64> = c.iter().map(|x| rosenbrock(x)).collect();
                s.tell(&c, &l);
            }
        }
        assert_eq!(state, restored);
    }
}
