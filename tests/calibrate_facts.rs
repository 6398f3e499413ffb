//! `fundsim calibrate --facts`: the fit to the stylised facts recovers known parameters,
//! writes its folder the same whatever the thread count, and rejects bad input.

use std::fs;

use fundsim::analysis::calibrate::abc::{AbcSettings, PriorShape};
use fundsim::analysis::calibrate::facts_fit::{DEFAULT_PARAMS, FactsFit, FactsProblem};
use fundsim::analysis::calibrate::facts_sbc::point_targets;
use fundsim::analysis::facts::{FACTS_SCENARIO, Facts};
use predicates::prelude::*;

mod common;
use common::{assert_same_folder, fundsim, temp_dir};

/// The parameters the "observed" facts are simulated at: inside the default priors,
/// away from the real fit.
const TRUTH: [f64; 4] = [0.02, 0.07, 15.0, 0.008];

/// Facts simulated at known values (the model means of 200 replications of the
/// popular-baseline portfolio), fitted back with the default priors and small settings:
/// every true value lies in its posterior 90% interval, and every interval is narrower
/// than the prior's.
#[test]
fn known_parameters_are_recovered_from_their_facts() {
    let started = std::time::Instant::now();
    let fit = FactsFit::new(FactsProblem {
        scenario_text: FACTS_SCENARIO.into(),
        origin: "built-in:popular-baseline".into(),
        portfolio_csv: None,
        params: DEFAULT_PARAMS.iter().map(|p| p.parse().unwrap()).collect(),
        facts: Facts::builtin(),
        replications: 1,
    })
    .unwrap();
    let observed = fit.statistics_at(&TRUTH, 4_242, 200).unwrap();
    let fit = fit.with_targets(point_targets(&fit, &observed));
    let settings = AbcSettings {
        particles: 60,
        seed: 7,
        ..AbcSettings::default()
    };
    let result = fit.fit(&settings, &|_| {}, &|| false).unwrap();
    let working = |shape: PriorShape, value: f64| match shape {
        PriorShape::Uniform => value,
        PriorShape::LogUniform => value.ln(),
    };
    for (param, truth) in result.params.iter().zip(TRUTH) {
        assert!(
            param.p05 <= truth && truth <= param.p95,
            "{}: true {truth} outside the 90% interval {}–{}",
            param.path,
            param.p05,
            param.p95
        );
        let shape = param.prior.shape;
        let width = working(shape, param.p95) - working(shape, param.p05);
        let prior = 0.9 * (working(shape, param.prior.high) - working(shape, param.prior.low));
        assert!(
            width < 0.5 * prior,
            "{}: the 90% interval {}–{} is not narrower than the prior's",
            param.path,
            param.p05,
            param.p95
        );
    }
    eprintln!(
        "recovered in {:.1} s with {} simulations: {:?}",
        started.elapsed().as_secs_f64(),
        result.posterior.simulations,
        result
            .params
            .iter()
            .map(|p| (p.p05, p.median, p.p95))
            .collect::<Vec<_>>()
    );
}

/// Checks a `posterior.csv`: the header of the default parameters, `particles` rows
/// numbered in order, positive weights summing to 1, distances at most `tolerance`, every
/// value inside its prior.
fn check_posterior(text: &str, particles: usize, tolerance: f64) {
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "particle,weight,distance,model.attrition_hazard,model.break_return_hazard,model.break_return_decay_months,model.revival_hazard"
    );
    let priors: Vec<(f64, f64)> = DEFAULT_PARAMS
        .iter()
        .map(|p| {
            let p: fundsim::analysis::calibrate::facts_fit::FitParam = p.parse().unwrap();
            (p.prior.low, p.prior.high)
        })
        .collect();
    let rows: Vec<Vec<f64>> = lines
        .map(|line| line.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), particles);
    let mut total = 0.0;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], i as f64);
        assert!(row[1] > 0.0, "weight {}", row[1]);
        assert!(0.0 <= row[2] && row[2] <= tolerance, "distance {}", row[2]);
        total += row[1];
        for (value, (low, high)) in row[3..].iter().zip(&priors) {
            assert!(
                low <= value && value <= high,
                "{value} outside {low}–{high}"
            );
        }
    }
    assert!((total - 1.0).abs() < 1e-9, "weights sum to {total}");
}

/// The committed posterior of the real fit (docs/calibration.md) is such a sample, of
/// 500 particles within the target tolerance.
#[test]
fn the_committed_posterior_is_a_sample_of_the_default_parameters() {
    check_posterior(
        include_str!("../scenarios/posterior-baseline.csv"),
        500,
        1.0,
    );
}

