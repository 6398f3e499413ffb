//! The `[portfolio]` table: a portfolio CSV, or the distributions a synthetic portfolio
//! is drawn from.

use serde::{Deserialize, Serialize};

use super::Checker;

/// The `[portfolio]` table as written: either a CSV path or synthetic distributions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioFile {
    /// Path of a portfolio CSV, relative to the scenario file.
    pub csv: Option<String>,
    pub projects: Option<u32>,
    pub dependents_median: Option<f64>,
    pub dependents_sigma_log: Option<f64>,
    pub maintainers_one_share: Option<f64>,
    pub maintainers_two_share: Option<f64>,
    pub maintainers_extra_mean: Option<f64>,
    pub volunteer_hours: Option<f64>,
    pub volunteer_hours_sigma_log: Option<f64>,
    pub backlog_months: Option<f64>,
    pub absorption_base_pm: Option<f64>,
    pub absorption_per_maintainer_pm: Option<f64>,
    pub baseline_funding_eur: Option<f64>,
    pub redraw_per_replication: Option<bool>,
}

/// Distributions a synthetic portfolio is drawn from (docs/model.md, "The portfolio").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticPortfolio {
    /// Number of projects.
    pub projects: u32,
    /// Median of the log-normal number of dependents.
    pub dependents_median: f64,
    /// σ of log(dependents).
    pub dependents_sigma_log: f64,
    /// Share of projects with one maintainer at month 0.
    pub maintainers_one_share: f64,
    /// Share with two maintainers; the rest have three plus a geometric extra.
    pub maintainers_two_share: f64,
    /// Mean of the extra maintainers beyond three, for teams of three or more.
    pub maintainers_extra_mean: f64,
    /// Median unpaid hours per maintainer per month.
    pub volunteer_hours: f64,
    /// σ of log(volunteer hours) across projects.
    pub volunteer_hours_sigma_log: f64,
    /// Mean initial backlog, in months of the project's arriving work.
    pub backlog_months: f64,
    /// Absorption (PM/month) of a project, before its maintainers are counted.
    pub absorption_base_pm: f64,
    /// Absorption (PM/month) each initial maintainer adds.
    pub absorption_per_maintainer_pm: f64,
    /// EUR per month every project already gets from elsewhere.
    pub baseline_funding_eur: f64,
    /// Draw a new portfolio for every replication (portfolio uncertainty).
    pub redraw_per_replication: bool,
}

impl Default for SyntheticPortfolio {
    fn default() -> Self {
        Self {
            projects: 62,
            dependents_median: 3_000.0,
            dependents_sigma_log: 2.0,
            maintainers_one_share: 0.46,
            maintainers_two_share: 0.28,
            maintainers_extra_mean: 2.0,
            volunteer_hours: 20.0,
            volunteer_hours_sigma_log: 0.3,
            backlog_months: 3.0,
            absorption_base_pm: 0.5,
            absorption_per_maintainer_pm: 1.0,
            baseline_funding_eur: 0.0,
            redraw_per_replication: false,
        }
    }
}

/// Where the projects come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortfolioSpec {
    Synthetic(SyntheticPortfolio),
    /// A portfolio CSV; the path as written in the scenario (relative to its file).
    Csv {
        path: String,
    },
}

