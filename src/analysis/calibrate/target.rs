//! The observed side of a calibration: the Kaplan–Meier curve of the observed lifetimes on
//! the monthly grid with the weights of the distance, and the distance `D` itself
//! ([`Target`], see the parent module's documentation). Apart because it is pure
//! statistics on the data, with no simulation in it.

use super::problem::CalibrationError;
use crate::stats::{KaplanMeier, Lifetime};

/// The observed curve on the monthly grid, with the weights of the distance.
#[derive(Debug, Clone)]
pub struct Target {
    pub observed: KaplanMeier,
    /// Grid months `1 … ⌊M⌋`.
    pub months: Vec<u32>,
    survival: Vec<f64>,
    /// `max(V̂(m), 1/n²)` per grid month.
    variance: Vec<f64>,
}

impl Target {
    /// # Errors
    /// [`CalibrationError::Observed`] without any event or with less than one month of
    /// follow-up; [`SurvivalError`](crate::stats::SurvivalError) for bad lifetimes.
    pub fn new(lifetimes: &[Lifetime]) -> Result<Self, CalibrationError> {
        let observed = KaplanMeier::fit(lifetimes)?;
        if !lifetimes.iter().any(|l| l.event) {
            return Err(CalibrationError::Observed(
                "no project was abandoned (no event): every curve with no abandonment fits".into(),
            ));
        }
        let last = observed.last_time().floor() as u32;
        if last < 1 {
            return Err(CalibrationError::Observed(
                "follow-up is shorter than one month".into(),
            ));
        }
        let n = observed.subjects() as f64;
        let floor = 1.0 / (n * n);
        let months: Vec<u32> = (1..=last).collect();
        let survival = months
            .iter()
            .map(|&m| observed.survival_at(f64::from(m)))
            .collect();
        let variance = months
            .iter()
            .map(|&m| {
                let v = observed.variance_at(f64::from(m));
                if v.is_finite() { v.max(floor) } else { floor }
            })
            .collect();
        Ok(Self {
            observed,
            months,
            survival,
            variance,
        })
    }

    /// Months of simulation the target needs: the follow-up, rounded up.
    pub fn horizon_months(&self) -> u32 {
        self.observed.last_time().ceil().max(1.0) as u32
    }

    /// `D` of the module's documentation for a pooled simulated curve
    /// ([`Model::pooled_survival`](super::Model::pooled_survival)).
    pub fn distance(&self, pooled: &[u64]) -> f64 {
        let Ok(simulated) = KaplanMeier::from_pooled_months(pooled) else {
            return f64::INFINITY;
        };
        self.months
            .iter()
            .zip(&self.survival)
            .zip(&self.variance)
            .map(|((&month, &observed), &variance)| {
                let t = f64::from(month);
                let v_sim = simulated.variance_at(t);
                let v_sim = if v_sim.is_finite() { v_sim } else { 0.0 };
                let gap = observed - simulated.survival_at(t);
                gap * gap / (variance + v_sim)
            })
            .sum()
    }
}
