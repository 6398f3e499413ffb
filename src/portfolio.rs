//! The projects a fund can support: fixed attributes, drawn from seeded distributions
//! (synthetic portfolio) or read from a portfolio CSV (real projects).
//!
//! CSV import takes any `Read`, so the core stays free of file-system access.

use std::collections::HashSet;
use std::io::Read;

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};
use serde::Serialize;

use crate::params::ModelParams;
use crate::params::SyntheticPortfolio;
use crate::rng::{Purpose, stream};

/// One project's fixed attributes (docs/model.md, "The portfolio").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    pub name: String,
    /// Packages or repositories depending on it: the usage and criticality proxy.
    pub dependents: f64,
    /// 0..1, how bad its loss would be.
    pub criticality: f64,
    /// Active maintainers at month 0.
    pub maintainers: u32,
    /// Unpaid hours per maintainer per month.
    pub volunteer_hours: f64,
    /// Mean maintenance work arriving per month (person-months).
    pub work_rate: f64,
    /// Expected vulnerabilities per month.
    pub vuln_rate: f64,
    /// Most funded person-months per month the initial team can use well.
    pub absorption: f64,
    /// Maintenance debt at month 0 (person-months).
    pub backlog: f64,
    /// EUR per month the project already gets (donations, employers).
    pub baseline_funding: f64,
    /// The month its other funding ends for certain (a donor grant with an end date), if
    /// it does; it may end earlier, when its funder leaves (`model.funder_hazard`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_funding_until_month: Option<u32>,
}

/// The projects of one replication, in a fixed order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Portfolio {
    pub projects: Vec<Project>,
}

/// A portfolio CSV that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}{}: {problem}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PortfolioError {
    pub origin: String,
    pub line: Option<u64>,
    pub problem: String,
}

/// Columns a portfolio CSV must have; the others are derived from usage when absent.
pub const REQUIRED_COLUMNS: [&str; 3] = ["name", "dependents", "maintainers"];
/// Longest project name a portfolio CSV may give (characters).
pub const MAX_NAME_CHARS: usize = 200;
/// Most maintainers a project of a portfolio CSV may have.
pub const MAX_MAINTAINERS: u32 = 100_000;
/// Columns a portfolio CSV may have.
pub const OPTIONAL_COLUMNS: [&str; 8] = [
    "criticality",
    "volunteer_hours",
    "work_rate",
    "vuln_rate",
    "absorption",
    "backlog",
    "baseline_funding",
    "baseline_funding_until_month",
];

impl Portfolio {
    /// Usage relative to the reference, `d̃ = dependents / reference_dependents`.
    pub fn relative_usage(dependents: f64, model: &ModelParams) -> f64 {
        dependents / model.reference_dependents
    }

    /// Draws a synthetic portfolio. `seed` and `replication` choose the stream, so a
    /// portfolio fixed for the run uses replication 0 and a redrawn one its own index.
    pub fn synthetic(
        spec: &SyntheticPortfolio,
        model: &ModelParams,
        seed: u64,
        replication: u64,
    ) -> Self {
        let mut rng = stream(seed, replication, 0, Purpose::Portfolio);
        let dependents_law = LogNormal::new(spec.dependents_median.ln(), spec.dependents_sigma_log)
            .expect("validated: sigma is finite and non-negative");
        let hours_law = LogNormal::new(
            spec.volunteer_hours.max(1e-9).ln(),
            spec.volunteer_hours_sigma_log,
        )
        .expect("validated: sigma is finite and non-negative");
        let mut projects = Vec::with_capacity(spec.projects as usize);
        for index in 0..spec.projects {
            let dependents = dependents_law.sample(&mut rng).max(1.0).round();
            let share: f64 = rng.random();
            let maintainers = if share < spec.maintainers_one_share {
                1
            } else if share < spec.maintainers_one_share + spec.maintainers_two_share {
                2
            } else {
                3 + geometric_extra(&mut rng, spec.maintainers_extra_mean)
            };
            let volunteer_hours = if spec.volunteer_hours > 0.0 {
                hours_law.sample(&mut rng)
            } else {
                0.0
            };
            let usage = Self::relative_usage(dependents, model);
            let work_rate = model.work_base_pm * usage.powf(model.work_usage_exponent);
            let backlog_draw: f64 = rng.random();
            projects.push(Project {
                name: format!("project-{:03}", index + 1),
                dependents,
                criticality: 0.0,
                maintainers,
                volunteer_hours,
                work_rate,
                vuln_rate: model.vuln_base_rate * usage.powf(model.vuln_usage_exponent),
                absorption: spec.absorption_base_pm
                    + spec.absorption_per_maintainer_pm * f64::from(maintainers),
                // Exponential with mean `backlog_months` months of arriving work.
                backlog: -spec.backlog_months * work_rate * (1.0 - backlog_draw).ln(),
                baseline_funding: spec.baseline_funding_eur,
                baseline_funding_until_month: None,
            });
        }
        let mut portfolio = Self { projects };
        portfolio.derive_criticality(&vec![true; spec.projects as usize]);
        portfolio
    }

