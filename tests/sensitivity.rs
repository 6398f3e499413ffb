//! Sensitivity analysis, target search and precision-driven runs, checked against known
//! answers: the analytic Sobol indices of the Ishigami and G functions, a parameter that
//! changes nothing, a linear function for Morris, a monotone function with a known root,
//! and the stopping rule of `--precision`. Plus the subcommands end to end on a tiny
//! scenario.

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use fundsim::analysis::precision::{PrecisionRule, Target, run_to_precision};
use fundsim::analysis::sobol::{self, Interval};
use fundsim::analysis::target::{Direction, TargetProblem, search};
use fundsim::analysis::{
    self as sensitivity, MorrisDesign, PortfolioSource, SaltelliDesign, SaltelliOutputs,
    ScenarioModel, morris, to_values,
};
use fundsim::engine::{self, RunConfig};
use fundsim::scenario::sensitivity::MAX_PARAMETERS;
use fundsim::scenario::{Distribution, UncertainParameter};
use fundsim::scenario::{builtin, parse_str};
use fundsim::stats::{Estimate, Z95};

mod common;
use common::{fundsim_in, temp_dir};

/// A small scenario: 12 projects over three years, three strategies, and three
/// uncertain parameters, two of which the baseline and `equal` never read.
const TINY: &str = r#"
name = "tiny"
[fund]
budget_eur = 2_000_000.0
programme_months = 24
horizon_months = 36
[portfolio]
projects = 12
[[strategies]]
name = "none"
rule = "none"
[[strategies]]
name = "equal"
rule = "equal"
[[strategies]]
name = "usage"
rule = "proportional"
power = 1.0
[run]
replications = 32
seed = 7
[sensitivity]
replications = 4
samples = 16
trajectories = 4
metrics = ["survival_at_horizon", "survival_by_year"]
[[sensitivity.parameters]]
path = "model.attrition_hazard"
label = "attrition"
distribution = "log-uniform"
low = 0.01
high = 0.08
[[sensitivity.parameters]]
path = "strategies[2].power"
label = "power (usage only)"
low = 0.5
high = 2.0
[[sensitivity.parameters]]
path = "fund.endowment_real_return"
label = "endowment return (unused)"
low = 0.0
high = 0.08
"#;

fn uniform(path: &str, low: f64, high: f64) -> UncertainParameter {
    UncertainParameter {
        path: path.into(),
        label: path.into(),
        distribution: Distribution::Uniform { low, high },
    }
}

/// Sobol indices of `f` over `parameters`, from N rows.
fn sobol_of(
    f: impl Fn(&[f64]) -> f64,
    parameters: &[UncertainParameter],
    samples: usize,
) -> sobol::SobolIndices {
    let design = SaltelliDesign::new(samples, parameters.len(), 2024);
    let values: Vec<f64> = design
        .points()
        .iter()
        .map(|p| f(&to_values(p, parameters)))
        .collect();
    let outputs = SaltelliOutputs::from_points(&values, parameters.len());
    sobol::analyse(&outputs, samples, 1000, 99)
}

fn assert_within(what: &str, estimate: Interval, exact: f64) {
    assert!(
        estimate.low <= exact && exact <= estimate.high,
        "{what}: analytic {exact:.4} outside the bootstrap interval {:.4} [{:.4}, {:.4}]",
        estimate.value,
        estimate.low,
        estimate.high
    );
}

