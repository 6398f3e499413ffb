//! The convergence chart of `fundsim optimize`: every evaluation's estimate of the goal
//! by evaluation number (small points), each generation's mean (a line through the
//! generations), the best estimate so far (a step line) and the recommended policy's
//! estimate (a large point at the end), all on the search's own seed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::labels::compact;
use super::sensitivity::{AnalysisChart, Heading, frame};
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, MUTED, Swatch, TEXT, TICK_SIZE, font,
    strategy_colour,
};

/// A search's trace, ready to draw.
#[derive(Debug, Clone)]
pub struct ConvergenceChart {
    pub heading: Heading,
    /// The goal for people, with its unit (the y axis).
    pub goal_title: String,
    /// The goal is a share: ticks in percent.
    pub share: bool,
    /// Every evaluation: (evaluation number from 1, estimate).
    pub evaluations: Vec<(f64, f64)>,
    /// Each generation's mean estimate, at the generation's last evaluation number.
    pub generation_means: Vec<(f64, f64)>,
    /// The best estimate so far after each evaluation.
    pub best_so_far: Vec<(f64, f64)>,
    /// The recommended policy's evaluation (the optimiser's final mean).
    pub recommended: Option<(f64, f64)>,
    /// The best named strategy's value of the goal on the same seed, and its name.
    pub reference: Option<(f64, String)>,
    /// What the chart shows, under the legend.
    pub note: String,
}

impl ConvergenceChart {
    fn tick(&self, value: f64, span: f64) -> String {
        if self.share {
            let decimals = if span < 0.05 { 1 } else { 0 };
            format!("{:.decimals$}%", 100.0 * value)
        } else {
            compact(value)
        }
    }
}

impl AnalysisChart for ConvergenceChart {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, style::HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = frame(root, &self.heading)?;
        let (plot, legend) = style::with_legend_column(&body);
        let candidate = strategy_colour(5);
        let best = strategy_colour(1);
        let mut entries = vec![
            LegendEntry {
                label: "One evaluation".into(),
                colour: candidate,
                swatch: Swatch::Point,
            },
            LegendEntry {
                label: "Generation mean".into(),
                colour: MUTED,
                swatch: Swatch::Line,
            },
            LegendEntry {
                label: "Best so far".into(),
                colour: best,
                swatch: Swatch::Line,
            },
            LegendEntry {
                label: "Recommended policy\n(the optimiser's mean)".into(),
                colour: TEXT,
                swatch: Swatch::Point,
            },
        ];
        if let Some((_, name)) = &self.reference {
            entries.push(LegendEntry {
                label: format!("Best named strategy\n“{name}”"),
                colour: MUTED,
                swatch: Swatch::DashedLine,
            });
        }
        let y = style::draw_legend(&legend, "", &entries, 20)?;
        style::draw_note(&legend, &self.note, y + 16, 28)?;
        let ys: Vec<f64> = self
            .evaluations
            .iter()
            .map(|(_, v)| *v)
            .chain(self.recommended.map(|(_, v)| v))
            .chain(self.reference.as_ref().map(|(v, _)| *v))
            .filter(|v| v.is_finite())
            .collect();
        if ys.is_empty() {
            return style::draw_message(&plot, "Nothing was evaluated");
        }
        let low = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = if high > low {
            high - low
        } else {
            low.abs().max(1.0) * 0.1
        };
        let (y_low, y_high) = (low - 0.08 * span, high + 0.08 * span);
        let x_high = self
            .evaluations
            .iter()
            .map(|(x, _)| *x)
            .chain(self.recommended.map(|(x, _)| x))
            .fold(1.0, f64::max)
            + 1.0;
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(80)
            .y_label_area_size(120)
            .build_cartesian_2d(0.0..x_high, y_low..y_high)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_desc("Evaluation")
            .y_desc(self.goal_title.as_str())
            .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
            .label_style(font(TICK_SIZE))
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|v| compact(*v))
            .y_label_formatter(&|v| self.tick(*v, y_high - y_low))
            .draw()?;
        if let Some((value, _)) = &self.reference {
            chart.draw_series(DashedLineSeries::new(
                [(0.0, *value), (x_high, *value)],
                14,
                10,
                MUTED.stroke_width(3),
            ))?;
        }
        chart.draw_series(
            self.evaluations
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|&(x, v)| Circle::new((x, v), 5, candidate.mix(0.55).filled())),
        )?;
        chart.draw_series(LineSeries::new(
            self.generation_means
                .iter()
                .copied()
                .filter(|(_, v)| v.is_finite()),
            MUTED.stroke_width(LINE_WIDTH),
        ))?;
        let mut steps = Vec::new();
        for window in self.best_so_far.windows(2) {
            steps.push(window[0]);
            steps.push((window[1].0, window[0].1));
        }
        steps.extend(self.best_so_far.last());
        chart.draw_series(LineSeries::new(
            steps.into_iter().filter(|(_, v)| v.is_finite()),
            best.stroke_width(LINE_WIDTH + 1),
        ))?;
        if let Some((x, v)) = self.recommended.filter(|(_, v)| v.is_finite()) {
            chart.draw_series(std::iter::once(Circle::new((x, v), 12, TEXT.filled())))?;
        }
        Ok(())
    }
}
