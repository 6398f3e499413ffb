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
}
