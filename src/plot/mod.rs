//! Charts, drawn with plotters: the charts of a run from its folder as
//! [`crate::output::read`] reads it ([`RunData`]), and the charts of the analyses
//! (`sensitivity`, `sweep`, `observed_survival`) from their results.
//!
//! Each chart kind is one file with one `draw` function from the data to a drawing area,
//! so the same code renders the PNG (print resolution, 1600 pixels wide at 200 dpi) and
//! the SVG (for the brief and for editing), both through [`canvas`]. Rendering returns
//! bytes and touches no file; the caller writes them (atomically) wherever they belong.
//!
//! Every chart uses the same colour for a strategy (Okabe–Ito palette, in scenario order),
//! the embedded DejaVu Sans font, a title, axis titles with units, a legend in its own
//! column, and a source line naming the scenario, seed, replications and fundsim version.

pub mod allocation;
pub mod canvas;
pub mod cliff;
pub mod cost_effectiveness;
pub mod data;
pub mod maintainers;
pub mod maintenance;
pub mod observed_survival;
pub mod sensitivity;
pub mod style;
pub mod survival;
pub mod sweep;
pub mod weighted_survival;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::output::read::{ReadError, RunData};

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error(transparent)]
    Data(#[from] ReadError),
    #[error("cannot draw the chart: {reason}")]
    Draw { reason: String },
    #[error("cannot encode the PNG: {reason}")]
    Encode { reason: String },
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        Self::Draw {
            reason: error.to_string(),
        }
    }
}

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
        }
    }

    /// What the chart shows, in a sentence (captions in the brief, docs).
    pub fn caption(self) -> &'static str {
        match self {
            Self::Survival => {
                "Share of projects never abandoned, month by month (Kaplan–Meier style), with the mean number of projects at risk and the cumulative abandonments per portfolio by year."
            }
            Self::WeightedSurvival => {
                "Share of usage (dependents) in projects never abandoned: losing a widely used project weighs more."
            }
            Self::Maintainers => {
                "Average active maintainers per project: median and 5th–95th percentile band over replications, with the no-funding median for reference."
            }
            Self::Maintenance => {
                "Mean backlog (person-months of outstanding work) and mean open vulnerabilities per project."
            }
            Self::CostEffectiveness => {
                "The fund's cost (money paid plus overhead) per abandonment averted against the survival gained at the horizon, both paired against the no-funding baseline."
            }
            Self::Allocation => {
                "Expected money received per project, sorted, and the Lorenz curve of the allocation with its Gini coefficient."
            }
            Self::Cliff => {
                "Survival at the end of the programme and 12, 36 and 72 months later, and how much of it is lost after the money stops."
            }
        }
    }

    /// Canvas size in pixels for this run.
    pub fn size(self, data: &RunData) -> (u32, u32) {
        match self {
            Self::Survival => survival::size(data),
            Self::Maintainers => maintainers::size(data),
            _ => (style::WIDTH, style::HEIGHT),
        }
    }

    /// Draws the chart onto `root`.
    ///
    /// # Errors
    /// [`PlotError::Draw`] when the backend fails.
    pub fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        data: &RunData,
    ) -> Result<(), PlotError> {
        match self {
            Self::Survival => survival::draw(root, data),
            Self::WeightedSurvival => weighted_survival::draw(root, data),
            Self::Maintainers => maintainers::draw(root, data),
            Self::Maintenance => maintenance::draw(root, data),
            Self::CostEffectiveness => cost_effectiveness::draw(root, data),
            Self::Allocation => allocation::draw(root, data),
            Self::Cliff => cliff::draw(root, data),
        }
    }
}

/// One chart rendered in both formats.
#[derive(Debug, Clone)]
pub struct RenderedChart {
    pub kind: ChartKind,
    pub png: Vec<u8>,
    pub svg: String,
}

/// Renders a chart as an SVG document.
///
/// # Errors
/// [`PlotError`] when drawing fails.
pub fn render_svg(kind: ChartKind, data: &RunData) -> Result<String, PlotError> {
    canvas::svg(kind.size(data), |root| kind.draw(root, data))
}

/// Renders a chart as a PNG (RGB, 200 dpi).
///
/// # Errors
/// [`PlotError`] when drawing or encoding fails.
pub fn render_png(kind: ChartKind, data: &RunData) -> Result<Vec<u8>, PlotError> {
    canvas::png(kind.size(data), |root| kind.draw(root, data))
}

/// Renders every chart kind in both formats, in [`ChartKind::ALL`] order.
///
/// # Errors
/// The first [`PlotError`] met.
pub fn render_all(data: &RunData) -> Result<Vec<RenderedChart>, PlotError> {
    use rayon::prelude::*;
    ChartKind::ALL
        .par_iter()
        .map(|&kind| {
            Ok(RenderedChart {
                kind,
                png: render_png(kind, data)?,
                svg: render_svg(kind, data)?,
            })
        })
        .collect()
}