#[test]
fn sobol_indices_of_the_ishigami_function_match_the_analytic_values() {
    // f = sin x1 + a sin² x2 + b x3⁴ sin x1 on U(−π, π)³, a = 7, b = 0.1.
    let (a, b) = (7.0, 0.1);
    let pi = std::f64::consts::PI;
    let parameters: Vec<_> = (1..=3)
        .map(|i| uniform(&format!("x{i}"), -pi, pi))
        .collect();
    let indices = sobol_of(
        |x| x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin(),
        &parameters,
        4096,
    );
    let v1 = 0.5 * (1.0 + b * pi.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * pi.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    let first = [v1 / v, v2 / v, 0.0];
    let total = [(v1 + v13) / v, v2 / v, v13 / v];
    for i in 0..3 {
        assert_within(&format!("S{}", i + 1), indices.first[i], first[i]);
        assert_within(&format!("ST{}", i + 1), indices.total[i], total[i]);
    }
    // The textbook values, as a check of the formulas above.
    assert!((first[0] - 0.3139).abs() < 1e-3 && (total[2] - 0.2437).abs() < 1e-3);
}

#[test]
fn sobol_indices_of_the_g_function_match_the_analytic_values() {
    // g = Π (|4 xᵢ − 2| + aᵢ) / (1 + aᵢ) on U(0, 1)⁶.
    let coefficients = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
    let parameters: Vec<_> = (0..6)
        .map(|i| uniform(&format!("x{i}"), 0.0, 1.0))
        .collect();
    let indices = sobol_of(
        |x| {
            x.iter()
                .zip(coefficients)
                .map(|(&xi, a)| ((4.0 * xi - 2.0).abs() + a) / (1.0 + a))
                .product()
        },
        &parameters,
        4096,
    );
    let partial: Vec<f64> = coefficients
        .iter()
        .map(|a| 1.0 / (3.0 * (1.0 + a) * (1.0 + a)))
        .collect();
    let v = partial.iter().map(|vi| 1.0 + vi).product::<f64>() - 1.0;
    for i in 0..6 {
        let others: f64 = (0..6)
            .filter(|&j| j != i)
            .map(|j| 1.0 + partial[j])
            .product();
        assert_within(&format!("S{i}"), indices.first[i], partial[i] / v);
        assert_within(&format!("ST{i}"), indices.total[i], partial[i] * others / v);
    }
}

#[test]
fn a_parameter_the_function_never_reads_gets_a_zero_total_index() {
    let parameters: Vec<_> = (0..3)
        .map(|i| uniform(&format!("x{i}"), 0.0, 1.0))
        .collect();
    let indices = sobol_of(|x| x[0] * x[1] + x[0], &parameters, 256);
    assert_eq!(indices.total[2].value, 0.0);
    assert_eq!(indices.first[2].value, 0.0);
    assert_eq!((indices.total[2].low, indices.total[2].high), (0.0, 0.0));
    assert!(indices.total[0].value > 0.5);
}

fn tiny_model(replications: u64) -> ScenarioModel {
    ScenarioModel {
        text: TINY.to_string(),
        origin: "tiny".into(),
        portfolio: PortfolioSource::Synthetic,
        seed: 7,
        replications,
        strategies: None,
    }
}

#[test]
fn on_the_model_parameters_a_strategy_never_reads_get_zero_total_indices() {
    let model = tiny_model(4);
    let scenario = parse_str(TINY, "tiny").unwrap();
    let spec = scenario.sensitivity.clone().unwrap();
    let integer = sensitivity::check_parameters(&model, &spec.parameters).unwrap();
    assert_eq!(integer, [false, false, false]);
    let outputs: Vec<fundsim::stats::Output> = (0..3)
        .map(|strategy| fundsim::stats::Output {
            quantity: fundsim::stats::Quantity::Metric(
                fundsim::stats::Metric::ProjectYearsSurvived,
            ),
            strategy,
            versus: None,
        })
        .collect();
    let design = SaltelliDesign::new(16, 3, 5);
    let estimates = sensitivity::evaluate_design(
        &model,
        &spec.parameters,
        &integer,
        &design.points(),
        &outputs,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let reports = sensitivity::sobol_reports(&estimates, 3, 16, 200, 1);
    for (strategy, report) in reports.iter().enumerate() {
        // Common random numbers: the endowment return (no strategy here uses the
        // endowment timing) changes nothing at all, so its total index is exactly 0.
        assert_eq!(report.indices.total[2].value, 0.0, "strategy {strategy}");
        assert!(report.indices.total[0].value > 0.2, "{report:?}");
        assert!(report.noise.share.is_finite() && report.noise.share >= 0.0);
    }
    // The power of `usage` is read by `usage` only.
    assert_eq!(reports[0].indices.total[1].value, 0.0);
    assert_eq!(reports[1].indices.total[1].value, 0.0);
    assert!(reports[2].indices.total[1].value > 0.0);
}

#[test]
fn morris_on_a_linear_function_recovers_the_order_of_the_coefficients() {
    let coefficients = [0.2, 5.0, -3.0, 1.0];
    let design = MorrisDesign::new(4, 10, 4, 17);
    // Ranges of different widths: the effect over a range is coefficient × width.
    let parameters = [
        uniform("a", 0.0, 1.0),
        uniform("b", 0.0, 1.0),
        uniform("c", 0.0, 1.0),
        uniform("d", 0.0, 4.0),
    ];
    let values: Vec<f64> = design
        .points()
        .iter()
        .map(|p| {
            to_values(p, &parameters)
                .iter()
                .zip(coefficients)
                .map(|(x, c)| x * c)
                .sum()
        })
        .collect();
    let effects = morris::analyse(&design, &values, 100, 3);
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|&a, &b| effects[b].mu_star.total_cmp(&effects[a].mu_star));
    // |effects| over the ranges: 0.2, 5, 3, 4.
    assert_eq!(order, [1, 3, 2, 0]);
    for (e, exact) in effects.iter().zip([0.2, 5.0, -3.0, 4.0]) {
        assert!((e.mu - exact).abs() < 1e-9 && e.sigma < 1e-9, "{e:?}");
    }
}

#[derive(Debug, thiserror::Error)]
#[error("never")]
struct Never;

#[test]
fn target_finds_the_known_root_of_a_monotone_function() {
    // 1 − e^(−x/10) reaches 0.5 at 10 ln 2; with a standard error of 0.005 the interval
    // is where 1 − e^(−x/10) ± 1.96·0.005 crosses 0.5.
    let problem = TargetProblem {
        goal: 0.5,
        higher_is_better: true,
        low: 1.0,
        high: 20.0,
        tolerance: 1e-6,
        max_expansions: 4,
        floor: 0.0,
    };
    let mcse = 0.005;
    let result = search(&problem, |x| {
        Ok::<_, Never>(Estimate::normal(1.0 - (-x / 10.0).exp(), mcse))
    })
    .unwrap();
    let root = 10.0 * 2f64.ln();
    assert_eq!(result.direction, Direction::ReachedAbove);
    assert!((result.value - root).abs() < 2e-6, "{}", result.value);
    let crossing = |level: f64| -10.0 * (1.0 - level).ln();
    let (near, far) = result.interval;
    assert!((near.value() - crossing(0.5 - Z95 * mcse)).abs() < 2e-6);
    assert!((far.value() - crossing(0.5 + Z95 * mcse)).abs() < 2e-6);
    assert!(near.value() < root && root < far.value());
}

#[test]
fn the_precision_rule_stops_at_the_asked_width_and_equals_a_plain_run() {
    let scenario = parse_str(TINY, "tiny").unwrap();
    let portfolio = fundsim::input::synthetic_portfolio(&scenario).unwrap();
    let config = RunConfig::new(16, 7);
    let rule =
        PrecisionRule::parse("survival_at_horizon=0.02", 36, Target::EveryStrategy, 4000).unwrap();
    let cancel = AtomicBool::new(false);
    let (result, outcome) = run_to_precision(
        &scenario,
        portfolio.clone(),
        &config,
        &rule,
        &|_| {},
        &cancel,
    )
    .unwrap();
    assert!(outcome.reached, "{outcome:?}");
    assert!(outcome.achieved <= 0.02);
    assert!(outcome.steps.len() >= 2, "{outcome:?}");
    let (_, before) = outcome.steps[outcome.steps.len() - 2];
    assert!(before > 0.02, "it stopped as soon as the width was reached");
    assert_eq!(outcome.replications % 16, 0);
    assert_eq!(rule.widest(&result.accumulator), outcome.achieved);
    // The grown run is exactly one run of the final size, whatever the thread count.
    let plain = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                engine::run(
                    &scenario,
                    portfolio.clone(),
                    &RunConfig::new(outcome.replications, 7),
                    &|_| {},
                    &cancel,
                )
                .unwrap()
            })
    };
    assert_eq!(plain(1).accumulator, result.accumulator);
    assert_eq!(plain(2).accumulator, result.accumulator);
    // A cap below the need stops there and says so.
    let capped =
        PrecisionRule::parse("survival_at_horizon=0.0001", 36, Target::EveryStrategy, 48).unwrap();
    let (_, outcome) =
        run_to_precision(&scenario, portfolio, &config, &capped, &|_| {}, &cancel).unwrap();
    assert!(!outcome.reached);
    assert_eq!(outcome.replications, 48);
}

