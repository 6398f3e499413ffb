//! Charts and the policy brief of a real STF run: every chart kind renders in both
//! formats, PNGs decode at print resolution with ink in the plot area, SVGs carry their
//! axis titles and legend entries, the brief is self-contained, and `fundsim plot` /
//! `fundsim report` re-render a folder exactly.

mod charts_support;
mod common;

use std::fs;
use std::path::Path;

use charts_support::{Image, STRATEGY_COLOURS, coloured, contains_colour, ink};
use common::{fundsim, scratch, stf_run};
use fundsim::output::read::RunData;
use fundsim::plot::{self, ChartKind};

const STF_STRATEGIES: [&str; 5] = [
    "none",
    "equal-even",
    "equal-front",
    "usage-proportional",
    "usage-sqrt",
];

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn svg_of(kind: ChartKind) -> String {
    String::from_utf8(read(&stf_run().join(kind.svg_path()))).unwrap()
}

#[test]
fn every_chart_kind_renders_for_the_stf_scenario() {
    let run = stf_run();
    for kind in ChartKind::ALL {
        for path in [kind.png_path(), kind.svg_path()] {
            let bytes = read(&run.join(path));
            assert!(bytes.len() > 1000, "{path} is nearly empty");
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&run.join("manifest.json"))).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for kind in ChartKind::ALL {
        assert!(
            files.contains(&kind.png_path()),
            "manifest lacks {}",
            kind.png_path()
        );
        assert!(
            files.contains(&kind.svg_path()),
            "manifest lacks {}",
            kind.svg_path()
        );
    }
    assert!(files.contains(&"report.html"));
}

#[test]
fn pngs_decode_at_print_resolution_with_ink_in_the_plot_area() {
    for kind in ChartKind::ALL {
        let image = Image::decode(&read(&stf_run().join(kind.png_path())));
        assert_eq!(image.width, 1600, "{kind:?} width");
        assert!(image.height >= 1000, "{kind:?} height {}", image.height);
        // The plot area: below the title band, left of the legend column, above the
        // source line. Lines, bands and bars leave ink there; a blank chart does not.
        let plot_area = image.region((0.08, 0.18, 0.70, 0.78));
        let share = ink(&plot_area);
        assert!(
            share > 0.01,
            "{kind:?}: only {:.1}% of the plot area drawn",
            100.0 * share
        );
        assert!(share < 0.95, "{kind:?}: plot area is a solid block");
        let data = coloured(&plot_area);
        assert!(
            data > 1000,
            "{kind:?}: only {data} coloured pixels in the plot area"
        );
        // Strategies are drawn in their Okabe–Ito colours.
        let whole = image.region((0.0, 0.0, 1.0, 1.0));
        let colours = STRATEGY_COLOURS
            .iter()
            .filter(|&&c| contains_colour(&whole, c, 6))
            .count();
        assert!(
            colours >= 3,
            "{kind:?}: only {colours} strategy colours found"
        );
        // A title in dark text at the top left.
        assert!(
            ink(&image.region((0.02, 0.01, 0.30, 0.06))) > 0.02,
            "{kind:?}: no title"
        );
    }
}

