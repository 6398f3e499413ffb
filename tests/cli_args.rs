//! The shared options of the simulating commands as a user meets them: `--set PATH=VALUE`
//! changes the scenario (and the manifest that reproduces it) on every simulating
//! command, or is refused as bad input with nothing written; `target` refuses goals its
//! outcome can never reach and runs above the size limits; a stopped attempt's leftovers
//! are cleared by the next attempt of the same job, and an interrupted run either names
//! its checkpoint or leaves none.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

mod common;
use common::assert_same_folder;

fn fundsim(dir: &Path) -> Command {
    common::fundsim_in(dir)
}

/// The STF scenario with `replications`, and `replace` applied, written to `dir/name`.
fn scenario(dir: &Path, name: &str, replications: u64, replace: (&str, &str)) -> String {
    let text = fundsim::scenario::builtin("stf")
        .unwrap()
        .replace(
            "replications = 4000",
            &format!("replications = {replications}"),
        )
        .replace(replace.0, replace.1);
    fs::write(dir.join(name), text).unwrap();
    common::write_stf_companions(dir);
    name.to_string()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn manifest(folder: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(folder.join("manifest.json")).unwrap()).unwrap()
}

const BUDGET: &str = "budget_eur = 24_600_000.0";

#[test]
fn set_gives_the_folder_of_the_edited_file() {
    let dir = TempDir::new().unwrap();
    let small = scenario(dir.path(), "small.toml", 48, ("", ""));
    let edited = scenario(dir.path(), "edited.toml", 48, (BUDGET, "budget_eur = 5e6"));
    assert_ne!(
        fs::read_to_string(dir.path().join(&small)).unwrap(),
        fs::read_to_string(dir.path().join(&edited)).unwrap(),
        "the budget line is in the scenario"
    );
    for (file, out, set) in [
        (&small, "plain", None),
        (&small, "set", Some("fund.budget_eur=5e6")),
        (&edited, "edited", None),
    ] {
        let mut command = fundsim(dir.path());
        command.args(["run", file, "--out", out, "-q", "--no-charts"]);
        if let Some(set) = set {
            command.args(["--set", set]);
        }
        command.assert().success();
    }
    let (plain, set, edited) = (
        manifest(&dir.path().join("plain")),
        manifest(&dir.path().join("set")),
        manifest(&dir.path().join("edited")),
    );
    assert_eq!(set["scenario"]["fund"]["budget_eur"], 5e6);
    assert_eq!(set["scenario"], edited["scenario"]);
    assert_eq!(set["scenario_hash"], edited["scenario_hash"]);
    assert_ne!(set["scenario_hash"], plain["scenario_hash"]);
    let table = |run: &str| fs::read(dir.path().join(run).join("summary.csv")).unwrap();
    assert_eq!(table("set"), table("edited"));
    assert_ne!(table("set"), table("plain"));
}

