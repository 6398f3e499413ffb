//! The `[uncertainty]` table of a scenario: parameter sets drawn with the requested rank
//! correlations, the same whatever the number of threads, carried into each set's
//! scenario; joint draws by weight; and bad tables and joint CSVs refused with the file,
//! the full key (or line and column) named, exit code 2 from `fundsim validate`.
//!
//! Statistical checks use fixed seeds and tolerances of 5 Monte Carlo standard errors.

use std::fs;
use std::path::PathBuf;

use fundsim::input::{LoadedScenario, load_joint_draws, load_scenario};
use fundsim::scenario::uncertainty::joint::JointDraws;
use fundsim::scenario::uncertainty::sets::{ParameterSets, parameter_sets};
use fundsim::scenario::{UncertaintySpec, parse_str};

mod common;
use common::{fundsim, temp_dir};

/// The built-in `stf` scenario with `table` in place of its own.
fn stf_with(table: &str) -> String {
    format!("{}\n{table}", common::stf_without_uncertainty())
}

fn spec_of(text: &str) -> UncertaintySpec {
    parse_str(text, "test.toml").unwrap().uncertainty.unwrap()
}

/// Three continuous fields, two of them rank-correlated, and one whole-number field.
const CORRELATED: &str = r#"
[uncertainty]
parameter_sets = 2000

[[uncertainty.parameters]]
path = "model.hire_rate"
distribution = "pert"
low = 0.0
mode = 0.3
high = 0.6

[[uncertainty.parameters]]
path = "model.work_cv"
distribution = "uniform"
low = 0.2
high = 0.8

[[uncertainty.parameters]]
path = "model.burnout_slope"
distribution = "log-normal"
median = 0.5
sigma_log = 0.3
high = 1.5

[[uncertainty.parameters]]
path = "model.cliff_months"
distribution = "triangular"
low = 2
mode = 6
high = 12

[[uncertainty.correlations]]
between = ["model.hire_rate", "model.work_cv"]
rank = 0.6

[[uncertainty.correlations]]
between = ["model.burnout_slope", "model.work_cv"]
rank = -0.4
"#;

/// Ranks of `values` (1 = smallest); the fields are continuous, so there are no ties.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    for (rank, &index) in order.iter().enumerate() {
        ranks[index] = rank as f64 + 1.0;
    }
    ranks
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let covariance: f64 = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| (x - mean) * (y - mean))
        .sum();
    let variance: f64 = ra.iter().map(|x| (x - mean) * (x - mean)).sum();
    covariance / variance
}

fn column(sets: &ParameterSets, path: &str) -> Vec<f64> {
    let index = sets.paths.iter().position(|p| p == path).unwrap();
    sets.values.iter().map(|values| values[index]).collect()
}

#[test]
fn drawn_sets_have_the_requested_rank_correlations() {
    let text = stf_with(CORRELATED);
    let spec = spec_of(&text);
    let sets = parameter_sets(&text, "test.toml", &spec, None, 42).unwrap();
    assert_eq!(sets.values.len(), 2000);
    let n = sets.values.len() as f64;
    // Fisher's z of a Spearman correlation has standard error √(1.06/(n − 3))
    // (Fieller, Hartley and Pearson 1957).
    let tolerance = 5.0 * (1.06 / (n - 3.0)).sqrt();
    for (a, b, requested) in [
        ("model.hire_rate", "model.work_cv", 0.6),
        ("model.burnout_slope", "model.work_cv", -0.4),
        ("model.hire_rate", "model.burnout_slope", 0.0),
    ] {
        let achieved = spearman(&column(&sets, a), &column(&sets, b));
        assert!(
            (achieved.atanh() - f64::atanh(requested)).abs() < tolerance,
            "{a} ~ {b}: rank correlation {achieved}, requested {requested} (tolerance {tolerance} in Fisher's z)"
        );
    }
    // The marginals are kept: the PERT's mean is (low + 4·mode + high)/6 = 0.3, its
    // variance α·β/((α+β)²·(α+β+1))·(high − low)² with α = β = 3.
    let hire = column(&sets, "model.hire_rate");
    let mean = hire.iter().sum::<f64>() / n;
    let variance = 0.6 * 0.6 * (3.0 * 3.0) / (36.0 * 7.0);
    assert!(
        (mean - 0.3).abs() < 5.0 * (variance / n).sqrt(),
        "mean {mean}"
    );
    assert!(hire.iter().all(|v| (0.0..=0.6).contains(v)));
}

