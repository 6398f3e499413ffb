//! Every metric of `summary.csv` is a metric everywhere: the cost-effectiveness ratios
//! are accepted by `sweep`, `target`, `sensitivity` and `--precision`, read exactly the
//! value `summary.csv` gives, and say clearly when they are undefined (the baseline, no
//! effect). Also `target --out`'s folder.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

mod common;
use common::{fundsim_in, temp_dir};

/// A small scenario: 12 projects over three years, a baseline and two funded
/// strategies; the sensitivity analysis reads a ratio.
const SMALL: &str = r#"
name = "small"
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
metrics = ["cost_per_abandonment_averted_eur", "cost_per_project_year_gained_eur"]
[[sensitivity.parameters]]
path = "model.attrition_hazard"
label = "attrition"
low = 0.01
high = 0.05
[[sensitivity.parameters]]
path = "strategies[2].power"
label = "power (usage only)"
low = 0.5
high = 2.0
"#;

const RATIO: &str = "cost_per_abandonment_averted_eur";

fn small(dir: &Path) {
    fs::write(dir.join("small.toml"), SMALL).unwrap();
}

/// The rows of a CSV file as maps from column name to cell.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|line| {
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(String::from))
                .collect()
        })
        .collect()
}

fn cell<'a>(
    rows: &'a [std::collections::HashMap<String, String>],
    strategy: &str,
    metric: &str,
    column: &str,
) -> Option<&'a str> {
    rows.iter()
        .find(|r| r["strategy"] == strategy && r["metric"] == metric)
        .map(|r| r[column].as_str())
}

#[test]
fn sweep_reads_the_ratio_of_summary_csv_and_leaves_the_baseline_out() {
    let dir = temp_dir();
    small(dir.path());
    fundsim_in(dir.path())
        .args([
            "run",
            "small.toml",
            "--out",
            "run",
            "--quiet",
            "--no-charts",
        ])
        .assert()
        .success();
    let summary = rows(&dir.path().join("run/summary.csv"));
    fundsim_in(dir.path())
        .args([
            "sweep",
            "small.toml",
            "--param",
            "fund.budget_eur=2e6:2e6:1",
        ])
        .args([
            "--metric",
            RATIO,
            "--metric",
            "cost_per_project_year_gained_eur",
        ])
        .args(["--out", "sweep", "--no-charts"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "note: {RATIO} is left out for the baseline \"none\""
        )));
    let sweep = rows(&dir.path().join("sweep/sweep.csv"));
    for metric in [RATIO, "cost_per_project_year_gained_eur"] {
        for strategy in ["equal", "usage"] {
            for column in ["mean", "ci_low", "ci_high", "mcse"] {
                let expected: f64 = cell(&summary, strategy, metric, column)
                    .unwrap()
                    .parse()
                    .unwrap();
                let swept: f64 = cell(&sweep, strategy, metric, column)
                    .unwrap_or_else(|| panic!("{strategy} {metric} missing from sweep.csv"))
                    .parse()
                    .unwrap();
                assert_eq!(swept, expected, "{strategy} {metric} {column}");
            }
        }
        assert!(cell(&sweep, "none", metric, "mean").is_none());
    }
    // The baseline alone has no ratio to show.
    fundsim_in(dir.path())
        .args([
            "sweep",
            "small.toml",
            "--param",
            "fund.budget_eur=1e6:2e6:2",
        ])
        .args(["--metric", RATIO, "--strategy", "none", "--out", "none"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("undefined for the baseline itself")
                .and(predicate::str::contains("choose a funded strategy")),
        );
}

