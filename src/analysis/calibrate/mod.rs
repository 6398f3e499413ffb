//! Calibration: fit model parameters so that the unfunded (`none`) baseline reproduces an
//! observed survival curve, or the stylised facts ([`facts_fit`]). Pure: the caller
//! reads the files and prints.
//!
//! # The distance between curves
//!
//! Let `Ŝ` be the Kaplan–Meier estimate of the observed lifetimes (n projects, follow-up up
//! to `M` months) and `S_θ` the survival of the simulated baseline at parameters θ: the
//! pooled share of projects not yet abandoned, over `R` replications of the scenario's
//! portfolio, each project followed to `H = ⌈M⌉` months. On the monthly grid
//! `m = 1 … ⌊M⌋`:
//!
//! ```text
//! D(θ) = Σ_m (Ŝ(m) − S_θ(m))² / (max(V̂(m), 1/n²) + V_θ(m))
//! ```
//!
//! `V̂(m)` is Greenwood's variance of `Ŝ(m)` (so months where the observed curve is
//! uncertain — few projects left at risk, heavy censoring — weigh less) and `V_θ(m)` that of
//! the pooled simulated curve (its Monte Carlo error). The floor `1/n²`, about the variance
//! after one event among n, keeps months before the first observed event from weighing
//! infinitely. With little censoring `D` is close to a chi-square statistic.
//!
//! # The search
//!
//! Every evaluation simulates with the same seed (common random numbers), so `D` changes
//! with θ and not with the draws. Each parameter `θᵢ ∈ [loᵢ, hiᵢ]` is searched on the logit
//! scale, `θᵢ = loᵢ + (hiᵢ − loᵢ)/(1 + e^(−xᵢ))`, by Nelder–Mead from the scenario's value
//! (or the middle of the box) with restarts ([`minimise`]). Every varied scenario is
//! built with [`crate::scenario::parse_with_overrides`], so it passes the same validation
//! as a file; a parameter value the scenario rejects counts as an infinite distance.
//!
//! # Uncertainty: a parametric bootstrap
//!
//! At the fitted θ̂, `B` new data sets of the observed size are simulated (each with its own
//! seed and, for a synthetic portfolio, its own portfolio draw), censored like the
//! observed data (censoring times drawn from the reverse Kaplan–Meier estimate of the
//! observed censoring, capped at the end of follow-up), and refitted as the data were, but
//! each refit with its own simulation seed, so that the spread includes the Monte Carlo
//! error of the simulated curve as well as the sampling error of the data. The standard deviation of the refits is the standard error; the reported 95%
//! interval is `θ̂ ± 1.96·SE` clipped to the box (stable with few refits); the 2.5% and
//! 97.5% percentiles of the refits are reported too.
//!
//! # The files
//!
//! This file holds the fit and the summary; [`Problem`] (`problem.rs`) is what is asked,
//! with its parameter boxes and errors; [`Model`] (`model.rs`) simulates
//! the baseline at any θ, [`Target`] (`target.rs`) is the observed curve and the distance,
//! `bootstrap.rs` draws the bootstrap's data sets and seeds, `nelder_mead.rs` the search
//! and [`observed`] reads the observed lifetimes.
//!
//! # Fitting the stylised facts instead
//!
//! [`facts_fit`] fits the baseline to the published facts of `facts.toml` jointly, by
//! approximate Bayesian computation with sequential Monte Carlo ([`abc`], generic over
//! the simulator), and returns a posterior sample; [`facts_sbc`] checks that it
//! recovers known parameters and that its intervals have their nominal coverage.

pub mod abc;
mod bootstrap;
pub mod facts_fit;
pub mod facts_sbc;
mod model;
mod nelder_mead;
pub mod observed;
mod problem;
mod target;

pub use bootstrap::{bootstrap_seed, refit_seed};
pub use model::Model;
pub use nelder_mead::{Minimum, Settings as OptimiserSettings, minimise};
pub use problem::{CalibrationError, ParamRange, Problem};
pub use target::Target;