#[test]
fn set_works_on_every_simulating_command_and_is_recorded() {
    let dir = TempDir::new().unwrap();
    let small = scenario(dir.path(), "small.toml", 16, ("", ""));
    // A field the scenario's [uncertainty] table does not draw (one it draws is refused
    // by run and compare, below).
    let set = ["--set", "model.newcomer_rate=0.03"];
    fundsim(dir.path())
        .args(["sweep", &small, "--param", "fund.budget_eur=5e6:20e6:2"])
        .args(["--out", "sweep", "-q", "--no-charts"])
        .args(set)
        .assert()
        .success();
    fundsim(dir.path())
        .args(["sweep", &small, "--param", "fund.budget_eur=5e6:20e6:2"])
        .args(["--out", "plain", "-q", "--no-charts"])
        .assert()
        .success();
    let recorded = manifest(&dir.path().join("sweep"));
    assert_eq!(
        recorded["scenario_overrides"],
        serde_json::json!(["model.newcomer_rate=0.03"])
    );
    assert!(
        manifest(&dir.path().join("plain"))
            .get("scenario_overrides")
            .is_none()
    );
    assert_ne!(
        fs::read(dir.path().join("sweep/sweep.csv")).unwrap(),
        fs::read(dir.path().join("plain/sweep.csv")).unwrap()
    );
    let compare = |extra: &[&str]| {
        let output = fundsim(dir.path())
            .args(["compare", &small, "--format", "csv"])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        output.stdout
    };
    assert_ne!(compare(&set), compare(&[]));
    fundsim(dir.path())
        .args(["target", &small, "--param", "fund.budget_eur", "--metric"])
        .args([
            "survival_at_horizon",
            "--goal",
            "0.85",
            "--range",
            "1e6:30e6",
        ])
        .args(["--format", "json"])
        .args(set)
        .assert()
        .success();
    fundsim(dir.path())
        .args([
            "sensitivity",
            "sensitivity",
            "--trajectories",
            "2",
            "-n",
            "2",
        ])
        .args(["--bootstrap", "10", "--out", "sens", "-q", "--no-charts"])
        .args(["--set", "fund.budget_eur=5e6"])
        .assert()
        .success();
    assert_eq!(
        manifest(&dir.path().join("sens"))["scenario_overrides"],
        serde_json::json!(["fund.budget_eur=5000000"])
    );
}

/// `--set` on a field the `[uncertainty]` table draws (here from the calibration
/// posterior) would be overwritten in every parameter set: `run` and `compare` refuse it,
/// naming the field and what draws it, and write nothing; with `--no-uncertainty` the
/// value set is run.
#[test]
fn a_set_on_a_field_the_uncertainty_table_draws_is_refused() {
    let dir = TempDir::new().unwrap();
    let small = scenario(dir.path(), "small.toml", 16, ("", ""));
    let before = entries(dir.path());
    for (set, drawn_by) in [
        (
            "model.attrition_hazard=0.03",
            "the joint draws of posterior-baseline.csv",
        ),
        ("model.hire_rate=0.1", "uncertainty.parameters[3]"),
    ] {
        for command in ["run", "compare"] {
            let output = fundsim(dir.path())
                .args([command, &small, "--set", set])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(2), "{command} --set {set}");
            let message = String::from_utf8_lossy(&output.stderr);
            let path = set.split('=').next().unwrap();
            for words in [path, drawn_by, "--no-uncertainty"] {
                assert!(message.contains(words), "{command}: {message}");
            }
        }
    }
    assert_eq!(entries(dir.path()), before, "nothing written");
    let compare = |extra: &[&str]| {
        let output = fundsim(dir.path())
            .args(["compare", &small, "--format", "csv", "--no-uncertainty"])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        output.stdout
    };
    assert_ne!(
        compare(&["--set", "model.attrition_hazard=0.03"]),
        compare(&[])
    );
}

