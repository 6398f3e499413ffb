//! Sweep charts: a line chart of an outcome over one swept parameter (mean and 95%
//! band per strategy), or heat maps over two (one panel per strategy, shared colour
//! scale).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::PlotError;
use super::labels::ValueFormat;
use super::sensitivity::{AnalysisChart, Heading, Whisker, frame, strategy_entry};
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, MUTED, SOURCE_SIZE, Swatch, TICK_SIZE,
    anchored, bold, font, strategy_colour,
};

/// One strategy's values over the grid.
#[derive(Debug, Clone)]
pub struct SweepSeries {
    pub label: String,
    /// Index of the strategy in the scenario: its colour.
    pub colour_index: usize,
    /// One per grid point, in grid order (first axis slowest).
    pub values: Vec<Whisker>,
}

/// A sweep of one outcome over one or two parameters.
#[derive(Debug, Clone)]
pub struct SweepChart {
    pub heading: Heading,
    /// Axis titles (the swept parameters with their units), one or two.
    pub axis_titles: Vec<String>,
    /// How each axis writes its values (EUR million, percentages, …).
    pub axis_formats: Vec<ValueFormat>,
    /// The values of each axis: the grid values, where the ticks go.
    pub axes: Vec<Vec<f64>>,
    /// Title of the outcome (with units).
    pub outcome: String,
    /// How the outcome's values are written (a share as a percentage, …).
    pub format: ValueFormat,
    pub series: Vec<SweepSeries>,
}

/// The most tick labels on an axis of grid values; a longer grid labels every k-th.
const MOST_TICKS: usize = 11;

/// The grid values that get a tick label: all of them when there are few, else every
/// k-th from the first.
fn labelled(count: usize) -> impl Iterator<Item = usize> {
    (0..count).step_by(count.div_ceil(MOST_TICKS).max(1))
}

/// Which way a tick points.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Bottom,
    Left,
}

/// Ticks and labels at chosen values of one axis (the grid values), drawn on `area`
/// (the area the chart was built on) outside the plot: plotters would put them at
/// round numbers, which in a heat map fall on the cells' edges.
fn draw_ticks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &style::Chart<'_, '_, DB>,
    side: Side,
    ticks: &[(f64, String)],
    size: f64,
) -> Result<(), PlotError> {
    let (base_x, base_y) = area.get_base_pixel();
    let (x_range, y_range) = (chart.x_range(), chart.y_range());
    for (value, text) in ticks {
        let (x, y) = match side {
            Side::Bottom => chart.backend_coord(&(*value, y_range.start)),
            Side::Left => chart.backend_coord(&(x_range.start, *value)),
        };
        let (x, y) = (x - base_x, y - base_y);
        let (tick, position, anchor) = match side {
            Side::Bottom => (
                vec![(x, y), (x, y + 8)],
                (x, y + 14),
                (HPos::Center, VPos::Top),
            ),
            Side::Left => (
                vec![(x - 8, y), (x, y)],
                (x - 14, y),
                (HPos::Right, VPos::Center),
            ),
        };
        area.draw(&PathElement::new(tick, MUTED))?;
        area.draw(&Text::new(
            text.clone(),
            position,
            anchored(font(size), anchor.0, anchor.1),
        ))?;
    }
    Ok(())
}

/// The labelled grid values of an axis with their tick texts.
fn grid_ticks(values: &[f64], format: ValueFormat) -> Vec<(f64, String)> {
    labelled(values.len())
        .map(|i| (values[i], format.tick(values[i])))
        .collect()
}

