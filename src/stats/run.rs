//! Accumulators of a whole run: every strategy's outcomes folded replication by
//! replication, in memory that does not grow with the number of replications.

use serde::{Deserialize, Serialize};

use super::{MeanVar, QuantileSketch, gini};
use crate::model::Trajectory;

/// The scalar outcomes of one replication of one strategy, in `summary.csv` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    SurvivalAtHorizon,
    AliveAtHorizon,
    WeightedSurvivalAtHorizon,
    Abandonments,
    ProjectYearsSurvived,
    MaintainersAtHorizon,
    BacklogAtHorizon,
    OpenVulnerabilitiesAtHorizon,
    MedianTimeToFixMonths,
    ShareFixedWithin3Months,
    TotalPaidEur,
    OverheadEur,
    GiniAllocation,
    ShareFunded,
}

impl Metric {
    pub const ALL: [Metric; 14] = [
        Self::SurvivalAtHorizon,
        Self::AliveAtHorizon,
        Self::WeightedSurvivalAtHorizon,
        Self::Abandonments,
        Self::ProjectYearsSurvived,
        Self::MaintainersAtHorizon,
        Self::BacklogAtHorizon,
        Self::OpenVulnerabilitiesAtHorizon,
        Self::MedianTimeToFixMonths,
        Self::ShareFixedWithin3Months,
        Self::TotalPaidEur,
        Self::OverheadEur,
        Self::GiniAllocation,
        Self::ShareFunded,
    ];

    /// The name in `summary.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SurvivalAtHorizon => "survival_at_horizon",
            Self::AliveAtHorizon => "alive_at_horizon",
            Self::WeightedSurvivalAtHorizon => "weighted_survival_at_horizon",
            Self::Abandonments => "abandonments",
            Self::ProjectYearsSurvived => "project_years_survived",
            Self::MaintainersAtHorizon => "maintainers_at_horizon",
            Self::BacklogAtHorizon => "backlog_at_horizon_pm",
            Self::OpenVulnerabilitiesAtHorizon => "open_vulnerabilities_at_horizon",
            Self::MedianTimeToFixMonths => "median_time_to_fix_months",
            Self::ShareFixedWithin3Months => "share_fixed_within_3_months",
            Self::TotalPaidEur => "total_paid_eur",
            Self::OverheadEur => "overhead_eur",
            Self::GiniAllocation => "gini_allocation",
            Self::ShareFunded => "share_funded",
        }
    }

    /// What the metric means, with its unit (for `--help`, docs and the brief).
    pub fn description(self) -> &'static str {
        match self {
            Self::SurvivalAtHorizon => "share of projects never abandoned by the horizon",
            Self::AliveAtHorizon => {
                "share of projects not abandoned at the horizon (revivals count)"
            }
            Self::WeightedSurvivalAtHorizon => {
                "share of dependents (usage) in projects never abandoned by the horizon"
            }
            Self::Abandonments => "projects abandoned at least once by the horizon (count)",
            Self::ProjectYearsSurvived => {
                "project-years before first abandonment, summed over the portfolio"
            }
            Self::MaintainersAtHorizon => "active maintainers per project at the horizon",
            Self::BacklogAtHorizon => "backlog per project at the horizon (person-months)",
            Self::OpenVulnerabilitiesAtHorizon => "open vulnerabilities per project at the horizon",
            Self::MedianTimeToFixMonths => {
                "median months from a vulnerability's arrival to its fix (0 = same month)"
            }
            Self::ShareFixedWithin3Months => {
                "share of fixed vulnerabilities fixed less than 3 months after arrival"
            }
            Self::TotalPaidEur => "money paid to projects (EUR)",
            Self::OverheadEur => "fund overhead (EUR)",
            Self::GiniAllocation => "Gini coefficient of the money received per project",
            Self::ShareFunded => "share of projects that received any money",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The value of this metric in one replication; `None` when undefined (e.g. a median
    /// time-to-fix without any fix).
    fn of(self, t: &Trajectory, fixes: &FixSummary) -> Option<f64> {
        let projects = t.first_abandoned.len() as f64;
        let last = t.surviving.len() - 1;
        Some(match self {
            Self::SurvivalAtHorizon => f64::from(t.surviving[last]) / projects,
            Self::AliveAtHorizon => f64::from(t.alive[last]) / projects,
            Self::WeightedSurvivalAtHorizon => t.weighted_surviving[last],
            Self::Abandonments => t.first_abandoned.iter().filter(|a| a.is_some()).count() as f64,
            Self::ProjectYearsSurvived => {
                t.surviving_months
                    .iter()
                    .map(|&m| f64::from(m))
                    .sum::<f64>()
                    / 12.0
            }
            Self::MaintainersAtHorizon => t.maintainers[last],
            Self::BacklogAtHorizon => t.backlog[last],
            Self::OpenVulnerabilitiesAtHorizon => t.open_vulnerabilities[last],
            Self::MedianTimeToFixMonths => fixes.median?,
            Self::ShareFixedWithin3Months => fixes.within_3_months?,
            Self::TotalPaidEur => t.paid_eur,
            Self::OverheadEur => t.overhead_eur,
            Self::GiniAllocation => gini(&t.received_eur),
            Self::ShareFunded => {
                t.received_eur.iter().filter(|&&r| r > 0.0).count() as f64 / projects
            }
        })
    }
}

/// The per-month quantities summarised by percentiles in `timeseries.csv`.
pub const SERIES: [&str; 4] = [
    "maintainers_per_project",
    "backlog_per_project_pm",
    "open_vulnerabilities_per_project",
    "fund_money_spent_eur",
];

fn series_of(t: &Trajectory, series: usize) -> &[f64] {
    match series {
        0 => &t.maintainers,
        1 => &t.backlog,
        2 => &t.open_vulnerabilities,
        _ => &t.spent_eur,
    }
}

struct FixSummary {
    median: Option<f64>,
    within_3_months: Option<f64>,
}

impl FixSummary {
    fn of(fix_times: &[u32], scratch: &mut Vec<u32>) -> Self {
        if fix_times.is_empty() {
            return Self {
                median: None,
                within_3_months: None,
            };
        }
        scratch.clear();
        scratch.extend_from_slice(fix_times);
        scratch.sort_unstable();
        let n = scratch.len();
        let median = if n % 2 == 1 {
            f64::from(scratch[n / 2])
        } else {
            (f64::from(scratch[n / 2 - 1]) + f64::from(scratch[n / 2])) / 2.0
        };
        let within = scratch.iter().filter(|&&t| t < 3).count() as f64 / n as f64;
        Self {
            median: Some(median),
            within_3_months: Some(within),
        }
    }
}

/// A per-month survival curve: mean and variance across replications of the share, plus
/// pooled counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurvivalSeries {
    pub surviving: Vec<MeanVar>,
    pub alive: Vec<MeanVar>,
    pub weighted_surviving: Vec<MeanVar>,
    /// Σ over replications of the projects not yet abandoned at each month.
    pub surviving_total: Vec<u64>,
}

