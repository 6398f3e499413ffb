//! Validation of a parsed [`ScenarioFile`] into a [`Scenario`]: every numeric field is
//! range-checked, every cross-field rule is checked, and all problems are reported at once.

use super::error::{Issue, ScenarioError, line_of_offset, locate_field};
use super::{
    FundParams, PortfolioFile, PortfolioSpec, RunParams, Scenario, ScenarioFile, SyntheticPortfolio,
};
use crate::model::ModelParams;
use crate::strategy::{self, RuleSpec, Timing};

/// Collects problems, each located in the scenario text.
pub(crate) struct Checker<'a> {
    text: &'a str,
    issues: Vec<Issue>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            issues: Vec::new(),
        }
    }

    /// Records a problem with `field`.
    pub(crate) fn fail(&mut self, field: &str, value: Option<String>, problem: impl Into<String>) {
        self.issues.push(Issue {
            field: field.to_string(),
            line: locate_field(self.text, field),
            value,
            problem: problem.into(),
        });
    }

    /// `value` must be finite and within `[low, high]`.
    pub(crate) fn range(&mut self, field: &str, value: f64, low: f64, high: f64) {
        if !value.is_finite() || value < low || value > high {
            self.fail(
                field,
                Some(value.to_string()),
                format!("must be a number from {low} to {high}"),
            );
        }
    }

    /// `value` must be finite, above zero and at most `high`.
    pub(crate) fn positive(&mut self, field: &str, value: f64, high: f64) {
        if !value.is_finite() || value <= 0.0 || value > high {
            self.fail(
                field,
                Some(value.to_string()),
                format!("must be above 0 and at most {high}"),
            );
        }
    }

    /// `value` must be a probability.
    pub(crate) fn probability(&mut self, field: &str, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            self.fail(
                field,
                Some(value.to_string()),
                "must be a probability from 0 to 1",
            );
        }
    }

    /// An integer within `[low, high]`.
    pub(crate) fn count(&mut self, field: &str, value: u64, low: u64, high: u64) {
        if value < low || value > high {
            self.fail(
                field,
                Some(value.to_string()),
                format!("must be a whole number from {low} to {high}"),
            );
        }
    }

    fn into_result<T>(self, origin: &str, value: T) -> Result<T, ScenarioError> {
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

/// Turns a TOML syntax or type error into an [`Issue`] with its line and, where the
/// line holds a key, the field.
pub(crate) fn issue_from_toml(text: &str, error: &toml::de::Error) -> Issue {
    let line = error.span().map(|span| line_of_offset(text, span.start));
    let field = line
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|l| {
            let l = l.trim();
            if l.starts_with('[') {
                // A table header: the field is the table (`[fund]`, `[[strategies]]`).
                let header = l.trim_start_matches('[').split(']').next()?.trim();
                (!header.is_empty()).then(|| header.to_string())
            } else {
                l.split_once('=').map(|(key, _)| key.trim().to_string())
            }
        })
        .unwrap_or_default();
    Issue {
        field,
        line,
        value: None,
        problem: plain_types(error.message().trim()),
    }
}

/// Serde names the Rust type it expected (`u32`, `struct FundParams`); a scenario's
/// author needs the kind of value and its range.
fn plain_types(message: &str) -> String {
    let mut plain = message.to_string();
    for (rust, words) in [
        ("u32", "a whole number (integer) from 0 to 4294967295"),
        (
            "u64",
            "a whole number (integer) from 0 to 18446744073709551615",
        ),
        ("f64", "a number"),
        ("a sequence", "an array (a [list] or [[table]] entries)"),
    ] {
        let from = format!("expected {rust}");
        if let Some(at) = plain.find(&from) {
            let end = at + from.len();
            if !plain[end..].starts_with(char::is_alphanumeric) {
                plain.replace_range(at..end, &format!("expected {words}"));
            }
        }
    }
    if let Some(at) = plain.find("expected struct ") {
        let end = plain[at..]
            .find([',', '\n'])
            .map_or(plain.len(), |offset| at + offset);
        plain.replace_range(at..end, "expected a table");
    }
    plain
}

