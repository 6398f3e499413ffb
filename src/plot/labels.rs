//! Words and numbers for the analysis charts (`sweep`, `sensitivity`): an outcome's name
//! for people, from the metric's own description ([`Metric::description`]), a swept
//! parameter's axis title from the scenario field's description, and how values are
//! written (shares as percentages, differences of shares in percentage points, money in
//! EUR million). The run charts have their own titles; these are for charts whose
//! outcome is chosen on the command line.

use crate::stats::{Metric, Paired, Quantity, RATIOS};

/// How the values of an outcome (or a parameter) are written on a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// A share from 0 to 1, written as a percentage (0.874 → 87.4%).
    Percent,
    /// A difference of two shares, in percentage points (0.052 → +5.2 pp).
    Points,
    /// A number in its own unit, divided by `divisor` (EUR million: 1e6) for ticks.
    Scaled { divisor: u32 },
    /// A number as it is.
    Plain,
}

impl ValueFormat {
    /// The factor from the stored value to the number written.
    pub fn factor(self) -> f64 {
        match self {
            Self::Percent | Self::Points => 100.0,
            Self::Scaled { divisor } => 1.0 / f64::from(divisor.max(1)),
            Self::Plain => 1.0,
        }
    }

    /// A tick label: `85%`, `5`, `12.5`, `9,200`.
    pub fn tick(self, value: f64) -> String {
        let shown = value * self.factor();
        let text = match self {
            Self::Percent => format!("{}%", trim(shown, 2)),
            _ => compact(shown),
        };
        text.replace('-', "−")
    }

    /// A value written out on its own (in a heat map's cell, a colour bar): `87.4%`,
    /// `+5.2 pp`, `24.6M`-style compact numbers otherwise.
    pub fn value(self, value: f64) -> String {
        if !value.is_finite() {
            return "—".into();
        }
        match self {
            Self::Percent => format!("{:.1}%", 100.0 * value),
            Self::Points => format!("{:+.1} pp", 100.0 * value).replace('-', "−"),
            _ => compact(value * self.factor()).replace('-', "−"),
        }
    }
}

/// An outcome as a chart names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// A sentence-case name with its unit, e.g. "Share of projects never abandoned after
    /// 10 years (%)".
    pub title: String,
    /// The same without the unit, lower case, to go inside a sentence.
    pub phrase: String,
    /// The unit as written: "%", "percentage points", "EUR", "projects"; empty for a
    /// number without one.
    pub unit: String,
    pub format: ValueFormat,
}

/// The human name of `metric` (a metric of `summary.csv`, a paired outcome, a cost
/// ratio, `survival_year_N`, …), as a level or, when `versus` is a strategy, as the gain
/// over that strategy in the same replications. `horizon_months` turns "at the horizon"
/// into "after 10 years". A name this version does not know is shown as it is.
pub fn outcome(metric: &str, versus: &str, horizon_months: u32) -> Outcome {
    let (phrase, share, unit) = describe(metric, horizon_months);
    let (phrase, format, unit) = if versus.is_empty() {
        let format = if share {
            ValueFormat::Percent
        } else {
            ValueFormat::Plain
        };
        (phrase, format, if share { "%".to_string() } else { unit })
    } else if share {
        (
            format!("gain over “{versus}” in the {phrase}"),
            ValueFormat::Points,
            "percentage points".to_string(),
        )
    } else {
        (
            format!("gain over “{versus}” in {phrase}"),
            ValueFormat::Plain,
            unit,
        )
    };
    let title = if unit.is_empty() {
        capitalise(&phrase)
    } else {
        format!("{} ({unit})", capitalise(&phrase))
    };
    Outcome {
        title,
        phrase,
        unit,
        format,
    }
}