#[test]
fn a_bad_set_is_bad_input_naming_the_key_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let small = scenario(dir.path(), "small.toml", 16, ("", ""));
    let before = entries(dir.path());
    let commands: [&[&str]; 6] = [
        &["run", &small, "--out", "x"],
        &["compare", &small],
        &[
            "sweep",
            &small,
            "--param",
            "fund.budget_eur=5e6:20e6:2",
            "--out",
            "x",
        ],
        &["sensitivity", "sensitivity", "--out", "x"],
        &[
            "target",
            &small,
            "--param",
            "fund.budget_eur",
            "--metric",
            "survival_at_horizon",
            "--goal",
            "0.5",
        ],
        &[
            "calibrate",
            &small,
            "--observed",
            "missing.csv",
            "--param",
            "model.attrition_hazard=0.005:0.06",
            "--out",
            "x",
        ],
    ];
    for command in commands {
        for (set, says) in [
            ("fund.budget_eur=-5", "fund.budget_eur"),
            ("fund.budget_eur=lots", "expected a finite number"),
            ("fund.budgt_eur=5", "budgt_eur"),
            ("strategies[40].power=1", "strategies[40].power"),
            ("no-equals-sign", "PATH=VALUE"),
        ] {
            fundsim(dir.path())
                .args(command)
                .args(["--set", set])
                .assert()
                .code(2)
                .stderr(predicate::str::contains(says));
        }
    }
    assert_eq!(entries(dir.path()), before, "nothing is written");
    // Slurm checks it before writing any script.
    fundsim(dir.path())
        .args(["slurm", &small, "--shards", "2", "--work-dir", "w"])
        .args(["--set", "fund.budget_eur=-5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("fund.budget_eur"));
    assert_eq!(entries(dir.path()), before, "nothing is written");
}

#[test]
fn set_reaches_every_shard_and_the_merge() {
    let dir = TempDir::new().unwrap();
    let small = scenario(dir.path(), "small.toml", 64, ("", ""));
    let set = ["--set", "fund.budget_eur=8e6"];
    fundsim(dir.path())
        .args(["run", &small, "--out", "single", "-q"])
        .args(set)
        .assert()
        .success();
    for k in 0..2 {
        fundsim(dir.path())
            .args(["run", &small, "--shard", &format!("{k}/2")])
            .args(["--out", &format!("shard-{k}"), "-q"])
            .args(set)
            .assert()
            .success();
    }
    fundsim(dir.path())
        .args(["merge", "shard-0", "shard-1", "--out", "merged", "-q"])
        .assert()
        .success();
    assert_same_folder(&dir.path().join("single"), &dir.path().join("merged"));
    // Slurm writes it into every shard's command line.
    fundsim(dir.path())
        .args([
            "slurm",
            &small,
            "--shards",
            "2",
            "--work-dir",
            "w",
            "--fundsim",
            "fundsim",
        ])
        .args(set)
        .args(["--", "-n", "64"])
        .assert()
        .success();
    let script = fs::read_to_string(dir.path().join("w/shards.sbatch")).unwrap();
    assert!(script.contains("--set fund.budget_eur=8000000"), "{script}");
}

#[test]
fn target_refuses_goals_its_outcome_cannot_reach_and_runs_above_the_limits() {
    let dir = TempDir::new().unwrap();
    let small = scenario(dir.path(), "small.toml", 16, ("", ""));
    let target = |metric: &str, goal: &str| {
        let mut command = fundsim(dir.path());
        command
            .args(["target", &small, "--param", "fund.budget_eur"])
            .args(["--metric", metric, "--goal", goal]);
        command
    };
    target("survival_at_horizon", "85")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("share").and(predicate::str::contains("0.85")));
    target("weighted_survival_year_5", "-0.1")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from 0 to 1"));
    target("total_paid_eur", "-1")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never negative"));
    target("survival_at_horizon", "nan").assert().code(2);
    let huge = scenario(dir.path(), "huge.toml", 1_000_000_000, ("", ""));
    fundsim(dir.path())
        .args(["target", &huge, "--param", "fund.budget_eur"])
        .args(["--metric", "survival_at_horizon", "--goal", "0.8"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--allow-large").and(predicate::str::contains("evaluations")),
        );
    fundsim(dir.path())
        .args([
            "sweep",
            &huge,
            "--param",
            "fund.budget_eur=5e6:20e6:2",
            "--out",
            "x",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--allow-large").and(predicate::str::contains("sweep points")),
        );
    assert!(!dir.path().join("x").exists());
}

#[cfg(unix)]
mod stopped {
    use super::*;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    fn staging_folders(dir: &Path) -> Vec<String> {
        entries(dir)
            .into_iter()
            .filter(|name| name.starts_with(".partial-"))
            .collect()
    }

    /// Starts `fundsim run FILE --out OUT` and kills it (SIGKILL, no clean-up) once its
    /// staging folder exists; returns the folder it left.
    fn killed_while_running(dir: &Path, file: &str, out: &str) -> String {
        let before = staging_folders(dir);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fundsim"))
            .current_dir(dir)
            .args([
                "run",
                file,
                "--out",
                out,
                "-q",
                "--threads",
                "1",
                "--allow-large",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let left = loop {
            let now: Vec<String> = staging_folders(dir)
                .into_iter()
                .filter(|name| !before.contains(name))
                .collect();
            if let [one] = &now[..] {
                break one.clone();
            }
            assert!(Instant::now() < deadline, "the run never staged its folder");
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended too soon"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        // The mark is written right after the folder: let it land.
        std::thread::sleep(Duration::from_millis(200));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(dir.join(&left).is_dir());
        left
    }

    #[test]
    fn the_next_attempt_of_the_same_job_clears_what_a_killed_one_left() {
        let dir = TempDir::new().unwrap();
        // The scenario file is not part of the job's arguments: shrinking it after the
        // kill keeps the job the same and the second attempt short.
        let file = scenario(dir.path(), "job.toml", 1_000_000, ("", ""));
        let same = killed_while_running(dir.path(), &file, "out");
        let other = killed_while_running(dir.path(), &file, "elsewhere");
        scenario(dir.path(), "job.toml", 32, ("", ""));
        fundsim(dir.path())
            .args(["run", &file, "--out", "out", "--no-charts"])
            .assert()
            .success()
            .stderr(predicate::str::contains("removed the unfinished folder"));
        let left = staging_folders(dir.path());
        assert!(!left.contains(&same), "{left:?}");
        assert_eq!(
            left,
            std::slice::from_ref(&other),
            "another job's folder is kept"
        );
        // A resumed attempt clears too, quietly.
        fundsim(dir.path())
            .args([
                "run",
                &file,
                "--out",
                "elsewhere",
                "--resume",
                "-q",
                "--no-charts",
            ])
            .assert()
            .success()
            .stderr(predicate::str::is_empty());
        assert!(staging_folders(dir.path()).is_empty());
        // A finished folder holds no mark.
        assert!(!dir.path().join("out/.fundsim-job").exists());
    }

    #[test]
    fn an_interrupted_run_names_its_checkpoint_or_leaves_none() {
        let dir = TempDir::new().unwrap();
        let file = scenario(dir.path(), "long.toml", 1_000_000, ("", ""));
        let checkpoints = || -> Vec<String> {
            entries(dir.path())
                .into_iter()
                .filter(|name| name.starts_with(".fundsim-checkpoint-"))
                .collect()
        };
        for every in ["0", "100000"] {
            let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fundsim"))
                .current_dir(dir.path())
                .args(["run", &file, "--out", "out", "-q", "--threads", "1"])
                .args(["--allow-large", "--checkpoint-every", every])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(1500));
            std::process::Command::new("kill")
                .args(["-s", "INT", &child.id().to_string()])
                .status()
                .unwrap();
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(130), "{stderr}");
            let left = checkpoints();
            if stderr.contains("--resume") {
                assert_eq!(left.len(), 1, "{stderr}");
                assert!(stderr.contains(&left[0]), "{stderr}");
            } else {
                assert!(stderr.contains("nothing was kept"), "{stderr}");
                assert!(left.is_empty(), "{stderr}: {left:?}");
            }
            if every == "0" {
                // Saving after every wave: the completed replications are kept.
                assert_eq!(left.len(), 1, "{stderr}");
                for name in left {
                    fs::remove_file(dir.path().join(name)).unwrap();
                }
            }
        }
    }

    #[test]
    fn target_stops_on_ctrl_c_and_writes_nothing() {
        let dir = TempDir::new().unwrap();
        let file = scenario(dir.path(), "long.toml", 1_000_000, ("", ""));
        let before = entries(dir.path());
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fundsim"))
            .current_dir(dir.path())
            .args([
                "target",
                &file,
                "--param",
                "fund.budget_eur",
                "--allow-large",
            ])
            .args(["--metric", "survival_at_horizon", "--goal", "0.8"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let sent = Instant::now();
        std::process::Command::new("kill")
            .args(["-s", "INT", &child.id().to_string()])
            .status()
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(130), "{stderr}");
        assert!(sent.elapsed() < Duration::from_millis(2_500), "{stderr}");
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert_eq!(entries(dir.path()), before);
    }
}
