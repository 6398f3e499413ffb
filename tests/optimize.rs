//! `fundsim optimize` end to end, on the built-in stf scenario at a tiny budget (16
//! replications per evaluation in 4 parameter sets, two generations): the same folder
//! whatever the thread count, a stopped and resumed search equal to an uninterrupted one,
//! `recheck.toml` re-run with `fundsim run` reproducing the hold-out, the regret and p10
//! goals, and bad input refused with exit 2 and a clear message.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{fundsim_in, temp_dir};

/// The small search every test here runs (25 evaluations: two generations of 12 and the
/// final policy).
const SMALL: [&str; 13] = [
    "optimize",
    "stf",
    "--metric",
    "survival_at_horizon",
    "--evaluations",
    "25",
    "-n",
    "16",
    "--parameter-sets",
    "4",
    "--holdout-replications",
    "64",
    "--quiet",
];

/// Every file of a folder but its manifest (which records the time and the threads).
fn results(folder: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = common::files(folder);
    files.remove(Path::new("manifest.json"));
    files
}

fn search(dir: &Path, out: &str, extra: &[&str], threads: &str) -> assert_cmd::assert::Assert {
    fundsim_in(dir)
        .args(SMALL)
        .args(["--out", out])
        .args(extra)
        .env("RAYON_NUM_THREADS", threads)
        .assert()
}

#[test]
fn the_result_does_not_depend_on_the_thread_count() {
    let dir = temp_dir();
    search(dir.path(), "one", &[], "1").success();
    search(dir.path(), "two", &[], "2").success();
    let (one, two) = (
        results(&dir.path().join("one")),
        results(&dir.path().join("two")),
    );
    for name in [
        "best.toml",
        "recheck.toml",
        "trace.csv",
        "holdout.csv",
        "holdout_levels.csv",
        "report.md",
        "charts/convergence.png",
    ] {
        assert!(one.contains_key(Path::new(name)), "{name} missing");
    }
    assert_eq!(one, two);
    let trace = String::from_utf8(one[Path::new("trace.csv")].clone()).unwrap();
    assert!(
        trace.starts_with("generation,candidate,call_shares[0],"),
        "{trace}"
    );
    assert_eq!(trace.lines().count(), 1 + 25, "{trace}");
    assert!(trace.lines().last().unwrap().starts_with("2,final_mean,"));
    let holdout = String::from_utf8(one[Path::new("holdout.csv")].clone()).unwrap();
    assert!(holdout.starts_with("strategy,metric,mean,ci_low,ci_high\nnone,survival_at_horizon,"));
    assert_eq!(holdout.lines().count(), 1 + 5, "{holdout}");
    let report = String::from_utf8(one[Path::new("report.md")].clone()).unwrap();
    assert!(report.contains("## The policy in words"), "{report}");
    assert!(
        ["does better", "NOT shown to be better", "WORSE"]
            .iter()
            .any(|verdict| report.contains(verdict)),
        "{report}"
    );
}

#[test]
fn a_stopped_search_resumes_to_the_same_answer() {
    let dir = temp_dir();
    search(dir.path(), "whole", &[], "2").success();
    let stopped = search(dir.path(), "parts", &["--stop-after-generations", "1"], "2")
        .code(130)
        .get_output()
        .clone();
    let said = String::from_utf8_lossy(&stopped.stderr).into_owned();
    assert!(said.contains("interrupted"), "{said}");
    assert!(!dir.path().join("parts").exists());
    let saved: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".fundsim-optimize-")
        })
        .collect();
    assert_eq!(saved.len(), 1, "one saved state");
    search(dir.path(), "parts", &["--resume"], "1").success();
    assert_eq!(
        results(&dir.path().join("whole")),
        results(&dir.path().join("parts"))
    );
    // The state is removed once the folder is in place; resuming again finds none.
    let again = search(dir.path(), "parts", &["--resume", "--force"], "1")
        .code(2)
        .get_output()
        .clone();
    let said = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(said.contains("no saved state of this search"), "{said}");
}

