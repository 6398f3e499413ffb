//! Beyond one process: shards computed by separate processes and merged give, byte for
//! byte, the folder of one run; missing, duplicated, foreign and damaged shards are
//! refused by name; a run killed part-way resumes from its checkpoint and ends with the
//! files of an uninterrupted run.

use std::fs;
use std::path::Path;
use std::process::Stdio;

use predicates::prelude::*;

mod common;
use common::{
    assert_same_folder, checkpoint_in, fundsim_in, kill_after_first_checkpoint, process_in,
    temp_dir,
};

/// A small scenario file (a file, so the merge re-reads it from the job's folder).
fn scenario(dir: &Path) -> &'static str {
    common::write_stf(dir, "small.toml", 120);
    "small.toml"
}

fn shards(dir: &Path, scenario: &str, count: u64, extra: &[&str]) -> Vec<String> {
    (0..count)
        .map(|k| {
            let out = format!("shard-{k}-of-{count}");
            // Alternate thread counts: shards need not agree on them.
            let threads = if k % 2 == 0 { "1" } else { "2" };
            fundsim_in(dir)
                .args(["run", scenario, "--shard", &format!("{k}/{count}")])
                .args(["--out", &out, "--threads", threads, "-q"])
                .args(extra)
                .assert()
                .success();
            out
        })
        .collect()
}

#[test]
fn merged_shards_equal_one_run_byte_for_byte() {
    let dir = temp_dir();
    let small = scenario(dir.path());
    fundsim_in(dir.path())
        .args(["run", small, "--out", "single", "-q"])
        .assert()
        .success();
    for count in [1, 2, 3, 4] {
        let mut folders = shards(dir.path(), small, count, &[]);
        folders.reverse(); // any order
        let merged = format!("merged-{count}");
        fundsim_in(dir.path())
            .arg("merge")
            .args(&folders)
            .args(["--out", &merged, "-q"])
            .assert()
            .success();
        assert_same_folder(&dir.path().join("single"), &dir.path().join(&merged));
    }
    // More shards than blocks (120 replications are 8 blocks): empty shards are fine.
    let folders = shards(dir.path(), small, 10, &["--no-charts"]);
    fundsim_in(dir.path())
        .arg("merge")
        .args(&folders)
        .args(["--out", "merged-10", "-q", "--no-charts"])
        .assert()
        .success();
    let single = dir.path().join("single");
    for table in ["summary.csv", "survival.csv", "projects.csv"] {
        assert_eq!(
            fs::read(single.join(table)).unwrap(),
            fs::read(dir.path().join("merged-10").join(table)).unwrap(),
            "{table}"
        );
    }
}

#[test]
fn compare_shards_merge_into_the_same_comparison() {
    let dir = temp_dir();
    let small = scenario(dir.path());
    let args = [
        "compare",
        small,
        "--by",
        "weighted_survival_at_horizon",
        "--format",
        "csv",
    ];
    let single = fundsim_in(dir.path()).args(args).output().unwrap();
    assert!(single.status.success());
    for k in 0..3 {
        fundsim_in(dir.path())
            .args(args)
            .args([
                "--shard",
                &format!("{k}/3"),
                "--out",
                &format!("c{k}"),
                "-q",
            ])
            .assert()
            .success();
    }
    let merged = fundsim_in(dir.path())
        .args(["merge", "c2", "c0", "c1"])
        .output()
        .unwrap();
    assert!(merged.status.success(), "{merged:?}");
    assert_eq!(
        String::from_utf8_lossy(&single.stdout),
        String::from_utf8_lossy(&merged.stdout)
    );
}

#[test]
fn incomplete_foreign_and_damaged_shards_are_refused_by_name() {
    let dir = temp_dir();
    let small = scenario(dir.path());
    let folders = shards(dir.path(), small, 3, &["--no-charts"]);
    fundsim_in(dir.path())
        .args([
            "run",
            small,
            "--seed",
            "9",
            "--shard",
            "1/3",
            "--out",
            "other-seed",
            "-q",
        ])
        .assert()
        .success();
    let refused = |args: &[&str], message: &str| {
        fundsim_in(dir.path())
            .arg("merge")
            .args(args)
            .args(["--out", "merged"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
        assert!(!dir.path().join("merged").exists(), "nothing written");
    };
    let [a, b, c] = [&folders[0], &folders[1], &folders[2]].map(String::as_str);
    refused(&[a, c], "shard 1 of 3 is missing");
    refused(&[a, b, b, c], "shard 1 of 3 is given twice");
    refused(
        &[a, "other-seed", c, b],
        "other-seed belongs to another job",
    );
    refused(&[a, "other-seed", c, b], "seed 9 where the others have");
    refused(
        &[a, b, c, "small.toml"],
        "small.toml is not a fundsim shard folder",
    );
    // One flipped byte in a state file.
    let state = dir.path().join(b).join("state.bin");
    let mut bytes = fs::read(&state).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    fs::write(&state, bytes).unwrap();
    refused(&[a, b, c], &format!("{b} is damaged"));
}

#[test]
fn a_changed_scenario_file_is_refused_at_merge() {
    let dir = temp_dir();
    let small = scenario(dir.path());
    let folders = shards(dir.path(), small, 2, &["--no-charts"]);
    let text = fs::read_to_string(dir.path().join(small)).unwrap();
    fs::write(
        dir.path().join(small),
        text.replace("budget_eur = 24_600_000.0", "budget_eur = 20_000_000.0"),
    )
    .unwrap();
    assert_ne!(fs::read_to_string(dir.path().join(small)).unwrap(), text);
    fundsim_in(dir.path())
        .arg("merge")
        .args(&folders)
        .args(["--out", "merged"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "small.toml has changed since the shards",
        ));
}

#[test]
fn a_killed_run_resumes_from_its_checkpoint_to_the_same_files() {
    let dir = temp_dir();
    let small = scenario(dir.path());
    let args = [
        "run",
        small,
        "-n",
        "1200",
        "--no-charts",
        "-q",
        "--threads",
        "1",
    ];
    fundsim_in(dir.path())
        .args(args)
        .args(["--out", "single"])
        .assert()
        .success();
    // Save after every wave, and kill the run (SIGKILL: no clean-up) once a checkpoint
    // exists, well before the end.
    let mut child = process_in(dir.path())
        .args(args)
        .args(["--out", "resumed", "--checkpoint-every", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kill_after_first_checkpoint(dir.path(), &mut child);
    assert!(
        !dir.path().join("resumed").exists(),
        "killed before the end"
    );
    fundsim_in(dir.path())
        .args(["run", small, "-n", "1200", "--no-charts", "--threads", "2"])
        .args(["--out", "resumed", "--resume"])
        .assert()
        .success()
        .stderr(predicate::str::contains("resuming from"));
    assert_same_folder(&dir.path().join("single"), &dir.path().join("resumed"));
    assert!(
        checkpoint_in(dir.path()).is_none(),
        "the checkpoint is removed at the end"
    );
}

#[test]
fn resume_without_a_checkpoint_starts_over_and_says_so_unless_quiet() {
    let dir = temp_dir();
    let small = scenario(dir.path());
    fundsim_in(dir.path())
        .args(["run", small, "--no-charts", "--out", "a", "--resume"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no checkpoint of this run was found",
        ));
    // A first attempt of a task that always passes --resume (fundsim slurm's scripts)
    // has nothing to resume: with --quiet, nothing is said.
    fundsim_in(dir.path())
        .args(["run", small, "--no-charts", "--out", "b", "--resume", "-q"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    assert_same_folder(&dir.path().join("a"), &dir.path().join("b"));
}
