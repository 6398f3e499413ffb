//! The `[uncertainty]` table of a scenario: which numeric fields are uncertain, with which
//! distributions (or joint draws from a CSV, such as a calibration posterior) and rank
//! correlations, and how many parameter sets a run draws.
//!
//! ```toml
//! [uncertainty]
//! parameter_sets = 100        # K parameter sets drawn (outer loop); default 100; 2 to 100000
//! portfolio = "redraw"        # "redraw" (default: a synthetic portfolio redrawn per set) or "fixed"
//! joint = "posterior.csv"     # optional: joint draws from a CSV, relative to the scenario file
//!
//! [[uncertainty.parameters]]
//! path = "model.hire_rate"    # a numeric field of [fund], [portfolio], [model] or [[strategies]]
//! distribution = "pert"       # uniform | triangular | pert | normal | log-normal | beta
//! low = 0.0
//! mode = 0.3
//! high = 0.6
//! source = "assumption: no published estimate of how fast funded projects hire"
//! assumption = true           # optional, default false: the range is an assumption
//!
//! [[uncertainty.correlations]]
//! between = ["model.hire_rate", "model.cliff_multiplier"]
//! rank = -0.3                 # Spearman rank correlation, in (-1, 1)
//! ```
//!
//! Distribution parameters: `uniform` {low, high}; `triangular` {low, mode, high};
//! `pert` {low, mode, high} (Beta-PERT, λ = 4); `normal` {mean, sd, optional low/high
//! truncation}; `log-normal` {median, sigma_log, optional low/high truncation}; `beta`
//! {alpha, beta, low = 0, high = 1} (a beta scaled to [low, high]). A truncated
//! distribution is drawn by inversion on [F(low), F(high)]. A field that takes whole
//! numbers (`model.cliff_months`) gets the drawn value rounded to the nearest.
//!
//! Correlations join the table's parameters through a Gaussian copula of normal scores
//! (Pearson r = 2·sin(π·ρ/6) for a Spearman ρ); the matrix must be positive definite.
//! Joint draws come whole: one CSV row per parameter set (weighted by its `weight`
//! column, if any), and a field may be in the CSV or in the table, not both.
//!
//! Validation (`validate`, run by `scenario::parse_str`) checks the table on its own and,
//! given a [`Probe`] (parsing a file does), checks each path and distribution against the
//! scenario: the path must lead to a numeric field, and the field must accept both ends
//! of the distribution (its 0.1% and 99.9% quantiles on a side without a bound). [`sets::parameter_sets`] draws
//! the sets; [`joint::JointDraws`] reads the CSV.

mod copula;
mod distribution;
mod fields;
// Not re-exported: both parse scenario variants (`scenario::parse_with_overrides`), which
// validation, and so this file, sits below.
pub mod joint;
pub mod sets;

pub use copula::{GaussianCopula, NotPositiveDefinite, pearson_of_spearman};
pub use distribution::{
    DISTRIBUTION_NAMES, ParameterDistribution, ParameterEntry, pert_shapes, standard_normal_cdf,
};
pub use fields::{FieldKind, Probe, VARIABLE_TABLES, field_kind};

use serde::{Deserialize, Serialize};

use crate::params::Checker;

/// Parameter sets drawn when the table does not say.
pub const DEFAULT_PARAMETER_SETS: u32 = 100;
/// The most parameter sets a table may ask for.
pub const MAX_PARAMETER_SETS: u32 = 100_000;

/// The `[uncertainty]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertaintyFile {
    pub parameter_sets: Option<u64>,
    pub portfolio: Option<String>,
    pub joint: Option<String>,
    #[serde(default)]
    pub parameters: Vec<ParameterEntry>,
    #[serde(default)]
    pub correlations: Vec<CorrelationEntry>,
}

/// One `[[uncertainty.correlations]]` entry as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationEntry {
    pub between: Option<Vec<String>>,
    pub rank: Option<f64>,
}

/// Whether a synthetic portfolio is drawn anew for every parameter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortfolioDraw {
    /// A new portfolio per parameter set ("a portfolio like this one").
    Redraw,
    /// The scenario's own portfolio in every set.
    Fixed,
}

/// One uncertain field and its distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertainField {
    /// Dotted path of the field (`model.hire_rate`).
    pub path: String,
    /// Further fields that take the same value in every set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    #[serde(flatten)]
    pub distribution: ParameterDistribution,
    /// Where the range comes from (free text; empty when not given).
    pub source: String,
    /// The range is an assumption rather than a published estimate.
    pub assumption: bool,
}

/// A rank correlation between two fields of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankCorrelation {
    pub between: [String; 2],
    /// Spearman rank correlation, in (−1, 1).
    pub rank: f64,
}

/// The validated `[uncertainty]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertaintySpec {
    /// How many parameter sets a run draws.
    pub parameter_sets: u32,
    pub portfolio: PortfolioDraw,
    /// The joint-draws CSV as written (relative to the scenario file), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joint: Option<String>,
    /// The table's uncertain fields, in file order.
    pub parameters: Vec<UncertainField>,
    pub correlations: Vec<RankCorrelation>,
}

