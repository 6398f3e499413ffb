//! What a simulation produces: a [`Trajectory`], the per-month series and per-project
//! outcomes of one replication of one strategy, which `stats` turns into every reported
//! outcome. Apart from the simulation because it is the model's output contract: its
//! fields are read by the statistics, its reuse between replications is the
//! simulation's business (the working space it carries along).

use super::scratch::{MonthTotals, Scratch};

/// What one replication of one strategy produced: the raw material of every outcome.
/// Buffers are reused between simulations; [`simulate`] overwrites all of them.
///
/// [`simulate`]: super::simulate()
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    /// Per month 0..=horizon (month 0 is the starting state): projects not yet abandoned.
    pub surviving: Vec<u32>,
    /// Per month: projects not abandoned now (revivals included).
    pub alive: Vec<u32>,
    /// Per month: usage-weighted share of projects not yet abandoned.
    pub weighted_surviving: Vec<f64>,
    /// Per month: mean active maintainers per project.
    pub maintainers: Vec<f64>,
    /// Per month: mean backlog per project (PM).
    pub backlog: Vec<f64>,
    /// Per month: mean open (discovered, not yet fixed) vulnerabilities per project.
    pub open_vulnerabilities: Vec<f64>,
    /// Per month: mean latent (introduced, not yet found) vulnerabilities per project.
    pub latent_vulnerabilities: Vec<f64>,
    /// Per month: fund money spent by the projects in that month (EUR, all projects).
    pub spent_eur: Vec<f64>,
    /// Per project: month of first abandonment, if any.
    pub first_abandoned: Vec<Option<u32>>,
    /// Per project: months not yet abandoned, up to the horizon.
    pub surviving_months: Vec<u32>,
    /// Per project: money received from the fund (EUR).
    pub received_eur: Vec<f64>,
    /// Per project: active maintainers at the horizon.
    pub maintainers_end: Vec<u32>,
    /// Per call, then per project: money granted (EUR), `call * projects + project`.
    pub allocations: Vec<f64>,
    /// Time-to-fix of every vulnerability fixed, in months counted inclusively from its
    /// discovery: 1 when fixed in the month it was found (or by the audit that found it).
    /// In no particular order; its length is the number fixed.
    pub fix_times: Vec<u32>,
    /// Vulnerabilities found (all projects, by outsiders, maintainers, audits and bug
    /// bounties) over the horizon.
    pub discovered_vulnerabilities: u64,
    /// Money paid to projects (EUR).
    pub paid_eur: f64,
    /// Fund overhead (EUR).
    pub overhead_eur: f64,
    /// Money clawed back from abandoned projects (EUR).
    pub returned_eur: f64,
    /// Money the projects spent on effort, and paid for them to auditors and to bug
    /// bounty findings (EUR).
    pub spent_total_eur: f64,
    /// Money the projects still hold at the horizon, with what the fund holds for their
    /// running bug bounties (EUR).
    pub held_end_eur: f64,
    /// Tranches withheld from dormant or abandoned projects (EUR).
    pub withheld_eur: f64,
    /// Real return an endowment earned (EUR); zero for other timings.
    pub income_eur: f64,
    /// Money the fund could spend: the budget, or for an endowment its return.
    pub available_eur: f64,
    /// Working space of [`simulate`], kept between simulations so that a trajectory
    /// reused for the next replication allocates nothing.
    ///
    /// [`simulate`]: super::simulate()
    pub(super) scratch: Scratch,
}

impl Trajectory {
    pub(super) fn reset(&mut self, months: usize, projects: usize, calls: usize) {
        for series in [&mut self.surviving, &mut self.alive] {
            series.clear();
            series.reserve(months + 1);
        }
        for series in [
            &mut self.weighted_surviving,
            &mut self.maintainers,
            &mut self.backlog,
            &mut self.open_vulnerabilities,
            &mut self.latent_vulnerabilities,
            &mut self.spent_eur,
        ] {
            series.clear();
            series.reserve(months + 1);
        }
        self.allocations.clear();
        self.allocations.resize(calls * projects, 0.0);
        self.fix_times.clear();
        self.discovered_vulnerabilities = 0;
        self.paid_eur = 0.0;
        self.overhead_eur = 0.0;
        self.returned_eur = 0.0;
        self.spent_total_eur = 0.0;
        self.withheld_eur = 0.0;
        self.income_eur = 0.0;
    }

    pub(super) fn record_month(&mut self, month: &MonthTotals, projects: usize) {
        let count = projects as f64;
        self.surviving.push(month.surviving);
        self.alive.push(month.alive);
        self.weighted_surviving.push(month.weighted_surviving);
        self.maintainers.push(month.maintainers as f64 / count);
        self.backlog.push(month.backlog / count);
        self.open_vulnerabilities
            .push(month.open_vulnerabilities as f64 / count);
        self.latent_vulnerabilities
            .push(month.latent_vulnerabilities as f64 / count);
        self.spent_eur.push(month.spent_eur);
    }

    /// The number of calls the allocations cover.
    pub fn calls(&self, projects: usize) -> usize {
        self.allocations.len().checked_div(projects).unwrap_or(0)
    }
}
