//! The `policy` rule's special cases reproduce the named rules byte for byte: each pair
//! runs as two strategies of one scenario (same seed, so the projects meet the same
//! random numbers), and every per-strategy table of the run folder (every metric of every
//! replication, the summary, the allocations, survival, the time series, the projects and
//! their lifetimes) must hold the same rows for both.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{fundsim_in, scratch};

/// A small STF-like scenario (a budget the caps and minimums bite on) and the pairs
/// (named rule, policy) that must agree.
const SCENARIO: &str = r#"
name = "policy-special-cases"

[fund]
budget_eur = 12_000_000.0
programme_months = 48
horizon_months = 96
call_interval_months = 12
person_month_eur = 9_200.0
overhead_fixed_eur = 10_000.0
overhead_share = 0.05
grant_duration_months = 18
min_grant_eur = 50_000.0
max_grant_eur = 1_000_000.0
extension_months = 12

[portfolio]
projects = 30
dependents_median = 3_000.0
dependents_sigma_log = 2.0

[[strategies]]
name = "none"
rule = "none"

[[strategies]]
name = "equal-front"
rule = "equal"
timing = "front_loaded"

[[strategies]]
name = "policy-equal-front"
rule = "policy"
timing = "front_loaded"

[[strategies]]
name = "equal-even"
rule = "equal"
timing = "even"

[[strategies]]
name = "policy-equal-even"
rule = "policy"
timing = "even"
weights = { dependents = 0.0, maintainers = 0.0 }

[[strategies]]
name = "sqrt"
rule = "proportional"
timing = "even"
score = "dependents"
power = 0.5

[[strategies]]
name = "policy-sqrt"
rule = "policy"
timing = "even"
weights = { dependents = 0.5 }

[[strategies]]
name = "linear-limited"
rule = "proportional"
timing = "even"
power = 1.0
min_amount_eur = 150_000.0
max_share = 0.1

[[strategies]]
name = "policy-linear-limited"
rule = "policy"
timing = "even"
weights = { dependents = 1.0 }
min_amount_eur = 150_000.0
max_share = 0.1

[[strategies]]
name = "deep"
rule = "proportional"
timing = "even"
power = 0.7
max_projects = 8
max_share = 0.3

[[strategies]]
name = "policy-deep"
rule = "policy"
timing = "even"
weights = { dependents = 0.7 }
max_projects = 8
max_share = 0.3

[[strategies]]
name = "deep-flat"
rule = "proportional"
timing = "front_loaded"
power = 0.0
max_projects = 5

[[strategies]]
name = "policy-deep-flat"
rule = "policy"
timing = "front_loaded"
max_projects = 5

[[strategies]]
name = "critical"
rule = "proportional"
timing = "even"
score = "criticality"
power = 2.0

[[strategies]]
name = "policy-critical"
rule = "policy"
timing = "even"
weights = { criticality = 2.0 }

[[strategies]]
name = "policy-all-at-once"
rule = "policy"
call_shares = [1.0]

[[strategies]]
name = "mix"
rule = "mix"
timing = "even"
parts = [
  { share = 0.6, rule = "equal" },
  { share = 0.25, rule = "audit" },
  { share = 0.15, rule = "bug_bounty" },
]

[[strategies]]
name = "policy-mix"
rule = "policy"
timing = "even"
buy = { maintenance = 0.6, audit = 0.25, bug_bounty = 0.15 }

[run]
replications = 32
seed = 20261206
"#;

/// (named rule, policy): the pairs that must agree.
const PAIRS: [(&str, &str); 9] = [
    ("equal-front", "policy-equal-front"),
    ("equal-even", "policy-equal-even"),
    ("sqrt", "policy-sqrt"),
    ("linear-limited", "policy-linear-limited"),
    ("deep", "policy-deep"),
    ("deep-flat", "policy-deep-flat"),
    ("critical", "policy-critical"),
    ("equal-front", "policy-all-at-once"),
    ("mix", "policy-mix"),
];

