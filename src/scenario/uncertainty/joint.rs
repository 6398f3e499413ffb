//! Joint draws from a CSV (`uncertainty.joint`), such as a calibration's posterior
//! sample: one row per draw, one column per scenario field (by dotted path), plus the
//! bookkeeping columns `particle`, `weight` and `distance`. A parameter set takes one
//! whole row, so the dependence between the columns is kept as the fit left it.
//!
//! ```csv
//! particle,weight,distance,model.attrition_hazard,model.revival_hazard
//! 0,0.8,0.12,0.021,0.0048
//! 1,1.2,0.09,0.018,0.0061
//! ```

use super::UncertaintySpec;
use super::fields::{FieldKind, Probe, VARIABLE_TABLES, field_kind, refusal};
use crate::params::{Issue, ScenarioError};
use crate::scenario::parse_with_overrides;

/// Columns a joint-draws CSV may have besides field paths: a particle's number, its
/// importance weight (rows are drawn in proportion to it) and its ABC distance.
pub const JOINT_EXTRA_COLUMNS: [&str; 3] = ["particle", "weight", "distance"];

/// The most problems one error lists; a file wrong throughout says so once per kind.
const MAX_ISSUES: usize = 20;

/// Joint draws read from a CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct JointDraws {
    /// The file, as named in errors.
    pub origin: String,
    /// The field columns (dotted paths), in file order.
    pub paths: Vec<String>,
    /// The field values of each row, `[row][column]` in the order of `paths`.
    pub rows: Vec<Vec<f64>>,
    /// Each row's weight, when the file has a `weight` column.
    pub weights: Option<Vec<f64>>,
    /// The 1-based line of each row in the file.
    pub lines: Vec<usize>,
    /// SHA-256 of the file's bytes, in hex, for a run's record of its inputs.
    pub digest: String,
    /// Running sums of the weights (of 1 per row without weights), for drawing a row.
    cumulative: Vec<f64>,
}

impl JointDraws {
    /// Parses the CSV; `origin` names the file in errors. Pure: the columns are checked
    /// to look like field paths here, and against the scenario by
    /// [`JointDraws::check_against`].
    ///
    /// # Errors
    /// A [`ScenarioError`] whose issues name the line (`origin:line`), the column and
    /// what is allowed: unknown or repeated columns, missing or non-finite values,
    /// negative weights or weights summing to zero, no rows.
    pub fn from_csv(bytes: &[u8], origin: &str) -> Result<Self, ScenarioError> {
        let error = |issues: Vec<Issue>| ScenarioError {
            origin: origin.to_string(),
            issues,
        };
        let issue = |field: &str, line: usize, value: Option<String>, problem: String| Issue {
            field: field.to_string(),
            line: Some(line),
            value,
            problem,
        };
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            error(vec![issue(
                "",
                line,
                None,
                crate::portfolio::not_utf8_problem(bytes[offset], offset),
            )])
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| {
                error(vec![issue(
                    "",
                    1,
                    None,
                    format!("cannot read the header row: {e}"),
                )])
            })?
            .iter()
            .map(str::to_string)
            .collect();
        let issues = header_issues(&headers);
        if !issues.is_empty() {
            return Err(error(
                issues
                    .into_iter()
                    .map(|(f, p)| issue(&f, 1, None, p))
                    .collect(),
            ));
        }
        let line_at = |byte: u64| {
            let start = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
            let skipped = text.as_bytes()[start..]
                .iter()
                .take_while(|&&b| matches!(b, b'\r' | b'\n'))
                .count();
            text.as_bytes()[..start + skipped]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        };
        let weight_column = headers.iter().position(|h| h == "weight");
        let field_columns: Vec<usize> = (0..headers.len())
            .filter(|&i| !JOINT_EXTRA_COLUMNS.contains(&headers[i].as_str()))
            .collect();
        let (mut rows, mut weights, mut lines) = (Vec::new(), Vec::new(), Vec::new());
        let mut row_issues = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    let line = e.position().map_or(0, |p| line_at(p.byte()));
                    row_issues.push(issue("", line, None, format!("malformed row: {e}")));
                    break;
                }
            };
            let line = record.position().map_or(0, |p| line_at(p.byte()));
            if record.len() != headers.len() {
                row_issues.push(issue(
                    "",
                    line,
                    None,
                    format!(
                        "the row has {} cells but the header has {} ({})",
                        record.len(),
                        headers.len(),
                        headers.join(", ")
                    ),
                ));
                continue;
            }
            let mut values = vec![0.0; headers.len()];
            for (column, cell) in record.iter().enumerate() {
                match cell.parse::<f64>() {
                    Ok(value) if value.is_finite() => values[column] = value,
                    _ => row_issues.push(issue(
                        &headers[column],
                        line,
                        Some(format!("{cell:?}")),
                        "must be a finite number (digits with a decimal point, no thousands separators)".into(),
                    )),
                }
            }
            if let Some(column) = weight_column
                && values[column] < 0.0
            {
                row_issues.push(issue(
                    "weight",
                    line,
                    Some(values[column].to_string()),
                    "must be 0 or above (rows are drawn in proportion to their weight)".into(),
                ));
            }
            rows.push(field_columns.iter().map(|&i| values[i]).collect());
            weights.push(weight_column.map_or(1.0, |i| values[i]));
            lines.push(line);
        }
        if rows.is_empty() && row_issues.is_empty() {
            row_issues.push(issue(
                "",
                1,
                None,
                "has no rows: a joint-draws CSV needs at least one row of values under its header"
                    .into(),
            ));
        }
        let total: f64 = weights.iter().sum();
        if row_issues.is_empty() && !(total > 0.0 && total.is_finite()) {
            row_issues.push(issue(
                "weight",
                1,
                Some(total.to_string()),
                "the weights must sum to a positive, finite number".into(),
            ));
        }
        if !row_issues.is_empty() {
            return Err(error(capped(row_issues)));
        }
        let cumulative = weights
            .iter()
            .scan(0.0, |sum, weight| {
                *sum += weight;
                Some(*sum)
            })
            .collect();
        Ok(Self {
            origin: origin.to_string(),
            paths: field_columns.iter().map(|&i| headers[i].clone()).collect(),
            rows,
            weights: weight_column.map(|_| weights),
            lines,
            digest: crate::digest::sha256_hex(bytes),
            cumulative,
        })
    }

    /// The row for a uniform `u` in [0, 1): each row with probability proportional to
    /// its weight (equal without weights).
    pub fn row_for(&self, u: f64) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = u.clamp(0.0, 1.0) * total;
        self.cumulative
            .partition_point(|&sum| sum <= target)
            .min(self.rows.len().saturating_sub(1))
    }

    /// Checks the draws against the scenario `text` (from `scenario`) and its table: every
    /// column must be a numeric field the table does not also draw, and the scenario must
    /// accept every row.
    ///
    /// # Errors
    /// A [`ScenarioError`] of this file whose issues name the line and the column.
    pub fn check_against(
        &self,
        text: &str,
        scenario: &str,
        spec: &UncertaintySpec,
    ) -> Result<(), ScenarioError> {
        let probe =
            |overrides: &[(&str, f64)]| parse_with_overrides(text, scenario, overrides).map(|_| ());
        let mut issues = Vec::new();
        let mut kinds = Vec::new();
        for path in &self.paths {
            if let Some(index) = spec.index_of(path) {
                issues.push(header_issue(
                    path,
                    format!(
                        "is also drawn from uncertainty.parameters[{index}] in {scenario}: a field may be drawn from the joint CSV or from the table, not both"
                    ),
                ));
            }
            match field_kind(&probe as &Probe, path) {
                Ok(kind) => kinds.push(kind),
                Err(problem) => issues.push(header_issue(
                    path,
                    format!("is not a field of {scenario}: {problem}"),
                )),
            }
        }
        if issues.is_empty() {
            for (row, &line) in self.rows.iter().zip(&self.lines) {
                let overrides = self.overrides(row, &kinds);
                if let Err(error) = probe(&overrides) {
                    let field = self
                        .paths
                        .iter()
                        .find(|path| error.issues.iter().any(|i| &i.field == *path))
                        .map_or("", String::as_str);
                    issues.push(Issue {
                        field: field.to_string(),
                        line: Some(line),
                        value: None,
                        problem: format!(
                            "{scenario} refuses the values of this row: {}",
                            refusal(&error, field)
                        ),
                    });
                }
            }
        }
        match issues.is_empty() {
            true => Ok(()),
            false => Err(ScenarioError {
                origin: self.origin.clone(),
                issues: capped(issues),
            }),
        }
    }

    /// The fields a row sets, whole-number fields rounded.
    pub fn overrides<'a>(&'a self, row: &[f64], kinds: &[FieldKind]) -> Vec<(&'a str, f64)> {
        self.paths
            .iter()
            .zip(row)
            .zip(kinds.iter().chain(std::iter::repeat(&FieldKind::Real)))
            .map(|((path, &value), kind)| (path.as_str(), kind.fit(value)))
            .collect()
    }
}