#[test]
fn each_set_scenario_carries_its_drawn_values() {
    let text = stf_with(&CORRELATED.replace("parameter_sets = 2000", "parameter_sets = 40"));
    let spec = spec_of(&text);
    let sets = parameter_sets(&text, "test.toml", &spec, None, 7).unwrap();
    assert_eq!(
        sets.paths,
        [
            "model.hire_rate",
            "model.work_cv",
            "model.burnout_slope",
            "model.cliff_months"
        ]
    );
    assert_eq!(sets.assumptions, [false; 4]);
    assert_eq!(sets.scenarios.len(), 40);
    let mut whole_months = std::collections::BTreeSet::new();
    for (values, scenario) in sets.values.iter().zip(&sets.scenarios) {
        assert_eq!(scenario.model.hire_rate, values[0]);
        assert_eq!(scenario.model.work_cv, values[1]);
        assert_eq!(scenario.model.burnout_slope, values[2]);
        assert!(values[2] <= 1.5);
        // A whole-number field holds the drawn value rounded.
        assert_eq!(f64::from(scenario.model.cliff_months), values[3]);
        assert_eq!(values[3].fract(), 0.0);
        whole_months.insert(scenario.model.cliff_months);
        // Everything else is the scenario's own.
        assert_eq!(scenario.fund, sets.scenarios[0].fund);
    }
    assert!(whole_months.len() > 3, "{whole_months:?}");
    // Distinct sets differ.
    assert_ne!(sets.values[0], sets.values[1]);
}

#[test]
fn sets_are_the_same_whatever_the_threads_and_the_number_of_sets() {
    let text = stf_with(&CORRELATED.replace("parameter_sets = 2000", "parameter_sets = 64"));
    let spec = spec_of(&text);
    let draw = |threads: usize, spec: &UncertaintySpec| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| parameter_sets(&text, "test.toml", spec, None, 11).unwrap())
    };
    let one = draw(1, &spec);
    let two = draw(2, &spec);
    assert_eq!(one, two);
    // Set k draws from its own stream: fewer sets are the first sets of more.
    let fewer = UncertaintySpec {
        parameter_sets: 10,
        ..spec.clone()
    };
    assert_eq!(draw(2, &fewer).values, one.values[..10]);
    // Another seed, other sets.
    let other = parameter_sets(&text, "test.toml", &spec, None, 12).unwrap();
    assert_ne!(other.values, one.values);
}

