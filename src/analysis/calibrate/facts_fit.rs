//! Fitting the unfunded baseline to the stylised facts (`facts.toml`) jointly, by
//! ABC-SMC ([`super::abc`]): what `fundsim calibrate --facts` computes.
//!
//! # The simulator and the distance
//!
//! A simulation at θ draws the facts scenario's portfolio and simulates its `none`
//! baseline with its own seed, [`FactsFit::replications`] replications pooled (one by
//! default: one simulated *study* of the portfolio, as each published figure is one
//! study), and computes every fact's statistic ([`crate::analysis::facts::statistics`]).
//! The distance is the largest scaled gap over the facts, those in a conflict group
//! included:
//!
//! ```text
//! gap_f = (low_f − s_f) / (0.1 · low_f)    if s_f < low_f
//!         (s_f − high_f) / (0.1 · high_f)  if s_f > high_f
//!         0                                inside the published range
//! d(θ) = max_f gap_f
//! ```
//!
//! The scale is the margin of the `close` verdict ([`crate::analysis::facts::CLOSE_RELATIVE_GAP`],
//! 10% of the nearest end of the published range): `d ≤ 1` means every fact is within its
//! close margin. The published figures carry no standard errors and come from studies
//! whose definitions differ from the model's (docs/validation.md), so a relative margin
//! is the error that can be stated; the sampling error of one study is in the simulator.
//! ABC-SMC run to the tolerance 1 then samples the exact posterior of the model whose
//! statistics reach the published figures with errors uniform within those margins
//! (Wilkinson 2013).

use std::str::FromStr;

use rayon::prelude::*;
use serde::Serialize;

use super::abc::{
    AbcPosterior, AbcProgress, AbcSettings, Prior, PriorShape, abc_smc, weighted_quantile,
};
use super::model::Model;
use super::problem::{CalibrationError, ParamRange, Problem};
use crate::analysis::facts::{
    CLOSE_RELATIVE_GAP, Evaluation, Fact, Facts, FactsError, evaluate, statistics,
};
use crate::rng::{Purpose, stream_seed};
use crate::scenario::parse_with_overrides;

/// The parameters fitted when none are named, with their priors: the attrition hazard
/// (five-year abandonment and the one-maintainer risk), the return from a break (the
/// three Calefato et al. figures) and the revival hazard (revival). Ranges and shapes
/// are argued in docs/calibration.md ("Fitting the baseline to the facts").
pub const DEFAULT_PARAMS: [&str; 4] = [
    "model.attrition_hazard=0.009:0.056:log-uniform",
    "model.break_return_hazard=0.03:0.16:log-uniform",
    "model.break_return_decay_months=6:36:uniform",
    "model.revival_hazard=0.002:0.02:log-uniform",
];

/// A parameter to fit by dotted path, and its prior.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitParam {
    pub path: String,
    pub prior: Prior,
}

/// The prior shape when none is named: log-uniform for a hazard or a rate with a
/// positive lower end (its order of magnitude is what is unsure), uniform otherwise.
pub fn default_shape(path: &str, low: f64) -> PriorShape {
    let field = path.rsplit('.').next().unwrap_or(path);
    if low > 0.0 && (field.ends_with("_hazard") || field.ends_with("_rate")) {
        PriorShape::LogUniform
    } else {
        PriorShape::Uniform
    }
}

impl FromStr for FitParam {
    type Err = String;

    /// Parses `PATH=LO:HI` or `PATH=LO:HI:SHAPE` with SHAPE `uniform` or `log-uniform`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (range_text, shape) = match text.rsplit_once(':') {
            Some((head, "uniform")) => (head, Some(PriorShape::Uniform)),
            Some((head, "log-uniform")) => (head, Some(PriorShape::LogUniform)),
            _ => (text, None),
        };
        let range: ParamRange = range_text.parse().map_err(|problem: String| {
            format!("{problem} (optionally followed by :uniform or :log-uniform)")
        })?;
        let shape = shape.unwrap_or_else(|| default_shape(&range.path, range.low));
        if shape == PriorShape::LogUniform && range.low <= 0.0 {
            return Err(format!(
                "{text:?}: a log-uniform prior needs LO > 0; use :uniform for a range from {}",
                range.low
            ));
        }
        Ok(Self {
            path: range.path,
            prior: Prior {
                low: range.low,
                high: range.high,
                shape,
            },
        })
    }
}

