//! Checking parameters: a [`Checker`] collects every problem, each located in the
//! scenario text by its field, into one [`ScenarioError`] that names the file, the
//! field (with its line where it can be found), the value and what is allowed.

use std::fmt;

/// One problem found in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Dotted path of the field, e.g. `fund.budget_eur` or `strategies[2].power`;
    /// empty for a syntax error that concerns no single field.
    pub field: String,
    /// 1-based line in the file, where the parser or a scan of the text finds it.
    pub line: Option<usize>,
    /// The offending value as written, if there is one.
    pub value: Option<String>,
    /// What is wrong and what is allowed.
    pub problem: String,
}

/// A scenario file that cannot be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The file (or built-in name) the scenario came from.
    pub origin: String,
    pub issues: Vec<Issue>,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        write!(f, "{}", self.problem)?;
        if let Some(value) = &self.value {
            write!(f, " (got {value})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.issues.len();
        write!(
            f,
            "invalid scenario {}: {count} problem{}",
            self.origin,
            if count == 1 { "" } else { "s" }
        )?;
        for issue in &self.issues {
            match issue.line {
                Some(line) => write!(f, "\n  {}:{line}: {issue}", self.origin)?,
                None => write!(f, "\n  {}: {issue}", self.origin)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Collects problems, each located in the scenario text.
pub struct Checker<'a> {
    text: &'a str,
    issues: Vec<Issue>,
}

impl<'a> Checker<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            issues: Vec::new(),
        }
    }

    /// Records a problem with `field`. A misspelt name gets the known name it is closest
    /// to (see [`suggest_known_field`]).
    pub fn fail(&mut self, field: &str, value: Option<String>, problem: impl Into<String>) {
        self.issues.push(Issue {
            field: field.to_string(),
            line: locate_field(self.text, field),
            value,
            problem: suggest_known_field(&problem.into()),
        });
    }

    /// `value` must be finite and within `[low, high]`.
    pub fn range(&mut self, field: &str, value: f64, low: f64, high: f64) {
        if !value.is_finite() || value < low || value > high {
            self.fail(
                field,
                Some(value.to_string()),
                format!("must be a number from {low} to {high}"),
            );
        }
    }

    /// `value` must be finite, above zero and at most `high`.
    pub fn positive(&mut self, field: &str, value: f64, high: f64) {
        if !value.is_finite() || value <= 0.0 || value > high {
            self.fail(
                field,
                Some(value.to_string()),
                format!("must be above 0 and at most {high}"),
            );
        }
    }

    /// `value` must be a probability.
    pub fn probability(&mut self, field: &str, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            self.fail(
                field,
                Some(value.to_string()),
                "must be a probability from 0 to 1",
            );
        }
    }

    /// An integer within `[low, high]`.
    pub fn count(&mut self, field: &str, value: u64, low: u64, high: u64) {
        if value < low || value > high {
            self.fail(
                field,
                Some(value.to_string()),
                format!("must be a whole number from {low} to {high}"),
            );
        }
    }

    pub fn into_result<T>(self, origin: &str, value: T) -> Result<T, ScenarioError> {
        if self.issues.is_empty() {
            Ok(value)
        } else {
            Err(ScenarioError {
                origin: origin.to_string(),
                issues: self.issues,
            })
        }
    }
}

/// The 1-based line on which a byte offset falls.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Finds the line of a dotted field path (`fund.budget_eur`, `strategies[1].power`,
/// `portfolio`) by scanning the TOML text: the parser keeps no spans once values are
/// deserialized, and a scan is enough for the plain layout scenario files use.
pub fn locate_field(text: &str, path: &str) -> Option<usize> {
    // Inside a value of an array table's key (`strategies[1].parts[1].cost_eur`, an
    // inline table in an array): the line of that key, `strategies[1].parts`.
    if let Some(at) = path.find("].")
        && let Some(end) = path[at + 2..].find(['.', '['])
    {
        return locate_field(text, &path[..at + 2 + end]);
    }
    let (table, key) = match path.rsplit_once('.') {
        Some((table, key)) => (table, Some(key)),
        None => (path, None),
    };
    let (table_name, wanted_index) = match table.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
        None => (table, None),
    };
    let mut in_table = false;
    let mut array_seen = 0usize;
    let mut table_line = None;
    for (number, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim();
        if line.starts_with('[') {
            let header = line.trim_start_matches('[');
            let header = header.split(']').next().unwrap_or("").trim();
            in_table = if line.starts_with("[[") && header == table_name {
                array_seen += 1;
                wanted_index.is_none_or(|wanted| wanted + 1 == array_seen)
            } else {
                header == table_name && wanted_index.is_none()
            };
            if in_table && table_line.is_none() {
                table_line = Some(number + 1);
            }
            continue;
        }
        let Some(key) = key else { continue };
        let at_root_match = key_of(line) == Some(path);
        if (in_table && key_of(line) == Some(key)) || at_root_match {
            return Some(number + 1);
        }
    }
    // A key at the top level has no table header.
    if key.is_none() && table_line.is_none() {
        return text
            .lines()
            .position(|line| key_of(line.trim()) == Some(path))
            .map(|n| n + 1);
    }
    table_line
}

