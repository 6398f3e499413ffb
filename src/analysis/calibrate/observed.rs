//! Observed project lifetimes: the CSV that `fundsim survival` and `fundsim calibrate`
//! read, parsed from any `Read` (the core does no file-system access).
//!
//! Columns (a header row is required; cells are trimmed; a UTF-8 BOM is ignored; other
//! columns are ignored):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `project` | yes | a non-empty name, unique within its group |
//! | `duration_months` | yes | months from the start of follow-up to abandonment (event) or to the end of follow-up (censored), a number ≥ 0 |
//! | `event` | yes | `1` if the project was abandoned at `duration_months`, `0` if it was still maintained when follow-up ended (right-censored) |
//! | `group` | no | a label (e.g. the initial team size); every row needs one when the column is present |

use std::collections::HashMap;
use std::io::Read;

use crate::stats::Lifetime;

/// The required columns, in the order the documentation lists them.
pub const REQUIRED_COLUMNS: [&str; 3] = ["project", "duration_months", "event"];
/// The optional grouping column.
pub const GROUP_COLUMN: &str = "group";
/// The group name used when the data have no `group` column.
pub const ALL_GROUP: &str = "all";

/// Why observed lifetimes cannot be used: the file, the line and the column, and what was
/// expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{origin}{}{}: {problem}",
    line.map(|l| format!(":{l}")).unwrap_or_default(),
    column.as_ref().map(|c| format!(": column `{c}`")).unwrap_or_default()
)]
pub struct ObservedError {
    pub origin: String,
    /// 1-based line of the file (the header is line 1).
    pub line: Option<u64>,
    pub column: Option<String>,
    pub problem: String,
}

/// One observed project.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRecord {
    pub project: String,
    /// The group, or [`ALL_GROUP`] without a `group` column.
    pub group: String,
    pub lifetime: Lifetime,
    /// Line in the file.
    pub line: u64,
}

/// The observed lifetimes of a file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedLifetimes {
    pub origin: String,
    pub records: Vec<ObservedRecord>,
    /// Whether the file has a `group` column.
    pub grouped: bool,
}

