//! Calibration: fit model parameters so that the unfunded (`none`) baseline reproduces an
//! observed survival curve. Pure: the caller reads the files and prints.
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
//! (or the middle of the box) with restarts ([`nelder_mead`]). Every varied scenario is
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

mod nelder_mead;
pub mod observed;

pub use nelder_mead::{Minimum, Settings as OptimiserSettings, minimise};

use rand::RngExt;
use rayon::prelude::*;
use serde::Serialize;

use crate::model::{Trajectory, World, simulate};
use crate::params::{PortfolioSpec, ScenarioError};
use crate::portfolio::{Portfolio, PortfolioError};
use crate::rng::{Purpose, stream, stream_seed};
use crate::scenario::{Scenario, parse_with_overrides};
use crate::stats::{KaplanMeier, Lifetime, SurvivalError, Z95};
use crate::strategy::StrategySpec;

/// A parameter to fit: a numeric field of the scenario by its dotted path, and its box.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamRange {
    pub path: String,
    pub low: f64,
    pub high: f64,
}

impl std::str::FromStr for ParamRange {
    type Err = String;

    /// Parses `PATH=LO:HI`, e.g. `model.attrition_hazard=0.005:0.06`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected PATH=LO:HI, e.g. model.attrition_hazard=0.005:0.06";
        let (path, range) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: {expected}"))?;
        let (low, high) = range
            .split_once(':')
            .ok_or_else(|| format!("{text:?}: {expected}"))?;
        let number = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{text:?}: {s:?} is not a number; {expected}"))
        };
        let (low, high) = (number(low)?, number(high)?);
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("{text:?}: empty path; {expected}"));
        }
        if low >= high {
            return Err(format!("{text:?}: LO must be below HI"));
        }
        Ok(Self {
            path: path.to_string(),
            low,
            high,
        })
    }
}

/// Why a calibration cannot run.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("invalid portfolio {0}")]
    Portfolio(#[from] PortfolioError),
    #[error("--param {path}: {problem}")]
    Param { path: String, problem: String },
    #[error("the observed data cannot be fitted: {0}")]
    Observed(String),
    #[error("{0}")]
    Survival(#[from] SurvivalError),
}

/// The model side of a calibration: a scenario text whose parameters are varied.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The scenario file's text, and its name in messages.
    pub scenario_text: String,
    pub origin: String,
    /// The portfolio CSV's text and name, when the scenario names one.
    pub portfolio_csv: Option<(String, String)>,
    pub params: Vec<ParamRange>,
}

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

/// A scenario ready to simulate at any parameter values, over a fixed horizon.
#[derive(Debug, Clone)]
pub struct Model {
    problem: Problem,
    /// Months simulated: the observed follow-up, rounded up.
    horizon_months: u32,
    /// Overrides that fix the horizon (and a programme that fits in it).
    fixed: Vec<(String, f64)>,
}

impl Model {
    /// Checks the scenario and the parameter boxes (both ends of every box must be valid
    /// values of its field) for a simulation of `horizon_months`.
    ///
    /// # Errors
    /// [`CalibrationError`] for an invalid scenario or portfolio, or a bad parameter.
    pub fn new(problem: Problem, horizon_months: u32) -> Result<Self, CalibrationError> {
        let base = parse_with_overrides(&problem.scenario_text, &problem.origin, &[])?;
        let horizon_months = horizon_months.max(1);
        let fixed = vec![
            ("fund.horizon_months".to_string(), f64::from(horizon_months)),
            (
                "fund.programme_months".to_string(),
                f64::from(base.fund.programme_months.min(horizon_months)),
            ),
        ];
        let model = Self {
            problem,
            horizon_months,
            fixed,
        };
        for (index, param) in model.problem.params.iter().enumerate() {
            if model.problem.params[..index]
                .iter()
                .any(|p| p.path == param.path)
            {
                return Err(CalibrationError::Param {
                    path: param.path.clone(),
                    problem: "given twice".into(),
                });
            }
            if param.path.starts_with("fund.horizon_months")
                || param.path.starts_with("fund.programme_months")
            {
                return Err(CalibrationError::Param {
                    path: param.path.clone(),
                    problem: "the horizon is set by the observed follow-up".into(),
                });
            }
            for value in [param.low, param.high] {
                let overrides = [(param.path.as_str(), value)];
                if let Err(error) = parse_with_overrides(
                    &model.problem.scenario_text,
                    &model.problem.origin,
                    &overrides,
                ) {
                    return Err(CalibrationError::Param {
                        path: param.path.clone(),
                        problem: format!("{value} is not accepted: {error}"),
                    });
                }
            }
        }
        model.scenario_at(&model.start())?;
        Ok(model)
    }

