//! Per-replication records (`--per-replication`): every replication's outcomes and every
//! project's lifetime, handed to a sink in replication order while the run streams on.

use crate::model::{Trajectory, World};
use crate::stats::replication_quantities;

/// A project's lifetime under one strategy in one replication.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectOutcome {
    /// Month of first abandonment; `None` when censored at the horizon.
    pub first_abandoned: Option<u32>,
    /// Money received from the fund (EUR).
    pub received_eur: f64,
}

/// A project's covariates at month 0, the same for every strategy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectCovariates {
    pub dependents: f64,
    pub maintainers: u32,
    pub criticality: f64,
}

/// One replication of every strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationRecord {
    /// Its parameter set (0 for a fixed-parameter run).
    pub set: usize,
    pub replication: u64,
    /// `[strategy][quantity]`, quantities in [`crate::stats::SetQuantity::all`] order.
    pub quantities: Vec<Vec<Option<f64>>>,
    pub projects: Vec<ProjectCovariates>,
    /// `[strategy][project]`.
    pub outcomes: Vec<Vec<ProjectOutcome>>,
}

impl ReplicationRecord {
    pub(super) fn of(
        set: usize,
        replication: u64,
        world: &World,
        trajectories: &[Trajectory],
        scratch: &mut Vec<u32>,
    ) -> Self {
        let programme_months = world.fund.programme_months as usize;
        let projects = world
            .portfolio
            .projects
            .iter()
            .map(|p| ProjectCovariates {
                dependents: p.dependents,
                maintainers: p.maintainers,
                criticality: p.criticality,
            })
            .collect();
        let outcomes = trajectories
            .iter()
            .map(|t| {
                t.first_abandoned
                    .iter()
                    .zip(&t.received_eur)
                    .map(|(&first_abandoned, &received_eur)| ProjectOutcome {
                        first_abandoned,
                        received_eur,
                    })
                    .collect()
            })
            .collect();
        Self {
            set,
            replication,
            quantities: replication_quantities(
                trajectories,
                &world.usage_weights,
                programme_months,
                scratch,
            ),
            projects,
            outcomes,
        }
    }
}

/// Where per-replication records go. The engine calls [`RecordSink::write`] with the
/// records of each block of replications, blocks in order, whatever the thread count.
pub trait RecordSink: Send + Sync {
    fn write(&self, records: Vec<ReplicationRecord>);
}
