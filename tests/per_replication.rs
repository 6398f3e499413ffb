//! `fundsim run --per-replication`: replications.csv and lifetimes.csv agree with the
//! aggregates of the same run, do not depend on the thread count, and are refused where
//! they cannot be streamed.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{fundsim_in, scratch};

fn run(dir: &Path, out: &str, threads: &str) {
    fundsim_in(dir)
        .args([
            "run",
            "stf",
            "-n",
            "40",
            "--seed",
            "5",
            "--no-charts",
            "--quiet",
        ])
        .args(["--per-replication", "--threads", threads, "--out", out])
        .assert()
        .success();
}

fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn per_replication_rows_match_the_aggregates_and_the_thread_count_does_not_matter() {
    let dir = scratch("per-replication");
    run(dir.path(), "one", "1");
    run(dir.path(), "two", "2");
    for file in ["replications.csv", "lifetimes.csv", "summary.csv"] {
        let one = std::fs::read(dir.path().join("one").join(file)).unwrap();
        let two = std::fs::read(dir.path().join("two").join(file)).unwrap();
        assert!(one == two, "{file} depends on the thread count");
    }
    let folder = dir.path().join("one");
    let (header, rows) = table(&folder.join("replications.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (strategy, survival, abandonments) = (
        column("strategy"),
        column("survival_at_horizon"),
        column("abandonments"),
    );
    // 40 replications of the five strategies of `stf`, in replication order.
    assert_eq!(rows.len(), 40 * 5);
    let replications: Vec<u64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(replications.windows(2).all(|w| w[0] <= w[1]));
    // The mean of the rows is the mean summary.csv reports (up to the last bits of two
    // summation orders).
    let (_, summary) = table(&folder.join("summary.csv"));
    let mut sums: HashMap<String, (f64, u32)> = HashMap::new();
    for row in &rows {
        let entry = sums.entry(row[strategy].clone()).or_default();
        entry.0 += row[survival].parse::<f64>().unwrap();
        entry.1 += 1;
    }
    for row in summary.iter().filter(|r| r[1] == "survival_at_horizon") {
        let (sum, count) = sums[&row[0]];
        let reported: f64 = row[2].parse().unwrap();
        assert!(
            (sum / f64::from(count) - reported).abs() < 1e-12,
            "{}: {} vs {reported}",
            row[0],
            sum / f64::from(count)
        );
    }
    // lifetimes.csv has one row per project: its events are the abandonments of the
    // replication.
    let (life_header, lives) = table(&folder.join("lifetimes.csv"));
    assert_eq!(
        life_header[..6],
        [
            "set",
            "replication",
            "strategy",
            "project",
            "time_months",
            "event"
        ]
    );
    assert_eq!(lives.len(), 40 * 5 * 62);
    let mut events: HashMap<(String, String), u32> = HashMap::new();
    for life in &lives {
        let time: u32 = life[4].parse().unwrap();
        let event: u32 = life[5].parse().unwrap();
        assert!(time <= 120 && (event == 1 || time == 120), "{life:?}");
        *events
            .entry((life[1].clone(), life[2].clone()))
            .or_default() += event;
    }
    for row in &rows {
        let counted = events[&(row[1].clone(), row[strategy].clone())];
        assert_eq!(
            f64::from(counted),
            row[abandonments].parse::<f64>().unwrap()
        );
    }
    let manifest = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"replications.csv\"") && manifest.contains("\"lifetimes.csv\""));
}

#[test]
fn per_replication_is_refused_where_rows_cannot_stream_in_order() {
    let dir = scratch("per-replication-refused");
    for extra in [
        vec!["--resume"],
        vec!["--shard", "0/2", "--out", "shard"],
        vec!["--precision", "survival_at_horizon=0.05"],
    ] {
        let output = fundsim_in(dir.path())
            .args(["run", "stf", "-n", "16", "--quiet", "--per-replication"])
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--per-replication"), "{extra:?}: {stderr}");
    }
    assert!(
        !dir.path()
            .join("outputs")
            .join("stf")
            .join("run-001")
            .exists()
    );
}
