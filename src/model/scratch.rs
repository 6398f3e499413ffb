//! The working space of a simulation, kept in its [`super::Trajectory`] so that the next
//! replication reuses it and allocates nothing: the project states, the fund's views and
//! decisions ([`Scratch`]), and the sums of a month-end that the stretch loop fills and the
//! trajectory records ([`MonthTotals`]). Apart so that the trajectory, the fund's side and
//! the stretch loop can share them without importing one another.

use super::project::ProjectState;
use crate::fund::{Decision, ProjectView, Status};
use crate::rng::SimRng;

/// The working state of a simulation: project states, the fund's views and decisions.
/// Every field is overwritten at the start of `simulate`; only the buffers survive.
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    pub(super) states: Vec<ProjectState>,
    pub(super) views: Vec<ProjectView>,
    pub(super) decision: Decision,
    pub(super) call_months: Vec<u32>,
    /// Each project's arrivals stream, when `simulate` draws the arrivals itself.
    pub(super) arrival_streams: Vec<SimRng>,
    /// The month totals of a stretch of months between fund decisions (see `run_stretch`).
    pub(super) totals: Vec<MonthTotals>,
    /// Money returned during a stretch, by abandoned projects and by bug bounties that
    /// ended: (month, project, EUR).
    pub(super) returns: Vec<(u32, usize, f64)>,
}

/// Sums over the projects of their state at a month-end, added in portfolio order.
#[derive(Debug, Clone, Default)]
pub(super) struct MonthTotals {
    pub(super) surviving: u32,
    pub(super) alive: u32,
    pub(super) weighted_surviving: f64,
    pub(super) maintainers: u64,
    pub(super) backlog: f64,
    pub(super) open_vulnerabilities: u64,
    pub(super) latent_vulnerabilities: u64,
    /// Fund money the projects spent in the month (EUR), bug bounty payouts included.
    pub(super) spent_eur: f64,
}

impl MonthTotals {
    #[inline(always)]
    pub(super) fn add(&mut self, state: &ProjectState, usage_weight: f64) {
        if state.first_abandoned.is_none() {
            self.surviving += 1;
            self.weighted_surviving += usage_weight;
        }
        self.alive += u32::from(state.status != Status::Abandoned);
        self.maintainers += u64::from(state.maintainers());
        self.backlog += state.backlog;
        self.open_vulnerabilities += u64::from(state.open_vulnerabilities());
        self.latent_vulnerabilities += u64::from(state.latent_vulnerabilities());
    }
}
