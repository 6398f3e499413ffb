//! Sweeps and sensitivity analyses beyond one process: their design points split into
//! shards computed by separate processes and merged give, byte for byte, the folder of
//! one process (tables, charts, report, manifest); a missing shard, a changed scenario
//! and a shard without --out are refused.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

mod common;
use common::{assert_same_folder, fundsim_in, temp_dir};

/// Runs `command` once unsharded into `single` and as `count` shards (separate
/// processes, different thread counts), merges them in reverse order into `merged`, and
/// returns the shard folders.
fn single_and_merged(dir: &Path, command: &[&str], count: u64) -> Vec<String> {
    fundsim_in(dir)
        .args(command)
        .args(["--out", "single", "-q"])
        .assert()
        .success();
    let folders: Vec<String> = (0..count)
        .map(|k| {
            let out = format!("shard-{k}");
            let threads = (1 + k % 2).to_string();
            fundsim_in(dir)
                .args(command)
                .args(["--shard", &format!("{k}/{count}"), "--out", &out])
                .args(["--threads", &threads])
                .assert()
                .success()
                .stdout(predicate::str::contains(format!("shard {k}/{count}")));
            let manifest = fs::read_to_string(dir.join(&out).join("shard.json")).unwrap();
            assert!(manifest.contains("\"units\": \"points\""), "{manifest}");
            out
        })
        .collect();
    fundsim_in(dir)
        .arg("merge")
        .args(folders.iter().rev())
        .args(["--out", "merged", "-q"])
        .assert()
        .success();
    assert_same_folder(&dir.join("single"), &dir.join("merged"));
    folders
}

#[test]
fn merged_sweep_shards_equal_one_sweep_byte_for_byte() {
    let dir = temp_dir();
    // A scenario file, so the merge reads it again from the shards' working folder.
    let text = common::stf_text();
    fs::write(dir.path().join("small.toml"), text).unwrap();
    let sweep = [
        "sweep",
        "small.toml",
        "--param",
        "fund.budget_eur=5e6:50e6:5",
        "-n",
        "16",
        "--metric",
        "survival_at_horizon",
        "--metric",
        "weighted_survival_at_horizon",
    ];
    let folders = single_and_merged(dir.path(), &sweep, 3);
    let single = dir.path().join("single");
    for file in ["sweep.csv", "manifest.json"] {
        assert!(single.join(file).is_file(), "{file}");
    }
    assert!(single.join("charts").is_dir());

    // A missing shard is refused, by name.
    fundsim_in(dir.path())
        .args(["merge", &folders[0], &folders[2], "--out", "partial"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shard 1 of 3 is missing"));
    assert!(!dir.path().join("partial").exists());
    // A scenario changed since the shards ran is refused.
    let changed = text.replace("seed = ", "seed = 1");
    assert_ne!(changed, text);
    fs::write(dir.path().join("small.toml"), changed).unwrap();
    fundsim_in(dir.path())
        .arg("merge")
        .args(&folders)
        .args(["--out", "changed"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has changed since the shards"));
    // A shard needs a folder to write.
    fundsim_in(dir.path())
        .args(sweep)
        .args(["--shard", "0/2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shard needs --out"));
}

#[test]
fn merged_morris_shards_equal_one_analysis_byte_for_byte() {
    let dir = temp_dir();
    let morris = [
        "sensitivity",
        "sensitivity",
        "--method",
        "morris",
        "--trajectories",
        "2",
        "-n",
        "8",
        "--strategy",
        "equal-even",
        "--bootstrap",
        "20",
    ];
    let folders = single_and_merged(dir.path(), &morris, 3);
    let single = dir.path().join("single");
    for file in ["design.csv", "indices.csv", "report.html", "manifest.json"] {
        assert!(single.join(file).is_file(), "{file}");
    }
    fundsim_in(dir.path())
        .args(["merge", &folders[1], &folders[2], "--out", "partial"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shard 0 of 3 is missing"));
}

#[test]
fn merged_sobol_shards_equal_one_analysis_byte_for_byte() {
    let dir = temp_dir();
    let sobol = [
        "sensitivity",
        "sensitivity",
        "--method",
        "sobol",
        "--samples",
        "4",
        "-n",
        "8",
        "--strategy",
        "equal-even",
        "--bootstrap",
        "20",
    ];
    single_and_merged(dir.path(), &sobol, 3);
    assert!(dir.path().join("single/convergence.csv").is_file());
}