    pub fn params(&self) -> &[ParamRange] {
        &self.problem.params
    }

    pub fn horizon_months(&self) -> u32 {
        self.horizon_months
    }

    /// The scenario's own values of the parameters, where inside their boxes; the
    /// middle of the box otherwise.
    pub fn start(&self) -> Vec<f64> {
        let json = parse_with_overrides(&self.problem.scenario_text, &self.problem.origin, &[])
            .ok()
            .and_then(|s| serde_json::to_value(&s).ok());
        self.problem
            .params
            .iter()
            .map(|p| {
                json.as_ref()
                    .and_then(|j| value_at_path(j, &p.path))
                    .filter(|v| *v > p.low && *v < p.high)
                    .unwrap_or(0.5 * (p.low + p.high))
            })
            .collect()
    }

    /// The validated scenario at `theta`, with the calibration's horizon.
    ///
    /// # Errors
    /// [`CalibrationError::Scenario`] when the scenario rejects the values.
    pub fn scenario_at(&self, theta: &[f64]) -> Result<Scenario, CalibrationError> {
        let overrides: Vec<(&str, f64)> = self
            .fixed
            .iter()
            .map(|(p, v)| (p.as_str(), *v))
            .chain(
                self.problem
                    .params
                    .iter()
                    .zip(theta)
                    .map(|(p, v)| (p.path.as_str(), *v)),
            )
            .collect();
        Ok(parse_with_overrides(
            &self.problem.scenario_text,
            &self.problem.origin,
            &overrides,
        )?)
    }

    /// The world of replication `replication` at `theta`, its portfolio drawn with
    /// `portfolio_seed` (a CSV portfolio is the same for every seed), and the baseline.
    fn world(
        &self,
        scenario: &Scenario,
        portfolio_seed: u64,
        replication: u64,
    ) -> Result<World, CalibrationError> {
        let portfolio = match &scenario.portfolio {
            PortfolioSpec::Synthetic(spec) => {
                let replication = if spec.redraw_per_replication {
                    replication
                } else {
                    0
                };
                Portfolio::synthetic(spec, &scenario.model, portfolio_seed, replication)
            }
            PortfolioSpec::Csv { path } => {
                let (text, origin) = self.problem.portfolio_csv.as_ref().ok_or_else(|| {
                    CalibrationError::Observed(format!(
                        "the scenario's portfolio CSV {path:?} was not provided"
                    ))
                })?;
                Portfolio::from_csv(text.as_bytes(), origin, &scenario.model)?
            }
        };
        Ok(World::new(
            portfolio,
            scenario.model.clone(),
            scenario.fund.clone(),
        ))
    }

    fn redraws(scenario: &Scenario) -> bool {
        matches!(&scenario.portfolio, PortfolioSpec::Synthetic(s) if s.redraw_per_replication)
    }

    /// Simulates the baseline `replications` times and calls `visit` with each
    /// replication's trajectory, in parallel; results are collected in replication order.
    fn simulate_baseline<T: Send>(
        &self,
        theta: &[f64],
        seed: u64,
        replications: u64,
        visit: impl Fn(&Trajectory) -> T + Sync,
    ) -> Result<Vec<T>, CalibrationError> {
        let scenario = self.scenario_at(theta)?;
        let baseline = baseline_of(&scenario);
        let rule = baseline.rule.build();
        let shared = self.world(&scenario, seed, 0)?;
        let redraws = Self::redraws(&scenario);
        (0..replications)
            .into_par_iter()
            .map(|replication| {
                let redrawn = if redraws {
                    Some(self.world(&scenario, seed, replication)?)
                } else {
                    None
                };
                let world = redrawn.as_ref().unwrap_or(&shared);
                let mut trajectory = Trajectory::default();
                simulate(
                    world,
                    &baseline.name,
                    rule.as_ref(),
                    baseline.timing,
                    seed,
                    replication,
                    &mut trajectory,
                );
                Ok(visit(&trajectory))
            })
            .collect()
    }