pub(super) fn validate(
    file: ScenarioFile,
    text: &str,
    origin: &str,
) -> Result<Scenario, ScenarioError> {
    let mut check = Checker::new(text);
    if file.name.is_empty()
        || !file
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || file.name.starts_with('.')
    {
        check.fail(
            "name",
            Some(format!("{:?}", file.name)),
            "must be a non-empty name of letters, digits, '-', '_' or '.' (it names the output folder)",
        );
    }
    check_fund(&mut check, &file.fund);
    let scenario_horizon = file.fund.horizon_months;
    check_model(&mut check, &file.model);
    check_run(&mut check, &file.run);
    let portfolio = portfolio_spec(&mut check, &file.portfolio);
    let mut strategies = Vec::new();
    if file.strategies.is_empty() {
        check.fail(
            "strategies",
            None,
            "at least one [[strategies]] entry is needed",
        );
    }
    for (index, entry) in file.strategies.iter().enumerate() {
        if let Some(spec) = strategy::parse_entry(&mut check, index, entry) {
            strategies.push(spec);
        }
    }
    for (index, spec) in strategies.iter().enumerate() {
        if strategies[..index]
            .iter()
            .any(|other| other.name == spec.name)
        {
            check.fail(
                &format!("strategies[{index}].name"),
                Some(format!("{:?}", spec.name)),
                "strategy names must be unique",
            );
        }
    }
    // Every comparison is paired against the unfunded baseline, so there always is one,
    // and it comes first.
    match strategies
        .iter()
        .position(|s| matches!(s.rule, RuleSpec::None))
    {
        Some(0) => {}
        Some(position) => {
            let baseline = strategies.remove(position);
            strategies.insert(0, baseline);
        }
        None if !strategies.is_empty() => strategies.insert(
            0,
            super::StrategySpec {
                name: "none".into(),
                timing: Timing::Even,
                rule: RuleSpec::None,
            },
        ),
        None => {}
    }
    let scenario = Scenario {
        name: file.name,
        description: file.description.trim().to_string(),
        fund: file.fund,
        portfolio,
        model: file.model,
        strategies,
        run: file.run,
        sensitivity: file
            .sensitivity
            .as_ref()
            .map(|table| crate::sensitivity::spec::validate(&mut check, table, scenario_horizon)),
    };
    check.into_result(origin, scenario)
}

fn check_fund(check: &mut Checker, fund: &FundParams) {
    check.range("fund.budget_eur", fund.budget_eur, 0.0, 1e13);
    check.count("fund.horizon_months", fund.horizon_months.into(), 1, 1_200);
    check.count(
        "fund.programme_months",
        fund.programme_months.into(),
        1,
        1_200,
    );
    if fund.programme_months > fund.horizon_months {
        check.fail(
            "fund.horizon_months",
            Some(fund.horizon_months.to_string()),
            format!(
                "must be at least the programme length, fund.programme_months = {}",
                fund.programme_months
            ),
        );
    }
    check.count(
        "fund.call_interval_months",
        fund.call_interval_months.into(),
        1,
        1_200,
    );
    check.positive("fund.person_month_eur", fund.person_month_eur, 1e7);
    check.range("fund.overhead_fixed_eur", fund.overhead_fixed_eur, 0.0, 1e9);
    check.range("fund.overhead_share", fund.overhead_share, 0.0, 1.0);
    check.count(
        "fund.grant_duration_months",
        fund.grant_duration_months.into(),
        1,
        1_200,
    );
    check.range("fund.min_grant_eur", fund.min_grant_eur, 0.0, 1e12);
    check.positive("fund.max_grant_eur", fund.max_grant_eur, 1e13);
    check.range(
        "fund.endowment_real_return",
        fund.endowment_real_return,
        0.0,
        0.5,
    );
    if fund.min_grant_eur > fund.max_grant_eur {
        check.fail(
            "fund.min_grant_eur",
            Some(fund.min_grant_eur.to_string()),
            format!(
                "must not exceed fund.max_grant_eur = {}",
                fund.max_grant_eur
            ),
        );
    }
    let smallest_grant_cost =
        fund.min_grant_eur * (1.0 + fund.overhead_share) + fund.overhead_fixed_eur;
    if fund.budget_eur > 0.0 && fund.budget_eur < smallest_grant_cost {
        check.fail(
            "fund.budget_eur",
            Some(fund.budget_eur.to_string()),
            format!("is smaller than one grant: the minimum grant plus overhead costs {smallest_grant_cost} EUR"),
        );
    }
}

