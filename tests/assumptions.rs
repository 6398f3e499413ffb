//! Every number docs/calibration.md admits to having no study behind (status ASSUMPTION,
//! wholly or partly) must be varied by the built-in `sensitivity` scenario, over the range
//! that file gives, unless it is a choice rather than an uncertain fact. The doc and the
//! scenario are edited by different people at different times: this test keeps them
//! together, so the sensitivity report never silently skips an assumption (as it once
//! skipped `model.hire_rate`, on which the recommended strategy turned).

use std::collections::BTreeMap;
use std::path::Path;

use fundsim::scenario::{builtin, parse_str};

/// Fields marked ASSUMPTION that the scenario deliberately does not vary, each with why.
/// Keep in step with the comment at the top of `scenarios/sensitivity.toml`'s
/// `[sensitivity]` table.
const NOT_VARIED: [(&str, &str); 6] = [
    // Policy: how long the fund gives money is what a funder decides, not what we are
    // unsure of; `fundsim sweep` explores it.
    ("fund.programme_months", "a policy input"),
    // Design: the window the analysis looks through, not a property of the world.
    ("fund.horizon_months", "a design choice"),
    // Policy: how often the fund decides; `fundsim sweep` explores it.
    ("fund.call_interval_months", "a policy input"),
    // A yes/no contract term: a boolean has no range to sample.
    ("fund.clawback_on_abandonment", "a boolean"),
    // Read only by the `endowment` timing, which none of the scenario's strategies uses:
    // its index would be exactly 0 by construction.
    (
        "fund.endowment_real_return",
        "unused by the scenario's strategies",
    ),
    // The baseline is unfunded by definition; funding it would change the question.
    ("portfolio.baseline_funding_eur", "a design choice"),
];

/// One row of a parameter table of docs/calibration.md.
#[derive(Debug)]
struct Row {
    /// Dotted path, e.g. `model.hire_rate`.
    path: String,
    /// The "range for sensitivity" cell.
    range: String,
    /// The status cell (last column).
    status: String,
}

/// The rows of the `[fund]`, `[portfolio]` and `[model]` tables, with the section mapped
/// to the first part of the dotted path. A row is a table line whose first cell is a
/// backticked field name; other tables of the file (status codes, strategy figures) sit
/// under other headings and are skipped.
fn parameter_rows(markdown: &str) -> Vec<Row> {
    let mut section: Option<&str> = None;
    let mut rows = Vec::new();
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = ["fund", "portfolio", "model"]
                .into_iter()
                .find(|name| heading.trim() == format!("`[{name}]`"));
            continue;
        }
        let Some(section) = section else { continue };
        let Some(inner) = line.trim().strip_prefix('|') else {
            continue;
        };
        let cells: Vec<&str> = inner
            .trim_end_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let Some(field) = cells
            .first()
            .and_then(|cell| cell.strip_prefix('`'))
            .and_then(|cell| cell.strip_suffix('`'))
        else {
            continue;
        };
        assert!(
            cells.len() >= 3,
            "docs/calibration.md, [{section}] row {field}: too few cells"
        );
        rows.push(Row {
            path: format!("{section}.{field}"),
            range: cells[2].to_string(),
            status: cells[cells.len() - 1].to_string(),
        });
    }
    rows
}

/// The first `a–b` range of a cell, as numbers (thousands separators dropped), e.g.
/// `0–30,000 (A)` → (0, 30000), `0.009–0.056 (10–49% a year)` → (0.009, 0.056).
fn first_range(cell: &str) -> Option<(f64, f64)> {
    let number = |text: &str, from_end: bool| -> Option<f64> {
        let is_part = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
        let digits: String = if from_end {
            let tail: Vec<char> = text.chars().rev().take_while(|c| is_part(*c)).collect();
            tail.into_iter().rev().collect()
        } else {
            text.chars().take_while(|c| is_part(*c)).collect()
        };
        digits.trim_matches(',').replace(',', "").parse().ok()
    };
    let (before, after) = cell.split_once('–')?;
    Some((
        number(before.trim_end(), true)?,
        number(after.trim_start(), false)?,
    ))
}

fn calibration_doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/calibration.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The built-in scenario's uncertain inputs: path → (low, high) of its distribution.
fn varied_by_the_sensitivity_scenario() -> BTreeMap<String, (f64, f64)> {
    let scenario = parse_str(builtin("sensitivity").unwrap(), "sensitivity").unwrap();
    let spec = scenario.sensitivity.expect("a [sensitivity] table");
    spec.parameters
        .iter()
        .map(|p| (p.path.clone(), p.distribution.range()))
        .collect()
}

fn assumptions(rows: &[Row]) -> Vec<&Row> {
    rows.iter()
        .filter(|row| row.status.contains("ASSUMPTION"))
        .collect()
}

