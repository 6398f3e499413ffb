//! The brief, `compare`, the printed table of `fundsim run` and `ranking.csv` give the
//! same verdict on the same run, strategy by strategy, for survival and usage-weighted
//! survival: one verdict logic (`analysis::verdict`), read by every output. Issue 19 saw
//! `compare` call a strategy clearly behind while the brief called it too close to tell
//! apart; these runs would show any such split again.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

mod common;
use common::{fundsim_in, temp_dir};

const METRICS: [&str; 2] = ["survival_at_horizon", "weighted_survival_at_horizon"];

/// The words a verdict may have in a table.
const LABELS: [&str; 5] = [
    "best",
    "identical",
    "cannot be told apart",
    "practically equal",
    "clearly behind",
];

/// Per strategy: (rank, verdict, mean, difference to best, its interval).
type Verdicts = BTreeMap<String, (usize, String, f64, f64, f64, f64)>;

fn stdout_of(dir: &Path, args: &[&str]) -> String {
    let output = fundsim_in(dir).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "fundsim {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// The rows of a CSV text whose `metric` column is `metric`, by strategy.
fn verdicts(csv_text: &str, metric: &str, difference: &str) -> Verdicts {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (low, high) = if difference == "vs_best" {
        ("vs_best_ci_low", "vs_best_ci_high")
    } else {
        ("ci_low", "ci_high")
    };
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[column("metric")] == metric)
        .map(|r| {
            (
                r[column("strategy")].to_string(),
                (
                    r[column("rank")].parse().unwrap(),
                    r[column("verdict")].to_string(),
                    number(&r[column("mean")]),
                    number(&r[column(difference)]),
                    number(&r[column(low)]),
                    number(&r[column(high)]),
                ),
            )
        })
        .collect()
}

/// The text of an HTML file with tags removed and the entities `escape` writes decoded.
fn plain_html(path: &Path) -> String {
    let html = fs::read_to_string(path).unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The last non-empty line of `compare`'s table: its verdict sentence.
fn sentence_of(table: &str) -> String {
    table
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .to_string()
}

/// `sentence` as it reads after a colon: its first letter in lower case.
fn as_clause(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// Runs `scenario` with `args` (run folder with its brief, and `compare` by each metric)
/// and checks that every output says the same; returns the verdicts by metric.
fn agree(dir: &Path, scenario: &str, args: &[&str]) -> BTreeMap<&'static str, Verdicts> {
    let out = dir.join("run");
    let mut run = vec!["run", scenario, "--out", "run", "--force", "--no-charts"];
    run.extend(args);
    let printed = stdout_of(dir, &run);
    stdout_of(dir, &["report", "run", "--quiet"]);
    let ranking = fs::read_to_string(out.join("ranking.csv")).unwrap();
    let brief = plain_html(&out.join("report.html"));
    let mut all = BTreeMap::new();
    for metric in METRICS {
        let mut compare = vec!["compare", scenario, "--by", metric];
        compare.extend(args);
        let table = stdout_of(dir, &compare);
        let mut csv_args = compare.clone();
        csv_args.extend(["--format", "csv"]);
        let compared = verdicts(&stdout_of(dir, &csv_args), metric, "vs_best");
        let ranked = verdicts(&ranking, metric, "difference_to_best");
        assert!(!ranked.is_empty(), "{metric}: no rows in ranking.csv");
        assert_eq!(
            compared.keys().collect::<Vec<_>>(),
            ranked.keys().collect::<Vec<_>>(),
            "{metric}: the same strategies"
        );
        for (strategy, row) in &ranked {
            let other = &compared[strategy];
            assert!(LABELS.contains(&row.1.as_str()), "{metric}: {}", row.1);
            assert_eq!(
                (row.0, &row.1),
                (other.0, &other.1),
                "{metric}, {strategy}: ranking.csv says {row:?}, compare says {other:?}"
            );
            // The same numbers behind the verdict (the same accumulator, the same seed).
            for (a, b) in [
                (row.2, other.2),
                (row.3, other.3),
                (row.4, other.4),
                (row.5, other.5),
            ] {
                assert!(
                    a == b || (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                    "{metric}, {strategy}: {row:?} against {other:?}"
                );
            }
        }
        // One sentence, word for word, in compare, the printed table and the brief (after
        // a label and a colon, its first letter in lower case).
        let sentence = sentence_of(&table);
        let clause = as_clause(&sentence);
        assert!(
            printed.contains(&format!(": {clause}")),
            "{metric}: the printed table of `run` lacks {clause:?}:\n{printed}"
        );
        assert!(
            brief.contains(&sentence) || brief.contains(&format!(": {clause}")),
            "{metric}: the brief lacks {sentence:?}"
        );
        all.insert(metric, ranked);
    }
    all
}

/// The `fundsim init` template with an STF-like open call added (issue 19, item 1).
fn template_with_open_call(dir: &Path, extra: &str) -> String {
    stdout_of(dir, &["init", "my.toml"]);
    let mut text = fs::read_to_string(dir.join("my.toml")).unwrap();
    text.push_str(
        "\n[[strategies]]\nname = \"open-call\"\nrule = \"competitive\"\ntiming = \"even\"\nreview_noise = 1.0\n",
    );
    text.push_str(extra);
    fs::write(dir.join("my.toml"), text).unwrap();
    "my.toml".to_string()
}

#[test]
fn the_template_with_an_open_call_gets_one_verdict_everywhere() {
    let dir = temp_dir();
    let scenario = template_with_open_call(dir.path(), "");
    let verdicts = agree(dir.path(), &scenario, &["-n", "160"]);
    for ranked in verdicts.values() {
        let best: Vec<_> = ranked.values().filter(|r| r.1 == "best").collect();
        assert_eq!(best.len(), 1, "{ranked:?}");
    }
}

#[test]
fn a_zero_budget_makes_every_strategy_identical_and_no_one_best() {
    let dir = temp_dir();
    let scenario = template_with_open_call(dir.path(), "");
    let verdicts = agree(
        dir.path(),
        &scenario,
        &["-n", "64", "--set", "fund.budget_eur=0"],
    );
    for ranked in verdicts.values() {
        assert!(ranked.values().all(|r| r.1 == "identical"), "{ranked:?}");
    }
    let brief = plain_html(&dir.path().join("run/report.html"));
    assert!(!brief.contains("does best"), "{brief}");
    assert!(!brief.contains(" is best"), "{brief}");
    assert!(brief.contains("none does better than another"), "{brief}");
}

#[test]
fn the_built_in_scenario_with_few_replications() {
    let dir = temp_dir();
    let verdicts = agree(dir.path(), "stf", &["-n", "96"]);
    assert_eq!(verdicts["survival_at_horizon"].len(), 5);
}

#[test]
fn a_copy_of_a_strategy_ties_with_it() {
    let dir = temp_dir();
    // The same rule and timing under another name: exactly the same in every replication.
    let scenario = template_with_open_call(
        dir.path(),
        "\n[[strategies]]\nname = \"equal-front-copy\"\nrule = \"equal\"\ntiming = \"front_loaded\"\n",
    );
    let verdicts = agree(dir.path(), &scenario, &["-n", "96", "--no-uncertainty"]);
    let survival = &verdicts["survival_at_horizon"];
    let (original, copy) = (&survival["equal-front"], &survival["equal-front-copy"]);
    assert_eq!(original.2, copy.2, "the same mean");
    let verdict_pair = [original.1.as_str(), copy.1.as_str()];
    assert!(
        verdict_pair.contains(&"identical"),
        "one of the two is identical to the other: {verdict_pair:?}"
    );
}
