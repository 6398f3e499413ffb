//! Maintainers per project as a fan chart: one small panel per strategy, the median over
//! replications with the 5th–95th percentile band, and the no-funding median dashed for
//! reference. Panels share their axes, so they compare at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::PlotError;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, Swatch, TICK_SIZE, anchored, bold, font,
    strategy_colour,
};
use crate::output::read::{RunData, SeriesPoint};

/// The `timeseries.csv` series drawn.
pub const SERIES: &str = "maintainers_per_project";

/// Panel columns and rows for `count` strategies.
fn grid_shape(count: usize) -> (usize, usize) {
    let count = count.max(1);
    let columns = match count {
        1..=3 => count,
        4..=6 => 3,
        7..=12 => 4,
        _ => (count as f64).sqrt().ceil() as usize,
    };
    (columns, count.div_ceil(columns))
}

/// Taller canvas past three rows of panels.
pub fn size(data: &RunData) -> (u32, u32) {
    let (_, rows) = grid_shape(data.strategies.len());
    (
        style::WIDTH,
        style::HEIGHT + 260 * rows.saturating_sub(3) as u32,
    )
}

/// What the chart draws (its footer, and the brief's caption). The band is the spread of
/// the outcome between replications, not an interval of the mean; its percentiles are
/// estimated (`timeseries.csv`), and never put the mean outside the band by their own
/// error.
pub fn caption(data: &RunData) -> String {
    let mut text = format!(
        "Lines: median over {} replications of the portfolio's average maintainers per project; bands: its 5th–95th percentiles over replications, the spread one run can show, not an interval of the mean (percentiles estimated within 2%)",
        style::thousands(data.info.replications as f64)
    );
    if data.strategies.len() > 1 {
        text.push_str(&format!("; dashed: the median of “{}”", data.strategies[0]));
    }
    text.push_str(&format!(
        "; shaded: the {}-month programme.",
        data.info.programme_months
    ));
    text
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let body = style::frame_with_caption(
        root,
        super::kind::ChartKind::Maintainers.title(),
        "Active maintainers per project (portfolio average), month by month, one panel per strategy",
        &caption(data),
        data,
    )?;
    let (main, legend) = style::with_legend_column(&body);
    // Shared axis titles: one for the rows (left), one for the columns (bottom).
    let (width, height) = main.dim_in_pixel();
    let (y_title, rest) = main.split_horizontally(44);
    let (grid, x_title) = rest.split_vertically(height.saturating_sub(48));
    y_title.draw(&Text::new(
        "Maintainers per project",
        (10, height as i32 / 2),
        anchored(font(AXIS_TITLE_SIZE), HPos::Center, VPos::Center)
            .transform(FontTransform::Rotate270),
    ))?;
    x_title.draw(&Text::new(
        "Years after the first call",
        ((width as i32 - 44) / 2, 10),
        anchored(font(AXIS_TITLE_SIZE), HPos::Center, VPos::Top),
    ))?;

    let series = data.series(SERIES).unwrap_or_default();
    let (columns, rows) = grid_shape(data.strategies.len());
    let y_high = series
        .iter()
        .flatten()
        .filter_map(|p| p.p95.or(p.mean))
        .fold(0.0, f64::max);
    let (_, y_high) = style::padded_range(0.0, y_high * 1.05, 0.5);
    let panels = grid.split_evenly((rows, columns));
    let baseline: &[SeriesPoint] = series.first().map_or(&[], Vec::as_slice);
    for (index, panel) in panels.iter().enumerate().take(data.strategies.len()) {
        let points: &[SeriesPoint] = series.get(index).map_or(&[], Vec::as_slice);
        draw_panel(panel, data, index, points, baseline, y_high)?;
    }
    let mut entries = vec![
        LegendEntry {
            label: "median".into(),
            colour: style::TEXT,
            swatch: Swatch::Line,
        },
        LegendEntry {
            label: "5th–95th percentile".into(),
            colour: style::TEXT,
            swatch: Swatch::Band,
        },
    ];
    if data.strategies.len() > 1 {
        entries.push(LegendEntry {
            label: format!("{} (median)", data.strategies[0]),
            colour: style::TEXT,
            swatch: Swatch::DashedLine,
        });
    }
    entries.push(style::programme_entry(data));
    let y = style::draw_legend(&legend, "In each panel", &entries, 20)?;
    style::draw_note(
        &legend,
        "Percentiles over replications of the portfolio average: the spread between runs, not an interval of the mean.",
        y + 16,
        28,
    )?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    data: &RunData,
    index: usize,
    points: &[SeriesPoint],
    baseline: &[SeriesPoint],
    y_high: f64,
) -> Result<(), PlotError> {
    let colour = strategy_colour(index);
    let horizon_years = f64::from(data.info.horizon_months) / 12.0;
    let year = |p: &SeriesPoint| f64::from(p.month) / 12.0;
    let y_decimals = style::tick_decimals(y_high, 5);
    let mut chart = ChartBuilder::on(panel)
        .margin(14)
        .caption(
            data.strategies[index].as_str(),
            bold(AXIS_TITLE_SIZE - 1.0).color(&colour),
        )
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..horizon_years, 0.0..y_high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .label_style(font(TICK_SIZE - 2.0))
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.y_decimals$}"))
        .draw()?;
    style::shade_programme(
        &mut chart,
        f64::from(data.info.programme_months) / 12.0,
        (0.0, y_high),
    )?;
    let mut band: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| Some((year(p), p.p95?)))
        .collect();
    band.extend(points.iter().rev().filter_map(|p| Some((year(p), p.p05?))));
    chart.draw_series(std::iter::once(Polygon::new(
        band,
        colour.mix(0.28).filled(),
    )))?;
    if index != 0 {
        chart.draw_series(DashedLineSeries::new(
            baseline.iter().filter_map(|p| Some((year(p), p.p50?))),
            12,
            9,
            style::TEXT.stroke_width(2),
        ))?;
    }
    chart.draw_series(LineSeries::new(
        points.iter().filter_map(|p| Some((year(p), p.p50?))),
        colour.stroke_width(LINE_WIDTH),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::grid_shape;

    #[test]
    fn panels_fill_a_grid_of_at_most_four_columns_up_to_twelve() {
        assert_eq!(grid_shape(1), (1, 1));
        assert_eq!(grid_shape(5), (3, 2));
        assert_eq!(grid_shape(10), (4, 3));
        assert_eq!(grid_shape(16), (4, 4));
    }
}
