//! The optional `[verdict]` table of a scenario: the practical threshold below which a
//! strategy behind the best counts as practically equal, per metric, in the metric's own
//! unit. Metrics it leaves out keep the defaults of `analysis::verdict` (one percentage
//! point of a share, one project, one project-year, else 1% of the best's mean).
//!
//! ```toml
//! [verdict.practical_difference]
//! survival_at_horizon = 0.02          # two percentage points
//! abandonments = 2                    # two projects per portfolio
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::params::Checker;
use crate::stats::{Quantity, RATIOS};

/// The `[verdict]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictFile {
    #[serde(default)]
    pub practical_difference: BTreeMap<String, f64>,
}

/// The `[verdict]` table, validated: every key names one metric, every threshold is a
/// finite number of at least zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VerdictSpec {
    pub practical_difference: BTreeMap<String, f64>,
}

/// Whether `name` names one metric a verdict can be given on.
fn is_metric(name: &str, horizon_months: u32) -> bool {
    Quantity::parse_list(name, horizon_months).is_ok_and(|list| list.len() == 1)
        || RATIOS.iter().any(|(ratio, _)| *ratio == name)
}

pub(super) fn validate(
    check: &mut Checker,
    file: &VerdictFile,
    horizon_months: u32,
) -> VerdictSpec {
    for (name, &value) in &file.practical_difference {
        let field = format!("verdict.practical_difference.{name}");
        if !is_metric(name, horizon_months) {
            check.fail(
                &field,
                None,
                format!(
                    "`{name}` is not a metric: use a metric name of summary.csv (e.g. survival_at_horizon, abandonments, cost_per_abandonment_averted_eur) or survival_year_N"
                ),
            );
        }
        if !value.is_finite() || value < 0.0 {
            check.fail(
                &field,
                Some(value.to_string()),
                "must be a number of at least 0, in the metric's own unit (0.01 is one percentage point of a share)",
            );
        }
    }
    VerdictSpec {
        practical_difference: file.practical_difference.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{builtin, parse_str};

    fn with_table(table: &str) -> String {
        format!(
            "{}\n[verdict.practical_difference]\n{table}\n",
            builtin("timing").unwrap()
        )
    }

    #[test]
    fn thresholds_are_read_and_bad_ones_named_by_their_full_key() {
        let scenario = parse_str(
            &with_table("survival_at_horizon = 0.02\nabandonments = 2\ncost_per_abandonment_averted_eur = 1e5"),
            "t.toml",
        )
        .unwrap();
        let table = scenario.practical_differences();
        assert_eq!(table["survival_at_horizon"], 0.02);
        assert_eq!(table["abandonments"], 2.0);
        let error = parse_str(&with_table("survival_at_horizn = 0.02"), "t.toml").unwrap_err();
        assert_eq!(
            error.issues[0].field,
            "verdict.practical_difference.survival_at_horizn"
        );
        assert!(error.to_string().contains("is not a metric"), "{error}");
        let error = parse_str(&with_table("abandonments = -1"), "t.toml").unwrap_err();
        assert_eq!(
            error.issues[0].field,
            "verdict.practical_difference.abandonments"
        );
        assert!(error.to_string().contains("at least 0"), "{error}");
        let error = parse_str(&with_table("abandonments = \"one\""), "t.toml").unwrap_err();
        assert_eq!(
            error.issues[0].field,
            "verdict.practical_difference.abandonments"
        );
        let error = parse_str(
            &format!("{}\n[verdict]\npractical = 1\n", builtin("timing").unwrap()),
            "t.toml",
        )
        .unwrap_err();
        assert!(error.to_string().contains("practical"), "{error}");
        // Without the table the scenario and its hash are as before.
        let plain = parse_str(builtin("timing").unwrap(), "timing").unwrap();
        assert!(plain.practical_differences().is_empty());
        assert!(!serde_json::to_string(&plain).unwrap().contains("verdict"));
    }
}