/// Everything accumulated for one strategy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyAccumulator {
    pub replications: u64,
    /// One per [`Metric::ALL`] entry.
    pub metrics: Vec<MeanVar>,
    pub survival: SurvivalSeries,
    /// `series_mean[s][month]` and `series_sketch[s][month]`, s indexing [`SERIES`].
    pub series_mean: Vec<Vec<MeanVar>>,
    pub series_sketch: Vec<Vec<QuantileSketch>>,
    /// Per project: replications in which it was abandoned at least once.
    pub abandoned: Vec<u64>,
    /// Per project: Σ money received (EUR).
    pub received_eur: Vec<f64>,
    /// Per project: Σ maintainers at the horizon.
    pub maintainers_end: Vec<u64>,
    /// Per call × project: Σ money granted (EUR).
    pub allocations: Vec<f64>,
}

impl StrategyAccumulator {
    pub fn new(months: usize, projects: usize, calls: usize) -> Self {
        let points = months + 1;
        Self {
            replications: 0,
            metrics: vec![MeanVar::default(); Metric::ALL.len()],
            survival: SurvivalSeries {
                surviving: vec![MeanVar::default(); points],
                alive: vec![MeanVar::default(); points],
                weighted_surviving: vec![MeanVar::default(); points],
                surviving_total: vec![0; points],
            },
            series_mean: vec![vec![MeanVar::default(); points]; SERIES.len()],
            series_sketch: vec![vec![QuantileSketch::default(); points]; SERIES.len()],
            abandoned: vec![0; projects],
            received_eur: vec![0.0; projects],
            maintainers_end: vec![0; projects],
            allocations: vec![0.0; calls * projects],
        }
    }