#[test]
fn svgs_contain_titles_axis_titles_legend_entries_and_the_source() {
    let axis_titles: [(ChartKind, &[&str]); 7] = [
        (
            ChartKind::Survival,
            &[
                "Years after the first call",
                "Projects not abandoned (%)",
                "Number at risk",
            ],
        ),
        (
            ChartKind::WeightedSurvival,
            &[
                "Years after the first call",
                "Usage in projects not abandoned (% of dependents)",
            ],
        ),
        (
            ChartKind::Maintainers,
            &["Years", "Maintainers per project", "5th–95th percentile"],
        ),
        (
            ChartKind::Maintenance,
            &[
                "Backlog per project (person-months)",
                "Open vulnerabilities per project",
            ],
        ),
        (
            ChartKind::CostEffectiveness,
            &[
                "Survival gained at 10 years (percentage points)",
                "Cost per abandonment averted (EUR million)",
                "Usage-weighted project-years gained",
                "Cost per weighted project-year (EUR thousand)",
            ],
        ),
        (
            ChartKind::Allocation,
            &[
                "Projects, ranked by expected money received",
                "EUR thousand",
                "Share of the money (%)",
                "Gini",
            ],
        ),
        (
            ChartKind::Cliff,
            &[
                "Months after the programme ends",
                "Projects not abandoned (%)",
            ],
        ),
    ];
    for (kind, titles) in axis_titles {
        let svg = svg_of(kind);
        assert!(svg.contains(kind.title()), "{kind:?}: no title");
        for title in titles {
            assert!(svg.contains(title), "{kind:?}: no axis title {title:?}");
        }
        assert!(svg.contains("Source: fundsim"), "{kind:?}: no source line");
        assert!(
            svg.contains("seed 20261128"),
            "{kind:?}: the source line lacks the seed"
        );
        assert!(
            svg.contains("48 replications"),
            "{kind:?}: the source line lacks replications"
        );
        // Legend entries: every strategy, except where a strategy cannot appear (the
        // baseline against itself, or a strategy that pays nothing).
        let expected: Vec<&str> = match kind {
            ChartKind::CostEffectiveness | ChartKind::Allocation => STF_STRATEGIES[1..].to_vec(),
            _ => STF_STRATEGIES.to_vec(),
        };
        for name in expected {
            assert!(
                svg.contains(&format!(">\n{name}\n<")),
                "{kind:?}: no text element (legend entry) {name:?}"
            );
        }
        assert!(svg.contains("font-family=\"DejaVu Sans, sans-serif\""));
    }
}

/// The words of `caption` as the SVG holds them: wrapped over lines, each a text element.
fn svg_has_caption(svg: &str, caption: &str) -> bool {
    let svg_words: String = svg
        .split('\n')
        .filter(|line| !line.starts_with('<'))
        .collect::<Vec<_>>()
        .join(" ")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let wanted: Vec<&str> = caption.split_whitespace().collect();
    svg_words
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(wanted.len())
        .any(|window| window == wanted.as_slice())
}

/// Each chart's caption says what that chart draws: no shared sentence about bands on
/// charts without bands, the maintainers band named for what it is (a spread between
/// replications, from estimated percentiles), and no legend word without its line.
#[test]
fn every_chart_carries_its_own_caption_saying_what_it_draws() {
    let data = RunData::load(stf_run()).unwrap();
    let mut captions = Vec::new();
    for kind in ChartKind::ALL {
        let svg = svg_of(kind);
        let caption = kind.caption_for(&data);
        assert!(
            svg_has_caption(&svg, &caption),
            "{kind:?}: the caption {caption:?} is not in the chart"
        );
        assert!(
            !svg.contains("bands and whiskers"),
            "{kind:?}: the old shared footer"
        );
        captions.push(caption);
    }
    captions.sort();
    captions.dedup();
    assert_eq!(
        captions.len(),
        ChartKind::ALL.len(),
        "two charts share a caption"
    );
    let caption = |kind: ChartKind| kind.caption_for(&data);
    for kind in [ChartKind::Maintenance, ChartKind::Allocation] {
        assert!(!caption(kind).contains("bands:"), "{kind:?} draws no bands");
        assert!(
            !caption(kind).contains("95%"),
            "{kind:?} draws no intervals"
        );
    }
    let maintainers = caption(ChartKind::Maintainers);
    assert!(maintainers.contains("5th–95th percentiles over replications"));
    assert!(maintainers.contains("not an interval of the mean"));
    assert!(maintainers.contains("estimated"));
    for kind in [ChartKind::Survival, ChartKind::WeightedSurvival] {
        assert!(caption(kind).contains("bands: 95% intervals of that mean"));
    }
    assert!(caption(ChartKind::CostEffectiveness).contains("usage-weighted project-year"));
    // The allocation's equality line is in its legend, so it is drawn as a legend entry.
    assert!(svg_of(ChartKind::Allocation).contains(">\nperfect equality\n<"));
}

