//! Honest edge cases: when strategies cannot differ (a zero budget, nobody eligible) and
//! when a strategy leaves part of the budget unspent, `validate`, `run` and `compare` warn
//! on stderr and the brief says so at the top, with the amount next to the strategy.

mod common;

use std::fs;
use std::path::Path;

use common::{fundsim_in, temp_dir};

/// A small, fast scenario: the default portfolio, an equal split (which spends each call's
/// budget exactly) and a lottery of fixed EUR 150,000 grants (which does not).
fn scenario(budget_eur: f64) -> String {
    format!(
        r#"name = "edge"
[fund]
budget_eur = {budget_eur:.1}
# Unlimited no-cost extension: no grant money comes back to be granted again, so the
# equal split commits exactly its calls' budgets.
extension_months = 1200
[[strategies]]
name = "equal-even"
rule = "equal"
[[strategies]]
name = "lottery"
rule = "lottery"
[run]
replications = 40
seed = 7
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

/// Runs `args` in `dir`, expecting success; returns (stdout, stderr).
fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let output = fundsim_in(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "fundsim {args:?} failed: {stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

/// The brief's notice box (empty when there is none).
fn notice(brief: &str) -> &str {
    match brief.find(r#"<aside class="notice" id="caveats""#) {
        Some(start) => {
            let end = brief[start..].find("</aside>").unwrap();
            &brief[start..start + end]
        }
        None => "",
    }
}

/// Mean of `metric` for `strategy` in a run folder's summary.csv.
fn summary_mean(folder: &Path, strategy: &str, metric: &str) -> f64 {
    let text = fs::read_to_string(folder.join("summary.csv")).unwrap();
    let row = text
        .lines()
        .find(|line| line.starts_with(&format!("{strategy},{metric},")))
        .unwrap_or_else(|| panic!("no {strategy} {metric} in summary.csv"));
    row.split(',').nth(2).unwrap().parse().unwrap()
}

#[test]
fn a_zero_budget_is_said_by_every_command_and_at_the_top_of_the_brief() {
    let dir = temp_dir();
    let file = write(dir.path(), "zero.toml", &scenario(0.0));
    let zero = "warning: The budget is EUR 0 (fund.budget_eur)";

    // A warning, not an error: a zero budget is a legitimate reference run.
    let (stdout, stderr) = ok(dir.path(), &["validate", &file]);
    assert!(stdout.contains("valid scenario"), "{stdout}");
    assert!(stderr.contains(zero), "validate: {stderr}");

    let (_, stderr) = ok(dir.path(), &["run", &file, "--out", "run", "--force"]);
    assert!(stderr.contains(zero), "run: {stderr}");
    assert_eq!(
        stderr.matches("warning:").count(),
        1,
        "one reason covers every row: {stderr}"
    );
    let brief = fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    assert!(
        notice(&brief).contains("The budget is EUR 0"),
        "no notice in the brief"
    );
    assert!(
        brief.find("id=\"caveats\"").unwrap() < brief.find("id=\"findings\"").unwrap(),
        "the notice comes before the findings"
    );
    assert!(
        !brief.contains("Each row is one way of spending"),
        "a zero budget is not spent in any way"
    );

    let (_, stderr) = ok(dir.path(), &["compare", &file]);
    assert!(stderr.contains(zero), "compare: {stderr}");

    // --quiet says nothing, as before.
    let (_, stderr) = ok(
        dir.path(),
        &["run", &file, "--out", "q", "-q", "--no-charts"],
    );
    assert!(stderr.is_empty(), "quiet: {stderr}");
}

#[test]
fn a_strategy_that_underspends_is_named_with_its_amount() {
    let dir = temp_dir();
    let file = write(dir.path(), "edge.toml", &scenario(24_600_000.0));
    let (_, stderr) = ok(dir.path(), &["validate", &file]);
    assert!(
        !stderr.contains("warning:"),
        "nothing to tell before the run: {stderr}"
    );

    let (_, stderr) = ok(dir.path(), &["run", &file, "--out", "run", "--force"]);
    let folder = dir.path().join("run");
    // The amount is the summary's: money paid plus overheads, which the budget covers.
    let spent = summary_mean(&folder, "lottery", "total_paid_eur")
        + summary_mean(&folder, "lottery", "overhead_eur");
    assert!(
        spent < 0.99 * 24_600_000.0,
        "the fixture must underspend: {spent}"
    );
    let note = format!("spent EUR {:.2}M of EUR 24.60M", spent / 1e6);
    assert!(
        stderr.contains(&format!(
            "warning: 'lottery' spent EUR {:.2}M of the EUR 24.60M budget",
            spent / 1e6
        )),
        "run: {stderr}"
    );
    // The equal split spends each call's budget exactly: no warning for it.
    assert!(!stderr.contains("'equal-even'"), "{stderr}");
    let equal = summary_mean(&folder, "equal-even", "total_paid_eur")
        + summary_mean(&folder, "equal-even", "overhead_eur");
    assert!(
        (equal - 24_600_000.0).abs() < 1.0,
        "equal-even spent {equal}"
    );

    let brief = fs::read_to_string(folder.join("report.html")).unwrap();
    assert!(notice(&brief).contains("lottery"), "no notice in the brief");
    assert!(
        brief.contains("Each row is one way of spending a budget of EUR 24.60M"),
        "the table's opening states the budget"
    );
    // The note sits in the lottery's row, next to its name, and in no other row.
    let row_start = brief.find("</span>lottery</strong>").expect("lottery row");
    let row = &brief[row_start..row_start + brief[row_start..].find("</tr>").unwrap()];
    assert!(row.contains(&note), "no amount next to the name: {row}");
    assert_eq!(brief.matches(&note).count(), 1);

    // `fundsim report` re-renders the same brief from the folder alone.
    ok(dir.path(), &["report", "run"]);
    assert_eq!(
        fs::read_to_string(folder.join("report.html")).unwrap(),
        brief
    );

    let (_, stderr) = ok(dir.path(), &["compare", &file]);
    assert!(
        stderr.contains("warning: 'lottery' spent"),
        "compare: {stderr}"
    );
}

#[test]
fn a_run_that_spends_its_budget_has_no_caveat() {
    let dir = temp_dir();
    let text = scenario(24_600_000.0).replace(
        "[[strategies]]\nname = \"lottery\"\nrule = \"lottery\"\n",
        "",
    );
    let file = write(dir.path(), "plain.toml", &text);
    let (_, stderr) = ok(dir.path(), &["run", &file, "--out", "run", "--force"]);
    assert!(!stderr.contains("warning:"), "{stderr}");
    let brief = fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    assert_eq!(notice(&brief), "");
    assert!(!brief.contains("spent EUR"));
}

#[test]
fn a_portfolio_with_nobody_eligible_is_said_before_the_run() {
    let dir = temp_dir();
    write(
        dir.path(),
        "dead.csv",
        "name,dependents,maintainers\na,100,0\nb,2000,0\nc,50,0\n",
    );
    let text = scenario(24_600_000.0).replace("[fund]", "[portfolio]\ncsv = \"dead.csv\"\n[fund]");
    let file = write(dir.path(), "dead.toml", &text);
    let (_, stderr) = ok(dir.path(), &["validate", &file]);
    assert!(
        stderr.contains("warning: No project of the portfolio has an active maintainer"),
        "{stderr}"
    );
    // Three projects, four calls, at most EUR 1M each plus overheads: about EUR 12.7M.
    assert!(
        stderr.contains("warning: The grants cannot absorb the EUR 24.60M budget")
            && stderr.contains("at most EUR 12.72M"),
        "{stderr}"
    );
}

#[test]
fn strategies_that_change_nothing_are_found_from_the_results() {
    let dir = temp_dir();
    // Nobody raises money elsewhere, so a matching fund has nothing to match.
    write(
        dir.path(),
        "unfunded.csv",
        "name,dependents,maintainers\na,100,1\nb,2000,2\nc,50,1\nd,800,3\n",
    );
    let matching_only = r#"name = "nothing-to-match"
[portfolio]
csv = "unfunded.csv"
[fund]
budget_eur = 1_000_000.0
[[strategies]]
name = "match"
rule = "matching"
[run]
replications = 20
seed = 5
"#;
    let file = write(dir.path(), "match.toml", matching_only);
    let (_, stderr) = ok(dir.path(), &["validate", &file]);
    assert!(
        !stderr.contains("warning:"),
        "only the results can tell: {stderr}"
    );
    let (_, stderr) = ok(dir.path(), &["run", &file, "--out", "run", "--force"]);
    assert!(
        stderr.contains(
            "warning: Every strategy's outcomes equal the baseline's in every replication"
        ),
        "{stderr}"
    );
    let brief = fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    assert!(
        notice(&brief).contains("Every strategy&#39;s outcomes equal the baseline&#39;s"),
        "the brief's notice, from the tables alone"
    );

    // Beside a strategy that pays, the one that paid nothing is named with its amount.
    let mixed = matching_only.replace(
        "[run]",
        "[[strategies]]\nname = \"equal-even\"\nrule = \"equal\"\n[run]",
    );
    let file = write(dir.path(), "mixed.toml", &mixed);
    let (_, stderr) = ok(dir.path(), &["run", &file, "--out", "mixed", "--force"]);
    assert!(
        stderr.contains("warning: 'match' spent EUR 0 of the EUR 1.00M budget (0%")
            && stderr.contains("the baseline under another name"),
        "{stderr}"
    );
    assert!(!stderr.contains("Every strategy's outcomes"), "{stderr}");
    let brief = fs::read_to_string(dir.path().join("mixed/report.html")).unwrap();
    assert!(
        brief.contains("spent EUR 0 of EUR 1.00M (0%)"),
        "the note in the table"
    );
}
