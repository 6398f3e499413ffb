//! Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), generic over the
//! simulator: a closure that maps parameter values and a seed to a distance from the
//! data. The fit of the baseline to the stylised facts (`facts_fit.rs`) and the tests on
//! toy simulators with known posteriors run this same code.
//!
//! # The algorithm
//!
//! Population Monte Carlo ABC (Toni et al. 2009, J. R. Soc. Interface; Beaumont, Cornuet,
//! Marin & Robert 2009, Biometrika) with the tolerance schedule of Drovandi & Pettitt
//! (2011, Biometrics): the next tolerance is the α-quantile of the current population's
//! distances ([`AbcSettings::quantile`], 0.5), so every generation keeps about half of
//! what the last one would accept.
//!
//! - Parameters live on a *working scale* on which their prior is uniform: the value
//!   itself for a uniform prior, its logarithm for a log-uniform one ([`Prior`]).
//! - Generation 0 draws `N` particles from the prior and keeps every finite distance.
//! - Generation `t ≥ 1` draws a parent from generation `t − 1` by weight, moves it with a
//!   Gaussian kernel whose covariance is twice the population's weighted covariance
//!   (Beaumont et al. 2009), redraws parent and move until the proposal lies inside the
//!   prior's box (Toni et al.'s step S2.1), simulates it and accepts it when its distance
//!   is at most the tolerance `ε_t`, until `N` are accepted. An accepted particle's weight
//!   is `π(θ) / Σ_j W_j K(θ | θ_j)`, with π constant inside the box.
//! - With a uniform kernel `1{d ≤ ε}` the final population is a weighted sample of
//!   `π(θ) · P(d(θ) ≤ ε)`: the exact posterior of a model whose output reaches the data
//!   with an error uniform over the set `d ≤ ε` (Wilkinson 2013, Stat. Appl. Genet. Mol.
//!   Biol.). Stopping at a stated tolerance therefore gives a posterior with a stated
//!   meaning, which the coverage tests check.
//!
//! # Stopping
//!
//! After each generation, the first that holds of: the tolerance reached
//! [`AbcSettings::tolerance`]; the generation accepted fewer than
//! [`AbcSettings::min_acceptance`] of its proposals (a generation that cannot reach `N`
//! within `N / min_acceptance` proposals is abandoned and the last complete one kept);
//! the next tolerance would shrink by less than [`AbcSettings::min_shrink`];
//! [`AbcSettings::max_generations`] were run.
//!
//! # Determinism
//!
//! Proposal `k` of generation `t` draws its parent, its move and its simulation seed from
//! streams keyed by (seed, t, k) alone. Proposals are simulated in parallel in batches of
//! a fixed size and accepted in index order, so the first `N` accepted, and the whole
//! posterior, are the same for any thread count (and any batch size).

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::rng::{Purpose, SimRng, stream, stream_seed};
use kernel::{Kernel, log_sum_exp};

#[cfg(test)]
mod coverage;
mod kernel;

/// The shape of a parameter's prior over its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriorShape {
    Uniform,
    /// Uniform in the logarithm: every factor of the range equally likely, the usual
    /// prior of a rate whose order of magnitude is what is unsure.
    LogUniform,
}

impl std::fmt::Display for PriorShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Uniform => "uniform",
            Self::LogUniform => "log-uniform",
        })
    }
}

/// A parameter's prior: uniform, or log-uniform, over `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prior {
    pub low: f64,
    pub high: f64,
    pub shape: PriorShape,
}

impl Prior {
    /// The working-scale value, on which the prior is uniform.
    fn working(&self, value: f64) -> f64 {
        match self.shape {
            PriorShape::Uniform => value,
            PriorShape::LogUniform => value.ln(),
        }
    }

    /// The value of a working-scale point, kept inside the box against rounding.
    fn value(&self, working: f64) -> f64 {
        let value = match self.shape {
            PriorShape::Uniform => working,
            PriorShape::LogUniform => working.exp(),
        };
        value.clamp(self.low, self.high)
    }

    fn working_box(&self) -> (f64, f64) {
        (self.working(self.low), self.working(self.high))
    }

