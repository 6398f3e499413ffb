//! The outcomes paired against the baseline in the same replication, and the
//! cost-effectiveness ratios built on them.

use crate::model::Trajectory;

/// Outcomes paired against the baseline (the first strategy) in the same replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paired {
    AbandonmentsAverted,
    ProjectYearsGained,
    WeightedProjectYearsGained,
    LatentVulnerabilitiesRemoved,
    ExposureMonthsAvoided,
}

impl Paired {
    pub const ALL: [Paired; 5] = [
        Self::AbandonmentsAverted,
        Self::ProjectYearsGained,
        Self::WeightedProjectYearsGained,
        Self::LatentVulnerabilitiesRemoved,
        Self::ExposureMonthsAvoided,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::AbandonmentsAverted => "abandonments_averted",
            Self::ProjectYearsGained => "project_years_gained",
            Self::WeightedProjectYearsGained => "weighted_project_years_gained",
            Self::LatentVulnerabilitiesRemoved => "latent_vulnerabilities_removed",
            Self::ExposureMonthsAvoided => "exposure_months_avoided",
        }
    }

    /// The difference strategy − baseline in one replication. Usage weights sum to one;
    /// weighted project-years count a project of average usage as one.
    pub(super) fn of(self, t: &Trajectory, baseline: &Trajectory, usage_weights: &[f64]) -> f64 {
        let projects = t.surviving_months.len() as f64;
        match self {
            Self::AbandonmentsAverted => {
                let count = |t: &Trajectory| {
                    t.first_abandoned.iter().filter(|a| a.is_some()).count() as f64
                };
                count(baseline) - count(t)
            }
            Self::ProjectYearsGained => {
                let months = |t: &Trajectory| {
                    t.surviving_months
                        .iter()
                        .map(|&m| f64::from(m))
                        .sum::<f64>()
                };
                (months(t) - months(baseline)) / 12.0
            }
            Self::WeightedProjectYearsGained => {
                let gained: f64 = t
                    .surviving_months
                    .iter()
                    .zip(&baseline.surviving_months)
                    .zip(usage_weights)
                    .map(|((&m, &b), &w)| w * (f64::from(m) - f64::from(b)))
                    .sum();
                gained * projects / 12.0
            }
            // Per-project means of the trajectory, back to portfolio totals.
            Self::LatentVulnerabilitiesRemoved => {
                let latent = |t: &Trajectory| t.latent_vulnerabilities.last().copied();
                (latent(baseline).unwrap_or(0.0) - latent(t).unwrap_or(0.0)) * projects
            }
            Self::ExposureMonthsAvoided => {
                let exposure = |t: &Trajectory| t.open_vulnerabilities[1..].iter().sum::<f64>();
                (exposure(baseline) - exposure(t)) * projects
            }
        }
    }
}

/// Cost-effectiveness ratios: the fund's cost (money paid plus overhead) per unit of a
/// paired effect, as a ratio of means.
/// The usage-weighted ratio counts a project-year by the project's usage, one for a
/// project of average usage: the cost-effectiveness of keeping widely used projects alive.
pub const RATIOS: [(&str, Paired); 5] = [
    (
        "cost_per_abandonment_averted_eur",
        Paired::AbandonmentsAverted,
    ),
    (
        "cost_per_project_year_gained_eur",
        Paired::ProjectYearsGained,
    ),
    (
        "cost_per_weighted_project_year_gained_eur",
        Paired::WeightedProjectYearsGained,
    ),
    (
        "cost_per_latent_vulnerability_removed_eur",
        Paired::LatentVulnerabilitiesRemoved,
    ),
    (
        "cost_per_exposure_month_avoided_eur",
        Paired::ExposureMonthsAvoided,
    ),
];
