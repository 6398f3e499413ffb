//! Engine benchmarks (criterion): one replication of each strategy (arrivals drawn in the
//! simulation, or beforehand as the engine draws them), a whole STF run and
//! the merge of two run accumulators. Throughputs are in project-months, so criterion
//! reports project-months per second (`elem/s`). Seeds are fixed; see docs/performance.md
//! for what each benchmark measures and the figures measured.
//!
//! Run with `cargo bench --bench engine` (about two minutes on two cores).

use std::hint::black_box;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use fundsim::engine::{ParameterWorlds, RunConfig, run};
use fundsim::model::{
    Arrivals, DrawTape, Trajectory, World, replay_draws, simulate, simulate_logged,
    simulate_with_arrivals,
};
use fundsim::portfolio::Portfolio;
use fundsim::scenario::{Scenario, builtin, parse_str};
use fundsim::stats::RunAccumulator;
use fundsim::strategy::{AllocationRule, StrategySpec};

/// Master seed of every benchmark (the STF scenario's own seed).
const SEED: u64 = 20_261_128;
/// Replications of the `run` benchmarks: those of the default `fundsim run`, 63 blocks
/// of 16, so that the block still running on one thread when the other has run out of
/// blocks (up to a 63rd of the work) does not decide the 1 → 2-thread speed-up. With 16
/// blocks it was up to a 16th, and the speed-up swung between 1.43× and 1.95×.
const RUN_REPLICATIONS: u64 = 1_000;
/// Replications whose draws the `floor` benchmarks record and replay in turn.
const FLOOR_REPLICATIONS: u64 = 64;
/// Replications folded into each accumulator of the `merge` benchmark (one engine block).
const MERGE_REPLICATIONS: u64 = 16;

fn stf() -> (Scenario, Portfolio) {
    let scenario = parse_str(builtin("stf").expect("stf is built in"), "stf").expect("stf parses");
    let portfolio = fundsim::input::synthetic_portfolio(&scenario).expect("stf is synthetic");
    (scenario, portfolio)
}

/// Project-months simulated by one replication of one strategy.
fn project_months(scenario: &Scenario, portfolio: &Portfolio) -> u64 {
    portfolio.projects.len() as u64 * u64::from(scenario.fund.horizon_months)
}

/// A benchmark group of short iterations, each simulating `elements` project-months, so
/// that criterion reports project-months per second.
fn timed_group<'a>(
    c: &'a mut Criterion,
    name: &str,
    elements: u64,
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(elements))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group
}

/// `replication/<strategy>`: `simulate` for one replication of one strategy, buffers
/// reused between iterations as the engine reuses them. The replication index cycles so
/// the figure is an average over draws, not one lucky draw.
fn replication(c: &mut Criterion) {
    let (scenario, portfolio) = stf();
    let months = project_months(&scenario, &portfolio);
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let mut group = timed_group(c, "replication", months);
    per_strategy(
        &mut group,
        &scenario,
        1_000,
        |strategy, rule, index, trajectory| {
            simulate(
                &world,
                &strategy.name,
                rule,
                strategy.timing,
                SEED,
                index,
                trajectory,
            );
        },
    );
    group.finish();
}

/// One benchmark per strategy of `scenario` in `group`: each iteration simulates the
/// next replication (cycling through `0..cycle`) with `simulate_one`, into a trajectory
/// reused between iterations as the engine reuses it.
fn per_strategy(
    group: &mut BenchmarkGroup<'_, WallTime>,
    scenario: &Scenario,
    cycle: u64,
    simulate_one: impl Fn(&StrategySpec, &dyn AllocationRule, u64, &mut Trajectory),
) {
    for strategy in &scenario.strategies {
        let rule = strategy.rule.build();
        let mut trajectory = Trajectory::default();
        let mut index = 0u64;
        group.bench_function(strategy.name.as_str(), |b| {
            b.iter(|| {
                index = (index + 1) % cycle;
                simulate_one(strategy, rule.as_ref(), black_box(index), &mut trajectory);
                black_box(&trajectory);
            });
        });
    }
}