    fn check(&self) -> Result<(), String> {
        if !(self.low.is_finite() && self.high.is_finite() && self.low < self.high) {
            return Err(format!(
                "got {}:{}, expected finite LO < HI",
                self.low, self.high
            ));
        }
        if self.shape == PriorShape::LogUniform && self.low <= 0.0 {
            return Err(format!(
                "a log-uniform prior needs LO > 0, got {}",
                self.low
            ));
        }
        Ok(())
    }
}

/// How the ABC-SMC runs and when it stops.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbcSettings {
    /// Particles per generation (`N`).
    pub particles: usize,
    /// Generations at most, generation 0 (the prior sample) included.
    pub max_generations: usize,
    /// The next tolerance is this quantile of the current distances (α).
    pub quantile: f64,
    /// The target tolerance: a generation at or below it is the last.
    pub tolerance: f64,
    /// A generation that accepts fewer than this share of its proposals is the last.
    pub min_acceptance: f64,
    /// Stop when the next tolerance would be less than this share below the current.
    pub min_shrink: f64,
    /// Proposals simulated in parallel at a time (results do not depend on it).
    pub batch: usize,
    /// Seed of every proposal and simulation.
    pub seed: u64,
}

impl Default for AbcSettings {
    fn default() -> Self {
        Self {
            particles: 200,
            max_generations: 20,
            quantile: 0.5,
            tolerance: 1.0,
            min_acceptance: 0.02,
            min_shrink: 0.02,
            batch: 64,
            seed: 20_261_128,
        }
    }
}

/// One accepted parameter set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Particle {
    pub theta: Vec<f64>,
    /// Normalised importance weight (the population's weights sum to 1).
    pub weight: f64,
    pub distance: f64,
}

/// What one generation did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerationRecord {
    pub generation: usize,
    /// The tolerance `ε_t` (infinite for generation 0, the prior sample).
    pub tolerance: f64,
    /// Proposals up to the `N`-th acceptance.
    pub proposals: u64,
    /// Simulations run (the rest of the last batch included).
    pub simulations: u64,
    /// `N / proposals`.
    pub acceptance_rate: f64,
    /// Effective sample size of the weights, `1 / Σ w²`.
    pub ess: f64,
}

/// Why the sampler stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    TargetReached,
    AcceptanceFloor,
    NoLongerShrinking,
    MaxGenerations,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TargetReached => "reached the target tolerance",
            Self::AcceptanceFloor => "the acceptance rate fell below its floor",
            Self::NoLongerShrinking => "the tolerance no longer shrank",
            Self::MaxGenerations => "ran the maximum number of generations",
        })
    }
}

/// The last population and how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbcPosterior {
    pub particles: Vec<Particle>,
    /// Every complete generation; the last is the posterior.
    pub generations: Vec<GenerationRecord>,
    pub stop: Stop,
    /// Simulations run in all, those of an abandoned generation included.
    pub simulations: u64,
}

impl AbcPosterior {
    /// The tolerance of the posterior population.
    pub fn tolerance(&self) -> f64 {
        self.generations
            .last()
            .map_or(f64::INFINITY, |g| g.tolerance)
    }

    /// The weighted `p`-quantile of parameter `index`.
    pub fn quantile(&self, index: usize, p: f64) -> f64 {
        let values: Vec<f64> = self.particles.iter().map(|x| x.theta[index]).collect();
        let weights: Vec<f64> = self.particles.iter().map(|x| x.weight).collect();
        weighted_quantile(&values, &weights, p)
    }
}

/// Where the sampler is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbcProgress {
    pub generation: usize,
    pub tolerance: f64,
    pub accepted: usize,
    pub particles: usize,
    pub simulations: u64,
}

/// Why the sampler could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AbcError {
    #[error("prior of parameter {index}: {problem}")]
    Prior { index: usize, problem: String },
    #[error("{0}")]
    Settings(String),
    #[error(
        "none of {0} parameter sets drawn from the prior could be simulated (every distance was infinite)"
    )]
    NothingSimulated(u64),
    #[error("stopped before the fit finished")]
    Cancelled,
}

/// The simulator: parameter values and a seed in, the distance to the data out
/// (infinite when the values cannot be simulated). Must depend on nothing else.
pub type Simulator<'a> = dyn Fn(&[f64], u64) -> f64 + Sync + 'a;

