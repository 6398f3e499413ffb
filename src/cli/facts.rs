//! `fundsim facts [SCENARIO]`: the stylised facts of `facts.toml` against the scenario's
//! unfunded baseline: published value, model mean with its interval, the one-study range
//! and the verdict (docs/calibration.md).

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::args::SimulationArgs;
use super::common::worker_pool;
use super::error::CliError;
use super::overrides::{apply, scenario_text};
use crate::analysis::facts::{
    BUILTIN_FACTS, Conflict, Evaluated, Evaluation, FACTS_SCENARIO, Facts, evaluate,
};
use crate::input::{LoadedScenario, load_portfolio, load_scenario};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
#[command(mut_arg("scenario", |arg| arg.help(
    "Scenario file, or the name of a built-in scenario [default: the popular-projects baseline the facts were published for]"
)))]
pub struct FactsArgs {
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// A facts file in the format of the repository's facts.toml [default: the built-in facts].
    #[arg(long)]
    pub facts: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// The evaluation with the conflicts among the facts, as `--format json` writes it.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    evaluation: &'a Evaluation,
    conflicts: &'a [Conflict],
}

/// The facts of `path`, or the built-in facts, with the text they were read from.
///
/// # Errors
/// [`CliError::Usage`] naming the file when it cannot be read, and the key at fault when
/// it is not a valid facts file.
pub(super) fn read_facts(path: Option<&Path>) -> Result<(Facts, String), CliError> {
    match path {
        None => Ok((Facts::builtin(), BUILTIN_FACTS.to_string())),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                CliError::Usage(format!("cannot read {}: {error}", path.display()))
            })?;
            let facts = Facts::parse(&text, &path.display().to_string())
                .map_err(|error| CliError::Usage(error.to_string()))?;
            Ok((facts, text))
        }
    }
}

pub fn execute(args: FactsArgs) -> Result<(), CliError> {
    let (facts, _) = read_facts(args.facts.as_deref())?;
    let simulation = &args.simulation;
    let (text, origin, base_dir) = match simulation.scenario.as_deref() {
        None => (
            FACTS_SCENARIO.to_string(),
            "built-in:popular-baseline".to_string(),
            PathBuf::from("."),
        ),
        Some(name) => {
            let loaded = load_scenario(Some(name))?;
            (scenario_text(&loaded)?, loaded.origin, loaded.base_dir)
        }
    };
    let mut scenario = apply(&text, &origin, &simulation.overrides.settings)?;
    if let Some(seed) = simulation.seed {
        scenario.run.seed = seed;
    }
    if let Some(replications) = simulation.replications {
        scenario.run.replications = replications;
    }
    let (replications, seed) = (scenario.run.replications, scenario.run.seed);
    let loaded = LoadedScenario {
        scenario,
        origin,
        base_dir,
        text,
    };
    super::limits::check(
        &loaded.origin,
        &loaded.scenario,
        None,
        simulation.threads,
        simulation.allow_large,
    )?;
    let portfolio = load_portfolio(&loaded, seed)?;
    let pool = worker_pool(simulation.threads)?;
    let evaluation = pool
        .install(|| evaluate(&loaded.scenario, portfolio, &facts, replications, seed))
        .map_err(|error| CliError::Usage(error.to_string()))?;
    match args.format {
        Format::Table => print_table(&evaluation, &facts),
        Format::Csv => print_csv(&evaluation, &facts),
        Format::Json => {
            let report = Report {
                evaluation: &evaluation,
                conflicts: &facts.conflicts,
            };
            let json = serde_json::to_string_pretty(&report)
                .map_err(|error| CliError::Failure(error.to_string()))?;
            println!("{json}");
        }
    }
    Ok(())
}

/// A value as the fact's unit shows it: `16.0%` or `6.0×`.
fn shown(fact: &Evaluated, value: f64) -> String {
    if fact.fact.statistic.is_ratio() {
        format!("{value:.1}×")
    } else {
        format!("{:.1}%", 100.0 * value)
    }
}

fn range(fact: &Evaluated, low: f64, high: f64) -> String {
    if low == high {
        shown(fact, low)
    } else {
        format!("{}–{}", shown(fact, low), shown(fact, high))
    }
}

pub(super) fn print_table(evaluation: &Evaluation, facts: &Facts) {
    println!(
        "Stylised facts of the unfunded baseline: {} ({} projects), {} replications, seed {}",
        evaluation.scenario, evaluation.projects, evaluation.replications, evaluation.seed
    );
    println!(
        "model mean: the model's expected value with its 95% Monte Carlo interval; one study: the 2.5–97.5% range over replications (what one study of this portfolio could see), which the published figure is compared with"
    );
    println!();
    println!(
        "{:<58} {:>13} {:>24} {:>15}  verdict",
        "fact", "published", "model mean (95% CI)", "one study"
    );
    for fact in &evaluation.facts {
        let model = if fact.fact.statistic.is_exact() {
            format!("{} (exact)", shown(fact, fact.model.mean))
        } else {
            format!(
                "{} ({})",
                shown(fact, fact.model.mean),
                range(fact, fact.model.low, fact.model.high)
            )
        };
        let one_study = fact
            .one_study
            .map_or_else(|| "—".to_string(), |(low, high)| range(fact, low, high));
        let conflict = if facts.conflict_of(&fact.fact.id).is_some() {
            " (in conflict: see below)"
        } else {
            ""
        };
        println!(
            "{:<58} {:>13} {:>24} {:>15}  {}{conflict}",
            fact.fact.description,
            range(fact, fact.fact.published[0], fact.fact.published[1]),
            model,
            one_study,
            fact.verdict
        );
    }
    for conflict in &facts.conflicts {
        println!();
        println!(
            "These facts cannot all hold at once ({}): {}",
            conflict.facts.join(", "),
            conflict.reason
        );
    }
    println!();
    println!("Sources:");
    for fact in &evaluation.facts {
        for source in &fact.fact.sources {
            println!("  {}: {source}", fact.fact.id);
        }
    }
}

fn print_csv(evaluation: &Evaluation, facts: &Facts) {
    println!(
        "fact,statistic,published_low,published_high,model_mean,model_ci_low,model_ci_high,one_study_low,one_study_high,verdict,in_conflict"
    );
    let number = |value: f64| format!("{value}");
    for fact in &evaluation.facts {
        let (study_low, study_high) = fact
            .one_study
            .map_or((String::new(), String::new()), |(low, high)| {
                (number(low), number(high))
            });
        println!(
            "{},{},{},{},{},{},{},{},{},{},{}",
            fact.fact.id,
            serde_json::to_value(fact.fact.statistic)
                .ok()
                .and_then(|value| value.as_str().map(str::to_string))
                .unwrap_or_default(),
            number(fact.fact.published[0]),
            number(fact.fact.published[1]),
            number(fact.model.mean),
            number(fact.model.low),
            number(fact.model.high),
            study_low,
            study_high,
            fact.verdict,
            facts.conflict_of(&fact.fact.id).is_some()
        );
    }
}
