//! Kaplan–Meier curves of observed project lifetimes (`fundsim survival`) and, for a
//! calibration, the fitted simulated baseline beside them (`fundsim calibrate`).
//!
//! The layout follows the run's survival chart (KMunicate, Morris et al. 2019): curves with
//! their 95% bands, a legend in its own column, and under the plot the number at risk and
//! the cumulative events at each tick, aligned with the axis. Observed curves are step
//! functions with short vertical ticks at censoring times; a fitted (simulated) curve is a
//! black line, the colour of the `none` baseline in every run chart. The chart does not
//! depend on a run folder, so it draws from [`KaplanMeier`] estimates directly.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas;
use super::error::PlotError;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, SOURCE_SIZE, SUBTITLE_SIZE, Swatch,
    TICK_SIZE, TITLE_SIZE, anchored, bold, font, muted,
};
use crate::stats::KaplanMeier;

/// How a curve is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveKind {
    /// Observed data: a step function with its band and censoring ticks, and rows in the
    /// table under the plot.
    Observed,
    /// A simulated curve (e.g. the fitted baseline): a line without band.
    Simulated,
}

/// One curve of the chart.
#[derive(Debug, Clone)]
pub struct ChartCurve<'a> {
    pub label: String,
    pub km: &'a KaplanMeier,
    pub kind: CurveKind,
}

/// What to draw: titles, the source line and the curves.
#[derive(Debug, Clone)]
pub struct ObservedChart<'a> {
    pub title: String,
    pub subtitle: String,
    /// The line at the bottom: where the numbers come from.
    pub source: String,
    pub curves: Vec<ChartCurve<'a>>,
}

/// The colour of a curve: simulated curves are black (the baseline's colour); observed
/// ones take the palette from its second colour on, in order.
fn colour(chart: &ObservedChart<'_>, index: usize) -> RGBColor {
    match chart.curves[index].kind {
        CurveKind::Simulated => style::PALETTE[0],
        CurveKind::Observed => {
            let rank = chart.curves[..index]
                .iter()
                .filter(|c| c.kind == CurveKind::Observed)
                .count();
            style::PALETTE[1 + rank % (style::PALETTE.len() - 1)]
        }
    }
}

fn observed<'c, 'a>(
    chart: &'c ObservedChart<'a>,
) -> impl Iterator<Item = (usize, &'c ChartCurve<'a>)> {
    chart
        .curves
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == CurveKind::Observed)
}

const TABLE_ROW: i32 = 34;
const TABLE_HEADING: i32 = 46;
const TABLE_SIZE: f64 = 22.0;

fn table_height(chart: &ObservedChart<'_>) -> u32 {
    let rows = observed(chart).count() as i32;
    if rows == 0 {
        0
    } else {
        (2 * TABLE_HEADING + 2 * TABLE_ROW * rows + 24) as u32
    }
}

/// Canvas size: the run charts' width, taller with more observed groups.
pub fn size(chart: &ObservedChart<'_>) -> (u32, u32) {
    (style::WIDTH, 760 + table_height(chart))
}

/// Tick months: a round step giving at most 12 intervals.
fn ticks(last: f64) -> Vec<f64> {
    let step = [1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 60.0, 120.0, 240.0, 600.0]
        .into_iter()
        .find(|step| last / step <= 12.0)
        .unwrap_or_else(|| (last / 12.0).ceil());
    let count = (last / step).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// Draws the chart on `root`.
///
/// # Errors
/// [`PlotError::Draw`] when the backend fails.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ObservedChart<'_>,
) -> Result<(), PlotError> {
    root.fill(&WHITE)?;
    let (_, height) = root.dim_in_pixel();
    root.draw(&Text::new(chart.title.as_str(), (40, 26), bold(TITLE_SIZE)))?;
    root.draw(&Text::new(
        chart.subtitle.as_str(),
        (40, 84),
        muted(SUBTITLE_SIZE),
    ))?;
    root.draw(&Text::new(
        chart.source.as_str(),
        (40, height as i32 - 42),
        muted(SOURCE_SIZE),
    ))?;
    let body = root.margin(130, 64, 24, 24);
    let (main, legend) = style::with_legend_column(&body);
    let (_, main_height) = main.dim_in_pixel();
    let (plot, table) = main.split_vertically(main_height - table_height(chart));
    let label_area = label_area_width(root, chart);
    let columns = draw_curves(&plot, chart, label_area)?;
    draw_legend(&legend, chart)?;
    draw_table(&table, chart, &columns)
}

/// The width the left label area needs for the table's row labels.
fn label_area_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ObservedChart<'_>,
) -> u32 {
    let widest = observed(chart)
        .filter_map(|(_, c)| root.estimate_text_size(&c.label, &font(TABLE_SIZE)).ok())
        .map(|(width, _)| width)
        .max()
        .unwrap_or(0);
    (widest + 56).max(130)
}

