//! The tables a run with uncertainty adds to its folder: the spread of every quantity
//! across parameter sets, the decision table, what would change the answer, the drawn
//! parameter sets and every set's means.

use super::OutputError;
use super::StagedRun;
use super::files::csv_bytes;
use super::tables::number;
use crate::analysis::robustness::Robustness;
use crate::engine::{ParameterWorlds, RunResult};
use crate::scenario::Scenario;
use crate::stats::{Metric, SetQuantity};

/// The files of a run with uncertainty, in the order they are written.
pub const UNCERTAINTY_TABLES: [&str; 5] = [
    "uncertainty.csv",
    "decision.csv",
    "what_would_change.csv",
    "parameter_sets.csv",
    "set_means.csv",
];

/// Writes the uncertainty tables of a run into the staging folder.
///
/// # Errors
/// [`OutputError::Io`] when a file cannot be written.
pub fn write_uncertainty_tables(
    staged: &StagedRun,
    scenario: &Scenario,
    result: &RunResult,
    worlds: &ParameterWorlds,
    robustness: &Robustness,
) -> Result<(), OutputError> {
    let tables = [
        uncertainty_csv(scenario, robustness),
        decision_csv(scenario, robustness),
        what_would_change_csv(scenario, robustness),
        parameter_sets_csv(result, worlds),
        set_means_csv(scenario, result),
    ];
    for (name, bytes) in UNCERTAINTY_TABLES.iter().zip(tables) {
        staged.write(name, &bytes)?;
    }
    Ok(())
}

/// `uncertainty.csv`: `strategy,metric,mean,p05,p50,p95,share_parameter`: the mean over
/// every replication, the 5th, 50th and 95th percentiles across parameter sets of the
/// set means (corrected for the Monte Carlo noise within a set), and the share of a
/// replication's variance that comes from the parameters.
pub fn uncertainty_csv(scenario: &Scenario, robustness: &Robustness) -> Vec<u8> {
    let rows = scenario
        .strategies
        .iter()
        .enumerate()
        .flat_map(|(s, strategy)| {
            robustness.quantities.iter().map(move |q| {
                let spread = &q.spreads[s];
                let mut row = vec![strategy.name.clone(), q.quantity.name().to_string()];
                row.extend(
                    [
                        spread.mean,
                        spread.p05,
                        spread.p50,
                        spread.p95,
                        spread.share_parameter.unwrap_or(f64::NAN),
                    ]
                    .map(number),
                );
                row
            })
        });
    csv_bytes(
        &[
            "strategy",
            "metric",
            "mean",
            "p05",
            "p50",
            "p95",
            "share_parameter",
        ],
        rows,
    )
}

/// `decision.csv`: `metric,strategy,p_best,p_beats_none,expected_regret`: across
/// parameter sets, the share in which the strategy is best, in which it beats the `none`
/// baseline, and its mean shortfall from the best (in the metric's unit).
pub fn decision_csv(scenario: &Scenario, robustness: &Robustness) -> Vec<u8> {
    let rows = robustness.quantities.iter().flat_map(|q| {
        scenario
            .strategies
            .iter()
            .zip(&q.decisions)
            .map(|(strategy, d)| {
                let mut row = vec![q.quantity.name().to_string(), strategy.name.clone()];
                row.extend([d.p_best, d.p_beats_none, d.expected_regret].map(number));
                row
            })
    });
    csv_bytes(
        &[
            "metric",
            "strategy",
            "p_best",
            "p_beats_none",
            "expected_regret",
        ],
        rows,
    )
}

/// `what_would_change.csv`: per metric, the strategy most often best and the uncertain
/// field whose threshold best separates the parameter sets where it is best from those
/// where it is not (empty when none does), with the sentence the brief quotes.
pub fn what_would_change_csv(scenario: &Scenario, robustness: &Robustness) -> Vec<u8> {
    let rows = robustness.quantities.iter().map(|q| {
        let top = &scenario.strategies[q.top].name;
        let mut row = vec![q.quantity.name().to_string(), top.clone()];
        match &q.switch {
            Some(switch) => {
                row.push(switch.path.clone());
                row.push(number(switch.threshold));
                row.push(if switch.loses_below { "below" } else { "above" }.into());
                row.extend([switch.win_share_below, switch.win_share_above].map(number));
                row.extend([switch.sets_below, switch.sets_above].map(|n| n.to_string()));
                row.push(switch.sentence(top));
            }
            None => row.extend(std::iter::repeat_n(String::new(), 8)),
        }
        row
    });
    csv_bytes(
        &[
            "metric",
            "strategy",
            "parameter",
            "threshold",
            "stops_being_best",
            "best_share_below",
            "best_share_above",
            "sets_below",
            "sets_above",
            "sentence",
        ],
        rows,
    )
}

/// `parameter_sets.csv`: `set,replications,<field>…`: every parameter set's values.
pub fn parameter_sets_csv(result: &RunResult, worlds: &ParameterWorlds) -> Vec<u8> {
    let always = SetQuantity::Metric(Metric::SurvivalAtHorizon);
    let mut header = vec!["set", "replications"];
    header.extend(worlds.paths.iter().map(String::as_str));
    let rows = worlds.sets.iter().enumerate().map(|(set, world)| {
        let replications = match result.accumulator.parameter_sets() > set {
            true => result.accumulator.in_set(set, 0, always).count,
            false => 0,
        };
        let mut row = vec![set.to_string(), replications.to_string()];
        row.extend(world.values.iter().map(|&v| number(v)));
        row
    });
    csv_bytes(&header, rows)
}

/// `set_means.csv`: `set,strategy,metric,replications,mean,sd`: every quantity within
/// every parameter set, for analyses of your own (e.g. a regression on the values of
/// `parameter_sets.csv`).
pub fn set_means_csv(scenario: &Scenario, result: &RunResult) -> Vec<u8> {
    let acc = &result.accumulator;
    let rows = (0..acc.parameter_sets()).flat_map(|set| {
        scenario
            .strategies
            .iter()
            .enumerate()
            .flat_map(move |(s, strategy)| {
                SetQuantity::all().map(move |quantity| {
                    let cell = acc.in_set(set, s, quantity);
                    let sd = if cell.count >= 2 {
                        cell.variance().sqrt()
                    } else {
                        f64::NAN
                    };
                    vec![
                        set.to_string(),
                        strategy.name.clone(),
                        quantity.name().to_string(),
                        cell.count.to_string(),
                        number(cell.mean_or_nan()),
                        number(sd),
                    ]
                })
            })
    });
    csv_bytes(
        &["set", "strategy", "metric", "replications", "mean", "sd"],
        rows,
    )
}
