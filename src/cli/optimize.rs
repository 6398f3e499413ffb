//! `fundsim optimize`: searches a family of funding policies for the one that does best
//! on a metric (its expected value, its 10th percentile across parameter sets, or its
//! expected regret against the named strategies) with CMA-ES on common random numbers,
//! then re-evaluates the found policy on fresh random numbers against every named
//! strategy (the hold-out), and writes the folder (`best.toml`, `recheck.toml`,
//! `trace.csv`, `holdout.csv`, the convergence chart, `report.md`).

mod state;
mod write;

use std::sync::atomic::Ordering;
use std::time::Instant;

use clap::Args;
use rayon::prelude::*;

use super::analysis_setup::progress_bar;
use super::args::{OutputArgs, SimulationArgs};
use super::error::CliError;
use super::interrupt::Interrupt;
use super::limits::{Workload, check_workload};
use super::staging;
use crate::analysis::optimize::{
    CANDIDATE_NAME, EvaluationError, Evaluator, Goal, Score, SearchSets, SearchSpace, SearchState,
    holdout_seed, named_results, policy_space, proportional_space, search,
};
use crate::engine::{self, ParameterWorlds, RunConfig};
use crate::input::load_joint_draws;
use crate::scenario::uncertainty::sets::parameter_sets;
use crate::stats::SetQuantity;

pub(super) use write::Searched;

/// The most evaluations one search may make: beyond this a search of the policy family
/// is better split into several runs with narrower families.
pub const MAX_EVALUATIONS: u64 = 20_000;

/// Replications per evaluation when `--replications` is not given.
pub const DEFAULT_REPLICATIONS: u64 = 400;

#[derive(Debug, Args)]
#[command(
    mut_arg("replications", |arg| arg.help(format!("Replications per evaluation [default: {DEFAULT_REPLICATIONS}]; the hold-out uses --holdout-replications"))),
    mut_arg("seed", |arg| arg.help("Master seed of the search [default: the scenario's run.seed]; the hold-out's seed is derived from it and never used by the search")),
    mut_arg("out", |arg| arg.help("Output folder [default: a new numbered folder under outputs/<scenario>-optimize/]")),
)]
pub struct OptimizeArgs {
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// The metric to optimise (a metric or paired outcome of summary.csv, e.g.
    /// survival_at_horizon, abandonments_averted); maximised or minimised as its
    /// direction says.
    #[arg(long)]
    pub metric: String,
    /// What to optimise: mean (expected value), p10 (the bad tail across parameter sets:
    /// 10th percentile, 90th for a metric where lower is better) or regret (expected
    /// shortfall against the best named strategy of each parameter set).
    #[arg(long, default_value = "mean")]
    pub goal: String,
    /// Evaluations of the search (whole generations of the optimiser, plus one for the
    /// final policy).
    #[arg(long, default_value_t = 200)]
    pub evaluations: u64,
    /// Replications of the hold-out run [default: the scenario's run.replications].
    #[arg(long)]
    pub holdout_replications: Option<u64>,
    /// Parameter sets drawn from the [uncertainty] table [default: the table's
    /// parameter_sets]; replication r runs in set r mod K.
    #[arg(long, value_name = "K")]
    pub parameter_sets: Option<u32>,
    /// The family searched: policy (rule `policy`) or proportional (its power, minimum
    /// amount and maximum share).
    #[arg(long, default_value = "policy")]
    pub family: String,
    /// Continue a search stopped part-way (Ctrl-C, a killed job) from its saved state;
    /// the result is that of an uninterrupted search.
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Stop (as a Ctrl-C would) after this many generations: for testing --resume.
    #[arg(long, hide = true)]
    pub stop_after_generations: Option<u64>,
}

pub fn execute(args: OptimizeArgs) -> Result<(), CliError> {
    let searched = compute(&args)?;
    write::finish(searched, &args.output)
}

/// The metric, by its name in summary.csv (levels and paired outcomes: the quantities a
/// run keeps per parameter set).
fn parse_metric(name: &str) -> Result<SetQuantity, CliError> {
    SetQuantity::all()
        .find(|q| q.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = SetQuantity::all().map(SetQuantity::name).collect();
            CliError::Usage(format!(
                "--metric {name:?} is not a metric optimize can use; choose one of {}",
                names.join(", ")
            ))
        })
}

/// The family of strategies searched.
fn family(name: &str, fund: &crate::params::FundParams) -> Result<SearchSpace, CliError> {
    match name {
        "policy" => Ok(policy_space(fund)),
        "proportional" => Ok(proportional_space()),
        _ => Err(CliError::Usage(format!(
            "--family {name:?} is not a family; choose policy or proportional"
        ))),
    }
}

