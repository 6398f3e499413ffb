//! The hold-out run of the found policy and the folder of `fundsim optimize`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use super::super::error::CliError;
use super::super::interrupt::Interrupt;
use super::super::staging::Staged;
use super::state::Saved;
use crate::analysis::optimize::explain::{
    comparison_words, differences_table, euros, policy_in_words,
};
use crate::analysis::optimize::{
    CANDIDATE_NAME, Difference, Goal, SearchSpace, SearchState, differences, levels, with_strategy,
};
use crate::engine::{self, ParameterWorlds, RunConfig};
use crate::input::LoadedScenario;
use crate::output::OutputError;
use crate::output::files::csv_bytes;
use crate::output::tables::number;
use crate::params::PortfolioSpec;
use crate::plot::convergence::ConvergenceChart;
use crate::plot::sensitivity::{Heading, render};
use crate::scenario::{self, Scenario};
use crate::stats::{Estimate, RunAccumulator, SetQuantity};

/// The found policy run on fresh random numbers with every named strategy.
pub(in crate::cli) struct Holdout {
    pub seed: u64,
    pub replications: u64,
    /// `recheck.toml`: the scenario with the policy added, at the hold-out's seed and
    /// replications (`fundsim run recheck.toml` reproduces the hold-out).
    pub text: String,
    pub scenario: Scenario,
    pub table: toml::Table,
    pub accumulator: RunAccumulator,
    pub parameter_sets: usize,
    /// Projects in the portfolio.
    pub projects: usize,
}

/// A search done: what `finish` writes and prints.
pub(in crate::cli) struct Searched {
    pub loaded: LoadedScenario,
    pub scenario: Scenario,
    pub space: SearchSpace,
    pub goal: Goal,
    pub quantity: SetQuantity,
    pub state: SearchState,
    pub named_run: RunAccumulator,
    /// The best named strategy's value of the goal on the search's seed, and its name.
    pub reference: Option<(f64, String)>,
    pub holdout: Holdout,
    pub saved: Saved,
    pub staged: Staged,
    pub interrupt: Interrupt,
    pub started: Instant,
    pub threads: usize,
}

/// The scenario text with `table` added as a strategy, and `[run]` (and the number of
/// parameter sets, when given) set to the hold-out's.
fn recheck_text(
    text: &str,
    table: &toml::Table,
    (seed, replications): (u64, u64),
    parameter_sets: Option<u32>,
) -> Result<String, CliError> {
    let with = with_strategy(text, table).map_err(CliError::Failure)?;
    let mut document: toml::Table =
        toml::from_str(&with).map_err(|e| CliError::Failure(e.to_string()))?;
    let run = document
        .entry("run")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(run) = run {
        run.insert("seed".into(), toml::Value::Integer(seed as i64));
        run.insert(
            "replications".into(),
            toml::Value::Integer(replications as i64),
        );
    }
    if let (Some(sets), Some(toml::Value::Table(table))) =
        (parameter_sets, document.get_mut("uncertainty"))
    {
        table.insert(
            "parameter_sets".into(),
            toml::Value::Integer(i64::from(sets)),
        );
    }
    toml::to_string(&document).map_err(|e| CliError::Failure(e.to_string()))
}

/// Runs the recommended policy and every named strategy at the hold-out's seed, exactly
/// as `fundsim run recheck.toml` does.
///
/// # Errors
/// [`CliError`] for a policy the scenario refuses, a failed or stopped run.
pub(super) fn holdout(
    loaded: &LoadedScenario,
    space: &SearchSpace,
    state: &SearchState,
    (seed, replications): (u64, u64),
    parameter_sets: Option<u32>,
    (pool, interrupt): (&rayon::ThreadPool, &Interrupt),
) -> Result<Holdout, CliError> {
    let recommended = state
        .recommended
        .as_ref()
        .ok_or_else(|| CliError::Failure("the search ended without a policy".into()))?;
    let table = space.table(CANDIDATE_NAME, &recommended.values);
    let text = recheck_text(&loaded.text, &table, (seed, replications), parameter_sets)?;
    let parsed = scenario::parse_with_overrides(&text, &loaded.origin, &[])
        .map_err(|e| CliError::Failure(format!("the found policy is refused: {e}")))?;
    let recheck = LoadedScenario {
        scenario: parsed.clone(),
        origin: loaded.origin.clone(),
        base_dir: loaded.base_dir.clone(),
        text: text.clone(),
    };
    let portfolio = crate::input::load_portfolio(&recheck, seed)?;
    let mut config = RunConfig::from_scenario(&parsed);
    if let Some(spec) = &parsed.uncertainty {
        let joint = crate::input::load_joint_draws(&recheck)?;
        let sets = pool
            .install(|| {
                crate::scenario::uncertainty::sets::parameter_sets(
                    &text,
                    &recheck.origin,
                    spec,
                    joint.as_ref(),
                    seed,
                )
            })
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let worlds = pool
            .install(|| ParameterWorlds::new(&parsed, &portfolio, sets, spec.portfolio, seed))
            .map_err(|e| CliError::Usage(format!("{}: uncertainty: {e}", loaded.origin)))?;
        config.parameter_worlds = Some(std::sync::Arc::new(worlds));
    }
    let cancel = interrupt.cancel_flag();
    let projects = portfolio.projects.len();
    let result = pool
        .install(|| engine::run(&parsed, portfolio, &config, &|_| {}, cancel))
        .map_err(|e| interrupt.failed(e))?;
    Ok(Holdout {
        seed,
        replications,
        text,
        parameter_sets: config.parameter_sets(),
        projects,
        scenario: parsed,
        table,
        accumulator: result.accumulator,
    })
}

