//! The outputs an analysis reads from a run: any metric of `summary.csv`, the paired
//! outcomes against the baseline, and time-resolved survival (at each year), for one
//! strategy or as a difference between two strategies in the same replications.

use super::{Estimate, Metric, Paired, RunAccumulator};

/// One scalar read from a run's accumulator for a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// A metric of `summary.csv` (`survival_at_horizon`, …).
    Metric(Metric),
    /// A paired outcome against the baseline (`abandonments_averted`, …).
    Paired(Paired),
    /// Share of projects never abandoned at the end of `month` (`survival_year_N`: 12·N).
    Survival { month: usize },
    /// Usage-weighted share never abandoned at the end of `month`
    /// (`weighted_survival_year_N`).
    WeightedSurvival { month: usize },
}

impl Quantity {
    /// The quantities a name stands for: one metric, or a time-resolved family
    /// (`survival_by_year`, `weighted_survival_by_year`: one per whole year of the
    /// horizon).
    ///
    /// # Errors
    /// A sentence naming the valid choices.
    pub fn parse_list(name: &str, horizon_months: u32) -> Result<Vec<Quantity>, String> {
        let years = (horizon_months / 12) as usize;
        match name {
            "survival_by_year" => {
                return Ok((1..=years)
                    .map(|y| Self::Survival { month: 12 * y })
                    .collect());
            }
            "weighted_survival_by_year" => {
                return Ok((1..=years)
                    .map(|y| Self::WeightedSurvival { month: 12 * y })
                    .collect());
            }
            _ => {}
        }
        if let Some(metric) = Metric::from_name(name) {
            return Ok(vec![Self::Metric(metric)]);
        }
        if let Some(paired) = Paired::ALL.into_iter().find(|p| p.name() == name) {
            return Ok(vec![Self::Paired(paired)]);
        }
        let at_year = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|year| year.parse::<usize>().ok())
        };
        if let Some(year) = at_year("weighted_survival_year_") {
            return in_horizon(year, horizon_months)
                .map(|month| vec![Self::WeightedSurvival { month }]);
        }
        if let Some(year) = at_year("survival_year_") {
            return in_horizon(year, horizon_months).map(|month| vec![Self::Survival { month }]);
        }
        let metrics: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        let paired: Vec<&str> = Paired::ALL.iter().map(|p| p.name()).collect();
        Err(format!(
            "is not a metric; choose one of {}, {}, survival_year_N, weighted_survival_year_N (N years, within the horizon), survival_by_year or weighted_survival_by_year",
            metrics.join(", "),
            paired.join(", ")
        ))
    }

    /// The name in tables.
    pub fn name(&self) -> String {
        match self {
            Self::Metric(metric) => metric.name().to_string(),
            Self::Paired(paired) => paired.name().to_string(),
            Self::Survival { month } => format!("survival_year_{}", month / 12),
            Self::WeightedSurvival { month } => format!("weighted_survival_year_{}", month / 12),
        }
    }

    /// Whether a larger value is better for the fund's goal.
    pub fn higher_is_better(&self) -> bool {
        match self {
            Self::Metric(metric) => metric.higher_is_better(),
            _ => true,
        }
    }

    /// Whether the quantity is one of a time-resolved family.
    pub fn is_time_resolved(&self) -> bool {
        matches!(self, Self::Survival { .. } | Self::WeightedSurvival { .. })
    }

    /// The mean over replications for strategy `strategy`, with its 95% interval.
    pub fn estimate(&self, acc: &RunAccumulator, strategy: usize) -> Estimate {
        let s = &acc.strategies[strategy];
        match *self {
            Self::Metric(metric) => Estimate::of(s.metric(metric)),
            Self::Paired(paired) => {
                let slot = Paired::ALL
                    .iter()
                    .position(|&p| p == paired)
                    .expect("every paired outcome has a slot");
                Estimate::of(&s.paired[slot])
            }
            Self::Survival { month } => s
                .survival
                .surviving
                .get(month)
                .map_or_else(Estimate::undefined, Estimate::of),
            Self::WeightedSurvival { month } => s
                .survival
                .weighted_surviving
                .get(month)
                .map_or_else(Estimate::undefined, Estimate::of),
        }
    }

    /// Strategy `i` minus strategy `j`. Paired within replications (common random
    /// numbers) for the metrics of `summary.csv`; for the others the run keeps no paired
    /// variance, so the standard error is the unpaired one, an upper bound.
    pub fn difference(&self, acc: &RunAccumulator, i: usize, j: usize) -> Estimate {
        if let Self::Metric(metric) = *self {
            return Estimate::of(acc.difference(metric, i, j));
        }
        let (a, b) = (self.estimate(acc, i), self.estimate(acc, j));
        Estimate::normal(a.mean - b.mean, a.mcse.hypot(b.mcse))
    }
}

fn in_horizon(year: usize, horizon_months: u32) -> Result<usize, String> {
    let month = 12 * year;
    if year == 0 || month > horizon_months as usize {
        Err(format!(
            "names year {year}, outside the horizon (1 to {} whole years)",
            horizon_months / 12
        ))
    } else {
        Ok(month)
    }
}

/// One output of an analysis: a quantity for a strategy, or the difference between two
/// strategies (indices into the scenario's strategies, as simulated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub quantity: Quantity,
    pub strategy: usize,
    /// When set, the output is `strategy − versus`, paired within replications.
    pub versus: Option<usize>,
}

impl Output {
    pub fn estimate(&self, acc: &RunAccumulator) -> Estimate {
        match self.versus {
            None => self.quantity.estimate(acc, self.strategy),
            Some(versus) => self.quantity.difference(acc, self.strategy, versus),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_round_trip() {
        let list = Quantity::parse_list("survival_by_year", 120).unwrap();
        assert_eq!(list.len(), 10);
        assert_eq!(list[4].name(), "survival_year_5");
        assert_eq!(
            Quantity::parse_list("weighted_survival_year_3", 120).unwrap(),
            vec![Quantity::WeightedSurvival { month: 36 }]
        );
        assert_eq!(
            Quantity::parse_list("abandonments_averted", 120).unwrap()[0].name(),
            "abandonments_averted"
        );
        assert!(Quantity::parse_list("survival_year_11", 120).is_err());
        assert!(Quantity::parse_list("survival_year_0", 120).is_err());
        assert!(Quantity::parse_list("surival", 120).is_err());
        for metric in Metric::ALL {
            assert_eq!(
                Quantity::parse_list(metric.name(), 120).unwrap()[0].name(),
                metric.name()
            );
        }
    }
}