use rayon::prelude::*;
use serde::Serialize;

use crate::stats::{Interpolation, KaplanMeier, Lifetime, Z95, percentile};
use bootstrap::{CensoringLaw, simulated_data};

/// How hard to work.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Replications of the portfolio simulated per evaluation (pooled).
    pub replications: u64,
    /// Seed of every evaluation (common random numbers) and of the bootstrap.
    pub seed: u64,
    /// Bootstrap refits (0: no uncertainty).
    pub bootstrap: usize,
    pub optimiser: OptimiserSettings,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            replications: 8,
            seed: 20_261_128,
            bootstrap: 30,
            // D is on a chi-square scale whatever the sample size: 0.01 is negligible.
            optimiser: OptimiserSettings {
                max_evaluations: 150,
                f_tolerance: 0.01,
                ..OptimiserSettings::default()
            },
        }
    }
}

/// The box transform of one parameter.
fn to_box(range: &ParamRange, x: f64) -> f64 {
    range.low + (range.high - range.low) / (1.0 + (-x).exp())
}

fn from_box(range: &ParamRange, theta: f64) -> f64 {
    let share = ((theta - range.low) / (range.high - range.low)).clamp(0.005, 0.995);
    (share / (1.0 - share)).ln()
}

/// One fit: the parameters, the distance there and how the search went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointFit {
    pub estimates: Vec<f64>,
    pub distance: f64,
    pub evaluations: usize,
    pub converged: bool,
}

/// Minimises the distance to `target` from `start`, every evaluation with `seed`.
///
/// # Errors
/// [`CalibrationError`] when the scenario rejects the start.
pub fn fit_point(
    model: &Model,
    target: &Target,
    start: &[f64],
    options: &Options,
) -> Result<PointFit, CalibrationError> {
    let ranges = model.params();
    // The start must simulate; elsewhere a rejected value is an infinite distance.
    model.scenario_at(start)?;
    let to_theta =
        |x: &[f64]| -> Vec<f64> { ranges.iter().zip(x).map(|(r, &x)| to_box(r, x)).collect() };
    let objective = |x: &[f64]| {
        model
            .pooled_survival(&to_theta(x), options.seed, options.replications)
            .map_or(f64::INFINITY, |pooled| target.distance(&pooled))
    };
    let x0: Vec<f64> = ranges
        .iter()
        .zip(start)
        .map(|(r, &t)| from_box(r, t))
        .collect();
    let minimum = minimise(objective, &x0, &options.optimiser);
    Ok(PointFit {
        estimates: to_theta(&minimum.x),
        distance: minimum.value,
        evaluations: minimum.evaluations,
        converged: minimum.converged,
    })
}

/// A fitted parameter with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FittedParam {
    pub path: String,
    pub low: f64,
    pub high: f64,
    pub start: f64,
    pub estimate: f64,
    /// Standard deviation of the bootstrap refits (NaN without a bootstrap).
    pub std_error: f64,
    /// `estimate ± 1.96·std_error`, clipped to the box.
    pub ci_low: f64,
    pub ci_high: f64,
    /// 2.5% and 97.5% percentiles of the bootstrap refits.
    pub percentile_low: f64,
    pub percentile_high: f64,
}

/// Everything a calibration found.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub params: Vec<FittedParam>,
    pub fit: PointFit,
    pub target: Target,
    /// The pooled simulated baseline at the estimates (the fitted curve).
    pub fitted: KaplanMeier,
    pub bootstrap: Vec<PointFit>,
    pub options: Options,
    pub horizon_months: u32,
}

