//! Charts, drawn with plotters: the charts of a run from its folder as
//! [`crate::output::read`] reads it ([`RunData`]), and the charts of the analyses
//! (`sensitivity`, `sweep`, `observed_survival`, `probability_best`) from their results.
//!
//! Each chart kind is one file with one `draw` function from the data to a drawing area,
//! so the same code renders the PNG (print resolution, 1600 pixels wide at 200 dpi) and
//! the SVG (for the brief and for editing), both through [`canvas`]. Rendering returns
//! bytes and touches no file; the caller writes them (atomically) wherever they belong.
//!
//! Every chart uses the same colour for a strategy (Okabe–Ito palette, in scenario order),
//! the embedded DejaVu Sans font, a title, axis titles with units, a legend in its own
//! column, a caption each chart builds from what it draws (what its lines, bands and
//! whiskers are: [`ChartKind::caption_for`]; no sentence is shared between charts), and a
//! source line naming the scenario, seed, replications and fundsim version.

pub mod allocation;
pub mod canvas;
pub mod cliff;
pub mod convergence;
pub mod cost_effectiveness;
mod error;
mod kind;
pub mod labels;
pub mod maintainers;
pub mod maintenance;
pub mod observed_survival;
pub mod probability_best;
pub mod sensitivity;
pub mod style;
pub mod survival;
pub mod sweep;
pub mod target;
pub mod weighted_survival;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use error::PlotError;
pub use kind::ChartKind;

use crate::output::read::RunData;

impl ChartKind {
    /// Canvas size in pixels for this run.
    pub fn size(self, data: &RunData) -> (u32, u32) {
        match self {
            Self::Survival => survival::size(data),
            Self::Maintainers => maintainers::size(data),
            Self::ProbabilityBest => probability_best::size(data.strategies.len()),
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
            Self::ProbabilityBest => probability_best::draw_run(root, data),
        }
    }

    /// What the chart of this run draws, built from what it draws (its lines, bands,
    /// whiskers and what they are): the sentence printed at the chart's foot, above the
    /// source line, for the brief to use as the chart's caption too.
    pub fn caption_for(self, data: &RunData) -> String {
        match self {
            Self::Survival => survival::caption(data, survival::Curve::Surviving),
            Self::WeightedSurvival => survival::caption(data, survival::Curve::Weighted),
            Self::Maintainers => maintainers::caption(data),
            Self::Maintenance => maintenance::caption(data),
            Self::CostEffectiveness => cost_effectiveness::caption(data),
            Self::Allocation => allocation::caption(data),
            Self::Cliff => cliff::caption(data),
            Self::ProbabilityBest => probability_best::CAPTION.to_string(),
        }
    }

    /// The kinds drawn for a run: [`ChartKind::ALL`], then [`ChartKind::UNCERTAINTY`]
    /// for a run with uncertainty.
    pub fn for_run(data: &RunData) -> Vec<ChartKind> {
        let mut kinds = ChartKind::ALL.to_vec();
        if data.uncertainty.is_some() {
            kinds.extend(ChartKind::UNCERTAINTY);
        }
        kinds
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

/// Renders every chart kind of the run in both formats, in [`ChartKind::for_run`] order.
///
/// # Errors
/// The first [`PlotError`] met.
pub fn render_all(data: &RunData) -> Result<Vec<RenderedChart>, PlotError> {
    use rayon::prelude::*;
    ChartKind::for_run(data)
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