/// The weighted `p`-quantile: the smallest value whose cumulative weight reaches `p`
/// (the inverse of the weighted empirical distribution function).
pub fn weighted_quantile(values: &[f64], weights: &[f64], p: f64) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|(_, w)| w).sum();
    let mut cumulative = 0.0;
    for &(value, weight) in &pairs {
        cumulative += weight;
        if cumulative >= p * total {
            return value;
        }
    }
    pairs.last().map_or(f64::NAN, |(value, _)| *value)
}

/// Stream index reserved for the ABC's own draws.
const ABC_INDEX: u64 = 0xabc5_3c00;

fn generation_key(seed: u64, generation: usize) -> u64 {
    stream_seed(seed, generation as u64, ABC_INDEX, Purpose::Fund)
}

fn proposal_rng(seed: u64, generation: usize, k: u64) -> SimRng {
    stream(generation_key(seed, generation), k, 0, Purpose::Fund)
}

/// The simulation seed of proposal `k` of `generation`.
pub fn simulation_seed(seed: u64, generation: usize, k: u64) -> u64 {
    stream_seed(generation_key(seed, generation), k, 1, Purpose::Fund)
}

/// Moves a proposal may take to land inside the prior's box before it is given up (and
/// counted as a rejected proposal): far more than a kernel of twice the population's
/// spread ever needs, but a bound.
const MAX_MOVES: usize = 10_000;

/// How proposals are drawn: from the prior, or by moving a particle of the last
/// population.
enum Sampler {
    Prior,
    Kernel(Kernel),
}

/// The sampler's fixed inputs.
struct Run<'a> {
    priors: &'a [Prior],
    boxes: Vec<(f64, f64)>,
    settings: &'a AbcSettings,
    simulate: &'a Simulator<'a>,
    progress: &'a (dyn Fn(&AbcProgress) + Sync),
    cancelled: &'a (dyn Fn() -> bool + Sync),
}

/// A complete generation on the working scale.
struct Population {
    points: Vec<Vec<f64>>,
    weights: Vec<f64>,
    distances: Vec<f64>,
}

/// A generation's accepted particles on the working scale, or an abandoned generation.
enum Outcome {
    Complete {
        points: Vec<Vec<f64>>,
        distances: Vec<f64>,
        proposals: u64,
        simulations: u64,
    },
    Abandoned {
        simulations: u64,
    },
}

impl Run<'_> {
    /// Proposal `k` of `generation` on the working scale; `None` when no move landed
    /// inside the box.
    fn propose(&self, sampler: &Sampler, generation: usize, k: u64) -> Option<Vec<f64>> {
        let mut rng = proposal_rng(self.settings.seed, generation, k);
        match sampler {
            Sampler::Prior => Some(
                self.boxes
                    .iter()
                    .map(|(low, high)| low + (high - low) * rng.random::<f64>())
                    .collect(),
            ),
            Sampler::Kernel(kernel) => (0..MAX_MOVES).find_map(|_| {
                let parent = kernel.parent(rng.random::<f64>());
                let normals: Vec<f64> = (0..parent.len())
                    .map(|_| StandardNormal.sample(&mut rng))
                    .collect();
                let moved: Vec<f64> = (0..parent.len())
                    .map(|i| {
                        parent[i] + (0..=i).map(|j| kernel.chol[i][j] * normals[j]).sum::<f64>()
                    })
                    .collect();
                let inside = moved
                    .iter()
                    .zip(&self.boxes)
                    .all(|(z, (low, high))| z >= low && z <= high);
                inside.then_some(moved)
            }),
        }
    }

    fn theta(&self, working: &[f64]) -> Vec<f64> {
        self.priors
            .iter()
            .zip(working)
            .map(|(prior, &z)| prior.value(z))
            .collect()
    }

    /// Proposes, simulates and accepts in index order until `N` particles are within
    /// `tolerance`, or `cap` proposals were made.
    fn generation(
        &self,
        sampler: &Sampler,
        generation: usize,
        tolerance: f64,
        cap: u64,
    ) -> Result<Outcome, AbcError> {
        let wanted = self.settings.particles;
        let batch = self.settings.batch.max(1) as u64;
        let (mut points, mut distances) = (Vec::new(), Vec::new());
        let (mut next, mut proposals, mut simulations) = (0u64, 0u64, 0u64);
        while points.len() < wanted {
            if (self.cancelled)() {
                return Err(AbcError::Cancelled);
            }
            if next >= cap {
                return Ok(Outcome::Abandoned { simulations });
            }
            let end = (next + batch).min(cap);
            let results: Vec<(Option<Vec<f64>>, f64)> = (next..end)
                .into_par_iter()
                .map(|k| match self.propose(sampler, generation, k) {
                    Some(z) => {
                        let seed = simulation_seed(self.settings.seed, generation, k);
                        let distance = (self.simulate)(&self.theta(&z), seed);
                        (Some(z), distance)
                    }
                    None => (None, f64::INFINITY),
                })
                .collect();
            for (offset, (point, distance)) in results.into_iter().enumerate() {
                let Some(point) = point else { continue };
                simulations += 1;
                if points.len() < wanted && distance.is_finite() && distance <= tolerance {
                    points.push(point);
                    distances.push(distance);
                    proposals = next + offset as u64 + 1;
                }
            }
            next = end;
            (self.progress)(&AbcProgress {
                generation,
                tolerance,
                accepted: points.len(),
                particles: wanted,
                simulations,
            });
        }
        Ok(Outcome::Complete {
            points,
            distances,
            proposals,
            simulations,
        })
    }
}

