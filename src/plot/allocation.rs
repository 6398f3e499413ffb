//! Where the money goes: the expected money each project receives under each funded
//! strategy (sorted bars, one panel per strategy on a shared scale), and the Lorenz curve
//! of each allocation with its Gini coefficient.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::maintenance::nice_step;
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, Swatch, TICK_SIZE, bold, font,
    strategy_colour,
};
use crate::output::read::RunData;

/// A funded strategy's allocation: the expected EUR per project, largest first.
#[derive(Debug, Clone)]
pub struct Allocation {
    pub index: usize,
    pub amounts: Vec<f64>,
}

impl Allocation {
    /// Gini coefficient of the expected amounts (0 = equal shares).
    pub fn gini(&self) -> f64 {
        let mut sorted = self.amounts.clone();
        // Smallest first: `stats::gini` adds the total in the order it is given, and the
        // label has always added it smallest first (the same bits).
        sorted.sort_by(f64::total_cmp);
        crate::stats::gini(&sorted)
    }

    /// The Lorenz curve in percent: cumulative share of projects (poorest first) against
    /// cumulative share of money.
    pub fn lorenz(&self) -> Vec<(f64, f64)> {
        let mut sorted = self.amounts.clone();
        sorted.sort_by(f64::total_cmp);
        let total: f64 = sorted.iter().sum();
        let n = sorted.len() as f64;
        let mut cumulative = 0.0;
        let mut curve = vec![(0.0, 0.0)];
        for (i, amount) in sorted.iter().enumerate() {
            cumulative += amount;
            curve.push((100.0 * (i as f64 + 1.0) / n, 100.0 * cumulative / total));
        }
        curve
    }
}

/// The strategies that paid any money, with their sorted allocations.
pub fn allocations(data: &RunData) -> Vec<Allocation> {
    (0..data.strategies.len())
        .filter_map(|index| {
            let mut amounts: Vec<f64> = data
                .received(&data.strategies[index])
                .into_iter()
                .map(|(_, amount)| amount.max(0.0))
                .collect();
            if amounts.iter().sum::<f64>() <= 0.0 {
                return None;
            }
            amounts.sort_by(|a, b| b.total_cmp(a));
            Some(Allocation { index, amounts })
        })
        .collect()
}

/// What the chart draws (its footer, and the brief's caption): means, no intervals.
pub fn caption(data: &RunData) -> String {
    format!(
        "Bars: money received per project, mean over {} replications, projects ranked by it; right: the Lorenz curve of that expected allocation (Gini in the legend), dashed: perfect equality. No intervals drawn.",
        style::thousands(data.info.replications as f64)
    )
}

