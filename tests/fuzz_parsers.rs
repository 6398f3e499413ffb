//! Byte-level fuzzing of the parsers, driven by proptest (the toolchain is stable, so no
//! `cargo fuzz`): the built-in scenarios and valid portfolio CSVs are mutated — bits
//! flipped, bytes and TOML/CSV tokens inserted, ranges deleted, lines duplicated, files
//! cut short, numbers replaced by extreme ones — and fed to
//! [`fundsim::scenario::parse_str`], [`fundsim::scenario::parse_with_overrides`] and
//! [`fundsim::portfolio::Portfolio::from_csv`].
//!
//! Nothing may panic; an error must say something; and whatever is accepted must be
//! usable: a scenario that validates is simulated for one replication (when small), a
//! portfolio that loads has finite attributes and unique names. Case counts bound the
//! time (a few seconds in release mode; see [`cases`] for a longer hunt). Crashes found become the regression tests at
//! the end of this file.

use std::sync::atomic::AtomicBool;

use fundsim::engine::{RunConfig, run};
use fundsim::input::synthetic_portfolio;
use fundsim::params::{ModelParams, PortfolioSpec};
use fundsim::portfolio::Portfolio;
use fundsim::scenario::{BUILTIN_SCENARIOS, Scenario, parse_str, parse_with_overrides};
use proptest::prelude::*;
use proptest::sample::Index;

/// Cases per fuzz test: `default`, or `FUNDSIM_FUZZ_CASES` for a longer hunt, e.g.
/// `FUNDSIM_FUZZ_CASES=200000 cargo test --release --test fuzz_parsers`.
fn cases(default: u32) -> u32 {
    std::env::var("FUNDSIM_FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// Tokens worth inserting: TOML and CSV syntax, and values at the edges of types.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "\n",
    "\r\n",
    "\r",
    "#",
    ",",
    ".",
    "{",
    "}",
    "\\",
    "\u{feff}",
    "\0",
    "nan",
    "inf",
    "-inf",
    "+inf",
    "-0",
    "1e400",
    "-1",
    "0",
    "18446744073709551616",
    "99999999999999999999999",
    "1_000",
    "0x10",
    "true",
    "[[strategies]]\n",
    "[fund]\n",
    "[portfolio]\n",
    "[model]\n",
    "[run]\n",
    "rule = \"lottery\"\n",
    "rule = \"none\"\n",
    "timing = \"endowment\"\n",
    "csv = \"x.csv\"\n",
    "projects = 0\n",
    "replications = 0\n",
    "name = \"\"\n",
    "\"a,b\"",
    "\"\n\"",
    "é",
    "\u{202e}",
    "😀",
];

/// Numbers to put in place of a number of the text.
fn extreme_number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| x.to_string()),
        any::<i64>().prop_map(|x| x.to_string()),
        any::<u64>().prop_map(|x| x.to_string()),
        (0u32..2_000).prop_map(|x| x.to_string()),
        (-1.0..2.0f64).prop_map(|x| x.to_string()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("4294967296".to_string()),
        Just("0.0".to_string()),
        Just("".to_string()),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    Truncate(Index),
    InsertBytes(Index, Vec<u8>),
    InsertToken(Index, Index),
    Delete(Index, usize),
    DuplicateLine(Index),
    ReplaceNumber(Index, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::InsertBytes(at, bytes)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(at, token)| Mutation::InsertToken(at, token)),
        2 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete(at, len)),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        5 => (any::<Index>(), extreme_number()).prop_map(|(which, n)| Mutation::ReplaceNumber(which, n)),
    ]
}

/// Byte ranges of the numbers in `bytes` (a digit, then digits, `.`, `_`, `e`, signs).
fn numbers(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || matches!(bytes[i], b'.' | b'_' | b'e' | b'E' | b'-' | b'+'))
            {
                i += 1;
            }
            found.push((start, i));
        } else {
            i += 1;
        }
    }
    found
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let len = bytes.len();
        let at = |index: &Index| if len == 0 { 0 } else { index.index(len + 1) };
        match mutation {
            Mutation::FlipBit(index, bit) if len > 0 => bytes[index.index(len)] ^= 1 << bit,
            Mutation::Truncate(index) => bytes.truncate(at(index)),
            Mutation::InsertBytes(index, new) => {
                let at = at(index);
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::InsertToken(index, token) => {
                let at = at(index);
                let token = TOKENS[token.index(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            Mutation::Delete(index, count) => {
                let start = at(index).min(len);
                bytes.drain(start..(start + count).min(len));
            }
            Mutation::DuplicateLine(index) => {
                let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
                if !lines.is_empty() {
                    let which = index.index(lines.len());
                    let copy = lines[which].to_vec();
                    let start: usize = lines[..which].iter().map(|l| l.len()).sum();
                    bytes.splice(start..start, copy);
                }
            }
            Mutation::ReplaceNumber(index, number) => {
                let spans = numbers(&bytes);
                if !spans.is_empty() {
                    let (start, end) = spans[index.index(spans.len())];
                    bytes.splice(start..end, number.bytes());
                }
            }
            Mutation::FlipBit(..) => {}
        }
    }
    bytes
}

/// A valid scenario is usable: when it is small, one replication of it simulates.
fn simulate_if_small(scenario: &Scenario) {
    let PortfolioSpec::Synthetic(spec) = &scenario.portfolio else {
        return;
    };
    let size = u64::from(spec.projects)
        * u64::from(scenario.fund.horizon_months)
        * scenario.strategies.len() as u64
        * (scenario.max_calls() as u64 + 1);
    if size > 2_000_000 {
        return;
    }
    let portfolio = synthetic_portfolio(scenario).expect("a synthetic portfolio always draws");
    let config = RunConfig::new(1, scenario.run.seed);
    let result = run(
        scenario,
        portfolio,
        &config,
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("an uncancelled run finishes");
    assert_eq!(result.accumulator.replications(), 1);
}

fn check_scenario_text(text: &str) {
    match parse_str(text, "fuzz.toml") {
        Ok(scenario) => {
            assert!(scenario.fund.horizon_months >= scenario.fund.programme_months);
            assert!(!scenario.strategies.is_empty());
            assert_eq!(scenario.hash().len(), 64);
            simulate_if_small(&scenario);
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("fuzz.toml"), "{message}");
            assert!(!error.issues.is_empty());
            assert!(
                error
                    .issues
                    .iter()
                    .all(|issue| !issue.problem.trim().is_empty()),
                "{message}"
            );
        }
    }
}

/// Valid portfolio CSVs to start from: the test fixture and the corpus' valid ones.
fn csv_seeds() -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        "tests/fixtures/portfolio.csv",
        "tests/bad_inputs/csv/valid-bom-crlf-quoted.csv",
        "tests/bad_inputs/csv/valid-plain.csv",
    ]
    .iter()
    .map(|path| std::fs::read(root.join(path)).unwrap())
    .collect()
}