impl ObservedLifetimes {
    /// Parses and checks observed lifetimes; `origin` names the file in errors.
    ///
    /// # Errors
    /// [`ObservedError`] naming the line and column of the first problem: a missing
    /// column, a malformed row, an empty project or group, a duration that is not a
    /// number ≥ 0, an event other than 0 or 1, a project listed twice in a group, or no
    /// data rows.
    pub fn from_csv<R: Read>(reader: R, origin: &str) -> Result<Self, ObservedError> {
        let fail = |line: Option<u64>, column: Option<&str>, problem: String| ObservedError {
            origin: origin.to_string(),
            line,
            column: column.map(str::to_string),
            problem,
        };
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|e| fail(Some(1), None, format!("cannot read the header row: {e}")))?
            .clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == name)
        };
        let mut indices = [0; 3];
        for (index, name) in indices.iter_mut().zip(REQUIRED_COLUMNS) {
            *index = column(name).ok_or_else(|| {
                fail(
                    Some(1),
                    Some(name),
                    format!(
                        "missing; the columns must include {} (and optionally `{GROUP_COLUMN}`)",
                        REQUIRED_COLUMNS.map(|c| format!("`{c}`")).join(", ")
                    ),
                )
            })?;
        }
        let [project_index, duration_index, event_index] = indices;
        let group_index = column(GROUP_COLUMN);
        let mut records = Vec::new();
        let mut seen: HashMap<(String, String), u64> = HashMap::new();
        for record in csv.records() {
            let record = record.map_err(|e| {
                fail(
                    e.position().map(|p| p.line()),
                    None,
                    format!("malformed row: {e}"),
                )
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let cell = |index: usize| record.get(index).unwrap_or("");
            let project = cell(project_index);
            if project.is_empty() {
                return Err(fail(
                    Some(line),
                    Some("project"),
                    "empty; every row needs a project name".into(),
                ));
            }
            let text = cell(duration_index);
            let time = match text.parse::<f64>() {
                Ok(value) if value.is_finite() && value >= 0.0 => value,
                _ => {
                    return Err(fail(
                        Some(line),
                        Some("duration_months"),
                        format!("got {text:?}, expected a number of months ≥ 0"),
                    ));
                }
            };
            let event = match cell(event_index) {
                "1" => true,
                "0" => false,
                other => {
                    return Err(fail(
                        Some(line),
                        Some("event"),
                        format!(
                            "got {other:?}, expected 1 (abandoned at duration_months) or 0 (censored: still maintained when follow-up ended)"
                        ),
                    ));
                }
            };
            let group = match group_index {
                Some(index) => {
                    let group = cell(index);
                    if group.is_empty() {
                        return Err(fail(
                            Some(line),
                            Some(GROUP_COLUMN),
                            "empty; with a group column every row needs a group".into(),
                        ));
                    }
                    group.to_string()
                }
                None => ALL_GROUP.to_string(),
            };
            if let Some(first) = seen.insert((group.clone(), project.to_string()), line) {
                return Err(fail(
                    Some(line),
                    Some("project"),
                    format!("{project:?} already appears on line {first} (in group {group:?})"),
                ));
            }
            records.push(ObservedRecord {
                project: project.to_string(),
                group,
                lifetime: Lifetime { time, event },
                line,
            });
        }
        if records.is_empty() {
            return Err(fail(None, None, "no data rows after the header".into()));
        }
        Ok(Self {
            origin: origin.to_string(),
            records,
            grouped: group_index.is_some(),
        })
    }

    /// The groups in order of first appearance, each with its lifetimes.
    pub fn groups(&self) -> Vec<(String, Vec<Lifetime>)> {
        let mut groups: Vec<(String, Vec<Lifetime>)> = Vec::new();
        for record in &self.records {
            match groups.iter_mut().find(|(name, _)| *name == record.group) {
                Some((_, lifetimes)) => lifetimes.push(record.lifetime),
                None => groups.push((record.group.clone(), vec![record.lifetime])),
            }
        }
        groups
    }

    /// Every lifetime, all groups pooled.
    pub fn lifetimes(&self) -> Vec<Lifetime> {
        self.records.iter().map(|r| r.lifetime).collect()
    }

    /// The lifetimes of one group, `None` if no row has it.
    pub fn group(&self, name: &str) -> Option<Vec<Lifetime>> {
        let lifetimes: Vec<Lifetime> = self
            .records
            .iter()
            .filter(|r| r.group == name)
            .map(|r| r.lifetime)
            .collect();
        (!lifetimes.is_empty()).then_some(lifetimes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ObservedLifetimes, ObservedError> {
        ObservedLifetimes::from_csv(text.as_bytes(), "data.csv")
    }

    #[test]
    fn reads_groups_in_order() {
        let data = parse(
            "\u{feff}project,duration_months,event,group,url\n a , 3.5 ,1,solo,x\nb,60,0,team,y\nc,12,1,solo,z\n",
        )
        .unwrap();
        assert!(data.grouped);
        let groups = data.groups();
        assert_eq!(groups[0].0, "solo");
        assert_eq!(
            groups[0].1,
            vec![Lifetime::event(3.5), Lifetime::event(12.0)]
        );
        assert_eq!(groups[1].1, vec![Lifetime::censored(60.0)]);
        assert_eq!(data.records[0].project, "a");
        assert_eq!(data.records[2].line, 4);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let error = parse("project,duration_months\na,3\n").unwrap_err();
        assert_eq!(error.column.as_deref(), Some("event"));
        assert_eq!(error.line, Some(1));
        let error = parse("project,duration_months,event\na,3,1\nb,-2,1\n").unwrap_err();
        assert_eq!(
            (error.line, error.column.as_deref()),
            (Some(3), Some("duration_months"))
        );
        assert!(
            error
                .to_string()
                .starts_with("data.csv:3: column `duration_months`")
        );
        let error = parse("project,duration_months,event\na,3,yes\n").unwrap_err();
        assert_eq!(error.column.as_deref(), Some("event"));
        assert!(parse("project,duration_months,event\na,3,2\n").is_err());
        assert!(parse("project,duration_months,event\na,NaN,1\n").is_err());
        assert!(parse("project,duration_months,event\n,3,1\n").is_err());
        assert!(parse("project,duration_months,event\na,3,1\na,4,0\n").is_err());
        assert!(parse("project,duration_months,event,group\na,3,1,\n").is_err());
        assert!(parse("project,duration_months,event\n").is_err());
        assert!(parse("project,duration_months,event\na,3\n").is_err());
    }
}