#[test]
fn the_brief_is_self_contained_and_contains_every_chart() {
    let html = String::from_utf8(read(&stf_run().join("report.html"))).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for forbidden in [
        "http://", "https://", "<script", "<link", "<img", "<iframe", "@import", "src=\"",
    ] {
        assert!(
            !html.contains(forbidden),
            "the brief contains {forbidden:?}"
        );
    }
    // Every url(...) is a data URL (the embedded font).
    for (position, _) in html.match_indices("url(") {
        assert!(
            html[position..].starts_with("url(data:"),
            "a non-data url() in the brief"
        );
    }
    // The default stf run carries an [uncertainty] table, so its brief also has the
    // charts a run with uncertainty adds.
    let kinds: Vec<ChartKind> = ChartKind::ALL
        .into_iter()
        .chain(ChartKind::UNCERTAINTY)
        .collect();
    for kind in &kinds {
        assert!(
            html.contains(&format!("id=\"chart-{}\"", kind.stem())),
            "no figure for {kind:?}"
        );
        assert!(html.contains(kind.title()), "no {kind:?} chart title");
    }
    assert_eq!(html.matches("<svg").count(), kinds.len());
    for section in [
        "Key findings",
        "The strategies compared",
        "Assumptions",
        "Method",
        "Monte Carlo",
        "common random numbers",
        "20261128",
    ] {
        assert!(html.contains(section), "the brief lacks {section:?}");
    }
    for name in STF_STRATEGIES {
        assert!(html.contains(name), "the brief does not name {name}");
    }
    assert!(html.contains("@media print"));
}

#[test]
fn plot_and_report_rerender_a_folder_byte_for_byte() {
    let original = stf_run();
    let scratch_dir = scratch("rerender");
    let copy = scratch_dir.path().join("run");
    fs::create_dir_all(&copy).unwrap();
    for entry in fs::read_dir(original).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() && entry.file_name() != "report.html" {
            fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
    }
    fundsim().arg("plot").arg(&copy).assert().success();
    fundsim().arg("report").arg(&copy).assert().success();
    for kind in ChartKind::ALL {
        for path in [kind.png_path(), kind.svg_path()] {
            assert!(
                read(&original.join(path)) == read(&copy.join(path)),
                "{path} differs after re-rendering"
            );
        }
    }
    assert!(read(&original.join("report.html")) == read(&copy.join("report.html")));
    assert!(read(&original.join("manifest.json")) == read(&copy.join("manifest.json")));
}

#[test]
fn a_run_without_charts_can_be_plotted_later() {
    let scratch_dir = scratch("no-charts");
    let folder = scratch_dir.path().join("run");
    fundsim()
        .args([
            "run",
            "stf",
            "-q",
            "--replications",
            "16",
            "--no-charts",
            "--out",
        ])
        .arg(&folder)
        .assert()
        .success();
    assert!(!folder.join("charts").exists());
    assert!(!folder.join("report.html").exists());
    fundsim().arg("plot").arg(&folder).assert().success();
    fundsim().arg("report").arg(&folder).assert().success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&folder.join("manifest.json"))).unwrap();
    let files = manifest["files"].as_array().unwrap();
    // Six tables (ranking.csv included), five more from the stf scenario's [uncertainty]
    // table, every chart in two formats (with the one a run with uncertainty adds) and
    // the brief.
    let charts = ChartKind::ALL.len() + ChartKind::UNCERTAINTY.len();
    assert_eq!(files.len(), 6 + 5 + 2 * charts + 1, "{files:?}");
    assert!(folder.join("charts/cliff.png").is_file());
}

#[test]
fn plot_and_report_reject_a_folder_that_is_not_a_run() {
    let scratch_dir = scratch("not-a-run");
    let empty = scratch_dir.path();
    for command in ["plot", "report"] {
        fundsim()
            .arg(command)
            .arg(empty)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("not a run folder"));
    }
    fs::write(empty.join("manifest.json"), "{\"seed\": 1}").unwrap();
    fundsim()
        .arg("plot")
        .arg(empty)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("replications"));
}