fn check(priors: &[Prior], settings: &AbcSettings) -> Result<(), AbcError> {
    for (index, prior) in priors.iter().enumerate() {
        prior
            .check()
            .map_err(|problem| AbcError::Prior { index, problem })?;
    }
    let fail = |problem: &str| Err(AbcError::Settings(problem.to_string()));
    if priors.is_empty() {
        return fail("no parameter to fit");
    }
    if settings.particles < 2 {
        return fail("at least 2 particles are needed");
    }
    if settings.max_generations < 1 {
        return fail("at least 1 generation is needed");
    }
    if !(settings.quantile > 0.0 && settings.quantile < 1.0) {
        return fail("the tolerance quantile must lie strictly between 0 and 1");
    }
    if settings.tolerance.is_nan() || settings.tolerance < 0.0 {
        return fail("the target tolerance must be a number of at least 0");
    }
    if !(0.0..1.0).contains(&settings.min_acceptance) {
        return fail("the acceptance floor must lie in [0, 1)");
    }
    if !(0.0..1.0).contains(&settings.min_shrink) {
        return fail("the minimum shrink must lie in [0, 1)");
    }
    Ok(())
}

/// Normalises weights given as logarithms.
fn normalised(log_weights: &[f64]) -> Vec<f64> {
    let total = log_sum_exp(log_weights);
    log_weights.iter().map(|w| (w - total).exp()).collect()
}