/// Viridis (van der Walt & Smith), sampled at nine stops: perceptually uniform and
/// readable in grey and by colour-blind readers.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The colour of `t` in [0, 1] on the viridis scale.
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let position = t * (VIRIDIS.len() - 1) as f64;
    let i = (position.floor() as usize).min(VIRIDIS.len() - 2);
    let w = position - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) * (1.0 - w) + f64::from(b) * w).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl AnalysisChart for SweepChart {
    fn size(&self) -> (u32, u32) {
        if self.axes.len() == 2 && self.series.len() > 2 {
            (style::WIDTH, 1300)
        } else {
            (style::WIDTH, style::HEIGHT)
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = frame(root, &self.heading)?;
        let (plot, legend) = style::with_legend_column(&body);
        if self.axes.len() == 1 {
            self.draw_lines(&plot, &legend)
        } else {
            self.draw_heat_maps(&plot, &legend)
        }
    }
}

impl SweepChart {
    fn draw_lines<DB: DrawingBackend>(
        &self,
        plot: &DrawingArea<DB, Shift>,
        legend: &DrawingArea<DB, Shift>,
    ) -> Result<(), PlotError> {
        let xs = &self.axes[0];
        let entries: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| strategy_entry(&s.label, s.colour_index, Swatch::Line))
            .collect();
        let y = style::draw_legend(legend, "Strategy", &entries, 20)?;
        let y = style::draw_legend(
            legend,
            "",
            &[LegendEntry {
                label: "95% interval\nof the mean".into(),
                colour: style::MUTED,
                swatch: Swatch::Band,
            }],
            y + 8,
        )?;
        style::draw_note(
            legend,
            "Lines and dots: mean over the replications at each grid value. Every point uses the same random streams, so a step between points is the model's response, not noise, and differences between points are more precise than the bands.",
            y + 16,
            28,
        )?;
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for w in self.series.iter().flat_map(|s| &s.values) {
            for v in [w.value, w.low, w.high] {
                if v.is_finite() {
                    low = low.min(v);
                    high = high.max(v);
                }
            }
        }
        if !low.is_finite() {
            return style::draw_message(plot, "The outcome is undefined at every point");
        }
        if high <= low {
            high = low + low.abs().max(1.0) * 0.1;
        }
        let pad = 0.05 * (high - low);
        let (mut x_low, mut x_high) = (xs[0], xs[xs.len() - 1]);
        if x_high <= x_low {
            x_high = x_low + x_low.abs().max(1.0);
        }
        // Room at both ends, so the first and last dots and their ticks are whole.
        let x_pad = 0.03 * (x_high - x_low);
        (x_low, x_high) = (x_low - x_pad, x_high + x_pad);
        let mut chart = ChartBuilder::on(plot)
            .margin(16)
            .x_label_area_size(80)
            .y_label_area_size(120)
            .build_cartesian_2d(x_low..x_high, (low - pad)..(high + pad))?;
        let format = self.format;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_desc(self.axis_titles[0].as_str())
            .y_desc(self.outcome.as_str())
            .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
            .label_style(font(TICK_SIZE))
            .x_labels(0)
            .y_labels(8)
            .y_label_formatter(&|v| format.tick(*v))
            .draw()?;
        // Light vertical lines at the grid values: where the model was evaluated.
        let (y_low, y_high) = (low - pad, high + pad);
        chart.draw_series(
            xs.iter()
                .map(|&x| PathElement::new(vec![(x, y_low), (x, y_high)], GRID.stroke_width(1))),
        )?;
        draw_ticks(
            plot,
            &chart,
            Side::Bottom,
            &grid_ticks(xs, self.axis_formats[0]),
            TICK_SIZE,
        )?;
        for series in &self.series {
            let colour = strategy_colour(series.colour_index);
            let defined: Vec<(f64, Whisker)> = xs
                .iter()
                .zip(&series.values)
                .filter(|(_, w)| w.value.is_finite())
                .map(|(&x, &w)| (x, w))
                .collect();
            let band: Vec<(f64, f64)> = defined
                .iter()
                .map(|(x, w)| (*x, w.high))
                .chain(defined.iter().rev().map(|(x, w)| (*x, w.low)))
                .filter(|(_, v)| v.is_finite())
                .collect();
            if band.len() >= 3 {
                chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18))))?;
            }
            chart.draw_series(LineSeries::new(
                defined.iter().map(|(x, w)| (*x, w.value)),
                colour.stroke_width(LINE_WIDTH),
            ))?;
            chart.draw_series(
                defined
                    .iter()
                    .map(|(x, w)| Circle::new((*x, w.value), 6, colour.filled())),
            )?;
        }
        Ok(())
    }

    fn draw_heat_maps<DB: DrawingBackend>(
        &self,
        plot: &DrawingArea<DB, Shift>,
        legend: &DrawingArea<DB, Shift>,
    ) -> Result<(), PlotError> {
        let (xs, ys) = (&self.axes[0], &self.axes[1]);
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for w in self.series.iter().flat_map(|s| &s.values) {
            if w.value.is_finite() {
                low = low.min(w.value);
                high = high.max(w.value);
            }
        }
        if !low.is_finite() {
            return style::draw_message(plot, "The outcome is undefined at every point");
        }
        let span = if high > low { high - low } else { 1.0 };
        let scale = |v: f64| (v - low) / span;
        // Colour bar in the legend column, under the outcome's name.
        let mut bar_top = 20;
        for line in style::wrap(&self.outcome, 26) {
            legend.draw(&Text::new(line, (24, bar_top), bold(SOURCE_SIZE)))?;
            bar_top += 28;
        }
        let bar_top = bar_top + 16;
        // The bar shortens in a short legend column, leaving room for the notes below.
        let (_, column_height) = legend.dim_in_pixel();
        let bar_bottom = bar_top + (column_height as i32 - bar_top - 330).clamp(160, 400);
        for step in 0..100 {
            let t = 1.0 - f64::from(step) / 100.0;
            let y0 = bar_top + (bar_bottom - bar_top) * step / 100;
            let y1 = bar_top + (bar_bottom - bar_top) * (step + 1) / 100;
            legend.draw(&Rectangle::new([(24, y0), (64, y1)], viridis(t).filled()))?;
        }
        for (t, y) in [
            (1.0, bar_top),
            (0.5, (bar_top + bar_bottom) / 2),
            (0.0, bar_bottom),
        ] {
            legend.draw(&Text::new(
                self.format.value(low + t * span),
                (76, y),
                anchored(font(TICK_SIZE), HPos::Left, VPos::Center),
            ))?;
        }
        let mut y = bar_bottom + 40;
        if high > low {
            y = style::draw_note(
                legend,
                &format!(
                    "Highest: {}; lowest: {} (over all panels).",
                    self.format.value(high),
                    self.format.value(low)
                ),
                y,
                28,
            )? + 12;
        }
        style::draw_note(
            legend,
            "Colour and number in a cell: the mean over the replications at that grid point (numbers on small grids). One panel per strategy, one colour scale.",
            y,
            28,
        )?;
        let panels = self.series.len().max(1);
        let columns = if panels <= 1 { 1 } else { 2 };
        let rows = panels.div_ceil(columns);
        let areas = plot.split_evenly((rows, columns));
        // Cells are centred on the grid values; a grid of one value gets a unit cell.
        let step = |values: &[f64]| {
            if values.len() > 1 {
                (values[values.len() - 1] - values[0]) / (values.len() - 1) as f64
            } else {
                values[0].abs().max(1.0)
            }
        };
        let (dx, dy) = (step(xs), step(ys));
        let x_range = (xs[0] - dx / 2.0)..(xs[xs.len() - 1] + dx / 2.0);
        let y_range = (ys[0] - dy / 2.0)..(ys[ys.len() - 1] + dy / 2.0);
        let numbers = xs.len() * ys.len() <= 80;
        let cell_text = if xs.len() > 6 { 15.0 } else { 17.0 };
        for (series, area) in self.series.iter().zip(&areas) {
            let mut chart = ChartBuilder::on(area)
                .margin(12)
                .caption(series.label.as_str(), bold(AXIS_TITLE_SIZE - 2.0))
                .x_label_area_size(64)
                .y_label_area_size(100)
                .build_cartesian_2d(x_range.clone(), y_range.clone())?;
            chart
                .configure_mesh()
                .disable_mesh()
                .axis_style(MUTED)
                .x_desc(self.axis_titles[0].as_str())
                .y_desc(self.axis_titles[1].as_str())
                .axis_desc_style(font(SOURCE_SIZE))
                .x_labels(0)
                .y_labels(0)
                .draw()?;
            draw_ticks(
                area,
                &chart,
                Side::Bottom,
                &grid_ticks(xs, self.axis_formats[0]),
                SOURCE_SIZE,
            )?;
            draw_ticks(
                area,
                &chart,
                Side::Left,
                &grid_ticks(ys, self.axis_formats[1]),
                SOURCE_SIZE,
            )?;
            for (i, &x) in xs.iter().enumerate() {
                for (j, &y) in ys.iter().enumerate() {
                    let value = series.values[i * ys.len() + j].value;
                    let colour = if value.is_finite() {
                        viridis(scale(value))
                    } else {
                        RGBColor(200, 200, 200)
                    };
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                        colour.filled(),
                    )))?;
                    if numbers && value.is_finite() {
                        let text_colour = if scale(value) > 0.6 { BLACK } else { WHITE };
                        chart.draw_series(std::iter::once(Text::new(
                            self.format.value(value),
                            (x, y),
                            anchored(
                                (style::FONT, cell_text).into_font().color(&text_colour),
                                HPos::Center,
                                VPos::Center,
                            ),
                        )))?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::sensitivity::render;

    fn chart(axes: Vec<Vec<f64>>) -> SweepChart {
        let points: usize = axes.iter().map(Vec::len).product();
        SweepChart {
            heading: Heading {
                title: "Sweep".into(),
                subtitle: "sub".into(),
                source: "source".into(),
            },
            axis_titles: vec!["Total budget (EUR million)".into(), "Cliff (months)".into()],
            axis_formats: vec![
                ValueFormat::Scaled { divisor: 1_000_000 },
                ValueFormat::Plain,
            ],
            axes,
            outcome: "Share of projects never abandoned in 10 years (%)".into(),
            format: ValueFormat::Percent,
            series: (0..3)
                .map(|s| SweepSeries {
                    label: format!("s{s}"),
                    colour_index: s,
                    values: (0..points)
                        .map(|p| Whisker {
                            value: 0.5 + 0.01 * (p + s) as f64,
                            low: 0.45 + 0.01 * (p + s) as f64,
                            high: 0.55 + 0.01 * (p + s) as f64,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn line_charts_and_heat_maps_render() {
        let line = render(&chart(vec![vec![1e6, 2e6, 3e6]])).unwrap();
        assert!(line.png.starts_with(b"\x89PNG"));
        let heat = render(&chart(vec![vec![1e6, 2e6], vec![0.0, 6.0, 12.0]])).unwrap();
        assert!(heat.svg.contains("<svg"));
        // The ticks are at the grid values, written in the axis's unit, and cells
        // carry percentages.
        let has = |text: &str| heat.svg.contains(&format!(">\n{text}\n</text>"));
        assert!(has("1") && has("2") && has("0") && has("6") && has("12"));
        assert!(!has("1.5") && !has("3"), "no ticks between grid values");
        assert!(has("50.0%"));
        assert_eq!(labelled(5).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(labelled(30).collect::<Vec<_>>().len(), 10);
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
    }
}