/// Checks the question, draws the parameter sets, runs the named strategies, searches
/// (resumable) and runs the hold-out.
///
/// # Errors
/// [`CliError::Usage`] for bad input, [`CliError::Failure`] for a failed run,
/// [`CliError::Interrupted`] when stopped.
pub(super) fn compute(args: &OptimizeArgs) -> Result<Searched, CliError> {
    let started = Instant::now();
    let (goal, quantity) = check_question(args)?;
    let mut simulation = args.simulation.clone();
    simulation.replications.get_or_insert(DEFAULT_REPLICATIONS);
    let super::common::Prepared {
        loaded,
        mut scenario,
        portfolio,
        pool,
        ..
    } = simulation.prepare(false)?;
    let holdout_replications = args
        .holdout_replications
        .unwrap_or(loaded.scenario.run.replications);
    if holdout_replications == 0 {
        return Err(CliError::Usage(
            "--holdout-replications must be at least 1".into(),
        ));
    }
    let space = family(&args.family, &scenario.fund)?;
    let sets = draw_sets(args, &loaded, &mut scenario, goal, &pool)?;
    let state = SearchState::new(&space, 1, None, scenario.run.seed);
    let generations = ((args.evaluations - 1) / state.population() as u64).max(1);
    let evaluations = generations * state.population() as u64 + 1;
    let workload = Workload {
        origin: &loaded.origin,
        scenario: &scenario,
        runs: evaluations + 1 + holdout_replications.div_ceil(scenario.run.replications),
        runs_are: "evaluations",
        runs_from: "--evaluations",
        replications_from: "--replications",
    };
    check_workload(
        &workload,
        Some(&portfolio),
        args.simulation.threads,
        args.simulation.allow_large,
    )?;
    let interrupt = Interrupt::install()?;
    let destination = args
        .output
        .destination(format!("{}-optimize", scenario.name));
    let mut saved = state::Saved::new(
        &destination,
        &state::job_id(
            [&args.metric, &args.goal, &args.family],
            &scenario,
            evaluations,
        ),
    );
    let mut search_state = if args.resume {
        saved.load().map_err(CliError::Usage)?
    } else {
        SearchState::new(&space, generations, None, scenario.run.seed)
    };
    let staged = staging::stage(&interrupt, destination, args.output.quiet)?;
    interrupt.keep_checkpoint(saved.path());
    let cancel = interrupt.cancel_flag();
    // The named strategies on the search's seed and sets: what the regret is against.
    let named_run = run_named(
        &scenario,
        &portfolio,
        sets.as_ref(),
        &loaded.origin,
        (&pool, &interrupt),
    )?;
    let (named_sets, named_fixed) =
        named_results(&named_run.accumulator, scenario.baseline_index(), quantity);
    let evaluator = Evaluator {
        text: loaded.text.clone(),
        origin: loaded.origin.clone(),
        scenario: scenario.clone(),
        portfolio: portfolio.clone(),
        sets,
        quantity,
        goal,
        named_sets,
        named_fixed,
    };
    let higher = quantity.higher_is_better();
    let reference =
        best_named_on_search_seed(&evaluator, &named_run.accumulator, &scenario, higher);
    let bar = progress_bar(evaluations, args.output.quiet, "optimize");
    bar.set_position(search_state.trace.len() as u64);
    let evaluate = |values: &[Vec<f64>]| -> Result<Vec<Score>, EvaluationError> {
        let scores = pool.install(|| {
            values
                .par_iter()
                .map(|v| {
                    let table = space.table(CANDIDATE_NAME, v);
                    let strategy = match evaluator.strategy(&table) {
                        Ok(strategy) => strategy,
                        // Outside what the rule accepts: the worst score, not a stop.
                        Err(EvaluationError::Scenario(_)) => {
                            return Ok(Score {
                                value: f64::NAN,
                                se: f64::NAN,
                            });
                        }
                        Err(other) => return Err(other),
                    };
                    let acc = evaluator.run(&strategy, cancel)?;
                    Ok(evaluator.score(&acc, higher))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        bar.inc(values.len() as u64);
        Ok(scores)
    };
    let stop_after = args.stop_after_generations;
    search::run(
        &mut search_state,
        &space,
        evaluate,
        |value| goal.loss(value, higher),
        |state| {
            saved.save(state);
            if stop_after.is_some_and(|g| state.optimiser.generation >= g && !state.is_done()) {
                cancel.store(true, Ordering::SeqCst);
            }
        },
    )
    .map_err(|e| interrupt.failed(e))?;
    bar.finish_and_clear();
    let holdout = write::holdout(
        &loaded,
        &space,
        &search_state,
        (holdout_seed(scenario.run.seed), holdout_replications),
        args.parameter_sets,
        (&pool, &interrupt),
    )?;
    Ok(Searched {
        loaded,
        scenario,
        space,
        goal,
        quantity,
        state: search_state,
        named_run: named_run.accumulator,
        reference,
        holdout,
        saved,
        staged,
        interrupt,
        started,
        threads: pool.current_num_threads(),
    })
}

/// Checks the options that need no scenario: the budget, the goal, the metric and the
/// family's name.
fn check_question(args: &OptimizeArgs) -> Result<(Goal, SetQuantity), CliError> {
    if args.evaluations == 0 || args.evaluations > MAX_EVALUATIONS {
        return Err(CliError::Usage(format!(
            "--evaluations {}: expected a whole number from 1 to {MAX_EVALUATIONS}",
            args.evaluations
        )));
    }
    let goal = Goal::parse(&args.goal).map_err(CliError::Usage)?;
    let quantity = parse_metric(&args.metric)?;
    // The family's name is checked before anything is loaded; its space needs the fund.
    family(&args.family, &crate::params::FundParams::default())?;
    Ok((goal, quantity))
}

/// Runs every strategy of the scenario on the search's seed and parameter sets.
fn run_named(
    scenario: &crate::scenario::Scenario,
    portfolio: &crate::portfolio::Portfolio,
    sets: Option<&SearchSets>,
    origin: &str,
    (pool, interrupt): (&rayon::ThreadPool, &Interrupt),
) -> Result<engine::RunResult, CliError> {
    let mut config = RunConfig::from_scenario(scenario);
    if let Some(search) = sets {
        let worlds = ParameterWorlds::new(
            scenario,
            portfolio,
            search.sets.clone(),
            search.draw,
            scenario.run.seed,
        )
        .map_err(|e| CliError::Usage(format!("{origin}: uncertainty: {e}")))?;
        config.parameter_worlds = Some(std::sync::Arc::new(worlds));
    }
    let cancel = interrupt.cancel_flag();
    pool.install(|| engine::run(scenario, portfolio.clone(), &config, &|_| {}, cancel))
        .map_err(|e| interrupt.failed(e))
}

/// The best named strategy (not the baseline) by the goal on the search's seed.
fn best_named_on_search_seed(
    evaluator: &Evaluator,
    named_run: &crate::stats::RunAccumulator,
    scenario: &crate::scenario::Scenario,
    higher: bool,
) -> Option<(f64, String)> {
    let goal_higher = evaluator.goal.higher_is_better(higher);
    (0..scenario.strategies.len())
        .filter(|&s| s != scenario.baseline_index())
        .map(|s| {
            (
                evaluator.score_of(named_run, s, higher).value,
                scenario.strategies[s].name.clone(),
            )
        })
        .filter(|(v, _)| v.is_finite())
        .reduce(|a, b| {
            let better = if goal_higher { b.0 > a.0 } else { b.0 < a.0 };
            if better { b } else { a }
        })
}

/// Draws the search's parameter sets from the scenario's `[uncertainty]` table (`None`
/// without one), at the search's seed; refuses `p10` without a table.
fn draw_sets(
    args: &OptimizeArgs,
    loaded: &crate::input::LoadedScenario,
    scenario: &mut crate::scenario::Scenario,
    goal: Goal,
    pool: &rayon::ThreadPool,
) -> Result<Option<SearchSets>, CliError> {
    let Some(spec) = scenario.uncertainty.as_mut() else {
        if goal == Goal::P10 || args.parameter_sets.is_some() {
            return Err(CliError::Usage(format!(
                "--goal p10 and --parameter-sets need an [uncertainty] table (the spread across parameter sets), and {} has none; use --goal mean or regret",
                loaded.origin
            )));
        }
        return Ok(None);
    };
    super::common::set_parameter_sets(spec, args.parameter_sets)?;
    let spec = spec.clone();
    let joint = load_joint_draws(loaded)?;
    let seed = scenario.run.seed;
    let sets = pool
        .install(|| parameter_sets(&loaded.text, &loaded.origin, &spec, joint.as_ref(), seed))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Some(SearchSets {
        sets,
        draw: spec.portfolio,
    }))
}
