//! Property tests over random valid scenarios: every built-in scenario (so every rule and
//! timing) with its fund, portfolio and model parameters drawn across their ranges.
//!
//! What holds in every replication of every strategy:
//! - nothing negative: money, maintainers, backlog, vulnerabilities;
//! - money is conserved: paid = spent + held at the horizon + clawed back;
//! - the fund never commits more than it has: paid − returned + overhead ≤ the budget
//!   (for an endowment: ≤ the return it earned);
//! - survival never rises, and alive ≥ surviving;
//!
//! and of whole runs:
//! - results are bit-identical for 1 and 2 worker threads;
//! - merging accumulators is associative: counts, integer totals and quantile sketches
//!   exactly, floating-point moments and sums to rounding (1e-9 of their scale), which
//!   is why the engine merges blocks in a fixed order.
//!
//! Case counts are modest so the suite stays fast on CI's two cores; set
//! `FUNDSIM_PROPERTY_CASES` for a longer hunt.

use std::sync::atomic::AtomicBool;

use fundsim::engine::{RunConfig, run};
use fundsim::input::synthetic_portfolio;
use fundsim::model::{Trajectory, World, simulate};
use fundsim::params::Timing;
use fundsim::scenario::{BUILTIN_SCENARIOS, Scenario, parse_with_overrides};
use fundsim::stats::RunAccumulator;
use proptest::prelude::*;
use serde_json::Value;