/// Serde's message for a misspelt name lists the names it knows ("unknown field
/// `atrition_hazard`, expected one of `hours_per_person_month`, …", and likewise "unknown
/// variant" for a choice such as a strategy's `score`); an author who mistyped one wants
/// the one that was meant. Adds "(did you mean `attrition_hazard`?)" after the unknown
/// name when a known name is close to it; other messages are returned unchanged.
pub fn suggest_known_field(message: &str) -> String {
    let Some(start) = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|unknown| message.find(unknown).map(|at| at + unknown.len()))
    else {
        return message.to_string();
    };
    let Some(length) = message[start..].find('`') else {
        return message.to_string();
    };
    let end = start + length + 1;
    if message.contains("did you mean") {
        return message.to_string();
    }
    let unknown = &message[start..end - 1];
    let known: Vec<&str> = message[end..]
        .find("expected ")
        .map(|at| message[end + at..].split('`').skip(1).step_by(2).collect())
        .unwrap_or_default();
    match closest(unknown, &known) {
        Some(meant) => format!(
            "{} (did you mean `{meant}`?){}",
            &message[..end],
            &message[end..]
        ),
        None => message.to_string(),
    }
}

/// The known name nearest to `unknown` by edit distance, when it is near enough to be a
/// slip (at most a third of the letters wrong, at least one allowed) or the one name
/// starts with the other (`budget` for `budget_eur`).
fn closest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    let allowed = (unknown.chars().count() / 3).max(1);
    known
        .iter()
        .map(|&name| (edit_distance(unknown, name), name))
        .filter(|&(distance, name)| {
            distance <= allowed
                || (unknown.len() >= 3 && (name.starts_with(unknown) || unknown.starts_with(name)))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}

/// Edit distance: the fewest single-character insertions, deletions, substitutions and
/// swaps of two neighbours that turn `a` into `b` (Levenshtein's, with swaps counted as
/// one edit, since `rnu` for `run` is one slip).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // distance[i][j]: between the first i letters of a and the first j of b.
    let mut distance: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| (0..=b.len()).map(|j| if i == 0 { j } else { i }).collect())
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = distance[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution
                .min(distance[i - 1][j] + 1)
                .min(distance[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(distance[i - 2][j - 2] + 1);
            }
            distance[i][j] = best;
        }
    }
    distance[a.len()][b.len()]
}

fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    Some(key.trim().trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n[fund]\nbudget_eur = 5\n\n[[strategies]]\nname = \"a\"\n[[strategies]]\nname = \"b\"\npower = 2\n";

    #[test]
    fn finds_keys_in_tables_and_arrays() {
        assert_eq!(locate_field(TEXT, "fund.budget_eur"), Some(3));
        assert_eq!(locate_field(TEXT, "strategies[1].power"), Some(9));
        assert_eq!(locate_field(TEXT, "strategies[0].name"), Some(6));
        assert_eq!(locate_field(TEXT, "name"), Some(1));
        // A missing key points at its table.
        assert_eq!(locate_field(TEXT, "fund.horizon_months"), Some(2));
        // Inside an inline table of a key's array: the key's line.
        assert_eq!(locate_field(TEXT, "strategies[1].power[0].share"), Some(9));
        assert_eq!(locate_field(TEXT, "strategies[1].power[2]"), Some(9));
    }

    #[test]
    fn a_misspelt_field_gets_the_closest_known_name() {
        assert_eq!(
            suggest_known_field(
                "unknown field `atrition_hazard`, expected one of `attrition_hazard`, `hire_rate`"
            ),
            "unknown field `atrition_hazard` (did you mean `attrition_hazard`?), expected one of `attrition_hazard`, `hire_rate`"
        );
        assert_eq!(
            suggest_known_field("unknown field `funds`, expected one of `name`, `fund`, `run`"),
            "unknown field `funds` (did you mean `fund`?), expected one of `name`, `fund`, `run`"
        );
        // A prefix of a known name is a slip too.
        assert!(
            suggest_known_field("unknown field `budget`, expected one of `budget_eur`, `seed`")
                .contains("did you mean `budget_eur`?")
        );
        // Nothing close: no guess.
        let far = "unknown field `colour`, expected one of `score`, `power`, `max_projects`";
        assert_eq!(suggest_known_field(far), far);
        assert_eq!(suggest_known_field("duplicate key"), "duplicate key");
        assert!(
            suggest_known_field(
                "unknown variant `dependants`, expected one of `dependents`, `backlog`"
            )
            .contains("`dependants` (did you mean `dependents`?), expected")
        );
        let single = "unknown field `pwer`, expected `power`";
        assert!(suggest_known_field(single).contains("did you mean `power`?"));
        // A message that already suggests is left alone.
        let already = "unknown field `pwer` (did you mean `power`?), expected `power`";
        assert_eq!(suggest_known_field(already), already);
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("atrition_hazard", "attrition_hazard"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("rnu", "run"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }

    #[test]
    fn offsets_map_to_lines() {
        assert_eq!(line_of_offset(TEXT, 0), 1);
        assert_eq!(line_of_offset(TEXT, 12), 2);
    }
}