#[test]
fn joint_rows_are_drawn_by_weight_and_applied() {
    let table = r#"
[uncertainty]
parameter_sets = 4000
joint = "posterior.csv"

[[uncertainty.parameters]]
path = "model.hire_rate"
distribution = "uniform"
low = 0.1
high = 0.5
assumption = true
"#;
    let text = stf_with(table);
    let spec = spec_of(&text);
    let csv = "particle,weight,distance,model.attrition_hazard,model.revival_hazard\n\
               0,1,0.5,0.010,0.004\n1,3,0.4,0.030,0.006\n2,0,0.2,0.050,0.008\n";
    let joint = JointDraws::from_csv(csv.as_bytes(), "posterior.csv").unwrap();
    joint.check_against(&text, "test.toml", &spec).unwrap();
    let sets = parameter_sets(&text, "test.toml", &spec, Some(&joint), 3).unwrap();
    assert_eq!(
        sets.paths,
        [
            "model.hire_rate",
            "model.attrition_hazard",
            "model.revival_hazard"
        ]
    );
    assert_eq!(sets.assumptions, [true, false, false]);
    let n = sets.values.len() as f64;
    let first = sets.values.iter().filter(|v| v[1] == 0.010).count() as f64 / n;
    let never = sets.values.iter().filter(|v| v[1] == 0.050).count();
    assert!(
        (first - 0.25).abs() < 5.0 * (0.25 * 0.75 / n).sqrt(),
        "row 0 drawn in {first} of the sets, weight share 0.25"
    );
    assert_eq!(never, 0, "a row of weight 0 is never drawn");
    for (values, scenario) in sets.values.iter().zip(&sets.scenarios) {
        // Whole rows: the columns stay together.
        let row = if values[1] == 0.010 { 0.004 } else { 0.006 };
        assert_eq!(values[2], row);
        assert_eq!(scenario.model.attrition_hazard, values[1]);
        assert_eq!(scenario.model.revival_hazard, values[2]);
    }
    // Without the CSV it names, or with a field in both, no sets are drawn.
    let missing = parameter_sets(&text, "test.toml", &spec, None, 3).unwrap_err();
    assert_eq!(missing.issues[0].field, "uncertainty.joint");
    let both = JointDraws::from_csv(b"model.hire_rate\n0.2\n", "b.csv").unwrap();
    let error = parameter_sets(&text, "test.toml", &spec, Some(&both), 3).unwrap_err();
    assert_eq!(error.issues[0].field, "model.hire_rate");
}

#[test]
fn a_drawn_value_the_scenario_refuses_names_the_set_key_and_value() {
    // Each end is accepted with the other share at its default, but not both high.
    let table = r#"
[uncertainty]
parameter_sets = 200

[[uncertainty.parameters]]
path = "portfolio.maintainers_one_share"
distribution = "uniform"
low = 0.3
high = 0.6

[[uncertainty.parameters]]
path = "portfolio.maintainers_two_share"
distribution = "uniform"
low = 0.28
high = 0.5
"#;
    let text = stf_with(table);
    let spec = spec_of(&text);
    let error = parameter_sets(&text, "test.toml", &spec, None, 1)
        .unwrap_err()
        .to_string();
    assert!(error.contains("parameter set "), "{error}");
    assert!(
        error.contains("field `portfolio.maintainers_two_share`: parameter set"),
        "{error}"
    );
    assert!(error.contains("which the scenario refuses"), "{error}");
    assert!(error.contains("must not exceed 1"), "{error}");
    assert!(error.contains("uncertainty.parameters[1]"), "{error}");
}