impl UncertaintySpec {
    /// The position of `path` among the table's parameters.
    pub fn index_of(&self, path: &str) -> Option<usize> {
        self.parameters.iter().position(|p| p.path == path)
    }

    /// The Gaussian copula of the table's parameters.
    ///
    /// # Errors
    /// [`NotPositiveDefinite`] when the correlations cannot hold together (validation
    /// refuses such a table), or a correlation names a path the table lacks.
    pub fn copula(&self) -> Result<GaussianCopula, NotPositiveDefinite> {
        let mut ranks = Vec::with_capacity(self.correlations.len());
        for correlation in &self.correlations {
            let [a, b] = &correlation.between;
            match (self.index_of(a), self.index_of(b)) {
                (Some(i), Some(j)) if i != j => ranks.push((i, j, correlation.rank)),
                _ => {
                    return Err(NotPositiveDefinite {
                        variable: 0,
                        pivot: f64::NAN,
                    });
                }
            }
        }
        GaussianCopula::new(self.parameters.len(), &ranks)
    }
}

/// Validates the table; problems go to `check`, each naming its full key
/// (`uncertainty.parameters[2].mode`). `csv_portfolio`: the scenario reads its portfolio
/// from a CSV (which cannot be redrawn). With a `probe` (see [`Probe`]), each path and
/// distribution is also checked against the scenario, when the scenario without the
/// table is valid.
pub(crate) fn validate(
    check: &mut Checker,
    file: &UncertaintyFile,
    csv_portfolio: bool,
    probe: Option<&Probe>,
) -> UncertaintySpec {
    let parameter_sets = file.parameter_sets.unwrap_or(DEFAULT_PARAMETER_SETS.into());
    check.count(
        "uncertainty.parameter_sets",
        parameter_sets,
        2,
        MAX_PARAMETER_SETS.into(),
    );
    let portfolio = portfolio_draw(check, file.portfolio.as_deref(), csv_portfolio);
    if let Some(joint) = &file.joint
        && joint.trim().is_empty()
    {
        check.fail(
            "uncertainty.joint",
            Some("\"\"".into()),
            "must be the path of a CSV of joint draws (relative to the scenario file)",
        );
    }
    if file.parameters.is_empty() && file.joint.is_none() && portfolio == PortfolioDraw::Fixed {
        check.fail(
            "uncertainty",
            None,
            "varies nothing: give [[uncertainty.parameters]] entries, a joint CSV (joint = \"...\") or portfolio = \"redraw\"",
        );
    }
    // The probe parses the scenario without the table; if that fails, its problems are
    // reported already and every probe would fail with them.
    let probe = probe.filter(|probe| probe(&[]).is_ok());
    let mut parameters = Vec::new();
    let mut all_valid = true;
    for (index, entry) in file.parameters.iter().enumerate() {
        let field = format!("uncertainty.parameters[{index}]");
        let distribution = distribution::distribution_of(check, &field, entry);
        let path = match entry.path.as_deref() {
            Some(path) if !path.trim().is_empty() => path,
            _ => {
                check.fail(
                    &format!("{field}.path"),
                    None,
                    "is required: the dotted path of a numeric field (e.g. model.hire_rate, strategies[2].power)",
                );
                all_valid = false;
                continue;
            }
        };
        if let Some(earlier) = file.parameters[..index]
            .iter()
            .position(|other| other.path.as_deref() == Some(path))
        {
            check.fail(
                &format!("{field}.path"),
                Some(format!("{path:?}")),
                format!("is listed twice (also uncertainty.parameters[{earlier}]): each path may be listed once"),
            );
            all_valid = false;
        }
        let Some(distribution) = distribution else {
            all_valid = false;
            continue;
        };
        let also = also_of(check, &field, entry, &file.parameters);
        if let Some(probe) = probe {
            fields::check_field(check, probe, &field, "path", path, &distribution);
            for (position, other) in also.iter().enumerate() {
                let key = format!("also[{position}]");
                fields::check_field(check, probe, &field, &key, other, &distribution);
            }
        }
        parameters.push(UncertainField {
            path: path.to_string(),
            also,
            distribution,
            source: entry.source.clone().unwrap_or_default().trim().to_string(),
            assumption: entry.assumption.unwrap_or(false),
        });
    }
    let listed: Vec<&str> = file
        .parameters
        .iter()
        .filter_map(|entry| entry.path.as_deref())
        .collect();
    let correlations = correlations_of(check, &file.correlations, &listed);
    let spec = UncertaintySpec {
        parameter_sets: u32::try_from(parameter_sets).unwrap_or(u32::MAX),
        portfolio,
        joint: file.joint.clone(),
        parameters,
        correlations: correlations.clone().unwrap_or_default(),
    };
    if all_valid
        && correlations.is_some()
        && let Err(failure) = spec.copula()
    {
        let at = spec
            .parameters
            .get(failure.variable)
            .map_or("", |p| p.path.as_str());
        check.fail(
            "uncertainty.correlations",
            None,
            format!(
                "the rank correlations do not form a valid correlation matrix (it is not positive definite: those of `{at}` cannot hold together with the ones before it); weaken or remove some"
            ),
        );
    }
    spec
}