fn header_issue(column: &str, problem: String) -> Issue {
    Issue {
        field: column.to_string(),
        line: Some(1),
        value: None,
        problem,
    }
}

/// Problems with the header row: (column, problem).
fn header_issues(headers: &[String]) -> Vec<(String, String)> {
    let mut issues = Vec::new();
    let allowed = format!(
        "columns are dotted paths of numeric scenario fields in [fund], [portfolio], [model] or [[strategies]] (e.g. model.hire_rate), and optionally {}",
        JOINT_EXTRA_COLUMNS.join(", ")
    );
    for (index, header) in headers.iter().enumerate() {
        let looks_like_path = VARIABLE_TABLES.iter().any(|t| header.starts_with(t))
            && header
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
        if header.is_empty() {
            issues.push((
                String::new(),
                format!("column {} has no name; {allowed}", index + 1),
            ));
        } else if !looks_like_path && !JOINT_EXTRA_COLUMNS.contains(&header.as_str()) {
            issues.push((
                header.clone(),
                format!("is not a column a joint-draws CSV can have; {allowed}"),
            ));
        }
        if headers[..index].contains(header) && !header.is_empty() {
            issues.push((
                header.clone(),
                "appears twice: each column may appear once".into(),
            ));
        }
    }
    if issues.is_empty()
        && headers
            .iter()
            .all(|h| JOINT_EXTRA_COLUMNS.contains(&h.as_str()))
    {
        issues.push((String::new(), format!("has no field columns; {allowed}")));
    }
    issues
}

/// At most [`MAX_ISSUES`] issues, the last saying how many more there were.
fn capped(mut issues: Vec<Issue>) -> Vec<Issue> {
    if issues.len() <= MAX_ISSUES {
        return issues;
    }
    let more = issues.len() - MAX_ISSUES;
    let line = issues[MAX_ISSUES].line;
    issues.truncate(MAX_ISSUES);
    issues.push(Issue {
        field: String::new(),
        line,
        value: None,
        problem: format!("and {more} more problems like these"),
    });
    issues
}