/// A quick fit: 300 projects, 30 particles, at most 5 generations.
const QUICK: [&str; 8] = [
    "--facts",
    "--set",
    "portfolio.projects=300",
    "--particles",
    "30",
    "--generations",
    "5",
    "--quiet",
];

/// The folder holds the posterior as joint draws (weights summing to 1, every value in
/// its prior), the generations, the facts and the manifest; one thread and two write the
/// same bytes.
#[test]
fn the_fit_writes_its_folder_the_same_on_any_thread_count() {
    let dir = temp_dir();
    for threads in ["1", "2"] {
        fundsim()
            .arg("calibrate")
            .args(QUICK)
            .args(["--threads", threads, "--out"])
            .arg(dir.path().join(threads))
            .assert()
            .success();
    }
    assert_eq!(
        assert_same_folder(&dir.path().join("1"), &dir.path().join("2")),
        4
    );
    let folder = dir.path().join("1");
    let posterior = fs::read_to_string(folder.join("posterior.csv")).unwrap();
    check_posterior(&posterior, 30, f64::INFINITY);
    let generations = fs::read_to_string(folder.join("generations.csv")).unwrap();
    assert!(generations.starts_with(
        "generation,tolerance,proposals,simulations,acceptance_rate,effective_sample_size\n0,inf,"
    ));
    let facts = fs::read_to_string(folder.join("facts.csv")).unwrap();
    assert_eq!(facts.lines().count(), 7, "{facts}");
    assert!(facts.contains("break_never_return,break_never_return,0.54,0.54,"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "calibrate --facts");
    assert_eq!(manifest["particles"], 30);
    assert_eq!(manifest["scenario_origin"], "built-in:popular-baseline");
    assert_eq!(manifest["params"].as_array().unwrap().len(), 4);
}

/// The printed fit: the posterior table, the facts at the posterior median with the
/// conflict among Calefato et al.'s figures, and the command that shows them.
#[test]
fn the_fit_prints_the_posterior_and_the_facts_at_its_median() {
    let dir = temp_dir();
    let quick: Vec<&str> = QUICK.iter().copied().filter(|a| *a != "--quiet").collect();
    fundsim()
        .arg("calibrate")
        .args(quick)
        .arg("--out")
        .arg(dir.path().join("fit"))
        .assert()
        .success()
        .stdout(predicate::str::contains("90% interval"))
        .stdout(predicate::str::contains("model.revival_hazard"))
        .stdout(predicate::str::contains(
            "fundsim facts --set portfolio.projects=300 --set model.attrition_hazard=",
        ))
        .stdout(predicate::str::contains(
            "These facts cannot all hold at once",
        ));
}

/// Bad input is refused with exit code 2 and a message naming what is wrong.
#[test]
fn bad_input_names_the_key() {
    let dir = temp_dir();
    let bad_facts = dir.path().join("facts.toml");
    fs::write(
        &bad_facts,
        fundsim::analysis::facts::BUILTIN_FACTS.replacen(
            "published = [0.124, 0.16]",
            "published = [0.3, 0.1]",
            1,
        ),
    )
    .unwrap();
    let facts_option = format!("--facts={}", bad_facts.display());
    let out = dir.path().join("never");
    let cases: [(Vec<&str>, &str); 7] = [
        (
            vec!["--facts", "--param", "model.attrition_hazrd=0.01:0.05"],
            "model.attrition_hazrd",
        ),
        (
            vec!["--facts", "--param", "model.attrition_hazard=0.05:0.01"],
            "LO must be below HI",
        ),
        (
            vec![
                "--facts",
                "--param",
                "model.attrition_hazard=0:0.05:log-uniform",
            ],
            "log-uniform prior needs LO > 0",
        ),
        (
            vec!["--facts", "--param", "model.attrition_hazard=0.01:9"],
            "model.attrition_hazard",
        ),
        (vec![facts_option.as_str()], "facts[0].published"),
        (vec!["--facts", "--particles", "1"], "--particles"),
        (
            vec![
                "stf",
                "--observed",
                "x.csv",
                "--param",
                "model.attrition_hazard=0.01:0.05",
                "--particles",
                "9",
            ],
            "--particles is an option of the fit to the facts",
        ),
    ];
    for (args, names) in cases {
        fundsim()
            .arg("calibrate")
            .args(&args)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(names));
    }
    fundsim()
        .args(["calibrate", "--facts", "--observed", "x.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    assert!(!out.exists());
}
