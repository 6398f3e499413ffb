//! The `[fund]` table: the fund's money, its programme and what running it costs.

use serde::{Deserialize, Serialize};

use super::Checker;

/// The fund: its money, its programme and what running it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundParams {
    /// Total budget of the programme (EUR), overheads included.
    pub budget_eur: f64,
    /// Months during which the fund makes calls.
    pub programme_months: u32,
    /// Months simulated in all; the months after the programme show what funding leaves.
    pub horizon_months: u32,
    /// Months between two calls (decision points); the first call is in month 0.
    pub call_interval_months: u32,
    /// Fully loaded cost of one person-month of maintenance (EUR).
    pub person_month_eur: f64,
    /// Fund overhead per grant, fixed part (EUR).
    pub overhead_fixed_eur: f64,
    /// Fund overhead per grant, as a share of the grant.
    pub overhead_share: f64,
    /// Length of a grant (months): its money is planned to be spent over this time.
    pub grant_duration_months: u32,
    /// Months after a grant's end (award month + grant duration; a later grant moves it)
    /// during which the project may still spend the money it holds; what is left then goes
    /// back to the fund: to the pool while calls remain, otherwise it is lost to the
    /// project. Default 12, from practice (an assumption for this fund): US NSF grantees
    /// may take one no-cost extension of up to 12 months on their own authority (NSF
    /// Proposal & Award Policies and Procedures Guide, chapter VI.D.3.c). Range 0–24.
    pub extension_months: u32,
    /// Smallest grant the fund makes (EUR); smaller shares are not paid.
    pub min_grant_eur: f64,
    /// Largest grant the fund makes in one call (EUR).
    pub max_grant_eur: f64,
    /// Whether money a project still holds when it is abandoned returns to the fund.
    pub clawback_on_abandonment: bool,
    /// Real annual return of the invested budget under the `endowment` timing.
    pub endowment_real_return: f64,
}

impl Default for FundParams {
    fn default() -> Self {
        Self {
            budget_eur: 24_600_000.0,
            programme_months: 48,
            horizon_months: 120,
            call_interval_months: 12,
            person_month_eur: 9_200.0,
            overhead_fixed_eur: 10_000.0,
            overhead_share: 0.05,
            grant_duration_months: 18,
            extension_months: 12,
            min_grant_eur: 50_000.0,
            max_grant_eur: 1_000_000.0,
            clawback_on_abandonment: false,
            endowment_real_return: 0.04,
        }
    }
}

impl FundParams {
    /// Checks every field's range and the cross-field rules; problems go to `check`.
    pub fn check(&self, check: &mut Checker) {
        let fund = self;
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
        check.count(
            "fund.extension_months",
            fund.extension_months.into(),
            0,
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
}
