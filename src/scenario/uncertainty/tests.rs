use super::joint::JointDraws;
use super::*;
use crate::scenario::{builtin, parse_str, parse_with_overrides};

/// The STF scenario without its `[uncertainty]` table (the scenario `--no-uncertainty`
/// runs), cut at the blank line before the table's comment, so that a test can append a
/// table of its own and its line numbers stay those of the fixed-parameter file.
fn stf_without_uncertainty() -> String {
    let text = builtin("stf").unwrap();
    let table = text
        .find("\n[uncertainty]")
        .expect("the stf scenario has an [uncertainty] table");
    let cut = text[..table]
        .rfind("\n\n")
        .expect("a blank line precedes the table's comment");
    text[..=cut].to_string()
}

/// The built-in `stf` scenario with `table` in place of its own.
fn stf_with(table: &str) -> String {
    format!("{}\n{table}", stf_without_uncertainty())
}

/// The problems of an invalid scenario, one per line, with their keys.
fn problems(text: &str) -> String {
    parse_str(text, "test.toml").unwrap_err().to_string()
}

const TABLE: &str = r#"
[uncertainty]
parameter_sets = 50

[[uncertainty.parameters]]
path = "model.hire_rate"
distribution = "pert"
low = 0.0
mode = 0.3
high = 0.6
source = "assumption: no published estimate"
assumption = true

[[uncertainty.parameters]]
path = "model.cliff_months"
distribution = "uniform"
low = 2
high = 9

[[uncertainty.parameters]]
path = "model.attrition_hazard"
distribution = "log-normal"
median = 0.02
sigma_log = 0.4
high = 0.08

[[uncertainty.correlations]]
between = ["model.hire_rate", "model.attrition_hazard"]
rank = -0.3
"#;

#[test]
fn a_valid_table_is_read_with_its_defaults() {
    let scenario = parse_str(&stf_with(TABLE), "test.toml").unwrap();
    let spec = scenario.uncertainty.as_ref().unwrap();
    assert_eq!(spec.parameter_sets, 50);
    assert_eq!(spec.portfolio, PortfolioDraw::Redraw);
    assert_eq!(spec.joint, None);
    let paths: Vec<&str> = spec.parameters.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "model.hire_rate",
            "model.cliff_months",
            "model.attrition_hazard"
        ]
    );
    assert_eq!(
        spec.parameters[0].distribution,
        ParameterDistribution::Pert {
            low: 0.0,
            mode: 0.3,
            high: 0.6
        }
    );
    assert!(spec.parameters[0].assumption && !spec.parameters[1].assumption);
    assert_eq!(
        spec.parameters[0].source,
        "assumption: no published estimate"
    );
    assert_eq!(spec.correlations[0].rank, -0.3);
    // The table is part of the scenario's hash; without it the scenario is unchanged.
    let plain = parse_str(&stf_without_uncertainty(), "stf").unwrap();
    assert_ne!(scenario.hash(), plain.hash());
    let without = Scenario {
        uncertainty: None,
        ..scenario
    };
    assert_eq!(without.hash(), plain.hash());
    assert!(
        !serde_json::to_string(&plain)
            .unwrap()
            .contains("uncertainty")
    );
}

use crate::scenario::Scenario;

