//! Usage-weighted survival: the share of dependents (usage) in projects never abandoned,
//! so that losing a widely used project weighs more than losing a small one.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::style;
use super::survival::{Curve, draw_curves, draw_legend};
use crate::output::read::RunData;

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let body = style::frame_with_caption(
        root,
        super::kind::ChartKind::WeightedSurvival.title(),
        "Share of all dependents (usage) that rely on projects never abandoned",
        &super::survival::caption(data, Curve::Weighted),
        data,
    )?;
    let (plot, legend) = style::with_legend_column(&body);
    draw_curves(
        &plot,
        data,
        Curve::Weighted,
        "Usage in projects not abandoned (% of dependents)",
        130,
    )?;
    draw_legend(&legend, data)
}
