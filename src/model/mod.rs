//! The model: project state and the monthly step, for one replication of one strategy.
//! Pure: no I/O, randomness only from the streams it is handed by seed and index.
//!
//! The order of a month is MODEL.md's and is fixed here in [`simulate`]:
//! 1. fund decisions (at call months), 2. effort, 3. work and vulnerabilities arrive,
//! 4. work is done, 5. people move, 6. status.

mod project;

pub use project::{DrawLog, DrawTape, MonthDraws, NoDrawLog};

use project::{Arrived, ProjectConstants, ProjectState, SharedRates};

use std::ops::Range;

use crate::fund::{AllocationRule, Call, Decision, Grant, ProjectView, Review, Status};
use crate::params::{FundParams, ModelParams, Timing};
use crate::portfolio::Portfolio;
use crate::rng::{Purpose, SimRng, month_stream, name_hash, stream, stream_seed};

/// Everything about a portfolio and its parameters that stays fixed during a run.
#[derive(Debug, Clone)]
pub struct World {
    pub portfolio: Portfolio,
    pub model: ModelParams,
    pub fund: FundParams,
    constants: Vec<ProjectConstants>,
    rates: SharedRates,
    /// Dependents of each project over the total: the weights of usage-weighted outcomes.
    pub usage_weights: Vec<f64>,
    /// Hidden merit, reachable by strategies only through a noisy [`Review`].
    merit: Vec<f64>,
}

impl World {
    pub fn new(portfolio: Portfolio, model: ModelParams, fund: FundParams) -> Self {
        let constants = portfolio
            .projects
            .iter()
            .map(|p| ProjectConstants::new(p, &model, &fund))
            .collect();
        let total = portfolio.total_dependents();
        let usage_weights = portfolio
            .projects
            .iter()
            .map(|p| {
                if total > 0.0 {
                    p.dependents / total
                } else {
                    1.0 / portfolio.projects.len() as f64
                }
            })
            .collect();
        let rates = SharedRates::new(&model);
        let merit = hidden_merit(&portfolio, model.hours_per_person_month);
        Self {
            portfolio,
            model,
            fund,
            constants,
            rates,
            usage_weights,
            merit,
        }
    }

    pub fn project_count(&self) -> usize {
        self.portfolio.projects.len()
    }
}

/// What one replication of one strategy produced: the raw material of every outcome.
/// Buffers are reused between simulations; [`simulate`] overwrites all of them.
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
    /// Per month: mean open vulnerabilities per project.
    pub open_vulnerabilities: Vec<f64>,
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
    /// Time-to-fix of every vulnerability fixed, in months counted inclusively: 1 when
    /// fixed in the month it arrived. In no particular order.
    pub fix_times: Vec<u32>,
    /// Money paid to projects (EUR).
    pub paid_eur: f64,
    /// Fund overhead (EUR).
    pub overhead_eur: f64,
    /// Money clawed back from abandoned projects (EUR).
    pub returned_eur: f64,
    /// Money the projects spent on effort (EUR).
    pub spent_total_eur: f64,
    /// Money the projects still hold at the horizon (EUR).
    pub held_end_eur: f64,
    /// Tranches withheld from dormant or abandoned projects (EUR).
    pub withheld_eur: f64,
    /// Real return an endowment earned (EUR); zero for other timings.
    pub income_eur: f64,
    /// Money the fund could spend: the budget, or for an endowment its return.
    pub available_eur: f64,
    /// Working space of [`simulate`], kept between simulations so that a trajectory
    /// reused for the next replication allocates nothing.
    scratch: Scratch,
}

/// The work and vulnerabilities arriving at every project in every month of one
/// replication (MODEL.md step 3). They never depend on the state or the strategy (common
/// random numbers), so every strategy of a replication meets the same arrivals: the
/// engine can draw them once per replication with [`Arrivals::draw`] and hand them to
/// [`simulate_with_arrivals`] for each strategy, instead of each simulation drawing them
/// again (the Gamma draw of the work is the dearest random number of the model).
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
    fn are_for(&self, world: &World, seed: u64, replication: u64) -> bool {
        self.seed == seed
            && self.replication == replication
            && self.projects == world.project_count()
            && self.months == world.fund.horizon_months as usize
    }
}