#[test]
fn field_kinds_come_from_the_scenario() {
    let text = builtin("stf").unwrap();
    let probe =
        |overrides: &[(&str, f64)]| parse_with_overrides(text, "stf", overrides).map(|_| ());
    let kind = |path: &str| field_kind(&probe as &Probe, path);
    assert_eq!(kind("model.hire_rate"), Ok(FieldKind::Real));
    assert_eq!(kind("fund.budget_eur"), Ok(FieldKind::Real));
    assert_eq!(kind("model.cliff_months"), Ok(FieldKind::Whole));
    assert_eq!(kind("portfolio.projects"), Ok(FieldKind::Whole));
    assert_eq!(kind("strategies[3].power"), Ok(FieldKind::Real));
    let misspelt = kind("model.hire_rat").unwrap_err();
    assert!(misspelt.contains("did you mean `hire_rate`?"), "{misspelt}");
    let table = kind("modle.hire_rate").unwrap_err();
    assert!(table.contains("did you mean `model`?"), "{table}");
    assert!(
        kind("portfolio.redraw_per_replication")
            .unwrap_err()
            .contains("boolean")
    );
    // A rule without that parameter, an entry that does not exist, a run setting.
    assert!(
        kind("strategies[2].power")
            .unwrap_err()
            .contains("takes no parameters")
    );
    assert!(
        kind("strategies[20].power")
            .unwrap_err()
            .contains("no entry 20")
    );
    assert!(kind("run.seed").is_err());
    assert_eq!(FieldKind::Whole.fit(2.5), 3.0);
    assert_eq!(FieldKind::Real.fit(2.5), 2.5);
}

#[test]
fn problems_name_the_full_key() {
    let cases: [(&str, &[&str]); 8] = [
        (
            "[uncertainty]\nparameter_sets = 1\nportfolio = \"sometimes\"\n",
            &[
                "field `uncertainty.parameter_sets`: must be a whole number from 2 to 100000",
                "field `uncertainty.portfolio`: must be \"redraw\"",
            ],
        ),
        (
            "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"pert\"\nlow = 0.0\nmode = 0.9\nhigh = 0.6\n",
            &["field `uncertainty.parameters[0].mode`: must be from `low` to `high` (got 0.9)"],
        ),
        (
            "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"normal\"\nmean = 0.3\nsd = 0\nmode = 1\n",
            &["field `uncertainty.parameters[0].mode`: a normal distribution has no `mode`"],
        ),
        (
            "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"normal\"\nmean = 0.3\nsd = -1\n",
            &["field `uncertainty.parameters[0].sd`: must be above 0 (got -1)"],
        ),
        (
            "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"gamma\"\n",
            &[
                "field `uncertainty.parameters[0].distribution`: must be one of uniform, triangular, pert, normal, log-normal, beta (got \"gamma\")",
            ],
        ),
        (
            "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"beta\"\nalpha = 0\nbeta = 2\n",
            &["field `uncertainty.parameters[0].alpha`: must be above 0"],
        ),
        (
            "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"log-normal\"\nmedian = -1\nsigma_log = 0\n",
            &[
                "field `uncertainty.parameters[0].median`: must be above 0",
                "field `uncertainty.parameters[0].sigma_log`: must be above 0",
            ],
        ),
        (
            "[uncertainty]\nportfolio = \"fixed\"\n",
            &["field `uncertainty`: varies nothing"],
        ),
    ];
    for (table, expected) in cases {
        let message = problems(&stf_with(table));
        for part in expected {
            assert!(
                message.contains(part),
                "{table}\n---\n{message}\n--- lacks: {part}"
            );
        }
    }
}

#[test]
fn a_misspelt_key_is_named_in_full() {
    let message = problems(&stf_with(
        "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"uniform\"\nlow = 0\nhihg = 1\n",
    ));
    assert!(
        message.contains(
            "field `uncertainty.parameters[0].hihg`: unknown field `hihg` (did you mean `high`?)"
        ),
        "{message}"
    );
    let message = problems(&stf_with("[uncertainty]\nparameter_set = 5\n"));
    assert!(
        message.contains("field `uncertainty.parameter_set`: unknown field `parameter_set` (did you mean `parameter_sets`?)"),
        "{message}"
    );
}

