//! Backlog and open vulnerabilities over time: the mean per project under each strategy,
//! side by side, so the effect of paid effort on outstanding work is visible.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, Swatch, TICK_SIZE, bold, font,
    strategy_colour, strategy_dashed,
};
use crate::output::read::RunData;

/// The `timeseries.csv` series drawn: (name, panel title, y axis title).
pub const PANELS: [(&str, &str, &str); 2] = [
    (
        "backlog_per_project_pm",
        "Backlog",
        "Backlog per project (person-months)",
    ),
    (
        "open_vulnerabilities_per_project",
        "Open vulnerabilities",
        "Open vulnerabilities per project",
    ),
];

/// What the chart draws (its footer, and the brief's caption): lines only.
pub fn caption(data: &RunData) -> String {
    format!(
        "Lines: mean per project over {} replications, no bands (the 5th, 50th and 95th percentiles are in timeseries.csv); shaded: the {}-month programme.",
        style::thousands(data.info.replications as f64),
        data.info.programme_months
    )
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let body = style::frame_with_caption(
        root,
        super::kind::ChartKind::Maintenance.title(),
        "Outstanding maintenance work and unfixed vulnerabilities, mean per project, month by month",
        &caption(data),
        data,
    )?;
    let (plots, legend) = style::with_legend_column(&body);
    let (width, _) = plots.dim_in_pixel();
    let (left, right) = plots.split_horizontally(width / 2);
    for (panel, (series, title, y_title)) in [left, right].iter().zip(PANELS) {
        draw_panel(panel, data, series, title, y_title)?;
    }
    let mut entries: Vec<LegendEntry> = (0..data.strategies.len())
        .map(|i| LegendEntry::strategy(data, i, Swatch::Line))
        .collect();
    entries.push(style::programme_entry(data));
    let y = style::draw_legend(&legend, "Strategy", &entries, 20)?;
    style::draw_note(&legend, "Lines: mean over replications.", y + 16, 28)?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    data: &RunData,
    series: &str,
    title: &str,
    y_title: &str,
) -> Result<(), PlotError> {
    let per_strategy = data.series(series).unwrap_or_default();
    let highest = per_strategy
        .iter()
        .flatten()
        .filter_map(|p| p.mean)
        .fold(0.0, f64::max);
    let step = nice_step(highest);
    let (_, y_high) = style::padded_range(0.0, highest * 1.05, step);
    let horizon_years = f64::from(data.info.horizon_months) / 12.0;
    let y_decimals = style::tick_decimals(y_high, 6);
    let mut chart = ChartBuilder::on(panel)
        .margin(16)
        .caption(title, bold(AXIS_TITLE_SIZE))
        .x_label_area_size(72)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..horizon_years, 0.0..y_high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc("Years after the first call")
        .y_desc(y_title)
        .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
        .label_style(font(TICK_SIZE))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.y_decimals$}"))
        .draw()?;
    style::shade_programme(
        &mut chart,
        f64::from(data.info.programme_months) / 12.0,
        (0.0, y_high),
    )?;
    if per_strategy.iter().all(Vec::is_empty) {
        style::draw_message(panel, &format!("no `{series}` in timeseries.csv"))?;
        return Ok(());
    }
    for (index, points) in per_strategy.iter().enumerate() {
        let line = points
            .iter()
            .filter_map(|p| Some((f64::from(p.month) / 12.0, p.mean?)));
        let colour = strategy_colour(index).stroke_width(LINE_WIDTH - 1);
        if strategy_dashed(index) {
            chart.draw_series(DashedLineSeries::new(line, 14, 10, colour))?;
        } else {
            chart.draw_series(LineSeries::new(line, colour))?;
        }
    }
    Ok(())
}

/// A grid step giving about five gridlines up to `highest`.
pub(crate) fn nice_step(highest: f64) -> f64 {
    if highest <= 0.0 || !highest.is_finite() {
        return 1.0;
    }
    let raw = highest / 5.0;
    let magnitude = 10_f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&step| step >= raw)
        .unwrap_or(10.0 * magnitude)
}
