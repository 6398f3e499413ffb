//! Sensitivity charts: a tornado of Morris μ* (with bootstrap whiskers and σ) and a bar
//! chart of Sobol first-order and total indices with whiskers, one row per uncertain
//! parameter (most important on top), one bar per strategy in its usual colour.
//!
//! Also the small helpers the analysis charts share (they are drawn from analysis
//! results rather than a run folder): a frame with a free source line, and rendering one
//! chart to both PNG and SVG.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas;
use super::error::PlotError;
use super::labels::ValueFormat;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LegendEntry, MUTED, SOURCE_SIZE, SUBTITLE_SIZE, Swatch, TICK_SIZE,
    TITLE_SIZE, anchored, bold, font, muted, strategy_colour,
};

/// A chart of an analysis, drawable on any backend.
pub trait AnalysisChart {
    fn size(&self) -> (u32, u32);
    /// Draws the chart.
    ///
    /// # Errors
    /// [`PlotError::Draw`] when the backend fails.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

/// One chart in both formats.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub png: Vec<u8>,
    pub svg: String,
}

/// Renders a chart as PNG (200 dpi) and SVG.
///
/// # Errors
/// [`PlotError`] when drawing or encoding fails.
pub fn render<C: AnalysisChart>(chart: &C) -> Result<Rendered, PlotError> {
    Ok(Rendered {
        svg: canvas::svg(chart.size(), |root| chart.draw(root))?,
        png: canvas::png(chart.size(), |root| chart.draw(root))?,
    })
}

/// Title, subtitle and source line of an analysis chart.
#[derive(Debug, Clone, Default)]
pub struct Heading {
    pub title: String,
    pub subtitle: String,
    /// Where the numbers come from (scenario, seed, design, replications, version).
    pub source: String,
}

/// Draws the heading like `style::frame` does for run charts; returns the body. A title
/// too long for the width (a human outcome name and two parameters) is set smaller, and
/// on two lines if it must, never cut off at the edge.
///
/// # Errors
/// [`PlotError::Draw`] when the backend fails.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    heading: &Heading,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE)?;
    let (width, height) = root.dim_in_pixel();
    let room = width.saturating_sub(80);
    let fits = |text: &str, style: &TextStyle<'_>| {
        root.estimate_text_size(text, style)
            .map_or(true, |(w, _)| w <= room)
    };
    let one_line = [TITLE_SIZE, 40.0, 36.0, 32.0]
        .into_iter()
        .find(|&size| fits(&heading.title, &bold(size)));
    let subtitle_y = match one_line {
        Some(size) => {
            root.draw(&Text::new(heading.title.clone(), (40, 26), bold(size)))?;
            84
        }
        None => {
            let size = 30.0;
            let (first, second) = split_to_fit(&heading.title, |t| fits(t, &bold(size)));
            root.draw(&Text::new(first, (40, 10), bold(size)))?;
            root.draw(&Text::new(second, (40, 46), bold(size)))?;
            92
        }
    };
    let subtitle_size = [SUBTITLE_SIZE, 24.0, 22.0]
        .into_iter()
        .find(|&size| fits(&heading.subtitle, &muted(size)))
        .unwrap_or(20.0);
    root.draw(&Text::new(
        heading.subtitle.clone(),
        (40, subtitle_y),
        muted(subtitle_size),
    ))?;
    let source_size = [SOURCE_SIZE, 18.0]
        .into_iter()
        .find(|&size| fits(&heading.source, &muted(size)))
        .unwrap_or(16.0);
    root.draw(&Text::new(
        heading.source.clone(),
        (40, height as i32 - 42),
        muted(source_size),
    ))?;
    Ok(root.margin(130, 64, 24, 24))
}

/// `text` split at a space into a first line that fits (as long as possible) and the
/// rest.
fn split_to_fit(text: &str, fits: impl Fn(&str) -> bool) -> (String, String) {
    // At a comma when both halves fit: "Outcome," over "by parameter".
    if let Some((first, rest)) = text.rsplit_once(", ")
        && fits(first)
        && fits(rest)
    {
        return (format!("{first},"), rest.to_string());
    }
    let words: Vec<&str> = text.split(' ').collect();
    let mut cut = words.len().saturating_sub(1).max(1);
    while cut > 1 && !fits(&words[..cut].join(" ")) {
        cut -= 1;
    }
    (words[..cut].join(" "), words[cut..].join(" "))
}

/// A legend entry for a strategy drawn in the colour of its scenario index.
pub fn strategy_entry(label: &str, colour_index: usize, swatch: Swatch) -> LegendEntry {
    LegendEntry {
        label: label.to_string(),
        colour: strategy_colour(colour_index),
        swatch,
    }
}

