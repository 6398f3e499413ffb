//! The bad-input corpus (`tests/bad_inputs/`, listed in `cases.toml`): every malformed or
//! out-of-range scenario and portfolio CSV ends in exit code 2 and a message that names
//! the file, the field or line, the value and what is allowed, with nothing written.
//! The valid look-alikes (byte-order marks, Windows line endings) must run.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde::Deserialize;

mod common;
use common::{temp_dir, tree};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    case: Vec<Case>,
    accept: Vec<Accepted>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    #[serde(default)]
    args: Vec<String>,
    /// The file the message must name, when it is not the case file (a CSV).
    names: Option<String>,
    expect: Vec<String>,
    #[serde(default = "usage_exit")]
    exit: i32,
}

fn usage_exit() -> i32 {
    2
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Accepted {
    file: String,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

fn manifest() -> Manifest {
    let text = fs::read_to_string(corpus().join("cases.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// `fundsim run <corpus>/<file> --out out --no-charts --quiet <args>` in `dir`.
fn run(dir: &Path, file: &str, args: &[String]) -> Output {
    common::process_in(dir)
        .arg("run")
        .arg(corpus().join(file))
        .args(["--out", "out", "--no-charts", "--quiet"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_bad_input_is_refused_with_a_message_that_says_what_is_wrong() {
    let manifest = manifest();
    assert!(
        manifest.case.len() >= 40,
        "the corpus has {} cases",
        manifest.case.len()
    );
    let before = tree(&corpus());
    let mut failures = Vec::new();
    for case in &manifest.case {
        let dir = temp_dir();
        let output = run(dir.path(), &case.file, &case.args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut problems = Vec::new();
        if output.status.code() != Some(case.exit) {
            problems.push(format!(
                "exit code {:?}, expected {}",
                output.status.code(),
                case.exit
            ));
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            problems.push("a panic".to_string());
        }
        let names = case.names.as_deref().unwrap_or(&case.file);
        for word in std::iter::once(names).chain(case.expect.iter().map(String::as_str)) {
            if !stderr.contains(word) {
                problems.push(format!("no {word:?} in the message"));
            }
        }
        let left: Vec<_> = tree(dir.path()).into_iter().collect();
        if !left.is_empty() {
            problems.push(format!("it left {left:?} behind"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                case.file,
                problems.join("; "),
                stderr.trim().replace('\n', "\n            ")
            ));
        }
    }
    assert_eq!(tree(&corpus()), before, "the corpus folder was written to");
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not handled as expected:\n{}",
        failures.len(),
        manifest.case.len(),
        failures.join("\n")
    );
}

#[test]
fn valid_inputs_with_a_byte_order_mark_or_windows_line_endings_run() {
    for accepted in manifest().accept {
        let dir = temp_dir();
        let output = run(dir.path(), &accepted.file, &[]);
        assert!(
            output.status.success(),
            "{}: {}",
            accepted.file,
            String::from_utf8_lossy(&output.stderr)
        );
        let folder = dir.path().join("out");
        for table in ["manifest.json", "summary.csv", "projects.csv"] {
            assert!(
                folder.join(table).is_file(),
                "{}: no {table}",
                accepted.file
            );
        }
    }
}

/// The messages themselves, word for word, as recorded in
/// `tests/snapshots/bad_inputs__bad_input_messages.snap`: any change to what a user reads
/// about a bad input shows in review (see tests/golden.rs for how to accept one).
#[test]
fn the_bad_input_messages_are_as_recorded() {
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    let mut messages = String::new();
    for case in manifest().case {
        let dir = temp_dir();
        // The size limits' estimate names the thread count: fix it.
        let mut args = case.args.clone();
        args.extend(["--threads".to_string(), "2".to_string()]);
        let output = run(dir.path(), &case.file, &args);
        let stderr = String::from_utf8_lossy(&output.stderr)
            .replace(&root, "")
            .replace(&dir.path().display().to_string(), "<tmp>");
        let exit = output
            .status
            .code()
            .map_or("by a signal".to_string(), |code| code.to_string());
        messages.push_str(&format!(
            "## {} (exit {exit})\n{}\n",
            case.file,
            stderr.trim_end()
        ));
    }
    insta::assert_snapshot!("bad_input_messages", messages);
}

/// Every scenario of the corpus is in the manifest, so none is silently skipped.
#[test]
fn the_manifest_lists_every_file_of_the_corpus() {
    let manifest = manifest();
    let listed: BTreeSet<&str> = manifest
        .case
        .iter()
        .map(|case| case.file.as_str())
        .chain(manifest.accept.iter().map(|a| a.file.as_str()))
        .collect();
    for entry in fs::read_dir(corpus()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".toml") && name != "cases.toml" {
            assert!(
                listed.contains(name.as_str()),
                "{name} is not in cases.toml"
            );
        }
    }
    for file in &listed {
        assert!(
            corpus().join(file).is_file(),
            "cases.toml lists a missing {file}"
        );
    }
    let csvs = fs::read_dir(corpus().join("csv")).unwrap();
    let wrappers: String = listed
        .iter()
        .map(|file| {
            fs::read(corpus().join(file))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        })
        .collect();
    for entry in csvs {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            wrappers.contains(&format!("csv/{name}")),
            "no case reads csv/{name}"
        );
    }
}
