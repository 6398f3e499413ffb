//! `ranking.csv`: every summary metric of a run ranked with the one verdict logic
//! ([`crate::analysis::verdict`]), so that the brief, `compare` and anyone reading the
//! folder get the same verdict on the same run.

use super::files::csv_bytes;
use super::tables::number;
use crate::analysis::verdict::judge_summary;
use crate::engine::RunResult;
use crate::scenario::Scenario;

/// The columns of `ranking.csv`.
pub const RANKING_COLUMNS: [&str; 10] = [
    "metric",
    "rank",
    "strategy",
    "mean",
    "difference_to_best",
    "ci_low",
    "ci_high",
    "practical_threshold",
    "verdict",
    "paired",
];

/// `ranking.csv`: one row per metric of `summary.csv` and strategy, best first within a
/// metric: the strategy's mean, its difference to the best with the 95% interval of that
/// difference (paired within replications where `paired` is true), the practical
/// threshold in the metric's unit, and the verdict (`best`, `identical`, `cannot be told
/// apart`, `practically equal`, `clearly behind`). A strategy for which the metric is
/// undefined (the baseline's cost per abandonment averted) has no row.
pub fn ranking_csv(scenario: &Scenario, result: &RunResult) -> Vec<u8> {
    let names: Vec<String> = scenario.strategies.iter().map(|s| s.name.clone()).collect();
    let judgements = judge_summary(
        &result.accumulator,
        &names,
        scenario.fund.horizon_months,
        &scenario.practical_differences(),
    );
    let rows = judgements.iter().flat_map(|judgement| {
        judgement.rows.iter().map(move |row| {
            vec![
                judgement.metric.clone(),
                row.rank.to_string(),
                row.strategy.clone(),
                number(row.mean),
                number(row.to_best.mean),
                number(row.to_best.low),
                number(row.to_best.high),
                number(judgement.threshold.value),
                row.verdict.label().to_string(),
                judgement.paired.to_string(),
            ]
        })
    });
    csv_bytes(&RANKING_COLUMNS, rows)
}