/// `fundsim run recheck.toml` gives the found policy's hold-out numbers exactly, and
/// best.toml appended to the scenario is accepted as a strategy.
#[test]
fn the_found_policy_reruns_with_fundsim_run() {
    let dir = temp_dir();
    search(dir.path(), "found", &[], "2").success();
    let found = dir.path().join("found");
    fundsim_in(&found)
        .args([
            "run",
            "recheck.toml",
            "--out",
            "rerun",
            "--quiet",
            "--no-charts",
        ])
        .assert()
        .success();
    let summary = fs::read_to_string(found.join("rerun/summary.csv")).unwrap();
    let levels = fs::read_to_string(found.join("holdout_levels.csv")).unwrap();
    let mut compared = 0;
    for row in levels.lines().skip(1) {
        assert!(
            summary.lines().any(|line| line == row),
            "{row} not in summary.csv"
        );
        compared += 1;
    }
    assert_eq!(compared, 6, "{levels}");
    let best = fs::read_to_string(found.join("best.toml")).unwrap();
    assert!(
        best.contains("[[strategies]]") && best.contains("rule = \"policy\""),
        "{best}"
    );
    let scenario = format!("{}\n{best}", common::stf_text());
    common::write_stf_companions(dir.path());
    fs::write(dir.path().join("with-best.toml"), scenario).unwrap();
    let validated = fundsim_in(dir.path())
        .args(["validate", "with-best.toml"])
        .assert()
        .success()
        .get_output()
        .clone();
    let said = String::from_utf8_lossy(&validated.stdout).into_owned();
    assert!(said.contains("optimised"), "{said}");
}

#[test]
fn regret_and_the_tail_are_goals_too() {
    let dir = temp_dir();
    for goal in ["regret", "p10"] {
        search(dir.path(), goal, &["--goal", goal], "2").success();
        let trace = fs::read_to_string(dir.path().join(goal).join("trace.csv")).unwrap();
        assert_eq!(trace.lines().count(), 1 + 25, "{trace}");
        let estimates: Vec<f64> = trace
            .lines()
            .skip(1)
            .map(|line| line.rsplit(',').nth(1).unwrap().parse().unwrap())
            .collect();
        if goal == "regret" {
            assert!(estimates.iter().all(|r| *r >= 0.0), "{estimates:?}");
        } else {
            assert!(
                estimates.iter().all(|p| (0.0..=1.0).contains(p)),
                "{estimates:?}"
            );
        }
    }
}

#[test]
fn bad_input_is_refused_with_exit_2() {
    let dir = temp_dir();
    fs::write(
        dir.path().join("fixed.toml"),
        common::stf_without_uncertainty(),
    )
    .unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["optimize", "--metric", "happiness"],
            "--metric \"happiness\" is not a metric optimize can use; choose one of survival_at_horizon",
        ),
        (
            &[
                "optimize",
                "--metric",
                "survival_at_horizon",
                "--goal",
                "median",
            ],
            "--goal \"median\" is not a goal; choose mean, p10 or regret",
        ),
        (
            &[
                "optimize",
                "--metric",
                "survival_at_horizon",
                "--evaluations",
                "0",
            ],
            "--evaluations 0: expected a whole number from 1 to 20000",
        ),
        (
            &[
                "optimize",
                "--metric",
                "survival_at_horizon",
                "--evaluations",
                "20001",
            ],
            "--evaluations 20001: expected a whole number from 1 to 20000",
        ),
        (
            &[
                "optimize",
                "fixed.toml",
                "--metric",
                "survival_at_horizon",
                "--goal",
                "p10",
            ],
            "--goal p10 and --parameter-sets need an [uncertainty] table",
        ),
        (
            &[
                "optimize",
                "--metric",
                "survival_at_horizon",
                "--family",
                "genetic",
            ],
            "--family \"genetic\" is not a family; choose policy or proportional",
        ),
    ];
    for (args, expected) in cases {
        let output = fundsim_in(dir.path())
            .args(args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let said = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(said.contains(expected), "{args:?}: {said}");
    }
    assert!(!dir.path().join("outputs").exists(), "nothing is written");
}