/// The step outline of a curve: `(time, value)` corners, flat to `end`.
fn steps(km: &KaplanMeier, value: impl Fn(usize) -> f64, end: f64) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(2 * km.rows().len() + 1);
    let mut current = 100.0;
    for (index, row) in km.rows().iter().enumerate() {
        let next = value(index);
        points.push((row.time, current));
        points.push((row.time, next));
        current = next;
    }
    points.push((end.max(km.last_time()), current));
    points
}

fn percent(value: f64, fallback: f64) -> f64 {
    100.0 * if value.is_finite() { value } else { fallback }
}

/// Draws curves, bands and censoring ticks; returns the tick columns `(month, x pixel)`.
fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ObservedChart<'_>,
    y_label_area: u32,
) -> Result<Vec<(f64, i32)>, PlotError> {
    let last = chart
        .curves
        .iter()
        .map(|c| c.km.last_time())
        .fold(1.0, f64::max);
    let lowest = chart
        .curves
        .iter()
        .flat_map(|c| {
            c.km.rows().iter().map(move |r| {
                let low = if c.kind == CurveKind::Observed {
                    r.ci_low
                } else {
                    r.survival
                };
                percent(low, r.survival)
            })
        })
        .fold(100.0, f64::min);
    let (y_low, y_high) = style::padded_range(lowest.min(90.0), 100.0, 10.0);
    let tick_months = ticks(last);
    let x_high = *tick_months.last().unwrap_or(&last);
    let mut plot = ChartBuilder::on(area)
        .margin_top(12)
        .margin_right(28)
        .x_label_area_size(72)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(0.0..x_high, y_low..y_high)?;
    plot.configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc("Months since the start of follow-up")
        .y_desc("Projects not abandoned (%)")
        .axis_desc_style(font(AXIS_TITLE_SIZE))
        .label_style(font(TICK_SIZE))
        .x_labels(0)
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .y_labels(((y_high - y_low) / 10.0) as usize + 1)
        .draw()?;
    for (index, curve) in observed(chart) {
        let km = curve.km;
        let rows = km.rows();
        let end = km.last_time();
        let mut outline = steps(km, |i| percent(rows[i].ci_high, rows[i].survival), end);
        let lower = steps(km, |i| percent(rows[i].ci_low, rows[i].survival), end);
        outline.extend(lower.into_iter().rev());
        plot.draw_series(std::iter::once(Polygon::new(
            outline,
            colour(chart, index).mix(0.2).filled(),
        )))?;
    }
    // Pixels per percentage point, for censoring ticks of a fixed height.
    let y_scale = {
        let bottom = plot.backend_coord(&(0.0, y_low)).1;
        let top = plot.backend_coord(&(0.0, y_high)).1;
        f64::from(bottom - top) / (y_high - y_low)
    };
    for (index, curve) in chart.curves.iter().enumerate() {
        let km = curve.km;
        let rows = km.rows();
        let line = steps(km, |i| 100.0 * rows[i].survival, km.last_time());
        let stroke = colour(chart, index).stroke_width(LINE_WIDTH);
        match curve.kind {
            CurveKind::Observed => {
                plot.draw_series(LineSeries::new(line, stroke))?;
                // Censoring ticks: 14 pixels tall.
                let half = 7.0 / y_scale.max(1e-9);
                let ticks = rows.iter().filter(|r| r.censored > 0).map(|r| {
                    let y = 100.0 * r.survival;
                    PathElement::new(
                        vec![(r.time, y - half), (r.time, y + half)],
                        colour(chart, index).stroke_width(3),
                    )
                });
                plot.draw_series(ticks)?;
            }
            CurveKind::Simulated => {
                plot.draw_series(DashedLineSeries::new(line, 14, 8, stroke))?;
            }
        }
    }
    let columns: Vec<(f64, i32)> = tick_months
        .iter()
        .map(|&month| (month, plot.backend_coord(&(month, y_low)).0))
        .collect();
    style::draw_x_ticks(area, &plot, &columns, y_low)?;
    Ok(columns)
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ObservedChart<'_>,
) -> Result<(), PlotError> {
    let entries: Vec<LegendEntry> = chart
        .curves
        .iter()
        .enumerate()
        .map(|(index, curve)| {
            let events: u64 = curve.km.rows().iter().map(|r| r.events).sum();
            let detail = match curve.kind {
                CurveKind::Observed => format!(
                    "{} projects, {} abandoned",
                    style::thousands(curve.km.subjects() as f64),
                    style::thousands(events as f64)
                ),
                CurveKind::Simulated => format!(
                    "simulated, {} projects",
                    style::thousands(curve.km.subjects() as f64)
                ),
            };
            LegendEntry {
                label: format!("{}\n{detail}", curve.label),
                colour: colour(chart, index),
                swatch: match curve.kind {
                    CurveKind::Observed => Swatch::Line,
                    CurveKind::Simulated => Swatch::DashedLine,
                },
            }
        })
        .collect();
    let y = style::draw_legend(area, "Curve", &entries, 20)?;
    let note = if observed(chart).next().is_some() {
        "Steps: Kaplan–Meier estimate. Bands: 95% log-log intervals (Greenwood). Ticks: projects still maintained when follow-up ended (censored)."
    } else {
        "Simulated share of projects never abandoned."
    };
    style::draw_note(area, note, y + 16, 28)?;
    Ok(())
}

