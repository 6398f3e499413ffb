//! Shared by the integration tests: the `fundsim` binary, temporary folders, folder
//! comparison and scenario fixtures, and the rule for system tests that cannot run.
//!
//! Each test file that needs it says `mod common;`; not every file uses every helper.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tempfile::TempDir;

/// The `fundsim` binary cargo built for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_fundsim");

/// `fundsim`, ready for arguments and assertions.
pub fn fundsim() -> assert_cmd::Command {
    assert_cmd::Command::new(BIN)
}

/// `fundsim` run in `dir`, so relative scenario and output paths land there.
pub fn fundsim_in(dir: &Path) -> assert_cmd::Command {
    let mut command = fundsim();
    command.current_dir(dir);
    command
}

/// `fundsim` as a plain process in `dir`, for tests that spawn it and watch it (signals,
/// closed pipes, a kill part-way).
pub fn process_in(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(BIN);
    command.current_dir(dir);
    command
}

/// The finished checkpoint of a run in `dir` (not the temporary file it is renamed from).
pub fn checkpoint_in(dir: &Path) -> Option<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".fundsim-checkpoint-") && name.ends_with(".bin")
        })
        .map(|e| e.path())
}

/// Kills `child` (SIGKILL: no clean-up) as soon as it has written a checkpoint in `dir`,
/// well before the end; fails if none appears within a minute or the run ends first.
pub fn kill_after_first_checkpoint(dir: &Path, child: &mut std::process::Child) {
    let started = std::time::Instant::now();
    while checkpoint_in(dir).is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no checkpoint written"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended too soon"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

// ----------------------------------------------------------------- temporary folders

/// A fresh temporary folder, removed when dropped.
pub fn temp_dir() -> TempDir {
    TempDir::new().unwrap()
}

/// A fresh temporary folder under cargo's per-target temporary directory (kept on the
/// same disk as the build, and named, so a failed test's files are easy to find);
/// removed when dropped.
pub fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

// ----------------------------------------------------------------- folder comparison

/// Every file under `root`, by path relative to it, with its bytes.
pub fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                found.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    found
}

/// Every file and folder under `root`, relative to it (empty when `root` is empty).
pub fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path.clone());
            }
            found.insert(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
    found
}

/// Asserts that `actual` holds the same files as `expected`, with the same bytes; a
/// difference is shown with the text around its first differing byte. Returns how many
/// files were compared.
pub fn assert_same_folder(expected: &Path, actual: &Path) -> usize {
    let (expected, actual) = (files(expected), files(actual));
    let names = |files: &BTreeMap<PathBuf, Vec<u8>>| files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&expected), names(&actual), "the same files");
    for (path, bytes) in &expected {
        let other = &actual[path];
        if other != bytes {
            let at = bytes
                .iter()
                .zip(other)
                .position(|(a, b)| a != b)
                .unwrap_or(bytes.len().min(other.len()));
            let around = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{} differs at byte {at} ({} vs {} bytes)\nexpected: …{}…\nactual:   …{}…",
                path.display(),
                bytes.len(),
                other.len(),
                around(bytes),
                around(other)
            );
        }
    }
    expected.len()
}

// ----------------------------------------------------------------- scenario fixtures

/// The text of the built-in STF scenario, which lists every field with its default.
pub fn stf_text() -> &'static str {
    fundsim::scenario::builtin("stf").expect("the stf scenario is built in")
}

/// The STF scenario without its `[uncertainty]` table (the scenario `--no-uncertainty`
/// runs), cut at the blank line before the table's comment, so that a test can append a
/// table of its own and its line numbers stay those of the fixed-parameter file.
pub fn stf_without_uncertainty() -> String {
    let text = stf_text();
    let table = text
        .find("\n[uncertainty]")
        .expect("the stf scenario has an [uncertainty] table");
    let cut = text[..table]
        .rfind("\n\n")
        .expect("a blank line precedes the table's comment");
    text[..=cut].to_string()
}

