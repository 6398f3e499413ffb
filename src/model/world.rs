//! The world of a run: a portfolio and its parameters, with everything derived from them
//! that stays fixed while it is simulated (each project's constants, the shared rates, the
//! usage weights and the hidden merit). Apart because it is built once per run (or per
//! portfolio draw) and only read by every simulation.

use super::constants::{ProjectConstants, SharedRates};
use crate::params::{FundParams, ModelParams};
use crate::portfolio::Portfolio;

/// Everything about a portfolio and its parameters that stays fixed during a run.
#[derive(Debug, Clone)]
pub struct World {
    pub portfolio: Portfolio,
    pub model: ModelParams,
    pub fund: FundParams,
    pub(super) constants: Vec<ProjectConstants>,
    pub(super) rates: SharedRates,
    /// Dependents of each project over the total: the weights of usage-weighted outcomes.
    pub usage_weights: Vec<f64>,
    /// Hidden merit, reachable by strategies only through a noisy [`Review`](crate::fund::Review).
    pub(super) merit: Vec<f64>,
}

impl World {
    pub fn new(portfolio: Portfolio, model: ModelParams, fund: FundParams) -> Self {
        let constants = portfolio
            .projects
            .iter()
            .map(|p| ProjectConstants::new(p, &model, &fund))
            .collect();
        let total = portfolio.total_dependents();
        let usage_weights = portfolio
            .projects
            .iter()
            .map(|p| {
                if total > 0.0 {
                    p.dependents / total
                } else {
                    1.0 / portfolio.projects.len() as f64
                }
            })
            .collect();
        let rates = SharedRates::new(&model);
        let merit = hidden_merit(&portfolio, model.hours_per_person_month);
        Self {
            portfolio,
            model,
            fund,
            constants,
            rates,
            usage_weights,
            merit,
        }
    }

    pub fn project_count(&self) -> usize {
        self.portfolio.projects.len()
    }
}

/// Hidden merit of every project: criticality × under-supply, where under-supply is the
/// share of arriving work the initial volunteers cannot cover; standardised.
fn hidden_merit(portfolio: &Portfolio, hours_per_person_month: f64) -> Vec<f64> {
    let raw: Vec<f64> = portfolio
        .projects
        .iter()
        .map(|p| {
            let capacity = f64::from(p.maintainers) * p.volunteer_hours / hours_per_person_month;
            let under_supply = if p.work_rate > 0.0 {
                (1.0 - capacity / p.work_rate).max(0.0)
            } else {
                0.0
            };
            p.criticality * (0.5 + under_supply)
        })
        .collect();
    let n = raw.len().max(1) as f64;
    let mean = raw.iter().sum::<f64>() / n;
    let sd = (raw.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / n).sqrt();
    raw.iter()
        .map(|m| if sd > 0.0 { (m - mean) / sd } else { 0.0 })
        .collect()
}