/// The colour of the perfect-equality line of the Lorenz panel.
const EQUALITY: RGBColor = style::TEXT;

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let body = style::frame_with_caption(
        root,
        super::kind::ChartKind::Allocation.title(),
        "Expected money received per project over the run, and how unequally it is spread",
        &caption(data),
        data,
    )?;
    let (main, legend) = style::with_legend_column(&body);
    let funded = allocations(data);
    if funded.is_empty() {
        return style::draw_message(&main, "No strategy paid any money");
    }
    let (width, _) = main.dim_in_pixel();
    let (bars, lorenz) = main.split_horizontally(width * 56 / 100);
    draw_bars(&bars, data, &funded)?;
    draw_lorenz(&lorenz, &funded)?;
    let mut entries: Vec<LegendEntry> = funded
        .iter()
        .map(|a| {
            let mut entry = LegendEntry::strategy(data, a.index, Swatch::Line);
            entry.label = format!("{}\nGini {:.2}", entry.label, a.gini());
            entry
        })
        .collect();
    entries.push(LegendEntry {
        label: "perfect equality\nGini 0".into(),
        colour: EQUALITY,
        swatch: Swatch::DashedLine,
    });
    let y = style::draw_legend(&legend, "Strategy", &entries, 20)?;
    let unfunded: Vec<&str> = (0..data.strategies.len())
        .filter(|i| funded.iter().all(|a| a.index != *i))
        .map(|i| data.strategies[i].as_str())
        .collect();
    let mut note = "Gini of the expected allocation: 0 when all projects get the same, near 1 when one gets everything.".to_string();
    if !unfunded.is_empty() {
        let names: Vec<String> = unfunded.iter().map(|name| format!("“{name}”")).collect();
        note.push_str(&format!(" Not shown (paid nothing): {}.", names.join(", ")));
    }
    style::draw_note(&legend, &note, y + 16, 28)?;
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
    funded: &[Allocation],
) -> Result<(), PlotError> {
    let highest = funded
        .iter()
        .flat_map(|a| a.amounts.iter())
        .fold(0.0_f64, |m, &v| m.max(v))
        / 1e3;
    let step = nice_step(highest);
    let (_, y_high) = style::padded_range(0.0, highest * 1.08, step);
    let projects = funded
        .iter()
        .map(|a| a.amounts.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let (_, height) = area.dim_in_pixel();
    let axis = 76;
    let panel_height = (height.saturating_sub(axis)) / funded.len() as u32;
    let mut rest = area.clone();
    for (position, allocation) in funded.iter().enumerate() {
        let last = position + 1 == funded.len();
        let (panel, below) = if last {
            (rest.clone(), rest.clone())
        } else {
            rest.split_vertically(panel_height)
        };
        let colour = strategy_colour(allocation.index);
        let mut chart = ChartBuilder::on(&panel)
            .margin_top(18)
            .margin_bottom(if last { 0 } else { 10 })
            .margin_right(20)
            .x_label_area_size(if last { axis } else { 0 })
            .y_label_area_size(130)
            .build_cartesian_2d(0.0..projects as f64, 0.0..y_high)?;
        let mut mesh = chart.configure_mesh();
        mesh.disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(style::MUTED)
            .y_desc("EUR thousand")
            .axis_desc_style(font(AXIS_TITLE_SIZE - 4.0))
            .label_style(font(TICK_SIZE - 2.0))
            .y_labels(3)
            .y_label_formatter(&|v| style::thousands(*v));
        if last {
            mesh.x_desc("Projects, ranked by expected money received")
                .x_labels(7)
                .x_label_formatter(&|v| format!("{v:.0}"));
        } else {
            mesh.x_labels(0);
        }
        mesh.draw()?;
        chart.draw_series(allocation.amounts.iter().enumerate().map(|(i, amount)| {
            let x = i as f64;
            Rectangle::new([(x + 0.12, 0.0), (x + 0.88, amount / 1e3)], colour.filled())
        }))?;
        let (panel_width, _) = panel.dim_in_pixel();
        panel.draw(&Text::new(
            data.strategies[allocation.index].clone(),
            (panel_width as i32 - 30, 14),
            style::anchored(
                bold(TICK_SIZE).color(&colour),
                plotters::style::text_anchor::HPos::Right,
                plotters::style::text_anchor::VPos::Top,
            ),
        ))?;
        rest = below;
    }
    Ok(())
}

fn draw_lorenz<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    funded: &[Allocation],
) -> Result<(), PlotError> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_left(24)
        .margin_right(24)
        .caption("Lorenz curve", bold(AXIS_TITLE_SIZE))
        .x_label_area_size(76)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..100.0, 0.0..100.0)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(style::MUTED)
        .x_desc("Projects, least funded first (%)")
        .y_desc("Share of the money (%)")
        .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
        .label_style(font(TICK_SIZE))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    for allocation in funded {
        chart.draw_series(LineSeries::new(
            allocation.lorenz(),
            strategy_colour(allocation.index).stroke_width(LINE_WIDTH),
        ))?;
    }
    // The equality line goes on top: an equal split's Lorenz curve lies exactly on it and
    // used to hide it. Dashes are drawn segment by segment in data units, so they show at
    // any size.
    let dashes = 24;
    for dash in 0..dashes {
        let start = 100.0 * f64::from(dash) / f64::from(dashes);
        let end = start + 100.0 * 0.55 / f64::from(dashes);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(start, start), (end, end)],
            EQUALITY.stroke_width(3),
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Allocation;

    #[test]
    fn gini_and_lorenz_of_known_allocations() {
        let equal = Allocation {
            index: 1,
            amounts: vec![5.0; 4],
        };
        assert_eq!(equal.gini(), 0.0);
        assert_eq!(equal.lorenz()[2], (50.0, 50.0));
        let one_takes_all = Allocation {
            index: 1,
            amounts: vec![10.0, 0.0, 0.0, 0.0],
        };
        assert!((one_takes_all.gini() - 0.75).abs() < 1e-12);
        assert_eq!(one_takes_all.lorenz()[3], (75.0, 0.0));
        assert_eq!(one_takes_all.lorenz()[4], (100.0, 100.0));
    }
}
