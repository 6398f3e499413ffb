//! The look shared by every chart: the embedded font, the colour-blind-safe palette, text
//! sizes, and the frame (title, subtitle, source line, legend column).
//!
//! The font is DejaVu Sans, compiled into the binary (`assets/`, licence beside it), so
//! charts render identically on a machine without any font package.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, RGBColor};

use super::error::PlotError;
use crate::output::read::RunData;

/// The family name under which the embedded font is registered. It is also the
/// `font-family` of SVG text, so viewers without DejaVu Sans fall back to a sans-serif.
pub const FONT: &str = "DejaVu Sans, sans-serif";

static REGULAR: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/DejaVuSans-Bold.ttf");

/// The font's licence, to travel with every embedded copy.
pub const FONT_LICENCE: &str = include_str!("../../assets/DejaVuSans-LICENSE.txt");

/// The regular face, for embedding in the brief.
pub fn regular_font_bytes() -> &'static [u8] {
    REGULAR
}

/// Registers the embedded font with plotters, once per process.
pub(crate) fn register_fonts() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, REGULAR).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw {
            reason: "the embedded font could not be loaded".into(),
        })
    }
}

/// Okabe & Ito (2008), the colour-blind-safe palette: black for the baseline, then orange,
/// sky blue, bluish green, blue, vermillion, reddish purple and yellow (last: it is the
/// faintest on white).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 0, 0),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
];

/// The colour of the strategy at `index` in scenario order: the same in every chart.
pub fn strategy_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Strategies past the palette's length repeat a colour; they are drawn dashed.
pub fn strategy_dashed(index: usize) -> bool {
    index >= PALETTE.len()
}

/// The colour as CSS `#rrggbb`, for the brief.
pub fn css_colour(index: usize) -> String {
    let RGBColor(r, g, b) = strategy_colour(index);
    format!("#{r:02x}{g:02x}{b:02x}")
}

pub const TEXT: RGBColor = RGBColor(34, 34, 34);
pub const MUTED: RGBColor = RGBColor(96, 96, 96);
pub const GRID: RGBColor = RGBColor(226, 226, 226);
pub const PROGRAMME_SHADE: RGBColor = RGBColor(236, 236, 236);

/// Canvas width of every chart (pixels; 8 inches at 200 dpi).
pub const WIDTH: u32 = 1600;
/// Canvas height of most charts (pixels).
pub const HEIGHT: u32 = 1000;
/// Width of the legend column on the right of a chart.
pub const LEGEND_WIDTH: u32 = 370;

pub const TITLE_SIZE: f64 = 44.0;
pub const SUBTITLE_SIZE: f64 = 27.0;
pub const AXIS_TITLE_SIZE: f64 = 27.0;
pub const TICK_SIZE: f64 = 24.0;
pub const LEGEND_SIZE: f64 = 25.0;
pub const SOURCE_SIZE: f64 = 20.0;
pub const LINE_WIDTH: u32 = 4;

pub fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&TEXT)
}

pub fn bold(size: f64) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold).into_font().color(&TEXT)
}

pub fn muted(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&MUTED)
}

pub fn anchored(style: TextStyle<'_>, h: HPos, v: VPos) -> TextStyle<'_> {
    style.pos(Pos::new(h, v))
}

/// The line at the bottom of every chart: where the numbers come from (fundsim version,
/// scenario, seed, replications). What the chart's bands, whiskers and lines are is said
/// by each chart's own caption ([`frame_with_caption`]), never here: one sentence shared
/// by every chart was wrong for most of them.
pub fn source_line(data: &RunData) -> String {
    let info = &data.info;
    format!(
        "Source: fundsim {} simulation · scenario “{}” · seed {} · {} replications",
        if info.fundsim_version.is_empty() {
            "(unknown version)"
        } else {
            &info.fundsim_version
        },
        info.scenario_name,
        info.seed,
        thousands(info.replications as f64)
    )
}

/// Draws the title, subtitle and source line; returns the area between them. The run
/// charts use [`frame_with_caption`], which also says what the chart draws.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    data: &RunData,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    frame_with_caption(root, title, subtitle, "", data)
}

/// Characters per caption line at [`SOURCE_SIZE`] across the canvas.
const CAPTION_CHARS: usize = 170;

