//! The chart kinds of a run folder and what describes each: file names, title, caption.
//! Drawing is dispatched in `plot/mod.rs`, so a chart file can name its own kind without
//! importing the dispatch.

/// The chart kinds, each drawn by the `draw` function of its module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Survival,
    WeightedSurvival,
    Maintainers,
    Maintenance,
    CostEffectiveness,
    Allocation,
    Cliff,
    /// Only for a run with uncertainty.
    ProbabilityBest,
}

impl ChartKind {
    /// Every kind, in the order of the brief.
    pub const ALL: [ChartKind; 7] = [
        Self::Survival,
        Self::WeightedSurvival,
        Self::Cliff,
        Self::CostEffectiveness,
        Self::Maintainers,
        Self::Maintenance,
        Self::Allocation,
    ];

    /// The kinds a run with uncertainty adds after [`ChartKind::ALL`].
    pub const UNCERTAINTY: [ChartKind; 1] = [Self::ProbabilityBest];

    /// The file name without extension, in `charts/`.
    pub fn stem(self) -> &'static str {
        match self {
            Self::Survival => "survival",
            Self::WeightedSurvival => "weighted_survival",
            Self::Maintainers => "maintainers",
            Self::Maintenance => "backlog_vulnerabilities",
            Self::CostEffectiveness => "cost_effectiveness",
            Self::Allocation => "allocation",
            Self::Cliff => "cliff",
            Self::ProbabilityBest => "probability_best",
        }
    }

    /// The PNG's path inside a run folder.
    pub fn png_path(self) -> &'static str {
        match self {
            Self::Survival => "charts/survival.png",
            Self::WeightedSurvival => "charts/weighted_survival.png",
            Self::Maintainers => "charts/maintainers.png",
            Self::Maintenance => "charts/backlog_vulnerabilities.png",
            Self::CostEffectiveness => "charts/cost_effectiveness.png",
            Self::Allocation => "charts/allocation.png",
            Self::Cliff => "charts/cliff.png",
            Self::ProbabilityBest => "charts/probability_best.png",
        }
    }

    /// The SVG's path inside a run folder.
    pub fn svg_path(self) -> &'static str {
        match self {
            Self::Survival => "charts/survival.svg",
            Self::WeightedSurvival => "charts/weighted_survival.svg",
            Self::Maintainers => "charts/maintainers.svg",
            Self::Maintenance => "charts/backlog_vulnerabilities.svg",
            Self::CostEffectiveness => "charts/cost_effectiveness.svg",
            Self::Allocation => "charts/allocation.svg",
            Self::Cliff => "charts/cliff.svg",
            Self::ProbabilityBest => "charts/probability_best.svg",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Survival => "Projects not abandoned, by strategy",
            Self::WeightedSurvival => "Usage-weighted survival, by strategy",
            Self::Maintainers => "Maintainers per project",
            Self::Maintenance => "Backlog and open vulnerabilities",
            Self::CostEffectiveness => "Cost-effectiveness against the no-funding baseline",
            Self::Allocation => "Where the money goes",
            Self::Cliff => "The funding cliff: survival after the programme ends",
            Self::ProbabilityBest => super::probability_best::TITLE,
        }
    }

    /// What the chart shows, in a sentence, for any run (docs, and the brief without a
    /// run at hand); the chart's own footer is [`ChartKind::caption_for`] its run.
    pub fn caption(self) -> &'static str {
        match self {
            Self::Survival => {
                "Share of projects never abandoned, month by month (Kaplan–Meier style), with the mean number of projects at risk and the cumulative abandonments per portfolio by year."
            }
            Self::WeightedSurvival => {
                "Share of usage (dependents) in projects never abandoned: losing a widely used project weighs more."
            }
            Self::Maintainers => {
                "Average active maintainers per project: median and 5th–95th percentile band over replications (the spread between runs, not an interval of the mean; percentiles estimated within 1%), with the no-funding median for reference."
            }
            Self::Maintenance => {
                "Mean backlog (person-months of outstanding work) and mean open vulnerabilities per project, over replications (lines only, no bands)."
            }
            Self::CostEffectiveness => {
                "The fund's cost (money paid plus overhead) per abandonment averted against the survival gained at the horizon (left), and per usage-weighted project-year gained against those project-years (right, a project of average usage counting as one), all paired against the no-funding baseline, with 95% intervals of the mean."
            }
            Self::Allocation => {
                "Expected money received per project, sorted, and the Lorenz curve of the allocation with its Gini coefficient and the line of perfect equality (means, no intervals)."
            }
            Self::Cliff => {
                "Survival at the end of the programme and 12, 36 and 72 months later, and how much of it is lost after the money stops."
            }
            Self::ProbabilityBest => {
                "For a run with uncertainty: the share of parameter sets in which each strategy keeps the most projects from being abandoned over the horizon. One long bar is a ranking that holds whatever the uncertain parameters turn out to be; several middling bars, an answer that depends on them."
            }
        }
    }
}
