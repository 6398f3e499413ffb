//! The funding cliff: each strategy's survival at the end of the programme and 12, 36
//! and 72 months later (left), and the share of the portfolio lost since the money
//! stopped (right). A strategy that only postpones abandonment shows a steep drop.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::maintenance::nice_step;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, Swatch, TICK_SIZE, bold, font,
    strategy_colour,
};
use crate::output::read::{RunData, Value};

/// Months after the programme's end at which survival is read.
pub const OFFSETS: [u32; 4] = [0, 12, 36, 72];

/// Per strategy, (months after the programme, survival in percent) at the offsets that
/// fall within the horizon.
pub fn cliff_points(data: &RunData) -> Vec<Vec<(u32, Value)>> {
    (0..data.strategies.len())
        .map(|index| {
            OFFSETS
                .iter()
                .filter(|&&k| data.info.programme_months + k <= data.info.horizon_months)
                .filter_map(|&k| Some((k, data.survival_after_programme(index, k)?.scaled(100.0))))
                .collect()
        })
        .collect()
}

/// What the chart draws (its footer, and the brief's caption).
pub fn caption(data: &RunData) -> String {
    format!(
        "Left: mean share of projects never abandoned over {} replications at the programme's end and 12, 36 and 72 months later; whiskers: 95% intervals of the mean. Right: the share lost since the programme ended (difference of the means, no whiskers).",
        style::thousands(data.info.replications as f64)
    )
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let body = style::frame_with_caption(
        root,
        super::kind::ChartKind::Cliff.title(),
        &format!(
            "Projects never abandoned when the {}-month programme ends, and after the money stops",
            data.info.programme_months
        ),
        &caption(data),
        data,
    )?;
    let (main, legend) = style::with_legend_column(&body);
    let points = cliff_points(data);
    let entries: Vec<LegendEntry> = (0..data.strategies.len())
        .map(|i| LegendEntry::strategy(data, i, Swatch::Line))
        .collect();
    let y = style::draw_legend(&legend, "Strategy", &entries, 20)?;
    style::draw_note(
        &legend,
        "Whiskers: 95% intervals of the mean. Right: survival at the programme's end minus survival later (means).",
        y + 16,
        28,
    )?;
    if points.iter().all(|p| p.len() < 2) {
        return style::draw_message(
            &main,
            "The programme runs to the horizon: no months after it to show",
        );
    }
    let (width, _) = main.dim_in_pixel();
    let (left, right) = main.split_horizontally(width / 2);
    let last_offset = points
        .iter()
        .flat_map(|p| p.iter().map(|(k, _)| *k))
        .max()
        .unwrap_or(12);
    let x_range = -4.0..f64::from(last_offset) + 6.0;
    let dodge = 1.2;
    let centre = (data.strategies.len() as f64 - 1.0) / 2.0;

    // Left: survival levels with whiskers.
    let lowest = points
        .iter()
        .flatten()
        .map(|(_, v)| v.low.unwrap_or(v.mean))
        .fold(100.0, f64::min);
    let (y_low, y_high) = style::padded_range(lowest.min(90.0), 100.0, 10.0);
    let mut chart = ChartBuilder::on(&left)
        .margin(16)
        .caption("Survival", bold(AXIS_TITLE_SIZE))
        .x_label_area_size(76)
        .y_label_area_size(110)
        .build_cartesian_2d(x_range.clone(), y_low..y_high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc("Months after the programme ends")
        .y_desc("Projects not abandoned (%)")
        .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
        .label_style(font(TICK_SIZE))
        .x_labels(0)
        .y_labels(((y_high - y_low) / 10.0) as usize + 1)
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .draw()?;
    let ticks = offset_ticks(&chart, &points, y_low);
    style::draw_x_ticks(&left, &chart, &ticks, y_low)?;
    for (index, series) in points.iter().enumerate() {
        let colour = strategy_colour(index);
        let shift = (index as f64 - centre) * dodge;
        let at = |k: u32| f64::from(k) + shift;
        chart.draw_series(LineSeries::new(
            series.iter().map(|(k, v)| (at(*k), v.mean)),
            colour.stroke_width(LINE_WIDTH - 1),
        ))?;
        for (k, value) in series {
            if let Some((low, high)) = value.interval() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(at(*k), low.max(y_low)), (at(*k), high.min(y_high))],
                    colour.stroke_width(2),
                )))?;
            }
            chart.draw_series(std::iter::once(Circle::new(
                (at(*k), value.mean),
                7,
                colour.filled(),
            )))?;
        }
    }

    // Right: the drop since the programme ended.
    let drops: Vec<Vec<(u32, f64)>> = points
        .iter()
        .map(|series| {
            let start = series.iter().find(|(k, _)| *k == 0).map(|(_, v)| v.mean);
            series
                .iter()
                .filter_map(|(k, v)| Some((*k, start? - v.mean)))
                .collect()
        })
        .collect();
    let deepest = drops.iter().flatten().map(|(_, d)| *d).fold(0.0, f64::max);
    let step = nice_step(deepest);
    let (_, drop_high) = style::padded_range(0.0, deepest * 1.08, step);
    let mut chart = ChartBuilder::on(&right)
        .margin(16)
        .caption("Lost after the money stops", bold(AXIS_TITLE_SIZE))
        .x_label_area_size(76)
        .y_label_area_size(110)
        .build_cartesian_2d(x_range, 0.0..drop_high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc("Months after the programme ends")
        .y_desc("Abandoned since the end (percentage points)")
        .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
        .label_style(font(TICK_SIZE))
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let ticks = offset_ticks(&chart, &points, 0.0);
    style::draw_x_ticks(&right, &chart, &ticks, 0.0)?;
    for (index, series) in drops.iter().enumerate() {
        let colour = strategy_colour(index);
        chart.draw_series(LineSeries::new(
            series.iter().map(|(k, d)| (f64::from(*k), *d)),
            colour.stroke_width(LINE_WIDTH - 1),
        ))?;
        chart.draw_series(
            series
                .iter()
                .map(|(k, d)| Circle::new((f64::from(*k), *d), 7, colour.filled())),
        )?;
    }
    Ok(())
}

/// The offsets present, with their pixel positions, for tick labels.
fn offset_ticks<DB: DrawingBackend>(
    chart: &style::Chart<'_, '_, DB>,
    points: &[Vec<(u32, Value)>],
    y: f64,
) -> Vec<(f64, i32)> {
    let mut offsets: Vec<u32> = points.iter().flatten().map(|(k, _)| *k).collect();
    offsets.sort_unstable();
    offsets.dedup();
    offsets
        .into_iter()
        .map(|k| (f64::from(k), chart.backend_coord(&(f64::from(k), y)).0))
        .collect()
}