    /// The pooled number of projects not yet abandoned at each month-end `0 … H`, over
    /// `replications` replications with `seed` (the engine's `surviving_total`).
    ///
    /// # Errors
    /// [`CalibrationError`] when the scenario rejects `theta`.
    pub fn pooled_survival(
        &self,
        theta: &[f64],
        seed: u64,
        replications: u64,
    ) -> Result<Vec<u64>, CalibrationError> {
        let per_replication =
            self.simulate_baseline(theta, seed, replications, |t| t.surviving.clone())?;
        let mut total = vec![0u64; self.horizon_months as usize + 1];
        for surviving in per_replication {
            for (sum, count) in total.iter_mut().zip(surviving) {
                *sum += u64::from(count);
            }
        }
        Ok(total)
    }

    /// `count` simulated project lifetimes at `theta`: the projects of replications 0, 1, …
    /// with `seed` in portfolio order, each the month of its first abandonment or `None`
    /// when not abandoned within the horizon.
    ///
    /// # Errors
    /// [`CalibrationError`] when the scenario rejects `theta`.
    pub fn simulated_lifetimes(
        &self,
        theta: &[f64],
        seed: u64,
        count: usize,
    ) -> Result<Vec<Option<u32>>, CalibrationError> {
        let projects = self
            .world(&self.scenario_at(theta)?, seed, 0)?
            .project_count();
        let replications = count.div_ceil(projects.max(1)) as u64;
        let per_replication =
            self.simulate_baseline(theta, seed, replications, |t| t.first_abandoned.clone())?;
        Ok(per_replication.into_iter().flatten().take(count).collect())
    }
}

/// The `none` strategy of a scenario (validation always adds one).
fn baseline_of(scenario: &Scenario) -> StrategySpec {
    scenario
        .strategies
        .iter()
        .find(|s| s.rule.is_baseline())
        .cloned()
        .unwrap_or_else(|| scenario.strategies[scenario.baseline_index()].clone())
}

/// A number in a serialized scenario by dotted path (`portfolio.x` also looks inside the
/// synthetic portfolio).
fn value_at_path(json: &serde_json::Value, path: &str) -> Option<f64> {
    let mut value = json;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        value = match value.get(key) {
            Some(v) => v,
            None => value.get("synthetic")?.get(key)?,
        };
        if let Some(index) = index {
            value = value.get(index)?;
        }
    }
    value.as_f64()
}

/// The observed curve on the monthly grid, with the weights of the distance.
#[derive(Debug, Clone)]
pub struct Target {
    pub observed: KaplanMeier,
    /// Grid months `1 … ⌊M⌋`.
    pub months: Vec<u32>,
    survival: Vec<f64>,
    /// `max(V̂(m), 1/n²)` per grid month.
    variance: Vec<f64>,
}

impl Target {
    /// # Errors
    /// [`CalibrationError::Observed`] without any event or with less than one month of
    /// follow-up; [`SurvivalError`] for bad lifetimes.
    pub fn new(lifetimes: &[Lifetime]) -> Result<Self, CalibrationError> {
        let observed = KaplanMeier::fit(lifetimes)?;
        if !lifetimes.iter().any(|l| l.event) {
            return Err(CalibrationError::Observed(
                "no project was abandoned (no event): every curve with no abandonment fits".into(),
            ));
        }
        let last = observed.last_time().floor() as u32;
        if last < 1 {
            return Err(CalibrationError::Observed(
                "follow-up is shorter than one month".into(),
            ));
        }
        let n = observed.subjects() as f64;
        let floor = 1.0 / (n * n);
        let months: Vec<u32> = (1..=last).collect();
        let survival = months
            .iter()
            .map(|&m| observed.survival_at(f64::from(m)))
            .collect();
        let variance = months
            .iter()
            .map(|&m| {
                let v = observed.variance_at(f64::from(m));
                if v.is_finite() { v.max(floor) } else { floor }
            })
            .collect();
        Ok(Self {
            observed,
            months,
            survival,
            variance,
        })
    }

    /// Months of simulation the target needs: the follow-up, rounded up.
    pub fn horizon_months(&self) -> u32 {
        self.observed.last_time().ceil().max(1.0) as u32
    }

