//! The `matching` rule end to end: a scenario names it, `validate` describes it, a run
//! matches what each project raises elsewhere (the portfolio CSV's `baseline_funding`),
//! and a bad parameter is rejected under its full key.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fundsim(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("fundsim").unwrap();
    command.current_dir(dir);
    command
}

/// Mean grant of `strategy` to `project` at call 0, from `allocations.csv`.
fn first_call_grant(allocations: &str, strategy: &str, project: &str) -> f64 {
    allocations
        .lines()
        .map(|line| line.split(',').collect::<Vec<_>>())
        .find(|row| row[0] == strategy && row[1] == "0" && row[3] == project)
        .unwrap_or_else(|| panic!("no row for {strategy}, {project}"))[4]
        .parse()
        .unwrap()
}

#[test]
fn validate_describes_the_match() {
    let dir = TempDir::new().unwrap();
    fundsim(dir.path())
        .args(["validate", &format!("{FIXTURES}/matching.toml")])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "matching: EUR 2 per EUR raised elsewhere, at most EUR 100000 per project per call",
        ));
}

/// At the first call every project is active, so the grants are the matches: a year of
/// outside money (calls every 12 months) times the ratio, capped at EUR 100,000.
#[test]
fn a_run_matches_what_each_project_raises_elsewhere() {
    let dir = TempDir::new().unwrap();
    fundsim(dir.path())
        .args(["run", &format!("{FIXTURES}/matching.toml")])
        .args(["--out", "run", "--no-charts", "-q"])
        .assert()
        .success();
    let allocations = fs::read_to_string(dir.path().join("run/allocations.csv")).unwrap();
    let expected = [
        ("match", "no-sponsors", 0.0),
        ("match", "small-sponsors", 24_000.0),
        ("match", "employer-backed", 60_000.0),
        ("match", "foundation-backed", 100_000.0),
        ("double-match", "no-sponsors", 0.0),
        ("double-match", "small-sponsors", 48_000.0),
        ("double-match", "employer-backed", 100_000.0),
    ];
    for (strategy, project, amount) in expected {
        let grant = first_call_grant(&allocations, strategy, project);
        assert!(
            (grant - amount).abs() < 1e-6,
            "{strategy} to {project}: {grant}, not {amount}"
        );
    }
}

#[test]
fn a_bad_parameter_is_named_by_its_full_key() {
    let dir = TempDir::new().unwrap();
    let text = fs::read_to_string(format!("{FIXTURES}/matching.toml"))
        .unwrap()
        .replace("csv = \"matching-portfolio.csv\"", "projects = 10")
        .replace("ratio = 2.0", "ratio = -2.0")
        .replace("cap_eur = 100_000.0\n\n[run]", "cap_eu = 1.0\n\n[run]");
    fs::write(dir.path().join("bad.toml"), text).unwrap();
    fundsim(dir.path())
        .args(["run", "bad.toml", "--out", "run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "field `strategies[1].ratio`: strategy \"double-match\" (rule `matching`): \
             must be above 0",
        ))
        .stderr(predicate::str::contains(
            "field `strategies[1].cap_eu`: strategy \"double-match\" (rule `matching`): \
             unknown parameter `cap_eu`; did you mean `cap_eur`?",
        ));
    assert!(!dir.path().join("run").exists(), "nothing written");
}
