//! The one verdict logic every reader of a run uses (the printed table of `fundsim run`,
//! `compare`, `ranking.csv` and the brief): which strategy is best in a quantity, which
//! cannot be told apart from it, which are behind by less than a practical threshold
//! ("practically equal") and which are clearly behind, and the sentence that says so.
//!
//! The statistics are the paired 95% intervals of each strategy's difference to the best
//! (common random numbers: every strategy meets the same random events in a
//! replication). One rule, one sentence builder, so two outputs of the same run can never
//! say opposite things. docs/strategies.md ("The verdict") states the rule for readers.

use std::collections::BTreeMap;

use crate::stats::{Estimate, Metric, Paired, Quantity, RunAccumulator};

/// What can be said of one strategy against the best in one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The best mean (the first in scenario order among equal means).
    Best,
    /// Exactly the same value as the best in every replication (zero difference, zero
    /// variance). When every strategy is identical, every one gets this verdict and none
    /// is best (e.g. a zero budget: no strategy can differ).
    Identical,
    /// The 95% interval of the difference to the best includes zero.
    CannotBeToldApart,
    /// Statistically behind (the interval excludes zero) but by less than the practical
    /// threshold: practically equal.
    BehindByLessThanThreshold,
    /// Behind: the interval excludes zero and the mean gap is at least the threshold.
    ClearlyBehind,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Self::Best,
        Self::Identical,
        Self::CannotBeToldApart,
        Self::BehindByLessThanThreshold,
        Self::ClearlyBehind,
    ];

    /// The words in tables (`compare`, `ranking.csv`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Best => "best",
            Self::Identical => "identical",
            Self::CannotBeToldApart => "cannot be told apart",
            Self::BehindByLessThanThreshold => "practically equal",
            Self::ClearlyBehind => "clearly behind",
        }
    }

    /// The verdict a table's label stands for.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.label() == label)
    }
}

/// The unit a practical threshold is counted in, from the quantity's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share of the portfolio's projects (`survival_*`, `alive_*`, `share_funded`).
    ShareOfProjects,
    /// A share of usage (`weighted_survival_*`).
    ShareOfUsage,
    /// Another share (`share_fixed_within_3_months`: of fixed vulnerabilities).
    Share,
    /// Projects per portfolio (`abandonments`, `abandonments_averted`).
    Projects,
    /// Project-years (`project_years_*`, `weighted_project_years_gained`).
    ProjectYears,
    /// Anything else: a share of the best's own mean.
    Relative,
}

impl Unit {
    pub fn of(metric: &str) -> Self {
        if metric.starts_with("weighted_survival") {
            Self::ShareOfUsage
        } else if metric == "share_fixed_within_3_months" {
            Self::Share
        } else if ["survival_", "alive_", "share_"]
            .iter()
            .any(|prefix| metric.starts_with(prefix))
        {
            Self::ShareOfProjects
        } else if matches!(metric, "abandonments" | "abandonments_averted") {
            Self::Projects
        } else if metric.contains("project_years") {
            Self::ProjectYears
        } else {
            Self::Relative
        }
    }
}

/// The default practical threshold of a [`Unit::Relative`] quantity: 1% of the absolute
/// mean of the best strategy (no unit of its own gives a natural "one").
pub const RELATIVE_THRESHOLD: f64 = 0.01;

/// A practical-significance threshold: a gap to the best below it matters to nobody.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// In the quantity's own unit (0.01 is one percentage point of a share).
    pub value: f64,
    pub unit: Unit,
    /// Projects in the portfolio (to say a share of projects as a count).
    pub projects: usize,
    /// Whether the scenario's `[verdict.practical_difference]` table set it.
    pub from_scenario: bool,
}

impl Threshold {
    /// The threshold of `metric`: the scenario's `overrides` when it names the metric,
    /// else one percentage point of a share, one project, one project-year, or 1% of the
    /// best's absolute mean (`best_mean`).
    pub fn of(
        metric: &str,
        best_mean: f64,
        projects: usize,
        overrides: &BTreeMap<String, f64>,
    ) -> Self {
        let unit = Unit::of(metric);
        let (value, from_scenario) = match overrides.get(metric) {
            Some(&value) => (value, true),
            None => (
                match unit {
                    Unit::ShareOfProjects | Unit::ShareOfUsage | Unit::Share => 0.01,
                    Unit::Projects | Unit::ProjectYears => 1.0,
                    Unit::Relative if best_mean.is_finite() => RELATIVE_THRESHOLD * best_mean.abs(),
                    Unit::Relative => 0.0,
                },
                false,
            ),
        };
        Self {
            value,
            unit,
            projects,
            from_scenario,
        }
    }