/// A value of the table under the plot: a curve's number at a time (`None`: past its
/// follow-up).
type TableValue = dyn Fn(&KaplanMeier, f64) -> Option<u64>;

/// Number at risk and cumulative abandonments at each tick, per observed curve.
fn draw_table<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ObservedChart<'_>,
    columns: &[(f64, i32)],
) -> Result<(), PlotError> {
    if observed(chart).next().is_none() {
        return Ok(());
    }
    let (base_x, _) = area.get_base_pixel();
    let left = columns.first().map_or(0, |c| c.1);
    let label_right = left - base_x - 34;
    let mut y = 12;
    let blocks: [(&str, &TableValue); 2] = [
        (
            "Number at risk (projects not yet abandoned or censored)",
            &|km, t| {
                (t <= km.last_time()).then(|| {
                    km.rows()
                        .iter()
                        .find(|r| r.time >= t)
                        .map_or(0, |r| r.at_risk)
                })
            },
        ),
        ("Cumulative abandonments", &|km, t| {
            (t <= km.last_time()).then(|| {
                km.rows()
                    .iter()
                    .filter(|r| r.time <= t)
                    .map(|r| r.events)
                    .sum()
            })
        }),
    ];
    for (heading, value) in blocks {
        area.draw(&Text::new(heading, (8, y), bold(TABLE_SIZE)))?;
        y += TABLE_HEADING;
        for (index, curve) in observed(chart) {
            area.draw(&Text::new(
                curve.label.as_str(),
                (label_right, y),
                anchored(
                    font(TABLE_SIZE).color(&colour(chart, index)),
                    HPos::Right,
                    VPos::Center,
                ),
            ))?;
            for &(month, x) in columns {
                let text = value(curve.km, month)
                    .map_or_else(|| "–".to_string(), |v| style::thousands(v as f64));
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

/// The chart as an SVG document.
///
/// # Errors
/// [`PlotError`] when drawing fails.
pub fn render_svg(chart: &ObservedChart<'_>) -> Result<String, PlotError> {
    canvas::svg(size(chart), |root| draw(root, chart))
}

/// The chart as a PNG (RGB, 200 dpi, as the run charts).
///
/// # Errors
/// [`PlotError`] when drawing or encoding fails.
pub fn render_png(chart: &ObservedChart<'_>) -> Result<Vec<u8>, PlotError> {
    canvas::png(size(chart), |root| draw(root, chart))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Lifetime;

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            ticks(60.0),
            (0..=10).map(|i| f64::from(i) * 6.0).collect::<Vec<_>>()
        );
        assert_eq!(ticks(120.0).last(), Some(&120.0));
        assert_eq!(ticks(120.0)[1], 12.0);
        assert_eq!(ticks(35.0).last(), Some(&36.0));
        assert_eq!(ticks(5.0).len(), 6);
    }

    #[test]
    fn renders_observed_and_simulated_curves() {
        let km = KaplanMeier::fit(&[
            Lifetime::event(3.0),
            Lifetime::censored(5.0),
            Lifetime::event(8.0),
            Lifetime::censored(24.0),
        ])
        .unwrap();
        let simulated = KaplanMeier::from_pooled_months(&[10, 9, 9, 8, 7, 7]).unwrap();
        let chart = ObservedChart {
            title: "Observed".into(),
            subtitle: "test".into(),
            source: "Source: test".into(),
            curves: vec![
                ChartCurve {
                    label: "data".into(),
                    km: &km,
                    kind: CurveKind::Observed,
                },
                ChartCurve {
                    label: "fitted".into(),
                    km: &simulated,
                    kind: CurveKind::Simulated,
                },
            ],
        };
        let svg = render_svg(&chart).unwrap();
        assert!(svg.contains("Number at risk") && svg.contains("fitted"));
        let png = render_png(&chart).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