/// Where a simulation takes each project-month's arrivals from. Each project asks for
/// its months in order, but the projects take turns in any order.
trait ArrivalSource {
    fn next(&mut self, project: usize, month: u32, constants: &ProjectConstants) -> Arrived;
}

/// Drawn as the month goes, from each project's arrivals stream.
struct DrawnArrivals<'a> {
    streams: &'a mut [SimRng],
}

impl ArrivalSource for DrawnArrivals<'_> {
    #[inline]
    fn next(&mut self, project: usize, _: u32, constants: &ProjectConstants) -> Arrived {
        constants.draw_arrivals(&mut self.streams[project])
    }
}

/// Read from arrivals drawn beforehand.
struct TabledArrivals<'a> {
    table: &'a Arrivals,
}

impl ArrivalSource for TabledArrivals<'_> {
    #[inline]
    fn next(&mut self, project: usize, month: u32, _: &ProjectConstants) -> Arrived {
        self.table.arrived[month as usize * self.table.projects + project]
    }
}

/// The working state of a simulation: project states, the fund's views and decisions.
/// Every field is overwritten at the start of [`simulate`]; only the buffers survive.
#[derive(Debug, Clone, Default)]
struct Scratch {
    states: Vec<ProjectState>,
    views: Vec<ProjectView>,
    decision: Decision,
    call_months: Vec<u32>,
    /// Each project's arrivals stream, when [`simulate`] draws the arrivals itself.
    arrival_streams: Vec<SimRng>,
    /// The month totals of a stretch of months between fund decisions (see [`run_stretch`]).
    totals: Vec<MonthTotals>,
    /// Money returned by abandoned projects during a stretch: (month, project, EUR).
    returns: Vec<(u32, usize, f64)>,
}

impl Trajectory {
    fn reset(&mut self, months: usize, projects: usize, calls: usize) {
        for series in [&mut self.surviving, &mut self.alive] {
            series.clear();
            series.reserve(months + 1);
        }
        for series in [
            &mut self.weighted_surviving,
            &mut self.maintainers,
            &mut self.backlog,
            &mut self.open_vulnerabilities,
            &mut self.spent_eur,
        ] {
            series.clear();
            series.reserve(months + 1);
        }
        self.allocations.clear();
        self.allocations.resize(calls * projects, 0.0);
        self.fix_times.clear();
        self.paid_eur = 0.0;
        self.overhead_eur = 0.0;
        self.returned_eur = 0.0;
        self.spent_total_eur = 0.0;
        self.withheld_eur = 0.0;
        self.income_eur = 0.0;
    }

    fn record_month(&mut self, month: &MonthTotals, projects: usize) {
        let count = projects as f64;
        self.surviving.push(month.surviving);
        self.alive.push(month.alive);
        self.weighted_surviving.push(month.weighted_surviving);
        self.maintainers.push(month.maintainers as f64 / count);
        self.backlog.push(month.backlog / count);
        self.open_vulnerabilities
            .push(month.open_vulnerabilities as f64 / count);
        self.spent_eur.push(month.spent_eur);
    }

    /// The number of calls the allocations cover.
    pub fn calls(&self, projects: usize) -> usize {
        self.allocations.len().checked_div(projects).unwrap_or(0)
    }
}

/// Sums over the projects of their state at a month-end, added in portfolio order.
#[derive(Debug, Clone, Default)]
struct MonthTotals {
    surviving: u32,
    alive: u32,
    weighted_surviving: f64,
    maintainers: u64,
    backlog: f64,
    open_vulnerabilities: u64,
    /// Fund money the projects spent in the month (EUR).
    spent_eur: f64,
}