/// (phrase without unit, whether the value is a share from 0 to 1, unit).
fn describe(metric: &str, horizon_months: u32) -> (String, bool, String) {
    let after = |months: u32| {
        if months.is_multiple_of(12) {
            let years = months / 12;
            format!("after {years} year{}", if years == 1 { "" } else { "s" })
        } else {
            format!("after {months} months")
        }
    };
    let within = |months: u32| after(months).replacen("after", "in", 1);
    let horizon = within(horizon_months);
    if let Some(m) = Metric::from_name(metric) {
        let text = m
            .description()
            .replace("by the horizon", &horizon)
            .replace("at the horizon", &after(horizon_months));
        let share = is_share(m);
        let (phrase, unit) = split_unit(&text);
        return (phrase, share, unit);
    }
    let year = |prefix: &str| {
        metric
            .strip_prefix(prefix)
            .and_then(|y| y.parse::<u32>().ok())
    };
    if let Some(y) = year("weighted_survival_year_") {
        let text = format!(
            "share of usage (dependents) in projects never abandoned {}",
            within(12 * y)
        );
        return (text, true, String::new());
    }
    if let Some(y) = year("survival_year_") {
        let text = format!("share of projects never abandoned {}", within(12 * y));
        return (text, true, String::new());
    }
    if let Some(p) = Paired::ALL.into_iter().find(|p| p.name() == metric) {
        let (phrase, unit) = paired(p, &horizon);
        return (phrase, false, unit.into());
    }
    if let Some((_, p)) = RATIOS.iter().find(|(name, _)| *name == metric) {
        // "fund cost (paid + overhead) per abandonment averted (EUR)": the effect is the
        // paired one over the horizon.
        let (phrase, unit) = split_unit(&Quantity::Ratio(*p).description());
        return (format!("{phrase}, {horizon}"), false, unit);
    }
    let unit = if metric.ends_with("_eur") { "EUR" } else { "" };
    (metric.replace('_', " "), false, unit.into())
}

/// A paired outcome's phrase and unit (`Paired` has no description of its own).
fn paired(p: Paired, horizon: &str) -> (String, &'static str) {
    match p {
        Paired::AbandonmentsAverted => (
            format!("abandonments averted against the baseline, {horizon}"),
            "projects",
        ),
        Paired::ProjectYearsGained => (
            format!("project-years gained against the baseline, {horizon}"),
            "years",
        ),
        Paired::WeightedProjectYearsGained => (
            format!("usage-weighted project-years gained against the baseline, {horizon}"),
            "years",
        ),
        Paired::LatentVulnerabilitiesRemoved => (
            format!("latent vulnerabilities removed against the baseline, at {horizon}"),
            "vulnerabilities",
        ),
        Paired::ExposureMonthsAvoided => (
            format!("months of exposure avoided against the baseline, {horizon}"),
            "months",
        ),
    }
}

/// Whether a metric is a share from 0 to 1 (shown as a percentage).
fn is_share(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::SurvivalAtHorizon
            | Metric::AliveAtHorizon
            | Metric::WeightedSurvivalAtHorizon
            | Metric::ShareFixedWithin3Months
            | Metric::ShareFunded
            | Metric::Survival12mAfterProgramme
            | Metric::Survival36mAfterProgramme
            | Metric::Survival72mAfterProgramme
    )
}

/// Splits "money paid to projects (EUR)" into the phrase and the unit in its final
/// parentheses, when they hold a unit (a short word or two, not an explanation).
fn split_unit(text: &str) -> (String, String) {
    if let Some(open) = text.rfind(" (")
        && text.ends_with(')')
    {
        let unit = &text[open + 2..text.len() - 1];
        if matches!(unit, "EUR" | "count" | "person-months" | "EUR/month") {
            let unit = if unit == "count" { "projects" } else { unit };
            return (text[..open].to_string(), unit.to_string());
        }
    }
    (text.to_string(), String::new())
}

/// A swept parameter as an axis shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterAxis {
    /// "Total budget (EUR million)".
    pub title: String,
    /// "total budget", to go inside a sentence.
    pub phrase: String,
    pub format: ValueFormat,
}