#[test]
fn the_sensitivity_scenario_declares_valid_uncertain_parameters() {
    let text = builtin("sensitivity").unwrap();
    assert!(text.starts_with("# "));
    let scenario = parse_str(text, "sensitivity").unwrap();
    assert_eq!(scenario.name, "sensitivity");
    let spec = scenario.sensitivity.clone().unwrap();
    // Every assumption of docs/calibration.md a run can vary (tests/assumptions.rs checks
    // which), well within the Saltelli design's limit.
    let count = spec.parameters.len();
    assert!((30..=MAX_PARAMETERS).contains(&count), "{count} parameters");
    let model = ScenarioModel {
        text: text.to_string(),
        origin: "sensitivity".into(),
        portfolio: PortfolioSource::Synthetic,
        seed: 1,
        replications: 1,
        strategies: None,
    };
    let integer = sensitivity::check_parameters(&model, &spec.parameters).unwrap();
    let whole: Vec<&str> = spec
        .parameters
        .iter()
        .zip(&integer)
        .filter(|(_, w)| **w)
        .map(|(p, _)| p.path.as_str())
        .collect();
    assert_eq!(whole, ["model.cliff_months", "model.break_max_months"]);
    // A scenario without the table hashes as before: the table is optional and additive.
    assert!(
        parse_str(builtin("stf").unwrap(), "stf")
            .unwrap()
            .sensitivity
            .is_none()
    );
}

