//! Accumulators of a whole run: every strategy's outcomes folded replication by
//! replication, in memory that does not grow with the number of replications.

use serde::{Deserialize, Serialize};

use super::{CoMoments, Estimate, MeanVar, QuantileSketch, gini};
use crate::model::Trajectory;

mod fixes;
mod paired;

use fixes::FixSummary;
pub use paired::{Paired, RATIOS};

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
    LatentVulnerabilitiesAtHorizon,
    ExposureMonths,
    DiscoveredVulnerabilities,
    FixedVulnerabilities,
    MedianTimeToFixMonths,
    ShareFixedWithin3Months,
    TotalPaidEur,
    OverheadEur,
    GiniAllocation,
    ShareFunded,
    Survival12mAfterProgramme,
    Survival36mAfterProgramme,
    Survival72mAfterProgramme,
}

impl Metric {
    pub const ALL: [Metric; 21] = [
        Self::SurvivalAtHorizon,
        Self::AliveAtHorizon,
        Self::WeightedSurvivalAtHorizon,
        Self::Abandonments,
        Self::ProjectYearsSurvived,
        Self::MaintainersAtHorizon,
        Self::BacklogAtHorizon,
        Self::OpenVulnerabilitiesAtHorizon,
        Self::LatentVulnerabilitiesAtHorizon,
        Self::ExposureMonths,
        Self::DiscoveredVulnerabilities,
        Self::FixedVulnerabilities,
        Self::MedianTimeToFixMonths,
        Self::ShareFixedWithin3Months,
        Self::TotalPaidEur,
        Self::OverheadEur,
        Self::GiniAllocation,
        Self::ShareFunded,
        Self::Survival12mAfterProgramme,
        Self::Survival36mAfterProgramme,
        Self::Survival72mAfterProgramme,
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
            Self::LatentVulnerabilitiesAtHorizon => "latent_vulnerabilities_at_horizon",
            Self::ExposureMonths => "exposure_months",
            Self::DiscoveredVulnerabilities => "discovered_vulnerabilities",
            Self::FixedVulnerabilities => "fixed_vulnerabilities",
            Self::MedianTimeToFixMonths => "median_time_to_fix_months",
            Self::ShareFixedWithin3Months => "share_fixed_within_3_months",
            Self::TotalPaidEur => "total_paid_eur",
            Self::OverheadEur => "overhead_eur",
            Self::GiniAllocation => "gini_allocation",
            Self::ShareFunded => "share_funded",
            Self::Survival12mAfterProgramme => "survival_12m_after_programme",
            Self::Survival36mAfterProgramme => "survival_36m_after_programme",
            Self::Survival72mAfterProgramme => "survival_72m_after_programme",
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
            Self::OpenVulnerabilitiesAtHorizon => {
                "open (discovered, not yet fixed) vulnerabilities per project at the horizon"
            }
            Self::LatentVulnerabilitiesAtHorizon => {
                "latent (introduced, not yet found) vulnerabilities per project at the horizon"
            }
            Self::ExposureMonths => {
                "months discovered vulnerabilities stay open, summed per project over the horizon"
            }
            Self::DiscoveredVulnerabilities => "vulnerabilities found per project over the horizon",
            Self::FixedVulnerabilities => "vulnerabilities fixed per project over the horizon",
            Self::MedianTimeToFixMonths => {
                "median months from a vulnerability's discovery to its fix (1 = fixed in the month it was found)"
            }
            Self::ShareFixedWithin3Months => {
                "share of fixed vulnerabilities fixed within 3 months (time-to-fix of at most 3)"
            }
            Self::TotalPaidEur => "money paid to projects, net of returns (EUR)",
            Self::OverheadEur => "fund overhead (EUR)",
            Self::GiniAllocation => "Gini coefficient of the money received per project",
            Self::ShareFunded => "share of projects that received any money",
            Self::Survival12mAfterProgramme => {
                "share never abandoned 12 months after the programme ends (the funding cliff)"
            }
            Self::Survival36mAfterProgramme => {
                "share never abandoned 36 months after the programme ends"
            }
            Self::Survival72mAfterProgramme => {
                "share never abandoned 72 months after the programme ends"
            }
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether a larger value is better for the fund's goal (survival, maintainers), or
    /// worse (abandonments, backlog, vulnerabilities, time to fix, money spent).
    ///
    /// Vulnerabilities found and fixed count as better the more there are: a latent
    /// vulnerability exists whether or not anyone knows of it, and finding it is the only
    /// way to fix it. Over a horizon much shorter than a vulnerability's four-year
    /// lifetime in code, more found means fewer left latent (the true risk,
    /// `latent_vulnerabilities_at_horizon`, lower is better); the exposure that finding
    /// brings until the fix is measured apart (`exposure_months`, lower is better).
    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Self::Abandonments
                | Self::BacklogAtHorizon
                | Self::OpenVulnerabilitiesAtHorizon
                | Self::LatentVulnerabilitiesAtHorizon
                | Self::ExposureMonths
                | Self::MedianTimeToFixMonths
                | Self::TotalPaidEur
                | Self::OverheadEur
                | Self::GiniAllocation
        )
    }

    /// The value of this metric in one replication; `None` when undefined (e.g. a median
    /// time-to-fix without any fix).
    fn of(self, t: &Trajectory, fixes: &FixSummary, programme_months: usize) -> Option<f64> {
        let projects = t.first_abandoned.len() as f64;
        let last = t.surviving.len() - 1;
        let after_programme = |months: usize| {
            t.surviving
                .get(programme_months + months)
                .map(|&s| f64::from(s) / projects)
        };
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
            Self::LatentVulnerabilitiesAtHorizon => t.latent_vulnerabilities[last],
            // Each month-end a vulnerability is open counts one month (month 0, the
            // start, has none open).
            Self::ExposureMonths => t.open_vulnerabilities[1..].iter().sum(),
            Self::DiscoveredVulnerabilities => t.discovered_vulnerabilities as f64 / projects,
            Self::FixedVulnerabilities => t.fix_times.len() as f64 / projects,
            Self::MedianTimeToFixMonths => fixes.median?,
            Self::ShareFixedWithin3Months => fixes.within_3_months?,
            // Net of what came back (clawbacks, expired grant money, salaries of fellows a
            // project lacked): regranted money would otherwise count twice, and the fund's
            // outlay could exceed its budget.
            Self::TotalPaidEur => t.paid_eur - t.returned_eur,
            Self::OverheadEur => t.overhead_eur,
            Self::GiniAllocation => gini(&t.received_eur),
            Self::ShareFunded => {
                t.received_eur.iter().filter(|&&r| r > 0.0).count() as f64 / projects
            }
            Self::Survival12mAfterProgramme => after_programme(12)?,
            Self::Survival36mAfterProgramme => after_programme(36)?,
            Self::Survival72mAfterProgramme => after_programme(72)?,
        })
    }
}