/// `text` with `from` replaced by `to`; panics when `text` has no `from`, so a fixture
/// cannot silently stop changing what it claims to change when the scenario is edited.
pub fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the fixture expects {from:?} in the scenario text"
    );
    text.replace(from, to)
}

/// The STF scenario with `run.replications` set to `replications`.
pub fn stf_with_replications(replications: u64) -> String {
    replaced(
        stf_text(),
        "replications = 4000",
        &format!("replications = {replications}"),
    )
}

/// Writes the files the STF scenario names beside it (its `[uncertainty]` table's
/// joint-draws CSV, which a scenario file reads from its own folder) into `dir`.
pub fn write_stf_companions(dir: &Path) {
    for (name, text) in fundsim::scenario::BUILTIN_FILES {
        fs::write(dir.join(name), text).unwrap();
    }
}

/// The STF scenario with `replications`, written to `dir/name` with the files it names;
/// returns `name`, the path relative to `dir` (a file, so a merge re-reads it from the
/// job's folder).
pub fn write_stf(dir: &Path, name: &str, replications: u64) -> String {
    fs::write(dir.join(name), stf_with_replications(replications)).unwrap();
    write_stf_companions(dir);
    name.to_string()
}

/// Replications of [`stf_run`]: enough for smooth chart curves, quick in a debug build.
pub const STF_RUN_REPLICATIONS: &str = "48";

/// The STF scenario run once per test binary (48 replications) by `fundsim run`, with
/// tables, charts and brief.
pub fn stf_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        // One fixed folder per test binary, replaced on every test run (a static
        // temporary folder would never be dropped, so never removed).
        let folder = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{}-stf-run", env!("CARGO_CRATE_NAME")));
        let _ = fs::remove_dir_all(&folder);
        fundsim()
            .args(["run", "stf", "-q", "--replications", STF_RUN_REPLICATIONS])
            .arg("--out")
            .arg(&folder)
            .assert()
            .success();
        folder
    })
}

// ----------------------------------------------------------------- system tests

/// Whether tests that need system software (a browser, Slurm, a mountable small file
/// system) must run: `.ci/run` sets `FUNDSIM_REQUIRE_SYSTEM_TESTS=1` where it installs it.
pub fn system_tests_required() -> bool {
    std::env::var("FUNDSIM_REQUIRE_SYSTEM_TESTS").as_deref() == Ok("1")
}

/// A system test cannot run here (`reason`): under `FUNDSIM_REQUIRE_SYSTEM_TESTS=1` that is
/// a failure; otherwise the test says loudly that it did not run, and how to run it
/// (`remedy`), and the caller returns.
pub fn system_test_not_run(test: &str, reason: &str, remedy: &str) {
    if system_tests_required() {
        panic!("{test} did not run: {reason}; FUNDSIM_REQUIRE_SYSTEM_TESTS=1 requires it to run");
    }
    // Written to the stderr stream itself, not through eprintln!, which the test harness
    // captures: the skip must show in every test log, with or without --nocapture.
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED (NOT RUN): {test}: {reason}\n\
         \x20                  ({remedy}; FUNDSIM_REQUIRE_SYSTEM_TESTS=1 makes this a failure)\n"
    );
}

/// The Chromium of [`chromium`] for `test`, or `None` once [`system_test_not_run`] has
/// said (or, where system tests are required, failed) that `test` did not run.
pub fn chromium_for(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        system_test_not_run(
            test,
            "chromium is not installed",
            "apt-get install chromium, or set FUNDSIM_CHROMIUM to the browser",
        );
    }
    found
}

/// The Chromium to run browser tests with: `FUNDSIM_CHROMIUM` if set (a wrong path counts
/// as no browser), else Debian's `/usr/bin/chromium` or one on the `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FUNDSIM_CHROMIUM") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
    if let Some(found) = candidates.iter().map(Path::new).find(|p| p.is_file()) {
        return Some(found.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| [dir.join("chromium"), dir.join("chromium-browser")])
            .find(|p| p.is_file())
    })
}