#[test]
fn bad_sensitivity_tables_are_rejected_with_the_field() {
    let with = |entry: &str| format!("{TINY}\n[[sensitivity.parameters]]\n{entry}\n");
    for (entry, field) in [
        (
            "path = \"model.revival_hazard\"\ndistribution = \"gamma\"\nlow = 0.1\nhigh = 0.2",
            "distribution",
        ),
        (
            "path = \"model.revival_hazard\"\nlow = 0.3\nhigh = 0.2",
            "high",
        ),
        (
            "path = \"model.revival_hazard\"\ndistribution = \"log-uniform\"\nlow = 0.0\nhigh = 0.2",
            "low",
        ),
        (
            "path = \"model.revival_hazard\"\ndistribution = \"normal\"\nmean = 0.1",
            "sd",
        ),
        (
            "path = \"model.revival_hazard\"\ndistribution = \"triangular\"\nlow = 0.1\nmode = 0.5\nhigh = 0.2",
            "sensitivity.parameters[3]",
        ),
        ("path = \"run.seed\"\nlow = 1.0\nhigh = 2.0", "path"),
        (
            "path = \"model.attrition_hazard\"\nlow = 0.01\nhigh = 0.02",
            "path",
        ),
        (
            "path = \"model.revival_hazard\"\nlow = 0.01\nhigh = 0.02\nmedian = 3.0",
            "median",
        ),
    ] {
        let error = parse_str(&with(entry), "bad").unwrap_err().to_string();
        assert!(error.contains(field), "{entry}: {error}");
    }
    let error = parse_str(&TINY.replace("samples = 16", "samples = 24"), "bad").unwrap_err();
    assert!(error.to_string().contains("sensitivity.samples"), "{error}");
    let error = parse_str(
        &TINY.replace("\"survival_by_year\"", "\"survival_year_9\""),
        "bad",
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("sensitivity.metrics[1]"),
        "{error}"
    );
}

