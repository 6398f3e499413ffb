//! Cost-effectiveness, in two panels, both paired against the no-funding baseline with
//! 95% whiskers on both axes; down and to the right is better. Left: the fund's cost per
//! abandonment averted against the survival gained at the horizon, every project counting
//! the same. Right: the cost per usage-weighted project-year gained against the
//! usage-weighted project-years gained, where a widely used project counts for more (one
//! of average usage counts as one): a strategy that keeps few but heavily used projects
//! alive looks poor on the left and good on the right.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::PlotError;
use super::maintenance::nice_step;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LegendEntry, Swatch, TICK_SIZE, anchored, bold, font,
    strategy_colour,
};
use crate::output::read::{RunData, Value};

/// The `summary.csv` metrics of the usage-weighted panel: the paired effect and its cost
/// ratio.
pub const WEIGHTED_EFFECT: &str = "weighted_project_years_gained";
pub const WEIGHTED_COST: &str = "cost_per_weighted_project_year_gained_eur";

/// One strategy's point: the effect gained (x) and its cost per unit (y, in the panel's
/// unit).
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub index: usize,
    pub gained: Value,
    pub cost: Value,
}

/// The two views of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every project counts the same: survival gained (percentage points) and cost per
    /// abandonment averted (EUR million).
    Projects,
    /// Projects weighted by usage: usage-weighted project-years gained and the cost per
    /// one (EUR thousand).
    Usage,
}

impl View {
    fn title(self) -> &'static str {
        match self {
            Self::Projects => "Every project counts the same",
            Self::Usage => "Projects weighted by usage",
        }
    }

    fn x_desc(self, data: &RunData) -> String {
        match self {
            Self::Projects => format!(
                "Survival gained at {} years (percentage points)",
                data.info.horizon_months / 12
            ),
            Self::Usage => "Usage-weighted project-years gained".into(),
        }
    }

    fn y_desc(self) -> &'static str {
        match self {
            Self::Projects => "Cost per abandonment averted (EUR million)",
            Self::Usage => "Cost per weighted project-year (EUR thousand)",
        }
    }

    /// What a strategy without a point lacks.
    fn missing_reason(self) -> &'static str {
        match self {
            Self::Projects => "no abandonment averted",
            Self::Usage => "no usage-weighted project-year gained",
        }
    }
}

/// The points of `view` that can be drawn, and the strategies that cannot (no positive
/// effect, so no cost per unit of it).
pub fn view_points(data: &RunData, view: View) -> (Vec<Point>, Vec<String>) {
    let mut shown = Vec::new();
    let mut missing = Vec::new();
    for (index, strategy) in data.strategies.iter().enumerate().skip(1) {
        let point = match view {
            View::Projects => data
                .survival_gained_points(strategy)
                .zip(data.cost_per_abandonment_averted(strategy))
                .map(|(gained, cost)| (gained, cost.scaled(1e-6))),
            View::Usage => paired(data, strategy, WEIGHTED_EFFECT)
                .zip(paired(data, strategy, WEIGHTED_COST))
                .filter(|(gained, _)| gained.mean > 0.0)
                .map(|(gained, cost)| (gained, cost.scaled(1e-3))),
        };
        match point {
            Some((gained, cost)) => shown.push(Point {
                index,
                gained,
                cost,
            }),
            None => missing.push(strategy.clone()),
        }
    }
    (shown, missing)
}

/// The points of the left panel (every project counting the same).
pub fn points(data: &RunData) -> (Vec<Point>, Vec<String>) {
    view_points(data, View::Projects)
}

/// A paired metric of `summary.csv` (computed within replications against the baseline).
fn paired(data: &RunData, strategy: &str, metric: &str) -> Option<Value> {
    let estimate = data.metric(strategy, metric)?;
    Some(Value {
        mean: estimate.mean.filter(|m| m.is_finite())?,
        low: estimate.ci_low,
        high: estimate.ci_high,
        paired: true,
    })
}