impl MonthTotals {
    #[inline(always)]
    fn add(&mut self, state: &ProjectState, usage_weight: f64) {
        if state.first_abandoned.is_none() {
            self.surviving += 1;
            self.weighted_surviving += usage_weight;
        }
        self.alive += u32::from(state.status != Status::Abandoned);
        self.maintainers += u64::from(state.maintainers());
        self.backlog += state.backlog;
        self.open_vulnerabilities += u64::from(state.open_vulnerabilities());
    }
}

/// A tranche of a grant not yet paid.
#[derive(Debug, Clone, Copy)]
struct Tranche {
    due_month: u32,
    project: usize,
    amount_eur: f64,
    /// Months until the next tranche (or the grant's end): the spending plan.
    spend_months: u32,
}

/// The fund's money during a simulation (MODEL.md step 1).
struct Ledger {
    /// Money the fund may still commit to grants (EUR). For an endowment: the return
    /// accrued and not yet spent; the principal is kept apart and never spent.
    pool_eur: f64,
    /// The invested principal of an endowment (EUR); zero otherwise.
    principal_eur: f64,
    /// Month of the last call (when the endowment's return was last added).
    last_call_month: u32,
    pending: Vec<Tranche>,
}

impl Ledger {
    fn new(fund: &FundParams, timing: Timing) -> Self {
        let (pool_eur, principal_eur) = match timing {
            Timing::Endowment => (0.0, fund.budget_eur),
            Timing::Even | Timing::FrontLoaded => (fund.budget_eur, 0.0),
        };
        Self {
            pool_eur,
            principal_eur,
            last_call_month: 0,
            pending: Vec::new(),
        }
    }

    /// Adds the endowment's real return since the last call to the pool.
    fn accrue(&mut self, fund: &FundParams, month: u32, out: &mut Trajectory) {
        let years = f64::from(month - self.last_call_month) / 12.0;
        let income = self.principal_eur * ((1.0 + fund.endowment_real_return).powf(years) - 1.0);
        self.pool_eur += income;
        out.income_eur += income;
        self.last_call_month = month;
    }

    /// Money coming back (withheld tranches, clawbacks) can be granted again only while
    /// calls remain.
    fn recycle(&mut self, amount_eur: f64, calls_remain: bool) {
        if calls_remain {
            self.pool_eur += amount_eur;
        }
    }
}

/// Simulates one replication of one strategy over the horizon, into `out`.
///
/// `seed` and `replication` select the random streams; the projects' streams do not
/// depend on the strategy (common random numbers), the fund's stream follows the
/// strategy's name.
pub fn simulate(
    world: &World,
    strategy_name: &str,
    rule: &dyn AllocationRule,
    timing: Timing,
    seed: u64,
    replication: u64,
    out: &mut Trajectory,
) {
    simulate_logged(
        world,
        strategy_name,
        rule,
        timing,
        seed,
        replication,
        out,
        &mut NoDrawLog,
    );
}

/// [`simulate`] with the replication's arrivals drawn beforehand by [`Arrivals::draw`]
/// for the same world, seed and replication (drawn again if they are not): the same
/// result, without drawing them once per strategy.
#[allow(clippy::too_many_arguments)]
pub fn simulate_with_arrivals(
    world: &World,
    arrivals: &Arrivals,
    strategy_name: &str,
    rule: &dyn AllocationRule,
    timing: Timing,
    seed: u64,
    replication: u64,
    out: &mut Trajectory,
) {
    if arrivals.are_for(world, seed, replication) {
        run_simulation(
            world,
            &mut TabledArrivals { table: arrivals },
            strategy_name,
            rule,
            timing,
            seed,
            replication,
            out,
            &mut NoDrawLog,
        );
    } else {
        simulate(world, strategy_name, rule, timing, seed, replication, out);
    }
}

/// [`simulate`], reporting every month-stream draw to `log` (see [`DrawTape`]).
#[allow(clippy::too_many_arguments)]
pub fn simulate_logged(
    world: &World,
    strategy_name: &str,
    rule: &dyn AllocationRule,
    timing: Timing,
    seed: u64,
    replication: u64,
    out: &mut Trajectory,
    log: &mut impl DrawLog,
) {
    let mut streams = std::mem::take(&mut out.scratch.arrival_streams);
    streams.clear();
    streams.extend(
        (0..world.project_count() as u64)
            .map(|index| stream(seed, replication, index, Purpose::Arrivals)),
    );
    run_simulation(
        world,
        &mut DrawnArrivals {
            streams: &mut streams,
        },
        strategy_name,
        rule,
        timing,
        seed,
        replication,
        out,
        log,
    );
    out.scratch.arrival_streams = streams;
}

