//! The chart of a target search (`fundsim target --out`): the outcome's estimate at every
//! value tried, with its 95% interval, the goal as a dashed line, and the answer as a
//! vertical line inside its shaded 95% interval.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::labels::{capitalise, compact};
use super::sensitivity::{AnalysisChart, Heading, Whisker, frame};
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, LINE_WIDTH, LegendEntry, MUTED, Swatch, TEXT, TICK_SIZE, font,
    strategy_colour,
};

/// A target search, ready to draw.
#[derive(Debug, Clone)]
pub struct TargetChart {
    pub heading: Heading,
    /// The field searched, for people, with its unit (the x axis).
    pub param_title: String,
    /// The outcome, for people, with its unit (the y axis).
    pub outcome_title: String,
    /// The outcome is a share: its ticks and labels in percent.
    pub share: bool,
    /// The strategy whose outcome it is, and its colour index in the scenario.
    pub strategy: String,
    pub colour_index: usize,
    /// Every value tried and the outcome there; `reached` says whether the goal is
    /// reached there by the mean.
    pub points: Vec<(f64, Whisker, bool)>,
    pub goal: f64,
    /// The goal in words (`at least 85%`, `at most EUR 250,000`).
    pub goal_label: String,
    pub answer: f64,
    pub answer_label: String,
    /// The answer's 95% interval in words (`EUR 6.4M – EUR 12.1M`).
    pub interval_label: String,
    /// The answer's 95% interval (ends beyond the searched range are drawn at the range's
    /// end and said so in `note`).
    pub interval: (f64, f64),
    /// What the chart shows and how the numbers were found, under the legend.
    pub note: String,
}

impl TargetChart {
    /// A tick of the outcome axis: percent for shares, compact otherwise.
    fn outcome_tick(&self, value: f64, span: f64) -> String {
        if self.share {
            let decimals = if span < 0.05 { 1 } else { 0 };
            format!("{:.decimals$}%", 100.0 * value)
        } else {
            compact(value)
        }
    }
}

impl AnalysisChart for TargetChart {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, style::HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = frame(root, &self.heading)?;
        let (plot, legend) = style::with_legend_column(&body);
        let colour = strategy_colour(self.colour_index);
        let entries = [
            LegendEntry {
                label: format!("“{}”\na value tried (filled: reached)", self.strategy),
                colour,
                swatch: Swatch::Point,
            },
            LegendEntry {
                label: format!("Goal: {}", self.goal_label),
                colour: MUTED,
                swatch: Swatch::DashedLine,
            },
            LegendEntry {
                label: format!("Answer: {}", self.answer_label),
                colour: TEXT,
                swatch: Swatch::Line,
            },
            LegendEntry {
                label: format!("Its 95% interval\n{}", self.interval_label),
                colour: MUTED,
                swatch: Swatch::Band,
            },
        ];
        let y = style::draw_legend(&legend, "", &entries, 20)?;
        style::draw_note(&legend, &self.note, y + 16, 28)?;
        let finite = |v: &f64| v.is_finite();
        let xs: Vec<f64> = self
            .points
            .iter()
            .map(|(x, _, _)| *x)
            .chain([self.answer, self.interval.0, self.interval.1])
            .filter(finite)
            .collect();
        let ys: Vec<f64> = self
            .points
            .iter()
            .flat_map(|(_, w, _)| [w.value, w.low, w.high])
            .chain([self.goal])
            .filter(finite)
            .collect();
        if xs.is_empty() || ys.is_empty() {
            return style::draw_message(&plot, "Nothing was evaluated");
        }
        let range = |values: &[f64], pad: f64| {
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let span = if high > low {
                high - low
            } else {
                low.abs().max(1.0) * 0.1
            };
            (low - pad * span, high + pad * span)
        };
        let (x_low, x_high) = range(&xs, 0.04);
        let (y_low, y_high) = range(&ys, 0.08);
        let span = y_high - y_low;
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(80)
            .y_label_area_size(120)
            .build_cartesian_2d(x_low..x_high, y_low..y_high)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_desc(self.param_title.as_str())
            .y_desc(self.outcome_title.as_str())
            .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
            .label_style(font(TICK_SIZE))
            .x_labels(7)
            .y_labels(8)
            .x_label_formatter(&|v| compact(*v))
            .y_label_formatter(&|v| self.outcome_tick(*v, span))
            .draw()?;
        let (a, b) = self.interval;
        if a.is_finite() && b.is_finite() {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a.min(b), y_low), (a.max(b), y_high)],
                MUTED.mix(0.15).filled(),
            )))?;
        }
        chart.draw_series(DashedLineSeries::new(
            [(x_low, self.goal), (x_high, self.goal)],
            14,
            10,
            MUTED.stroke_width(3),
        ))?;
        if self.answer.is_finite() {
            chart.draw_series(LineSeries::new(
                [(self.answer, y_low), (self.answer, y_high)],
                TEXT.stroke_width(3),
            ))?;
        }
        let cap = 0.006 * (x_high - x_low);
        for (x, w, reached) in &self.points {
            if !w.value.is_finite() {
                continue;
            }
            if w.low.is_finite() && w.high.is_finite() {
                for path in [
                    vec![(*x, w.low), (*x, w.high)],
                    vec![(*x - cap, w.low), (*x + cap, w.low)],
                    vec![(*x - cap, w.high), (*x + cap, w.high)],
                ] {
                    chart.draw_series(std::iter::once(PathElement::new(
                        path,
                        colour.stroke_width(LINE_WIDTH - 1),
                    )))?;
                }
            }
            let style = if *reached {
                colour.filled()
            } else {
                WHITE.filled()
            };
            chart.draw_series(std::iter::once(Circle::new((*x, w.value), 9, style)))?;
            chart.draw_series(std::iter::once(Circle::new(
                (*x, w.value),
                9,
                colour.stroke_width(3),
            )))?;
        }
        Ok(())
    }
}