/// Runs ABC-SMC: `simulate` maps parameter values (in the order of `priors`) and a seed
/// to a distance. `progress` is called after every batch; `cancelled` is polled between
/// batches.
///
/// # Errors
/// [`AbcError`] for a bad prior or setting, a prior from which nothing can be
/// simulated, or a cancellation.
pub fn abc_smc(
    priors: &[Prior],
    settings: &AbcSettings,
    simulate: &Simulator<'_>,
    progress: &(dyn Fn(&AbcProgress) + Sync),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<AbcPosterior, AbcError> {
    check(priors, settings)?;
    let run = Run {
        priors,
        boxes: priors.iter().map(Prior::working_box).collect(),
        settings,
        simulate,
        progress,
        cancelled,
    };
    let particles = settings.particles as u64;
    let cap = if settings.min_acceptance > 0.0 {
        (particles as f64 / settings.min_acceptance).ceil() as u64
    } else {
        u64::MAX
    };
    let mut sampler = Sampler::Prior;
    let mut tolerance = f64::INFINITY;
    let mut generations: Vec<GenerationRecord> = Vec::new();
    let mut population: Option<Population> = None;
    let mut simulations = 0;
    let stop = loop {
        let generation = generations.len();
        // Without an acceptance floor, the prior sample still needs a bound: a prior
        // from which almost nothing simulates is an error, not an endless loop.
        let cap = if generation == 0 {
            cap.min(1_000 * particles)
        } else {
            cap
        };
        let outcome = run.generation(&sampler, generation, tolerance, cap)?;
        let (points, distances, proposals, simulated) = match outcome {
            Outcome::Complete {
                points,
                distances,
                proposals,
                simulations,
            } => (points, distances, proposals, simulations),
            Outcome::Abandoned { simulations: spent } if generation == 0 => {
                return Err(AbcError::NothingSimulated(spent));
            }
            Outcome::Abandoned { simulations: spent } => {
                simulations += spent;
                break Stop::AcceptanceFloor;
            }
        };
        simulations += simulated;
        let weights = match &sampler {
            Sampler::Prior => vec![1.0 / points.len() as f64; points.len()],
            Sampler::Kernel(kernel) => {
                let log_weights: Vec<f64> =
                    points.par_iter().map(|z| -kernel.log_density(z)).collect();
                normalised(&log_weights)
            }
        };
        let acceptance_rate = particles as f64 / proposals as f64;
        generations.push(GenerationRecord {
            generation,
            tolerance,
            proposals,
            simulations: simulated,
            acceptance_rate,
            ess: 1.0 / weights.iter().map(|w| w * w).sum::<f64>(),
        });
        let next =
            weighted_quantile(&distances, &weights, settings.quantile).max(settings.tolerance);
        population = Some(Population {
            points,
            weights,
            distances,
        });
        if tolerance <= settings.tolerance {
            break Stop::TargetReached;
        }
        if generation + 1 >= settings.max_generations {
            break Stop::MaxGenerations;
        }
        if generation > 0 && acceptance_rate < settings.min_acceptance {
            break Stop::AcceptanceFloor;
        }
        if next > (1.0 - settings.min_shrink) * tolerance && next > settings.tolerance {
            break Stop::NoLongerShrinking;
        }
        let Some(last) = &population else {
            unreachable!("just set")
        };
        sampler = Sampler::Kernel(Kernel::new(
            last.points.clone(),
            last.weights.clone(),
            &run.boxes,
        ));
        tolerance = next;
    };
    let Some(last) = population else {
        unreachable!("generation 0 completes or returns an error")
    };
    Ok(AbcPosterior {
        particles: last
            .points
            .iter()
            .zip(last.weights)
            .zip(last.distances)
            .map(|((z, weight), distance)| Particle {
                theta: run.theta(z),
                weight,
                distance,
            })
            .collect(),
        generations,
        stop,
        simulations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_quantiles_invert_the_weighted_distribution() {
        let values = [3.0, 1.0, 2.0, 4.0];
        let equal = [0.25; 4];
        assert_eq!(weighted_quantile(&values, &equal, 0.5), 2.0);
        assert_eq!(weighted_quantile(&values, &equal, 0.51), 3.0);
        assert_eq!(weighted_quantile(&values, &equal, 1.0), 4.0);
        let heavy = [0.0, 0.0, 0.0, 1.0];
        assert_eq!(weighted_quantile(&values, &heavy, 0.05), 4.0);
    }

    #[test]
    fn priors_and_settings_are_checked() {
        let never = |_: &[f64], _: u64| 0.0;
        let quiet = |_: &AbcProgress| {};
        let go_on = || false;
        let log = Prior {
            low: 0.0,
            high: 1.0,
            shape: PriorShape::LogUniform,
        };
        let error = abc_smc(&[log], &AbcSettings::default(), &never, &quiet, &go_on).unwrap_err();
        assert!(matches!(error, AbcError::Prior { index: 0, .. }), "{error}");
        let uniform = Prior {
            shape: PriorShape::Uniform,
            ..log
        };
        let settings = AbcSettings {
            quantile: 1.0,
            ..AbcSettings::default()
        };
        assert!(abc_smc(&[uniform], &settings, &never, &quiet, &go_on).is_err());
        let nothing = |_: &[f64], _: u64| f64::INFINITY;
        let error = abc_smc(
            &[uniform],
            &AbcSettings::default(),
            &nothing,
            &quiet,
            &go_on,
        )
        .unwrap_err();
        assert!(matches!(error, AbcError::NothingSimulated(_)), "{error}");
        let stopped = || true;
        let error = abc_smc(
            &[uniform],
            &AbcSettings::default(),
            &never,
            &quiet,
            &stopped,
        )
        .unwrap_err();
        assert_eq!(error, AbcError::Cancelled);
    }

    #[test]
    fn log_uniform_priors_round_trip_and_stay_in_the_box() {
        let prior = Prior {
            low: 0.01,
            high: 0.1,
            shape: PriorShape::LogUniform,
        };
        let (low, high) = prior.working_box();
        assert!((prior.value(low) - 0.01).abs() < 1e-15 && prior.value(high) <= 0.1);
        assert!((prior.value(prior.working(0.03)) - 0.03).abs() < 1e-15);
    }
}
