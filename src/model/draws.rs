//! The record of a simulation's random draws: where it reports the month-stream draws it
//! makes ([`DrawLog`]: nowhere for the engine, a [`DrawTape`] for the floor benchmark) and
//! [`replay_draws`], which draws the same random numbers again without the model. Apart
//! because it exists for measuring the model (docs/performance.md), not for running it.

use super::World;
use super::constants::initial_latent_mean;
use crate::rng::sampling::poisson;
use crate::rng::{Purpose, month_stream, stream, stream_seed};

/// Where a simulation reports the draws it makes from month streams: how many uniforms
/// of which purpose, for which project and month. The engine reports nowhere
/// ([`NoDrawLog`], compiled away); the floor benchmark records a [`DrawTape`] to replay the
/// same random numbers without the model (docs/performance.md).
pub trait DrawLog {
    /// False for a log that records nothing: the counting is then compiled away.
    const RECORDS: bool = true;
    fn drew(&mut self, purpose: Purpose, project: u32, month: u32, uniforms: u32);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDrawLog;

impl DrawLog for NoDrawLog {
    const RECORDS: bool = false;
    #[inline(always)]
    fn drew(&mut self, _: Purpose, _: u32, _: u32, _: u32) {}
}

/// One keyed month stream a simulation drew from, and how many uniforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDraws {
    pub purpose: Purpose,
    pub project: u32,
    pub month: u32,
    pub uniforms: u32,
}

/// Every month stream a simulation drew from, in order.
#[derive(Debug, Clone, Default)]
pub struct DrawTape {
    pub draws: Vec<MonthDraws>,
}

impl DrawLog for DrawTape {
    fn drew(&mut self, purpose: Purpose, project: u32, month: u32, uniforms: u32) {
        if uniforms > 0 {
            self.draws.push(MonthDraws {
                purpose,
                project,
                month,
                uniforms,
            });
        }
    }
}

/// Uniforms a Poisson draw of this mean takes from its stream: one by inversion, none for
/// a zero mean (a large mean, drawn by `rand_distr`, counted as one).
pub(super) fn poisson_uniforms(mean: f64) -> u32 {
    u32::from(mean > 0.0 && mean.is_finite())
}

/// The floor of a replication: draws the same random numbers as [`simulate`] did when it
/// recorded `tape` (the projects' work and vulnerability arrivals over the horizon, their
/// initial latent vulnerabilities, and every month stream on the tape, keyed the same
/// way) and does nothing else with them
/// but add them up. Its cost is the least any implementation of the model with these
/// streams can cost (docs/performance.md).
///
/// [`simulate`]: super::simulate()
pub fn replay_draws(world: &World, seed: u64, replication: u64, tape: &DrawTape) -> f64 {
    let mut total = 0.0;
    for (index, constants) in world.constants.iter().enumerate() {
        let mut arrivals = stream(seed, replication, index as u64, Purpose::Arrivals);
        for _ in 0..world.fund.horizon_months {
            let arrived = constants.draw_arrivals(&mut arrivals);
            total += arrived.work_pm + f64::from(arrived.vulnerabilities);
        }
        let project = &world.portfolio.projects[index];
        let mut latent = stream(seed, replication, index as u64, Purpose::Latent);
        total += f64::from(poisson(
            &mut latent,
            initial_latent_mean(project, &world.model),
        ));
    }
    // The simulation derives each project's month-stream keys once per replication.
    let keys: Vec<[u64; 13]> = (0..world.project_count() as u64)
        .map(|project| {
            let mut keys = [0; 13];
            for purpose in [
                Purpose::Fixes,
                Purpose::Departures,
                Purpose::Returns,
                Purpose::Joins,
                Purpose::Discovery,
            ] {
                keys[purpose as usize] = stream_seed(seed, replication, project, purpose);
            }
            keys
        })
        .collect();
    for draw in &tape.draws {
        let key = keys[draw.project as usize][draw.purpose as usize];
        let mut rng = month_stream(key, draw.month);
        for _ in 0..draw.uniforms {
            total += rand::RngExt::random::<f64>(&mut rng);
        }
    }
    total
}
