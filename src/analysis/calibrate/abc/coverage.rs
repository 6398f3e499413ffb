//! The ABC-SMC sampler on a toy simulator with a known posterior: the posterior's
//! moments, and the coverage of its 90% intervals over repeated truths drawn from the
//! prior (simulation-based calibration). The same `abc_smc` as the fit to the facts.
//!
//! The toy: parameters `a` (uniform on [−10, 10]) and `b` (log-uniform on [e⁻⁵, e⁵]),
//! with `c = ln b`. One simulation gives `s₁ = a + Z₁` and `s₂ = c + a/2 + Z₂/2` with
//! independent standard normals; the distance is `max(|s₁ − y₁|, |s₂ − y₂|)`. With
//! tolerance ε the ABC posterior is exactly the posterior of a model whose output
//! reaches the data with independent errors uniform on [−ε, ε] (Wilkinson 2013), so
//! away from the prior's edges `a = y₁ − Z₁ − U₁` and `c = y₂ − a/2 − Z₂/2 − U₂`:
//! `E a = y₁`, `Var a = 1 + ε²/3`, `E c = y₂ − y₁/2`, `Var c = Var a / 4 + 1/4 + ε²/3`.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use super::{AbcPosterior, AbcProgress, AbcSettings, Prior, PriorShape, Stop, abc_smc};
use crate::rng::{Purpose, stream};

const TOLERANCE: f64 = 0.5;

fn priors() -> [Prior; 2] {
    [
        Prior {
            low: -10.0,
            high: 10.0,
            shape: PriorShape::Uniform,
        },
        Prior {
            low: (-5.0f64).exp(),
            high: 5.0f64.exp(),
            shape: PriorShape::LogUniform,
        },
    ]
}

/// One simulation of the toy at `theta = (a, b)`.
fn simulate(theta: &[f64], seed: u64) -> [f64; 2] {
    let mut rng = stream(seed, 0, 0, Purpose::Fund);
    let z1: f64 = StandardNormal.sample(&mut rng);
    let z2: f64 = StandardNormal.sample(&mut rng);
    let (a, c) = (theta[0], theta[1].ln());
    [a + z1, c + 0.5 * a + 0.5 * z2]
}

/// Runs to the tolerance whatever the acceptance rate: data far in the tail of the
/// prior predictive (a truth near the prior's edge) are accepted rarely, and the
/// coverage is that of the posterior at the tolerance.
fn fit(data: [f64; 2], particles: usize, seed: u64) -> AbcPosterior {
    fit_with(
        data,
        AbcSettings {
            particles,
            max_generations: 40,
            tolerance: TOLERANCE,
            min_acceptance: 0.0,
            min_shrink: 0.0,
            seed,
            ..AbcSettings::default()
        },
    )
}

/// The toy posterior of `data` under `settings`: distance is the larger of the two
/// summaries' gaps.
fn fit_with(data: [f64; 2], settings: AbcSettings) -> AbcPosterior {
    let distance = |theta: &[f64], seed: u64| {
        let s = simulate(theta, seed);
        (s[0] - data[0]).abs().max((s[1] - data[1]).abs())
    };
    abc_smc(
        &priors(),
        &settings,
        &distance,
        &|_: &AbcProgress| {},
        &|| false,
    )
    .unwrap()
}

/// Weighted mean and standard deviation of `f(θ)` over the posterior, and its
/// effective sample size.
fn moments(posterior: &AbcPosterior, f: impl Fn(&[f64]) -> f64) -> (f64, f64, f64) {
    let weights: Vec<f64> = posterior.particles.iter().map(|p| p.weight).collect();
    let values: Vec<f64> = posterior.particles.iter().map(|p| f(&p.theta)).collect();
    let mean: f64 = values.iter().zip(&weights).map(|(v, w)| v * w).sum();
    let variance: f64 = values
        .iter()
        .zip(&weights)
        .map(|(v, w)| w * (v - mean).powi(2))
        .sum();
    let ess = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
    (mean, variance.sqrt(), ess)
}