/// Every per-strategy table of a run folder.
const TABLES: [&str; 7] = [
    "replications.csv",
    "summary.csv",
    "allocations.csv",
    "survival.csv",
    "timeseries.csv",
    "projects.csv",
    "lifetimes.csv",
];

/// The rows of a CSV file by strategy, each row without its strategy field.
fn rows_by_strategy(path: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = header.iter().position(|h| h == "strategy").unwrap();
    let mut rows: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let mut row: Vec<String> = record.iter().map(str::to_string).collect();
        let strategy = row.remove(column);
        rows.entry(strategy).or_default().push(row);
    }
    rows
}

#[test]
fn the_special_cases_reproduce_the_named_rules_byte_for_byte() {
    let dir = scratch("policy-special-cases");
    std::fs::write(dir.path().join("policy.toml"), SCENARIO).unwrap();
    fundsim_in(dir.path())
        .args([
            "run",
            "policy.toml",
            "--per-replication",
            "--no-charts",
            "--quiet",
        ])
        .args(["--out", "out"])
        .assert()
        .success();
    for table in TABLES {
        let rows = rows_by_strategy(&dir.path().join("out").join(table));
        for (named, policy) in PAIRS {
            let (want, got) = (&rows[named], &rows[policy]);
            assert!(!want.is_empty(), "{table}: no rows of {named}");
            assert_eq!(want.len(), got.len(), "{table}: {named} against {policy}");
            for (a, b) in want.iter().zip(got) {
                assert_eq!(a, b, "{table}: {named} against {policy}");
            }
        }
        // The test can fail: a policy that is not a special case differs.
        assert_ne!(rows["sqrt"], rows["linear-limited"], "{table}");
    }
    // Money was granted, capped and floored: the pairs are not trivially equal.
    let summary = rows_by_strategy(&dir.path().join("out").join("summary.csv"));
    let paid = |strategy: &str| -> f64 {
        let row = summary[strategy]
            .iter()
            .find(|r| r[0] == "total_paid_eur")
            .unwrap();
        row[1].parse().unwrap()
    };
    assert!(paid("policy-linear-limited") > 1e6 && paid("policy-deep") > 1e6);
}

/// Shares over the calls move money in time: releasing all at the first call is
/// front-loading, and releasing it in four equal parts is close to `even` (equal up to
/// the rounding of `pool · 1/4` against `pool / 4`, so compared within 10⁻⁶ of the mean).
#[test]
fn call_shares_reproduce_the_timings_they_describe() {
    let dir = scratch("policy-call-shares");
    let scenario = SCENARIO.replace(
        "[run]",
        "[[strategies]]\nname = \"policy-quarters\"\nrule = \"policy\"\ncall_shares = [0.25, 0.25, 0.25, 0.25]\n\n[run]",
    );
    std::fs::write(dir.path().join("policy.toml"), scenario).unwrap();
    fundsim_in(dir.path())
        .args([
            "run",
            "policy.toml",
            "--no-charts",
            "--quiet",
            "--out",
            "out",
        ])
        .assert()
        .success();
    let summary = rows_by_strategy(&dir.path().join("out").join("summary.csv"));
    for (want, got) in summary["equal-even"]
        .iter()
        .zip(&summary["policy-quarters"])
    {
        assert_eq!(want[0], got[0]);
        // A metric without a value (no fix to time) is empty for both.
        match (want[1].parse::<f64>(), got[1].parse::<f64>()) {
            (Ok(a), Ok(b)) => {
                assert!(
                    (a - b).abs() <= 1e-6 * a.abs().max(1.0),
                    "{}: {a} against {b}",
                    want[0]
                );
            }
            _ => assert_eq!(want[1], got[1], "{}", want[0]),
        }
    }
    assert_ne!(summary["equal-even"], summary["equal-front"]);
}