/// A value with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Whisker {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// One strategy's (or output's) bars.
#[derive(Debug, Clone)]
pub struct BarSeries {
    pub label: String,
    /// Index of the strategy in the scenario: its colour.
    pub colour_index: usize,
    /// Per parameter: the main measure (μ* or the total index).
    pub main: Vec<Whisker>,
    /// Per parameter: the second measure (σ for Morris, the first-order index for Sobol).
    pub second: Vec<Whisker>,
}

/// Which chart a [`BarChart`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    /// Morris: bars of μ* with whiskers, σ as a hollow marker.
    Tornado,
    /// Sobol: light bars of the total index, solid bars of the first-order index, both
    /// with whiskers.
    SobolIndices,
}

/// A horizontal bar chart of sensitivity measures: one row per parameter.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub kind: BarKind,
    pub heading: Heading,
    /// Parameter labels, in the order of the series' values.
    pub parameters: Vec<String>,
    pub series: Vec<BarSeries>,
    /// Title of the value axis (with units).
    pub axis_title: String,
    /// How the value axis writes its ticks (percentage points for μ* of a share,
    /// percent of the variance for Sobol indices).
    pub format: ValueFormat,
    /// Extra text under the legend (the Monte Carlo noise, the design).
    pub note: String,
}

impl BarChart {
    /// Parameters ordered by their largest main measure over the series, largest first.
    pub fn order(&self) -> Vec<usize> {
        let size = |p: usize| {
            self.series
                .iter()
                .map(|s| s.main[p].value)
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        };
        let mut order: Vec<usize> = (0..self.parameters.len()).collect();
        order.sort_by(|&a, &b| size(b).total_cmp(&size(a)).then(a.cmp(&b)));
        order
    }
}

/// A name safe in a file name: ASCII letters, digits, `-`, `_` and `.` kept, anything
/// else `_`.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The file stem (under `charts/`) of the chart of one metric and comparison:
/// `morris-survival_at_horizon`, or `sobol-survival_at_horizon-vs-none` for the
/// strategies' paired differences to `none` (`versus` empty for levels).
pub fn chart_stem(method: &str, metric: &str, versus: &str) -> String {
    if versus.is_empty() {
        format!("{method}-{}", file_safe(metric))
    } else {
        format!("{method}-{}-vs-{}", file_safe(metric), file_safe(versus))
    }
}

/// Width of the column of parameter labels.
const LABEL_WIDTH: u32 = 400;