#[allow(clippy::too_many_arguments)]
fn run_simulation(
    world: &World,
    arrivals: &mut impl ArrivalSource,
    strategy_name: &str,
    rule: &dyn AllocationRule,
    timing: Timing,
    seed: u64,
    replication: u64,
    out: &mut Trajectory,
    log: &mut impl DrawLog,
) {
    let fund = &world.fund;
    let model = &world.model;
    let projects = world.project_count();
    let mut scratch = std::mem::take(&mut out.scratch);
    let Scratch {
        states,
        views,
        decision,
        call_months,
        arrival_streams: _,
        totals,
        returns,
    } = &mut scratch;
    call_months.clear();
    call_months.extend(timing.call_months(fund));
    let last_call = call_months.last().copied();
    out.reset(fund.horizon_months as usize, projects, call_months.len());
    out.available_eur = if timing == Timing::Endowment {
        0.0
    } else {
        fund.budget_eur
    };
    states.truncate(projects);
    for (index, project) in world.portfolio.projects.iter().enumerate() {
        if let Some(state) = states.get_mut(index) {
            state.reset(project, model, seed, replication, index as u64);
        } else {
            states.push(ProjectState::new(
                project,
                model,
                seed,
                replication,
                index as u64,
            ));
        }
    }
    let mut fund_rng = stream(seed, replication, name_hash(strategy_name), Purpose::Fund);
    let mut ledger = Ledger::new(fund, timing);
    let review = Review::new(&world.merit);
    let mut start = MonthTotals::default();
    for (state, &weight) in states.iter().zip(&world.usage_weights) {
        start.add(state, weight);
    }
    out.record_month(&start, projects);

    // Money coming back in a month can be granted again only while calls remain.
    let calls_remain_in = |month: u32| last_call.is_some_and(|last| month <= last);
    let mut month = 0;
    while month < fund.horizon_months {
        let calls_remain = calls_remain_in(month);
        // 1. Fund decisions: tranches falling due, then the call.
        pay_due_tranches(month, states, &mut ledger, out, calls_remain);
        if let Some(call_index) = call_months.iter().position(|&m| m == month) {
            if timing == Timing::Endowment {
                ledger.accrue(fund, month, out);
            }
            let calls_left = call_months.len() - call_index;
            let budget_eur = timing
                .call_budget(ledger.pool_eur, calls_left)
                .min(ledger.pool_eur);
            if budget_eur > 0.0 {
                views.clear();
                views.extend(
                    states
                        .iter()
                        .enumerate()
                        .map(|(index, state)| state.view(index, &world.portfolio.projects[index])),
                );
                let call = Call {
                    index: call_index,
                    month,
                    budget_eur,
                    fund,
                };
                decision.clear();
                rule.allocate(&call, views, &review, &mut fund_rng, decision);
                for &(project, effort_pm) in &decision.application_effort {
                    if let Some(state) = states.get_mut(project) {
                        state.add_work(effort_pm);
                    }
                }
                award_grants(&call, &mut decision.grants, states, &mut ledger, out);
            }
        }
        // Steps 2–6 until the next month the fund acts in.
        let next_action = call_months
            .iter()
            .chain(ledger.pending.iter().map(|tranche| &tranche.due_month))
            .copied()
            .filter(|&m| m > month)
            .fold(fund.horizon_months, u32::min);
        let stretch = month..next_action;
        run_stretch(
            world,
            stretch.clone(),
            states,
            arrivals,
            totals,
            returns,
            out,
            log,
        );
        for (stretch_month, total) in stretch.zip(totals.iter()) {
            out.spent_total_eur += total.spent_eur;
            out.record_month(total, projects);
            // Money returned in a month goes back to the pool in portfolio order.
            for &(_, _, returned) in returns.iter().filter(|r| r.0 == stretch_month) {
                out.returned_eur += returned;
                ledger.recycle(returned, calls_remain_in(stretch_month));
            }
        }
        month = next_action;
    }

    out.available_eur += out.income_eur;
    out.first_abandoned.clear();
    out.first_abandoned
        .extend(states.iter().map(|s| s.first_abandoned));
    out.surviving_months.clear();
    out.surviving_months
        .extend(states.iter().map(|s| s.surviving_months));
    out.received_eur.clear();
    out.received_eur
        .extend(states.iter().map(|s| s.received_eur));
    out.maintainers_end.clear();
    out.maintainers_end
        .extend(states.iter().map(ProjectState::maintainers));
    out.held_end_eur = states.iter().map(|s| s.held_eur).sum();
    out.scratch = scratch;
}

