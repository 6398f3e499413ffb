//! `fundsim validate FILE`: checks a scenario and prints what was understood.

use clap::Args;

use super::error::CliError;
use crate::analysis::caveats::{self, Caveat};
use crate::engine::RunResult;
use crate::input::{LoadedScenario, load_joint_draws, load_portfolio, load_scenario};
use crate::params::PortfolioSpec;
use crate::scenario::Scenario;
use crate::scenario::uncertainty::{FieldKind, PortfolioDraw, Probe, field_kind};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file, or the name of a built-in scenario.
    pub scenario: String,
}

pub fn execute(args: ValidateArgs) -> Result<(), CliError> {
    let loaded = load_scenario(Some(&args.scenario))?;
    let portfolio = load_portfolio(&loaded, loaded.scenario.run.seed)?;
    let uncertainty = describe_uncertainty(&loaded)?;
    let s = &loaded.scenario;
    let fund = &s.fund;
    println!("{}: valid scenario \"{}\"", loaded.origin, s.name);
    if !s.description.is_empty() {
        println!("  {}", s.description);
    }
    println!(
        "fund: EUR {:.0} budget, {} calls every {} months during {} months, horizon {} months",
        fund.budget_eur,
        crate::params::Timing::Even.call_months(fund).len(),
        fund.call_interval_months,
        fund.programme_months,
        fund.horizon_months
    );
    println!(
        "      grants of EUR {:.0} to {:.0} over {} months; overhead EUR {:.0} + {:.1}% per grant; EUR {:.0} per person-month",
        fund.min_grant_eur,
        fund.max_grant_eur,
        fund.grant_duration_months,
        fund.overhead_fixed_eur,
        fund.overhead_share * 100.0,
        fund.person_month_eur
    );
    let source = match &s.portfolio {
        PortfolioSpec::Synthetic(spec) if spec.redraw_per_replication => {
            "synthetic, redrawn every replication".to_string()
        }
        PortfolioSpec::Synthetic(_) => "synthetic, drawn once from the seed".to_string(),
        PortfolioSpec::Csv { path } => format!("from {path}"),
    };
    let projects = &portfolio.projects;
    let singles = projects.iter().filter(|p| p.maintainers == 1).count();
    let mut dependents: Vec<f64> = projects.iter().map(|p| p.dependents).collect();
    dependents.sort_by(f64::total_cmp);
    println!(
        "portfolio: {} projects ({source}); {singles} with one maintainer; median dependents {:.0}, largest {:.0}",
        projects.len(),
        dependents[dependents.len() / 2],
        dependents[dependents.len() - 1]
    );
    println!("strategies:");
    for strategy in &s.strategies {
        let rule = strategy.rule.describe();
        let timing = if strategy.rule.funds() {
            format!(", {}", strategy.timing.name())
        } else {
            String::new()
        };
        println!("  {:<22} {rule}{timing}", strategy.name);
    }
    for line in uncertainty {
        println!("{line}");
    }
    println!(
        "run: {} replications, seed {}",
        s.run.replications, s.run.seed
    );
    println!("scenario hash: {}", s.hash());
    // A warning, not an error: a zero budget is a legitimate reference run.
    print_warnings(&caveats::before_run(s, &portfolio));
    Ok(())
}

/// Prints on stderr what a reader of a finished run must know (strategies that cannot
/// differ, budget left unspent), unless `quiet`. `run` and `compare` call it once their
/// results are in.
pub(super) fn warn_caveats(scenario: &Scenario, result: &RunResult, quiet: bool) {
    if !quiet {
        print_warnings(&caveats::of_run(scenario, result));
    }
}

fn print_warnings(found: &[Caveat]) {
    for caveat in found {
        eprintln!("warning: {}", caveat.sentence());
    }
}

/// What was understood of the `[uncertainty]` table, line by line (nothing without one);
/// reads and checks its joint-draws CSV.
fn describe_uncertainty(loaded: &LoadedScenario) -> Result<Vec<String>, CliError> {
    let Some(spec) = &loaded.scenario.uncertainty else {
        return Ok(Vec::new());
    };
    let joint = load_joint_draws(loaded)?;
    let portfolio = match spec.portfolio {
        PortfolioDraw::Redraw => "a synthetic portfolio redrawn for every set",
        PortfolioDraw::Fixed => "the same portfolio in every set",
    };
    let mut lines = vec![format!(
        "uncertainty: {} parameter sets, {portfolio}",
        spec.parameter_sets
    )];
    let probe = |overrides: &[(&str, f64)]| {
        crate::scenario::parse_with_overrides(&loaded.text, &loaded.origin, overrides).map(|_| ())
    };
    for parameter in &spec.parameters {
        let whole = field_kind(&probe as &Probe, &parameter.path) == Ok(FieldKind::Whole);
        lines.push(format!(
            "  {:<34} {}{}{}",
            parameter.path,
            parameter.distribution.describe(),
            if whole {
                ", rounded to whole numbers"
            } else {
                ""
            },
            if parameter.assumption {
                " [assumption]"
            } else {
                ""
            }
        ));
        if !parameter.source.is_empty() {
            lines.push(format!("  {:<34} source: {}", "", parameter.source));
        }
    }
    for correlation in &spec.correlations {
        let [a, b] = &correlation.between;
        lines.push(format!(
            "  rank correlation {a} ~ {b}: {}",
            correlation.rank
        ));
    }
    if let (Some(written), Some(joint)) = (&spec.joint, &joint) {
        lines.push(format!(
            "  joint draws from {written}: {} rows ({}) of {}",
            joint.rows.len(),
            if joint.weights.is_some() {
                "drawn by weight"
            } else {
                "drawn equally"
            },
            joint.paths.join(", ")
        ));
    }
    Ok(lines)
}