/// Writes `text` as `bad.toml` (and `csv` as `posterior.csv`) and runs `fundsim
/// validate` on it: exit code 2 and every expected part in the message.
fn validate_refuses(text: &str, csv: Option<&str>, expected: &[&str]) {
    let dir = temp_dir();
    fs::write(dir.path().join("bad.toml"), text).unwrap();
    if let Some(csv) = csv {
        fs::write(dir.path().join("posterior.csv"), csv).unwrap();
    }
    let output = fundsim()
        .current_dir(dir.path())
        .args(["validate", "bad.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    for part in expected {
        assert!(stderr.contains(part), "{stderr}\n--- lacks: {part}");
    }
}

#[test]
fn bad_tables_are_refused_by_validate_with_the_full_key() {
    let entry = |body: &str| format!("[uncertainty]\n[[uncertainty.parameters]]\n{body}\n");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "[uncertainty]\nparameter_sets = 100001\n".into(),
            vec![
                "bad.toml:",
                "field `uncertainty.parameter_sets`: must be a whole number from 2 to 100000 (got 100001)",
            ],
        ),
        (
            entry(
                "path = \"model.hire_rate\"\ndistribution = \"triangular\"\nlow = 0.5\nmode = 0.3\nhigh = 0.6",
            ),
            vec!["field `uncertainty.parameters[0].mode`: must be from `low` to `high` (got 0.3)"],
        ),
        (
            entry("path = \"model.hire_rate\"\ndistribution = \"uniform\"\nlow = 0.5\nhigh = 0.5"),
            vec!["field `uncertainty.parameters[0].high`: must be above `low` (got 0.5)"],
        ),
        (
            entry(
                "path = \"model.hire_rate\"\ndistribution = \"uniform\"\nlow = 0\nhigh = 1\ncolour = 3",
            ),
            vec!["field `uncertainty.parameters[0].colour`: unknown field `colour`"],
        ),
        (
            entry("path = \"model.hire_rat\"\ndistribution = \"uniform\"\nlow = 0\nhigh = 1"),
            vec![
                "field `uncertainty.parameters[0].path`",
                "did you mean `hire_rate`?",
            ],
        ),
        (
            entry(
                "path = \"model.cliff_multiplier\"\ndistribution = \"normal\"\nmean = 1.5\nsd = 0.3",
            ),
            vec![
                "field `uncertainty.parameters[0].low`",
                "its 0.1% quantile",
                "truncate with low/high",
            ],
        ),
        (
            entry(
                "path = \"model.paid_attrition_multiplier\"\ndistribution = \"beta\"\nalpha = 2\nbeta = 2\nhigh = 3",
            ),
            vec![
                "field `uncertainty.parameters[0].high`: the beta distribution reaches model.paid_attrition_multiplier = 3 (its high end), which the scenario refuses",
            ],
        ),
        (
            format!(
                "{}[[uncertainty.parameters]]\npath = \"model.work_cv\"\ndistribution = \"uniform\"\nlow = 0.1\nhigh = 0.9\n\
                 [[uncertainty.correlations]]\nbetween = [\"model.hire_rate\", \"model.work_cv\"]\nrank = -1.5\n\
                 [[uncertainty.correlations]]\nbetween = [\"model.hire_rate\"]\nrank = 0.1\n",
                entry("path = \"model.hire_rate\"\ndistribution = \"uniform\"\nlow = 0\nhigh = 1")
            ),
            vec![
                "field `uncertainty.correlations[0].rank`: must be a Spearman rank correlation strictly between -1 and 1 (got -1.5)",
                "field `uncertainty.correlations[1].between`: must be two paths from [[uncertainty.parameters]]",
            ],
        ),
    ];
    for (table, expected) in &cases {
        validate_refuses(&stf_with(table), None, expected);
    }
}

#[test]
fn a_matrix_that_is_no_correlation_matrix_is_refused_by_validate() {
    let mut table = String::from("[uncertainty]\n");
    for path in ["model.hire_rate", "model.work_cv", "model.burnout_slope"] {
        table.push_str(&format!(
            "[[uncertainty.parameters]]\npath = \"{path}\"\ndistribution = \"uniform\"\nlow = 0.1\nhigh = 0.5\n"
        ));
    }
    for (a, b, rank) in [
        ("model.hire_rate", "model.work_cv", 0.9),
        ("model.work_cv", "model.burnout_slope", 0.9),
        ("model.hire_rate", "model.burnout_slope", -0.9),
    ] {
        table.push_str(&format!(
            "[[uncertainty.correlations]]\nbetween = [\"{a}\", \"{b}\"]\nrank = {rank}\n"
        ));
    }
    validate_refuses(
        &stf_with(&table),
        None,
        &[
            "field `uncertainty.correlations`: the rank correlations do not form a valid correlation matrix",
        ],
    );
}

