//! Sweep charts: a line chart of an outcome over one swept parameter (mean and 95%
//! band per strategy), or heat maps over two (one panel per strategy, shared colour
//! scale).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::PlotError;
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
    /// Axis titles (the swept paths), one or two.
    pub axis_titles: Vec<String>,
    /// The values of each axis.
    pub axes: Vec<Vec<f64>>,
    /// Title of the outcome (with units).
    pub outcome: String,
    pub series: Vec<SweepSeries>,
}

/// A compact number for ticks: 24.6M, 9,200, 0.05.
pub fn compact(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e6 {
        format!("{}M", trim(value / 1e6, 2))
    } else if magnitude >= 1e4 {
        style::thousands(value)
    } else {
        trim(value, 4)
    }
}

fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
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
        style::draw_note(
            legend,
            "Lines: mean over replications; bands: 95% intervals. Every point uses the same random streams, so differences between points are more precise than the bands.",
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
        let (x_low, mut x_high) = (xs[0], xs[xs.len() - 1]);
        if x_high <= x_low {
            x_high = x_low + x_low.abs().max(1.0);
        }
        let mut chart = ChartBuilder::on(plot)
            .margin(16)
            .x_label_area_size(80)
            .y_label_area_size(120)
            .build_cartesian_2d(x_low..x_high, (low - pad)..(high + pad))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_desc(self.axis_titles[0].as_str())
            .y_desc(self.outcome.as_str())
            .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
            .label_style(font(TICK_SIZE))
            .x_labels(7)
            .y_labels(8)
            .x_label_formatter(&|v| compact(*v))
            .y_label_formatter(&|v| compact(*v))
            .draw()?;
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
        // Colour bar in the legend column.
        legend.draw(&Text::new(
            self.outcome.clone(),
            (24, 20),
            bold(SOURCE_SIZE),
        ))?;
        let (bar_top, bar_bottom) = (64, 464);
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
                compact(low + t * span),
                (76, y),
                anchored(font(TICK_SIZE), HPos::Left, VPos::Center),
            ))?;
        }
        style::draw_note(
            legend,
            "Colour: mean over replications; the number in a cell is the mean (shown when the grid is small). Every point uses the same random streams.",
            bar_bottom + 40,
            28,
        )?;
        let panels = self.series.len().max(1);
        let columns = if panels <= 1 { 1 } else { 2 };
        let rows = panels.div_ceil(columns);
        let areas = plot.split_evenly((rows, columns));
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
                .label_style(font(SOURCE_SIZE))
                .x_labels(5)
                .y_labels(5)
                .x_label_formatter(&|v| compact(*v))
                .y_label_formatter(&|v| compact(*v))
                .draw()?;
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
                            compact(value),
                            (x, y),
                            anchored(
                                (style::FONT, 17.0).into_font().color(&text_colour),
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
            axis_titles: vec!["fund.budget_eur".into(), "model.cliff_months".into()],
            axes,
            outcome: "survival".into(),
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
        assert_eq!(compact(24_600_000.0), "24.6M");
        assert_eq!(compact(9_200.0), "9200");
        assert_eq!(compact(19_000.0), "19,000");
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
    }
}