/// The `also` paths of one entry, checked: each non-empty, and neither the path of an
/// entry nor another entry's `also` (a field takes one value per set).
fn also_of(
    check: &mut Checker,
    field: &str,
    entry: &ParameterEntry,
    entries: &[ParameterEntry],
) -> Vec<String> {
    let mut kept = Vec::new();
    for (position, other) in entry.also.iter().flatten().enumerate() {
        let key = format!("{field}.also[{position}]");
        let elsewhere = entries.iter().any(|e| e.path.as_deref() == Some(other))
            || entries
                .iter()
                .filter(|e| !std::ptr::eq(*e, entry))
                .flat_map(|e| e.also.iter().flatten())
                .any(|p| p == other)
            || kept.contains(other);
        if other.trim().is_empty() {
            check.fail(
                &key,
                Some("\"\"".into()),
                "must be the dotted path of a numeric field that takes the same value",
            );
        } else if elsewhere {
            check.fail(
                &key,
                Some(format!("{other:?}")),
                "is already drawn by another entry (or listed twice): a field takes one value per set",
            );
        } else {
            kept.push(other.clone());
        }
    }
    kept
}

/// The `portfolio` setting, checked.
fn portfolio_draw(
    check: &mut Checker,
    written: Option<&str>,
    csv_portfolio: bool,
) -> PortfolioDraw {
    match written {
        None if csv_portfolio => PortfolioDraw::Fixed,
        None => PortfolioDraw::Redraw,
        Some("redraw") if !csv_portfolio => PortfolioDraw::Redraw,
        Some("redraw") => {
            check.fail(
                "uncertainty.portfolio",
                Some("\"redraw\"".into()),
                "a portfolio read from portfolio.csv cannot be redrawn: use \"fixed\" or leave it out",
            );
            PortfolioDraw::Fixed
        }
        Some("fixed") => PortfolioDraw::Fixed,
        Some(other) => {
            check.fail(
                "uncertainty.portfolio",
                Some(format!("{other:?}")),
                "must be \"redraw\" (a synthetic portfolio drawn anew for every parameter set) or \"fixed\"",
            );
            PortfolioDraw::Redraw
        }
    }
}

/// The correlations, checked; `None` when any is invalid (so no matrix is built).
fn correlations_of(
    check: &mut Checker,
    entries: &[CorrelationEntry],
    listed: &[&str],
) -> Option<Vec<RankCorrelation>> {
    let mut correlations: Vec<RankCorrelation> = Vec::new();
    // The file index of each correlation kept, to name an earlier one.
    let mut kept_from = Vec::new();
    let mut valid = true;
    for (index, entry) in entries.iter().enumerate() {
        let field = format!("uncertainty.correlations[{index}]");
        let mut fail = |key: &str, value: Option<String>, problem: String| {
            check.fail(&format!("{field}.{key}"), value, problem);
            valid = false;
        };
        let rank = match entry.rank {
            Some(rank) if rank > -1.0 && rank < 1.0 => Some(rank),
            Some(rank) => {
                fail(
                    "rank",
                    Some(rank.to_string()),
                    "must be a Spearman rank correlation strictly between -1 and 1".into(),
                );
                None
            }
            None => {
                fail(
                    "rank",
                    None,
                    "is required: a Spearman rank correlation strictly between -1 and 1".into(),
                );
                None
            }
        };
        let pair = match entry.between.as_deref() {
            Some([a, b]) => Some([a.clone(), b.clone()]),
            other => {
                fail(
                    "between",
                    other.map(|paths| format!("{paths:?}")),
                    "must be two paths from [[uncertainty.parameters]], e.g. between = [\"model.hire_rate\", \"model.cliff_multiplier\"]".into(),
                );
                None
            }
        };
        let (Some(rank), Some(pair)) = (rank, pair) else {
            continue;
        };
        for path in &pair {
            if !listed.contains(&path.as_str()) {
                fail(
                    "between",
                    Some(format!("{path:?}")),
                    format!(
                        "must name paths listed in [[uncertainty.parameters]] (listed: {})",
                        if listed.is_empty() {
                            "none".to_string()
                        } else {
                            listed.join(", ")
                        }
                    ),
                );
            }
        }
        if pair[0] == pair[1] {
            fail(
                "between",
                Some(format!("{pair:?}")),
                "must name two different paths".into(),
            );
        }
        let same = |other: &RankCorrelation| {
            let [a, b] = &other.between;
            (a == &pair[0] && b == &pair[1]) || (a == &pair[1] && b == &pair[0])
        };
        if let Some(earlier) = correlations.iter().position(same) {
            let earlier = kept_from[earlier];
            fail(
                "between",
                Some(format!("{pair:?}")),
                format!(
                    "repeats the pair of uncertainty.correlations[{earlier}]: give each pair once"
                ),
            );
        }
        correlations.push(RankCorrelation {
            between: pair,
            rank,
        });
        kept_from.push(index);
    }
    valid.then_some(correlations)
}

#[cfg(test)]
mod tests;