impl Searched {
    fn names(&self) -> Vec<String> {
        self.holdout
            .scenario
            .strategies
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    fn found_index(&self) -> usize {
        self.holdout.scenario.strategies.len() - 1
    }

    fn differences(&self) -> Vec<Difference> {
        differences(
            &self.holdout.accumulator,
            &self.names(),
            self.found_index(),
            self.quantity,
        )
    }

    /// The named strategy (not the baseline) with the best hold-out mean.
    fn best_named(&self) -> Option<(String, Estimate)> {
        let levels = levels(&self.holdout.accumulator, self.quantity);
        let baseline = self.holdout.scenario.baseline_index();
        let higher = self.quantity.higher_is_better();
        (0..self.found_index())
            .filter(|&s| s != baseline && levels[s].mean.is_finite())
            .max_by(|&a, &b| {
                let order = levels[a].mean.total_cmp(&levels[b].mean);
                if higher { order } else { order.reverse() }.then(b.cmp(&a))
            })
            .map(|s| (self.names()[s].clone(), levels[s]))
    }
}

/// Writes the folder, moves it into place, removes the saved state and prints the
/// answer unless quiet.
///
/// # Errors
/// [`CliError::Failure`] when the folder cannot be written, [`CliError::Interrupted`]
/// when a stop signal came first.
pub(super) fn finish(
    searched: Searched,
    output: &super::super::args::OutputArgs,
) -> Result<(), CliError> {
    let writing = searched.interrupt.writing()?;
    let staged = &searched.staged;
    let best = best_toml(&searched)?;
    staged.write("best.toml", best.as_bytes())?;
    staged.write("recheck.toml", searched.holdout.text.as_bytes())?;
    write_inputs(&searched)?;
    staged.write("trace.csv", &trace_csv(&searched))?;
    let metric = searched.quantity.name();
    let rows: Vec<Vec<String>> = searched
        .differences()
        .iter()
        .map(|d| {
            let e = d.estimate;
            vec![
                d.strategy.clone(),
                metric.into(),
                number(e.mean),
                number(e.low),
                number(e.high),
            ]
        })
        .collect();
    staged.write(
        "holdout.csv",
        &csv_bytes(&["strategy", "metric", "mean", "ci_low", "ci_high"], rows),
    )?;
    let level_rows: Vec<Vec<String>> = searched
        .names()
        .iter()
        .zip(levels(&searched.holdout.accumulator, searched.quantity))
        .map(|(name, e)| {
            vec![
                name.clone(),
                metric.into(),
                number(e.mean),
                number(e.low),
                number(e.high),
                number(e.mcse),
            ]
        })
        .collect();
    staged.write(
        "holdout_levels.csv",
        &csv_bytes(
            &["strategy", "metric", "mean", "ci_low", "ci_high", "mcse"],
            level_rows,
        ),
    )?;
    if !output.no_charts {
        match render(&convergence_chart(&searched)) {
            Ok(rendered) => {
                staged.write("charts/convergence.png", &rendered.png)?;
                staged.write("charts/convergence.svg", rendered.svg.as_bytes())?;
            }
            Err(error) => eprintln!("warning: the convergence chart was not drawn ({error})"),
        }
    }
    let report = report_md(&searched);
    staged.write("report.md", report.as_bytes())?;
    writing.check()?;
    let manifest = manifest_json(&searched)?;
    let Searched { staged, saved, .. } = searched;
    let folder = staged.finish(&manifest)?;
    saved.remove();
    writing.finished(&folder)?;
    if !output.quiet {
        print!("{}", summary_text(&report));
        println!("results in {}", folder.display());
    }
    Ok(())
}

fn best_toml(searched: &Searched) -> Result<String, CliError> {
    #[derive(serde::Serialize)]
    struct Entries<'a> {
        strategies: [&'a toml::Table; 1],
    }
    let body = toml::to_string(&Entries {
        strategies: [&searched.holdout.table],
    })
    .map_err(|e| CliError::Failure(e.to_string()))?;
    Ok(format!(
        "# The policy `fundsim optimize` found for {} ({} of {}).\n# Add this entry to a scenario's strategies; recheck.toml is the scenario with it added.\n{body}",
        searched.loaded.origin,
        searched.goal.name(),
        searched.quantity.name()
    ))
}

/// Copies the files the scenario reads (portfolio CSV, joint draws) beside
/// `recheck.toml`, so that `fundsim run recheck.toml` finds them.
fn write_inputs(searched: &Searched) -> Result<(), CliError> {
    let loaded = &searched.loaded;
    let mut files = Vec::new();
    if let PortfolioSpec::Csv { path } = &loaded.scenario.portfolio {
        files.push((path.clone(), crate::input::portfolio_csv(loaded, path)?.0));
    }
    if let Some(joint) = loaded
        .scenario
        .uncertainty
        .as_ref()
        .and_then(|u| u.joint.clone())
    {
        let bytes = match scenario::builtin_file(&joint) {
            Some(text) if loaded.origin.starts_with("built-in:") => text.as_bytes().to_vec(),
            _ => std::fs::read(loaded.base_dir.join(&joint))
                .map_err(|e| CliError::Failure(format!("cannot read {joint}: {e}")))?,
        };
        files.push((joint, bytes));
    }
    for (name, bytes) in files {
        let relative = Path::new(&name);
        if relative.is_absolute() || relative.components().any(|c| c.as_os_str() == "..") {
            eprintln!(
                "note: {name} is outside the scenario's folder; copy it beside recheck.toml to re-run it"
            );
            continue;
        }
        searched
            .staged
            .write(&name, &bytes)
            .map_err(|e: OutputError| CliError::from(e))?;
    }
    Ok(())
}

fn trace_csv(searched: &Searched) -> Vec<u8> {
    let mut header = vec!["generation".to_string(), "candidate".to_string()];
    header.extend(searched.space.columns());
    header.extend(["estimate".to_string(), "se".to_string()]);
    let rows = searched
        .state
        .trace
        .iter()
        .chain(searched.state.recommended.as_ref())
        .map(|row| {
            let mut cells = vec![
                row.generation.to_string(),
                row.candidate
                    .map_or_else(|| "final_mean".to_string(), |c| c.to_string()),
            ];
            cells.extend(row.values.iter().map(|v| number(*v)));
            cells.extend([number(row.estimate), number(row.se)]);
            cells
        })
        .collect::<Vec<_>>();
    csv_bytes(&header, rows)
}

fn convergence_chart(searched: &Searched) -> ConvergenceChart {
    let higher = searched
        .goal
        .higher_is_better(searched.quantity.higher_is_better());
    let state = &searched.state;
    let evaluations: Vec<(f64, f64)> = state
        .trace
        .iter()
        .enumerate()
        .map(|(i, row)| ((i + 1) as f64, row.estimate))
        .collect();
    let population = state.population();
    let generation_means = evaluations
        .chunks(population)
        .map(|chunk| {
            let finite: Vec<f64> = chunk
                .iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .collect();
            let x = chunk.last().map_or(0.0, |p| p.0);
            (x, finite.iter().sum::<f64>() / finite.len().max(1) as f64)
        })
        .collect();
    let mut best = f64::NAN;
    let best_so_far = evaluations
        .iter()
        .map(|&(x, v)| {
            if v.is_finite() && (best.is_nan() || (higher && v > best) || (!higher && v < best)) {
                best = v;
            }
            (x, best)
        })
        .collect();
    let recommended = state
        .recommended
        .as_ref()
        .map(|row| ((evaluations.len() + 1) as f64, row.estimate));
    let metric = searched.quantity.name();
    ConvergenceChart {
        heading: Heading {
            title: format!("Search for the best policy: {} of {metric}", searched.goal.name()),
            subtitle: searched.goal.describe(metric, searched.quantity.higher_is_better()),
            source: format!(
                "fundsim {} optimize · {} · seed {} · {} replications per evaluation · CMA-ES, {} per generation",
                crate::VERSION,
                searched.loaded.origin,
                searched.scenario.run.seed,
                searched.scenario.run.replications,
                population
            ),
        },
        goal_title: format!("{} of {metric} (search seed)", searched.goal.name()),
        share: matches!(searched.goal, Goal::Mean | Goal::P10) && metric_is_share(searched.quantity),
        evaluations,
        generation_means,
        best_so_far,
        recommended,
        reference: searched.reference.clone(),
        note: "Each point is one candidate policy on the search's seed. The best so far is biased upward by noise; the recommended policy is the optimiser's final mean, judged on fresh seeds in holdout.csv.".into(),
    }
}

fn metric_is_share(quantity: SetQuantity) -> bool {
    matches!(
        crate::analysis::optimize::evaluate::as_quantity(quantity).scale(),
        crate::stats::Scale::Share
    )
}

fn report_md(searched: &Searched) -> String {
    let metric = searched.quantity.name();
    let higher = searched.quantity.higher_is_better();
    let holdout = &searched.holdout;
    let calls = holdout
        .scenario
        .fund
        .programme_months
        .div_ceil(holdout.scenario.fund.call_interval_months.max(1));
    let mut out = String::new();
    let _ = writeln!(out, "# The policy found for {}\n", searched.loaded.origin);
    let _ = writeln!(
        out,
        "Question: which policy of the `{}` family does best on {}? Searched with CMA-ES over {} evaluations of {} replications each (seed {}{}).\n",
        searched
            .space
            .fixed
            .get("rule")
            .and_then(|r| r.as_str())
            .unwrap_or("?"),
        searched.goal.describe(metric, higher),
        searched.state.evaluations(),
        searched.scenario.run.replications,
        searched.scenario.run.seed,
        match holdout.parameter_sets {
            0 => String::new(),
            k => format!(", {k} parameter sets"),
        }
    );
    let _ = writeln!(out, "## The policy in words\n");
    let projects = holdout.projects;
    for sentence in policy_in_words(&holdout.table, calls as usize, projects) {
        let _ = writeln!(out, "- {sentence}");
    }
    let _ = writeln!(
        out,
        "\n## Compared with the named strategies, on fresh random numbers\n"
    );
    let _ = writeln!(
        out,
        "The hold-out runs the found policy beside every named strategy at seed {} ({} replications), which the search never used.\n",
        holdout.seed, holdout.replications
    );
    let differences = searched.differences();
    if let Some((name, level)) = searched.best_named() {
        let _ = writeln!(
            out,
            "{}\n",
            comparison_words(
                &differences,
                &name,
                metric,
                higher,
                metric_is_share(searched.quantity)
            )
        );
        let found = levels(&holdout.accumulator, searched.quantity)[searched.found_index()];
        let _ = writeln!(
            out,
            "{metric}: found policy {} (95% interval {} to {}); best named strategy `{name}` {}.\n",
            number(found.mean),
            number(found.low),
            number(found.high),
            number(level.mean)
        );
    }
    let _ = writeln!(out, "{}", differences_table(&differences, higher));
    if let Some(row) = &searched.state.recommended {
        let _ = writeln!(
            out,
            "On the search's own seed the policy scored {} ± {} ({} of {metric}); a search's own estimate is optimistic, which is why the hold-out decides.\n",
            number(row.estimate),
            number(row.se),
            searched.goal.name()
        );
    }
    let _ = writeln!(
        out,
        "## Re-check\n\n`fundsim run recheck.toml` (in this folder) runs the scenario with the policy added at the hold-out's seed and replications; its `summary.csv` row `optimised,{metric}` equals `holdout_levels.csv`. `best.toml` is the `[[strategies]]` entry alone.\n"
    );
    let _ = writeln!(
        out,
        "## Parameters\n\n```toml\n{}```",
        toml::to_string(&holdout.table).unwrap_or_default()
    );
    let _ = euros; // amounts in the sentences are formatted by `policy_in_words`
    out
}

/// What is printed: the report's words and the comparison, without the tables.
fn summary_text(report: &str) -> String {
    report
        .lines()
        .filter(|line| !line.starts_with('|') && !line.starts_with("```"))
        .take_while(|line| !line.starts_with("## Re-check"))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn manifest_json(searched: &Searched) -> Result<Vec<u8>, CliError> {
    let json = serde_json::json!({
        "fundsim_version": crate::VERSION,
        "command": "optimize",
        "scenario_origin": searched.loaded.origin,
        "scenario_hash": searched.loaded.scenario.hash(),
        "metric": searched.quantity.name(),
        "goal": searched.goal.name(),
        "family": searched.space.fixed.get("rule").and_then(|r| r.as_str()),
        "search_seed": searched.scenario.run.seed,
        "replications_per_evaluation": searched.scenario.run.replications,
        "evaluations": searched.state.evaluations(),
        "population": searched.state.population(),
        "generations": searched.state.generations,
        "holdout_seed": searched.holdout.seed,
        "holdout_replications": searched.holdout.replications,
        "parameter_sets": searched.holdout.parameter_sets,
        "named_strategies_on_search_seed": searched.named_run.strategies.len(),
        "threads": searched.threads,
        "seconds": searched.started.elapsed().as_secs_f64(),
    });
    serde_json::to_vec_pretty(&json).map_err(|e| CliError::Failure(e.to_string()))
}
