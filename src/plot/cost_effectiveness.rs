//! Cost-effectiveness: for each funded strategy, the fund's cost per abandonment averted
//! against the survival it gains at the horizon, both paired against the no-funding
//! baseline, with 95% whiskers on both axes. Down and to the right is better.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::PlotError;
use super::maintenance::nice_step;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LegendEntry, Swatch, TICK_SIZE, anchored, font, strategy_colour,
};
use crate::output::read::{RunData, Value};

/// One strategy's point: survival gained (percentage points) and cost (EUR million).
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub index: usize,
    pub gained: Value,
    pub cost: Value,
}

/// The points that can be drawn, and the strategies that cannot (no abandonment
/// averted, so no cost per abandonment averted).
pub fn points(data: &RunData) -> (Vec<Point>, Vec<String>) {
    let mut shown = Vec::new();
    let mut missing = Vec::new();
    for (index, strategy) in data.strategies.iter().enumerate().skip(1) {
        let gained = data.survival_gained_points(strategy);
        let cost = data.cost_per_abandonment_averted(strategy);
        match (gained, cost) {
            (Some(gained), Some(cost)) => shown.push(Point {
                index,
                gained,
                cost: cost.scaled(1e-6),
            }),
            _ => missing.push(strategy.clone()),
        }
    }
    (shown, missing)
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let baseline = data.baseline().unwrap_or("the baseline");
    let body = style::frame(
        root,
        super::kind::ChartKind::CostEffectiveness.title(),
        &format!(
            "Each strategy against “{baseline}” on the same random shocks; lower and further right is better"
        ),
        data,
    )?;
    let (plot, legend) = style::with_legend_column(&body);
    let (shown, missing) = points(data);
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
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(16)
        .margin_right(36)
        .x_label_area_size(80)
        .y_label_area_size(120)
        .build_cartesian_2d(x_low..x_high, 0.0..y_high)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc(format!(
            "Survival gained at {} years (percentage points of the portfolio)",
            data.info.horizon_months / 12
        ))
        .y_desc("Cost per abandonment averted (EUR million)")
        .axis_desc_style(font(AXIS_TITLE_SIZE))
        .label_style(font(TICK_SIZE))
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .draw()?;
    if shown.is_empty() {
        style::draw_message(
            &plot,
            "No strategy averted any abandonment: nothing to compare",
        )?;
    }
    let clamp = |v: f64| v.clamp(0.0, y_high);
    let clampx = |v: f64| v.clamp(x_low, x_high);
    let cap_x = (x_high - x_low) * 0.006;
    let cap_y = y_high * 0.01;
    for point in &shown {
        let colour = strategy_colour(point.index);
        let stroke = colour.stroke_width(3);
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
    for point in &shown {
        let (x, y) = (point.gained.mean, point.cost.mean);
        let colour = strategy_colour(point.index);
        chart.draw_series(std::iter::once(Circle::new((x, y), 11, colour.filled())))?;
        chart.draw_series(std::iter::once(Circle::new(
            (x, y),
            11,
            WHITE.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, y))
                + Text::new(
                    data.strategies[point.index].clone(),
                    (14, -10),
                    anchored(font(TICK_SIZE), HPos::Left, VPos::Bottom),
                ),
        ))?;
    }
    let entries: Vec<LegendEntry> = shown
        .iter()
        .map(|p| LegendEntry::strategy(data, p.index, Swatch::Point))
        .collect();
    let mut y = style::draw_legend(&legend, "Strategy", &entries, 20)?;
    let paired = shown.iter().all(|p| p.gained.paired && p.cost.paired);
    let mut notes = vec![if paired {
        "Whiskers: 95% intervals from paired replications (common random numbers); the ratio's by the delta method.".to_string()
    } else {
        "Whiskers: 95% intervals from the two means, unpaired (wider than paired ones).".to_string()
    }];
    notes.push("Cost: money paid to projects plus the fund's overhead.".into());
    if !missing.is_empty() {
        notes.push(format!(
            "Not shown (no abandonment averted): {}.",
            missing.join(", ")
        ));
    }
    for note in notes {
        y = style::draw_note(&legend, &note, y + 16, 28)?;
    }
    Ok(())
}
