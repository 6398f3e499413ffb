//! The work and (latent) vulnerabilities arriving at the projects (docs/model.md, step 3), drawn as a
//! simulation goes or once per replication for all its strategies ([`Arrivals`]), and the
//! one interface the monthly loop takes them through (`ArrivalSource`). Apart because
//! arrivals never depend on the state or the strategy: they are the model's common random
//! numbers, and the engine draws them on their own.

use super::World;
use super::constants::{Arrived, ProjectConstants};
use crate::rng::{Purpose, SimRng, stream};

/// The work and vulnerabilities arriving at every project in every month of one
/// replication (docs/model.md, step 3); the vulnerabilities are introduced, latent until
/// found. They never depend on the state or the strategy (common
/// random numbers), so every strategy of a replication meets the same arrivals: the
/// engine can draw them once per replication with [`Arrivals::draw`] and hand them to
/// [`simulate_with_arrivals`] for each strategy, instead of each simulation drawing them
/// again (the Gamma draw of the work is the dearest random number of the model).
///
/// [`simulate_with_arrivals`]: super::simulate_with_arrivals
#[derive(Debug, Clone, Default)]
pub struct Arrivals {
    seed: u64,
    replication: u64,
    projects: usize,
    months: usize,
    /// `month * projects + project`.
    arrived: Vec<Arrived>,
}

impl Arrivals {
    /// Draws the arrivals of replication `replication` of `world`, reusing the buffer.
    pub fn draw(&mut self, world: &World, seed: u64, replication: u64) {
        let projects = world.project_count();
        let months = world.fund.horizon_months as usize;
        self.seed = seed;
        self.replication = replication;
        self.projects = projects;
        self.months = months;
        self.arrived.clear();
        self.arrived.resize(projects * months, Arrived::default());
        for (index, constants) in world.constants.iter().enumerate() {
            let mut rng = stream(seed, replication, index as u64, Purpose::Arrivals);
            for month in 0..months {
                self.arrived[month * projects + index] = constants.draw_arrivals(&mut rng);
            }
        }
    }

    /// Whether these are the arrivals of (seed, replication) for a world of this shape.
    pub(super) fn are_for(&self, world: &World, seed: u64, replication: u64) -> bool {
        self.seed == seed
            && self.replication == replication
            && self.projects == world.project_count()
            && self.months == world.fund.horizon_months as usize
    }
}

/// Where a simulation takes each project-month's arrivals from. Each project asks for
/// its months in order, but the projects take turns in any order.
pub(super) trait ArrivalSource {
    fn next(&mut self, project: usize, month: u32, constants: &ProjectConstants) -> Arrived;
}

/// Drawn as the month goes, from each project's arrivals stream.
pub(super) struct DrawnArrivals<'a> {
    pub(super) streams: &'a mut [SimRng],
}

impl ArrivalSource for DrawnArrivals<'_> {
    #[inline]
    fn next(&mut self, project: usize, _: u32, constants: &ProjectConstants) -> Arrived {
        constants.draw_arrivals(&mut self.streams[project])
    }
}

/// Read from arrivals drawn beforehand.
pub(super) struct TabledArrivals<'a> {
    pub(super) table: &'a Arrivals,
}

impl ArrivalSource for TabledArrivals<'_> {
    #[inline]
    fn next(&mut self, project: usize, month: u32, _: &ProjectConstants) -> Arrived {
        self.table.arrived[month as usize * self.table.projects + project]
    }
}