/// A fact's published range and the scales of a gap below and above it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FactTarget {
    pub low: f64,
    pub high: f64,
    /// A gap below `low` is measured in units of `below`, one above `high` in `above`.
    pub below: f64,
    pub above: f64,
}

impl FactTarget {
    /// The published range with the close margins as scales.
    pub fn of(fact: &Fact) -> Self {
        let [low, high] = fact.published;
        Self {
            low,
            high,
            below: CLOSE_RELATIVE_GAP * low,
            above: CLOSE_RELATIVE_GAP * high,
        }
    }

    /// The scaled gap of a model value (0 inside the range; infinite if undefined).
    pub fn gap(&self, value: f64) -> f64 {
        if value.is_nan() {
            f64::INFINITY
        } else if value < self.low {
            (self.low - value) / self.below
        } else if value > self.high {
            (value - self.high) / self.above
        } else {
            0.0
        }
    }
}

/// The distance of model values to their targets: the largest scaled gap.
pub fn distance(targets: &[FactTarget], values: &[f64]) -> f64 {
    targets
        .iter()
        .zip(values)
        .map(|(target, &value)| target.gap(value))
        .fold(0.0, f64::max)
}

/// What a fit to the facts is asked.
#[derive(Debug, Clone)]
pub struct FactsProblem {
    /// The facts scenario's text (with `--set` written in), and its name in messages.
    pub scenario_text: String,
    pub origin: String,
    /// The portfolio CSV's text and name, when the scenario names one.
    pub portfolio_csv: Option<(String, String)>,
    pub params: Vec<FitParam>,
    pub facts: Facts,
    /// Replications pooled per simulation.
    pub replications: u64,
}

/// A fit to the facts, ready to simulate at any θ.
#[derive(Debug, Clone)]
pub struct FactsFit {
    model: Model,
    params: Vec<FitParam>,
    facts: Facts,
    targets: Vec<FactTarget>,
    replications: u64,
}

/// A fitted parameter: its prior and its posterior's weighted quantiles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PosteriorParam {
    pub path: String,
    pub prior: Prior,
    pub mean: f64,
    pub median: f64,
    pub p05: f64,
    pub p95: f64,
}

/// A fact's posterior predictive: its statistic simulated once at every particle (with
/// a fresh seed), weighted as the particles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictiveFact {
    pub id: String,
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
}

/// Everything a fit to the facts found.
#[derive(Debug, Clone)]
pub struct FactsFitResult {
    pub posterior: AbcPosterior,
    pub params: Vec<PosteriorParam>,
    pub predictive: Vec<PredictiveFact>,
}

impl FactsFitResult {
    /// The posterior medians, in the order of the parameters.
    pub fn medians(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.median).collect()
    }
}

/// Stream index reserved for the posterior predictive simulations.
const PREDICTIVE_INDEX: u64 = 0xfac7_0001;

/// The seed of the posterior predictive simulation of particle `i`.
pub fn predictive_seed(seed: u64, i: usize) -> u64 {
    stream_seed(seed, i as u64, PREDICTIVE_INDEX, Purpose::Fund)
}

