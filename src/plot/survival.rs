//! Survival curves per strategy with their 95% bands and, under the plot, the number at
//! risk and the cumulative abandonments by year (the KMunicate layout, Morris et al.
//! 2019, that readers of survival analyses expect).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::PlotError;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, Swatch, TICK_SIZE, anchored, bold, font,
    strategy_colour, strategy_dashed,
};
use crate::output::read::{RunData, SurvivalPoint};

/// Which curve of `survival.csv` to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// Share of projects never abandoned.
    Surviving,
    /// Share of usage (dependents) in projects never abandoned.
    Weighted,
}

impl Curve {
    /// (mean, interval low, interval high) as percentages.
    fn of(self, point: &SurvivalPoint) -> (f64, f64, f64) {
        let (mean, low, high) = match self {
            Self::Surviving => (
                point.surviving,
                point.surviving_ci_low,
                point.surviving_ci_high,
            ),
            Self::Weighted => (
                point.weighted_surviving,
                point.weighted_surviving_ci_low,
                point.weighted_surviving_ci_high,
            ),
        };
        (
            100.0 * mean,
            100.0 * low.unwrap_or(mean),
            100.0 * high.unwrap_or(mean),
        )
    }

    /// The metric of `summary.csv` and `uncertainty.csv` the curve ends at.
    fn horizon_metric(self) -> &'static str {
        match self {
            Self::Surviving => "survival_at_horizon",
            Self::Weighted => "weighted_survival_at_horizon",
        }
    }
}

const TABLE_ROW: i32 = 34;
const TABLE_HEADING: i32 = 46;
const TABLE_SIZE: f64 = 22.0;

fn table_height(data: &RunData) -> u32 {
    (2 * TABLE_HEADING + 2 * TABLE_ROW * data.strategies.len() as i32 + 24) as u32
}

/// The canvas grows with the number of strategies, to fit the table.
pub fn size(data: &RunData) -> (u32, u32) {
    (style::WIDTH, 740 + table_height(data))
}

/// The years shown as ticks (and table columns): every year up to 12 columns, then
/// every second, third... year.
pub(crate) fn key_years(horizon_months: u32) -> Vec<f64> {
    let years = horizon_months / 12;
    let step = years.div_ceil(12).max(1);
    (0..=years).step_by(step as usize).map(f64::from).collect()
}

/// Where the drawn plot sits on the canvas, for aligning the table under it.
pub(crate) struct Geometry {
    /// Absolute x pixel of each key year.
    pub columns: Vec<(f64, i32)>,
    /// Absolute x pixel of the plot's left edge.
    pub left: i32,
}

/// Draws the survival curves of every strategy on `area` (no legend, no table).
pub(crate) fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
    curve: Curve,
    y_title: &str,
    y_label_area: u32,
) -> Result<Geometry, PlotError> {
    let horizon_years = f64::from(data.info.horizon_months) / 12.0;
    let lowest = data
        .survival
        .iter()
        .flatten()
        .map(|p| curve.of(p).1)
        .fold(100.0, f64::min);
    let (y_low, y_high) = style::padded_range(lowest.min(90.0), 100.0, 10.0);
    let years = key_years(data.info.horizon_months);
    let mut chart = ChartBuilder::on(area)
        .margin_top(12)
        .margin_right(28)
        .x_label_area_size(72)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(0.0..horizon_years, y_low..y_high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc("Years after the first call")
        .y_desc(y_title)
        .axis_desc_style(font(AXIS_TITLE_SIZE))
        .label_style(font(TICK_SIZE))
        .x_labels(0)
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .y_labels(((y_high - y_low) / 10.0) as usize + 1)
        .draw()?;
    style::shade_programme(
        &mut chart,
        f64::from(data.info.programme_months) / 12.0,
        (y_low, y_high),
    )?;
    // Bands first, so that no band hides a line.
    for (index, points) in data.survival.iter().enumerate() {
        let mut outline: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (f64::from(p.month) / 12.0, curve.of(p).2))
            .collect();
        outline.extend(
            points
                .iter()
                .rev()
                .map(|p| (f64::from(p.month) / 12.0, curve.of(p).1)),
        );
        chart.draw_series(std::iter::once(Polygon::new(
            outline,
            strategy_colour(index).mix(0.25).filled(),
        )))?;
    }
    for (index, points) in data.survival.iter().enumerate() {
        let line = points
            .iter()
            .map(|p| (f64::from(p.month) / 12.0, curve.of(p).0));
        let colour = strategy_colour(index).stroke_width(LINE_WIDTH);
        if strategy_dashed(index) {
            chart.draw_series(DashedLineSeries::new(line, 14, 10, colour))?;
        } else {
            chart.draw_series(LineSeries::new(line, colour))?;
        }
    }
    // A run with uncertainty: at the horizon, each strategy's 5–95% range across
    // parameter sets, as a whisker beside the end of its curve (side by side, so that
    // none hides another).
    if let Some(uncertainty) = &data.uncertainty {
        let count = data.strategies.len();
        for (index, name) in data.strategies.iter().enumerate() {
            let Some(row) = uncertainty.spread(name, curve.horizon_metric()) else {
                continue;
            };
            let (Some(low), Some(high)) = (row.p05, row.p95) else {
                continue;
            };
            let x = horizon_years * (1.0 - 0.012 * (count - index) as f64);
            let (low, high) = ((100.0 * low).max(y_low), (100.0 * high).min(y_high));
            let colour = strategy_colour(index).stroke_width(LINE_WIDTH);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, low), (x, high)],
                colour,
            )))?;
        }
    }
    let columns: Vec<(f64, i32)> = years
        .iter()
        .map(|&year| (year, chart.backend_coord(&(year, y_low)).0))
        .collect();
    let left = chart.backend_coord(&(0.0, y_low)).0;
    style::draw_x_ticks(area, &chart, &columns, y_low)?;
    Ok(Geometry { columns, left })
}

