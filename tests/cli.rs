//! The `fundsim` binary as a user meets it: good runs, output folders, and bad scenarios
//! rejected with a message naming the field, exit code 2 and nothing written.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

mod common;
use common::{fundsim_in, process_in, temp_dir};

/// A small, quick version of the STF scenario.
fn small_scenario(dir: &Path) -> String {
    common::write_stf(dir, "small.toml", 40)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_run_writes_every_table_with_its_columns() {
    let dir = temp_dir();
    let scenario = small_scenario(dir.path());
    fundsim_in(dir.path())
        .args(["run", &scenario, "--out", "run", "--no-charts"])
        .assert()
        .success()
        .stdout(predicate::str::contains("equal-even"));
    let run = dir.path().join("run");
    let header = |file: &str| {
        fs::read_to_string(run.join(file))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        header("summary.csv"),
        "strategy,metric,mean,ci_low,ci_high,mcse"
    );
    assert!(
        header("survival.csv")
            .starts_with("strategy,month,surviving,surviving_ci_low,surviving_ci_high,alive")
    );
    assert!(header("survival.csv").ends_with("at_risk,events"));
    assert_eq!(
        header("timeseries.csv"),
        "strategy,month,metric,mean,p05,p50,p95"
    );
    assert!(header("projects.csv").contains("p_abandoned,mean_received_eur,mean_maintainers_end"));
    assert_eq!(
        header("allocations.csv"),
        "strategy,call,month,project,mean_amount_eur"
    );
    let summary = fs::read_to_string(run.join("summary.csv")).unwrap();
    for metric in [
        "survival_at_horizon",
        "alive_at_horizon",
        "weighted_survival_at_horizon",
        "abandonments",
        "maintainers_at_horizon",
        "open_vulnerabilities_at_horizon",
        "latent_vulnerabilities_at_horizon",
        "exposure_months",
        "discovered_vulnerabilities",
        "fixed_vulnerabilities",
        "median_time_to_fix_months",
        "total_paid_eur",
        "overhead_eur",
        "gini_allocation",
        "share_funded",
    ] {
        assert!(
            summary.contains(&format!("none,{metric},")),
            "summary.csv lacks {metric}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["replications"], 40);
    assert_eq!(manifest["scenario"]["name"], "stf");
    assert!(manifest["scenario_hash"].as_str().unwrap().len() == 64);
    // No staging folder is left behind.
    assert!(
        entries(dir.path())
            .iter()
            .all(|name| !name.starts_with(".partial"))
    );
}

#[test]
fn default_folders_are_numbered_and_an_existing_out_is_refused_without_force() {
    let dir = temp_dir();
    let scenario = small_scenario(dir.path());
    for _ in 0..2 {
        fundsim_in(dir.path())
            .args(["run", &scenario, "--quiet", "--no-charts"])
            .assert()
            .success();
    }
    let folder = dir.path().join("outputs/stf");
    assert_eq!(entries(&folder), vec!["latest", "run-001", "run-002"]);
    assert_eq!(
        fs::read_to_string(folder.join("latest")).unwrap().trim(),
        "run-002"
    );

    fs::create_dir(dir.path().join("taken")).unwrap();
    fs::write(dir.path().join("taken/keep.txt"), "mine").unwrap();
    fundsim_in(dir.path())
        .args(["run", &scenario, "--out", "taken", "--no-charts"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert!(
        dir.path().join("taken/keep.txt").exists(),
        "a refused run leaves the folder alone"
    );
    fundsim_in(dir.path())
        .args([
            "run",
            &scenario,
            "--out",
            "taken",
            "--force",
            "--quiet",
            "--no-charts",
        ])
        .assert()
        .success();
    assert!(dir.path().join("taken/summary.csv").exists());
}

/// Malformed and out-of-range scenarios: (name, replacement of the STF text, expected
/// words in the message).
const BAD: &[(&str, &str, &str, &[&str])] = &[
    ("syntax", "[fund]", "[fund", &["small.toml:"]),
    (
        "unknown field",
        "budget_eur = 24_600_000.0",
        "budget = 24_600_000.0",
        &["unknown field", "budget"],
    ),
    (
        "negative budget",
        "budget_eur = 24_600_000.0",
        "budget_eur = -5.0",
        &["fund.budget_eur", "-5"],
    ),
    (
        "nan",
        "overhead_share = 0.05",
        "overhead_share = nan",
        &["fund.overhead_share", "NaN"],
    ),
    (
        "probability above one",
        "break_return_hazard = 0.043",
        "break_return_hazard = 1.5",
        &["model.break_return_hazard", "1.5", "probability"],
    ),
    (
        "horizon before programme end",
        "horizon_months = 120",
        "horizon_months = 24",
        &["fund.horizon_months", "programme"],
    ),
    (
        "wrong type",
        "programme_months = 48",
        "programme_months = \"four years\"",
        &["programme_months", "integer"],
    ),
    (
        "unknown rule",
        "rule = \"equal\"\ntiming = \"even\"",
        "rule = \"fair\"\ntiming = \"even\"",
        &["strategies[1].rule", "fair", "proportional"],
    ),
    (
        "unknown timing",
        "timing = \"front_loaded\"",
        "timing = \"soon\"",
        &["strategies[2].timing", "soon", "front_loaded"],
    ),
    (
        "bad rule parameter",
        "power = 0.5",
        "powr = 0.5",
        &["strategies[4]", "powr"],
    ),
    (
        "budget below one grant",
        "budget_eur = 24_600_000.0",
        "budget_eur = 1_000.0",
        &["fund.budget_eur", "smaller than one grant"],
    ),
    (
        "zero replications",
        "replications = 40",
        "replications = 0",
        &["run.replications"],
    ),
];

#[test]
fn bad_scenarios_are_rejected_with_the_field_named_and_nothing_written() {
    let dir = temp_dir();
    let good = fs::read_to_string(dir.path().join(small_scenario(dir.path()))).unwrap();
    for (case, from, to, words) in BAD {
        assert!(
            good.contains(from),
            "{case}: the STF scenario no longer contains {from:?}"
        );
        fs::write(dir.path().join("small.toml"), good.replacen(from, to, 1)).unwrap();
        let output = fundsim_in(dir.path())
            .args(["run", "small.toml", "--out", "never"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{case}: exit code; stderr: {stderr}"
        );
        for word in *words {
            assert!(
                stderr.contains(word),
                "{case}: message lacks {word:?}: {stderr}"
            );
        }
        assert!(
            stderr.contains("small.toml"),
            "{case}: message lacks the file name: {stderr}"
        );
        assert!(
            !dir.path().join("never").exists(),
            "{case}: an output folder was created"
        );
        assert!(
            !dir.path().join("outputs").exists(),
            "{case}: an outputs folder was created"
        );
    }
}

#[test]
fn validate_scenarios_and_init_tell_the_user_what_they_need() {
    let dir = temp_dir();
    fundsim_in(dir.path())
        .arg("scenarios")
        .assert()
        .success()
        .stdout(predicate::str::contains("stf"));
    fundsim_in(dir.path())
        .args(["init", "my-fund.toml"])
        .assert()
        .success();
    fundsim_in(dir.path())
        .args(["init", "my-fund.toml"])
        .assert()
        .code(2);
    // The template's [uncertainty] table names the calibration posterior, which a file
    // scenario reads from its own folder: init writes it beside the template.
    assert!(dir.path().join("posterior-baseline.csv").is_file());
    fundsim_in(dir.path())
        .args(["validate", "my-fund.toml"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("valid scenario \"my-fund\"")
                .and(predicate::str::contains("62 projects")),
        );
    fundsim_in(dir.path())
        .args(["validate", "missing.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml"));
    fs::write(
        dir.path().join("p.toml"),
        "name = \"p\"\n[portfolio]\ncsv = \"absent.csv\"\n[[strategies]]\nrule = \"equal\"\n",
    )
    .unwrap();
    fundsim_in(dir.path())
        .args(["validate", "p.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("absent.csv"));
}

#[test]
fn runs_are_byte_identical_across_thread_counts_and_repeats() {
    let dir = temp_dir();
    let scenario = small_scenario(dir.path());
    for (out, threads) in [("one", "1"), ("two", "2"), ("again", "2")] {
        fundsim_in(dir.path())
            .args([
                "run",
                &scenario,
                "--out",
                out,
                "--threads",
                threads,
                "--quiet",
                "--no-charts",
            ])
            .assert()
            .success();
    }
    for file in [
        "summary.csv",
        "survival.csv",
        "timeseries.csv",
        "projects.csv",
        "allocations.csv",
    ] {
        let one = fs::read(dir.path().join("one").join(file)).unwrap();
        assert_eq!(
            one,
            fs::read(dir.path().join("two").join(file)).unwrap(),
            "{file}: 1 vs 2 threads"
        );
        assert_eq!(
            one,
            fs::read(dir.path().join("again").join(file)).unwrap(),
            "{file}: two runs"
        );
    }
    fundsim_in(dir.path())
        .args([
            "run",
            &scenario,
            "--out",
            "other",
            "--seed",
            "99",
            "--quiet",
            "--no-charts",
        ])
        .assert()
        .success();
    assert_ne!(
        fs::read(dir.path().join("one/summary.csv")).unwrap(),
        fs::read(dir.path().join("other/summary.csv")).unwrap(),
        "another seed gives other results"
    );
}

#[test]
fn a_csv_portfolio_runs_and_its_projects_are_reported_by_name() {
    let dir = temp_dir();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let scenario = fixtures.join("csv-portfolio.toml");
    fundsim_in(dir.path())
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            "csv",
            "--quiet",
            "--no-charts",
        ])
        .assert()
        .success();
    let projects = fs::read_to_string(dir.path().join("csv/projects.csv")).unwrap();
    for name in ["curl", "zlib", "libxml2", "openssh", "tiny-lib"] {
        assert!(
            projects.contains(&format!("equal,{name},")),
            "projects.csv lacks {name}"
        );
    }
    // The `none` baseline is added when a scenario does not list it.
    assert!(projects.contains("none,curl,"));
}

#[test]
fn compare_ranks_strategies_with_paired_differences() {
    let dir = temp_dir();
    let scenario = small_scenario(dir.path());
    let output = fundsim_in(dir.path())
        .args(["compare", &scenario, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = json["strategies"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let means: Vec<f64> = rows.iter().map(|r| r["mean"].as_f64().unwrap()).collect();
    assert!(
        means.windows(2).all(|w| w[0] >= w[1]),
        "ranked by survival, best first: {means:?}"
    );
    assert_eq!(rows[0]["verdict"], "best");
    let none = rows.iter().find(|r| r["strategy"] == "none").unwrap();
    assert_eq!(none["vs_baseline"].as_f64().unwrap(), 0.0);
    fundsim_in(dir.path())
        .args(["compare", &scenario, "--by", "happiness"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("survival_at_horizon"));
    fundsim_in(dir.path())
        .args([
            "compare",
            &scenario,
            "--by",
            "abandonments",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("metric,rank,strategy,mean"));
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::process::Stdio;
    let dir = temp_dir();
    let scenario = small_scenario(dir.path());
    let mut child = process_in(dir.path())
        .args(["compare", &scenario, "--by", "abandonments"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -0`: the reader is gone before the results are written (the
    // simulation takes a while), so every write meets a closed pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
