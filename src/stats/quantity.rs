//! The outputs an analysis reads from a run: any metric of `summary.csv` (the levels,
//! the paired outcomes against the baseline and the cost-effectiveness ratios), and
//! time-resolved survival (at each year), for one strategy or as a difference between
//! two strategies in the same replications.

use super::{Estimate, Metric, Paired, RATIOS, RunAccumulator};

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
    /// A cost-effectiveness ratio of `summary.csv` (an entry of [`RATIOS`], named by its
    /// effect): the fund's cost (paid + overhead) per unit of the paired effect over the
    /// baseline, as a ratio of means. Lower is better; undefined (NaN) where the effect
    /// is not positive, and so always for the baseline itself.
    Ratio(Paired),
}

/// What a quantity's values can be, for checking goals and drawing axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// A share of projects (or of usage, or of money): 0 to 1.
    Share,
    /// A count, an amount, a duration or a ratio of costs: 0 or more.
    NotNegative,
    /// A difference to the baseline: any sign.
    Any,
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
        if let Some((_, effect)) = RATIOS.iter().find(|(ratio, _)| *ratio == name) {
            return Ok(vec![Self::Ratio(*effect)]);
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
        let ratios: Vec<&str> = RATIOS.iter().map(|(ratio, _)| *ratio).collect();
        Err(format!(
            "is not a metric; choose one of {}, {}, {}, survival_year_N, weighted_survival_year_N (N years, within the horizon), survival_by_year or weighted_survival_by_year",
            metrics.join(", "),
            paired.join(", "),
            ratios.join(", ")
        ))
    }

    /// Every name of `summary.csv`, in its order: the metrics, the paired outcomes, the
    /// cost-effectiveness ratios.
    pub fn summary_names() -> Vec<&'static str> {
        Metric::ALL
            .iter()
            .map(|m| m.name())
            .chain(Paired::ALL.iter().map(|p| p.name()))
            .chain(RATIOS.iter().map(|(ratio, _)| *ratio))
            .collect()
    }

    /// The name in tables.
    pub fn name(&self) -> String {
        match self {
            Self::Metric(metric) => metric.name().to_string(),
            Self::Paired(paired) => paired.name().to_string(),
            Self::Survival { month } => format!("survival_year_{}", month / 12),
            Self::WeightedSurvival { month } => format!("weighted_survival_year_{}", month / 12),
            Self::Ratio(effect) => ratio_slot(*effect).map_or_else(
                || format!("cost_per_{}_eur", effect.name()),
                |slot| RATIOS[slot].0.to_string(),
            ),
        }
    }

    /// What the quantity means, with its unit, for people (chart labels, docs).
    pub fn description(&self) -> String {
        match self {
            Self::Metric(metric) => metric.description().to_string(),
            Self::Paired(paired) => format!(
                "{} against the baseline (paired{})",
                effect_noun(*paired, true),
                if matches!(
                    *paired,
                    Paired::AbandonmentsAverted | Paired::LatentVulnerabilitiesRemoved
                ) {
                    ", count"
                } else {
                    ""
                }
            ),
            Self::Survival { month } => {
                format!("share of projects never abandoned by year {}", month / 12)
            }
            Self::WeightedSurvival { month } => format!(
                "share of dependents (usage) in projects never abandoned by year {}",
                month / 12
            ),
            Self::Ratio(effect) => format!(
                "fund cost (paid + overhead) per {} (EUR)",
                effect_noun(*effect, false)
            ),
        }
    }

    /// What values the quantity can take.
    pub fn scale(&self) -> Scale {
        match self {
            Self::Survival { .. } | Self::WeightedSurvival { .. } => Scale::Share,
            Self::Paired(_) => Scale::Any,
            Self::Ratio(_) => Scale::NotNegative,
            Self::Metric(metric) => match metric {
                Metric::SurvivalAtHorizon
                | Metric::AliveAtHorizon
                | Metric::WeightedSurvivalAtHorizon
                | Metric::ShareFixedWithin3Months
                | Metric::GiniAllocation
                | Metric::ShareFunded
                | Metric::Survival12mAfterProgramme
                | Metric::Survival36mAfterProgramme
                | Metric::Survival72mAfterProgramme => Scale::Share,
                Metric::Abandonments
                | Metric::ProjectYearsSurvived
                | Metric::MaintainersAtHorizon
                | Metric::BacklogAtHorizon
                | Metric::OpenVulnerabilitiesAtHorizon
                | Metric::LatentVulnerabilitiesAtHorizon
                | Metric::ExposureMonths
                | Metric::DiscoveredVulnerabilities
                | Metric::FixedVulnerabilities
                | Metric::MedianTimeToFixMonths
                | Metric::TotalPaidEur
                | Metric::OverheadEur => Scale::NotNegative,
            },
        }
    }

    /// Whether a larger value is better for the fund's goal: a cost per unit of effect is
    /// better lower.
    pub fn higher_is_better(&self) -> bool {
        match self {
            Self::Metric(metric) => metric.higher_is_better(),
            Self::Ratio(_) => false,
            _ => true,
        }
    }

    /// Whether the quantity is undefined for the baseline by construction (a ratio to
    /// the effect over the baseline, which is zero for the baseline itself).
    pub fn undefined_for_baseline(&self) -> bool {
        matches!(self, Self::Ratio(_))
    }

    /// Why the quantity can be undefined for a strategy, for messages; `None` when it is
    /// defined wherever the run is.
    pub fn why_undefined(&self) -> Option<String> {
        match self {
            Self::Ratio(effect) => Some(format!(
                "it is a cost per {} and is undefined where the mean {} is not positive (no effect over the baseline, and for the baseline itself)",
                effect_noun(*effect, false),
                effect.name()
            )),
            Self::Metric(Metric::MedianTimeToFixMonths | Metric::ShareFixedWithin3Months) => {
                Some("it is undefined where no vulnerability was fixed".into())
            }
            _ => None,
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
            // Exactly the value of `summary.csv` (same accumulator, same method).
            Self::Ratio(effect) => ratio_slot(effect)
                .and_then(|slot| s.cost_effect.get(slot))
                .and_then(super::CoMoments::ratio)
                .unwrap_or_else(Estimate::undefined),
        }
    }

    /// Strategy `i` minus strategy `j`. Paired within replications (common random
    /// numbers) for the level metrics of `summary.csv`; for the others the run keeps no
    /// paired variance, so the standard error is the unpaired one √(SEᵢ² + SEⱼ²), an upper
    /// bound when the two estimates are positively correlated, as common random numbers
    /// make them. For a cost-effectiveness ratio a paired delta method would need the
    /// covariances of both strategies' costs and effects, which the run does not keep;
    /// the difference is undefined when either ratio is.
    pub fn difference(&self, acc: &RunAccumulator, i: usize, j: usize) -> Estimate {
        if let Self::Metric(metric) = *self {
            return Estimate::of(acc.difference(metric, i, j));
        }
        let (a, b) = (self.estimate(acc, i), self.estimate(acc, j));
        Estimate::normal(a.mean - b.mean, a.mcse.hypot(b.mcse))
    }
}

