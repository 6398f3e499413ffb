//! One replication of one strategy, month by month: [`simulate`] and its variants set up
//! the states and streams, take the fund's decisions at call months and tranche dates
//! (step 1) and hand the months in between to `super::stretch::run_stretch` (steps 2–6).
//! Apart from the stretch loop because the fund's side runs a few times per replication,
//! the loop for every project-month.

use super::arrivals::{ArrivalSource, DrawnArrivals, TabledArrivals};
use super::draws::{DrawLog, NoDrawLog};
use super::ledger::{Ledger, award_grants, pay_due_tranches};
use super::project::ProjectState;
use super::scratch::{MonthTotals, Scratch};
use super::stretch::run_stretch;
use super::{Arrivals, Trajectory, World};
use crate::fund::{AllocationRule, Call, Review};
use crate::params::Timing;
use crate::rng::{Purpose, name_hash, stream};

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

/// [`simulate`], reporting every month-stream draw to `log` (see [`DrawTape`](super::DrawTape)).
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
        if let Some(first) = totals.first_mut() {
            first.spent_eur += std::mem::take(&mut ledger.spent_at_call_eur);
        }
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
    out.held_end_eur = states.iter().map(ProjectState::money_held_eur).sum();
    out.scratch = scratch;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fund::{Grant, Purchase};
    use crate::params::SyntheticPortfolio;
    use crate::params::{FundParams, ModelParams};
    use crate::portfolio::Portfolio;
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

    /// A rule that buys fellowships, onboarding and maintenance in turn, for the money
    /// tests: the model's side of the purchases of people, whatever rule emits them.
    struct BuysPeople;

    impl AllocationRule for BuysPeople {
        fn allocate(
            &self,
            call: &Call,
            projects: &[crate::fund::ProjectView],
            _review: &Review,
            _rng: &mut crate::rng::SimRng,
            decision: &mut crate::fund::Decision,
        ) {
            let eligible = projects.iter().filter(|view| view.eligible());
            for (k, view) in eligible.enumerate().take(12) {
                let buys = match k % 3 {
                    0 => Purchase::Fellowship {
                        fellows: 2,
                        months: 24,
                        hours_share: 0.75,
                    },
                    1 => Purchase::Onboarding {
                        mentees: 3,
                        months: 6,
                        retention: 0.16,
                        mentoring_pm: 0.2,
                    },
                    _ => Purchase::Maintenance,
                };
                let amount = (call.budget_eur / 20.0).min(150_000.0);
                decision
                    .grants
                    .push(Grant::buying(view.index, amount, buys));
            }
        }
    }

    /// Fellowships and onboarding keep the money identities: committed within what was
    /// available plus what came back, paid = spent + held + returned; and money does come
    /// back (salaries of fellows who left, grant money past its extension).
    #[test]
    fn money_invariants_hold_with_fellowships_and_onboarding() {
        let model = ModelParams::default();
        let portfolio = Portfolio::synthetic(&SyntheticPortfolio::default(), &model, 5, 0);
        let mut returned = 0.0;
        for fund in [
            FundParams::default(),
            FundParams {
                extension_months: 0,
                clawback_on_abandonment: true,
                ..FundParams::default()
            },
        ] {
            let world = World::new(portfolio.clone(), model.clone(), fund.clone());
            let mut t = Trajectory::default();
            for replication in 0..8 {
                simulate(
                    &world,
                    "people",
                    &BuysPeople,
                    Timing::Even,
                    4,
                    replication,
                    &mut t,
                );
                let limit = t.available_eur + t.returned_eur;
                assert!(t.paid_eur + t.overhead_eur <= limit * (1.0 + 1e-12) + 1e-6);
                let accounted = t.spent_total_eur + t.held_end_eur + t.returned_eur;
                assert!(
                    (t.paid_eur - accounted).abs() < 1e-6 * fund.budget_eur,
                    "paid {} vs accounted {accounted}",
                    t.paid_eur
                );
                let series: f64 = t.spent_eur.iter().sum();
                assert!((series - t.spent_total_eur).abs() < 1e-6 * fund.budget_eur);
                assert!(t.spent_eur.iter().all(|&s| s >= 0.0));
                returned += t.returned_eur;
            }
        }
        assert!(returned > 0.0, "some money comes back");
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