#[test]
fn the_subcommands_write_their_tables_and_charts() {
    let dir = temp_dir();
    fs::write(dir.path().join("tiny.toml"), TINY).unwrap();
    for method in ["morris", "sobol"] {
        fundsim_in(dir.path())
            .args([
                "sensitivity",
                "tiny.toml",
                "--method",
                method,
                "--out",
                method,
            ])
            .args(["--bootstrap", "50", "--threads", "2", "--quiet"])
            .assert()
            .success();
        for file in [
            "indices.csv",
            "outputs.csv",
            "design.csv",
            "parameters.csv",
            "manifest.json",
            "report.html",
        ] {
            assert!(
                dir.path().join(method).join(file).is_file(),
                "{method}/{file}"
            );
        }
        let chart = dir
            .path()
            .join(method)
            .join(format!("charts/{method}-survival_at_horizon.png"));
        assert!(chart.is_file(), "{}", chart.display());
    }
    let convergence = fs::read_to_string(dir.path().join("sobol/convergence.csv")).unwrap();
    assert!(convergence.starts_with("samples,metric,strategy,versus,parameter"));
    let indices = fs::read_to_string(dir.path().join("sobol/indices.csv")).unwrap();
    assert!(indices.contains("survival_year_3,equal,none,endowment return (unused)"));

    let output = fundsim_in(dir.path())
        .args(["sweep", "tiny.toml", "--param", "fund.budget_eur=1e6:3e6:3"])
        .args([
            "--param",
            "model.cliff_months=0:12:2",
            "-n",
            "16",
            "--out",
            "sweep",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&output).contains("weighted_survival_at_horizon"));
    let sweep = fs::read_to_string(dir.path().join("sweep/sweep.csv")).unwrap();
    assert!(sweep.starts_with(
        "fund.budget_eur,model.cliff_months,strategy,metric,mean,ci_low,ci_high,mcse"
    ));
    assert_eq!(sweep.lines().count(), 1 + 3 * 2 * 3);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("sweep/manifest.json")).unwrap()).unwrap();
    assert!(manifest.get("threads").is_none() && manifest.get("wall_time_seconds").is_none());
    assert!(
        dir.path()
            .join("sweep/charts/sweep-weighted_survival_at_horizon.png")
            .is_file()
    );

    // A table per metric, each named in words; the grid's values as written decimals.
    let output = fundsim_in(dir.path())
        .args([
            "sweep",
            "tiny.toml",
            "--param",
            "fund.overhead_share=0:0.3:4",
        ])
        .args([
            "--metric",
            "survival_at_horizon",
            "--metric",
            "share_funded",
        ])
        .args(["-n", "4", "--no-charts", "--out", "sweep-two"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let printed = String::from_utf8_lossy(&output);
    assert!(
        printed.contains("survival_at_horizon: Share of projects never abandoned")
            && printed.contains("share_funded: Share of projects that received any money"),
        "{printed}"
    );
    let sweep = fs::read_to_string(dir.path().join("sweep-two/sweep.csv")).unwrap();
    let values: Vec<&str> = sweep
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap())
        .collect();
    assert!(
        values.contains(&"0.2") && values.contains(&"0.1"),
        "{sweep}"
    );
    assert!(!sweep.contains("0.19999"), "{sweep}");

    let output = fundsim_in(dir.path())
        .args(["target", "tiny.toml", "--param", "fund.budget_eur"])
        .args([
            "--metric",
            "share_funded",
            "--goal",
            "0.5",
            "--strategy",
            "equal",
        ])
        .args(["--range", "1e5:4e6", "-n", "16", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let value = json["value"].as_f64().unwrap();
    assert!(value > 1e5 && value < 4e6, "{json}");
    assert!(
        json["ci_low"].as_f64().unwrap() <= value && value <= json["ci_high"].as_f64().unwrap()
    );

    fundsim_in(dir.path())
        .args([
            "compare",
            "tiny.toml",
            "-n",
            "16",
            "--precision",
            "survival_at_horizon=0.05",
        ])
        .assert()
        .success()
        .stderr(predicates::str::contains("precision reached"));
    fundsim_in(dir.path())
        .args(["sensitivity", "stf", "--quiet"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no [sensitivity] table"));
}

/// Runs `fundsim sensitivity` on the tiny scenario into `out`.
fn analyse(dir: &Path, method: &str, out: &str, extra: &[&str]) {
    fundsim_in(dir)
        .args(["sensitivity", "tiny.toml", "--method", method, "--out", out])
        .args(["--bootstrap", "50", "--quiet"])
        .args(extra)
        .assert()
        .success();
}

fn text(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The HTML of the table with `id`, up to its end.
fn table<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let end = start + html[start..].find("</table>").unwrap();
    &html[start..end]
}

/// The labels of a drivers table's assumption rows, in order.
fn row_labels(table: &str) -> Vec<String> {
    table
        .split("<tr><td class=\"text\">")
        .skip(1)
        .map(|row| row.split('<').next().unwrap().to_string())
        .collect()
}

/// Rows of a CSV as maps from column name to cell.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    for forbidden in [
        "http://", "https://", "<script", "<link", "<img", "<iframe", "@import", "src=\"",
    ] {
        assert!(
            !html.contains(forbidden),
            "the report contains {forbidden:?}"
        );
    }
    for (position, _) in html.match_indices("url(") {
        assert!(html[position..].starts_with("url(data:"));
    }
    assert_eq!(
        html.matches("<table").count(),
        html.matches("</table>").count()
    );
    assert_eq!(html.matches("<tr>").count(), html.matches("</tr>").count());
    assert_eq!(
        html.matches("<section").count(),
        html.matches("</section>").count()
    );
}

#[test]
fn the_morris_report_ranks_the_drivers_shows_the_noise_and_re_renders_byte_for_byte() {
    let dir = temp_dir();
    fs::write(dir.path().join("tiny.toml"), TINY).unwrap();
    analyse(dir.path(), "morris", "morris", &["--threads", "1"]);
    let folder = dir.path().join("morris");
    let html = text(&folder.join("report.html"));
    assert_self_contained(&html);
    for section in [
        "findings",
        "drivers",
        "ranking",
        "noise",
        "assumptions",
        "method",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "no section {section}"
        );
    }
    assert!(
        !html.contains("id=\"convergence\""),
        "Morris has no convergence table"
    );
    // Both charts of the folder are inlined.
    assert_eq!(html.matches("<svg").count(), 2);

    // The drivers table lists the assumptions by their largest μ* over the strategies,
    // computed here from indices.csv.
    let indices = csv_rows(&folder.join("indices.csv"));
    let mut largest: Vec<(String, f64)> = Vec::new();
    for row in indices.iter().filter(|r| {
        r["metric"] == "survival_at_horizon" && r["versus"].is_empty() && r["index"] == "mu_star"
    }) {
        let value: f64 = row["value"].parse().unwrap();
        match largest.iter_mut().find(|(p, _)| *p == row["parameter"]) {
            Some((_, v)) => *v = v.max(value),
            None => largest.push((row["parameter"].clone(), value)),
        }
    }
    largest.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(largest[0].0, "attrition", "{largest:?}");
    assert!(largest[0].1 > 0.05 && largest[2].1 == 0.0, "{largest:?}");
    let drivers = table(&html, "drivers-morris-survival_at_horizon");
    let rows = row_labels(drivers);
    assert_eq!(rows[0], largest[0].0, "{rows:?}");
    assert_eq!(rows.last().unwrap(), "Monte Carlo noise share");
    assert_eq!(rows.len(), 4);
    assert!(drivers.contains("rank 1") && drivers.contains("σ "));
    // The first finding names it, and the unused parameter is said to change nothing.
    let findings =
        &html[html.find("id=\"findings\"").unwrap()..html.find("id=\"drivers\"").unwrap()];
    let first = findings.split("<li>").nth(1).unwrap();
    assert!(
        first.contains("<strong>attrition</strong> matters most for every strategy"),
        "{first}"
    );
    assert!(first.contains("endowment return (unused)") && first.contains("exactly 0"));

    // The noise share of each output, from outputs.csv, in the drivers and noise tables.
    let outputs = csv_rows(&folder.join("outputs.csv"));
    let equal = outputs
        .iter()
        .find(|r| {
            r["metric"] == "survival_at_horizon"
                && r["strategy"] == "equal"
                && r["versus"].is_empty()
        })
        .unwrap();
    let share: f64 = equal["noise_share"].parse().unwrap();
    assert!(share > 0.0 && share < 1.0, "{share}");
    // Every output is flagged exactly when its noise share is above 0.1.
    for row in &outputs {
        let noisy = row["noise_share"]
            .parse::<f64>()
            .is_ok_and(|share| share > 0.1);
        assert_eq!(row["noise_too_high"], noisy.to_string(), "{row:?}");
    }
    let shown = format!("{:.1}%", 100.0 * share);
    assert!(drivers.contains(&shown), "{shown} not in the drivers table");
    assert!(table(&html, "noise-table").contains(&shown));
    assert_eq!(
        table(&html, "noise-table").matches("<tr>").count(),
        1 + outputs.len()
    );

    // The ranking of strategies, recounted from design.csv.
    let design = csv_rows(&folder.join("design.csv"));
    let mut wins = [0.0_f64; 3];
    for row in &design {
        let values: Vec<f64> = ["none", "equal", "usage"]
            .iter()
            .map(|s| row[&format!("{s}:survival_at_horizon")].parse().unwrap())
            .collect();
        let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let tied = values.iter().filter(|&&v| v == best).count() as f64;
        for (w, v) in wins.iter_mut().zip(&values) {
            if *v == best {
                *w += 1.0 / tied;
            }
        }
    }
    let leader = (0..3)
        .max_by(|&a, &b| wins[a].total_cmp(&wins[b]).then(b.cmp(&a)))
        .unwrap();
    let sentence = format!(
        "“{}” at {:.0}% of the {} design points",
        ["none", "equal", "usage"][leader],
        100.0 * wins[leader] / design.len() as f64,
        design.len()
    );
    assert!(html.contains(&sentence), "no {sentence:?}");

    // `fundsim report` re-renders it byte for byte, and the manifest stays as it was.
    let manifest = fs::read(folder.join("manifest.json")).unwrap();
    let original = fs::read(folder.join("report.html")).unwrap();
    fs::remove_file(folder.join("report.html")).unwrap();
    fundsim_in(dir.path())
        .args(["report", "morris", "--quiet"])
        .assert()
        .success();
    assert!(fs::read(folder.join("report.html")).unwrap() == original);
    assert!(fs::read(folder.join("manifest.json")).unwrap() == manifest);

    // The folder is a function of its inputs: no thread count or wall time, and the same
    // bytes with two threads.
    let json: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert!(json.get("threads").is_none() && json.get("wall_time_seconds").is_none());
    assert!(
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "report.html")
    );
    analyse(dir.path(), "morris", "again", &["--threads", "2"]);
    // Same files, same bytes with 1 and 2 threads.
    common::assert_same_folder(&folder, &dir.path().join("again"));
}