impl FactsFit {
    /// Checks the scenario, the parameters (each path a numeric field that accepts both
    /// ends of its range, none given twice) and the facts against the scenario.
    ///
    /// # Errors
    /// [`CalibrationError`] naming the parameter or fact at fault.
    pub fn new(problem: FactsProblem) -> Result<Self, CalibrationError> {
        if problem.params.is_empty() {
            return Err(CalibrationError::Param {
                path: String::new(),
                problem: "no parameter to fit".into(),
            });
        }
        if problem.replications == 0 {
            return Err(CalibrationError::Observed(
                "replications per simulation must be at least 1".into(),
            ));
        }
        let base = parse_with_overrides(&problem.scenario_text, &problem.origin, &[])?;
        let ranges = problem
            .params
            .iter()
            .map(|p| ParamRange {
                path: p.path.clone(),
                low: p.prior.low,
                high: p.prior.high,
            })
            .collect();
        let model = Model::new(
            Problem {
                scenario_text: problem.scenario_text,
                origin: problem.origin,
                portfolio_csv: problem.portfolio_csv,
                params: ranges,
            },
            base.fund.horizon_months,
        )?;
        let horizon = base.fund.horizon_months;
        for fact in &problem.facts.facts {
            if let Some(months) = fact
                .months
                .filter(|&m| !fact.statistic.is_exact() && m > horizon)
            {
                return Err(FactsError {
                    origin: base.name.clone(),
                    problem: format!(
                        "fact `{}` needs {months} months, but fund.horizon_months is {horizon}",
                        fact.id
                    ),
                }
                .into());
            }
        }
        Ok(Self {
            model,
            targets: problem.facts.facts.iter().map(FactTarget::of).collect(),
            params: problem.params,
            facts: problem.facts,
            replications: problem.replications,
        })
    }

    pub fn params(&self) -> &[FitParam] {
        &self.params
    }

    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    pub fn targets(&self) -> &[FactTarget] {
        &self.targets
    }

    pub fn replications(&self) -> u64 {
        self.replications
    }

    /// The same fit against other targets (pseudo-observed facts, for recovery checks).
    pub fn with_targets(&self, targets: Vec<FactTarget>) -> Self {
        assert_eq!(targets.len(), self.targets.len(), "one target per fact");
        Self {
            targets,
            ..self.clone()
        }
    }

    fn priors(&self) -> Vec<Prior> {
        self.params.iter().map(|p| p.prior).collect()
    }

    /// Every fact's statistic at `theta`, simulated with `seed` (the portfolio drawn with
    /// it too) over `replications` replications.
    ///
    /// # Errors
    /// [`CalibrationError`] when the scenario rejects `theta` or a statistic is undefined.
    pub fn statistics_at(
        &self,
        theta: &[f64],
        seed: u64,
        replications: u64,
    ) -> Result<Vec<f64>, CalibrationError> {
        let scenario = self.model.scenario_at(theta)?;
        let portfolio = self.model.portfolio(&scenario, seed)?;
        Ok(statistics(
            &scenario,
            portfolio,
            &self.facts,
            replications,
            seed,
        )?)
    }

    /// The distance to the targets of one simulation at `theta`; infinite when it
    /// cannot be simulated.
    pub fn distance_at(&self, theta: &[f64], seed: u64) -> f64 {
        self.statistics_at(theta, seed, self.replications)
            .map_or(f64::INFINITY, |values| distance(&self.targets, &values))
    }

    /// The facts evaluated at `theta` as `fundsim facts` evaluates them (intervals and
    /// verdicts), with `replications` replications from `seed` on the portfolio drawn
    /// with `seed`: `fundsim facts --set …` with these values prints the same.
    ///
    /// # Errors
    /// [`CalibrationError`] when the scenario rejects `theta` or a fact is undefined.
    pub fn evaluate_at(
        &self,
        theta: &[f64],
        replications: u64,
        seed: u64,
    ) -> Result<Evaluation, CalibrationError> {
        let scenario = self.model.scenario_at(theta)?;
        let portfolio = self.model.portfolio(&scenario, seed)?;
        Ok(evaluate(
            &scenario,
            portfolio,
            &self.facts,
            replications,
            seed,
        )?)
    }

