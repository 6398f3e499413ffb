//! `ranking.csv` read back, and the verdict on a metric as the brief gives it: from
//! `ranking.csv` when the folder has one, else (a folder written before it existed) from
//! `summary.csv` with unpaired intervals, through the same verdict logic.

use super::RunData;
use super::ranking_table::RankingRow;
use crate::analysis::verdict::{
    Entry, Judgement, Measure, Ranked, Threshold, Unit, Verdict, judge, order,
};
use crate::stats::Estimate;

impl RunData {
    /// Projects in the portfolio: distinct names in `projects.csv`, else the scenario's
    /// synthetic count.
    pub fn portfolio_projects(&self) -> usize {
        match self.project_count() {
            0 => self
                .info
                .scenario
                .pointer("/portfolio/synthetic/projects")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0) as usize,
            n => n,
        }
    }

    /// The scenario's practical threshold for `metric`, when its `[verdict]` table sets one.
    fn practical_override(&self, metric: &str) -> Option<f64> {
        self.info
            .scenario
            .pointer("/verdict/practical_difference")?
            .get(metric)?
            .as_f64()
    }

    /// The verdict on `metric` (a metric of `summary.csv`) for every strategy with a
    /// value, best first: `ranking.csv`'s verdicts, or for an older folder without it,
    /// the same logic applied to `summary.csv` with unpaired intervals.
    pub fn judgement(&self, metric: &str) -> Option<Judgement> {
        match &self.ranking {
            Some(rows) => self.judgement_from_ranking(rows, metric),
            None => self.judgement_from_summary(metric),
        }
    }

    fn judgement_from_ranking(&self, rows: &[RankingRow], metric: &str) -> Option<Judgement> {
        let mut rows: Vec<&RankingRow> = rows.iter().filter(|r| r.metric == metric).collect();
        rows.sort_by_key(|r| r.rank);
        let first = rows.first()?;
        let higher_is_better =
            Measure::parse(metric, self.info.horizon_months).map_or(true, |m| m.higher_is_better());
        let threshold = Threshold {
            value: first.practical_threshold.unwrap_or(0.0),
            unit: Unit::of(metric),
            projects: self.portfolio_projects(),
            from_scenario: self.practical_override(metric).is_some(),
        };
        let ranked = rows
            .iter()
            .map(|r| {
                let to_best = Estimate {
                    mean: r.difference_to_best.unwrap_or(f64::NAN),
                    low: r.ci_low.unwrap_or(f64::NAN),
                    high: r.ci_high.unwrap_or(f64::NAN),
                    mcse: f64::NAN,
                };
                Some(Ranked {
                    rank: r.rank,
                    strategy: r.strategy.clone(),
                    mean: r.mean.unwrap_or(f64::NAN),
                    to_best,
                    verdict: Verdict::from_label(&r.verdict)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Judgement {
            metric: metric.to_string(),
            higher_is_better,
            paired: rows.iter().all(|r| r.paired.unwrap_or(false)),
            threshold,
            rows: ranked,
        })
    }

    fn judgement_from_summary(&self, metric: &str) -> Option<Judgement> {
        let higher_is_better =
            Measure::parse(metric, self.info.horizon_months).map_or(true, |m| m.higher_is_better());
        let estimates: Vec<(f64, f64)> = self
            .strategies
            .iter()
            .map(|s| {
                let e = self.metric(s, metric);
                (
                    e.and_then(|e| e.mean).unwrap_or(f64::NAN),
                    e.and_then(|e| e.mcse).unwrap_or(f64::NAN),
                )
            })
            .collect();
        let means: Vec<f64> = estimates.iter().map(|e| e.0).collect();
        let order = order(&means, higher_is_better);
        let &best = order.first()?;
        let overrides = self
            .practical_override(metric)
            .map(|v| [(metric.to_string(), v)].into_iter().collect())
            .unwrap_or_default();
        let threshold = Threshold::of(metric, means[best], self.portfolio_projects(), &overrides);
        let entries = order
            .iter()
            .map(|&i| Entry {
                strategy: self.strategies[i].clone(),
                mean: means[i],
                to_best: Estimate::normal(
                    means[i] - means[best],
                    estimates[i].1.hypot(estimates[best].1),
                ),
            })
            .collect();
        Some(judge(metric, higher_is_better, false, threshold, entries))
    }
}