#[test]
fn copula_matrices_that_cannot_exist_are_refused() {
    let mut table = String::from("[uncertainty]\n");
    for path in ["model.hire_rate", "model.work_cv", "model.burnout_slope"] {
        table.push_str(&format!(
            "[[uncertainty.parameters]]\npath = \"{path}\"\ndistribution = \"uniform\"\nlow = 0.1\nhigh = 0.5\n"
        ));
    }
    let correlation = |a: &str, b: &str, rank: f64| {
        format!("[[uncertainty.correlations]]\nbetween = [\"{a}\", \"{b}\"]\nrank = {rank}\n")
    };
    let valid = format!(
        "{table}{}{}",
        correlation("model.hire_rate", "model.work_cv", 0.6),
        correlation("model.work_cv", "model.burnout_slope", 0.6)
    );
    parse_str(&stf_with(&valid), "test.toml").unwrap();
    // Two strong positive links and a strong negative one round the triangle.
    let invalid = format!(
        "{table}{}{}{}",
        correlation("model.hire_rate", "model.work_cv", 0.9),
        correlation("model.work_cv", "model.burnout_slope", 0.9),
        correlation("model.hire_rate", "model.burnout_slope", -0.9)
    );
    let message = problems(&stf_with(&invalid));
    assert!(
        message.contains("field `uncertainty.correlations`: the rank correlations do not form a valid correlation matrix"),
        "{message}"
    );
    let bad_entries = format!(
        "{table}{}{}{}{}",
        correlation("model.hire_rate", "model.hire_rate", 0.2),
        correlation("model.hire_rate", "model.revival_hazard", 0.2),
        correlation("model.work_cv", "model.hire_rate", 1.0),
        correlation("model.burnout_slope", "model.hire_rate", 0.1)
            + &correlation("model.hire_rate", "model.burnout_slope", 0.1)
    );
    let message = problems(&stf_with(&bad_entries));
    for part in [
        "field `uncertainty.correlations[0].between`: must name two different paths",
        "field `uncertainty.correlations[1].between`: must name paths listed in [[uncertainty.parameters]]",
        "field `uncertainty.correlations[2].rank`: must be a Spearman rank correlation strictly between -1 and 1 (got 1)",
        "field `uncertainty.correlations[4].between`: repeats the pair of uncertainty.correlations[3]",
    ] {
        assert!(message.contains(part), "{message}\n--- lacks: {part}");
    }
    // No matrix is built from invalid entries, so no complaint about one.
    assert!(!message.contains("valid correlation matrix"), "{message}");
}

#[test]
fn paths_and_ends_are_checked_against_the_scenario() {
    let entry =
        |path: &str, rest: &str| format!("[[uncertainty.parameters]]\npath = \"{path}\"\n{rest}\n");
    let table = format!(
        "[uncertainty]\n{}{}{}{}{}{}",
        entry(
            "model.hire_rat",
            "distribution = \"uniform\"\nlow = 0\nhigh = 1"
        ),
        entry(
            "model.cliff_multiplier",
            "distribution = \"normal\"\nmean = 1.2\nsd = 0.5"
        ),
        entry(
            "model.attrition_hazard",
            "distribution = \"uniform\"\nlow = -0.1\nhigh = 0.1"
        ),
        entry(
            "model.burnout_slope",
            "distribution = \"uniform\"\nlow = 0\nhigh = 1"
        ),
        entry(
            "model.burnout_slope",
            "distribution = \"uniform\"\nlow = 0\nhigh = 1"
        ),
        entry("run.seed", "distribution = \"uniform\"\nlow = 0\nhigh = 1"),
    );
    let message = problems(&stf_with(&table));
    for part in [
        "field `uncertainty.parameters[0].path`: is not a numeric field of the scenario format: is not a field of the scenario format: unknown field `hire_rat` (did you mean `hire_rate`?)",
        "field `uncertainty.parameters[1].low`: the normal distribution reaches model.cliff_multiplier = -0.345",
        "truncate with low/high",
        "field `uncertainty.parameters[2].low`: the uniform distribution reaches model.attrition_hazard = -0.1 (its low end), which the scenario refuses",
        "field `uncertainty.parameters[4].path`: is listed twice (also uncertainty.parameters[3])",
        "field `uncertainty.parameters[5].path`: must be the dotted path of a numeric field in [fund], [portfolio], [model] or [[strategies]]",
    ] {
        assert!(message.contains(part), "{message}\n--- lacks: {part}");
    }
    // The high end of the normal is accepted.
    assert!(!message.contains("parameters[1].high"), "{message}");
}