    /// Folds in one replication.
    pub fn add(&mut self, t: &Trajectory, scratch: &mut Vec<u32>) {
        self.replications += 1;
        let projects = t.first_abandoned.len() as f64;
        let fixes = FixSummary::of(&t.fix_times, scratch);
        for (metric, acc) in Metric::ALL.iter().zip(&mut self.metrics) {
            if let Some(value) = metric.of(t, &fixes) {
                acc.add(value);
            }
        }
        let survival = &mut self.survival;
        for month in 0..t.surviving.len() {
            survival.surviving[month].add(f64::from(t.surviving[month]) / projects);
            survival.alive[month].add(f64::from(t.alive[month]) / projects);
            survival.weighted_surviving[month].add(t.weighted_surviving[month]);
            survival.surviving_total[month] += u64::from(t.surviving[month]);
        }
        for series in 0..SERIES.len() {
            for (month, &value) in series_of(t, series).iter().enumerate() {
                self.series_mean[series][month].add(value);
                self.series_sketch[series][month].add(value);
            }
        }
        for (project, abandoned) in t.first_abandoned.iter().enumerate() {
            self.abandoned[project] += u64::from(abandoned.is_some());
            self.received_eur[project] += t.received_eur[project];
            self.maintainers_end[project] += u64::from(t.maintainers_end[project]);
        }
        for (sum, amount) in self.allocations.iter_mut().zip(&t.allocations) {
            *sum += amount;
        }
    }

    /// Merges another accumulator of the same shape (fixed order: self, then other).
    pub fn merge(&mut self, other: &Self) {
        self.replications += other.replications;
        merge_each(&mut self.metrics, &other.metrics, MeanVar::merge);
        let (mine, theirs) = (&mut self.survival, &other.survival);
        merge_each(&mut mine.surviving, &theirs.surviving, MeanVar::merge);
        merge_each(&mut mine.alive, &theirs.alive, MeanVar::merge);
        merge_each(
            &mut mine.weighted_surviving,
            &theirs.weighted_surviving,
            MeanVar::merge,
        );
        merge_each(
            &mut mine.surviving_total,
            &theirs.surviving_total,
            |a, b| *a += b,
        );
        for (mine, theirs) in self.series_mean.iter_mut().zip(&other.series_mean) {
            merge_each(mine, theirs, MeanVar::merge);
        }
        for (mine, theirs) in self.series_sketch.iter_mut().zip(&other.series_sketch) {
            merge_each(mine, theirs, QuantileSketch::merge);
        }
        merge_each(&mut self.abandoned, &other.abandoned, |a, b| *a += b);
        merge_each(&mut self.received_eur, &other.received_eur, |a, b| *a += b);
        merge_each(&mut self.maintainers_end, &other.maintainers_end, |a, b| {
            *a += b
        });
        merge_each(&mut self.allocations, &other.allocations, |a, b| *a += b);
    }

    pub fn metric(&self, metric: Metric) -> &MeanVar {
        &self.metrics[Metric::ALL
            .iter()
            .position(|&m| m == metric)
            .expect("every metric has a slot")]
    }
}

fn merge_each<T>(mine: &mut [T], theirs: &[T], merge: impl Fn(&mut T, &T)) {
    assert_eq!(
        mine.len(),
        theirs.len(),
        "accumulators of different shapes cannot merge"
    );
    mine.iter_mut().zip(theirs).for_each(|(a, b)| merge(a, b));
}

/// The accumulators of every strategy of a run, in scenario order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunAccumulator {
    pub strategies: Vec<StrategyAccumulator>,
}

impl RunAccumulator {
    pub fn new(strategies: usize, months: usize, projects: usize, calls: usize) -> Self {
        Self {
            strategies: vec![StrategyAccumulator::new(months, projects, calls); strategies],
        }
    }

    /// Folds in one replication: one trajectory per strategy, in scenario order.
    pub fn add_replication(&mut self, trajectories: &[Trajectory], scratch: &mut Vec<u32>) {
        for (acc, t) in self.strategies.iter_mut().zip(trajectories) {
            acc.add(t, scratch);
        }
    }

    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.strategies.iter_mut().zip(&other.strategies) {
            mine.merge(theirs);
        }
    }

    pub fn replications(&self) -> u64 {
        self.strategies.first().map_or(0, |s| s.replications)
    }
}
