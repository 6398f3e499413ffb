//! The fund's money during a simulation (docs/model.md, step 1): the pool it may still grant,
//! an endowment's principal and return, the tranches not yet paid, and how a call's
//! grants and the tranches falling due move money from the fund to the projects. Apart
//! from the month loop because it is the accounting that the budget invariants are about.

use super::Trajectory;
use super::project::ProjectState;
use crate::fund::{Call, Grant, Purchase, Status};
use crate::params::{FundParams, Timing};

/// A tranche of a grant not yet paid.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tranche {
    pub(super) due_month: u32,
    project: usize,
    amount_eur: f64,
    /// Months until the next tranche (or the grant's end): the spending plan.
    spend_months: u32,
}

/// The fund's money during a simulation (docs/model.md, step 1).
pub(super) struct Ledger {
    /// Money the fund may still commit to grants (EUR). For an endowment: the return
    /// accrued and not yet spent; the principal is kept apart and never spent.
    pub(super) pool_eur: f64,
    /// The invested principal of an endowment (EUR); zero otherwise.
    principal_eur: f64,
    /// Month of the last call (when the endowment's return was last added).
    last_call_month: u32,
    pub(super) pending: Vec<Tranche>,
    /// Money projects spent at the call itself (onboarding stipends), EUR: counted with
    /// the call month's spending.
    pub(super) spent_at_call_eur: f64,
}

impl Ledger {
    pub(super) fn new(fund: &FundParams, timing: Timing) -> Self {
        let (pool_eur, principal_eur) = match timing {
            Timing::Endowment => (0.0, fund.budget_eur),
            Timing::Even | Timing::FrontLoaded => (fund.budget_eur, 0.0),
        };
        Self {
            pool_eur,
            principal_eur,
            last_call_month: 0,
            pending: Vec::new(),
            spent_at_call_eur: 0.0,
        }
    }

    /// Adds the endowment's real return since the last call to the pool.
    pub(super) fn accrue(&mut self, fund: &FundParams, month: u32, out: &mut Trajectory) {
        let years = f64::from(month - self.last_call_month) / 12.0;
        let income = self.principal_eur * ((1.0 + fund.endowment_real_return).powf(years) - 1.0);
        self.pool_eur += income;
        out.income_eur += income;
        self.last_call_month = month;
    }

    /// Money coming back (withheld tranches, clawbacks, grant money past its extension,
    /// unspent salaries) can be granted again only while calls remain.
    pub(super) fn recycle(&mut self, amount_eur: f64, calls_remain: bool) {
        if calls_remain {
            self.pool_eur += amount_eur;
        }
    }
}

/// Pays the tranches due this month to active projects; a tranche due to a dormant or
/// abandoned project is withheld and returns to the pool.
pub(super) fn pay_due_tranches(
    month: u32,
    states: &mut [ProjectState],
    ledger: &mut Ledger,
    out: &mut Trajectory,
    calls_remain: bool,
) {
    let mut index = 0;
    while index < ledger.pending.len() {
        if ledger.pending[index].due_month != month {
            index += 1;
            continue;
        }
        let tranche = ledger.pending.swap_remove(index);
        let state = &mut states[tranche.project];
        if state.status == Status::Active {
            state.receive_tranche(tranche.amount_eur, tranche.spend_months);
            out.paid_eur += tranche.amount_eur;
        } else {
            out.withheld_eur += tranche.amount_eur;
            ledger.recycle(tranche.amount_eur, calls_remain);
        }
    }
}

/// Commits a call's grants: the full cost (amount plus overhead) leaves the pool, the
/// first tranche is paid now and the others are scheduled over the grant's duration.
/// A rule that asked for more than the call's budget has its grants scaled down to fit,
/// so the budget holds whatever a rule does.
pub(super) fn award_grants(
    call: &Call,
    grants: &mut [Grant],
    states: &mut [ProjectState],
    ledger: &mut Ledger,
    out: &mut Trajectory,
) {
    let fund = call.fund;
    let projects = states.len();
    let cost: f64 = grants.iter().map(|g| g.cost_eur(fund)).sum();
    if cost > call.budget_eur {
        let fixed = fund.overhead_fixed_eur * grants.len() as f64;
        let scale = ((call.budget_eur - fixed) / (cost - fixed)).clamp(0.0, 1.0);
        grants.iter_mut().for_each(|g| g.amount_eur *= scale);
    }
    for grant in grants
        .iter()
        .filter(|g| g.amount_eur > 0.0 && g.project < projects)
    {
        let cost = grant.cost_eur(fund).min(ledger.pool_eur);
        let amount = ((cost - fund.overhead_fixed_eur).max(0.0) / (1.0 + fund.overhead_share))
            .min(grant.amount_eur);
        if amount <= 0.0 {
            // The pool cannot pay more than the overhead: no grant.
            continue;
        }
        ledger.pool_eur -= cost;
        out.overhead_eur += cost - amount;
        out.allocations[call.index * projects + grant.project] += amount;
        let state = &mut states[grant.project];
        match grant.buys {
            Purchase::Maintenance => {}
            security @ (Purchase::Audit { .. } | Purchase::BugBounty { .. }) => {
                state.buy_security(security, amount, call.month, out);
                continue;
            }
            people @ (Purchase::Fellowship { .. } | Purchase::Onboarding { .. }) => {
                let bought = state.buy_people(people, amount, call.month, out);
                ledger.spent_at_call_eur += bought.spent_eur;
                // Salaries of fellows the project lacks go back before the next call
                // (never paid, so not counted as returned either).
                ledger.recycle(bought.returned_eur, true);
                continue;
            }
        }
        let duration = grant.months.unwrap_or(fund.grant_duration_months).max(1);
        state.grant_ends(call.month, duration, fund);
        let tranches = grant.tranches.clamp(1, duration);
        let interval = duration / tranches;
        let share = amount / f64::from(tranches);
        state.receive_grant(share, interval);
        out.paid_eur += share;
        for k in 1..tranches {
            let spend_months = if k + 1 == tranches {
                duration - k * interval
            } else {
                interval
            };
            ledger.pending.push(Tranche {
                due_month: call.month + k * interval,
                project: grant.project,
                amount_eur: share,
                spend_months,
            });
        }
    }
}