/// `replication-shared/all`: one replication of every strategy, the arrivals drawn once
/// for all of them ([`Arrivals::draw`], [`simulate_with_arrivals`]), as an engine that
/// shares them would run it. Throughput: strategies × projects × months.
fn replication_shared(c: &mut Criterion) {
    let (scenario, portfolio) = stf();
    let months = project_months(&scenario, &portfolio);
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let strategies = &scenario.strategies;
    let rules: Vec<_> = strategies.iter().map(|s| s.rule.build()).collect();
    let mut trajectories = vec![Trajectory::default(); strategies.len()];
    let mut arrivals = Arrivals::default();
    let mut group = timed_group(c, "replication-shared", months * strategies.len() as u64);
    let mut index = 0u64;
    group.bench_function("all", |b| {
        b.iter(|| {
            index = (index + 1) % 1_000;
            arrivals.draw(&world, SEED, black_box(index));
            for ((strategy, rule), trajectory) in
                strategies.iter().zip(&rules).zip(&mut trajectories)
            {
                simulate_with_arrivals(
                    &world,
                    &arrivals,
                    &strategy.name,
                    rule.as_ref(),
                    strategy.timing,
                    SEED,
                    index,
                    trajectory,
                );
            }
            black_box(&trajectories);
        });
    });
    group.finish();
}

/// Replications whose arrivals the `replication-tabled` benchmarks draw beforehand and
/// use in turn.
const TABLED_REPLICATIONS: u64 = 64;

/// `replication-tabled/<strategy>`: one replication of one strategy with its arrivals
/// drawn beforehand, as the engine runs each strategy ([`simulate_with_arrivals`]), and
/// `arrivals/draw`: drawing one replication's arrivals ([`Arrivals::draw`]), which the
/// engine does once for all the strategies. A strategy's share of an engine run is its
/// `replication-tabled` time plus `arrivals/draw` ÷ the number of strategies.
fn replication_tabled(c: &mut Criterion) {
    let (scenario, portfolio) = stf();
    let months = project_months(&scenario, &portfolio);
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let tables: Vec<Arrivals> = (0..TABLED_REPLICATIONS)
        .map(|replication| {
            let mut arrivals = Arrivals::default();
            arrivals.draw(&world, SEED, replication);
            arrivals
        })
        .collect();
    let mut group = timed_group(c, "replication-tabled", months);
    per_strategy(
        &mut group,
        &scenario,
        TABLED_REPLICATIONS,
        |strategy, rule, index, trajectory| {
            simulate_with_arrivals(
                &world,
                &tables[index as usize],
                &strategy.name,
                rule,
                strategy.timing,
                SEED,
                index,
                trajectory,
            );
        },
    );
    group.finish();
    let mut group = timed_group(c, "arrivals", months);
    let mut arrivals = Arrivals::default();
    let mut index = 0u64;
    group.bench_function("draw", |b| {
        b.iter(|| {
            index = (index + 1) % 1_000;
            arrivals.draw(&world, SEED, black_box(index));
            black_box(&arrivals);
        });
    });
    group.finish();
}

/// `floor/<strategy>`: the random numbers of one replication of one strategy and nothing
/// else (`model::replay_draws`): the arrivals streams over the horizon and every month
/// stream the simulation drew from, as many uniforms as it drew. The draws of
/// [`FLOOR_REPLICATIONS`] replications are recorded before timing starts and replayed
/// in turn. The engine's cost over this floor is the cost of the model itself.
fn floor(c: &mut Criterion) {
    let (scenario, portfolio) = stf();
    let months = project_months(&scenario, &portfolio);
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let mut group = timed_group(c, "floor", months);
    for strategy in &scenario.strategies {
        let rule = strategy.rule.build();
        let mut trajectory = Trajectory::default();
        let tapes: Vec<DrawTape> = (0..FLOOR_REPLICATIONS)
            .map(|replication| {
                let mut tape = DrawTape::default();
                simulate_logged(
                    &world,
                    &strategy.name,
                    rule.as_ref(),
                    strategy.timing,
                    SEED,
                    replication,
                    &mut trajectory,
                    &mut tape,
                );
                tape
            })
            .collect();
        let mut index = 0u64;
        group.bench_function(strategy.name.as_str(), |b| {
            b.iter(|| {
                index = (index + 1) % FLOOR_REPLICATIONS;
                black_box(replay_draws(
                    &world,
                    SEED,
                    black_box(index),
                    &tapes[index as usize],
                ))
            });
        });
    }
    group.finish();
}