    /// The threshold in words: "1 percentage point (0.6 of 62 projects)", "1 project",
    /// "1% of the best's mean (211,500)".
    pub fn words(&self) -> String {
        let v = self.value;
        let points = |v: f64| {
            let p = 100.0 * v;
            format!(
                "{} percentage point{}",
                plain(p),
                if (p - 1.0).abs() < 1e-12 { "" } else { "s" }
            )
        };
        let count = |v: f64, one: &str, many: &str| {
            format!(
                "{} {}",
                plain(v),
                if (v - 1.0).abs() < 1e-12 { one } else { many }
            )
        };
        match self.unit {
            Unit::ShareOfProjects if self.projects > 0 => format!(
                "{} ({} of {} projects)",
                points(v),
                plain(v * self.projects as f64),
                self.projects
            ),
            Unit::ShareOfProjects | Unit::Share => points(v),
            Unit::ShareOfUsage => format!("{} of usage", points(v)),
            Unit::Projects => count(v, "project", "projects"),
            Unit::ProjectYears => count(v, "project-year", "project-years"),
            Unit::Relative if self.from_scenario => plain(v),
            Unit::Relative => format!("1% of the best's mean ({})", plain(v)),
        }
    }
}

/// A number for a sentence: whole numbers with thousands separators above 1,000, else at
/// most three significant decimals, trailing zeros dropped.
fn plain(value: f64) -> String {
    if value.abs() >= 1_000.0 {
        let whole = format!("{:.0}", value.abs());
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        return if value < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        };
    }
    let decimals = if value == 0.0 || value.abs() >= 10.0 {
        1
    } else {
        (2 - value.abs().log10().floor() as i32).clamp(1, 6) as usize
    };
    let text = format!("{value:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One strategy's place in a [`Judgement`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// 1 for the best.
    pub rank: usize,
    pub strategy: String,
    pub mean: f64,
    /// This strategy minus the best, with its 95% interval (paired where
    /// [`Judgement::paired`]).
    pub to_best: Estimate,
    pub verdict: Verdict,
}

/// Every strategy with a defined value of one quantity, best first, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub metric: String,
    pub higher_is_better: bool,
    /// Whether the differences are paired within replications (common random numbers);
    /// otherwise the interval is the unpaired one, wider than it needs to be.
    pub paired: bool,
    pub threshold: Threshold,
    pub rows: Vec<Ranked>,
}

/// One strategy's input to [`judge`].
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub strategy: String,
    pub mean: f64,
    /// This strategy minus the best.
    pub to_best: Estimate,
}

/// The order of `means` from best to worst (indices; undefined means left out); equal
/// means keep their order, so the first strategy in the scenario wins a tie.
pub fn order(means: &[f64], higher_is_better: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..means.len()).filter(|&i| !means[i].is_nan()).collect();
    order.sort_by(|&a, &b| {
        let by = means[b].total_cmp(&means[a]);
        if higher_is_better { by } else { by.reverse() }
    });
    order
}

/// Whether `difference` is exactly zero in every replication.
fn exactly_zero(difference: &Estimate) -> bool {
    difference.mean == 0.0 && difference.mcse == 0.0
}

/// The verdict of every entry; `entries` are best first (see [`order`]), each with its
/// difference to the first. `threshold` is in the quantity's unit.
pub fn verdicts(entries: &[Entry], higher_is_better: bool, threshold: f64) -> Vec<Verdict> {
    let all_identical = entries.len() > 1 && entries[1..].iter().all(|e| exactly_zero(&e.to_best));
    entries
        .iter()
        .enumerate()
        .map(|(position, entry)| {
            let d = &entry.to_best;
            if all_identical {
                Verdict::Identical
            } else if position == 0 {
                Verdict::Best
            } else if exactly_zero(d) {
                Verdict::Identical
            } else {
                let behind = if higher_is_better { -d.mean } else { d.mean };
                let includes_zero = !(d.low > 0.0 || d.high < 0.0);
                // A paired mean can favour the strategy over the best by mean only when
                // the quantity is undefined in some replications; that is no evidence
                // that it is behind.
                if includes_zero || behind.is_nan() || behind <= 0.0 {
                    Verdict::CannotBeToldApart
                } else if behind < threshold {
                    Verdict::BehindByLessThanThreshold
                } else {
                    Verdict::ClearlyBehind
                }
            }
        })
        .collect()
}