/// The axis of parameter `path` from the scenario field's `description` ("total budget
/// (EUR)"; empty when the field has none: the path is shown) over `values`. Money of a
/// million or more is shown in EUR million, of ten thousand or more in EUR thousand;
/// a field described as a share, as a percentage.
pub fn parameter_axis(path: &str, description: &str, values: &[f64]) -> ParameterAxis {
    if description.is_empty() {
        return ParameterAxis {
            title: path.to_string(),
            phrase: path.to_string(),
            format: ValueFormat::Plain,
        };
    }
    let largest = values
        .iter()
        .map(|v| v.abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (phrase, unit) = match description.rfind(" (") {
        Some(open) if description.ends_with(')') => (
            description[..open].to_string(),
            description[open + 2..description.len() - 1].to_string(),
        ),
        _ => (description.to_string(), String::new()),
    };
    let share = phrase.starts_with("share ") || phrase.contains(" a share ");
    let (unit, format) = if unit == "EUR" && largest >= 1e6 {
        (
            "EUR million".to_string(),
            ValueFormat::Scaled { divisor: 1_000_000 },
        )
    } else if unit == "EUR" && largest >= 1e4 {
        (
            "EUR thousand".to_string(),
            ValueFormat::Scaled { divisor: 1_000 },
        )
    } else if share && largest <= 1.0 {
        ("%".to_string(), ValueFormat::Percent)
    } else {
        (unit, ValueFormat::Plain)
    };
    let title = if unit.is_empty() {
        capitalise(&phrase)
    } else {
        format!("{} ({unit})", capitalise(&phrase))
    };
    ParameterAxis {
        title,
        phrase,
        format,
    }
}

/// The first letter in upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A compact number for ticks: 24.6M, 9,200, 0.05.
pub fn compact(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e6 {
        format!("{}M", trim(value / 1e6, 2))
    } else if magnitude >= 1e4 {
        super::style::thousands(value)
    } else {
        trim(value, 4)
    }
}

/// `value` with at most `decimals` decimals and no trailing zeros.
fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_percentages_and_the_horizon_is_in_years() {
        let survival = outcome("survival_at_horizon", "", 120);
        assert_eq!(
            survival.title,
            "Share of projects never abandoned in 10 years (%)"
        );
        assert_eq!(survival.format, ValueFormat::Percent);
        assert_eq!(survival.format.tick(0.85), "85%");
        assert_eq!(survival.format.value(0.87345), "87.3%");
        let gain = outcome("survival_at_horizon", "none", 120);
        assert_eq!(gain.format, ValueFormat::Points);
        assert!(gain.title.starts_with("Gain over “none” in the share"));
        assert!(gain.title.ends_with("(percentage points)"));
        assert_eq!(gain.format.value(-0.052), "−5.2 pp");
        assert_eq!(
            outcome("survival_year_3", "", 120).title,
            "Share of projects never abandoned in 3 years (%)"
        );
        let paid = outcome("total_paid_eur", "", 120);
        assert_eq!(paid.title, "Money paid to projects, net of returns (EUR)");
        assert_eq!(paid.format, ValueFormat::Plain);
        assert_eq!(
            outcome("abandonments", "", 120).title,
            "Projects abandoned at least once in 10 years (projects)"
        );
        assert_eq!(
            outcome("maintainers_at_horizon", "", 120).title,
            "Active maintainers per project after 10 years"
        );
        assert_eq!(
            outcome("new_metric_eur", "", 120).title,
            "New metric eur (EUR)"
        );
    }

    #[test]
    fn parameters_take_their_description_and_a_readable_unit() {
        let budget = parameter_axis("fund.budget_eur", "total budget (EUR)", &[5e6, 5e7]);
        assert_eq!(budget.title, "Total budget (EUR million)");
        assert_eq!(budget.phrase, "total budget");
        assert_eq!(budget.format.tick(2.5e7), "25");
        let cost = parameter_axis(
            "fund.person_month_eur",
            "cost of one paid person-month (EUR)",
            &[6e3, 1.2e4],
        );
        assert_eq!(cost.title, "Cost of one paid person-month (EUR thousand)");
        let share = parameter_axis(
            "fund.overhead_share",
            "overhead as a share of each grant",
            &[0.0, 0.2],
        );
        assert_eq!(share.format.tick(0.05), "5%");
        let unknown = parameter_axis("strategies[2].power", "", &[0.5, 1.0]);
        assert_eq!(unknown.title, "strategies[2].power");
        assert_eq!(compact(24_600_000.0), "24.6M");
        assert_eq!(compact(9_200.0), "9200");
        assert_eq!(compact(19_000.0), "19,000");
        assert_eq!(ValueFormat::Plain.tick(-0.25), "−0.25");
    }
}
