//! Every scenario in `scenarios/` parses, is built in under its file name, and runs.

use std::sync::atomic::AtomicBool;

use fundsim::engine::{RunConfig, run};
use fundsim::input::synthetic_portfolio;
use fundsim::scenario::{BUILTIN_SCENARIOS, parse_str};
use fundsim::stats::Metric;

#[test]
fn every_scenario_file_is_built_in_and_runs() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = parse_str(&text, &path.display().to_string()).unwrap();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(
            scenario.name,
            stem,
            "{}: the name should match the file",
            path.display()
        );
        if let Some((_, built_in)) = BUILTIN_SCENARIOS.iter().find(|(name, _)| *name == stem) {
            assert_eq!(*built_in, text, "{stem}: the built-in copy is the file");
        }
        assert!(
            text.starts_with('#'),
            "{stem}: a comment block says what the scenario asks"
        );
        let Ok(portfolio) = synthetic_portfolio(&scenario) else {
            continue;
        };
        let projects = portfolio.projects.len();
        if projects > 200 {
            continue; // Large portfolios are exercised by their own tests.
        }
        let config = RunConfig::new(8, 1);
        let result = run(
            &scenario,
            portfolio,
            &config,
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        for (strategy, acc) in scenario
            .strategies
            .iter()
            .zip(&result.accumulator.strategies)
        {
            assert_eq!(acc.replications, 8);
            let paid = acc.metric(Metric::TotalPaidEur).mean;
            if strategy.rule.funds() {
                assert!(
                    paid > 0.0,
                    "{stem}/{}: a funding strategy pays something",
                    strategy.name
                );
            } else {
                assert_eq!(paid, 0.0);
            }
        }
    }
}

/// The scenarios that list every `[model]` field "so that this file shows every
/// assumption" list the defaults of `src/params/model.rs`: a change of a default (such as
/// the calibrated defaults of the fit to the stylised facts) cannot leave them behind.
#[test]
fn scenarios_that_list_the_model_defaults_list_the_current_ones() {
    for name in ["stf", "sensitivity"] {
        let (_, text) = BUILTIN_SCENARIOS.iter().find(|(n, _)| *n == name).unwrap();
        let scenario = parse_str(text, name).unwrap();
        assert_eq!(
            scenario.model,
            fundsim::params::ModelParams::default(),
            "{name}: its [model] table should hold the defaults"
        );
    }
}