    /// Reads a portfolio CSV (header row; `name`, `dependents`, `maintainers` required).
    /// Blank optional cells are derived from usage as for a synthetic portfolio.
    ///
    /// Spreadsheet exports are taken as they come: a UTF-8 byte-order mark, Windows line
    /// endings, quoted cells, blank lines and whole numbers written `3.0` are accepted.
    /// Anything else is refused with the line, the column, the value and what is allowed.
    ///
    /// # Errors
    /// A [`PortfolioError`] naming the line and column of the first problem.
    pub fn from_csv<R: Read>(
        mut reader: R,
        origin: &str,
        model: &ModelParams,
    ) -> Result<Self, PortfolioError> {
        let fail = |line: Option<u64>, problem: String| PortfolioError {
            origin: origin.to_string(),
            line,
            problem,
        };
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| fail(None, format!("cannot read the file: {e}")))?;
        let text = csv_text(&bytes).map_err(|(line, problem)| fail(Some(line), problem))?;
        // Lines are counted from byte offsets here rather than taken from the CSV reader,
        // whose line numbers drift on Windows line endings. A record's offset can sit on
        // the line break before it, which is skipped.
        let line_at = |byte: u64| {
            let bytes = text.as_bytes();
            let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
            while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                start += 1;
            }
            bytes[..start].iter().filter(|&&b| b == b'\n').count() as u64 + 1
        };
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = csv
            .headers()
            .map_err(|e| fail(Some(1), format!("cannot read the header row: {e}")))?
            .clone();
        let allowed = || {
            format!(
                "required columns are {}; optional ones {}",
                REQUIRED_COLUMNS.join(", "),
                OPTIONAL_COLUMNS.join(", ")
            )
        };
        if headers.len() == 1
            && let Some(separator) = [';', '\t', '|']
                .into_iter()
                .find(|&c| headers[0].contains(c))
        {
            return Err(fail(
                Some(1),
                format!(
                    "the header {:?} is one column: the file seems to separate values with {separator:?}, but a portfolio CSV separates them with commas (in a spreadsheet, save as \"CSV UTF-8 (comma delimited)\"); {}",
                    &headers[0],
                    allowed()
                ),
            ));
        }
        for (index, header) in headers.iter().enumerate() {
            if !REQUIRED_COLUMNS.contains(&header) && !OPTIONAL_COLUMNS.contains(&header) {
                return Err(fail(
                    Some(1),
                    format!("unknown column {header:?}; {}", allowed()),
                ));
            }
            if headers.iter().take(index).any(|other| other == header) {
                return Err(fail(
                    Some(1),
                    format!("column `{header}` appears twice; each column may appear once"),
                ));
            }
        }
        for name in REQUIRED_COLUMNS {
            if !headers.iter().any(|h| h == name) {
                return Err(fail(
                    Some(1),
                    format!("missing column `{name}`; {}", allowed()),
                ));
            }
        }
        let column = |name: &str| headers.iter().position(|h| h == name);
        let mut projects = Vec::new();
        let mut criticality_given = Vec::new();
        let mut names = HashSet::new();
        for record in csv.records() {
            let record = record.map_err(|e| {
                fail(
                    e.position().map(|p| line_at(p.byte())),
                    format!("malformed row: {e}"),
                )
            })?;
            let line = record.position().map(|p| line_at(p.byte()));
            if record.len() != headers.len() {
                let unclosed = record.iter().any(|cell| cell.contains('\n'));
                return Err(fail(
                    line,
                    format!(
                        "the row has {} cell{} but the header has {} ({}){}",
                        record.len(),
                        if record.len() == 1 { "" } else { "s" },
                        headers.len(),
                        headers.iter().collect::<Vec<_>>().join(", "),
                        if unclosed {
                            "; a quote (\") opened on this line is never closed"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let cell = |name: &str| column(name).and_then(|i| record.get(i)).unwrap_or("");
            let number = |name: &str, low: f64, high: f64| -> Result<Option<f64>, PortfolioError> {
                let text = cell(name);
                if text.is_empty() {
                    return Ok(None);
                }
                match text.parse::<f64>() {
                    Ok(value) if value.is_finite() && value >= low && value <= high => {
                        Ok(Some(value))
                    }
                    _ => Err(fail(
                        line,
                        format!(
                            "column `{name}`: got {text:?}, expected a number from {low} to {high} (digits with a decimal point, no thousands separators)"
                        ),
                    )),
                }
            };
            let whole = |name: &str, low: u32, high: u32| -> Result<Option<u32>, PortfolioError> {
                let text = cell(name);
                match text.parse::<f64>() {
                    _ if text.is_empty() => Ok(None),
                    Ok(value)
                        if value.fract() == 0.0
                            && (f64::from(low)..=f64::from(high)).contains(&value) =>
                    {
                        Ok(Some(value as u32))
                    }
                    _ => Err(fail(
                        line,
                        format!(
                            "column `{name}`: got {text:?}, expected a whole number from {low} to {high}"
                        ),
                    )),
                }
            };
            let name = cell("name").to_string();
            if name.is_empty()
                || name.chars().count() > MAX_NAME_CHARS
                || name.chars().any(char::is_control)
            {
                return Err(fail(
                    line,
                    format!(
                        "column `name`: got {name:?}, expected a project name of 1 to {MAX_NAME_CHARS} characters without line breaks or control characters"
                    ),
                ));
            }
            if !names.insert(name.clone()) {
                return Err(fail(
                    line,
                    format!(
                        "column `name`: duplicate project name {name:?}; each project must appear once"
                    ),
                ));
            }
            let dependents = number("dependents", 0.0, 1e12)?.ok_or_else(|| {
                fail(
                    line,
                    "column `dependents`: empty, expected a number from 0 to 1e12".into(),
                )
            })?;
            let maintainers = match cell("maintainers").parse::<f64>() {
                // Spreadsheets may write whole numbers as `3.0`.
                Ok(m) if m.fract() == 0.0 && (0.0..=f64::from(MAX_MAINTAINERS)).contains(&m) => {
                    m as u32
                }
                _ => {
                    return Err(fail(
                        line,
                        format!(
                            "column `maintainers`: got {:?}, expected a whole number from 0 to {MAX_MAINTAINERS}",
                            cell("maintainers")
                        ),
                    ));
                }
            };
            let usage = Self::relative_usage(dependents.max(1.0), model);
            let work_rate = number("work_rate", 0.0, 1e4)?
                .unwrap_or(model.work_base_pm * usage.powf(model.work_usage_exponent));
            let criticality = number("criticality", 0.0, 1.0)?;
            criticality_given.push(criticality.is_some());
            projects.push(Project {
                name,
                dependents,
                criticality: criticality.unwrap_or(0.0),
                maintainers,
                volunteer_hours: number("volunteer_hours", 0.0, 744.0)?.unwrap_or(20.0),
                work_rate,
                vuln_rate: number("vuln_rate", 0.0, 100.0)?
                    .unwrap_or(model.vuln_base_rate * usage.powf(model.vuln_usage_exponent)),
                absorption: number("absorption", 0.0, 1e4)?.unwrap_or(0.5 + f64::from(maintainers)),
                backlog: number("backlog", 0.0, 1e6)?.unwrap_or(3.0 * work_rate),
                baseline_funding: number("baseline_funding", 0.0, 1e9)?.unwrap_or(0.0),
                baseline_funding_until_month: whole("baseline_funding_until_month", 1, 12_000)?,
            });
        }
        if projects.is_empty() {
            return Err(fail(
                None,
                "the portfolio has no projects: expected a header row and at least one data row"
                    .into(),
            ));
        }
        let mut portfolio = Self { projects };
        let derive: Vec<bool> = criticality_given.iter().map(|given| !given).collect();
        portfolio.derive_criticality(&derive);
        Ok(portfolio)
    }

    /// Criticality from usage where it was not given: log-scaled dependents relative to
    /// the most-used project, so the most-used project scores 1.
    fn derive_criticality(&mut self, derive: &[bool]) {
        let top = self
            .projects
            .iter()
            .map(|p| (1.0 + p.dependents).ln())
            .fold(0.0_f64, f64::max);
        for (project, &derive) in self.projects.iter_mut().zip(derive) {
            if derive {
                project.criticality = if top > 0.0 {
                    (1.0 + project.dependents).ln() / top
                } else {
                    1.0
                };
            }
        }
    }

    /// Total dependents: the denominator of usage-weighted outcomes.
    pub fn total_dependents(&self) -> f64 {
        self.projects.iter().map(|p| p.dependents).sum()
    }
}

/// The text of a portfolio CSV: UTF-8, without a leading byte-order mark.
/// Errors give the 1-based line of the first byte that is not UTF-8.
fn csv_text(bytes: &[u8]) -> Result<&str, (u64, String)> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let problem = not_utf8_problem(bytes[offset], offset);
        (line, format!("{problem} (in a spreadsheet: \"CSV UTF-8\")"))
    })
}