impl PortfolioFile {
    /// The portfolio the table asks for, its settings checked (problems go to `check`).
    pub fn check(&self, check: &mut Checker) -> PortfolioSpec {
        let file = self;
        let defaults = SyntheticPortfolio::default();
        if let Some(path) = &file.csv {
            let synthetic_keys = [
                ("projects", file.projects.is_some()),
                ("dependents_median", file.dependents_median.is_some()),
                ("dependents_sigma_log", file.dependents_sigma_log.is_some()),
                (
                    "maintainers_one_share",
                    file.maintainers_one_share.is_some(),
                ),
                (
                    "maintainers_two_share",
                    file.maintainers_two_share.is_some(),
                ),
                (
                    "maintainers_extra_mean",
                    file.maintainers_extra_mean.is_some(),
                ),
                ("volunteer_hours", file.volunteer_hours.is_some()),
                (
                    "volunteer_hours_sigma_log",
                    file.volunteer_hours_sigma_log.is_some(),
                ),
                ("backlog_months", file.backlog_months.is_some()),
                ("absorption_base_pm", file.absorption_base_pm.is_some()),
                (
                    "absorption_per_maintainer_pm",
                    file.absorption_per_maintainer_pm.is_some(),
                ),
                ("baseline_funding_eur", file.baseline_funding_eur.is_some()),
                (
                    "redraw_per_replication",
                    file.redraw_per_replication.is_some(),
                ),
            ];
            for (key, given) in synthetic_keys {
                if given {
                    check.fail(
                    &format!("portfolio.{key}"),
                    None,
                    "is a synthetic-portfolio setting and cannot be combined with portfolio.csv (put it in the CSV)",
                );
                }
            }
            if path.trim().is_empty() {
                check.fail(
                    "portfolio.csv",
                    Some("\"\"".into()),
                    "must be the path of a portfolio CSV",
                );
            }
            return PortfolioSpec::Csv { path: path.clone() };
        }
        let synthetic = SyntheticPortfolio {
            projects: file.projects.unwrap_or(defaults.projects),
            dependents_median: file.dependents_median.unwrap_or(defaults.dependents_median),
            dependents_sigma_log: file
                .dependents_sigma_log
                .unwrap_or(defaults.dependents_sigma_log),
            maintainers_one_share: file
                .maintainers_one_share
                .unwrap_or(defaults.maintainers_one_share),
            maintainers_two_share: file
                .maintainers_two_share
                .unwrap_or(defaults.maintainers_two_share),
            maintainers_extra_mean: file
                .maintainers_extra_mean
                .unwrap_or(defaults.maintainers_extra_mean),
            volunteer_hours: file.volunteer_hours.unwrap_or(defaults.volunteer_hours),
            volunteer_hours_sigma_log: file
                .volunteer_hours_sigma_log
                .unwrap_or(defaults.volunteer_hours_sigma_log),
            backlog_months: file.backlog_months.unwrap_or(defaults.backlog_months),
            absorption_base_pm: file
                .absorption_base_pm
                .unwrap_or(defaults.absorption_base_pm),
            absorption_per_maintainer_pm: file
                .absorption_per_maintainer_pm
                .unwrap_or(defaults.absorption_per_maintainer_pm),
            baseline_funding_eur: file
                .baseline_funding_eur
                .unwrap_or(defaults.baseline_funding_eur),
            redraw_per_replication: file
                .redraw_per_replication
                .unwrap_or(defaults.redraw_per_replication),
        };
        // Absurdly large portfolios are refused later, with an estimate, unless forced.
        check.count(
            "portfolio.projects",
            synthetic.projects.into(),
            1,
            u64::from(u32::MAX),
        );
        check.positive(
            "portfolio.dependents_median",
            synthetic.dependents_median,
            1e12,
        );
        check.range(
            "portfolio.dependents_sigma_log",
            synthetic.dependents_sigma_log,
            0.0,
            10.0,
        );
        check.probability(
            "portfolio.maintainers_one_share",
            synthetic.maintainers_one_share,
        );
        check.probability(
            "portfolio.maintainers_two_share",
            synthetic.maintainers_two_share,
        );
        if synthetic.maintainers_one_share + synthetic.maintainers_two_share > 1.0 + 1e-12 {
            check.fail(
                "portfolio.maintainers_two_share",
                Some(synthetic.maintainers_two_share.to_string()),
                format!(
                    "together with portfolio.maintainers_one_share = {} must not exceed 1",
                    synthetic.maintainers_one_share
                ),
            );
        }
        check.range(
            "portfolio.maintainers_extra_mean",
            synthetic.maintainers_extra_mean,
            0.0,
            1_000.0,
        );
        check.range(
            "portfolio.volunteer_hours",
            synthetic.volunteer_hours,
            0.0,
            744.0,
        );
        check.range(
            "portfolio.volunteer_hours_sigma_log",
            synthetic.volunteer_hours_sigma_log,
            0.0,
            5.0,
        );
        check.range(
            "portfolio.backlog_months",
            synthetic.backlog_months,
            0.0,
            1_200.0,
        );
        check.range(
            "portfolio.absorption_base_pm",
            synthetic.absorption_base_pm,
            0.0,
            1e4,
        );
        check.range(
            "portfolio.absorption_per_maintainer_pm",
            synthetic.absorption_per_maintainer_pm,
            0.0,
            1e4,
        );
        check.range(
            "portfolio.baseline_funding_eur",
            synthetic.baseline_funding_eur,
            0.0,
            1e9,
        );
        PortfolioSpec::Synthetic(synthetic)
    }
}