/// Older run folders have no paired metrics: the cost-effectiveness and cliff charts
/// fall back to the plain means and the survival curve, and say their intervals are
/// unpaired.
#[test]
fn charts_render_from_tables_without_the_paired_metrics() {
    let scratch_dir = scratch("unpaired");
    let folder = scratch_dir.path().join("run");
    fs::create_dir_all(&folder).unwrap();
    for entry in fs::read_dir(stf_run()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
        }
    }
    let summary = String::from_utf8(read(&folder.join("summary.csv"))).unwrap();
    let kept: Vec<&str> = summary
        .lines()
        .filter(|line| {
            !line.contains("averted")
                && !line.contains("gained")
                && !line.contains("after_programme")
        })
        .collect();
    assert!(
        kept.len() < summary.lines().count(),
        "the run should have had paired metrics"
    );
    fs::write(folder.join("summary.csv"), kept.join("\n") + "\n").unwrap();
    let data = RunData::load(&folder).unwrap();
    let paired = RunData::load(stf_run()).unwrap();
    for strategy in &STF_STRATEGIES[1..] {
        let fallback = data.abandonments_averted(strategy).unwrap();
        let exact = paired.abandonments_averted(strategy).unwrap();
        assert!(!fallback.paired && exact.paired);
        assert!(
            (fallback.mean - exact.mean).abs() < 1e-9,
            "{strategy}: same mean either way"
        );
        let (low, high) = fallback.interval().unwrap();
        let (paired_low, paired_high) = exact.interval().unwrap();
        assert!(
            high - low > paired_high - paired_low,
            "{strategy}: the unpaired interval should be wider"
        );
        let cliff_fallback = data.survival_after_programme(1, 36).unwrap();
        let cliff = paired.survival_after_programme(1, 36).unwrap();
        assert!((cliff_fallback.mean - cliff.mean).abs() < 1e-9);
    }
    for kind in ChartKind::ALL {
        let svg = plot::render_svg(kind, &data).unwrap();
        assert!(svg.contains(kind.title()));
    }
    let svg = plot::render_svg(ChartKind::CostEffectiveness, &data).unwrap();
    assert!(svg.contains("unpaired"));
    assert!(
        fundsim::report::render(&data)
            .unwrap()
            .contains("Key findings")
    );
}

/// More strategies than the palette has colours, and a programme that runs to the
/// horizon (no cliff to show): every chart still renders.
#[test]
fn charts_render_for_many_strategies_and_a_programme_to_the_horizon() {
    let scratch_dir = scratch("many");
    let dir = scratch_dir.path();
    let mut scenario = common::replaced(
        common::stf_text(),
        "programme_months = 48",
        "programme_months = 120",
    );
    for (i, power) in [0.25, 0.75, 1.5, 2.0, 0.1].iter().enumerate() {
        scenario.push_str(&format!(
            "\n[[strategies]]\nname = \"power-{i}\"\nrule = \"proportional\"\ntiming = \"even\"\nscore = \"dependents\"\npower = {power}\n"
        ));
    }
    fs::write(dir.join("many.toml"), scenario).unwrap();
    common::write_stf_companions(dir);
    fundsim()
        .current_dir(dir)
        .args([
            "run",
            "many.toml",
            "-q",
            "--replications",
            "8",
            "--out",
            "run",
        ])
        .assert()
        .success();
    let data = RunData::load(&dir.join("run")).unwrap();
    assert_eq!(data.strategies.len(), 10);
    let cliff =
        String::from_utf8(read(&dir.join("run").join(ChartKind::Cliff.svg_path()))).unwrap();
    assert!(cliff.contains("no months after it"));
    let survival = Image::decode(&read(&dir.join("run").join(ChartKind::Survival.png_path())));
    assert!(
        survival.height > 1400,
        "the survival chart grows to fit twenty table rows"
    );
    for i in 0..5 {
        assert!(
            String::from_utf8(read(&dir.join("run").join(ChartKind::Survival.svg_path())))
                .unwrap()
                .contains(&format!("power-{i}"))
        );
    }
}