#[test]
fn a_csv_portfolio_is_not_redrawn() {
    let text = "name = \"x\"\n[portfolio]\ncsv = \"p.csv\"\n[[strategies]]\nrule = \"none\"\n";
    let with = |table: &str| format!("{text}{table}");
    let scenario = parse_str(
        &with("[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"uniform\"\nlow = 0\nhigh = 1\n"),
        "x.toml",
    )
    .unwrap();
    assert_eq!(
        scenario.uncertainty.unwrap().portfolio,
        PortfolioDraw::Fixed
    );
    let message = problems(&with("[uncertainty]\nportfolio = \"redraw\"\n"));
    assert!(
        message.contains(
            "field `uncertainty.portfolio`: a portfolio read from portfolio.csv cannot be redrawn"
        ),
        "{message}"
    );
}

#[test]
fn joint_csv_rows_are_read_and_drawn_by_weight() {
    let csv = "particle,weight,distance,model.hire_rate,model.revival_hazard\n0,1,0.1,0.2,0.004\n1,3,0.2,0.4,0.006\n2,0,0.3,0.9,0.008\n";
    let joint = JointDraws::from_csv(csv.as_bytes(), "post.csv").unwrap();
    assert_eq!(joint.paths, ["model.hire_rate", "model.revival_hazard"]);
    assert_eq!(joint.rows[1], [0.4, 0.006]);
    assert_eq!(joint.lines, [2, 3, 4]);
    assert_eq!(joint.weights.as_deref(), Some(&[1.0, 3.0, 0.0][..]));
    // A quarter of the uniforms pick row 0, the rest row 1, none the weightless row 2.
    assert_eq!(joint.row_for(0.0), 0);
    assert_eq!(joint.row_for(0.2499), 0);
    assert_eq!(joint.row_for(0.25), 1);
    assert_eq!(joint.row_for(0.999_999), 1);
    let unweighted = JointDraws::from_csv(b"model.hire_rate\n0.1\n0.2\n", "u.csv").unwrap();
    assert_eq!((unweighted.row_for(0.49), unweighted.row_for(0.5)), (0, 1));
    assert_eq!(unweighted.weights, None);
    // Checked against the scenario: fields, no field in both, every row accepted.
    let text = &stf_without_uncertainty();
    let spec = |table: &str| {
        parse_str(&stf_with(table), "t.toml")
            .unwrap()
            .uncertainty
            .unwrap()
    };
    let plain = spec("[uncertainty]\nportfolio = \"redraw\"\n");
    assert!(joint.check_against(text, "stf", &plain).is_ok());
    let both = spec(
        "[uncertainty]\n[[uncertainty.parameters]]\npath = \"model.hire_rate\"\ndistribution = \"uniform\"\nlow = 0\nhigh = 1\n",
    );
    let error = joint
        .check_against(text, "stf", &both)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "post.csv:1: field `model.hire_rate`: is also drawn from uncertainty.parameters[0]"
        ),
        "{error}"
    );
    let refused = JointDraws::from_csv(b"model.hire_rate\n0.1\n-2\n", "r.csv").unwrap();
    let error = refused
        .check_against(text, "stf", &plain)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("r.csv:3: field `model.hire_rate`: stf refuses the values of this row: must be a number from 0 to 100"),
        "{error}"
    );
    let not_a_field = JointDraws::from_csv(b"model.hire_rat\n0.1\n", "n.csv").unwrap();
    let error = not_a_field
        .check_against(text, "stf", &plain)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("n.csv:1: field `model.hire_rat`: is not a field of stf"),
        "{error}"
    );
    assert!(error.contains("did you mean `hire_rate`?"), "{error}");
}

