//! `fundsim facts`: the stylised facts against the unfunded baseline, as a user runs it.

mod common;

use std::fs;

use serde_json::Value;

fn facts_json(args: &[&str]) -> Value {
    let output = common::fundsim()
        .arg("facts")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn fact<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fact"]["id"] == id)
        .unwrap_or_else(|| panic!("no fact {id}"))
}

/// The same seed gives the same facts on one thread and on two.
#[test]
fn facts_do_not_depend_on_the_thread_count() {
    let one = facts_json(&["-n", "24", "--threads", "1"]);
    let two = facts_json(&["-n", "24", "--threads", "2"]);
    assert_eq!(one, two);
    assert_eq!(one["replications"], 24);
    assert_eq!(one["projects"], 1932);
}

/// The exact statistics of breaks add up: never back = still away after a year × not
/// back later; and every simulated fact has a one-study range around its mean.
#[test]
fn the_facts_hang_together() {
    let report = facts_json(&["-n", "24"]);
    let value = |id: &str| fact(&report, id)["model"]["mean"].as_f64().unwrap();
    let within = value("break_return_within_a_year");
    let after = value("break_return_after_a_year");
    let never = value("break_never_return");
    assert!(((1.0 - within) * (1.0 - after) - never).abs() < 1e-12);
    for id in [
        "abandoned_within_5_years",
        "revived_within_3_years",
        "risk_one_vs_two_or_more",
    ] {
        let f = fact(&report, id);
        let mean = f["model"]["mean"].as_f64().unwrap();
        let (low, high) = (
            f["one_study"][0].as_f64().unwrap(),
            f["one_study"][1].as_f64().unwrap(),
        );
        assert!(
            low <= mean && mean <= high,
            "{id}: {mean} outside {low}–{high}"
        );
    }
    assert_eq!(report["conflicts"].as_array().unwrap().len(), 1);
}

/// `--set` reaches the model: a lower attrition hazard abandons fewer projects.
#[test]
fn overrides_move_the_facts() {
    let abandoned = |report: &Value| {
        fact(report, "abandoned_within_5_years")["model"]["mean"]
            .as_f64()
            .unwrap()
    };
    let default = facts_json(&["-n", "24"]);
    let lower = facts_json(&["-n", "24", "--set", "model.attrition_hazard=0.01"]);
    assert!(abandoned(&lower) < abandoned(&default));
}

/// A facts file with a bad range, and a scenario too short for a fact's window, are bad
/// input: exit 2 and a message naming the key.
#[test]
fn bad_facts_and_short_horizons_are_refused() {
    let dir = common::temp_dir();
    let path = dir.path().join("facts.toml");
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/facts.toml"))
        .unwrap()
        .replacen("published = [0.124, 0.16]", "published = [0.16, 0.124]", 1);
    fs::write(&path, text).unwrap();
    let output = common::fundsim()
        .args(["facts", "-n", "4", "--facts"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("facts[0].published"), "{message}");

    let output = common::fundsim()
        .args(["facts", "-n", "4", "--set", "fund.horizon_months=36"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("abandoned_within_5_years") && message.contains("36"),
        "{message}"
    );
}

/// The defaults are calibrated: on the default baseline (`popular-baseline`, its `[model]`
/// table empty, so `src/params/model.rs`'s defaults, at the command's own replications
/// and seed, as docs/validation.md quotes it) every fact is consistent, and a fact that
/// is only close or fails belongs to a group of facts that cannot all hold at once. A
/// change of the defaults that breaks a fact fails here.
#[test]
fn the_default_baseline_meets_every_fact_that_can_be_met() {
    let report = facts_json(&[]);
    let in_conflict = |id: &str| {
        report["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|conflict| {
                conflict["facts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == id)
            })
    };
    let facts = report["facts"].as_array().unwrap();
    assert_eq!(facts.len(), 6, "the built-in facts");
    for evaluated in facts {
        let id = evaluated["fact"]["id"].as_str().unwrap();
        let verdict = evaluated["verdict"].as_str().unwrap();
        assert!(
            verdict == "consistent" || in_conflict(id),
            "{id}: {verdict} at the defaults (model {}, one study {}), and it is in no conflict group",
            evaluated["model"],
            evaluated["one_study"]
        );
    }
}
