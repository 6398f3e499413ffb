//! The model: project state and the monthly step, for one replication of one strategy.
//! Pure: no I/O, randomness only from the streams it is handed by seed and index.
//!
//! The order of a month is MODEL.md's and is fixed here in [`simulate`]:
//! 1. fund decisions (at call months), 2. effort, 3. work and vulnerabilities arrive,
//! 4. work is done, 5. people move, 6. status.

mod params;
mod project;
pub mod sampling;

pub use params::ModelParams;
pub use project::Status;

use project::{ProjectConstants, ProjectState, SharedRates};

use crate::portfolio::Portfolio;
use crate::rng::{Purpose, name_hash, stream};
use crate::scenario::FundParams;
use crate::strategy::{AllocationRule, Call, Grant, ProjectView, Timing};

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
        Self {
            portfolio,
            model,
            fund,
            constants,
            rates,
            usage_weights,
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
    /// fixed in the month it arrived.
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
    }

    fn record_month(&mut self, world: &World, states: &[ProjectState], spent_eur: f64) {
        let count = states.len() as f64;
        let mut surviving = 0;
        let mut alive = 0;
        let mut weighted = 0.0;
        let mut maintainers = 0u64;
        let mut backlog = 0.0;
        let mut vulnerabilities = 0u64;
        for (state, weight) in states.iter().zip(&world.usage_weights) {
            if state.first_abandoned.is_none() {
                surviving += 1;
                weighted += weight;
            }
            alive += u32::from(state.status != Status::Abandoned);
            maintainers += u64::from(state.maintainers());
            backlog += state.backlog;
            vulnerabilities += u64::from(state.open_vulnerabilities());
        }
        self.surviving.push(surviving);
        self.alive.push(alive);
        self.weighted_surviving.push(weighted);
        self.maintainers.push(maintainers as f64 / count);
        self.backlog.push(backlog / count);
        self.open_vulnerabilities
            .push(vulnerabilities as f64 / count);
        self.spent_eur.push(spent_eur);
    }

    /// The number of calls the allocations cover.
    pub fn calls(&self, projects: usize) -> usize {
        self.allocations.len().checked_div(projects).unwrap_or(0)
    }
}

/// The fund's money during a simulation.
struct Ledger {
    /// Money the fund can still grant (EUR).
    pool_eur: f64,
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
    let fund = &world.fund;
    let model = &world.model;
    let projects = world.project_count();
    let call_months: Vec<u32> = fund.call_months().collect();
    out.reset(fund.horizon_months as usize, projects, call_months.len());
    let mut states: Vec<ProjectState> = world
        .portfolio
        .projects
        .iter()
        .enumerate()
        .map(|(index, project)| ProjectState::new(project, model, seed, replication, index as u64))
        .collect();
    let mut fund_rng = stream(seed, replication, name_hash(strategy_name), Purpose::Fund);
    let mut ledger = Ledger {
        pool_eur: fund.budget_eur,
    };
    let mut views = Vec::with_capacity(projects);
    let mut grants: Vec<Grant> = Vec::new();
    out.record_month(world, &states, 0.0);