fn check_model(check: &mut Checker, model: &ModelParams) {
    check.positive(
        "model.hours_per_person_month",
        model.hours_per_person_month,
        744.0,
    );
    check.range("model.work_base_pm", model.work_base_pm, 0.0, 1e4);
    check.range(
        "model.work_usage_exponent",
        model.work_usage_exponent,
        -2.0,
        2.0,
    );
    check.range("model.work_cv", model.work_cv, 0.0, 10.0);
    check.range(
        "model.backlog_obsolescence",
        model.backlog_obsolescence,
        0.0,
        1.0,
    );
    check.range("model.vuln_base_rate", model.vuln_base_rate, 0.0, 100.0);
    check.range(
        "model.vuln_usage_exponent",
        model.vuln_usage_exponent,
        -2.0,
        2.0,
    );
    check.positive("model.vuln_effort_pm", model.vuln_effort_pm, 1e3);
    check.range("model.attrition_hazard", model.attrition_hazard, 0.0, 5.0);
    check.range("model.burnout_slope", model.burnout_slope, 0.0, 20.0);
    check.range("model.burnout_cap", model.burnout_cap, 1.0, 100.0);
    check.range(
        "model.paid_attrition_multiplier",
        model.paid_attrition_multiplier,
        0.0,
        1.0,
    );
    check.range("model.cliff_multiplier", model.cliff_multiplier, 1.0, 20.0);
    check.count("model.cliff_months", model.cliff_months.into(), 0, 120);
    check.probability("model.break_return_hazard", model.break_return_hazard);
    check.positive(
        "model.break_return_decay_months",
        model.break_return_decay_months,
        1e4,
    );
    check.count(
        "model.break_max_months",
        model.break_max_months.into(),
        0,
        240,
    );
    check.range("model.newcomer_rate", model.newcomer_rate, 0.0, 100.0);
    check.range(
        "model.newcomer_usage_exponent",
        model.newcomer_usage_exponent,
        -2.0,
        2.0,
    );
    check.probability(
        "model.newcomer_activity_share",
        model.newcomer_activity_share,
    );
    check.range("model.hire_rate", model.hire_rate, 0.0, 100.0);
    check.probability("model.revival_hazard", model.revival_hazard);
    check.range(
        "model.revival_usage_exponent",
        model.revival_usage_exponent,
        -2.0,
        2.0,
    );
    check.count(
        "model.abandonment_months",
        model.abandonment_months.into(),
        1,
        240,
    );
    // Usage is dependents over this reference; below one dependent it would blow up.
    check.range(
        "model.reference_dependents",
        model.reference_dependents,
        1.0,
        1e12,
    );
}

fn check_run(check: &mut Checker, run: &RunParams) {
    // Absurdly large counts are refused later, with an estimate, unless forced.
    check.count("run.replications", run.replications, 1, u64::MAX);
}

fn portfolio_spec(check: &mut Checker, file: &PortfolioFile) -> PortfolioSpec {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_type_names_become_plain_words() {
        assert_eq!(
            plain_types("invalid type: string \"four years\", expected u32"),
            "invalid type: string \"four years\", expected a whole number (integer) from 0 to 4294967295"
        );
        assert_eq!(
            plain_types("invalid type: integer `5`, expected struct FundParams"),
            "invalid type: integer `5`, expected a table"
        );
        assert_eq!(plain_types("expected u32x"), "expected u32x");
        assert_eq!(plain_types("duplicate key"), "duplicate key");
    }
}
