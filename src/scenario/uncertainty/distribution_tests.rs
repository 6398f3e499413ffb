//! Each distribution's quantile function against its closed-form moments: the mean and
//! variance of the quantiles of many uniforms must match within 5 Monte Carlo standard
//! errors (estimated from the same draws), with fixed seeds.

use rand::{RngExt, SeedableRng};

use super::*;
use crate::rng::SimRng;

const DRAWS: usize = 200_000;
/// Standard errors allowed: a correct quantile fails one check with probability 6e-7.
const Z: f64 = 5.0;

fn normal_pdf(z: f64) -> f64 {
    if z.is_infinite() {
        return 0.0;
    }
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Draws `DRAWS` values by the quantile of uniforms and checks their mean and variance
/// against `mean` and `variance` within `Z` standard errors, and that every value lies in
/// `[low, high]`.
fn check_moments(distribution: ParameterDistribution, mean: f64, variance: f64, seed: u64) {
    let mut rng = SimRng::seed_from_u64(seed);
    let values: Vec<f64> = (0..DRAWS)
        .map(|_| distribution.quantile(rng.random::<f64>()))
        .collect();
    let (low, high) = (distribution.quantile(0.0), distribution.quantile(1.0));
    assert!(
        values.iter().all(|v| (low..=high).contains(v)),
        "{distribution:?}: a value outside {low}–{high}"
    );
    let n = DRAWS as f64;
    let sample_mean = values.iter().sum::<f64>() / n;
    let centred = |power: i32| {
        values
            .iter()
            .map(|v| (v - sample_mean).powi(power))
            .sum::<f64>()
            / n
    };
    let (sample_variance, fourth) = (centred(2), centred(4));
    let mean_error = (sample_variance / n).sqrt();
    let variance_error = ((fourth - sample_variance * sample_variance) / n).sqrt();
    assert!(
        (sample_mean - mean).abs() < Z * mean_error,
        "{distribution:?}: mean {sample_mean} against {mean} (standard error {mean_error})"
    );
    assert!(
        (sample_variance - variance).abs() < Z * variance_error,
        "{distribution:?}: variance {sample_variance} against {variance} (standard error {variance_error})"
    );
}

fn beta_moments(alpha: f64, beta: f64, low: f64, high: f64) -> (f64, f64) {
    let sum = alpha + beta;
    let width = high - low;
    (
        low + width * alpha / sum,
        width * width * alpha * beta / (sum * sum * (sum + 1.0)),
    )
}

/// Mean and variance of a normal truncated to [low, high] (Johnson, Kotz and
/// Balakrishnan, *Continuous Univariate Distributions*, 1994, §10.1).
fn truncated_normal_moments(mean: f64, sd: f64, low: f64, high: f64) -> (f64, f64) {
    let (a, b) = ((low - mean) / sd, (high - mean) / sd);
    let mass = standard_normal_cdf(b) - standard_normal_cdf(a);
    let shift = (normal_pdf(a) - normal_pdf(b)) / mass;
    let times = |z: f64| {
        if z.is_infinite() {
            0.0
        } else {
            z * normal_pdf(z)
        }
    };
    (
        mean + sd * shift,
        sd * sd * (1.0 + (times(a) - times(b)) / mass - shift * shift),
    )
}

/// Mean and variance of a log-normal truncated to [low, high]:
/// E[Xᵏ] = e^(kμ + k²σ²/2) · [Φ((ln high − μ − kσ²)/σ) − Φ((ln low − μ − kσ²)/σ)] / mass.
fn truncated_log_normal_moments(median: f64, sigma: f64, low: f64, high: f64) -> (f64, f64) {
    let mu = median.ln();
    let phi = |x: f64, k: f64| standard_normal_cdf((x.ln() - mu - k * sigma * sigma) / sigma);
    let mass = phi(high, 0.0) - phi(low, 0.0);
    let moment =
        |k: f64| (k * mu + k * k * sigma * sigma / 2.0).exp() * (phi(high, k) - phi(low, k)) / mass;
    let (first, second) = (moment(1.0), moment(2.0));
    (first, second - first * first)
}

#[test]
fn uniform_and_triangular_moments() {
    check_moments(
        ParameterDistribution::Uniform {
            low: 2.0,
            high: 5.0,
        },
        3.5,
        9.0 / 12.0,
        1,
    );
    let (a, m, b) = (0.0, 0.3, 0.6);
    check_moments(
        ParameterDistribution::Triangular {
            low: a,
            mode: m,
            high: b,
        },
        (a + m + b) / 3.0,
        (a * a + m * m + b * b - a * m - a * b - m * b) / 18.0,
        2,
    );
    // A mode at an end.
    check_moments(
        ParameterDistribution::Triangular {
            low: 1.0,
            mode: 1.0,
            high: 4.0,
        },
        2.0,
        (1.0 + 1.0 + 16.0 - 1.0 - 4.0 - 4.0) / 18.0,
        3,
    );
}

#[test]
fn pert_moments_follow_the_beta_with_lambda_4() {
    for (seed, (low, mode, high)) in [(0.0, 0.3, 0.6), (1.0, 1.5, 9.0), (0.0, 0.0, 1.0)]
        .into_iter()
        .enumerate()
    {
        let (alpha, beta) = pert_shapes(low, mode, high);
        let (mean, variance) = beta_moments(alpha, beta, low, high);
        // PERT's textbook mean.
        assert!((mean - (low + 4.0 * mode + high) / 6.0).abs() < 1e-12);
        check_moments(
            ParameterDistribution::Pert { low, mode, high },
            mean,
            variance,
            10 + seed as u64,
        );
    }
}

#[test]
fn beta_moments_on_a_scaled_range() {
    for (seed, (alpha, beta, low, high)) in [
        (2.0, 5.0, 0.0, 1.0),
        (0.5, 0.5, -1.0, 3.0),
        (30.0, 3.0, 10.0, 20.0),
    ]
    .into_iter()
    .enumerate()
    {
        let (mean, variance) = beta_moments(alpha, beta, low, high);
        check_moments(
            ParameterDistribution::Beta {
                alpha,
                beta,
                low,
                high,
            },
            mean,
            variance,
            20 + seed as u64,
        );
    }
}

#[test]
fn normal_moments_plain_and_truncated() {
    check_moments(
        ParameterDistribution::Normal {
            mean: 1.5,
            sd: 0.4,
            low: None,
            high: None,
        },
        1.5,
        0.16,
        30,
    );
    for (seed, (low, high)) in [
        (Some(1.0), Some(2.5)),
        (Some(1.5), None),
        (None, Some(1.0)),
        // Far in the upper tail: drawn through the mirrored lower tail.
        (Some(3.5), Some(4.0)),
    ]
    .into_iter()
    .enumerate()
    {
        let (mean, variance) = truncated_normal_moments(
            1.5,
            0.4,
            low.unwrap_or(f64::NEG_INFINITY),
            high.unwrap_or(f64::INFINITY),
        );
        check_moments(
            ParameterDistribution::Normal {
                mean: 1.5,
                sd: 0.4,
                low,
                high,
            },
            mean,
            variance,
            31 + seed as u64,
        );
    }
}

#[test]
fn log_normal_moments_plain_and_truncated() {
    let (median, sigma): (f64, f64) = (0.02, 0.5);
    check_moments(
        ParameterDistribution::LogNormal {
            median,
            sigma_log: sigma,
            low: None,
            high: None,
        },
        median * (sigma * sigma / 2.0).exp(),
        (sigma * sigma).exp_m1() * median * median * (sigma * sigma).exp(),
        40,
    );
    for (seed, (low, high)) in [
        (Some(0.01), Some(0.05)),
        (None, Some(0.03)),
        (Some(0.04), None),
    ]
    .into_iter()
    .enumerate()
    {
        let (mean, variance) = truncated_log_normal_moments(
            median,
            sigma,
            low.unwrap_or(0.0),
            high.unwrap_or(f64::INFINITY),
        );
        check_moments(
            ParameterDistribution::LogNormal {
                median,
                sigma_log: sigma,
                low,
                high,
            },
            mean,
            variance,
            41 + seed as u64,
        );
    }
}

#[test]
fn quantiles_hit_the_bounds_and_invert_known_points() {
    let pert = ParameterDistribution::Pert {
        low: 0.0,
        mode: 0.3,
        high: 0.6,
    };
    assert_eq!(pert.quantile(0.0), 0.0);
    assert_eq!(pert.quantile(1.0), 0.6);
    // A symmetric PERT's median is its mode.
    assert!((pert.quantile(0.5) - 0.3).abs() < 1e-9);
    let truncated = ParameterDistribution::Normal {
        mean: 0.0,
        sd: 1.0,
        low: Some(-1.0),
        high: Some(2.0),
    };
    assert_eq!(truncated.quantile(0.0), -1.0);
    assert_eq!(truncated.quantile(1.0), 2.0);
    let plain = ParameterDistribution::Normal {
        mean: 0.0,
        sd: 1.0,
        low: None,
        high: None,
    };
    assert!((plain.quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-9);
    assert_eq!(plain.quantile(0.0), f64::NEG_INFINITY);
    let log = ParameterDistribution::LogNormal {
        median: 3.0,
        sigma_log: 0.7,
        low: None,
        high: None,
    };
    assert!((log.quantile(0.5) - 3.0).abs() < 1e-12);
    // The copula's shortcut for untruncated distributions is the same quantile.
    for z in [-2.5, -0.3, 0.0, 1.1, 3.0] {
        let through_cdf = log.quantile(standard_normal_cdf(z));
        assert!((log.value_at_normal_score(z) - through_cdf).abs() < 1e-9 * through_cdf);
        assert!(
            (plain.value_at_normal_score(z) - plain.quantile(standard_normal_cdf(z))).abs() < 1e-9
        );
    }
    // Checked ends: bounds where there are bounds, 0.1% quantiles where there are none.
    assert_eq!(pert.checked_ends(), (0.0, 0.6));
    let (low, high) = plain.checked_ends();
    assert!((low + 3.090_232_306).abs() < 1e-6 && (high - 3.090_232_306).abs() < 1e-6);
    assert_eq!(plain.open_sides(), (true, true));
    assert_eq!(truncated.open_sides(), (false, false));
    assert_eq!(log.open_sides(), (true, true));
}

#[test]
fn the_normal_cdf_is_accurate_in_both_tails() {
    assert!((standard_normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-15);
    // Φ(−8) = 6.22096057427178e-16 (to 15 digits), where 1 − Φ(8) would round to 0.
    assert!((standard_normal_cdf(-8.0) / 6.220_960_574_271_78e-16 - 1.0).abs() < 1e-12);
    assert!((standard_normal_mass(5.0, 6.0) / 2.856_649_842_341_569e-7 - 1.0).abs() < 1e-12);
}
/// statrs' inversion of the incomplete beta function (AS 109), checked against bisection
/// on its own forward function over the shapes a scenario may give: within 2% of the
/// distribution's sd everywhere (it degrades beyond shapes of 1e4, which validation
/// refuses).
#[test]
fn beta_quantiles_are_accurate_over_the_allowed_shapes() {
    use statrs::function::beta::beta_reg;
    let shapes = [0.001, 0.1, 0.5, 1.0, 3.0, 30.0, 1e3, MAX_BETA_SHAPE];
    for &alpha in &shapes {
        for &beta in &shapes {
            let sum = alpha + beta;
            let sd = (alpha * beta / (sum * sum * (sum + 1.0))).sqrt();
            let distribution = ParameterDistribution::Beta {
                alpha,
                beta,
                low: 0.0,
                high: 1.0,
            };
            for step in 0..=100 {
                let p = (f64::from(step) / 100.0).clamp(1e-9, 1.0 - 1e-9);
                let (mut low, mut high) = (0.0_f64, 1.0_f64);
                for _ in 0..100 {
                    let middle = 0.5 * (low + high);
                    if beta_reg(alpha, beta, middle) < p {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                let error = (distribution.quantile(p) - 0.5 * (low + high)).abs();
                assert!(
                    error < 0.02 * sd,
                    "beta({alpha}, {beta}) at {p}: off by {error}, sd {sd}"
                );
            }
        }
    }
}