/// Cases per property: `default`, or `FUNDSIM_PROPERTY_CASES` for a longer hunt.
fn cases(default: u32) -> u32 {
    std::env::var("FUNDSIM_PROPERTY_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// Fund settings that pass validation: horizon after the programme, grants that fit.
#[derive(Debug, Clone)]
struct Knobs {
    base: usize,
    projects: u32,
    programme_months: u32,
    months_after: u32,
    call_interval_months: u32,
    grant_duration_months: u32,
    min_grant_eur: f64,
    max_grant_above_min_eur: f64,
    budget_above_one_grant_eur: Option<f64>,
    overhead_fixed_eur: f64,
    overhead_share: f64,
    person_month_eur: f64,
    clawback: bool,
    redraw: bool,
    portfolio: [f64; 6],
    model: [f64; 10],
    seed: u64,
}

/// The built-in scenarios whose portfolio is synthetic: the knobs set a synthetic
/// portfolio's fields, which the format refuses beside a portfolio CSV (`dpi`'s
/// platforms are a CSV; `tests/scenarios.rs` runs it as it is).
fn synthetic_bases() -> Vec<usize> {
    (0..BUILTIN_SCENARIOS.len())
        .filter(|&base| !BUILTIN_SCENARIOS[base].1.contains("\ncsv = "))
        .collect()
}

fn knobs() -> impl Strategy<Value = Knobs> {
    let fund = (
        proptest::sample::select(synthetic_bases()),
        1u32..=30,
        1u32..=60,
        0u32..=36,
        1u32..=24,
        1u32..=36,
        0.0..200_000.0f64,
        1.0..2_000_000.0f64,
        prop::option::weighted(0.9, 0.0..30_000_000.0f64),
    );
    let rest = (
        0.0..30_000.0f64,
        0.0..0.3f64,
        1_000.0..20_000.0f64,
        any::<bool>(),
        any::<bool>(),
        (
            0.0..0.6f64,
            0.0..0.4f64,
            0.0..100.0f64,
            0.0..12.0f64,
            0.0..5_000.0f64,
            1.0..1e6f64,
        ),
        (
            (
                0.0..0.3f64,
                0.0..5.0f64,
                0.0..0.5f64,
                0.0..0.2f64,
                1.0..24.0f64,
            ),
            (
                0.0..3.0f64,
                0.0..0.5f64,
                0.0..1.0f64,
                1.0..5.0f64,
                0.0..2.0f64,
            ),
        ),
        any::<u64>(),
    );
    (fund, rest).prop_map(
        |(
            (base, projects, programme, after, interval, duration, min, above, budget),
            (fixed, share, person_month, clawback, redraw, portfolio, (m1, m2), seed),
        )| Knobs {
            base,
            projects,
            programme_months: programme,
            months_after: after,
            call_interval_months: interval,
            grant_duration_months: duration,
            min_grant_eur: min,
            max_grant_above_min_eur: above,
            budget_above_one_grant_eur: budget,
            overhead_fixed_eur: fixed,
            overhead_share: share,
            person_month_eur: person_month,
            clawback,
            redraw,
            portfolio: [
                portfolio.0,
                portfolio.1,
                portfolio.2,
                portfolio.3,
                portfolio.4,
                portfolio.5,
            ],
            model: [
                m1.0,
                m1.1,
                m1.2,
                m1.3,
                m1.4.round(),
                m2.0,
                m2.1,
                m2.2,
                m2.3,
                m2.4,
            ],
            seed,
        },
    )
}

/// The built-in scenario `knobs.base` with the knobs applied, or why a rule of that
/// scenario refuses the combination (the generator keeps only valid scenarios).
fn scenario_of(knobs: &Knobs) -> Result<Scenario, String> {
    let (name, text) = BUILTIN_SCENARIOS[knobs.base];
    let mut text = text.to_string();
    if knobs.clawback {
        text = set_bool(&text, "fund", "clawback_on_abandonment");
    }
    if knobs.redraw {
        text = set_bool(&text, "portfolio", "redraw_per_replication");
    }
    let cost = knobs.min_grant_eur * (1.0 + knobs.overhead_share) + knobs.overhead_fixed_eur;
    let budget = knobs
        .budget_above_one_grant_eur
        .map_or(0.0, |above| cost + above);
    let [one, two, hours, backlog, baseline, dependents] = knobs.portfolio;
    let [
        attrition,
        burnout,
        newcomers,
        revival,
        abandonment,
        cv,
        vulns,
        obsolescence,
        cliff,
        hires,
    ] = knobs.model;
    let overrides = [
        ("fund.budget_eur", budget),
        ("fund.programme_months", f64::from(knobs.programme_months)),
        (
            "fund.horizon_months",
            f64::from(knobs.programme_months + knobs.months_after),
        ),
        (
            "fund.call_interval_months",
            f64::from(knobs.call_interval_months),
        ),
        (
            "fund.grant_duration_months",
            f64::from(knobs.grant_duration_months),
        ),
        ("fund.min_grant_eur", knobs.min_grant_eur),
        (
            "fund.max_grant_eur",
            knobs.min_grant_eur + knobs.max_grant_above_min_eur,
        ),
        ("fund.overhead_fixed_eur", knobs.overhead_fixed_eur),
        ("fund.overhead_share", knobs.overhead_share),
        ("fund.person_month_eur", knobs.person_month_eur),
        ("portfolio.projects", f64::from(knobs.projects)),
        ("portfolio.maintainers_one_share", one),
        ("portfolio.maintainers_two_share", two),
        ("portfolio.volunteer_hours", hours),
        ("portfolio.backlog_months", backlog),
        ("portfolio.baseline_funding_eur", baseline),
        ("portfolio.dependents_median", dependents),
        ("model.attrition_hazard", attrition),
        ("model.burnout_slope", burnout),
        ("model.newcomer_rate", newcomers),
        ("model.revival_hazard", revival),
        ("model.abandonment_months", abandonment),
        ("model.work_cv", cv),
        ("model.vuln_base_rate", vulns),
        ("model.backlog_obsolescence", obsolescence),
        ("model.cliff_multiplier", cliff),
        ("model.hire_rate", hires),
        ("run.seed", (knobs.seed >> 12) as f64),
    ];
    parse_with_overrides(&text, name, &overrides).map_err(|e| e.to_string())
}

/// Sets a boolean key of a table to true, whether or not the text has the key or table.
fn set_bool(text: &str, table: &str, key: &str) -> String {
    let written = format!("{key} = false");
    if text.contains(&written) {
        text.replacen(&written, &format!("{key} = true"), 1)
    } else if text.contains(&format!("\n[{table}]\n")) {
        text.replacen(
            &format!("\n[{table}]\n"),
            &format!("\n[{table}]\n{key} = true\n"),
            1,
        )
    } else {
        format!("{text}\n[{table}]\n{key} = true\n")
    }
}

fn valid_scenario() -> impl Strategy<Value = Scenario> {
    knobs().prop_filter_map("a rule refused the combination", |k| scenario_of(&k).ok())
}

/// The invariants of one replication of one strategy.
fn check_trajectory(
    scenario: &Scenario,
    timing: Timing,
    t: &Trajectory,
    projects: usize,
) -> Result<(), TestCaseError> {
    let money = [
        ("paid", t.paid_eur),
        ("overhead", t.overhead_eur),
        ("returned", t.returned_eur),
        ("spent", t.spent_total_eur),
        ("held at the horizon", t.held_end_eur),
        ("withheld", t.withheld_eur),
        ("income", t.income_eur),
    ];
    for (what, amount) in money {
        prop_assert!(amount.is_finite() && amount >= 0.0, "{what}: {amount}");
    }
    prop_assert!(t.spent_eur.iter().all(|&s| s.is_finite() && s >= 0.0));
    prop_assert!(t.received_eur.iter().all(|&r| r.is_finite() && r >= 0.0));
    prop_assert!(t.allocations.iter().all(|&a| a.is_finite() && a >= 0.0));
    prop_assert!(t.maintainers.iter().all(|&m| m.is_finite() && m >= 0.0));
    prop_assert!(t.backlog.iter().all(|&b| b.is_finite() && b >= 0.0));
    prop_assert!(
        t.open_vulnerabilities
            .iter()
            .all(|&v| v.is_finite() && v >= 0.0)
    );

    let scale = t.paid_eur.max(scenario.fund.budget_eur).max(1.0);
    let accounted = t.spent_total_eur + t.held_end_eur + t.returned_eur;
    prop_assert!(
        (t.paid_eur - accounted).abs() <= 1e-9 * scale,
        "paid {} but spent {} + held {} + returned {} = {accounted}",
        t.paid_eur,
        t.spent_total_eur,
        t.held_end_eur,
        t.returned_eur
    );
    let available = if timing == Timing::Endowment {
        t.income_eur
    } else {
        scenario.fund.budget_eur
    };
    prop_assert_eq!(t.available_eur, available);
    let committed = t.paid_eur - t.returned_eur + t.overhead_eur;
    prop_assert!(
        committed <= available + 1e-9 * scale,
        "committed {committed} of {available} available"
    );
    let received: f64 = t.received_eur.iter().sum();
    prop_assert!((received - t.paid_eur).abs() <= 1e-9 * scale);

    let months = scenario.fund.horizon_months as usize + 1;
    prop_assert_eq!(t.surviving.len(), months);
    prop_assert_eq!(t.alive.len(), months);
    prop_assert!(
        t.surviving.windows(2).all(|w| w[1] <= w[0]),
        "survival rose"
    );
    prop_assert!(
        t.weighted_surviving
            .windows(2)
            .all(|w| w[1] <= w[0] + 1e-12),
        "weighted survival rose"
    );
    prop_assert!(
        t.weighted_surviving
            .iter()
            .all(|&w| (0.0..=1.0 + 1e-9).contains(&w))
    );
    prop_assert!(t.surviving.iter().zip(&t.alive).all(|(s, a)| a >= s));
    prop_assert!(t.alive.iter().all(|&a| a as usize <= projects));
    let never_abandoned = t.first_abandoned.iter().filter(|a| a.is_none()).count();
    prop_assert_eq!(never_abandoned, t.surviving[months - 1] as usize);
    Ok(())
}

/// Simulates replications `replications` of every strategy, folded into an accumulator.
fn accumulate(
    scenario: &Scenario,
    world: &World,
    replications: std::ops::Range<u64>,
) -> RunAccumulator {
    let mut acc = RunAccumulator::new(
        scenario.strategies.len(),
        scenario.fund.horizon_months as usize,
        world.project_count(),
        scenario.max_calls(),
        scenario.fund.programme_months as usize,
    );
    let mut trajectories = vec![Trajectory::default(); scenario.strategies.len()];
    let mut scratch = Vec::new();
    for replication in replications {
        for (strategy, t) in scenario.strategies.iter().zip(&mut trajectories) {
            let rule = strategy.rule.build();
            simulate(
                world,
                &strategy.name,
                rule.as_ref(),
                strategy.timing,
                scenario.run.seed,
                replication,
                t,
            );
        }
        acc.add_replication(&trajectories, &world.usage_weights, None, &mut scratch);
    }
    acc
}

/// Floats of two merged accumulators may differ by this much, relative to their scale.
const MERGE_TOLERANCE: f64 = 1e-9;

/// Σx² of the values behind a [`fundsim::stats::MeanVar`] as JSON (count, mean, m2):
/// the scale of the rounding in its mean and m2, which can cancel to near zero.
fn energy(moments: &Value) -> Option<f64> {
    let count = moments.get("count")?.as_f64()?;
    let mean = moments.get("mean")?.as_f64()?;
    let m2 = moments.get("m2")?.as_f64()?;
    Some(count * mean * mean + m2.max(0.0))
}

/// Compares two JSON trees: integers, strings and shapes exactly; floats to
/// [`MERGE_TOLERANCE`] of the larger of their own size and `scale`. A mean's scale is
/// the root mean square of its values, a cross-moment's the root of its two energies,
/// since a difference of large values can round to anything near zero.
fn close(a: &Value, b: &Value, scale: f64, path: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= MERGE_TOLERANCE * x.abs().max(y.abs()).max(scale) {
                Ok(())
            } else {
                Err(format!("{path}: {x} vs {y}"))
            }
        }
        (Value::Array(xs), Value::Array(ys)) if xs.len() == ys.len() => xs
            .iter()
            .zip(ys)
            .enumerate()
            .try_for_each(|(i, (x, y))| close(x, y, scale, &format!("{path}[{i}]"))),
        (Value::Object(xs), Value::Object(ys)) if xs.len() == ys.len() => {
            let own = energy(a);
            let cross = a
                .get("x")
                .and_then(energy)
                .zip(a.get("y").and_then(energy))
                .map(|(x, y)| (x * y).sqrt());
            xs.iter().try_for_each(|(key, x)| {
                let scale = match (key.as_str(), own, cross) {
                    ("mean", Some(energy), _) => {
                        (energy / a["count"].as_f64().unwrap_or(1.0).max(1.0)).sqrt()
                    }
                    ("m2", Some(energy), _) => energy,
                    ("cxy", _, Some(cross)) => cross,
                    _ => 0.0,
                };
                match ys.get(key) {
                    Some(y) => close(x, y, scale, &format!("{path}.{key}")),
                    None => Err(format!("{path}.{key}: missing")),
                }
            })
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a} vs {b}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(96), ..ProptestConfig::default() })]

    #[test]
    fn every_replication_keeps_money_people_and_survival_consistent(
        scenario in valid_scenario(),
        replication in 0u64..1_000_000,
    ) {
        let portfolio = synthetic_portfolio(&scenario).unwrap();
        let projects = portfolio.projects.len();
        let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
        let mut t = Trajectory::default();
        for strategy in &scenario.strategies {
            let rule = strategy.rule.build();
            for k in replication..replication + 2 {
                simulate(&world, &strategy.name, rule.as_ref(), strategy.timing, scenario.run.seed, k, &mut t);
                check_trajectory(&scenario, strategy.timing, &t, projects)
                    .map_err(|e| TestCaseError::fail(format!("{}/{} replication {k}: {e}", scenario.name, strategy.name)))?;
                if !strategy.rule.funds() {
                    prop_assert_eq!(t.paid_eur, 0.0);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(16), ..ProptestConfig::default() })]

    /// The engine's result does not depend on the number of worker threads: block
    /// boundaries and the merge order are fixed, so the accumulators are bit-identical.
    #[test]
    fn one_and_two_threads_give_bit_identical_results(
        scenario in valid_scenario(),
        replications in 1u64..70,
    ) {
        let config = RunConfig::new(replications, scenario.run.seed);
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let portfolio = synthetic_portfolio(&scenario).unwrap();
            let result = pool
                .install(|| run(&scenario, portfolio, &config, &|_| {}, &AtomicBool::new(false)))
                .unwrap();
            prop_assert_eq!(result.accumulator.replications(), replications);
            // JSON keeps every bit of a float and writes NaN as null, so NaN == NaN here.
            Ok(serde_json::to_string(&result.accumulator).unwrap())
        };
        let one = on(1)?;
        let two = on(2)?;
        prop_assert!(one == two, "1 and 2 threads differ");
    }

    /// (a ⊕ b) ⊕ c = a ⊕ (b ⊕ c) for block accumulators a, b, c: exactly for counts,
    /// integer totals and quantile sketches, to 1e-9 of their scale for floating-point
    /// moments and sums (float addition is not associative; the engine's fixed merge
    /// order is what makes its results bit-identical).
    #[test]
    fn merging_accumulators_is_associative(
        scenario in valid_scenario(),
        sizes in (1u64..4, 1u64..4, 1u64..4),
    ) {
        let portfolio = synthetic_portfolio(&scenario).unwrap();
        let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
        let (first, second) = (sizes.0, sizes.0 + sizes.1);
        let a = accumulate(&scenario, &world, 0..first);
        let b = accumulate(&scenario, &world, first..second);
        let c = accumulate(&scenario, &world, second..second + sizes.2);
        let mut left = a.clone();
        left.merge(&b);
        left.merge(&c);
        let mut bc = b.clone();
        bc.merge(&c);
        let mut right = a.clone();
        right.merge(&bc);
        // Folding every replication into one accumulator is a third grouping.
        let whole = accumulate(&scenario, &world, 0..second + sizes.2);
        prop_assert_eq!(left.replications(), whole.replications());
        let json = |acc: &RunAccumulator| serde_json::to_value(acc).unwrap();
        let (left, right, whole) = (json(&left), json(&right), json(&whole));
        close(&left, &right, 0.0, "").map_err(TestCaseError::fail)?;
        close(&left, &whole, 0.0, "").map_err(TestCaseError::fail)?;
    }
}