#[test]
fn bad_joint_csvs_name_the_file_line_and_column() {
    let cases: [(&str, &str); 8] = [
        (
            "model.hire_rate,colour\n0.1,2\n",
            "bad.csv:1: field `colour`: is not a column a joint-draws CSV can have",
        ),
        (
            "model.hire_rate,model.hire_rate\n0.1,0.2\n",
            "bad.csv:1: field `model.hire_rate`: appears twice",
        ),
        ("particle,weight\n0,1\n", "bad.csv:1: has no field columns"),
        ("model.hire_rate\n", "bad.csv:1: has no rows"),
        (
            "model.hire_rate,weight\n0.1,1\n0.2,NaN\n",
            "bad.csv:3: field `weight`: must be a finite number",
        ),
        (
            "model.hire_rate,weight\n0.1,1\n0.2,-1\n",
            "bad.csv:3: field `weight`: must be 0 or above",
        ),
        (
            "model.hire_rate,weight\n0.1,0\n0.2,0\n",
            "field `weight`: the weights must sum to a positive, finite number",
        ),
        (
            "model.hire_rate\n0.1\n\n0.2,0.3\nabc\n",
            "bad.csv:4: the row has 2 cells but the header has 1",
        ),
    ];
    for (csv, expected) in cases {
        let error = JointDraws::from_csv(csv.as_bytes(), "bad.csv")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(expected),
            "{csv:?}\n---\n{error}\n--- lacks: {expected}"
        );
    }
    // Every problem is listed, not only the first.
    let error = JointDraws::from_csv(b"model.hire_rate\nx\ny\n", "bad.csv").unwrap_err();
    assert_eq!(error.issues.len(), 2);
    assert_eq!(error.issues[1].line, Some(3));
    assert_eq!(error.issues[1].value.as_deref(), Some("\"y\""));
}

/// `also` writes an entry's drawn value into further fields: in every set they hold the
/// same value (whole-number fields rounded), and the value drawn is the entry's.
#[test]
fn also_gives_further_fields_the_same_draw() {
    let text = stf_with(
        r#"[uncertainty]
parameter_sets = 12
portfolio = "fixed"

[[uncertainty.parameters]]
path = "strategies[3].power"
also = ["strategies[4].power"]
distribution = "uniform"
low = 0.2
high = 1.8
"#,
    );
    let scenario = parse_str(&text, "test.toml").unwrap();
    let spec = scenario.uncertainty.as_ref().unwrap();
    assert_eq!(spec.parameters[0].also, ["strategies[4].power"]);
    let sets = sets::parameter_sets(&text, "test.toml", spec, None, 7).unwrap();
    assert_eq!(sets.paths, ["strategies[3].power"], "no column of its own");
    let mut distinct = Vec::new();
    for (values, drawn) in sets.values.iter().zip(&sets.scenarios) {
        let power = |index: usize| {
            drawn.strategies[index]
                .rule
                .params::<crate::strategy::ProportionalParams>()
                .map(|p| p.power)
        };
        assert_eq!(power(3), Some(values[0]));
        assert_eq!(power(4), Some(values[0]));
        distinct.push(values[0]);
    }
    distinct.dedup();
    assert!(distinct.len() > 6, "the sets differ: {distinct:?}");
}

#[test]
fn also_paths_are_checked_like_paths() {
    let message = problems(&stf_with(
        r#"[uncertainty]
[[uncertainty.parameters]]
path = "strategies[3].power"
also = ["strategies[4].powr", "model.hire_rate", ""]
distribution = "uniform"
low = 0.2
high = 1.8

[[uncertainty.parameters]]
path = "model.hire_rate"
distribution = "uniform"
low = 0.1
high = 0.5
"#,
    ));
    for part in [
        "field `uncertainty.parameters[0].also[0]`: is not a numeric field of the scenario format",
        "field `uncertainty.parameters[0].also[1]`: is already drawn by another entry",
        "field `uncertainty.parameters[0].also[2]`",
    ] {
        assert!(message.contains(part), "{message}\n--- lacks: {part}");
    }
}