/// Steps 2–6 of every month of a stretch of months between two fund decisions. Between
/// decisions the projects do not interact, so each project runs through the whole
/// stretch before the next one starts: its state-dependent branches (anyone on a break?
/// in the cliff? any money held?) then follow one project, whose state changes slowly,
/// rather than 62 in turn, and the processor predicts them better (docs/performance.md,
/// "Branch prediction"). Every draw comes from the project's own streams, keyed by
/// project and month, so the order changes no random number; the month totals are still
/// added up in portfolio order, and the money of abandoned projects (`returns`, by month
/// then project) is left to the caller to return to the fund in that order. Only the
/// order of `out.fix_times` differs.
///
/// Never inlined: on its own, away from the fund's decisions, the monthly step keeps
/// more of its values in registers (13–14 instructions fewer per project-month than
/// inlined into `run_simulation`, docs/performance.md).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn run_stretch(
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
            state.work(
                model,
                month,
                effort.total_pm,
                arrived,
                &mut out.fix_times,
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
            month_totals.add(state, weight);
        }
    }
    // Pushed by project then month: by month then project, as the months are summed.
    returns.sort_by_key(|&(month, project, _)| (month, project));
}

/// The floor of a replication: draws the same random numbers as [`simulate`] did when it
/// recorded `tape` (the projects' work and vulnerability arrivals over the horizon, and
/// every month stream on the tape, keyed the same way) and does nothing else with them
/// but add them up. Its cost is the least any implementation of the model with these
/// streams can cost (docs/performance.md).
pub fn replay_draws(world: &World, seed: u64, replication: u64, tape: &DrawTape) -> f64 {
    let mut total = 0.0;
    for (index, constants) in world.constants.iter().enumerate() {
        let mut arrivals = stream(seed, replication, index as u64, Purpose::Arrivals);
        for _ in 0..world.fund.horizon_months {
            let arrived = constants.draw_arrivals(&mut arrivals);
            total += arrived.work_pm + f64::from(arrived.vulnerabilities);
        }
    }
    // The simulation derives each project's month-stream keys once per replication.
    let keys: Vec<[u64; 8]> = (0..world.project_count() as u64)
        .map(|project| {
            let mut keys = [0; 8];
            for purpose in [
                Purpose::Fixes,
                Purpose::Departures,
                Purpose::Returns,
                Purpose::Joins,
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

/// Pays the tranches due this month to active projects; a tranche due to a dormant or
/// abandoned project is withheld and returns to the pool.
fn pay_due_tranches(
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
fn award_grants(
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
    let duration = fund.grant_duration_months.max(1);
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
        let tranches = grant.tranches.clamp(1, duration);
        let interval = duration / tranches;
        let share = amount / f64::from(tranches);
        states[grant.project].receive_grant(share, interval);
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

/// Hidden merit of every project: criticality × under-supply, where under-supply is the
/// share of arriving work the initial volunteers cannot cover; standardised.
fn hidden_merit(portfolio: &Portfolio, hours_per_person_month: f64) -> Vec<f64> {
    let raw: Vec<f64> = portfolio
        .projects
        .iter()
        .map(|p| {
            let capacity = f64::from(p.maintainers) * p.volunteer_hours / hours_per_person_month;
            let under_supply = if p.work_rate > 0.0 {
                (1.0 - capacity / p.work_rate).max(0.0)
            } else {
                0.0
            };
            p.criticality * (0.5 + under_supply)
        })
        .collect();
    let n = raw.len().max(1) as f64;
    let mean = raw.iter().sum::<f64>() / n;
    let sd = (raw.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / n).sqrt();
    raw.iter()
        .map(|m| if sd > 0.0 { (m - mean) / sd } else { 0.0 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::SyntheticPortfolio;
    use crate::scenario::{BUILTIN_SCENARIOS, Scenario, parse_str};

    fn builtin(name: &str) -> Scenario {
        parse_str(crate::scenario::builtin(name).unwrap(), name).unwrap()
    }

    /// Every strategy of every built-in scenario, under tight and loose fund settings:
    /// the money committed never exceeds what the fund had (its budget, or for an
    /// endowment its return) plus money clawed back; money paid is conserved; nothing
    /// goes negative; survival never rises.
    #[test]
    fn budget_and_money_invariants_hold_in_every_replication() {
        for (name, _) in BUILTIN_SCENARIOS {
            let scenario = builtin(name);
            let variants = [
                scenario.fund.clone(),
                FundParams {
                    budget_eur: 2_000_000.0,
                    min_grant_eur: 0.0,
                    overhead_fixed_eur: 0.0,
                    ..scenario.fund.clone()
                },
                FundParams {
                    max_grant_eur: 120_000.0,
                    clawback_on_abandonment: true,
                    grant_duration_months: 6,
                    ..scenario.fund.clone()
                },
            ];
            for fund in variants {
                let portfolio =
                    Portfolio::synthetic(&SyntheticPortfolio::default(), &scenario.model, 5, 0);
                let world = World::new(portfolio, scenario.model.clone(), fund.clone());
                let mut t = Trajectory::default();
                for strategy in &scenario.strategies {
                    let rule = strategy.rule.build();
                    for replication in 0..8 {
                        simulate(
                            &world,
                            &strategy.name,
                            rule.as_ref(),
                            strategy.timing,
                            9,
                            replication,
                            &mut t,
                        );
                        let label = format!("{name}/{}", strategy.name);
                        let limit = t.available_eur + t.returned_eur;
                        assert!(
                            t.paid_eur + t.overhead_eur <= limit * (1.0 + 1e-12) + 1e-6,
                            "{label}: more committed than available"
                        );
                        let accounted = t.spent_total_eur + t.held_end_eur + t.returned_eur;
                        assert!(
                            (t.paid_eur - accounted).abs() < 1e-6 * fund.budget_eur.max(1.0),
                            "{label}: money not conserved"
                        );
                        assert!(t.spent_eur.iter().all(|&s| s >= 0.0), "{label}");
                        assert!(t.backlog.iter().all(|&b| b >= 0.0), "{label}");
                        assert!(t.maintainers.iter().all(|&m| m >= 0.0), "{label}");
                        assert!(
                            t.surviving.windows(2).all(|w| w[1] <= w[0]),
                            "{label}: survival never rises"
                        );
                        assert!(
                            t.surviving.iter().zip(&t.alive).all(|(s, a)| a >= s),
                            "{label}: alive includes surviving"
                        );
                        assert!(t.received_eur.iter().all(|&r| r >= 0.0), "{label}");
                        if !strategy.rule.funds() {
                            assert_eq!(t.paid_eur, 0.0);
                        }
                    }
                }
            }
        }
    }

    /// An endowment spends only its real return: never more than the principal earns,
    /// and it keeps paying after the programme ends.
    #[test]
    fn an_endowment_never_spends_its_principal() {
        let scenario = builtin("timing");
        let strategy = scenario
            .strategies
            .iter()
            .find(|s| s.timing == Timing::Endowment)
            .unwrap();
        let portfolio = Portfolio::synthetic(&SyntheticPortfolio::default(), &scenario.model, 5, 0);
        let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
        let mut t = Trajectory::default();
        simulate(
            &world,
            &strategy.name,
            strategy.rule.build().as_ref(),
            strategy.timing,
            1,
            0,
            &mut t,
        );
        // The principal stays invested and the return of each interval is paid out, so
        // every call after the first adds one interval's return on the same principal.
        let fund = &scenario.fund;
        let calls = Timing::Endowment.call_months(fund).len() as f64;
        let per_call = fund.budget_eur
            * ((1.0 + fund.endowment_real_return)
                .powf(f64::from(fund.call_interval_months) / 12.0)
                - 1.0);
        let most_income = (calls - 1.0) * per_call;
        assert!(
            (t.income_eur - most_income).abs() < 1e-3,
            "income {} vs {most_income}",
            t.income_eur
        );
        assert!(t.paid_eur + t.overhead_eur <= t.income_eur + t.returned_eur + 1e-6);
        assert!(t.paid_eur > 0.5 * t.income_eur, "the return is spent");
        let calls = Timing::Endowment.call_months(&scenario.fund);
        let late_call = calls
            .iter()
            .position(|&m| m >= scenario.fund.programme_months)
            .unwrap();
        let late: f64 = t.allocations[late_call * world.project_count()..]
            .iter()
            .sum();
        assert!(late > 0.0, "it keeps paying after the programme");
    }

    /// Milestone tranches due to a dormant project are withheld and go back to the pool,
    /// where a later call grants them again.
    #[test]
    fn milestone_tranches_are_withheld_from_dormant_projects_and_regranted() {
        let text = crate::scenario::builtin("timing")
            .unwrap()
            .replace("tranches = 3", "tranches = 6");
        let scenario = parse_str(&text, "timing").unwrap();
        let strategy = scenario
            .strategies
            .iter()
            .find(|s| s.name == "milestones-even")
            .unwrap();
        let portfolio = Portfolio::synthetic(&SyntheticPortfolio::default(), &scenario.model, 5, 0);
        let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
        let mut t = Trajectory::default();
        let mut withheld = 0.0;
        for replication in 0..20 {
            simulate(
                &world,
                &strategy.name,
                strategy.rule.build().as_ref(),
                strategy.timing,
                3,
                replication,
                &mut t,
            );
            withheld += t.withheld_eur;
            let granted: f64 = t.allocations.iter().sum();
            // Everything granted was either paid, withheld or is still to be paid
            // (tranches due after the horizon), never more.
            assert!(t.paid_eur + t.withheld_eur <= granted + 1e-6);
            if t.withheld_eur > 0.0 {
                let committed = t.paid_eur + t.overhead_eur;
                assert!(committed <= scenario.fund.budget_eur + t.returned_eur + 1e-6);
            }
        }
        assert!(
            withheld > 0.0,
            "some tranches fall due to dormant projects in 20 replications"
        );
    }

    /// Unfunded projects meet exactly the same shocks under every strategy (common random
    /// numbers): a strategy that funds nothing reproduces the baseline.
    #[test]
    fn an_unfunded_strategy_reproduces_the_baseline_exactly() {
        let text = crate::scenario::builtin("stf")
            .unwrap()
            .replace("budget_eur = 24_600_000.0", "budget_eur = 0.0");
        let scenario = parse_str(&text, "stf").unwrap();
        let portfolio = Portfolio::synthetic(&SyntheticPortfolio::default(), &scenario.model, 5, 0);
        let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
        let (mut a, mut b) = (Trajectory::default(), Trajectory::default());
        let baseline = &scenario.strategies[0];
        let other = &scenario.strategies[1];
        simulate(
            &world,
            &baseline.name,
            baseline.rule.build().as_ref(),
            baseline.timing,
            3,
            7,
            &mut a,
        );
        simulate(
            &world,
            &other.name,
            other.rule.build().as_ref(),
            other.timing,
            3,
            7,
            &mut b,
        );
        assert_eq!(a.surviving, b.surviving);
        assert_eq!(a.maintainers, b.maintainers);
        assert_eq!(a.fix_times, b.fix_times);
    }
}
