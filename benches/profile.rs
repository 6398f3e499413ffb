//! A fixed workload for profilers (callgrind, perf): no timing, no criterion.
//!
//! `cargo bench --bench profile -- simulate <strategy|all> <replications> [scenario]`
//! runs `model::simulate` on a built-in scenario (default `stf`) for that many replications (seed 20261128) and
//! prints a checksum, so that `valgrind --tool=callgrind` counts the instructions of a
//! known number of project-months. See docs/performance.md.
//!
//! `shared` does the same as `simulate` with the arrivals drawn once per replication for
//! all the strategies (`model::Arrivals`, `model::simulate_with_arrivals`): the same
//! fingerprint.
//!
//! `arrivals` draws only the arrivals of `shared` (their cost, to subtract from it).
//!
//! `portfolio` prints the scenario's portfolio with every attribute as CSV (the input of
//! benches/numpy).
//!
//! `tape` records the month-stream draws of the same simulations; `floor` records them
//! and then replays them with `model::replay_draws`: the floor's instructions are those of
//! `floor` minus those of `tape`.

use std::hint::black_box;

use fundsim::model::{
    Arrivals, DrawTape, Trajectory, World, replay_draws, simulate, simulate_logged,
    simulate_with_arrivals,
};
use fundsim::scenario::{builtin, parse_str};

const SEED: u64 = 20_261_128;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mode = args.first().map_or("simulate", String::as_str);
    let strategy = args.get(1).map_or("all", String::as_str);
    let replications: u64 = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(16);
    let name = args.get(3).map_or("stf", String::as_str);
    let scenario = parse_str(builtin(name).expect("a built-in scenario"), name).expect("it parses");
    let portfolio = fundsim::input::synthetic_portfolio(&scenario).expect("a synthetic portfolio");
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let strategies: Vec<_> = scenario
        .strategies
        .iter()
        .filter(|s| strategy == "all" || s.name == strategy)
        .collect();
    assert!(!strategies.is_empty(), "no strategy named {strategy}");
    let mut digest = 0xcbf2_9ce4_8422_2325_u64;
    let mut trajectory = Trajectory::default();
    match mode {
        "simulate" => {
            for replication in 0..replications {
                for s in &strategies {
                    let rule = s.rule.build();
                    simulate(
                        &world,
                        &s.name,
                        rule.as_ref(),
                        s.timing,
                        SEED,
                        black_box(replication),
                        &mut trajectory,
                    );
                    digest = fingerprint(digest, &trajectory);
                }
            }
        }
        "shared" => {
            // As the engine can: the arrivals drawn once per replication for all strategies.
            let mut arrivals = Arrivals::default();
            let rules: Vec<_> = strategies.iter().map(|s| s.rule.build()).collect();
            for replication in 0..replications {
                arrivals.draw(&world, SEED, black_box(replication));
                for (s, rule) in strategies.iter().zip(&rules) {
                    simulate_with_arrivals(
                        &world,
                        &arrivals,
                        &s.name,
                        rule.as_ref(),
                        s.timing,
                        SEED,
                        replication,
                        &mut trajectory,
                    );
                    digest = fingerprint(digest, &trajectory);
                }
            }
        }
        "arrivals" => {
            // Only the arrivals draw of `shared`: its cost, to subtract from `shared`.
            let mut arrivals = Arrivals::default();
            for replication in 0..replications {
                arrivals.draw(&world, SEED, black_box(replication));
                black_box(&arrivals);
            }
        }
        "tape" | "floor" => {
            // Record the month-stream draws of every simulation, then (floor) replay them.
            let mut tapes = Vec::new();
            for replication in 0..replications {
                for s in &strategies {
                    let rule = s.rule.build();
                    let mut tape = DrawTape::default();
                    simulate_logged(
                        &world,
                        &s.name,
                        rule.as_ref(),
                        s.timing,
                        SEED,
                        replication,
                        &mut trajectory,
                        &mut tape,
                    );
                    tapes.push((replication, tape));
                }
            }
            let uniforms: u64 = tapes
                .iter()
                .flat_map(|(_, t)| &t.draws)
                .map(|d| u64::from(d.uniforms))
                .sum();
            let keyed: usize = tapes.iter().map(|(_, t)| t.draws.len()).sum();
            println!("month streams keyed {keyed}, uniforms drawn from them {uniforms}");
            if mode == "floor" {
                let mut total = 0.0;
                for (replication, tape) in &tapes {
                    total += replay_draws(&world, SEED, black_box(*replication), tape);
                }
                digest ^= total.to_bits();
            }
        }
        "portfolio" => {
            // The scenario's portfolio with every attribute, for benches/numpy.
            println!(
                "name,dependents,criticality,maintainers,volunteer_hours,work_rate,vuln_rate,absorption,backlog,baseline_funding"
            );
            for p in &world.portfolio.projects {
                println!(
                    "{},{:?},{:?},{},{:?},{:?},{:?},{:?},{:?},{:?}",
                    p.name,
                    p.dependents,
                    p.criticality,
                    p.maintainers,
                    p.volunteer_hours,
                    p.work_rate,
                    p.vuln_rate,
                    p.absorption,
                    p.backlog,
                    p.baseline_funding
                );
            }
            return;
        }
        other => panic!("unknown mode {other}"),
    }
    let project_months = replications
        * strategies.len() as u64
        * world.project_count() as u64
        * u64::from(scenario.fund.horizon_months);
    println!(
        "{mode} {strategy} replications={replications} project_months={project_months} fingerprint={digest:016x}"
    );
}

/// Folds every output of a trajectory, bit for bit, into a running FNV-1a digest: two
/// builds that print the same fingerprint simulated the same trajectories.
fn fingerprint(digest: u64, t: &Trajectory) -> u64 {
    // The fix times are a multiset (their order is not part of the result).
    let mut fix_times = t.fix_times.clone();
    fix_times.sort_unstable();
    let floats = [
        &t.weighted_surviving,
        &t.maintainers,
        &t.backlog,
        &t.open_vulnerabilities,
        &t.spent_eur,
        &t.received_eur,
        &t.allocations,
    ];
    let words = floats
        .into_iter()
        .flat_map(|series| series.iter().map(|x| x.to_bits()))
        .chain(
            [
                &t.surviving,
                &t.alive,
                &t.surviving_months,
                &t.maintainers_end,
                &fix_times,
            ]
            .into_iter()
            .flat_map(|series| series.iter().map(|&x| u64::from(x))),
        )
        .chain(
            t.first_abandoned
                .iter()
                .map(|x| x.map_or(u64::MAX, u64::from)),
        )
        .chain(
            [
                t.paid_eur,
                t.overhead_eur,
                t.returned_eur,
                t.spent_total_eur,
                t.held_end_eur,
                t.withheld_eur,
            ]
            .map(f64::to_bits),
        );
    words.fold(digest, |hash, word| {
        (hash ^ word).wrapping_mul(0x0100_0000_01b3)
    })
}