/// What the chart draws, in a sentence or two (its footer, and the brief's caption).
pub fn caption(data: &RunData) -> String {
    let baseline = data.baseline().unwrap_or("the baseline");
    let all: Vec<Point> = [View::Projects, View::Usage]
        .into_iter()
        .flat_map(|view| view_points(data, view).0)
        .collect();
    let whiskers = if all.iter().all(|p| p.gained.paired && p.cost.paired) {
        format!(
            "whiskers: 95% intervals of the mean, paired against “{baseline}” in the same replications (ratios by the delta method)"
        )
    } else {
        format!(
            "whiskers: 95% intervals of the mean, from the means of each strategy and “{baseline}” (unpaired, wider than paired ones)"
        )
    };
    format!(
        "Points: means over replications; {whiskers}. Cost: money paid to projects plus the fund's overhead. Left: cost per abandonment averted against survival gained. Right: cost per usage-weighted project-year gained against those project-years (a project of average usage counts as one)."
    )
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let baseline = data.baseline().unwrap_or("the baseline");
    let body = style::frame_with_caption(
        root,
        super::kind::ChartKind::CostEffectiveness.title(),
        &format!(
            "Each strategy against “{baseline}” on the same random shocks; lower and further right is better"
        ),
        &caption(data),
        data,
    )?;
    let (plots, legend) = style::with_legend_column(&body);
    let (width, _) = plots.dim_in_pixel();
    let (left, right) = plots.split_horizontally(width / 2);
    let (projects, missing_projects) = view_points(data, View::Projects);
    let (usage, missing_usage) = view_points(data, View::Usage);
    draw_panel(&left, data, View::Projects, &projects)?;
    draw_panel(&right, data, View::Usage, &usage)?;
    let mut indices: Vec<usize> = projects.iter().chain(&usage).map(|p| p.index).collect();
    indices.sort_unstable();
    indices.dedup();
    let entries: Vec<LegendEntry> = indices
        .iter()
        .map(|&index| LegendEntry::strategy(data, index, Swatch::Point))
        .collect();
    let mut y = style::draw_legend(&legend, "Strategy", &entries, 20)?;
    for (view, missing) in [
        (View::Projects, missing_projects),
        (View::Usage, missing_usage),
    ] {
        if !missing.is_empty() {
            let side = match view {
                View::Projects => "left",
                View::Usage => "right",
            };
            let names: Vec<String> = missing.iter().map(|m| format!("“{m}”")).collect();
            y = style::draw_note(
                &legend,
                &format!(
                    "Not shown {side} ({}): {}.",
                    view.missing_reason(),
                    names.join(", ")
                ),
                y + 16,
                28,
            )?;
        }
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
    view: View,
    shown: &[Point],
) -> Result<(), PlotError> {
    let x_values = shown.iter().flat_map(|p| {
        let (low, high) = p
            .gained
            .interval()
            .unwrap_or((p.gained.mean, p.gained.mean));
        [low, high]
    });
    let (x_low, x_high) = x_values.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let x_step = nice_step(x_high - x_low);
    let (x_low, x_high) = style::padded_range(x_low, x_high + x_step * 0.5, x_step);
    // Whiskers of a nearly undefined ratio can be huge: the axis follows the means, and
    // longer whiskers are cut at its edge.
    let cost_means = shown.iter().map(|p| p.cost.mean).fold(0.0, f64::max);
    let cost_highs = shown
        .iter()
        .filter_map(|p| p.cost.high)
        .fold(0.0, f64::max)
        .min(cost_means * 3.0);
    let y_step = nice_step(cost_highs.max(cost_means));
    let (_, y_high) = style::padded_range(0.0, cost_highs.max(cost_means) * 1.08, y_step);
    let y_decimals = style::tick_decimals(y_high, 8);
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_right(30)
        .caption(view.title(), bold(AXIS_TITLE_SIZE))
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(x_low..x_high, 0.0..y_high)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc(view.x_desc(data))
        .y_desc(view.y_desc())
        .axis_desc_style(font(AXIS_TITLE_SIZE - 3.0))
        .label_style(font(TICK_SIZE))
        .x_labels(6)
        .y_labels(8)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.y_decimals$}"))
        .draw()?;
    if shown.is_empty() {
        style::draw_message(
            area,
            &format!(
                "No strategy with {}",
                view.missing_reason().trim_start_matches("no ")
            ),
        )?;
        return Ok(());
    }
    let clamp = |v: f64| v.clamp(0.0, y_high);
    let clampx = |v: f64| v.clamp(x_low, x_high);
    let cap_x = (x_high - x_low) * 0.008;
    let cap_y = y_high * 0.01;
    for point in shown {
        let stroke = strategy_colour(point.index).stroke_width(3);
        let (x, y) = (point.gained.mean, point.cost.mean);
        if let Some((low, high)) = point.cost.interval() {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, clamp(low)), (x, clamp(high))],
                stroke,
            )))?;
            for end in [low, high]
                .into_iter()
                .filter(|v| (0.0..=y_high).contains(v))
            {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x - cap_x, end), (x + cap_x, end)],
                    stroke,
                )))?;
            }
        }
        if let Some((low, high)) = point.gained.interval() {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(clampx(low), y), (clampx(high), y)],
                stroke,
            )))?;
            for end in [low, high] {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(end, y - cap_y), (end, y + cap_y)],
                    stroke,
                )))?;
            }
        }
    }
    // Labels beside the points, unless one would overlap a label already placed (points
    // close together): the legend's colours name those.
    let label_style = font(TICK_SIZE - 4.0);
    let mut placed: Vec<(i32, i32, i32)> = Vec::new();
    for point in shown {
        let (x, y) = (point.gained.mean, point.cost.mean);
        let colour = strategy_colour(point.index);
        chart.draw_series(std::iter::once(Circle::new((x, y), 11, colour.filled())))?;
        chart.draw_series(std::iter::once(Circle::new(
            (x, y),
            11,
            WHITE.stroke_width(2),
        )))?;
        let name = &data.strategies[point.index];
        let width = area
            .estimate_text_size(name, &label_style)
            .map_or(0, |(w, _)| w as i32);
        let (px, py) = chart.backend_coord(&(x, y));
        let overlaps = placed
            .iter()
            .any(|&(ox, oy, ow)| (py - oy).abs() < 30 && px < ox + ow && ox < px + width);
        if overlaps {
            continue;
        }
        placed.push((px, py, width));
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, y))
                + Text::new(
                    name.clone(),
                    (14, -10),
                    anchored(label_style.clone(), HPos::Left, VPos::Bottom),
                ),
        ))?;
    }
    Ok(())
}