#[test]
fn the_posterior_has_the_known_moments() {
    let data = [1.3, 0.9];
    let posterior = fit(data, 2_000, 17);
    assert_eq!(posterior.stop, Stop::TargetReached);
    assert_eq!(posterior.tolerance(), TOLERANCE);
    let total: f64 = posterior.particles.iter().map(|p| p.weight).sum();
    assert!((total - 1.0).abs() < 1e-12);
    let var_a = 1.0 + TOLERANCE.powi(2) / 3.0;
    let var_c = var_a / 4.0 + 0.25 + TOLERANCE.powi(2) / 3.0;
    let (mean_a, sd_a, ess) = moments(&posterior, |t| t[0]);
    let (mean_c, sd_c, _) = moments(&posterior, |t| t[1].ln());
    assert!(ess > 500.0, "effective sample size {ess}");
    // Four Monte Carlo standard errors: sd/√ESS for a mean, sd/√(2·ESS) for a sd.
    for (what, got, want, sd) in [
        ("mean of a", mean_a, data[0], var_a.sqrt()),
        (
            "mean of ln b",
            mean_c,
            data[1] - data[0] / 2.0,
            var_c.sqrt(),
        ),
    ] {
        let tolerance = 4.0 * sd / ess.sqrt();
        assert!(
            (got - want).abs() < tolerance,
            "{what}: {got} vs {want} ± {tolerance}"
        );
    }
    for (what, got, want) in [
        ("sd of a", sd_a, var_a.sqrt()),
        ("sd of ln b", sd_c, var_c.sqrt()),
    ] {
        let tolerance = 4.0 * want / (2.0 * ess).sqrt();
        assert!(
            (got - want).abs() < tolerance,
            "{what}: {got} vs {want} ± {tolerance}"
        );
    }
}

/// Simulation-based calibration: 100 truths from the prior, data simulated at each with
/// the error the tolerance stands for, fitted; the 90% intervals must cover the truth
/// about 90 times in 100 (binomial standard deviation 3; three of them allowed).
#[test]
fn ninety_percent_intervals_cover_ninety_percent_of_truths() {
    let truths = 100;
    let mut covered = [0usize; 2];
    for truth in 0..truths {
        let mut rng = stream(2_026, truth, 1, Purpose::Fund);
        let theta: Vec<f64> = priors()
            .iter()
            .map(|prior| {
                let u: f64 = rng.random();
                match prior.shape {
                    PriorShape::Uniform => prior.low + u * (prior.high - prior.low),
                    PriorShape::LogUniform => {
                        (prior.low.ln() + u * (prior.high.ln() - prior.low.ln())).exp()
                    }
                }
            })
            .collect();
        let simulated = simulate(&theta, rng.random());
        let data = simulated.map(|s| s + TOLERANCE * (2.0 * rng.random::<f64>() - 1.0));
        let posterior = fit(data, 300, 1_000 + truth);
        assert_eq!(
            posterior.stop,
            Stop::TargetReached,
            "truth {truth}: {theta:?} {data:?} {:#?}",
            posterior.generations
        );
        for (index, count) in covered.iter_mut().enumerate() {
            let (low, high) = (
                posterior.quantile(index, 0.05),
                posterior.quantile(index, 0.95),
            );
            if low <= theta[index] && theta[index] <= high {
                *count += 1;
            }
        }
    }
    for (name, count) in ["a", "b"].iter().zip(covered) {
        assert!(
            (81..=99).contains(&count),
            "{name}: the 90% interval covered {count} of {truths} truths"
        );
    }
}

/// The posterior does not depend on the batch size (nor, therefore, on how batches are
/// spread over threads).
#[test]
fn the_posterior_does_not_depend_on_the_batch_size() {
    let data = [0.5, -0.2];
    let run = |batch| {
        fit_with(
            data,
            AbcSettings {
                particles: 100,
                tolerance: TOLERANCE,
                batch,
                seed: 5,
                ..AbcSettings::default()
            },
        )
    };
    let (one, many) = (run(1), run(37));
    assert_eq!(one.particles, many.particles);
    let proposals = |p: &AbcPosterior| {
        p.generations
            .iter()
            .map(|g| g.proposals)
            .collect::<Vec<_>>()
    };
    assert_eq!(proposals(&one), proposals(&many));
}
