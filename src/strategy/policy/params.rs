//! The parameters of rule `policy` (docs/strategies.md, "`policy`"), apart from the rule
//! so that its words and its search dimensions can read them without importing the rule.

use serde::{Deserialize, Serialize};

/// The rule's name, as in `rule = "policy"`.
pub(super) const NAME: &str = "policy";

/// The unit of the `received` feature: `1 + received_eur / RECEIVED_UNIT_EUR`. EUR 100,000
/// is of the order of one grant of the STF-like scenario (assumption: a scale, not a fact),
/// so the feature reads "1 + grants' worth received".
pub const RECEIVED_UNIT_EUR: f64 = 100_000.0;


/// Parameters of `rule = "policy"` (docs/strategies.md, "`policy`").
///
/// Every field has a default, so `PolicyParams::default()` is a valid policy: the equal
/// split. Build one in code, then write it with [`PolicyParams::to_strategies_toml`] or run
/// it as a `StrategySpec` of [`PolicyParams::rule_spec`] with [`PolicyParams::timing_or`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyParams {
    /// Share of the fund's budget released at calls 1, 2, … (each 0–1, summing to 1). At
    /// call k the policy spends `s_k / (s_k + s_{k+1} + …)` of the call's budget, which
    /// under `timing = "front_loaded"` (required with it) is all the fund still holds:
    /// exactly the shares when everything is spent, and money left over or returned
    /// carries on to the later calls in the same proportions. Calls after the last
    /// positive share, and the programme's last call, spend all that is left. Not set:
    /// the strategy's timing alone decides each call's budget, as for every other rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_shares: Option<Vec<f64>>,
    /// Exponents of the features in the project weight; 0 for a feature not given.
    #[serde(default)]
    pub weights: PolicyWeights,
    /// No project is funded with less at a call (EUR), as `proportional`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount_eur: Option<f64>,
    /// The largest share of the money released at a call one project may get, as
    /// `proportional`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_share: Option<f64>,
    /// Eligible only with at most this many active maintainers. Not set: any team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_maintainers: Option<u32>,
    /// Eligible only with at least this many dependents. Not set: any usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_dependents: Option<f64>,
    /// Fund only the this many heaviest eligible projects at a call (ties: more
    /// dependents, then more critical, then portfolio order). Not set: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_projects: Option<u32>,
    /// Months over which a maintenance grant is spent (and after which, with the fund's
    /// extension, what is left returns). Not set: the fund's `grant_duration_months`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_months: Option<u32>,
    /// Shares of the released money per instrument (summing to 1). Not set: all
    /// maintenance grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buy: Option<PolicyBuy>,
}

/// The exponents of the project weight (module docs). An exponent not written is 0.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyWeights {
    /// Exponent of the dependents count `D` (0–10).
    #[serde(default)]
    pub dependents: f64,
    /// Exponent of the criticality `C` (0–1 in the portfolio; exponent 0–10).
    #[serde(default)]
    pub criticality: f64,
    /// Exponent of `1 + M`, M the active maintainers (−10–10; negative: small teams
    /// first).
    #[serde(default)]
    pub maintainers: f64,
    /// Exponent of `1 + B`, B the backlog in person-months (−10–10).
    #[serde(default)]
    pub backlog: f64,
    /// Exponent of `1 + V`, V the open (discovered, unfixed) vulnerabilities (−10–10).
    #[serde(default)]
    pub open_vulnerabilities: f64,
    /// Exponent of `1 + R / 100,000`, R the EUR the fund has paid the project so far
    /// (−10–10; negative: spread over new projects, positive: stay with those funded).
    #[serde(default)]
    pub received: f64,
}

/// Shares of the released money bought as each instrument, with that rule's defaults
/// (`audit`, `bug_bounty`, `fellowship`; docs/strategies.md). Not written: 0.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBuy {
    /// Maintenance grants, split by the policy's weights.
    #[serde(default)]
    pub maintenance: f64,
    /// Security audits (rule `audit` with its defaults).
    #[serde(default)]
    pub audit: f64,
    /// Bug bounties (rule `bug_bounty` with its defaults).
    #[serde(default)]
    pub bug_bounty: f64,
    /// Fellowships (rule `fellowship` with its defaults).
    #[serde(default)]
    pub fellowship: f64,
}

/// The keys of `buy`, in the order of [`PolicyBuy::parts`].
pub(super) const BUY_KEYS: [&str; 4] = ["maintenance", "audit", "bug_bounty", "fellowship"];

impl PolicyBuy {
    /// The instruments as (share, rule name), in the order they spend.
    pub(super) fn parts(&self) -> [(f64, &'static str); 4] {
        [
            (self.maintenance, NAME),
            (self.audit, "audit"),
            (self.bug_bounty, "bug_bounty"),
            (self.fellowship, "fellowship"),
        ]
    }

    /// Only maintenance: the policy splits the money itself, no mix is needed.
    pub(super) fn only_maintenance(&self) -> bool {
        self.parts()[1..].iter().all(|&(share, _)| share == 0.0)
    }
}