/// What a run with uncertainty keeps per parameter set: every [`Metric`], then every
/// [`Paired`] difference to the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQuantity {
    Metric(Metric),
    Paired(Paired),
}

impl SetQuantity {
    pub const COUNT: usize = Metric::ALL.len() + Paired::ALL.len();

    /// Every quantity, in the order of the accumulator and of the tables.
    pub fn all() -> impl Iterator<Item = SetQuantity> {
        Metric::ALL
            .into_iter()
            .map(Self::Metric)
            .chain(Paired::ALL.into_iter().map(Self::Paired))
    }

    fn index(self) -> usize {
        match self {
            Self::Metric(m) => Metric::ALL.iter().position(|&x| x == m),
            Self::Paired(p) => Paired::ALL
                .iter()
                .position(|&x| x == p)
                .map(|i| Metric::ALL.len() + i),
        }
        .expect("every quantity has a slot")
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Metric(m) => m.name(),
            Self::Paired(p) => p.name(),
        }
    }

    /// Whether more is better: paired differences are gains over the baseline.
    pub fn higher_is_better(self) -> bool {
        match self {
            Self::Metric(m) => m.higher_is_better(),
            Self::Paired(_) => true,
        }
    }
}

/// Every [`SetQuantity`] of every strategy in one replication (`[strategy][quantity]`,
/// `None` where undefined), for per-replication output. The baseline is the first
/// trajectory.
pub fn replication_quantities(
    trajectories: &[Trajectory],
    usage_weights: &[f64],
    programme_months: usize,
    scratch: &mut Vec<u32>,
) -> Vec<Vec<Option<f64>>> {
    trajectories
        .iter()
        .map(|t| {
            let fixes = FixSummary::of(&t.fix_times, scratch);
            let metrics = Metric::ALL
                .iter()
                .map(|metric| metric.of(t, &fixes, programme_months));
            let paired = Paired::ALL
                .iter()
                .map(|paired| Some(paired.of(t, &trajectories[0], usage_weights)));
            metrics.chain(paired).collect()
        })
        .collect()
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
    /// One per [`Paired::ALL`] entry: differences to the baseline.
    pub paired: Vec<MeanVar>,
    /// One per [`RATIOS`] entry: (cost, effect) pairs.
    pub cost_effect: Vec<CoMoments>,
    /// Month at which the programme ends (for the cliff metrics).
    pub programme_months: usize,
}