    /// Runs ABC-SMC and summarises the posterior: the parameters' medians and 90%
    /// intervals, and every fact's posterior predictive.
    ///
    /// # Errors
    /// [`CalibrationError`] for bad settings, a prior from which nothing simulates, or a
    /// cancellation.
    pub fn fit(
        &self,
        settings: &AbcSettings,
        progress: &(dyn Fn(&AbcProgress) + Sync),
        cancelled: &(dyn Fn() -> bool + Sync),
    ) -> Result<FactsFitResult, CalibrationError> {
        let simulate = |theta: &[f64], seed: u64| self.distance_at(theta, seed);
        let posterior = abc_smc(&self.priors(), settings, &simulate, progress, cancelled)?;
        let params = self
            .params
            .iter()
            .enumerate()
            .map(|(i, param)| PosteriorParam {
                path: param.path.clone(),
                prior: param.prior,
                mean: posterior
                    .particles
                    .iter()
                    .map(|p| p.weight * p.theta[i])
                    .sum(),
                median: posterior.quantile(i, 0.5),
                p05: posterior.quantile(i, 0.05),
                p95: posterior.quantile(i, 0.95),
            })
            .collect();
        let predictive = self.predictive(&posterior, settings.seed);
        Ok(FactsFitResult {
            posterior,
            params,
            predictive,
        })
    }

    /// One fresh simulation per particle; a particle whose simulation is undefined is
    /// left out and the other weights renormalised.
    fn predictive(&self, posterior: &AbcPosterior, seed: u64) -> Vec<PredictiveFact> {
        let draws: Vec<Option<Vec<f64>>> = posterior
            .particles
            .par_iter()
            .enumerate()
            .map(|(i, particle)| {
                self.statistics_at(&particle.theta, predictive_seed(seed, i), self.replications)
                    .ok()
            })
            .collect();
        let kept: Vec<(f64, &Vec<f64>)> = posterior
            .particles
            .iter()
            .zip(&draws)
            .filter_map(|(particle, draw)| draw.as_ref().map(|d| (particle.weight, d)))
            .collect();
        let total: f64 = kept.iter().map(|(w, _)| w).sum();
        self.facts
            .facts
            .iter()
            .enumerate()
            .map(|(f, fact)| {
                let values: Vec<f64> = kept.iter().map(|(_, d)| d[f]).collect();
                let weights: Vec<f64> = kept.iter().map(|(w, _)| w / total).collect();
                PredictiveFact {
                    id: fact.id.clone(),
                    mean: values.iter().zip(&weights).map(|(v, w)| v * w).sum(),
                    p05: weighted_quantile(&values, &weights, 0.05),
                    p95: weighted_quantile(&values, &weights, 0.95),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_with_their_prior_shape() {
        let hazard: FitParam = "model.attrition_hazard=0.009:0.056".parse().unwrap();
        assert_eq!(hazard.prior.shape, PriorShape::LogUniform);
        let months: FitParam = "model.break_return_decay_months=6:36".parse().unwrap();
        assert_eq!(months.prior.shape, PriorShape::Uniform);
        let forced: FitParam = "model.revival_hazard=0.002:0.02:uniform".parse().unwrap();
        assert_eq!(forced.prior.shape, PriorShape::Uniform);
        assert_eq!((forced.prior.low, forced.prior.high), (0.002, 0.02));
        let error = "model.x=0:1:log-uniform".parse::<FitParam>().unwrap_err();
        assert!(error.contains("LO > 0"), "{error}");
        let error = "model.x=1:0".parse::<FitParam>().unwrap_err();
        assert!(error.contains("LO must be below HI"), "{error}");
        for default in DEFAULT_PARAMS {
            assert!(default.parse::<FitParam>().is_ok(), "{default}");
        }
    }

    #[test]
    fn gaps_are_scaled_by_the_close_margin() {
        let range = FactTarget {
            low: 0.124,
            high: 0.16,
            below: 0.0124,
            above: 0.016,
        };
        assert_eq!(range.gap(0.14), 0.0);
        assert!((range.gap(0.176) - 1.0).abs() < 1e-12);
        assert!((range.gap(0.1116) - 1.0).abs() < 1e-12);
        assert_eq!(range.gap(f64::NAN), f64::INFINITY);
        let point = FactTarget {
            low: 6.0,
            high: 6.0,
            below: 0.6,
            above: 0.6,
        };
        assert!((distance(&[range, point], &[0.14, 7.2]) - 2.0).abs() < 1e-12);
    }
}