/// The generator reaches every built-in scenario with a valid variant (so the filter
/// above does not silently drop a whole scenario).
#[test]
fn the_generator_yields_valid_variants_of_every_builtin() {
    let bases = synthetic_bases();
    assert!(
        bases.len() + 1 >= BUILTIN_SCENARIOS.len(),
        "at most one CSV portfolio"
    );
    for base in bases {
        let name = BUILTIN_SCENARIOS[base].0;
        let knobs = Knobs {
            base,
            projects: 10,
            programme_months: 24,
            months_after: 12,
            call_interval_months: 6,
            grant_duration_months: 12,
            min_grant_eur: 10_000.0,
            max_grant_above_min_eur: 500_000.0,
            budget_above_one_grant_eur: Some(2_000_000.0),
            overhead_fixed_eur: 1_000.0,
            overhead_share: 0.05,
            person_month_eur: 9_000.0,
            clawback: true,
            redraw: true,
            portfolio: [0.4, 0.3, 20.0, 3.0, 0.0, 3_000.0],
            model: [0.02, 0.5, 0.02, 0.005, 12.0, 0.5, 0.02, 0.04, 1.5, 0.3],
            seed: 7,
        };
        if let Err(error) = scenario_of(&knobs) {
            panic!("{name}: {error}");
        }
    }
}