#[test]
fn bad_joint_csvs_are_refused_by_validate_with_file_line_and_column() {
    let table = "[uncertainty]\njoint = \"posterior.csv\"\n";
    let text = stf_with(table);
    for (csv, expected) in [
        (
            "model.attrition_hazard,score\n0.02,1\n",
            vec!["posterior.csv:1: field `score`: is not a column a joint-draws CSV can have"],
        ),
        (
            "weight,model.attrition_hazard\n1,0.02\n1,inf\n",
            vec!["posterior.csv:3: field `model.attrition_hazard`: must be a finite number"],
        ),
        (
            "model.attrition_hazard\n0.02\n-0.5\n",
            vec![
                "posterior.csv:3: field `model.attrition_hazard`: bad.toml refuses the values of this row",
            ],
        ),
        (
            "model.atrition_hazard\n0.02\n",
            vec![
                "posterior.csv:1: field `model.atrition_hazard`: is not a field of bad.toml",
                "did you mean `attrition_hazard`?",
            ],
        ),
    ] {
        validate_refuses(&text, Some(csv), &expected);
    }
    validate_refuses(
        &text,
        None,
        &[
            "cannot read the joint-draws CSV",
            "posterior.csv",
            "uncertainty.joint = \"posterior.csv\" in bad.toml",
        ],
    );
}

#[test]
fn validate_prints_the_table_and_reads_the_joint_csv() {
    let dir = temp_dir();
    let table = r#"
[uncertainty]
parameter_sets = 300
joint = "posterior.csv"

[[uncertainty.parameters]]
path = "model.hire_rate"
distribution = "pert"
low = 0.0
mode = 0.3
high = 0.6
source = "no published estimate"
assumption = true
"#;
    fs::write(dir.path().join("good.toml"), stf_with(table)).unwrap();
    fs::write(
        dir.path().join("posterior.csv"),
        "weight,model.attrition_hazard\n1,0.02\n2,0.03\n",
    )
    .unwrap();
    let output = fundsim()
        .current_dir(dir.path())
        .args(["validate", "good.toml"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    for part in [
        "uncertainty: 300 parameter sets, a synthetic portfolio redrawn for every set",
        "model.hire_rate                    pert 0–0.6, mode 0.3 [assumption]",
        "source: no published estimate",
        "joint draws from posterior.csv: 2 rows (drawn by weight) of model.attrition_hazard",
    ] {
        assert!(stdout.contains(part), "{stdout}\n--- lacks: {part}");
    }
    // Loading gives the joint draws too.
    let loaded = load_scenario(Some(dir.path().join("good.toml").to_str().unwrap())).unwrap();
    assert_eq!(loaded.text, stf_with(table));
    let joint = load_joint_draws(&loaded).unwrap().unwrap();
    assert_eq!(joint.rows, [[0.02], [0.03]]);
    assert_eq!(joint.digest.len(), 64);
}

#[test]
fn a_built_in_scenario_reads_joint_draws_only_from_its_embedded_files() {
    let text = stf_with("[uncertainty]\njoint = \"posterior-none.csv\"\n");
    let loaded = LoadedScenario {
        scenario: parse_str(&text, "built-in:stf").unwrap(),
        origin: "built-in:stf".into(),
        base_dir: PathBuf::from("."),
        text,
    };
    let error = load_joint_draws(&loaded).unwrap_err().to_string();
    assert!(
        error.contains("a built-in scenario reads only the files compiled in with it"),
        "{error}"
    );
    // The built-in stf's own table reads the calibration posterior compiled in with it.
    let stf = load_scenario(Some("stf")).unwrap();
    let posterior = load_joint_draws(&stf).unwrap().unwrap();
    assert_eq!(
        posterior.paths,
        [
            "model.attrition_hazard",
            "model.break_return_hazard",
            "model.break_return_decay_months",
            "model.revival_hazard"
        ]
    );
    assert_eq!(posterior.rows.len(), 500);
    // Scenarios without the table have no joint draws.
    let plain = load_scenario(Some("timing")).unwrap();
    assert!(load_joint_draws(&plain).unwrap().is_none());
    assert!(plain.scenario.uncertainty.is_none());
}