/// `run/stf`: `engine::run` for every strategy over [`RUN_REPLICATIONS`] replications,
/// on rayon's global pool (all cores), and `run/stf-1-thread` on a one-thread pool.
/// Aggregation into the accumulators and their merges are included.
fn whole_run(c: &mut Criterion) {
    let (scenario, portfolio) = stf();
    let elements =
        scenario.strategies.len() as u64 * RUN_REPLICATIONS * project_months(&scenario, &portfolio);
    let config = RunConfig::new(RUN_REPLICATIONS, SEED);
    let cancel = AtomicBool::new(false);
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool starts");
    let mut group = c.benchmark_group("run");
    group
        .throughput(Throughput::Elements(elements))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(30));
    let once =
        || run(&scenario, portfolio.clone(), &config, &|_| {}, &cancel).expect("not cancelled");
    group.bench_function("stf", |b| b.iter(|| black_box(once())));
    group.bench_function("stf-1-thread", |b| {
        b.iter(|| one_thread.install(|| black_box(once())));
    });
    // The same run with the built-in [uncertainty] table: the replications are spread
    // over its parameter sets, whose scenarios, worlds and rules are built in each
    // iteration (the set-up a `fundsim run` pays once).
    let uncertain = || {
        let prepared = uncertain_config(&scenario, &portfolio);
        run(&scenario, portfolio.clone(), &prepared, &|_| {}, &cancel).expect("not cancelled")
    };
    group.bench_function("stf-uncertainty", |b| b.iter(|| black_box(uncertain())));
    group.finish();
}

/// The configuration of a [`RUN_REPLICATIONS`] run of the built-in `stf` with its
/// `[uncertainty]` table: parameter sets drawn and their worlds built.
fn uncertain_config(scenario: &Scenario, portfolio: &Portfolio) -> RunConfig {
    let loaded = fundsim::input::load_scenario(Some("stf")).expect("stf loads");
    let spec = loaded
        .scenario
        .uncertainty
        .clone()
        .expect("stf has an [uncertainty] table");
    let joint = fundsim::input::load_joint_draws(&loaded).expect("its joint draws load");
    let sets = fundsim::scenario::uncertainty::sets::parameter_sets(
        &loaded.text,
        &loaded.origin,
        &spec,
        joint.as_ref(),
        SEED,
    )
    .expect("the sets are valid");
    let worlds = ParameterWorlds::new(scenario, portfolio, sets, spec.portfolio, SEED)
        .expect("the sets keep the run's shape");
    RunConfig {
        parameter_worlds: Some(std::sync::Arc::new(worlds)),
        ..RunConfig::new(RUN_REPLICATIONS, SEED)
    }
}

/// An accumulator of the STF shape holding `replications` replications from `seed`,
/// filled by the engine itself, so the benchmark follows the accumulator's shape.
fn filled(
    scenario: &Scenario,
    portfolio: &Portfolio,
    seed: u64,
    replications: u64,
) -> RunAccumulator {
    let config = RunConfig::new(replications, seed);
    run(
        scenario,
        portfolio.clone(),
        &config,
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("not cancelled")
    .accumulator
}

/// `merge/stf`: merging one block accumulator into another, both of the STF shape (all
/// strategies) and holding [`MERGE_REPLICATIONS`] replications each (from two seeds),
/// as the engine merges each block into its running total. The clone of the target is
/// not timed.
fn merge(c: &mut Criterion) {
    let (scenario, portfolio) = stf();
    let total = filled(&scenario, &portfolio, SEED, MERGE_REPLICATIONS);
    let block = filled(&scenario, &portfolio, SEED + 1, MERGE_REPLICATIONS);
    let mut group = c.benchmark_group("merge");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("stf", |b| {
        b.iter_batched_ref(
            || total.clone(),
            |target| target.merge(black_box(&block)),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotters backend panics (FontUnavailable) on machines
    // without system fonts, such as CI containers; the figures are in the text output.
    config = Criterion::default().without_plots();
    targets = replication, replication_shared, replication_tabled, floor, whole_run, merge
}
criterion_main!(benches);
