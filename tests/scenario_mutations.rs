//! A mutation corpus of bad scenarios, generated from the built-in STF scenario with one
//! strategy of every rule added: every numeric field of `[fund]`, `[model]`,
//! `[portfolio]` and `[run]` and every numeric parameter of every rule made a string, a
//! large negative number, NaN and infinite; broken TOML syntax; unknown sections and
//! fields (misspelt ones must get "did you mean"). Each mutant must be refused by
//! `fundsim validate` and `fundsim run --out DIR` with exit code 2, a message on stderr
//! naming the full key (`fund.budget_eur`, `strategies[3].power`), no panic, and nothing
//! written: no --out folder, no `outputs/`, no staging or checkpoint file.
//!
//! The fields are found from the validated scenario itself (its serialized form), so a
//! field or rule added later is mutated without editing this file.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use fundsim::scenario::parse_str;
use serde_json::Value;

mod common;
use common::{process_in, stf_text, temp_dir, tree};

/// Parameters a rule cannot do without, to give it in the base scenario.
const REQUIRED_PARAMS: [(&str, &str); 2] = [
    ("fixed", "amounts_eur = [120000.0, 80000.0]"),
    (
        "mix",
        "parts = [{ share = 0.5, rule = \"equal\" }, { share = 0.5, rule = \"audit\" }]",
    ),
];

/// The four ways every numeric field is broken: (kind, replacement for the value). A
/// large negative number rather than -1, since some fields accept small negatives.
const MUTATIONS: [(&str, Mutation); 4] = [
    ("string", Mutation::AsString),
    ("large negative", Mutation::Literal("-1e30")),
    ("NaN", Mutation::Literal("nan")),
    ("infinite", Mutation::Literal("inf")),
];

#[derive(Clone, Copy)]
enum Mutation {
    /// The field's valid value, quoted.
    AsString,
    Literal(&'static str),
}

/// Where a field lives: a named table or an entry of `[[strategies]]`.
#[derive(Clone, Debug, PartialEq)]
enum Table {
    Named(&'static str),
    Strategy(usize),
}

impl Table {
    fn path(&self) -> String {
        match self {
            Table::Named(name) => (*name).to_string(),
            Table::Strategy(index) => format!("strategies[{index}]"),
        }
    }
}

/// One numeric field of the base scenario.
#[derive(Clone, Debug)]
struct Field {
    table: Table,
    key: String,
    /// A valid value as TOML text (the first element's, for an array of numbers).
    valid: String,
    /// Whether the value is an array of numbers (`fixed`'s `amounts_eur`).
    array: bool,
}

impl Field {
    fn full_key(&self) -> String {
        format!("{}.{}", self.table.path(), self.key)
    }

