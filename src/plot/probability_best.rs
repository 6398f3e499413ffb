//! The probability of being best: for one metric, the share of parameter sets in which
//! each strategy has the best mean, as horizontal bars on 0–100%, one row per strategy in
//! scenario order and in its usual colour. It answers "how robust is the ranking?": one
//! long bar means the same strategy wins whatever the uncertain parameters turn out to
//! be; several middling bars mean the answer depends on what we do not know.
//!
//! Drawn from [`crate::analysis::uncertainty::decide`]'s `p_best`, on any backend, and
//! rendered to PNG and SVG like the analysis charts ([`render`]).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::PlotError;
use super::sensitivity::{self, AnalysisChart, Heading, Rendered, fit_label};
use super::style::{
    self, AXIS_TITLE_SIZE, GRID, MUTED, TICK_SIZE, anchored, bold, font, strategy_colour,
};
use crate::output::read::RunData;

/// The chart's title.
pub const TITLE: &str = "Probability of being best across parameter sets";

/// What the chart shows, for its caption in the brief.
pub const CAPTION: &str = "For a run with uncertainty: the share of parameter sets in which each strategy keeps the most projects from being abandoned over the horizon. One long bar is a ranking that holds whatever the uncertain parameters turn out to be; several middling bars, an answer that depends on them.";

/// Width of the column of strategy names.
const LABEL_WIDTH: u32 = 330;

/// The chart of one metric.
#[derive(Debug, Clone)]
pub struct ProbabilityBestChart {
    pub heading: Heading,
    /// What the metric is, with its direction, e.g. "survival at the horizon (higher is
    /// better)".
    pub metric_label: String,
    /// The strategies in scenario order (the position is the colour).
    pub strategies: Vec<String>,
    /// Each strategy's probability of being best, in [0, 1]; NaN when undefined.
    pub p_best: Vec<f64>,
}

/// The file stem (under `charts/`) of the chart of `metric`:
/// `probability_best-survival_at_horizon`.
pub fn stem(metric: &str) -> String {
    format!("probability_best-{}", sensitivity::file_safe(metric))
}

/// The heading of the chart: [`TITLE`], a subtitle naming the metric and the number of
/// parameter sets, and the source line (scenario, seed, sets, replications, version).
pub fn heading(metric_label: &str, parameter_sets: usize, source: &str) -> Heading {
    Heading {
        title: TITLE.to_string(),
        subtitle: format!(
            "{metric_label}: share of {} parameter sets in which each strategy has the best mean",
            style::thousands(parameter_sets as f64)
        ),
        source: source.to_string(),
    }
}

/// The canvas for `strategies` rows.
pub fn size(strategies: usize) -> (u32, u32) {
    (
        style::WIDTH,
        (330 + strategies as u32 * 80).max(style::HEIGHT),
    )
}