    /// `D` of the module's documentation for a pooled simulated curve
    /// ([`Model::pooled_survival`]).
    pub fn distance(&self, pooled: &[u64]) -> f64 {
        let Ok(simulated) = KaplanMeier::from_pooled_months(pooled) else {
            return f64::INFINITY;
        };
        self.months
            .iter()
            .zip(&self.survival)
            .zip(&self.variance)
            .map(|((&month, &observed), &variance)| {
                let t = f64::from(month);
                let v_sim = simulated.variance_at(t);
                let v_sim = if v_sim.is_finite() { v_sim } else { 0.0 };
                let gap = observed - simulated.survival_at(t);
                gap * gap / (variance + v_sim)
            })
            .sum()
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

/// Draws censoring times like the observed data's: from the reverse Kaplan–Meier
/// estimate (censorings as events), capped at the end of follow-up.
struct CensoringLaw {
    /// (time, probability of still being under follow-up after it).
    steps: Vec<(f64, f64)>,
    end: f64,
}

impl CensoringLaw {
    fn new(lifetimes: &[Lifetime]) -> Result<Self, SurvivalError> {
        let flipped: Vec<Lifetime> = lifetimes
            .iter()
            .map(|l| Lifetime {
                time: l.time,
                event: !l.event,
            })
            .collect();
        let reverse = KaplanMeier::fit(&flipped)?;
        Ok(Self {
            steps: reverse
                .rows()
                .iter()
                .map(|r| (r.time, r.survival))
                .collect(),
            end: reverse.last_time(),
        })
    }

    /// The censoring time for a uniform `u ∈ [0, 1)`: the first time the share still
    /// followed falls below `1 − u`.
    fn draw(&self, u: f64) -> f64 {
        self.steps
            .iter()
            .find(|(_, followed)| *followed < 1.0 - u)
            .map_or(self.end, |(time, _)| *time)
            .min(self.end)
    }
}

/// A data set like the observed one, simulated at `theta` with `seed`.
fn simulated_data(
    model: &Model,
    theta: &[f64],
    seed: u64,
    censoring: &CensoringLaw,
    count: usize,
) -> Result<Vec<Lifetime>, CalibrationError> {
    let lifetimes = model.simulated_lifetimes(theta, seed, count)?;
    let mut rng = stream(seed, 0, CENSORING_INDEX, Purpose::Fund);
    Ok(lifetimes
        .into_iter()
        .map(|abandoned| {
            let censor = censoring.draw(rng.random::<f64>());
            match abandoned {
                Some(month) if f64::from(month) <= censor => Lifetime::event(f64::from(month)),
                _ => Lifetime::censored(censor),
            }
        })
        .collect())
}

/// Stream indices reserved for the calibration's own draws.
const BOOTSTRAP_INDEX: u64 = 0xca11_b007;
const REFIT_INDEX: u64 = 0x4ef1_7000;
const CENSORING_INDEX: u64 = 0xce50_0000;

/// The seed of bootstrap data set `b`: distinct from the fit's seed and from each other.
pub fn bootstrap_seed(seed: u64, b: usize) -> u64 {
    stream_seed(seed, b as u64, BOOTSTRAP_INDEX, Purpose::Fund)
}

/// The simulation seed of bootstrap refit `b` (its common random numbers).
pub fn refit_seed(seed: u64, b: usize) -> u64 {
    stream_seed(seed, b as u64, REFIT_INDEX, Purpose::Fund)
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
            percentile(&sorted, 0.025),
            percentile(&sorted, 0.975),
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

/// The `q` quantile of sorted values, linear between order statistics (type 7).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    sorted[below] + (position - below as f64) * (sorted[above] - sorted[below])
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

    #[test]
    fn percentiles_interpolate() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&sorted, 0.5), 3.0);
        assert!((percentile(&sorted, 0.025) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn censoring_draws_follow_the_reverse_km() {
        // Everyone followed to 60 months unless abandoned earlier: censoring at 60.
        let data = [Lifetime::event(10.0), Lifetime::censored(60.0)];
        let law = CensoringLaw::new(&data).unwrap();
        for u in [0.0, 0.3, 0.99] {
            assert_eq!(law.draw(u), 60.0);
        }
        // Half censored at 12, half at 24: the draws split the same way.
        let data = [Lifetime::censored(12.0), Lifetime::censored(24.0)];
        let law = CensoringLaw::new(&data).unwrap();
        assert_eq!(law.draw(0.2), 12.0);
        assert_eq!(law.draw(0.8), 24.0);
    }

    #[test]
    fn values_are_found_by_path() {
        let json =
            serde_json::json!({"model": {"a": 0.5}, "portfolio": {"synthetic": {"projects": 62}}});
        assert_eq!(value_at_path(&json, "model.a"), Some(0.5));
        assert_eq!(value_at_path(&json, "portfolio.projects"), Some(62.0));
        assert_eq!(value_at_path(&json, "model.b"), None);
    }
}