/// A field's dotted path for people: `fund.budget_eur` → `Fund budget (EUR)`,
/// `strategies[2].power` → `Strategy 3: power`.
pub fn param_title(path: &str) -> String {
    let (table, field) = path.rsplit_once('.').unwrap_or(("", path));
    let (words, unit) = [("_eur", " (EUR)"), ("_months", " (months)")]
        .iter()
        .find_map(|(suffix, unit)| field.strip_suffix(suffix).map(|w| (w, *unit)))
        .unwrap_or((field, ""));
    let words = words.replace('_', " ");
    let table = match table.split_once('[') {
        Some((_, index)) => index
            .trim_end_matches(']')
            .parse::<usize>()
            .map_or_else(|_| table.to_string(), |i| format!("Strategy {}:", i + 1)),
        None => capitalise(table),
    };
    format!("{table} {words}{unit}").trim().to_string()
}

/// A description without its closing parenthesis (its unit, or a remark), for a sentence
/// that states the value with its unit.
pub fn without_unit(description: &str) -> &str {
    match description.rsplit_once(" (") {
        Some((words, _)) if description.ends_with(')') => words,
        _ => description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::sensitivity::render;

    fn chart(share: bool) -> TargetChart {
        let whisker = |v: f64| Whisker {
            value: v,
            low: v - 0.01,
            high: v + 0.01,
        };
        TargetChart {
            heading: Heading {
                title: "Smallest fund budget at which “equal” reaches the goal".into(),
                subtitle: "subtitle".into(),
                source: "Source: test".into(),
            },
            param_title: "Fund budget (EUR)".into(),
            outcome_title: "Share never abandoned (%)".into(),
            share,
            strategy: "equal".into(),
            colour_index: 1,
            points: vec![
                (5e6, whisker(0.80), false),
                (20e6, whisker(0.90), true),
                (12.5e6, whisker(0.86), true),
                (
                    8e6,
                    Whisker {
                        value: f64::NAN,
                        low: f64::NAN,
                        high: f64::NAN,
                    },
                    false,
                ),
            ],
            goal: 0.85,
            goal_label: "at least 85%".into(),
            answer: 11e6,
            answer_label: "EUR 11.0M".into(),
            interval_label: "EUR 10.0M – EUR 12.0M".into(),
            interval: (10e6, 12e6),
            note: "A note.".into(),
        }
    }

    #[test]
    fn paths_and_descriptions_read_as_words() {
        assert_eq!(param_title("fund.budget_eur"), "Fund budget (EUR)");
        assert_eq!(
            param_title("model.attrition_hazard"),
            "Model attrition hazard"
        );
        assert_eq!(param_title("strategies[2].power"), "Strategy 3: power");
        assert_eq!(
            without_unit("fund cost (paid + overhead) per abandonment averted (EUR)"),
            "fund cost (paid + overhead) per abandonment averted"
        );
        assert_eq!(without_unit("share funded"), "share funded");
    }

    #[test]
    fn draws_with_percent_ticks_and_an_undefined_point() {
        let rendered = render(&chart(true)).unwrap();
        assert!(rendered.png.starts_with(b"\x89PNG"));
        for text in [
            "Goal: at least 85%",
            "Answer: EUR 11.0M",
            "90%",
            "Fund budget (EUR)",
        ] {
            assert!(rendered.svg.contains(text), "{text}");
        }
        let plain = render(&chart(false)).unwrap();
        assert!(!plain.svg.contains("90%"));
        assert_eq!(chart(true).outcome_tick(0.8512, 0.02), "85.1%");
    }
}