/// The chart of a run folder with uncertainty: the probability of being best in survival
/// at the horizon, from `decision.csv` (nothing is drawn but the frame without it).
///
/// # Errors
/// [`PlotError::Draw`] when the backend fails.
pub fn draw_run<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> Result<(), PlotError> {
    let metric = "survival_at_horizon";
    let p_best: Vec<f64> = data
        .strategies
        .iter()
        .map(|s| {
            data.uncertainty
                .as_ref()
                .and_then(|u| u.decision(s, metric)?.p_best)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let sets = data.uncertainty.as_ref().map_or(0, |u| u.parameter_sets);
    let label = format!(
        "Projects never abandoned over {} months",
        data.info.horizon_months
    );
    let source = format!(
        "{} · {} parameter sets",
        style::source_line(data),
        style::thousands(sets as f64)
    );
    draw(
        root,
        &heading(&label, sets, &source),
        &label,
        &data.strategies,
        &p_best,
    )
}

/// Renders the chart as PNG (200 dpi) and SVG.
///
/// # Errors
/// [`PlotError`] when drawing or encoding fails.
pub fn render(chart: &ProbabilityBestChart) -> Result<Rendered, PlotError> {
    sensitivity::render(chart)
}

impl AnalysisChart for ProbabilityBestChart {
    fn size(&self) -> (u32, u32) {
        size(self.strategies.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        draw(
            root,
            &self.heading,
            &self.metric_label,
            &self.strategies,
            &self.p_best,
        )
    }
}

/// Draws the chart onto `root`: `strategies` in scenario order (the position is the
/// colour) with their probabilities of being best, `p_best` (in [0, 1]; a NaN draws no
/// bar and says "n/a").
///
/// # Errors
/// [`PlotError::Draw`] when the backend fails.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    heading: &Heading,
    metric_label: &str,
    strategies: &[String],
    p_best: &[f64],
) -> Result<(), PlotError> {
    let body = sensitivity::frame(root, heading)?;
    let (plot, legend) = style::with_legend_column(&body);
    let note = format!(
        "Each parameter set is one draw of the uncertain parameters, in which every strategy ran the same replications. A bar is the share of the sets in which the strategy had the best mean {metric_label}; a tie shares the set, so the bars add up to 100%. One long bar: the ranking holds whatever the parameters. Several: it depends on them."
    );
    style::draw_note(&legend, &note, 20, 28)?;
    let rows = strategies.len().min(p_best.len());
    if rows == 0 || p_best[..rows].iter().all(|p| p.is_nan()) {
        return style::draw_message(&plot, "No parameter set to compare the strategies in");
    }
    let (labels, plot) = plot.split_horizontally(LABEL_WIDTH);
    let rows_f = rows as f64;
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(40)
        .x_label_area_size(76)
        .y_label_area_size(0)
        .build_cartesian_2d(0.0..100.0, 0.0..rows_f)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_desc("Probability of being best (% of parameter sets)")
        .axis_desc_style(font(AXIS_TITLE_SIZE - 2.0))
        .label_style(font(TICK_SIZE))
        .x_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(0)
        .draw()?;
    let (labels_x, _) = labels.get_base_pixel();
    let (labels_width, _) = labels.dim_in_pixel();
    for (row, (name, &p)) in strategies.iter().zip(p_best).enumerate() {
        // Row 0 at the top.
        let centre = rows_f - row as f64 - 0.5;
        let (_, y) = chart.backend_coord(&(0.0, centre));
        root.draw(&Text::new(
            fit_label(name, 24),
            (labels_x + labels_width as i32 - 8, y),
            anchored(font(TICK_SIZE), HPos::Right, VPos::Center),
        ))?;
        let label = if p.is_nan() {
            "n/a".to_string()
        } else {
            let percent = 100.0 * p.clamp(0.0, 1.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, centre - 0.3), (percent, centre + 0.3)],
                strategy_colour(row).filled(),
            )))?;
            percent_label(p)
        };
        let end = if p.is_nan() {
            0.0
        } else {
            100.0 * p.clamp(0.0, 1.0)
        };
        let (x, _) = chart.backend_coord(&(end, centre));
        root.draw(&Text::new(
            label,
            (x + 10, y),
            anchored(bold(TICK_SIZE), HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

/// A probability as a whole percentage, with "<1%" and ">99%" rather than a rounded 0% or
/// 100% for a strategy that is best in a few sets, or not best in a few.
pub fn percent_label(p: f64) -> String {
    if p > 0.0 && p < 0.005 {
        "<1%".to_string()
    } else if p < 1.0 && p > 0.995 {
        ">99%".to_string()
    } else {
        format!("{:.0}%", 100.0 * p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::files::write_atomic;

    fn chart(p_best: Vec<f64>) -> ProbabilityBestChart {
        let strategies: Vec<String> = ["none", "equal-even", "equal-front", "usage-sqrt"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        ProbabilityBestChart {
            heading: heading(
                "weighted survival at the horizon (higher is better)",
                200,
                "Source: test",
            ),
            metric_label: "weighted survival at the horizon".into(),
            strategies,
            p_best,
        }
    }

    /// Renders a PNG and an SVG into a temporary folder, as a run folder's `charts/` gets
    /// them, and reads them back: a 200-dpi PNG of the chart's size, an SVG naming every
    /// strategy with its percentage.
    #[test]
    fn renders_a_png_and_an_svg() {
        let chart = chart(vec![0.0, 0.26, 0.71, 0.03]);
        let rendered = render(&chart).unwrap();
        let folder = tempfile::tempdir().unwrap();
        let stem = stem("weighted_survival_at_horizon");
        assert_eq!(stem, "probability_best-weighted_survival_at_horizon");
        let png_path = folder.path().join("charts").join(format!("{stem}.png"));
        let svg_path = folder.path().join("charts").join(format!("{stem}.svg"));
        write_atomic(&png_path, &rendered.png).unwrap();
        write_atomic(&svg_path, rendered.svg.as_bytes()).unwrap();
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&png_path).unwrap(),
        ));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), chart.size());
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        for text in [
            TITLE,
            "equal-front",
            "usage-sqrt",
            "71%",
            "26%",
            "3%",
            "0%",
            "200 parameter sets",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
    }

    #[test]
    fn undefined_probabilities_render_a_message() {
        let rendered = render(&chart(vec![f64::NAN; 4])).unwrap();
        assert!(rendered.svg.contains("No parameter set"));
        let partly = render(&chart(vec![0.5, f64::NAN, 0.5, 0.0])).unwrap();
        assert!(partly.svg.contains("n/a") && partly.png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn percentages_never_round_a_few_sets_away() {
        assert_eq!(percent_label(0.0), "0%");
        assert_eq!(percent_label(0.004), "<1%");
        assert_eq!(percent_label(0.996), ">99%");
        assert_eq!(percent_label(1.0), "100%");
        assert_eq!(percent_label(0.71), "71%");
    }
}
