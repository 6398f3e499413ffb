//! Runs with an `[uncertainty]` table: the same folder, byte for byte, whatever the thread
//! count, the shard split or a resume; the uncertainty tables hold together; and
//! `--no-uncertainty` gives the fixed-parameter run.

use std::fs;
use std::path::Path;
use std::process::Stdio;

mod common;
use common::{assert_same_folder, fundsim_in, kill_after_first_checkpoint, process_in, scratch};

/// The STF scenario with a small uncertainty table in place of its own (a file, so
/// merges re-read it).
const TABLE: &str = r#"
[uncertainty]
parameter_sets = 12

[[uncertainty.parameters]]
path = "model.hire_rate"
distribution = "log-normal"
median = 0.3
sigma_log = 0.8
low = 0.03
high = 1.0
assumption = true

[[uncertainty.parameters]]
path = "model.cliff_multiplier"
distribution = "uniform"
low = 1.0
high = 2.0
assumption = true

[[uncertainty.parameters]]
path = "fund.person_month_eur"
distribution = "triangular"
low = 6000.0
mode = 9200.0
high = 19000.0

[[uncertainty.correlations]]
between = ["model.hire_rate", "model.cliff_multiplier"]
rank = -0.4
"#;

fn scenario(dir: &Path) -> &'static str {
    let text = format!("{}\n{TABLE}", common::stf_without_uncertainty());
    fs::write(dir.join("uncertain.toml"), text).unwrap();
    "uncertain.toml"
}

fn run(dir: &Path, args: &[&str]) {
    fundsim_in(dir)
        .args(["run", "uncertain.toml", "-q"])
        .args(args)
        .assert()
        .success();
}

#[test]
fn threads_and_shards_give_the_same_folder() {
    let dir = scratch("uncertainty-shards");
    scenario(dir.path());
    let n = ["-n", "96"];
    run(
        dir.path(),
        &[&n[..], &["--threads", "1", "--out", "one"]].concat(),
    );
    run(
        dir.path(),
        &[&n[..], &["--threads", "2", "--out", "two"]].concat(),
    );
    let compared = assert_same_folder(&dir.path().join("one"), &dir.path().join("two"));
    assert!(compared > 10, "{compared} files");
    for file in [
        "uncertainty.csv",
        "decision.csv",
        "parameter_sets.csv",
        "set_means.csv",
    ] {
        assert!(dir.path().join("one").join(file).is_file(), "{file}");
    }
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = format!("shard-{k}");
        run(
            dir.path(),
            &[&n[..], &["--shard", &shard, "--out", &out]].concat(),
        );
    }
    fundsim_in(dir.path())
        .args([
            "merge", "shard-2", "shard-0", "shard-1", "--out", "merged", "-q",
        ])
        .assert()
        .success();
    assert_same_folder(&dir.path().join("one"), &dir.path().join("merged"));
}

#[test]
fn a_killed_run_with_uncertainty_resumes_to_the_same_files() {
    let dir = scratch("uncertainty-resume");
    scenario(dir.path());
    let args = ["-n", "1600", "--no-charts", "--threads", "1"];
    run(dir.path(), &[&args[..], &["--out", "single"]].concat());
    let mut child = process_in(dir.path())
        .args(["run", "uncertain.toml", "-q"])
        .args(args)
        .args(["--out", "resumed", "--checkpoint-every", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kill_after_first_checkpoint(dir.path(), &mut child);
    run(
        dir.path(),
        &[
            "-n",
            "1600",
            "--no-charts",
            "--threads",
            "2",
            "--out",
            "resumed",
            "--resume",
        ],
    );
    assert_same_folder(&dir.path().join("single"), &dir.path().join("resumed"));
}

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn the_uncertainty_tables_hold_together() {
    let dir = scratch("uncertainty-tables");
    scenario(dir.path());
    run(dir.path(), &["-n", "240", "--no-charts", "--out", "run"]);
    let folder = dir.path().join("run");
    // Every set ran 240 / 12 = 20 replications, and its values are in its range.
    let sets = rows(&folder.join("parameter_sets.csv"));
    assert_eq!(sets.len(), 12);
    for set in &sets {
        assert_eq!(&set[1], "20");
        let hire: f64 = set[2].parse().unwrap();
        let cliff: f64 = set[3].parse().unwrap();
        assert!((0.03..=1.0).contains(&hire) && (1.0..=2.0).contains(&cliff));
    }
    // The probabilities of being best add up to one for every metric; the mean of
    // uncertainty.csv is summary.csv's mean.
    let decisions = rows(&folder.join("decision.csv"));
    let mut by_metric = std::collections::BTreeMap::<String, f64>::new();
    for row in &decisions {
        if let Ok(p) = row[2].parse::<f64>() {
            *by_metric.entry(row[0].to_string()).or_default() += p;
        }
    }
    for (metric, total) in &by_metric {
        assert!(
            (total - 1.0).abs() < 1e-9,
            "{metric}: p_best sums to {total}"
        );
    }
    let summary = rows(&folder.join("summary.csv"));
    for row in rows(&folder.join("uncertainty.csv")) {
        let (p05, p50, p95): (f64, f64, f64) = (
            row[3].parse().unwrap(),
            row[4].parse().unwrap(),
            row[5].parse().unwrap(),
        );
        assert!(p05 <= p50 && p50 <= p95, "{row:?}");
        if let Some(same) = summary.iter().find(|s| s[0] == row[0] && s[1] == row[1]) {
            let (a, b): (f64, f64) = (same[2].parse().unwrap(), row[2].parse().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                "{row:?} vs {same:?}"
            );
        }
    }
    // The parameter sets really differ: survival without funding varies across them.
    let none_survival = rows(&folder.join("set_means.csv"))
        .into_iter()
        .filter(|r| &r[1] == "none" && &r[2] == "survival_at_horizon")
        .map(|r| r[4].parse::<f64>().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(none_survival.len(), 12);
    assert!(none_survival.iter().any(|&s| s != none_survival[0]));
}

#[test]
fn no_uncertainty_is_the_fixed_parameter_run() {
    let dir = scratch("uncertainty-off");
    scenario(dir.path());
    // The STF scenario without any [uncertainty] table.
    let fixed = common::replaced(
        &common::stf_without_uncertainty(),
        "replications = 4000",
        "replications = 64",
    );
    fs::write(dir.path().join("fixed.toml"), fixed).unwrap();
    run(
        dir.path(),
        &[
            "-n",
            "64",
            "--no-charts",
            "--no-uncertainty",
            "--out",
            "off",
        ],
    );
    fundsim_in(dir.path())
        .args(["run", "fixed.toml", "-q", "--no-charts", "--out", "fixed"])
        .assert()
        .success();
    for file in ["summary.csv", "survival.csv", "projects.csv"] {
        let off = fs::read(dir.path().join("off").join(file)).unwrap();
        let fixed = fs::read(dir.path().join("fixed").join(file)).unwrap();
        assert!(off == fixed, "{file} differs");
    }
    assert!(!dir.path().join("off").join("uncertainty.csv").exists());
    // Without a table, the uncertainty options are refused by name.
    let output = fundsim_in(dir.path())
        .args(["run", "fixed.toml", "-q", "--fixed-portfolio"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("[uncertainty]"));
}