/// Draws the title, subtitle, the chart's caption (what its lines, bands and whiskers
/// are, built by the chart from what it draws; wrapped over as many lines as it needs) and
/// the source line under it; returns the area between them.
pub fn frame_with_caption<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    caption: &str,
    data: &RunData,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE)?;
    let (_, height) = root.dim_in_pixel();
    root.draw(&Text::new(title, (40, 26), bold(TITLE_SIZE)))?;
    root.draw(&Text::new(subtitle, (40, 84), muted(SUBTITLE_SIZE)))?;
    let lines = wrap(caption, CAPTION_CHARS);
    let source_y = height as i32 - 42;
    for (number, line) in lines.iter().enumerate() {
        let y = source_y - 28 * (lines.len() - number) as i32;
        root.draw(&Text::new(line.as_str(), (40, y), font(SOURCE_SIZE)))?;
    }
    root.draw(&Text::new(
        source_line(data),
        (40, source_y),
        muted(SOURCE_SIZE),
    ))?;
    Ok(root.margin(130, 64 + 28 * lines.len() as u32, 24, 24))
}

/// How a legend entry shows its strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swatch {
    Line,
    DashedLine,
    Band,
    Box,
    Point,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub label: String,
    pub colour: RGBColor,
    pub swatch: Swatch,
}

impl LegendEntry {
    pub fn strategy(data: &RunData, index: usize, swatch: Swatch) -> Self {
        let swatch = if swatch == Swatch::Line && strategy_dashed(index) {
            Swatch::DashedLine
        } else {
            swatch
        };
        Self {
            label: data.strategies[index].clone(),
            colour: strategy_colour(index),
            swatch,
        }
    }
}

/// Splits a body into the plot (left) and the legend column (right).
pub fn with_legend_column<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (width, _) = body.dim_in_pixel();
    body.split_horizontally(width.saturating_sub(LEGEND_WIDTH))
}

/// Draws a legend, top to bottom, in its own column: it never covers data.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[LegendEntry],
    top: i32,
) -> Result<i32, PlotError> {
    let x = 24;
    let mut y = top;
    if !heading.is_empty() {
        area.draw(&Text::new(heading, (x, y), bold(LEGEND_SIZE)))?;
        y += 44;
    }
    for entry in entries {
        let middle = y + 14;
        match entry.swatch {
            Swatch::Line => area.draw(&PathElement::new(
                vec![(x, middle), (x + 52, middle)],
                entry.colour.stroke_width(LINE_WIDTH + 1),
            ))?,
            Swatch::DashedLine => {
                for start in [x, x + 22, x + 44] {
                    area.draw(&PathElement::new(
                        vec![(start, middle), (start + 12, middle)],
                        entry.colour.stroke_width(LINE_WIDTH),
                    ))?;
                }
            }
            Swatch::Band => area.draw(&Rectangle::new(
                [(x, middle - 12), (x + 52, middle + 12)],
                entry.colour.mix(0.3).filled(),
            ))?,
            Swatch::Box => area.draw(&Rectangle::new(
                [(x, middle - 12), (x + 52, middle + 12)],
                entry.colour.filled(),
            ))?,
            Swatch::Point => {
                area.draw(&Circle::new((x + 26, middle), 10, entry.colour.filled()))?
            }
        }
        let (width, _) = area.dim_in_pixel();
        let room = width.saturating_sub(x as u32 + 76);
        for (line_number, line) in entry.label.lines().enumerate() {
            let style = if line_number == 0 {
                font(LEGEND_SIZE)
            } else {
                muted(SOURCE_SIZE)
            };
            let text = fit(area, line, &style, room);
            area.draw(&Text::new(
                text,
                (x + 68, middle + 28 * line_number as i32),
                anchored(style, HPos::Left, VPos::Center),
            ))?;
        }
        y += 44 + 28 * (entry.label.lines().count().max(1) as i32 - 1);
    }
    Ok(y)
}

/// `text`, shortened with an ellipsis to fit `room` pixels.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    room: u32,
) -> String {
    let fits = |candidate: &str| {
        area.estimate_text_size(candidate, style)
            .map_or(true, |(width, _)| width <= room)
    };
    if fits(text) {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if fits(&candidate) {
            return candidate;
        }
    }
    String::new()
}

/// Multi-line note text in the legend column (wrapped at `chars` characters).
pub fn draw_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    top: i32,
    chars: usize,
) -> Result<i32, PlotError> {
    let mut y = top;
    for line in wrap(text, chars) {
        area.draw(&Text::new(line, (24, y), muted(SOURCE_SIZE)))?;
        y += 28;
    }
    Ok(y)
}

/// A centred message on an area with nothing to draw (e.g. a missing table).
pub fn draw_message<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> Result<(), PlotError> {
    let (width, height) = area.dim_in_pixel();
    area.draw(&Text::new(
        text.to_string(),
        (width as i32 / 2, height as i32 / 2),
        anchored(muted(LEGEND_SIZE), HPos::Center, VPos::Center),
    ))?;
    Ok(())
}