impl AnalysisChart for BarChart {
    fn size(&self) -> (u32, u32) {
        let rows = self.parameters.len() as u32;
        let per_row = (self.series.len() as u32 * 18).max(34) + 18;
        (style::WIDTH, (330 + rows * per_row).max(style::HEIGHT))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = frame(root, &self.heading)?;
        let (plot, legend) = style::with_legend_column(&body);
        let swatch = match self.kind {
            BarKind::Tornado => Swatch::Box,
            BarKind::SobolIndices => Swatch::Box,
        };
        let entries: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| strategy_entry(&s.label, s.colour_index, swatch))
            .collect();
        let y = style::draw_legend(&legend, "Strategy", &entries, 20)?;
        let explain = match self.kind {
            BarKind::Tornado => {
                "Bars: μ*, the mean absolute elementary effect, with its 95% bootstrap interval. Hollow circles: σ, the spread of the effects (non-linearity or interactions)."
            }
            BarKind::SobolIndices => {
                "Light bars: total index (the parameter's share of the variance with all its interactions). Solid bars: first-order index (alone). Whiskers: 95% bootstrap intervals."
            }
        };
        let y = style::draw_note(&legend, explain, y + 16, 28)?;
        if !self.note.is_empty() {
            style::draw_note(&legend, &self.note, y + 16, 28)?;
        }
        let order = self.order();
        let values = self.series.iter().flat_map(|s| {
            s.main
                .iter()
                .chain(&s.second)
                .flat_map(|w| [w.value, w.low, w.high])
        });
        let (mut low, mut high) = (0.0_f64, 0.0_f64);
        for v in values.filter(|v| v.is_finite()) {
            low = low.min(v);
            high = high.max(v);
        }
        if self.kind == BarKind::SobolIndices {
            high = high.clamp(1.0, 1.2);
            low = low.max(-0.2);
        }
        if high <= low {
            high = low + 1.0;
        }
        let span = high - low;
        let x_range = (low - 0.02 * span)..(high + 0.04 * span);
        let rows = order.len() as f64;
        let (plot_label, plot) = plot.split_horizontally(LABEL_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(76)
            .y_label_area_size(0)
            .build_cartesian_2d(x_range.clone(), 0.0..rows)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_desc(self.axis_title.as_str())
            .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
            .label_style(font(TICK_SIZE))
            .x_labels(8)
            .y_labels(0)
            .x_label_formatter(&|v| self.format.tick(*v))
            .draw()?;
        if x_range.start < 0.0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, rows)],
                MUTED.stroke_width(2),
            )))?;
        }
        let count = self.series.len().max(1) as f64;
        let slot = 0.8 / count;
        let (label_x0, _) = plot_label.get_base_pixel();
        let (label_width, _) = plot_label.dim_in_pixel();
        for (row, &parameter) in order.iter().enumerate() {
            // Row 0 at the top.
            let top = rows - row as f64 - 0.1;
            let centre = rows - row as f64 - 0.5;
            let (_, y_pixel) = chart.backend_coord(&(x_range.start, centre));
            root.draw(&Text::new(
                fit_label(&self.parameters[parameter], 30),
                (label_x0 + label_width as i32 - 8, y_pixel),
                anchored(font(TICK_SIZE), HPos::Right, VPos::Center),
            ))?;
            if row > 0 {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x_range.start, top + 0.1), (x_range.end, top + 0.1)],
                    GRID.stroke_width(1),
                )))?;
            }
            for (s, series) in self.series.iter().enumerate() {
                let colour = strategy_colour(series.colour_index);
                let y1 = top - slot * s as f64;
                let y0 = y1 - slot * 0.85;
                let middle = 0.5 * (y0 + y1);
                let main = series.main[parameter];
                let second = series.second[parameter];
                let clamp = |v: f64| v.clamp(x_range.start, x_range.end);
                match self.kind {
                    BarKind::Tornado => {
                        if main.value.is_finite() {
                            chart.draw_series(std::iter::once(Rectangle::new(
                                [(0.0, y0), (clamp(main.value), y1)],
                                colour.filled(),
                            )))?;
                        }
                        draw_whisker(&mut chart, main, middle, slot * 0.3, &clamp)?;
                        if second.value.is_finite() {
                            chart.draw_series(std::iter::once(Circle::new(
                                (clamp(second.value), middle),
                                7,
                                colour.stroke_width(3),
                            )))?;
                        }
                    }
                    BarKind::SobolIndices => {
                        if main.value.is_finite() {
                            chart.draw_series(std::iter::once(Rectangle::new(
                                [(0.0, y0), (clamp(main.value), y1)],
                                colour.mix(0.35).filled(),
                            )))?;
                        }
                        let inner = (y1 - y0) * 0.25;
                        if second.value.is_finite() {
                            chart.draw_series(std::iter::once(Rectangle::new(
                                [(0.0, y0 + inner), (clamp(second.value), y1 - inner)],
                                colour.filled(),
                            )))?;
                        }
                        draw_whisker(&mut chart, main, y1 - inner * 0.5, slot * 0.15, &clamp)?;
                        draw_whisker(&mut chart, second, middle, slot * 0.15, &clamp)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn draw_whisker<DB: DrawingBackend>(
    chart: &mut style::Chart<'_, '_, DB>,
    whisker: Whisker,
    y: f64,
    cap: f64,
    clamp: &dyn Fn(f64) -> f64,
) -> Result<(), PlotError> {
    if !(whisker.low.is_finite() && whisker.high.is_finite()) {
        return Ok(());
    }
    let (low, high) = (clamp(whisker.low), clamp(whisker.high));
    for path in [
        vec![(low, y), (high, y)],
        vec![(low, y - cap), (low, y + cap)],
        vec![(high, y - cap), (high, y + cap)],
    ] {
        chart.draw_series(std::iter::once(PathElement::new(
            path,
            style::TEXT.stroke_width(2),
        )))?;
    }
    Ok(())
}

/// Shortens a label to `chars` characters with an ellipsis.
pub fn fit_label(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_string()
    } else {
        label.chars().take(chars - 1).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(kind: BarKind) -> BarChart {
        let w = |v: f64| Whisker {
            value: v,
            low: v - 0.05,
            high: v + 0.05,
        };
        BarChart {
            kind,
            heading: Heading {
                title: "Test".into(),
                subtitle: "sub".into(),
                source: "source".into(),
            },
            parameters: vec!["a".into(), "b".into(), "c".into()],
            series: (0..2)
                .map(|s| BarSeries {
                    label: format!("s{s}"),
                    colour_index: s + 1,
                    main: vec![w(0.1), w(0.6), w(f64::NAN)],
                    second: vec![w(0.05), w(0.5), w(0.0)],
                })
                .collect(),
            axis_title: "index".into(),
            format: ValueFormat::Percent,
            note: "noise 1%".into(),
        }
    }

    #[test]
    fn bar_charts_render_and_order_rows_by_importance() {
        let chart = chart(BarKind::SobolIndices);
        assert_eq!(chart.order(), [1, 0, 2]);
        for kind in [BarKind::SobolIndices, BarKind::Tornado] {
            let rendered = render(&self::chart(kind)).unwrap();
            assert!(rendered.png.starts_with(b"\x89PNG"));
            assert!(rendered.svg.contains("<svg") && rendered.svg.contains("noise 1%"));
            assert!(rendered.svg.contains(">\n40%\n</text>"), "ticks in percent");
        }
    }
}
