//! Interruptions and disks: `fundsim run` killed at random moments by SIGINT, SIGTERM or
//! SIGKILL never leaves a run folder that looks complete without being complete, and
//! after SIGINT or SIGTERM no staging folder either; Ctrl-C stops a long wave within a
//! second; an unwritable or full output location is reported before the simulation.
#![cfg(unix)]

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

mod common;
use common::temp_dir;

/// How long a stop may take on a loaded CI machine; the promise is one second, the
/// handler's grace period is 0.7 s.
const STOP_LIMIT: Duration = Duration::from_millis(2_500);

/// The tests here time how fast runs stop; run one at a time so they do not slow each
/// other down on CI's two cores.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `fundsim` in `dir`, to be spawned and watched: no input, its stderr kept for
/// [`finish`].
fn watched(dir: &Path) -> Command {
    let mut command = common::process_in(dir);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// The STF scenario with `replications`, written to `dir/name` with the files it names.
fn scenario(dir: &Path, name: &str, replications: u64, projects: u32) -> String {
    let text = common::replaced(
        &common::stf_with_replications(replications),
        "projects = 62 ",
        &format!("projects = {projects} "),
    );
    fs::write(dir.join(name), text).unwrap();
    common::write_stf_companions(dir);
    name.to_string()
}

fn send(child: &Child, signal: &str) {
    // The child may have finished already: then `kill` fails, which is fine.
    Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .stderr(Stdio::null())
        .status()
        .expect("the `kill` command (procps) is needed to send signals");
}

/// Waits for the child (at most a minute) and returns its status and stderr.
fn finish(mut child: Child) -> (ExitStatus, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            let output = child.wait_with_output().unwrap();
            return (
                output.status,
                String::from_utf8_lossy(&output.stderr).into(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("fundsim did not stop within a minute");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn staging_folders(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with(".partial") {
                found.push(path);
            } else if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found
}

/// A run folder that exists must be complete: a manifest, and every file it lists.
fn check_complete_if_present(folder: &Path) -> Result<bool, String> {
    if !folder.exists() {
        return Ok(false);
    }
    let manifest = fs::read_to_string(folder.join("manifest.json"))
        .map_err(|e| format!("{} exists without a manifest: {e}", folder.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest)
        .map_err(|e| format!("{}: unreadable manifest: {e}", folder.display()))?;
    let files = manifest["files"]
        .as_array()
        .ok_or("manifest without files")?;
    for table in [
        "summary.csv",
        "survival.csv",
        "timeseries.csv",
        "projects.csv",
        "allocations.csv",
    ] {
        if !files.iter().any(|f| f == table) {
            return Err(format!("the manifest does not list {table}"));
        }
    }
    for file in files {
        let path = folder.join(file.as_str().ok_or("a file name that is not text")?);
        let size = fs::metadata(&path)
            .map_err(|e| format!("{} listed but missing: {e}", path.display()))?
            .len();
        if size == 0 {
            return Err(format!("{} is empty", path.display()));
        }
    }
    Ok(true)
}

/// A small pseudo-random generator (SplitMix64), seeded from the clock unless
/// `FUNDSIM_KILL_SEED` is set, so every CI run tries other moments and a failure can be
/// replayed.
struct Moments(u64);

impl Moments {
    fn next_fraction(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }
}

#[test]
fn signals_at_random_moments_never_leave_a_folder_that_looks_complete() {
    let _serial = one_at_a_time();
    let dir = temp_dir();
    let file = scenario(dir.path(), "small.toml", 150, 62);
    let seed = std::env::var("FUNDSIM_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let mut moments = Moments(seed);

    // An uninterrupted run sets the time scale: signals fall anywhere in it, from
    // loading the scenario through simulating, writing tables, charts and the rename.
    let started = Instant::now();
    let (status, stderr) = finish(
        watched(dir.path())
            .args(["run", &file, "--out", "whole", "--quiet"])
            .spawn()
            .unwrap(),
    );
    assert!(status.success(), "{stderr}");
    let duration = started.elapsed();
    assert_eq!(
        check_complete_if_present(&dir.path().join("whole")),
        Ok(true)
    );

    let mut log = Vec::new();
    for round in 0..12 {
        let signal = ["INT", "TERM", "KILL"][round % 3];
        let delay = duration.mul_f64(1.1 * moments.next_fraction());
        let out = format!("run-{round}");
        let child = watched(dir.path())
            .args(["run", &file, "--out", &out, "--quiet"])
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        send(&child, signal);
        let sent = Instant::now();
        let (status, stderr) = finish(child);
        let stopped = sent.elapsed();
        let context = format!(
            "round {round}, SIG{signal} after {delay:?} (FUNDSIM_KILL_SEED={seed}): {status:?}, stderr: {stderr}"
        );
        let complete = check_complete_if_present(&dir.path().join(&out))
            .unwrap_or_else(|problem| panic!("{context}\n{problem}"));
        let leftovers = staging_folders(dir.path());
        match signal {
            "KILL" => {
                // Nothing can catch SIGKILL: a hidden staging folder may remain, but never
                // a run folder that looks complete without being complete (checked above).
                assert!(status.success() || status.signal() == Some(9), "{context}");
                for leftover in leftovers {
                    fs::remove_dir_all(leftover).unwrap();
                }
            }
            _ => {
                assert!(leftovers.is_empty(), "{context}\nleft {leftovers:?}");
                if status.success() {
                    // The signal came after the run had finished and said so.
                    assert!(complete, "{context}");
                } else if let Some(killed) = status.signal() {
                    // It came during start-up, before the handler was installed:
                    // nothing had been written.
                    assert!(matches!(killed, 2 | 15) && !complete, "{context}");
                } else {
                    assert_eq!(status.code(), Some(130), "{context}");
                    assert!(stopped < STOP_LIMIT, "{context}\ntook {stopped:?}");
                    if complete {
                        assert!(stderr.contains("kept the complete run folder"), "{context}");
                    } else if stderr.contains("with --resume to continue") {
                        // The blocks done were saved: the checkpoint it names exists.
                        let saved = stderr
                            .split("saved in ")
                            .nth(1)
                            .and_then(|rest| rest.split(':').next())
                            .unwrap_or_else(|| panic!("{context}"));
                        assert!(dir.path().join(saved).is_file(), "{context}");
                    } else {
                        assert!(stderr.contains("nothing was"), "{context}");
                    }
                }
            }
        }
        log.push(format!(
            "SIG{signal} at {delay:?}: {status:?}, complete {complete}"
        ));
    }
    // The moments spread over the run; say what they hit when run with --nocapture.
    println!("seed {seed}, run {duration:?}:\n{}", log.join("\n"));
}

#[test]
fn ctrl_c_stops_a_long_wave_within_a_second_and_keeps_nothing() {
    let _serial = one_at_a_time();
    let dir = temp_dir();
    // Twenty thousand projects and a billion replications: far over the limits, so the
    // run needs --allow-large, and one wave of replications takes minutes.
    let file = scenario(dir.path(), "huge.toml", 1_000_000_000, 20_000);
    let (status, stderr) = finish(
        watched(dir.path())
            .args(["run", &file, "--out", "never"])
            .spawn()
            .unwrap(),
    );
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--allow-large") && stderr.contains("years"),
        "{stderr}"
    );

    for signal in ["INT", "TERM"] {
        let child = watched(dir.path())
            .args(["run", &file, "--out", "never", "--allow-large", "--quiet"])
            .spawn()
            .unwrap();
        // Wait until the simulation runs: the staging folder exists.
        let deadline = Instant::now() + Duration::from_secs(30);
        while staging_folders(dir.path()).is_empty() {
            assert!(Instant::now() < deadline, "the run never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        send(&child, signal);
        let sent = Instant::now();
        let (status, stderr) = finish(child);
        let stopped = sent.elapsed();
        assert_eq!(status.code(), Some(130), "SIG{signal}: {stderr}");
        assert!(
            stopped < STOP_LIMIT,
            "SIG{signal}: stopped after {stopped:?}"
        );
        assert!(stderr.contains("nothing was kept"), "SIG{signal}: {stderr}");
        assert!(!dir.path().join("never").exists());
        assert!(staging_folders(dir.path()).is_empty(), "SIG{signal}");
    }
}

/// Whether this process can write into a folder without write permission (root can).
#[test]
fn ctrl_c_stops_a_sweep_and_a_sensitivity_analysis_and_keeps_nothing() {
    let _serial = one_at_a_time();
    let dir = temp_dir();
    let file = scenario(dir.path(), "small.toml", 400, 62);
    let commands: [&[&str]; 2] = [
        &["sweep", &file, "--param", "fund.budget_eur=1e6:50e6:40"],
        &[
            "sensitivity",
            "sensitivity",
            "--method",
            "morris",
            "-n",
            "400",
        ],
    ];
    for command in commands {
        let child = watched(dir.path())
            .args(command)
            .args(["--out", "never", "--quiet"])
            .spawn()
            .unwrap();
        // Wait until the points are being evaluated: the staging folder exists.
        let deadline = Instant::now() + Duration::from_secs(30);
        while staging_folders(dir.path()).is_empty() {
            assert!(Instant::now() < deadline, "{command:?} never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        send(&child, "INT");
        let sent = Instant::now();
        let (status, stderr) = finish(child);
        let stopped = sent.elapsed();
        assert_eq!(status.code(), Some(130), "{command:?}: {stderr}");
        assert!(
            stopped < STOP_LIMIT,
            "{command:?}: stopped after {stopped:?}"
        );
        assert!(stderr.contains("nothing was kept"), "{command:?}: {stderr}");
        assert!(!dir.path().join("never").exists());
        assert!(staging_folders(dir.path()).is_empty(), "{command:?}");
    }
}

fn permissions_bind() -> bool {
    let dir = temp_dir();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    let mut permissions = fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o555);
    fs::set_permissions(&locked, permissions).unwrap();
    fs::write(locked.join("probe"), "x").is_err()
}

#[test]
fn an_unwritable_output_location_fails_before_the_simulation() {
    let _serial = one_at_a_time();
    let dir = temp_dir();
    // Big enough that simulating it would take minutes, small enough to be allowed.
    let file = scenario(dir.path(), "long.toml", 100_000, 62);
    fs::write(dir.path().join("a-file"), "not a folder").unwrap();
    let mut unwritable = vec![
        // Under a regular file: no folder can be made there, not even by root.
        ("a-file/run".to_string(), "a-file"),
        // The kernel's process table.
        ("/proc/fundsim-cannot-write/run".to_string(), "/proc"),
    ];
    if permissions_bind() {
        let locked = dir.path().join("locked");
        fs::create_dir(&locked).unwrap();
        let mut permissions = fs::metadata(&locked).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o555);
        fs::set_permissions(&locked, permissions).unwrap();
        unwritable.push(("locked/run".to_string(), "locked"));
    } else {
        println!("running as root: read-only permissions do not stop writes, not tested");
    }
    for (out, named) in &unwritable {
        let started = Instant::now();
        let (status, stderr) = finish(
            watched(dir.path())
                .args(["run", &file, "--out", out])
                .spawn()
                .unwrap(),
        );
        assert_eq!(status.code(), Some(1), "{out}: {stderr}");
        assert!(stderr.contains(named), "{out}: {stderr}");
        assert!(stderr.contains("nothing was simulated"), "{out}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{out}: it simulated first"
        );
    }
    // The default destination, outputs/<scenario>/run-NNN, when `outputs` is a file.
    fs::write(dir.path().join("outputs"), "not a folder").unwrap();
    let (status, stderr) = finish(watched(dir.path()).args(["run", &file]).spawn().unwrap());
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("outputs"), "{stderr}");
    assert!(staging_folders(dir.path()).is_empty());
}

/// A full disk: a small tmpfs, when this machine lets the test mount one (root with the
/// right to mount, as on CI). Where it cannot, the test fails under
/// `FUNDSIM_REQUIRE_SYSTEM_TESTS=1` and otherwise says loudly that it did not run.
#[test]
fn a_full_disk_is_found_before_the_simulation_where_possible_and_leaves_nothing() {
    let _serial = one_at_a_time();
    let dir = temp_dir();
    let mount = dir.path().join("small-disk");
    fs::create_dir(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mount)
        .stderr(Stdio::piped())
        .output();
    let refused = match mounted {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "`mount -t tmpfs` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) => Some(format!("cannot start `mount`: {error}")),
    };
    if let Some(reason) = refused {
        return common::system_test_not_run(
            "the full-disk test (tests/interrupt.rs)",
            &format!("it cannot mount its small file system: {reason}"),
            "run the tests as root on a machine that allows mounting a tmpfs, as CI does",
        );
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let run = |replications: &str| {
        finish(
            watched(dir.path())
                .args(["run", "long.toml", "--replications", replications, "--out"])
                .arg(mount.join("run"))
                .spawn()
                .unwrap(),
        )
    };
    scenario(dir.path(), "long.toml", 100_000, 62);

    // Nearly full: the write probe finds it before anything is simulated.
    let filler = mount.join("filler");
    fs::write(&filler, vec![0u8; 1_700_000]).unwrap();
    let started = Instant::now();
    let (status, stderr) = run("100000");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("nothing was simulated"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it simulated first"
    );
    fs::remove_file(&filler).unwrap();
    assert_eq!(
        fs::read_dir(&mount).unwrap().count(),
        0,
        "files left behind"
    );

    // Room for the tables but not for the charts: found only when writing, and still
    // nothing is left behind.
    let (status, stderr) = run("32");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(
        fs::read_dir(&mount).unwrap().count(),
        0,
        "files left behind"
    );
}