#[test]
fn the_sensitivity_scenario_varies_every_assumption_of_the_calibration_doc() {
    let rows = parameter_rows(&calibration_doc());
    // A renamed heading or a reshaped table would leave nothing to check: the three
    // tables hold some forty fields, most of them assumptions.
    for section in ["fund.", "portfolio.", "model."] {
        assert!(
            rows.iter().filter(|r| r.path.starts_with(section)).count() >= 8,
            "docs/calibration.md: the {section} table was not found or lost its rows"
        );
    }
    let assumed = assumptions(&rows);
    assert!(
        assumed.len() >= 20,
        "only {} ASSUMPTION rows",
        assumed.len()
    );

    let varied = varied_by_the_sensitivity_scenario();
    let excluded: BTreeMap<&str, &str> = NOT_VARIED.into_iter().collect();
    let missing: Vec<String> = assumed
        .iter()
        .filter(|row| !varied.contains_key(&row.path) && !excluded.contains_key(row.path.as_str()))
        .map(|row| format!("{} (range {}; status {})", row.path, row.range, row.status))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/calibration.md marks these as ASSUMPTION but scenarios/sensitivity.toml does \
         not vary them: add them to its [sensitivity] table with the doc's range, or to \
         NOT_VARIED with the reason:\n  {}",
        missing.join("\n  ")
    );
}

/// Not only the assumptions: a fitted or derived field the scenario varies must span the
/// range the doc gives too (after the calibration moved four defaults, two old ranges no
/// longer contained them).
#[test]
fn each_varied_field_spans_the_range_the_calibration_doc_gives() {
    let rows = parameter_rows(&calibration_doc());
    let varied = varied_by_the_sensitivity_scenario();
    let mut checked = 0;
    for row in &rows {
        let Some(&(low, high)) = varied.get(&row.path) else {
            continue;
        };
        let (doc_low, doc_high) = first_range(&row.range).unwrap_or_else(|| {
            panic!(
                "docs/calibration.md, {}: no low–high range in {:?}",
                row.path, row.range
            )
        });
        // Both are written as decimals in their files: equal up to parsing.
        let same = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(
            same(low, doc_low) && same(high, doc_high),
            "{}: scenarios/sensitivity.toml varies it over {low}–{high}, \
             docs/calibration.md gives {doc_low}–{doc_high} ({})",
            row.path,
            row.range
        );
        checked += 1;
    }
    // Every varied field but the strategy's review noise has a row in the doc.
    assert_eq!(
        checked,
        varied.len() - 1,
        "a varied field has no row in docs/calibration.md"
    );
}

#[test]
fn every_exclusion_is_a_current_assumption_the_scenario_does_not_vary() {
    // A stale exclusion (the doc now sources the figure, or the field was renamed) would
    // hide nothing today but could hide a new assumption tomorrow.
    let rows = parameter_rows(&calibration_doc());
    let assumed: Vec<&str> = assumptions(&rows)
        .iter()
        .map(|row| row.path.as_str())
        .collect();
    let varied = varied_by_the_sensitivity_scenario();
    for (path, why) in NOT_VARIED {
        assert!(
            assumed.contains(&path),
            "{path} is excluded ({why}) but docs/calibration.md no longer marks it as an ASSUMPTION"
        );
        assert!(
            !varied.contains_key(path),
            "{path} is excluded ({why}) but the scenario varies it"
        );
    }
}

#[test]
fn the_doc_parser_reads_sections_rows_and_ranges() {
    let markdown = "\
## `[fund]`

| key | default | range for sensitivity | source | status |
|---|---|---|---|---|
| `overhead_share` | 0.05 | 0–0.15 (A) | none | ASSUMPTION |
| `budget_eur` | 24.6M | a policy input | STF | sourced |

## `[model]`

| key | default | range for sensitivity | source | status |
|---|---|---|---|---|
| `attrition_hazard` | 0.02 | 0.009–0.056 (10–49% a year) | Ferreira | derived (partly ASSUMPTION) |

## Figures used by the strategies

| figure | value | source | status |
|---|---|---|---|
| `review noise` | 1 | Pier | ASSUMPTION |
";
    let rows = parameter_rows(markdown);
    let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "fund.overhead_share",
            "fund.budget_eur",
            "model.attrition_hazard"
        ]
    );
    let assumed: Vec<&str> = assumptions(&rows).iter().map(|r| r.path.as_str()).collect();
    assert_eq!(assumed, ["fund.overhead_share", "model.attrition_hazard"]);
    assert_eq!(first_range(&rows[0].range), Some((0.0, 0.15)));
    assert_eq!(first_range(&rows[2].range), Some((0.009, 0.056)));
    assert_eq!(first_range("1,000–10,000 (A)"), Some((1000.0, 10000.0)));
    assert_eq!(first_range("EUR 0–30,000"), Some((0.0, 30000.0)));
    assert_eq!(first_range("a policy input"), None);
}