    /// The line that sets the field to `value` (an array of one `value` for an array).
    fn line(&self, value: &str) -> String {
        if self.array {
            format!("{} = [{value}]", self.key)
        } else {
            format!("{} = {value}", self.key)
        }
    }
}

/// One bad scenario and what its message must contain.
struct Case {
    /// What was broken, for the failure list.
    label: String,
    text: String,
    /// The full key the message must name (as `key` in backquotes, or `key[` for an
    /// element of an array); `None` when the problem concerns no single key.
    key: Option<String>,
    /// Further words the message must contain (a suggestion, a line number).
    expect: Vec<String>,
    /// Also check `fundsim run` (always `fundsim validate`).
    run: bool,
}

// ----------------------------------------------------------------- the base scenario

/// The STF scenario with one more strategy for every rule it lacks, each with its
/// default parameters, so every rule's parameters can be mutated.
fn base() -> String {
    let mut text = stf_text().trim_end().to_string();
    text.push('\n');
    let present = rules_of(&parse(&text));
    for rule in fundsim::strategy::rule_names() {
        if present.iter().any(|r| r == rule) {
            continue;
        }
        let required = REQUIRED_PARAMS
            .iter()
            .find(|(name, _)| *name == rule)
            .map_or(String::new(), |(_, params)| format!("{params}\n"));
        write!(
            text,
            "\n[[strategies]]\nname = \"mutation-{rule}\"\nrule = \"{rule}\"\n{required}"
        )
        .unwrap();
        if let Err(error) = parse_str(&text, "base") {
            panic!("rule `{rule}` needs parameters: add them to REQUIRED_PARAMS\n{error}");
        }
    }
    text
}

/// The validated scenario, serialized: the source of the field list.
fn parse(text: &str) -> Value {
    let scenario = parse_str(text, "base").unwrap_or_else(|e| panic!("{e}\n{text}"));
    serde_json::to_value(&scenario).unwrap()
}

fn rules_of(scenario: &Value) -> Vec<String> {
    scenario["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"]["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Every numeric field of the tables and of the first strategy of each rule, with a
/// valid value.
fn numeric_fields(text: &str) -> Vec<Field> {
    let scenario = parse(text);
    let mut fields = Vec::new();
    let tables = [
        ("fund", &scenario["fund"]),
        ("model", &scenario["model"]),
        ("portfolio", &scenario["portfolio"]["synthetic"]),
        ("run", &scenario["run"]),
    ];
    for (name, values) in tables {
        let values = values
            .as_object()
            .unwrap_or_else(|| panic!("[{name}] is not a table in {scenario}"));
        for (key, value) in values {
            if value.is_number() {
                fields.push(Field {
                    table: Table::Named(name),
                    key: key.clone(),
                    valid: value.to_string(),
                    array: false,
                });
            }
        }
    }
    let mut seen_rules = Vec::new();
    for (index, strategy) in scenario["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let rule = strategy["rule"]["rule"].as_str().unwrap();
        if seen_rules.contains(&rule) {
            continue;
        }
        seen_rules.push(rule);
        let values = strategy["rule"].as_object().unwrap();
        let mut keys: Vec<String> = values.keys().filter(|k| *k != "rule").cloned().collect();
        // Optional parameters left out are not serialized: the rule's own list has them.
        for listed in listed_params(text, index) {
            if !keys.contains(&listed) {
                keys.push(listed);
            }
        }
        for key in keys {
            let field = |valid: String, array: bool| Field {
                table: Table::Strategy(index),
                key: key.clone(),
                valid,
                array,
            };
            match values.get(&key).unwrap_or(&Value::Null) {
                Value::Number(number) => fields.push(field(number.to_string(), false)),
                Value::Array(items) if items.first().is_some_and(Value::is_number) => {
                    fields.push(field(items[0].to_string(), true));
                }
                // An optional parameter left out: numeric if the rule takes a number.
                Value::Null => {
                    let probe = field("1".to_string(), false);
                    let probed = set_line(text, &probe.table, &key, &probe.line("1"));
                    if parse_str(&probed, "probe").is_ok() {
                        fields.push(probe);
                    }
                }
                _ => {}
            }
        }
    }
    fields
}

/// The parameters the rule of strategy `index` knows, as its message for an unknown
/// parameter lists them ("the parameters are `score`, `power`, `max_projects`").
fn listed_params(text: &str, index: usize) -> Vec<String> {
    let probe = add_line(text, &Table::Strategy(index), "no_such_parameter = 1");
    let Err(error) = parse_str(&probe, "probe") else {
        panic!("strategies[{index}] accepts an unknown parameter");
    };
    let message = error.to_string();
    let Some(at) = message.find("no_such_parameter") else {
        return Vec::new();
    };
    let listed = &message[at..];
    let listed = listed
        .find("the parameters are")
        .or_else(|| listed.find("expected"))
        .map_or("", |at| &listed[at..]);
    let listed = listed.lines().next().unwrap_or_default();
    listed
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !matches!(*name, "name" | "rule" | "timing"))
        .map(str::to_string)
        .collect()
}

// ----------------------------------------------------------------- editing the text

fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    Some(key.trim())
}

fn is_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

/// The line index of the table's header (`[fund]`, the n-th `[[strategies]]`).
fn header_index(lines: &[&str], table: &Table) -> usize {
    let found = match table {
        Table::Named(name) => lines
            .iter()
            .position(|line| line.trim() == format!("[{name}]")),
        Table::Strategy(index) => lines
            .iter()
            .enumerate()
            .filter(|(_, line)| line.trim() == "[[strategies]]")
            .nth(*index)
            .map(|(at, _)| at),
    };
    found.unwrap_or_else(|| panic!("no header for {table:?}"))
}

/// `text` with the line that sets `key` in `table` replaced by `new_line`, or with
/// `new_line` added below the table's header when the table does not set `key`.
fn set_line(text: &str, table: &Table, key: &str, new_line: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let header = header_index(&lines, table);
    let end = (header + 1..lines.len())
        .find(|&at| is_header(lines[at]))
        .unwrap_or(lines.len());
    match (header + 1..end).find(|&at| key_of(lines[at]) == Some(key)) {
        Some(at) => lines[at] = new_line,
        None => lines.insert(header + 1, new_line),
    }
    lines.join("\n") + "\n"
}

/// `text` with `new_line` added below the table's header.
fn add_line(text: &str, table: &Table, new_line: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let header = header_index(&lines, table);
    lines.insert(header + 1, new_line);
    lines.join("\n") + "\n"
}

/// `text` with its first occurrence of `from` replaced; panics when there is none, so a
/// case cannot silently test the unchanged scenario.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "no {from:?} in the base scenario");
    text.replacen(from, to, 1)
}

/// A misspelling: `name` without its middle letter.
fn misspelt(name: &str) -> String {
    let mut letters: Vec<char> = name.chars().collect();
    letters.remove(letters.len() / 2);
    letters.into_iter().collect()
}

// ----------------------------------------------------------------- the cases

/// The four mutations of every field for which `pick` holds; `run` for the first field of
/// each table (every kind of mutation is run, on every table).
fn numeric_cases(pick: impl Fn(&Field) -> bool) -> Vec<Case> {
    let text = base();
    let fields: Vec<Field> = numeric_fields(&text).into_iter().filter(pick).collect();
    assert!(!fields.is_empty(), "no fields to mutate");
    let mut cases = Vec::new();
    let mut run_tables = Vec::new();
    for field in &fields {
        // The edit itself is sound: the field set to its valid value still validates.
        let control = set_line(&text, &field.table, &field.key, &field.line(&field.valid));
        if let Err(error) = parse_str(&control, "control") {
            panic!("{}: the unmutated edit fails: {error}", field.full_key());
        }
        let run = !run_tables.contains(&field.table);
        if run {
            run_tables.push(field.table.clone());
        }
        for (kind, mutation) in MUTATIONS {
            let value = match mutation {
                Mutation::AsString => format!("\"{}\"", field.valid),
                Mutation::Literal(value) => value.to_string(),
            };
            cases.push(Case {
                label: format!("{} {kind} ({value})", field.full_key()),
                text: set_line(&text, &field.table, &field.key, &field.line(&value)),
                key: Some(field.full_key()),
                expect: Vec::new(),
                run,
            });
        }
    }
    cases
}

/// Broken TOML: each case names the key (or the table) on the broken line.
fn syntax_cases() -> Vec<Case> {
    let text = base();
    let case = |label: &str, text: String, key: Option<&str>, expect: &[&str]| Case {
        label: label.to_string(),
        text,
        key: key.map(str::to_string),
        expect: expect.iter().map(|e| e.to_string()).collect(),
        run: true,
    };
    let stray_line = header_index(
        &text.lines().collect::<Vec<_>>(),
        &Table::Named("portfolio"),
    ) + 2;
    vec![
        case(
            "unclosed table header",
            replace_once(&text, "[fund]\n", "[fund\n"),
            Some("fund"),
            &["expected `]`"],
        ),
        case(
            "key without a value",
            set_line(&text, &Table::Named("fund"), "budget_eur", "budget_eur ="),
            Some("fund.budget_eur"),
            &[],
        ),
        case(
            "thousands separators",
            set_line(
                &text,
                &Table::Named("fund"),
                "budget_eur",
                "budget_eur = 24,600,000",
            ),
            Some("fund.budget_eur"),
            &[],
        ),
        case(
            "duplicate key",
            add_line(&text, &Table::Named("model"), "hire_rate = 0.3"),
            Some("model.hire_rate"),
            &["duplicate key"],
        ),
        case(
            "duplicate table",
            text.clone() + "\n[fund]\nbudget_eur = 1.0\n",
            Some("fund"),
            &["duplicate"],
        ),
        case(
            "unterminated string",
            set_line(&text, &Table::Strategy(2), "name", "name = \"equal-front"),
            Some("strategies[2].name"),
            &[],
        ),
        case(
            "unquoted string",
            set_line(&text, &Table::Strategy(1), "timing", "timing = even"),
            Some("strategies[1].timing"),
            &[],
        ),
        case(
            "unclosed array",
            replace_once(
                &text,
                "amounts_eur = [120000.0, 80000.0]",
                "amounts_eur = [120000.0, 80000.0",
            ),
            None,
            &["expected"],
        ),
        case(
            "a line that is not TOML",
            add_line(&text, &Table::Named("portfolio"), "just some words"),
            None,
            &[&format!(".toml:{stray_line}:"), "expected `=`"],
        ),
        case(
            "a number for a table",
            replace_once(&text, "[fund]\n", "fund = 5\n[fund_]\n"),
            Some("fund"),
            &["expected a table"],
        ),
        case(
            "a table for the array of strategies",
            text.clone() + "\n[strategies]\nrule = \"equal\"\n",
            Some("strategies"),
            &[],
        ),
    ]
}

/// Unknown sections and fields in the tables, misspelt and not.
fn unknown_table_cases() -> Vec<Case> {
    let text = base();
    let mut cases = Vec::new();
    let case = |label: String, text: String, key: String, expect: Vec<String>| Case {
        label,
        text,
        key: Some(key),
        expect,
        run: true,
    };
    // Every field of every table, misspelt: the message names it and suggests the field.
    let document: toml::Table = toml::from_str(&text).unwrap();
    for table in ["fund", "model", "portfolio", "run"] {
        for key in document[table].as_table().unwrap().keys() {
            let wrong = misspelt(key);
            let mutated = set_line(
                &text,
                &Table::Named(table),
                key,
                &format!("{wrong} = {}", document[table][key]),
            );
            cases.push(Case {
                run: false,
                ..case(
                    format!("{table}.{key} misspelt as {wrong}"),
                    mutated,
                    format!("{table}.{wrong}"),
                    vec![format!("did you mean `{key}`?")],
                )
            });
        }
        cases.push(case(
            format!("an unknown field in [{table}]"),
            add_line(&text, &Table::Named(table), "colour = \"blue\""),
            format!("{table}.colour"),
            vec!["unknown field `colour`".into()],
        ));
    }
    cases.push(case(
        "a misspelt section".into(),
        replace_once(&text, "[run]\n", "[rnu]\n"),
        "rnu".into(),
        vec!["did you mean `run`?".into()],
    ));
    cases.push(case(
        "an unknown section".into(),
        text.clone() + "\n[colours]\nfund = \"blue\"\n",
        "colours".into(),
        vec!["unknown field `colours`".into()],
    ));
    cases.push(case(
        "an unknown sub-table".into(),
        replace_once(&text, "[model]\n", "[fund.limits]\ncap = 1.0\n\n[model]\n"),
        "fund.limits".into(),
        vec!["unknown field `limits`".into()],
    ));
    cases.push(case(
        "an unknown top-level key".into(),
        replace_once(&text, "\n[fund]\n", "\nbudget = 5.0\n\n[fund]\n"),
        "budget".into(),
        vec!["unknown field `budget`".into()],
    ));
    cases
}

/// Unknown parameters of strategies: misspelt ones of every rule that takes any, and
/// one given to a rule that takes none.
fn unknown_strategy_cases() -> Vec<Case> {
    let text = base();
    let mut cases = Vec::new();
    for field in numeric_fields(&text) {
        let Table::Strategy(index) = field.table else {
            continue;
        };
        let wrong = misspelt(&field.key);
        cases.push(Case {
            label: format!("{} misspelt as {wrong}", field.full_key()),
            text: set_line(&text, &field.table, &field.key, &format!("{wrong} = 1")),
            key: Some(format!("strategies[{index}].{wrong}")),
            expect: vec![format!("did you mean `{}`?", field.key)],
            run: true,
        });
    }
    cases.push(Case {
        label: "a parameter for a rule that takes none".into(),
        text: add_line(&text, &Table::Strategy(1), "power = 1.0"),
        key: Some("strategies[1].power".into()),
        expect: Vec::new(),
        run: true,
    });
    cases
}

// ----------------------------------------------------------------- checking

/// Runs every case through `fundsim validate` (and `fundsim run --out` where asked) and
/// returns a description of each failing case.
fn failures(cases: &[Case]) -> Vec<String> {
    let scenarios = temp_dir();
    let work = temp_dir();
    let mut failures = Vec::new();
    for (number, case) in cases.iter().enumerate() {
        let name = format!("mutant-{number}.toml");
        let file = scenarios.path().join(&name);
        fs::write(&file, &case.text).unwrap();
        let out = work.path().join("out");
        let mut commands = vec![vec!["validate".into(), file.display().to_string()]];
        if case.run {
            commands.push(vec![
                "run".into(),
                file.display().to_string(),
                "--out".into(),
                out.display().to_string(),
            ]);
        }
        let mut failed = Vec::new();
        for args in commands {
            let output = process_in(work.path()).args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let mut problems = Vec::new();
            if output.status.code() != Some(2) {
                problems.push(format!("exit code {:?}, expected 2", output.status.code()));
            }
            if stderr.contains("panicked") {
                problems.push("a panic".into());
            }
            if !stderr.contains(&name) {
                problems.push(format!("the message does not name the file {name}"));
            }
            if let Some(key) = &case.key
                && !names_key(&stderr, key)
            {
                problems.push(format!("the message does not name `{key}`"));
            }
            for word in &case.expect {
                if !stderr.contains(word.as_str()) {
                    problems.push(format!("no {word:?} in the message"));
                }
            }
            let left = tree(work.path());
            if !left.is_empty() {
                problems.push(format!("it wrote {left:?}"));
                for entry in fs::read_dir(work.path()).unwrap() {
                    let path = entry.unwrap().path();
                    let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
                }
            }
            if !problems.is_empty() {
                failed.push(format!(
                    "  fundsim {}: {}\n    stderr: {}",
                    args[0],
                    problems.join("; "),
                    stderr.trim().replace('\n', "\n            ")
                ));
            }
        }
        if !failed.is_empty() {
            failures.push(format!("{}\n{}", case.label, failed.join("\n")));
        }
    }
    failures
}

/// Whether `message` names `key` in full: as `key`, or as an element `key[…]`.
fn names_key(message: &str, key: &str) -> bool {
    message.contains(&format!("`{key}`")) || message.contains(&format!("`{key}["))
}

fn assert_all_refused(what: &str, cases: &[Case]) {
    let failures = failures(cases);
    assert!(
        failures.is_empty(),
        "{} of {} {what} were not refused as they should be:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_numeric_field_of_the_tables_made_a_string_negative_nan_or_infinite_is_refused() {
    let cases = numeric_cases(|field| matches!(field.table, Table::Named(_)));
    let fields = cases.len() / MUTATIONS.len();
    // [fund] 11, [model] 25, [portfolio] 11, [run] 2 numeric fields today.
    assert!(fields >= 45, "only {fields} numeric fields found");
    for table in ["fund", "model", "portfolio", "run"] {
        assert!(
            cases
                .iter()
                .any(|c| c.run && c.label.starts_with(&format!("{table}."))),
            "`fundsim run` is not tried on [{table}]"
        );
    }
    assert_all_refused("mutated table fields", &cases);
}

#[test]
fn every_numeric_strategy_parameter_made_a_string_negative_nan_or_infinite_is_refused() {
    let cases = numeric_cases(|field| matches!(field.table, Table::Strategy(_)));
    // proportional, risk_targeted, competitive, lottery, quadratic, milestone and fixed
    // take numeric parameters today.
    assert!(
        cases.len() / MUTATIONS.len() >= 20,
        "only {} strategy parameters found",
        cases.len() / MUTATIONS.len()
    );
    assert_all_refused("mutated strategy parameters", &cases);
}

#[test]
fn broken_toml_syntax_is_refused_with_the_key_on_the_broken_line() {
    assert_all_refused("broken scenarios", &syntax_cases());
}

#[test]
fn unknown_sections_and_fields_are_refused_and_misspelt_ones_get_a_suggestion() {
    assert_all_refused("scenarios with unknown names", &unknown_table_cases());
}

#[test]
fn unknown_strategy_parameters_are_refused_with_the_full_key_and_a_suggestion() {
    assert_all_refused(
        "scenarios with unknown strategy parameters",
        &unknown_strategy_cases(),
    );
}

/// The corpus itself: the base scenario is valid, carries every rule, and the scenario
/// text edits change exactly the line they claim to.
#[test]
fn the_mutation_corpus_starts_from_a_valid_scenario_with_every_rule() {
    let text = base();
    let rules = rules_of(&parse(&text));
    for rule in fundsim::strategy::rule_names() {
        assert!(rules.iter().any(|r| r == rule), "no `{rule}` strategy");
    }
    let fund = Table::Named("fund");
    let edited = set_line(&text, &fund, "budget_eur", "budget_eur = 5.0");
    assert_eq!(edited.lines().count(), text.lines().count());
    assert!(edited.contains("\nbudget_eur = 5.0\n"));
    let added = set_line(
        &text,
        &fund,
        "endowment_real_return",
        "endowment_real_return = 0.1",
    );
    assert_eq!(added.lines().count(), text.lines().count() + 1);
    assert_eq!(
        parse(&added)["fund"]["endowment_real_return"].as_f64(),
        Some(0.1)
    );
    // Optional parameters, which a validated scenario leaves out, are mutated too.
    let fields: Vec<String> = numeric_fields(&text).iter().map(Field::full_key).collect();
    for expected in [
        "strategies[3].power",
        "strategies[3].max_projects",
        "fund.endowment_real_return",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} is not mutated: {fields:?}"
        );
    }
    let power = set_line(&text, &Table::Strategy(3), "power", "power = 2.5");
    assert_eq!(
        parse(&power)["strategies"][3]["rule"]["power"].as_f64(),
        Some(2.5)
    );
    assert!(Path::new(common::BIN).is_file());
}