#[test]
fn the_sobol_report_shows_intervals_and_whether_n_was_enough() {
    let dir = temp_dir();
    fs::write(dir.path().join("tiny.toml"), TINY).unwrap();
    analyse(dir.path(), "sobol", "sobol", &["--samples", "64"]);
    let folder = dir.path().join("sobol");
    let html = text(&folder.join("report.html"));
    assert_self_contained(&html);
    let drivers = table(&html, "drivers-sobol-survival_at_horizon");
    assert_eq!(row_labels(drivers)[0], "attrition");
    assert!(drivers.contains("S1 "));
    // The total index of attrition for `none` with its bootstrap interval.
    let indices = csv_rows(&folder.join("indices.csv"));
    let total = indices
        .iter()
        .find(|r| {
            r["metric"] == "survival_at_horizon"
                && r["strategy"] == "none"
                && r["versus"].is_empty()
                && r["parameter"] == "attrition"
                && r["index"] == "total"
        })
        .unwrap();
    let number = |column: &str| total[column].parse::<f64>().unwrap();
    assert!(number("ci_low") > 0.1 && number("value") > 0.5, "{total:?}");
    let cell = format!(
        "{:.2}<br><span class=\"note\">{:.2}–{:.2}</span>",
        number("value"),
        number("ci_low"),
        number("ci_high")
    );
    assert!(drivers.contains(&cell), "no {cell:?} in {drivers}");

    // The convergence table: N/4, N/2 and N, and a verdict on N.
    assert!(html.contains("<section id=\"convergence\">"));
    let detail = table(&html, "convergence-detail");
    for n in ["16", "32", "64"] {
        assert!(
            detail.contains(&format!("<td class=\"text\">{n}</td>")),
            "N = {n}"
        );
    }
    let verdict = &html[html.find("<strong>Verdict.</strong>").unwrap()..];
    assert!(
        verdict.starts_with("<strong>Verdict.</strong> N = 64 was"),
        "{}",
        &verdict[..200]
    );
    let convergence = table(&html, "convergence-table");
    let scalar_and_yearly = csv_rows(&folder.join("outputs.csv"))
        .iter()
        .filter(|r| !r["noise_share"].is_empty())
        .count();
    assert_eq!(convergence.matches("<tr>").count(), 1 + scalar_and_yearly);

    let original = fs::read(folder.join("report.html")).unwrap();
    fs::write(folder.join("report.html"), "stale").unwrap();
    fundsim_in(dir.path())
        .args(["report", "sobol", "--quiet"])
        .assert()
        .success();
    assert!(fs::read(folder.join("report.html")).unwrap() == original);

    // With one sample size only, the report says the table cannot judge N.
    analyse(
        dir.path(),
        "sobol",
        "small",
        &["--samples", "16", "--no-charts"],
    );
    let html = text(&dir.path().join("small/report.html"));
    assert!(html.contains("a single sample size (N = 16)"));
    assert!(!html.contains("<svg"));
}