/// Greedy word wrap.
pub fn wrap(text: &str, chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A chart with an `f64` axis each way.
pub type Chart<'a, 'b, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Tick marks and labels at chosen x values (`(value, absolute x pixel)`), so that a
/// table under the chart can share them exactly.
pub fn draw_x_ticks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, '_, DB>,
    columns: &[(f64, i32)],
    y_axis: f64,
) -> Result<(), PlotError> {
    let (base_x, base_y) = area.get_base_pixel();
    for &(value, x) in columns {
        let y = chart.backend_coord(&(value, y_axis)).1;
        let (x, y) = (x - base_x, y - base_y);
        area.draw(&PathElement::new(vec![(x, y), (x, y + 8)], MUTED))?;
        area.draw(&Text::new(
            format!("{value:.0}"),
            (x, y + 14),
            anchored(font(TICK_SIZE), HPos::Center, VPos::Top),
        ))?;
    }
    Ok(())
}

/// Shades the funding programme on a time axis in years (explained in the legend by
/// [`programme_entry`], not by text over the data).
pub fn shade_programme<DB: DrawingBackend>(
    chart: &mut Chart<'_, '_, DB>,
    programme_years: f64,
    y_range: (f64, f64),
) -> Result<(), PlotError> {
    let (low, high) = y_range;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(0.0, low), (programme_years, high)],
        PROGRAMME_SHADE.filled(),
    )))?;
    Ok(())
}

/// The legend entry of the shaded programme period.
pub fn programme_entry(data: &RunData) -> LegendEntry {
    LegendEntry {
        label: format!("programme ({} mo)", data.info.programme_months),
        colour: PROGRAMME_SHADE,
        swatch: Swatch::Box,
    }
}

/// A number with thousands separators and no decimals.
pub fn thousands(value: f64) -> String {
    let rounded = value.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        format!("−{out}")
    } else {
        out
    }
}

/// Decimals enough to tell apart the tick labels plotters puts on an axis spanning `span`
/// with at most `labels` of them: its steps are 1, 2 or 5 × 10^k and no smaller than
/// `span / labels`, so 10^k is at least the power of ten below `span / labels`. (One
/// fixed format, such as one decimal, repeats labels once the step is 0.05.)
pub fn tick_decimals(span: f64, labels: usize) -> usize {
    if !(span > 0.0 && span.is_finite()) || labels == 0 {
        return 0;
    }
    let exponent = (span / labels as f64).log10().floor();
    if exponent >= 0.0 {
        0
    } else {
        -exponent as usize
    }
}

/// "Round" axis bounds: `low` rounded down and `high` up to a multiple of `step`.
pub fn padded_range(low: f64, high: f64, step: f64) -> (f64, f64) {
    let low = (low / step).floor() * step;
    let mut high = (high / step).ceil() * step;
    if high <= low {
        high = low + step;
    }
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_distinct_at_every_span() {
        for span in [0.013, 0.25, 0.3, 0.9, 1.2, 4.0, 17.0, 250.0, 3e6] {
            for labels in [5, 6, 8] {
                let decimals = tick_decimals(span, labels);
                // The finest step plotters can choose: 1, 2 or 5 × 10^k, at least span / labels.
                let floor = span / labels as f64;
                let power = 10_f64.powf(floor.log10().floor());
                let step = [1.0, 2.0, 5.0, 10.0]
                    .iter()
                    .map(|m| m * power)
                    .find(|&s| s >= floor)
                    .unwrap();
                let texts: Vec<String> = (0..=labels)
                    .map(|i| format!("{:.decimals$}", i as f64 * step))
                    .collect();
                let mut unique = texts.clone();
                unique.dedup();
                assert_eq!(unique, texts, "span {span}, {labels} labels");
            }
        }
        assert_eq!(tick_decimals(0.25, 6), 2);
        assert_eq!(tick_decimals(1.2, 6), 1);
        assert_eq!(tick_decimals(17.0, 6), 0);
        assert_eq!(tick_decimals(0.0, 6), 0);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(24_600_000.0), "24,600,000");
        assert_eq!(thousands(-1234.0), "−1,234");
    }

    #[test]
    fn wrapping_keeps_words() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert!(wrap("", 10).is_empty());
    }

    #[test]
    fn ranges_are_padded_outwards() {
        assert_eq!(padded_range(63.0, 100.0, 10.0), (60.0, 100.0));
        assert_eq!(padded_range(0.0, 4.2, 0.5), (0.0, 4.5));
        assert_eq!(padded_range(5.0, 5.0, 10.0), (0.0, 10.0));
    }
}
