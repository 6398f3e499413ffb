//! Tests of the project step (the order of its parts, the pay assignment, departures).
use super::*;
use crate::params::SyntheticPortfolio;
use crate::portfolio::Portfolio;
use crate::rng::sampling::bernoulli_count;

fn setup() -> (Portfolio, ModelParams, FundParams) {
    let model = ModelParams::default();
    let portfolio = Portfolio::synthetic(&SyntheticPortfolio::default(), &model, 11, 0);
    (portfolio, model, FundParams::default())
}

#[test]
fn funded_effort_pays_maintainers_and_never_overspends() {
    let (portfolio, model, fund) = setup();
    let project = &portfolio.projects[0];
    let constants = ProjectConstants::new(project, &model, &fund);
    let mut state = ProjectState::new(project, &model, 1, 0, 0);
    state.receive_grant(200_000.0, 18);
    let mut spent = 0.0;
    for _ in 0..200 {
        let effort = state.effort(&constants, &fund);
        assert!(effort.spent_eur >= 0.0 && effort.total_pm >= 0.0);
        assert!(state.held_eur >= -1e-9);
        spent += effort.spent_eur;
    }
    assert!(
        (spent + state.held_eur - 200_000.0).abs() < 1e-6,
        "money is conserved"
    );
}

/// The shortcut for a project with no money, nobody paid and no baseline funding
/// gives what the general computation gives, and changes nothing in the state.
#[test]
fn unpaid_effort_is_the_general_computation_without_money() {
    let (portfolio, model, fund) = setup();
    let mut checked = 0;
    for project in portfolio.projects.iter().filter(|p| p.maintainers > 0) {
        let constants = ProjectConstants::new(project, &model, &fund);
        if constants.baseline_pm != 0.0 {
            continue;
        }
        let mut state = ProjectState::new(project, &model, 1, 0, 0);
        let mut general = state.clone();
        let maintainers = state.maintainers();
        assert_eq!(
            state.effort(&constants, &fund),
            general.funded_effort(&constants, &fund, maintainers)
        );
        assert_eq!(
            (state.paid, state.volunteers, state.held_eur),
            (general.paid, general.volunteers, general.held_eur)
        );
        checked += 1;
    }
    assert!(checked > 10, "{checked} projects without baseline funding");
}

/// Departures equal the plain rule that `departures` and `Attrition` shortcut: the
/// k-th uniform of the project's month stream against 1 − e^(−h), h the hazard of the
/// k-th maintainer, taken in order: paid in full, partly paid, the cliff cohorts, the
/// volunteers.
#[test]
fn departures_equal_comparing_every_uniform_with_its_probability() {
    let (portfolio, model, fund) = setup();
    // A high hazard, so that months with leavers (the group-by-group path) are common.
    let model = ModelParams {
        attrition_hazard: 0.15,
        ..model
    };
    let project = &portfolio.projects[0];
    let constants = ProjectConstants::new(project, &model, &fund);
    let rates = SharedRates::new(&model);
    let mut months_with_leavers = 0;
    for month in 0..400u32 {
        let mut state = ProjectState::new(project, &model, 3, 0, 0);
        state.volunteers = 5;
        state.repay(4);
        state.repay(2); // 2 paid, 2 in the cliff, 1 volunteer
        state.backlog = f64::from(month % 5);
        let effort = Effort {
            paid_full: 1,
            paid_partial_share: 0.4,
            ..Effort::default()
        };
        let (paid, cliff, volunteers) = (state.paid, state.cliff.clone(), state.volunteers);
        let maintainers = state.maintainers();
        let leavers = state.departures(&constants, &rates, &effort, month, maintainers);

        let capacity_pm_year = 12.0 * f64::from(maintainers) * constants.volunteer_pm;
        assert!(capacity_pm_year > 0.0);
        let burnout = if state.backlog > 0.0 {
            (model.burnout_slope * state.backlog / capacity_pm_year)
                .exp()
                .min(model.burnout_cap)
        } else {
            1.0
        };
        let mut uniforms = month_stream(state.departures_key, month);
        let mut leave = |trials: u32, multiplier: f64| {
            let probability = probability_of_hazard(model.attrition_hazard * burnout * multiplier);
            bernoulli_count(&mut uniforms, trials, probability)
        };
        let paid_left = leave(1, model.paid_attrition_multiplier)
            + leave(1, model.paid_attrition_multiplier.powf(0.4));
        let cliff_after: Vec<u32> = cliff
            .iter()
            .map(|&cohort| cohort - leave(cohort, model.cliff_multiplier))
            .collect();
        let volunteers_after = volunteers - leave(volunteers, 1.0);
        assert_eq!(
            (state.paid, &state.cliff, state.volunteers),
            (paid - paid_left, &cliff_after, volunteers_after),
            "month {month}"
        );
        assert_eq!(leavers, maintainers - state.maintainers());
        months_with_leavers += u32::from(leavers > 0);
    }
    assert!(months_with_leavers > 50, "{months_with_leavers} of 400");
}

#[test]
fn repay_moves_people_between_pay_cliff_and_volunteering() {
    let (portfolio, model, _) = setup();
    let project = portfolio
        .projects
        .iter()
        .find(|p| p.maintainers >= 3)
        .expect("a team");
    let mut state = ProjectState::new(project, &model, 1, 0, 0);
    let total = state.maintainers();
    state.repay(2);
    assert_eq!((state.paid, state.maintainers()), (2, total));
    state.repay(0);
    assert_eq!(*state.cliff.last().unwrap(), 2);
    assert_eq!(state.cliff_total, 2);
    assert_eq!(state.maintainers(), total);
    state.repay(1);
    assert_eq!(
        state.cliff.iter().sum::<u32>(),
        1,
        "the re-paid maintainer comes from the cliff"
    );
}
