//! The run folder's tidy CSV tables, each rendered to bytes from a [`RunResult`].
//! Undefined values (e.g. a median time-to-fix without any fix) are empty cells, which
//! R and pandas both read as missing.

use super::files::csv_bytes;
use crate::engine::RunResult;
use crate::scenario::Scenario;
use crate::stats::SERIES;

/// A number as text: shortest exact representation, empty when undefined.
pub fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value}")
    } else {
        String::new()
    }
}

/// `summary.csv`: `strategy,metric,mean,ci_low,ci_high,mcse`, one row per strategy and
/// metric; the interval is the 95% confidence interval of the mean (for paired metrics,
/// of the mean paired difference; for cost ratios, by the delta method).
pub fn summary_csv(scenario: &Scenario, result: &RunResult) -> Vec<u8> {
    let strategies = scenario
        .strategies
        .iter()
        .zip(&result.accumulator.strategies);
    let rows = strategies.flat_map(|(strategy, acc)| {
        acc.summary().into_iter().map(move |(metric, e)| {
            let numbers = [e.mean, e.low, e.high, e.mcse].map(number);
            let mut row = vec![strategy.name.clone(), metric.to_string()];
            row.extend(numbers);
            row
        })
    });
    csv_bytes(
        &["strategy", "metric", "mean", "ci_low", "ci_high", "mcse"],
        rows,
    )
}

/// `survival.csv`: per strategy and month, the shares not yet abandoned, alive and
/// usage-weighted, with 95% intervals of the mean; `at_risk` and `events` are pooled
/// over replications (projects not yet abandoned at the start of the month, and first
/// abandonments during it; none at the horizon month, where follow-up is censored).
pub fn survival_csv(scenario: &Scenario, result: &RunResult) -> Vec<u8> {
    let rows = scenario
        .strategies
        .iter()
        .zip(&result.accumulator.strategies)
        .flat_map(|(strategy, acc)| {
            let survival = &acc.survival;
            let months = survival.surviving.len();
            (0..months).map(move |month| {
                let mut row = vec![strategy.name.clone(), month.to_string()];
                for series in [
                    &survival.surviving,
                    &survival.alive,
                    &survival.weighted_surviving,
                ] {
                    let (low, high) = series[month].ci95();
                    row.extend([
                        number(series[month].mean_or_nan()),
                        number(low),
                        number(high),
                    ]);
                }
                let at_risk = survival.surviving_total[month];
                let events = survival
                    .surviving_total
                    .get(month + 1)
                    .map_or(0, |next| at_risk - next);
                row.extend([at_risk.to_string(), events.to_string()]);
                row
            })
        });
    csv_bytes(
        &[
            "strategy",
            "month",
            "surviving",
            "surviving_ci_low",
            "surviving_ci_high",
            "alive",
            "alive_ci_low",
            "alive_ci_high",
            "weighted_surviving",
            "weighted_surviving_ci_low",
            "weighted_surviving_ci_high",
            "at_risk",
            "events",
        ],
        rows,
    )
}

/// `timeseries.csv`: per strategy, month and series, the mean and the 5th, 50th and 95th
/// percentiles over replications. The percentiles are approximate (within 2% of the
/// exact order statistic, exact for a value every replication shares) and never put the
/// mean outside the 5th–95th band by their own error ([`crate::stats::QuantileSketch::band`]).
pub fn timeseries_csv(scenario: &Scenario, result: &RunResult) -> Vec<u8> {
    let rows = scenario
        .strategies
        .iter()
        .zip(&result.accumulator.strategies)
        .flat_map(|(strategy, acc)| {
            let months = acc.survival.surviving.len();
            (0..months).flat_map(move |month| {
                SERIES.iter().enumerate().map(move |(series, name)| {
                    let mean = acc.series_mean[series][month].mean_or_nan();
                    let [p05, p50, p95] = acc.series_sketch[series][month].band(mean);
                    vec![
                        strategy.name.clone(),
                        month.to_string(),
                        (*name).to_string(),
                        number(mean),
                        number(p05),
                        number(p50),
                        number(p95),
                    ]
                })
            })
        });
    csv_bytes(
        &["strategy", "month", "metric", "mean", "p05", "p50", "p95"],
        rows,
    )
}

/// `projects.csv`: per strategy and project, the probability of abandonment by the
/// horizon, the expected money received and the expected maintainers at the horizon.
pub fn projects_csv(scenario: &Scenario, result: &RunResult) -> Vec<u8> {
    let rows = scenario
        .strategies
        .iter()
        .zip(&result.accumulator.strategies)
        .flat_map(|(strategy, acc)| {
            let n = acc.replications.max(1) as f64;
            result
                .portfolio
                .projects
                .iter()
                .enumerate()
                .map(move |(i, project)| {
                    vec![
                        strategy.name.clone(),
                        project.name.clone(),
                        number(project.dependents),
                        project.maintainers.to_string(),
                        number(acc.abandoned[i] as f64 / n),
                        number(acc.received_eur[i] / n),
                        number(acc.maintainers_end[i] as f64 / n),
                    ]
                })
        });
    csv_bytes(
        &[
            "strategy",
            "project",
            "dependents",
            "maintainers_start",
            "p_abandoned",
            "mean_received_eur",
            "mean_maintainers_end",
        ],
        rows,
    )
}

/// `allocations.csv`: per strategy, call and project, the mean amount granted (EUR,
/// zero included, so the rows of a call sum to its mean spending).
pub fn allocations_csv(scenario: &Scenario, result: &RunResult) -> Vec<u8> {
    let projects = &result.portfolio.projects;
    let rows = scenario
        .strategies
        .iter()
        .zip(&result.accumulator.strategies)
        .flat_map(|(strategy, acc)| {
            let n = acc.replications.max(1) as f64;
            strategy
                .timing
                .call_months(&scenario.fund)
                .into_iter()
                .enumerate()
                .flat_map(move |(call, month)| {
                    projects.iter().enumerate().map(move |(i, project)| {
                        vec![
                            strategy.name.clone(),
                            call.to_string(),
                            month.to_string(),
                            project.name.clone(),
                            number(acc.allocations[call * projects.len() + i] / n),
                        ]
                    })
                })
        });
    csv_bytes(
        &["strategy", "call", "month", "project", "mean_amount_eur"],
        rows,
    )
}