    for month in 0..fund.horizon_months {
        // 1. Fund decisions.
        if let Some(call_index) = call_months.iter().position(|&m| m == month) {
            let calls_left = call_months.len() - call_index;
            let budget_eur = timing
                .call_budget(ledger.pool_eur, calls_left)
                .min(ledger.pool_eur);
            if budget_eur > 0.0 {
                views.clear();
                views.extend(states.iter().enumerate().map(|(index, state)| ProjectView {
                    index,
                    dependents: world.portfolio.projects[index].dependents,
                    criticality: world.portfolio.projects[index].criticality,
                    maintainers: state.maintainers(),
                    backlog: state.backlog,
                    open_vulnerabilities: state.open_vulnerabilities(),
                    status: state.status,
                    received_eur: state.received_eur,
                    grants: state.grants,
                }));
                let call = Call {
                    index: call_index,
                    month,
                    budget_eur,
                    fund,
                };
                grants.clear();
                rule.allocate(&call, &views, &mut fund_rng, &mut grants);
                pay_grants(&call, &mut grants, &mut states, &mut ledger, out, projects);
            }
        }
        let mut spent_eur = 0.0;
        for (state, constants) in states.iter_mut().zip(&world.constants) {
            // 2. Effort.
            let effort = state.effort(constants, fund);
            spent_eur += effort.spent_eur;
            // 3 and 4. Work arrives and is done.
            state.work(constants, model, month, effort.total_pm, &mut out.fix_times);
            // 5. People move.
            state.people(constants, &world.rates, &effort, month);
            // 6. Status.
            let returned = state.update_status(model, fund, month + 1);
            out.returned_eur += returned;
            if month < fund.programme_months {
                ledger.pool_eur += returned;
            }
        }
        out.spent_total_eur += spent_eur;
        out.record_month(world, &states, spent_eur);
    }

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
}

/// Pays a call's grants. A rule that asked for more than the call's budget has its
/// grants scaled down to fit, so the budget holds whatever a rule does.
fn pay_grants(
    call: &Call,
    grants: &mut [Grant],
    states: &mut [ProjectState],
    ledger: &mut Ledger,
    out: &mut Trajectory,
    projects: usize,
) {
    let fund = call.fund;
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
        let amount = (cost - fund.overhead_fixed_eur).max(0.0) / (1.0 + fund.overhead_share);
        let amount = amount.min(grant.amount_eur);
        if amount <= 0.0 {
            // The pool cannot pay more than the overhead: no grant.
            continue;
        }
        ledger.pool_eur -= cost;
        out.paid_eur += amount;
        out.overhead_eur += cost - amount;
        out.allocations[call.index * projects + grant.project] += amount;
        states[grant.project].receive_grant(amount, fund.grant_duration_months);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{SyntheticPortfolio, parse_str};

    /// Every funding strategy of the STF scenario, under tight and loose fund settings:
    /// the budget holds in every replication, money is conserved, nothing goes negative.
    #[test]
    fn budget_and_money_invariants_hold_in_every_replication() {
        let scenario = parse_str(crate::scenario::builtin("stf").unwrap(), "stf").unwrap();
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
        let spec = SyntheticPortfolio::default();
        for fund in variants {
            let portfolio = Portfolio::synthetic(&spec, &scenario.model, 5, 0);
            let world = World::new(portfolio, scenario.model.clone(), fund.clone());
            let mut t = Trajectory::default();
            for strategy in &scenario.strategies {
                let rule = strategy.rule.build();
                for replication in 0..20 {
                    simulate(
                        &world,
                        &strategy.name,
                        rule.as_ref(),
                        strategy.timing,
                        9,
                        replication,
                        &mut t,
                    );
                    let net_paid = t.paid_eur - t.returned_eur;
                    assert!(
                        net_paid + t.overhead_eur <= fund.budget_eur * (1.0 + 1e-12),
                        "{}: budget exceeded",
                        strategy.name
                    );
                    let accounted = t.spent_total_eur + t.held_end_eur + t.returned_eur;
                    assert!(
                        (t.paid_eur - accounted).abs() < 1e-6 * fund.budget_eur.max(1.0),
                        "{}: money not conserved",
                        strategy.name
                    );
                    assert!(t.spent_eur.iter().all(|&s| s >= 0.0));
                    assert!(t.backlog.iter().all(|&b| b >= 0.0));
                    assert!(t.maintainers.iter().all(|&m| m >= 0.0));
                    assert!(
                        t.surviving.windows(2).all(|w| w[1] <= w[0]),
                        "survival never rises"
                    );
                    assert!(
                        t.surviving.iter().zip(&t.alive).all(|(s, a)| a >= s),
                        "alive includes surviving"
                    );
                    if !strategy.rule.funds() {
                        assert_eq!(t.paid_eur, 0.0);
                    }
                }
            }
        }
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