#[test]
fn target_finds_a_budget_for_a_ratio_and_writes_its_folder() {
    let dir = temp_dir();
    small(dir.path());
    let output = fundsim_in(dir.path())
        .args(["target", "small.toml", "--param", "fund.budget_eur"])
        .args(["--metric", RATIO, "--goal", "3e6", "--strategy", "equal"])
        .args(["--range", "5e5:4e6", "-n", "16", "--format", "json"])
        .args(["--out", "t"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let printed: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let folder = dir.path().join("t");
    let written: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.join("target.json")).unwrap()).unwrap();
    assert_eq!(printed, written, "target.json is what --format json prints");
    assert_eq!(written["metric"], RATIO);
    assert_eq!(written["higher_is_better"], false);
    let value = written["value"].as_f64().unwrap();
    assert!(written["ci_low"].as_f64().unwrap() <= value);
    assert!(value <= written["ci_high"].as_f64().unwrap());
    assert!(written["scenario_hash"].as_str().unwrap().len() == 64);
    let trace = rows(&folder.join("target_trace.csv"));
    assert!(trace.len() >= written["evaluations"].as_array().unwrap().len());
    assert_eq!(trace[0]["phase"], "bracket");
    assert_eq!(trace[0]["fund.budget_eur"], "500000");
    for step in &trace {
        let judged: f64 = step[&step["judged_on"]].parse().unwrap();
        let reached = judged <= 3e6;
        assert_eq!(step["decision"], if reached { "reached" } else { "missed" });
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "target");
    for file in manifest["files"].as_array().unwrap() {
        assert!(folder.join(file.as_str().unwrap()).is_file(), "{file}");
    }
    assert!(folder.join("charts/target.png").is_file());
    // An existing folder is refused without --force, replaced with it.
    let again = |extra: &[&str]| {
        let mut command = fundsim_in(dir.path());
        command
            .args(["target", "small.toml", "--param", "fund.budget_eur"])
            .args([
                "--metric",
                "share_funded",
                "--goal",
                "0.5",
                "--strategy",
                "equal",
            ])
            .args(["--range", "1e5:4e6", "-n", "16", "--out", "t", "--quiet"])
            .args(extra);
        command
    };
    again(&[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    again(&["--force"]).assert().success().stdout("");
    assert!(
        fs::read_to_string(folder.join("target.json"))
            .unwrap()
            .contains("share_funded")
    );
    // Without --out nothing is written, and --force alone is refused.
    fundsim_in(dir.path())
        .args(["target", "small.toml", "--param", "fund.budget_eur"])
        .args(["--metric", "share_funded", "--goal", "0.5", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only apply with --out"));
}

#[test]
fn an_undefined_ratio_gives_a_clear_message() {
    let dir = temp_dir();
    small(dir.path());
    let target = |strategy: &str, range: &str| {
        let mut command = fundsim_in(dir.path());
        command
            .args(["target", "small.toml", "--param", "fund.budget_eur"])
            .args(["--metric", RATIO, "--goal", "1e6", "--strategy", strategy])
            .args(["--range", range, "-n", "16"]);
        command
    };
    target("none", "5e5:4e6")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "undefined for the baseline \"none\"",
        ));
    // A budget of zero averts nothing: the ratio is undefined there.
    target("equal", "0:3e6").assert().code(1).stderr(
        predicate::str::contains(format!(
            "{RATIO} of \"equal\" is undefined at fund.budget_eur"
        ))
        .and(predicate::str::contains("not positive"))
        .and(predicate::str::contains("give a --range")),
    );
    // Nothing to make precise: the run says so instead of claiming precision.
    fundsim_in(dir.path())
        .args([
            "run",
            "small.toml",
            "--set",
            "fund.budget_eur=0",
            "--out",
            "zero",
        ])
        .args(["--no-charts", "--precision", &format!("{RATIO}=1000")])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("precision NOT reached")
                .and(predicate::str::contains("undefined for every strategy")),
        );
}

#[test]
fn precision_and_sensitivity_accept_the_ratios() {
    let dir = temp_dir();
    small(dir.path());
    fundsim_in(dir.path())
        .args([
            "compare",
            "small.toml",
            "--precision",
            &format!("{RATIO}=1e9"),
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("precision reached").and(predicate::str::contains(RATIO)));
    fundsim_in(dir.path())
        .args([
            "sensitivity",
            "small.toml",
            "--method",
            "morris",
            "--out",
            "sens",
        ])
        .args(["--bootstrap", "20", "--quiet"])
        .assert()
        .success();
    let outputs = fs::read_to_string(dir.path().join("sens/outputs.csv")).unwrap();
    assert!(outputs.contains(RATIO) && outputs.contains("cost_per_project_year_gained_eur"));
    // A name that is not a metric is refused with the full key, offering the ratios.
    fs::write(
        dir.path().join("bad.toml"),
        SMALL.replace(
            "metrics = [\"cost_per_abandonment_averted_eur\", ",
            "metrics = [\"cost_per_nothing\", ",
        ),
    )
    .unwrap();
    fundsim_in(dir.path())
        .args(["validate", "bad.toml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("sensitivity.metrics[0]")
                .and(predicate::str::contains("cost_per_project_year_gained_eur"))
                .and(predicate::str::contains("weighted_project_years_gained")),
        );
}
