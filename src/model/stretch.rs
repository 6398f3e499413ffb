//! The hot loop: docs/model.md steps 2–6 for every project over a stretch of months between
//! two fund decisions ([`run_stretch`]). Apart because
//! it is where nearly all of a run's time goes (docs/performance.md): what is here is
//! tuned instruction by instruction, and the rest of the model can change without
//! touching it.

use std::ops::Range;

use super::arrivals::ArrivalSource;
use super::draws::DrawLog;
use super::project::ProjectState;
use super::scratch::MonthTotals;
use super::{Trajectory, World};

/// Steps 2–6 of every month of a stretch of months between two fund decisions. Between
/// decisions the projects do not interact, so each project runs through the whole
/// stretch before the next one starts: its state-dependent branches (anyone on a break?
/// in the cliff? any money held?) then follow one project, whose state changes slowly,
/// rather than 62 in turn, and the processor predicts them better (docs/performance.md,
/// "Branch prediction"). Every draw comes from the project's own streams, keyed by
/// project and month, so the order changes no random number; the month totals are still
/// added up in portfolio order, and the money of abandoned projects (`returns`, by month
/// then project) and of ended bug bounties is left to the caller to return to the fund in
/// that order. Only the order of `out.fix_times` differs.
///
/// Never inlined: on its own, away from the fund's decisions, the monthly step keeps
/// more of its values in registers (13–14 instructions fewer per project-month than
/// inlined into `run_simulation`, docs/performance.md).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) fn run_stretch(
    world: &World,
    stretch: Range<u32>,
    states: &mut [ProjectState],
    arrivals: &mut impl ArrivalSource,
    totals: &mut Vec<MonthTotals>,
    returns: &mut Vec<(u32, usize, f64)>,
    out: &mut Trajectory,
    log: &mut impl DrawLog,
) {
    let (fund, model) = (&world.fund, &world.model);
    totals.clear();
    totals.resize(stretch.len(), MonthTotals::default());
    returns.clear();
    for (index, ((state, constants), &weight)) in states
        .iter_mut()
        .zip(&world.constants)
        .zip(&world.usage_weights)
        .enumerate()
    {
        for (month, month_totals) in stretch.clone().zip(totals.iter_mut()) {
            let arrived = arrivals.next(index, month, constants);
            // 2. Effort.
            let effort = state.effort(constants, fund);
            month_totals.spent_eur += effort.spent_eur;
            // 3 and 4. Work arrives and is done.
            month_totals.spent_eur += state.work(
                model,
                month,
                effort.total_pm,
                arrived,
                &mut out.fix_times,
                &mut out.discovered_vulnerabilities,
                log,
            );
            // 5. People move.
            state.people(constants, &world.rates, &effort, month, log);
            // 6. Status.
            // Nothing returned adds nothing to the fund's sums: only amounts are kept.
            let returned = state.update_status(model, fund, month + 1);
            if returned != 0.0 {
                returns.push((month, index, returned));
            }
            // What a bug bounty did not pay out goes back to the fund as clawed-back
            // money does.
            if state.has_bounties() {
                let unspent = state.end_bounties(month);
                if unspent != 0.0 {
                    returns.push((month, index, unspent));
                }
            }
            month_totals.add(state, weight);
        }
    }
    // Pushed by project then month: by month then project, as the months are summed.
    returns.sort_by_key(|&(month, project, _)| (month, project));
}