/// The slot of the [`RATIOS`] entry whose effect is `effect`.
fn ratio_slot(effect: Paired) -> Option<usize> {
    RATIOS.iter().position(|(_, e)| *e == effect)
}

/// A paired effect in words: plural ("abandonments averted") for the outcome, singular
/// ("abandonment averted") for the unit of a cost per effect.
fn effect_noun(effect: Paired, plural: bool) -> &'static str {
    match (effect, plural) {
        (Paired::AbandonmentsAverted, true) => "abandonments averted",
        (Paired::AbandonmentsAverted, false) => "abandonment averted",
        (Paired::ProjectYearsGained, true) => "project-years of survival gained",
        (Paired::ProjectYearsGained, false) => "project-year gained",
        (Paired::WeightedProjectYearsGained, true) => "usage-weighted project-years gained",
        (Paired::WeightedProjectYearsGained, false) => "usage-weighted project-year gained",
        (Paired::LatentVulnerabilitiesRemoved, true) => "latent vulnerabilities removed",
        (Paired::LatentVulnerabilitiesRemoved, false) => "latent vulnerability removed",
        (Paired::ExposureMonthsAvoided, true) => "months of exposure avoided",
        (Paired::ExposureMonthsAvoided, false) => "month of exposure avoided",
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

    #[test]
    fn every_summary_name_is_a_quantity_and_is_offered_when_a_name_is_wrong() {
        let names = Quantity::summary_names();
        assert_eq!(
            names.len(),
            Metric::ALL.len() + Paired::ALL.len() + RATIOS.len()
        );
        let problem = Quantity::parse_list("cost_per_nothing", 120).unwrap_err();
        for name in names {
            let parsed = Quantity::parse_list(name, 120).unwrap();
            assert_eq!(parsed.len(), 1, "{name}");
            assert_eq!(parsed[0].name(), name);
            assert!(!parsed[0].description().is_empty(), "{name}");
            assert!(problem.contains(name), "{name} missing from: {problem}");
        }
        let ratio = Quantity::parse_list("cost_per_abandonment_averted_eur", 120).unwrap()[0];
        assert_eq!(ratio, Quantity::Ratio(Paired::AbandonmentsAverted));
        assert!(!ratio.higher_is_better());
        assert_eq!(ratio.scale(), Scale::NotNegative);
        assert!(ratio.undefined_for_baseline());
        assert_eq!(
            ratio.description(),
            "fund cost (paid + overhead) per abandonment averted (EUR)"
        );
    }

    /// An accumulator of two strategies whose second has the (cost, effect) pairs
    /// `pairs` in every ratio slot.
    fn with_cost_effect(pairs: &[(f64, f64)]) -> RunAccumulator {
        let mut acc = RunAccumulator::new(2, 12, 3, 1, 12);
        for slot in &mut acc.strategies[1].cost_effect {
            pairs
                .iter()
                .for_each(|&(cost, effect)| slot.add(cost, effect));
        }
        for slot in &mut acc.strategies[0].cost_effect {
            pairs.iter().for_each(|&(_, _)| slot.add(0.0, 0.0));
        }
        acc
    }

    #[test]
    fn a_ratio_reads_exactly_the_summary_value_and_is_undefined_without_an_effect() {
        let acc = with_cost_effect(&[(1.0e6, 2.0), (1.2e6, 3.0), (0.9e6, 4.0)]);
        let summary = acc.strategies[1].summary();
        for (name, effect) in RATIOS {
            let estimate = Quantity::Ratio(effect).estimate(&acc, 1);
            let row = summary.iter().find(|(n, _)| *n == name).unwrap().1;
            assert_eq!(estimate, row, "{name}");
            assert!((estimate.mean - 3.1e6 / 9.0).abs() < 1e-6);
            // The baseline: no effect over itself.
            assert!(Quantity::Ratio(effect).estimate(&acc, 0).mean.is_nan());
            assert!(Quantity::Ratio(effect).difference(&acc, 1, 0).mean.is_nan());
        }
        let harmful = with_cost_effect(&[(1.0e6, -1.0), (1.0e6, -2.0)]);
        let ratio = Quantity::Ratio(Paired::ProjectYearsGained);
        assert!(ratio.estimate(&harmful, 1).mean.is_nan());
        assert!(ratio.why_undefined().unwrap().contains("not positive"));
    }

    #[test]
    fn a_difference_of_ratios_takes_the_unpaired_standard_error() {
        let mut acc = with_cost_effect(&[(1.0e6, 2.0), (1.2e6, 3.0), (0.9e6, 4.0)]);
        acc.strategies[0] = acc.strategies[1].clone();
        for slot in &mut acc.strategies[0].cost_effect {
            slot.add(2.0e6, 1.0);
        }
        let ratio = Quantity::Ratio(Paired::AbandonmentsAverted);
        let (a, b) = (ratio.estimate(&acc, 1), ratio.estimate(&acc, 0));
        let difference = ratio.difference(&acc, 1, 0);
        assert_eq!(difference.mean, a.mean - b.mean);
        assert_eq!(difference.mcse, a.mcse.hypot(b.mcse));
    }
}