/// Judges `entries` (best first, as [`verdicts`] takes them).
pub fn judge(
    metric: &str,
    higher_is_better: bool,
    paired: bool,
    threshold: Threshold,
    entries: Vec<Entry>,
) -> Judgement {
    let verdicts = verdicts(&entries, higher_is_better, threshold.value);
    let rows = entries
        .into_iter()
        .zip(verdicts)
        .enumerate()
        .map(|(position, (entry, verdict))| Ranked {
            rank: position + 1,
            strategy: entry.strategy,
            mean: entry.mean,
            to_best: entry.to_best,
            verdict,
        })
        .collect();
    Judgement {
        metric: metric.to_string(),
        higher_is_better,
        paired,
        threshold,
        rows,
    }
}

fn quoted(name: &str) -> String {
    format!("“{name}”")
}

/// "“a”", "“a” and “b”", "“a”, “b” and “c”".
fn names(rows: &[&Ranked]) -> String {
    let quoted: Vec<String> = rows.iter().map(|r| quoted(&r.strategy)).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

impl Judgement {
    /// Whether every strategy gives exactly the same value in every replication.
    pub fn all_identical(&self) -> bool {
        self.rows.len() > 1 && self.rows.iter().all(|r| r.verdict == Verdict::Identical)
    }

    /// The best strategy, unless every strategy is identical.
    pub fn best(&self) -> Option<&Ranked> {
        self.rows.first().filter(|r| r.verdict == Verdict::Best)
    }

    /// The verdict of `strategy`, when it has a defined value.
    pub fn verdict_of(&self, strategy: &str) -> Option<Verdict> {
        self.rows
            .iter()
            .find(|r| r.strategy == strategy)
            .map(|r| r.verdict)
    }

    fn with(&self, verdict: Verdict) -> Vec<&Ranked> {
        self.rows.iter().filter(|r| r.verdict == verdict).collect()
    }

    /// [`Judgement::sentence`] as it reads after a label and a colon ("Survival at 120 mo:
    /// every strategy gives …"): its first letter in lower case.
    pub fn clause(&self) -> String {
        let sentence = self.sentence();
        let mut chars = sentence.chars();
        match chars.next() {
            Some(first) if first.is_ascii_uppercase() => {
                first.to_ascii_lowercase().to_string() + chars.as_str()
            }
            _ => sentence,
        }
    }

    /// The summary sentence every reader prints (plain text, names in curly quotes):
    /// "“x” is best; clearly ahead of every other strategy." only when every other is
    /// clearly behind; otherwise who cannot be told apart from it, who is behind by less
    /// than the threshold (in words), and whom it is clearly ahead of.
    pub fn sentence(&self) -> String {
        let interval = if self.paired {
            "the paired 95% interval"
        } else {
            "the 95% interval"
        };
        if self.all_identical() {
            return "Every strategy gives exactly the same value in every replication: none does better than another.".to_string();
        }
        let Some(best) = self.rows.first() else {
            return "No strategy has a defined value.".to_string();
        };
        let mut sentence = format!("{} is best", quoted(&best.strategy));
        let identical = self.with(Verdict::Identical);
        if !identical.is_empty() {
            sentence.push_str(&format!(
                " (tied with {}, which {} exactly the same value in every replication)",
                names(&identical),
                if identical.len() == 1 {
                    "gives"
                } else {
                    "give"
                }
            ));
        }
        let others = self.rows.len() - 1 - identical.len();
        let unclear = self.with(Verdict::CannotBeToldApart);
        let close = self.with(Verdict::BehindByLessThanThreshold);
        let behind = self.with(Verdict::ClearlyBehind);
        if others == 0 {
            if identical.is_empty() {
                sentence.push_str(": it is the only strategy with a value");
            }
            sentence.push('.');
            return sentence;
        }
        if behind.len() == others {
            sentence.push_str("; clearly ahead of every other strategy.");
            return sentence;
        }
        if !unclear.is_empty() {
            sentence.push_str(&format!(
                "; {} cannot be told apart from it ({interval} of the difference includes zero; more replications may separate them)",
                names(&unclear)
            ));
        }
        if !close.is_empty() {
            sentence.push_str(&format!(
                "; {} {} behind by less than {}, which is practically equal",
                names(&close),
                if close.len() == 1 { "is" } else { "are" },
                self.threshold.words()
            ));
        }
        if !behind.is_empty() {
            sentence.push_str(&format!("; it is clearly ahead of {}", names(&behind)));
        }
        sentence.push('.');
        sentence
    }
}

/// What a ranking reads from a run's accumulator: one [`Quantity`] (a metric of
/// `summary.csv`, a paired outcome, a cost ratio or survival at a year), judged with the
/// pairing the run keeps for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure(pub Quantity);

impl Measure {
    /// The measure `name` stands for.
    ///
    /// # Errors
    /// A sentence naming the valid choices (a family such as `survival_by_year` names
    /// several quantities: one at a time is ranked).
    pub fn parse(name: &str, horizon_months: u32) -> Result<Self, String> {
        let list = Quantity::parse_list(name, horizon_months)?;
        match list.as_slice() {
            [one] => Ok(Self(*one)),
            _ => Err(format!(
                "names {} quantities, one per year; rank one at a time (e.g. survival_year_{})",
                list.len(),
                list.len()
            )),
        }
    }

    pub fn name(&self) -> String {
        self.0.name()
    }

    pub fn higher_is_better(&self) -> bool {
        self.0.higher_is_better()
    }

    /// The mean and 95% interval of `strategy`.
    pub fn estimate(&self, acc: &RunAccumulator, strategy: usize) -> Estimate {
        self.0.estimate(acc, strategy)
    }

    /// Strategy `i` minus strategy `j`, and whether it is paired within replications.
    /// The paired outcomes against the baseline differ between two strategies exactly as
    /// the metric they count does (abandonments averted: minus the difference in
    /// abandonments), so they are paired too.
    pub fn difference(&self, acc: &RunAccumulator, i: usize, j: usize) -> (Estimate, bool) {
        let (difference, paired) = self.difference_of(acc, i, j);
        if i == j {
            // A strategy against itself differs by nothing, paired or not (an unpaired
            // interval would add its own noise twice).
            return (Estimate::normal(0.0, 0.0), paired);
        }
        (difference, paired)
    }

    fn difference_of(&self, acc: &RunAccumulator, i: usize, j: usize) -> (Estimate, bool) {
        let paired = |metric: Metric| Estimate::of(acc.difference(metric, i, j));
        match self.0 {
            Quantity::Metric(metric) => (paired(metric), true),
            Quantity::Paired(Paired::AbandonmentsAverted) => {
                let d = paired(Metric::Abandonments);
                (
                    Estimate {
                        mean: -d.mean,
                        low: -d.high,
                        high: -d.low,
                        mcse: d.mcse,
                    },
                    true,
                )
            }
            Quantity::Paired(Paired::ProjectYearsGained) => {
                (paired(Metric::ProjectYearsSurvived), true)
            }
            // Survival at a year, the usage-weighted gain and the cost ratios keep no
            // paired variance: the unpaired interval, an upper bound.
            q => (q.difference(acc, i, j), false),
        }
    }

    /// Every strategy (named by `strategies`, in accumulator order) with a defined value,
    /// ranked and judged; `None` when no strategy has one.
    pub fn judge(
        &self,
        acc: &RunAccumulator,
        strategies: &[String],
        projects: usize,
        overrides: &BTreeMap<String, f64>,
    ) -> Option<Judgement> {
        let means: Vec<f64> = (0..acc.strategies.len())
            .map(|i| self.estimate(acc, i).mean)
            .collect();
        let order = order(&means, self.higher_is_better());
        let &best = order.first()?;
        let name = self.name();
        let threshold = Threshold::of(&name, means[best], projects, overrides);
        let mut paired = true;
        let entries = order
            .iter()
            .map(|&i| {
                let (to_best, is_paired) = self.difference(acc, i, best);
                paired &= is_paired;
                Entry {
                    strategy: strategies[i].clone(),
                    mean: means[i],
                    to_best,
                }
            })
            .collect();
        Some(judge(
            &name,
            self.higher_is_better(),
            paired,
            threshold,
            entries,
        ))
    }
}

/// Every summary metric of a run judged, in `summary.csv` order (metrics undefined for
/// every strategy left out): what `ranking.csv` holds.
pub fn judge_summary(
    acc: &RunAccumulator,
    strategies: &[String],
    horizon_months: u32,
    overrides: &BTreeMap<String, f64>,
) -> Vec<Judgement> {
    let projects = acc.strategies.first().map_or(0, |s| s.abandoned.len());
    Quantity::summary_names()
        .into_iter()
        .filter_map(|name| Measure::parse(name, horizon_months).ok())
        .filter_map(|measure| measure.judge(acc, strategies, projects, overrides))
        .collect()
}

#[cfg(test)]
mod tests;