fn check_csv(bytes: &[u8]) {
    let model = ModelParams::default();
    match Portfolio::from_csv(bytes, "fuzz.csv", &model) {
        Ok(portfolio) => {
            assert!(!portfolio.projects.is_empty());
            let mut names = std::collections::HashSet::new();
            for project in &portfolio.projects {
                assert!(
                    names.insert(project.name.clone()),
                    "duplicate {}",
                    project.name
                );
                assert!(!project.name.is_empty());
                for value in [
                    project.dependents,
                    project.criticality,
                    project.volunteer_hours,
                    project.work_rate,
                    project.vuln_rate,
                    project.absorption,
                    project.backlog,
                    project.baseline_funding,
                ] {
                    assert!(value.is_finite() && value >= 0.0, "{project:?}");
                }
                assert!(project.criticality <= 1.0, "{project:?}");
            }
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.starts_with("fuzz.csv"), "{message}");
            assert!(!error.problem.trim().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1_500), ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_never_panic_and_valid_ones_run(
        base in 0..BUILTIN_SCENARIOS.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let bytes = apply(BUILTIN_SCENARIOS[base].1.as_bytes().to_vec(), &mutations);
        // The binary refuses non-UTF-8 before parsing; the parser sees text.
        check_scenario_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_portfolio_csvs_never_panic_and_loaded_ones_are_sane(
        seed in 0usize..3,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let bytes = apply(csv_seeds()[seed].clone(), &mutations);
        check_csv(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_either_parser(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_scenario_text(&String::from_utf8_lossy(&bytes));
        check_csv(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), ..ProptestConfig::default() })]

    /// Overrides by dotted path, with paths that exist, that do not, and extreme values.
    #[test]
    fn overrides_with_any_path_and_value_never_panic(
        base in 0..BUILTIN_SCENARIOS.len(),
        path in prop_oneof![
            Just("fund.budget_eur".to_string()),
            Just("fund.horizon_months".to_string()),
            Just("portfolio.projects".to_string()),
            Just("model.attrition_hazard".to_string()),
            Just("run.replications".to_string()),
            Just("strategies[1].power".to_string()),
            Just("strategies[99].power".to_string()),
            Just("strategies[x].power".to_string()),
            Just("name".to_string()),
            Just("fund".to_string()),
            Just("".to_string()),
            Just("a..b".to_string()),
            "[a-z_\\[\\]0-9.]{0,24}",
        ],
        value in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), Just(1e300), Just(0.0)],
    ) {
        let (name, text) = BUILTIN_SCENARIOS[base];
        match parse_with_overrides(text, name, &[(path.as_str(), value)]) {
            Ok(scenario) => simulate_if_small(&scenario),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}

/// Regression tests: inputs the fuzzers above once found, or that sit on edges they
/// explore. Each must be refused or accepted cleanly.
#[test]
fn regressions() {
    for text in [
        "",
        "\u{feff}",
        "name = \"x\"\n[[strategies]]\nrule = \"equal\"\n[fund]\nhorizon_months = 4294967295\n",
        "name = \"x\"\n[[strategies]]\nrule = \"equal\"\n[portfolio]\nprojects = 4294967296\n",
        "name = \"x\"\n[[strategies]]\nrule = \"equal\"\n[run]\nreplications = 18446744073709551615\n",
        "name = \"x\"\n[[strategies]]\nrule = \"equal\"\n[model]\nreference_dependents = 1e-300\n",
        "name = \"x\"\n[[strategies]]\n[[strategies]]\n",
        "[[strategies]]\nrule = \"equal\"\nname = \"\u{202e}\"\n",
    ] {
        check_scenario_text(text);
    }
    for bytes in [
        &b""[..],
        b"\xef\xbb\xbf",
        b"name,dependents,maintainers",
        b"name,dependents,maintainers\n\"",
        b"name,dependents,maintainers\r\r\r\na,1,1",
        b"name,dependents,maintainers\na,1e308,4294967296\n",
        b"name,dependents,maintainers,criticality\na,0,0,\nb,0,0,\n",
    ] {
        check_csv(bytes);
    }
}