/// The strategies' legend and the notes on bands and shading.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let mut entries: Vec<LegendEntry> = (0..data.strategies.len())
        .map(|i| LegendEntry::strategy(data, i, Swatch::Line))
        .collect();
    entries.push(style::programme_entry(data));
    let y = style::draw_legend(area, "Strategy", &entries, 20)?;
    let note = match &data.uncertainty {
        Some(uncertainty) => format!(
            "Bands: 95% interval of the mean over replications. Bars at the horizon: 5–95% range of the means across {} parameter sets.",
            uncertainty.parameter_sets
        ),
        None => "Bands: 95% interval of the mean over replications.".to_string(),
    };
    style::draw_note(area, &note, y + 16, 28)?;
    Ok(())
}

/// The width the left label area needs for the table's row labels.
fn label_area_width<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &RunData) -> u32 {
    let widest = data
        .strategies
        .iter()
        .filter_map(|name| root.estimate_text_size(name, &font(TABLE_SIZE)).ok())
        .map(|(width, _)| width)
        .max()
        .unwrap_or(0);
    (widest + 90).max(130)
}

/// What a survival chart draws (its footer, and the brief's caption): mean curves with
/// 95% intervals of the mean, the spread across parameter sets in a run with uncertainty,
/// and, for the unweighted chart, the table under it.
pub fn caption(data: &RunData, curve: Curve) -> String {
    let what = match curve {
        Curve::Surviving => "share of projects never abandoned",
        Curve::Weighted => "share of usage (dependents) in projects never abandoned",
    };
    let mut text = format!(
        "Lines: mean {what} over {} replications; bands: 95% intervals of that mean",
        style::thousands(data.info.replications as f64)
    );
    if let Some(uncertainty) = &data.uncertainty {
        text.push_str(&format!(
            "; bars at the horizon: 5th–95th percentiles of the strategy's mean across {} parameter sets",
            style::thousands(uncertainty.parameter_sets as f64)
        ));
    }
    text.push_str(&format!(
        "; shaded: the {}-month programme.",
        data.info.programme_months
    ));
    if curve == Curve::Surviving {
        text.push_str(
            " Table: projects at risk and cumulative abandonments, mean per portfolio, by year.",
        );
    }
    text
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let body = style::frame_with_caption(
        root,
        super::kind::ChartKind::Survival.title(),
        "Share of the portfolio never abandoned (no maintainer for 12 months), month by month",
        &caption(data, Curve::Surviving),
        data,
    )?;
    let (main, legend) = style::with_legend_column(&body);
    let (_, height) = main.dim_in_pixel();
    let (plot, table) = main.split_vertically(height - table_height(data));
    let label_area = label_area_width(root, data);
    let geometry = draw_curves(
        &plot,
        data,
        Curve::Surviving,
        "Projects not abandoned (%)",
        label_area,
    )?;
    draw_legend(&legend, data)?;
    draw_table(&table, data, &geometry)
}

/// A table row's value for a strategy's curve at a month (mean per portfolio).
type TableValue<'a> = dyn Fn(&[SurvivalPoint], u32) -> Option<f64> + 'a;

/// The number at risk and cumulative events by year, aligned with the x axis.
fn draw_table<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
    geometry: &Geometry,
) -> Result<(), PlotError> {
    let (base_x, _) = area.get_base_pixel();
    let replications = data.info.replications.max(1) as f64;
    let label_right = geometry.left - base_x - 34;
    let mut y = 12;
    let blocks: [(&str, &TableValue<'_>); 2] = [
        (
            "Number at risk (projects not yet abandoned, mean per portfolio)",
            &|points, month| {
                let point = points.iter().find(|p| p.month == month)?;
                Some(point.at_risk / replications)
            },
        ),
        (
            "Cumulative abandonments (mean per portfolio)",
            &|points, month| {
                let total: f64 = points
                    .iter()
                    .filter(|p| p.month < month)
                    .map(|p| p.events)
                    .sum();
                points
                    .iter()
                    .any(|p| p.month == month)
                    .then_some(total / replications)
            },
        ),
    ];
    for (heading, value) in blocks {
        area.draw(&Text::new(heading, (8, y), bold(TABLE_SIZE)))?;
        y += TABLE_HEADING;
        for (index, name) in data.strategies.iter().enumerate() {
            let colour = strategy_colour(index);
            area.draw(&Text::new(
                name.as_str(),
                (label_right, y),
                anchored(font(TABLE_SIZE), HPos::Right, VPos::Center),
            ))?;
            // A line swatch, not coloured text: light palette colours are hard to read.
            let text_width = area
                .estimate_text_size(name, &font(TABLE_SIZE))
                .map_or(0, |(w, _)| w as i32);
            let swatch_end = label_right - text_width - 8;
            let style = if strategy_dashed(index) {
                colour.stroke_width(2)
            } else {
                colour.stroke_width(LINE_WIDTH)
            };
            area.draw(&PathElement::new(
                vec![(swatch_end - 24, y), (swatch_end, y)],
                style,
            ))?;
            let points = data.survival.get(index).map_or(&[][..], Vec::as_slice);
            for &(year, x) in &geometry.columns {
                let month = (year * 12.0).round() as u32;
                let text = value(points, month)
                    .map_or_else(|| "–".to_string(), |v| format!("{:.1}", v + 0.0));
                area.draw(&Text::new(
                    text,
                    (x - base_x, y),
                    anchored(font(TABLE_SIZE), HPos::Center, VPos::Center),
                ))?;
            }
            y += TABLE_ROW;
        }
    }
    Ok(())
}