/// Fits the problem's parameters to observed lifetimes, with a parametric bootstrap.
/// `progress` is called with the number of bootstrap refits done.
///
/// # Errors
/// [`CalibrationError`] for an invalid scenario, parameter or data set.
pub fn calibrate(
    problem: Problem,
    observed: &[Lifetime],
    options: &Options,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Calibration, CalibrationError> {
    let target = Target::new(observed)?;
    let model = Model::new(problem, target.horizon_months())?;
    let start = model.start();
    let fit = fit_point(&model, &target, &start, options)?;
    let fitted = KaplanMeier::from_pooled_months(&model.pooled_survival(
        &fit.estimates,
        options.seed,
        options.replications,
    )?)?;
    let censoring = CensoringLaw::new(observed)?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let bootstrap: Vec<PointFit> = (0..options.bootstrap)
        .into_par_iter()
        .map(|b| {
            let data = simulated_data(
                &model,
                &fit.estimates,
                bootstrap_seed(options.seed, b),
                &censoring,
                observed.len(),
            )?;
            // Each refit simulates with its own seed, so the spread of the refits also
            // carries the Monte Carlo error of the simulated curve (and, for a synthetic
            // portfolio, of its draw), not only the sampling error of the data.
            let refit_options = Options {
                seed: refit_seed(options.seed, b),
                ..options.clone()
            };
            let refit = match Target::new(&data) {
                Ok(target) => fit_point(&model, &target, &fit.estimates, &refit_options)?,
                // A simulated data set without any abandonment fits "no abandonment".
                Err(CalibrationError::Observed(_)) => PointFit {
                    estimates: fit.estimates.clone(),
                    distance: f64::NAN,
                    evaluations: 0,
                    converged: false,
                },
                Err(other) => return Err(other),
            };
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            Ok(refit)
        })
        .collect::<Result<_, CalibrationError>>()?;
    let params = model
        .params()
        .iter()
        .enumerate()
        .map(|(i, range)| {
            let refits: Vec<f64> = bootstrap.iter().map(|b| b.estimates[i]).collect();
            summarise(range, start[i], fit.estimates[i], &refits)
        })
        .collect();
    Ok(Calibration {
        params,
        fit,
        target,
        fitted,
        bootstrap,
        options: options.clone(),
        horizon_months: model.horizon_months(),
    })
}

fn summarise(range: &ParamRange, start: f64, estimate: f64, refits: &[f64]) -> FittedParam {
    let n = refits.len();
    let (std_error, percentile_low, percentile_high) = if n >= 2 {
        let mean = refits.iter().sum::<f64>() / n as f64;
        let variance = refits.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let mut sorted = refits.to_vec();
        sorted.sort_by(f64::total_cmp);
        (
            variance.sqrt(),
            percentile(&sorted, 0.025, Interpolation::Offset),
            percentile(&sorted, 0.975, Interpolation::Offset),
        )
    } else {
        (f64::NAN, f64::NAN, f64::NAN)
    };
    let (ci_low, ci_high) = if std_error.is_finite() {
        (
            (estimate - Z95 * std_error).max(range.low),
            (estimate + Z95 * std_error).min(range.high),
        )
    } else {
        (f64::NAN, f64::NAN)
    };
    FittedParam {
        path: range.path.clone(),
        low: range.low,
        high: range.high,
        start,
        estimate,
        std_error,
        ci_low,
        ci_high,
        percentile_low,
        percentile_high,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_ranges_parse() {
        let range: ParamRange = "model.attrition_hazard=0.005:0.06".parse().unwrap();
        assert_eq!(range.path, "model.attrition_hazard");
        assert_eq!((range.low, range.high), (0.005, 0.06));
        assert!("model.x=1:0".parse::<ParamRange>().is_err());
        assert!("model.x".parse::<ParamRange>().is_err());
        assert!("model.x=a:1".parse::<ParamRange>().is_err());
        assert!("=0:1".parse::<ParamRange>().is_err());
    }

    #[test]
    fn the_box_transform_round_trips() {
        let range = ParamRange {
            path: "x".into(),
            low: 0.01,
            high: 0.2,
        };
        for theta in [0.02, 0.1, 0.19] {
            assert!((to_box(&range, from_box(&range, theta)) - theta).abs() < 1e-12);
        }
        assert!(to_box(&range, 50.0) <= 0.2 && to_box(&range, -50.0) >= 0.01);
    }
}