/// What to say about a byte that is not UTF-8: where it is and how to fix the file.
pub(crate) fn not_utf8_problem(byte: u8, offset: usize) -> String {
    format!(
        "byte 0x{byte:02X} at offset {offset} is not UTF-8 text; fundsim reads UTF-8 only: save the file as UTF-8"
    )
}

/// A geometric count with the given mean (0, 1, 2, … with P(k) ∝ (1−p)^k).
fn geometric_extra<R: rand::Rng>(rng: &mut R, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let continue_probability = mean / (1.0 + mean);
    let mut extra = 0;
    while extra < 10_000 && rng.random::<f64>() < continue_probability {
        extra += 1;
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_portfolio_is_reproducible_and_plausible() {
        let spec = SyntheticPortfolio::default();
        let model = ModelParams::default();
        let a = Portfolio::synthetic(&spec, &model, 7, 0);
        let b = Portfolio::synthetic(&spec, &model, 7, 0);
        assert_eq!(a, b);
        assert_eq!(a.projects.len(), 62);
        let singles = a.projects.iter().filter(|p| p.maintainers == 1).count();
        assert!(
            (10..=45).contains(&singles),
            "{singles} one-maintainer projects of 62"
        );
        assert!(
            a.projects
                .iter()
                .all(|p| p.criticality > 0.0 && p.criticality <= 1.0)
        );
        assert_ne!(a, Portfolio::synthetic(&spec, &model, 8, 0));
    }

    #[test]
    fn csv_import_derives_missing_columns_and_rejects_bad_cells() {
        let model = ModelParams::default();
        let good = "name,dependents,maintainers,backlog\ncurl,1000000,3,\nzlib,500000,1,2.5\n";
        let portfolio = Portfolio::from_csv(good.as_bytes(), "p.csv", &model).unwrap();
        assert_eq!(portfolio.projects.len(), 2);
        assert_eq!(portfolio.projects[1].backlog, 2.5);
        assert_eq!(portfolio.projects[0].criticality, 1.0);

        let bad = "name,dependents,maintainers\ncurl,-5,3\n";
        let error = Portfolio::from_csv(bad.as_bytes(), "p.csv", &model).unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(error.problem.contains("dependents"), "{error}");

        let duplicate = "name,dependents,maintainers\na,1,1\na,2,2\n";
        let error = Portfolio::from_csv(duplicate.as_bytes(), "p.csv", &model).unwrap_err();
        assert!(error.problem.contains("duplicate"), "{error}");

        let dated = "name,dependents,maintainers,baseline_funding,baseline_funding_until_month\n\
                     id,9000,6,60000,36\npay,8000,5,40000,\n";
        let portfolio = Portfolio::from_csv(dated.as_bytes(), "p.csv", &model).unwrap();
        let until: Vec<Option<u32>> = portfolio
            .projects
            .iter()
            .map(|p| p.baseline_funding_until_month)
            .collect();
        assert_eq!(until, [Some(36), None]);
        for cell in ["0", "2.5", "x", "12001"] {
            let bad =
                format!("name,dependents,maintainers,baseline_funding_until_month\na,1,1,{cell}\n");
            let error = Portfolio::from_csv(bad.as_bytes(), "p.csv", &model).unwrap_err();
            assert_eq!(error.line, Some(2));
            assert!(
                error
                    .problem
                    .contains("column `baseline_funding_until_month`: got")
                    && error
                        .problem
                        .contains("expected a whole number from 1 to 12000"),
                "{error}"
            );
        }

        let missing = "name,maintainers\na,1\n";
        assert!(Portfolio::from_csv(missing.as_bytes(), "p.csv", &model).is_err());
        let empty = "name,dependents,maintainers\n";
        assert!(Portfolio::from_csv(empty.as_bytes(), "p.csv", &model).is_err());
    }

    /// Spreadsheet exports: a byte-order mark, Windows line endings, quoted cells, blank
    /// lines and `3.0` are accepted; errors still point at the right line.
    #[test]
    fn csv_import_takes_spreadsheet_exports_and_counts_lines_right() {
        let model = ModelParams::default();
        let parse = |text: &[u8]| Portfolio::from_csv(text, "p.csv", &model);
        let good = b"\xef\xbb\xbf\"name\",\"dependents\",\"maintainers\"\r\n\"curl\",\"1000\",\"3.0\"\r\n\r\nzlib,10,1\r\n";
        let portfolio = parse(good).unwrap();
        assert_eq!(portfolio.projects.len(), 2);
        assert_eq!(portfolio.projects[0].maintainers, 3);
        let crlf = b"name,dependents,maintainers\r\ncurl,1000,3\r\nzlib,10,one\r\n";
        assert_eq!(parse(crlf).unwrap_err().line, Some(3));
        let bom = b"\xef\xbb\xbfname,dependents,maintainers\ncurl,1000,3\nzlib,lots,1\n";
        assert_eq!(parse(bom).unwrap_err().line, Some(3));
    }

    #[test]
    fn csv_import_explains_structural_problems() {
        let model = ModelParams::default();
        let problem = |text: &[u8]| {
            Portfolio::from_csv(text, "p.csv", &model)
                .unwrap_err()
                .to_string()
        };
        let twice = problem(b"name,dependents,maintainers,dependents\na,1,1,2\n");
        assert!(twice.contains("appears twice"), "{twice}");
        let semicolons = problem(b"name;dependents;maintainers\na;1;1\n");
        assert!(semicolons.contains("commas"), "{semicolons}");
        let short = problem(b"name,dependents,maintainers\na,1,1\nb,2\n");
        assert!(
            short.starts_with("p.csv:3:") && short.contains("2 cells"),
            "{short}"
        );
        let quote = problem(b"name,dependents,maintainers\n\"a,1,1\nb,2,2\n");
        assert!(quote.contains("never closed"), "{quote}");
        let latin1 = problem(b"name,dependents,maintainers\na,1,1\nM\xfcller,2,2\n");
        assert!(
            latin1.starts_with("p.csv:3:") && latin1.contains("0xFC"),
            "{latin1}"
        );
        let newline_name = problem(b"name,dependents,maintainers\n\"a\nb\",1,1\n");
        assert!(newline_name.contains("line breaks"), "{newline_name}");
    }
}