impl StrategyAccumulator {
    pub fn new(months: usize, projects: usize, calls: usize, programme_months: usize) -> Self {
        let points = months + 1;
        Self {
            paired: vec![MeanVar::default(); Paired::ALL.len()],
            cost_effect: vec![CoMoments::default(); RATIOS.len()],
            programme_months,
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
    /// Folds in one replication; `values` receives the replication's value of every
    /// metric (for the paired comparisons of [`RunAccumulator`]).
    pub fn add(&mut self, t: &Trajectory, scratch: &mut Vec<u32>, values: &mut Vec<Option<f64>>) {
        self.replications += 1;
        let projects = t.first_abandoned.len() as f64;
        let fixes = FixSummary::of(&t.fix_times, scratch);
        values.clear();
        for (metric, acc) in Metric::ALL.iter().zip(&mut self.metrics) {
            let value = metric.of(t, &fixes, self.programme_months);
            if let Some(value) = value {
                acc.add(value);
            }
            values.push(value);
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

    /// Folds in the paired comparison of one replication with the baseline's.
    pub fn add_paired(&mut self, t: &Trajectory, baseline: &Trajectory, usage_weights: &[f64]) {
        for (paired, acc) in Paired::ALL.iter().zip(&mut self.paired) {
            acc.add(paired.of(t, baseline, usage_weights));
        }
        let cost = t.paid_eur - t.returned_eur + t.overhead_eur;
        for ((_, effect), acc) in RATIOS.iter().zip(&mut self.cost_effect) {
            acc.add(cost, effect.of(t, baseline, usage_weights));
        }
    }

    /// Every summary row: (metric name, estimate), in `summary.csv` order.
    pub fn summary(&self) -> Vec<(&'static str, Estimate)> {
        let mut rows: Vec<_> = Metric::ALL
            .iter()
            .map(|&m| (m.name(), Estimate::of(self.metric(m))))
            .collect();
        rows.extend(
            Paired::ALL
                .iter()
                .zip(&self.paired)
                .map(|(p, stat)| (p.name(), Estimate::of(stat))),
        );
        rows.extend(
            RATIOS
                .iter()
                .zip(&self.cost_effect)
                .map(|((name, _), acc)| (*name, acc.ratio().unwrap_or_else(Estimate::undefined))),
        );
        rows
    }

    /// Merges another accumulator of the same shape (fixed order: self, then other).
    pub fn merge(&mut self, other: &Self) {
        self.replications += other.replications;
        merge_each(&mut self.paired, &other.paired, MeanVar::merge);
        merge_each(&mut self.cost_effect, &other.cost_effect, CoMoments::merge);
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
    /// Paired differences of every metric between every two strategies, strategy i
    /// minus strategy j in the same replication, at `(metric · S + i) · S + j`.
    pub pairwise: Vec<MeanVar>,
    /// A run with parameter uncertainty: every [`SetQuantity`] of every strategy within
    /// each parameter set, at `(set · S + strategy) · Q + quantity` (Q =
    /// [`SetQuantity::COUNT`]); empty for a fixed-parameter run.
    pub sets: Vec<MeanVar>,
}

impl RunAccumulator {
    pub fn new(
        strategies: usize,
        months: usize,
        projects: usize,
        calls: usize,
        programme_months: usize,
    ) -> Self {
        let strategy = StrategyAccumulator::new(months, projects, calls, programme_months);
        Self {
            strategies: vec![strategy; strategies],
            pairwise: vec![MeanVar::default(); Metric::ALL.len() * strategies * strategies],
            sets: Vec::new(),
        }
    }

    /// Also keeps every metric within each of `parameter_sets` parameter sets (a run
    /// with uncertainty); 0 keeps none.
    pub fn with_parameter_sets(mut self, parameter_sets: usize) -> Self {
        let per_set = self.strategies.len() * SetQuantity::COUNT;
        self.sets = vec![MeanVar::default(); parameter_sets * per_set];
        self
    }

    /// Parameter sets kept (0 for a fixed-parameter run).
    pub fn parameter_sets(&self) -> usize {
        match self.strategies.len() * SetQuantity::COUNT {
            0 => 0,
            per_set => self.sets.len() / per_set,
        }
    }

    /// `quantity` of `strategy` over the replications of parameter set `set`.
    pub fn in_set(&self, set: usize, strategy: usize, quantity: SetQuantity) -> &MeanVar {
        let index = (set * self.strategies.len() + strategy) * SetQuantity::COUNT;
        &self.sets[index + quantity.index()]
    }

    /// Folds in one replication: one trajectory per strategy, in scenario order, the
    /// baseline first; `set` is its parameter set in a run with uncertainty.
    pub fn add_replication(
        &mut self,
        trajectories: &[Trajectory],
        usage_weights: &[f64],
        set: Option<usize>,
        scratch: &mut Vec<u32>,
    ) {
        let count = self.strategies.len();
        let mut values = vec![Vec::new(); count];
        for ((acc, t), values) in self
            .strategies
            .iter_mut()
            .zip(trajectories)
            .zip(&mut values)
        {
            acc.add(t, scratch, values);
            acc.add_paired(t, &trajectories[0], usage_weights);
        }
        // `pairwise` is laid out metric-major, then i, then j: walk it in that order.
        let mut cells = self.pairwise.iter_mut();
        for metric in 0..Metric::ALL.len() {
            for mine in &values {
                for theirs in &values {
                    let cell = cells
                        .next()
                        .expect("pairwise has a cell per metric and pair");
                    if let (Some(a), Some(b)) = (mine[metric], theirs[metric]) {
                        cell.add(a - b);
                    }
                }
            }
        }
        if let Some(set) = set {
            let first = set * count * SetQuantity::COUNT;
            let cells = &mut self.sets[first..first + count * SetQuantity::COUNT];
            for ((cells, values), t) in cells
                .chunks_exact_mut(SetQuantity::COUNT)
                .zip(&values)
                .zip(trajectories)
            {
                let (metrics, paired) = cells.split_at_mut(Metric::ALL.len());
                for (cell, value) in metrics.iter_mut().zip(values) {
                    if let Some(value) = value {
                        cell.add(*value);
                    }
                }
                for (cell, quantity) in paired.iter_mut().zip(Paired::ALL) {
                    cell.add(quantity.of(t, &trajectories[0], usage_weights));
                }
            }
        }
    }

    /// Strategy `i` minus strategy `j` in `metric`, paired within replications.
    pub fn difference(&self, metric: Metric, i: usize, j: usize) -> &MeanVar {
        let count = self.strategies.len();
        let metric = Metric::ALL
            .iter()
            .position(|&m| m == metric)
            .expect("every metric has a slot");
        &self.pairwise[(metric * count + i) * count + j]
    }

    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.strategies.iter_mut().zip(&other.strategies) {
            mine.merge(theirs);
        }
        merge_each(&mut self.pairwise, &other.pairwise, MeanVar::merge);
        merge_each(&mut self.sets, &other.sets, MeanVar::merge);
    }

    pub fn replications(&self) -> u64 {
        self.strategies.first().map_or(0, |s| s.replications)
    }
}
