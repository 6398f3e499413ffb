//! `policy`: a family of allocation rules that holds the named weight-based rules as
//! special cases, so that an optimiser can search it (issue 22) and a policy it finds is
//! an ordinary `[[strategies]]` entry.
//!
//! At each call the policy releases a share of the money (`call_shares`), keeps the
//! projects that pass its eligibility thresholds (`max_maintainers`, `min_dependents`),
//! weighs each by a product of powers of what the fund observes (`weights`), keeps the
//! `max_projects` heaviest and splits the released money over them in proportion to their
//! weights with the same water filling as `proportional` (`min_amount_eur`, `max_share`).
//! With `buy` the money is shared between maintenance grants and the other instruments
//! exactly as a `mix` of those rules would share it (it *is* one).
//!
//! The weight of project `i` is
//!
//! `w_i = D_i^a · C_i^b · (1 + M_i)^c · (1 + B_i)^d · (1 + V_i)^e · (1 + R_i / 100,000)^f`
//!
//! with D dependents, C criticality, M active maintainers, B backlog (person-months),
//! V open (discovered, unfixed) vulnerabilities and R the money (EUR) the fund has paid the
//! project so far. Features that can be zero enter as `1 + x`, so every exponent is
//! allowed for them; dependents and criticality enter as they are, so that
//! `weights = { dependents = γ }` is exactly `proportional`'s `dependents ^ γ`.
//! A factor whose exponent is 0 is exactly 1 and is not computed.

use super::sizing::{
    GrantLimits, MAX_SHARE_PARAMETER, MIN_AMOUNT_PARAMETER, check_limits, describe_limits,
    split_by_weights_within,
};
use super::{
    AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule, RuleSpec,
    Status,
};
use crate::params::Timing;
use crate::rng::SimRng;

mod params;
pub(super) mod search;
#[cfg(test)]
mod tests;
mod words;

pub use params::{PolicyBuy, PolicyParams, PolicyWeights, RECEIVED_UNIT_EUR};
use params::BUY_KEYS;
use words::{bought, eligibility, percent, percents, thousands, weight_formula, weight_words};

/// The most calls `call_shares` may list (a programme of 100 years of monthly calls).
const MAX_CALL_SHARES: usize = 1_200;

/// How far `call_shares` and `buy` may sum from 1 (rounding in a hand-written file), as
/// for a mix's shares.
const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// The problem with a strategy's timing for `rule`, when it is a policy with
/// `call_shares` and a timing other than `front_loaded` was written; `Ok` with the timing
/// to use otherwise (`front_loaded` when none was written: the shares are the timing).
pub(super) fn timing_for(
    rule: &RuleSpec,
    written: Option<Timing>,
    default: Timing,
) -> Result<Timing, String> {
    let shares = rule
        .params::<PolicyParams>()
        .is_some_and(|policy| policy.call_shares.is_some());
    match (shares, written) {
        (false, _) => Ok(written.unwrap_or(default)),
        (true, None | Some(Timing::FrontLoaded)) => Ok(Timing::FrontLoaded),
        (true, Some(_)) => Err(CALL_SHARES_TIMING.into()),
    }
}

/// Why a policy with `call_shares` takes no other timing.
const CALL_SHARES_TIMING: &str = "must be \"front_loaded\" (or left out) for rule `policy` \
    with `call_shares`: the shares release the budget call by call";

pub struct Policy;

impl Rule for Policy {
    const NAME: &'static str = params::NAME;
    const SUMMARY: &'static str = "a searchable family: per-call shares, weights as a product of \
                                   powers of observable features, limits, eligibility, \
                                   instruments (the optimiser's rule)";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "call_shares",
            allowed: "list of 0–1 summing to 1; needs timing `front_loaded`",
            meaning: "share of the budget released at calls 1, 2, …; leftovers carry on; not \
                      set: the timing decides",
        },
        Parameter {
            key: "weights",
            allowed: "table of exponents: `dependents`, `criticality` 0–10; `maintainers`, \
                      `backlog`, `open_vulnerabilities`, `received` −10–10; absent: 0",
            meaning: "weight = D^a · C^b · (1+M)^c · (1+B)^d · (1+V)^e · (1+R/100000)^f",
        },
        MIN_AMOUNT_PARAMETER,
        MAX_SHARE_PARAMETER,
        Parameter {
            key: "max_maintainers",
            allowed: "≥ 1",
            meaning: "eligible only with at most this many active maintainers",
        },
        Parameter {
            key: "min_dependents",
            allowed: "0–10¹⁵",
            meaning: "eligible only with at least this many dependents",
        },
        Parameter {
            key: "max_projects",
            allowed: "≥ 1",
            meaning: "fund only the N heaviest eligible projects per call",
        },
        Parameter {
            key: "grant_months",
            allowed: "1–600",
            meaning: "months a maintenance grant is spent over; not set: the fund's",
        },
        Parameter {
            key: "buy",
            allowed: "table of shares 0–1 summing to 1: `maintenance`, `audit`, `bug_bounty`, \
                      `fellowship`",
            meaning: "instruments bought with the released money (as a `mix`); not set: all \
                      maintenance",
        },
    ];
    type Params = PolicyParams;

    fn check(p: &PolicyParams, check: &mut ParamCheck) {
        if let Some(shares) = &p.call_shares {
            check_shares(check, "call_shares", shares);
        }
        let w = &p.weights;
        check.range("weights.dependents", w.dependents, 0.0, 10.0);
        check.range("weights.criticality", w.criticality, 0.0, 10.0);
        for (key, value) in [
            ("weights.maintainers", w.maintainers),
            ("weights.backlog", w.backlog),
            ("weights.open_vulnerabilities", w.open_vulnerabilities),
            ("weights.received", w.received),
        ] {
            check.range(key, value, -10.0, 10.0);
        }
        check_limits(check, p.min_amount_eur, p.max_share);
        for (key, count) in [
            ("max_maintainers", p.max_maintainers),
            ("max_projects", p.max_projects),
        ] {
            if let Some(count) = count {
                check.count(key, count.into(), 1, u32::MAX.into());
            }
        }
        if let Some(dependents) = p.min_dependents {
            check.range("min_dependents", dependents, 0.0, 1e15);
        }
        if let Some(months) = p.grant_months {
            check.count("grant_months", months.into(), 1, 600);
        }
        if let Some(buy) = &p.buy {
            let shares: Vec<f64> = buy.parts().iter().map(|&(share, _)| share).collect();
            for (share, name) in shares.iter().zip(BUY_KEYS) {
                check.range(&format!("buy.{name}"), *share, 0.0, 1.0);
            }
            check_sum(check, "buy", &shares);
        }
    }

    fn describe(p: &PolicyParams) -> String {
        let mut words = format!("policy: weight {}", weight_formula(&p.weights));
        words.push_str(&eligibility(p));
        if let Some(count) = p.max_projects {
            words.push_str(&format!(", the {count} heaviest"));
        }
        words.push_str(&describe_limits(p.min_amount_eur, p.max_share));
        if let Some(months) = p.grant_months {
            words.push_str(&format!(", {months}-month grants"));
        }
        if let Some(shares) = &p.call_shares {
            words.push_str(&format!(", calls release {}", percents(shares)));
        }
        if let Some(buy) = p.buy.filter(|b| !b.only_maintenance()) {
            words.push_str(&format!(", buys {}", bought(&buy)));
        }
        words
    }

    fn brief(p: &PolicyParams) -> String {
        let mut words = String::from("grants ");
        words.push_str(&weight_words(&p.weights));
        if p.max_maintainers.is_some() || p.min_dependents.is_some() {
            words.push_str(&format!(" to projects{}", eligibility(p)));
        }
        if let Some(count) = p.max_projects {
            words.push_str(&format!(", at most {count} per call"));
        }
        if let Some(min) = p.min_amount_eur {
            words.push_str(&format!(", at least EUR {} each", thousands(min)));
        }
        if let Some(share) = p.max_share {
            words.push_str(&format!(", at most {} of a call each", percent(share)));
        }
        if let Some(months) = p.grant_months {
            words.push_str(&format!(", spent over {months} months"));
        }
        if let Some(shares) = &p.call_shares {
            words.push_str(&format!("; the budget released {} at the calls", percents(shares)));
        }
        if let Some(buy) = p.buy.filter(|b| !b.only_maintenance()) {
            words.push_str(&format!("; the money buys {}", bought(&buy)));
        }
        words
    }

    fn build(params: &PolicyParams) -> Box<dyn AllocationRule> {
        let split = PolicySplit::from(params);
        let instruments = params
            .buy
            .filter(|buy| !buy.only_maintenance())
            .and_then(|buy| instruments_mix(params, &buy));
        Box::new(PolicyRule {
            call_shares: params.call_shares.clone(),
            split,
            instruments,
        })
    }
}

/// Checks a list of shares: each 0–1 (under `key[k]`) and their sum 1.
fn check_shares(check: &mut ParamCheck, key: &str, shares: &[f64]) {
    if shares.is_empty() || shares.len() > MAX_CALL_SHARES {
        check.fail(
            key,
            Some(format!("{} shares", shares.len())),
            format!("must list 1 to {MAX_CALL_SHARES} shares, one per call, summing to 1"),
        );
        return;
    }
    for (index, share) in shares.iter().enumerate() {
        check.range(&format!("{key}[{index}]"), *share, 0.0, 1.0);
    }
    check_sum(check, key, shares);
}

fn check_sum(check: &mut ParamCheck, key: &str, shares: &[f64]) {
    let total: f64 = shares.iter().sum();
    if !total.is_finite() || (total - 1.0).abs() > SHARE_SUM_TOLERANCE {
        let written: Vec<String> = shares.iter().map(f64::to_string).collect();
        check.fail(
            key,
            Some(written.join(" + ")),
            format!("the shares must sum to 1 (±{SHARE_SUM_TOLERANCE:e}); they sum to {total}"),
        );
    }
}

/// The instruments of `buy` as the `mix` that buys them: the maintenance part is this
/// policy without `call_shares` and `buy` (the released money is already its budget), the
/// others the named rules with their defaults. Parts with share 0 are left out.
fn instruments_mix(params: &PolicyParams, buy: &PolicyBuy) -> Option<Box<dyn AllocationRule>> {
    let maintenance = PolicyParams {
        call_shares: None,
        buy: None,
        ..params.clone()
    };
    let maintenance = serde_json::to_value(&maintenance).ok()?;
    let parts: Vec<serde_json::Value> = buy
        .parts()
        .iter()
        .filter(|(share, _)| *share > 0.0)
        .map(|&(share, rule)| {
            let mut part = serde_json::json!({ "share": share, "rule": rule });
            if rule == Policy::NAME
                && let (Some(part), Some(own)) = (part.as_object_mut(), maintenance.as_object())
            {
                part.extend(own.clone());
            }
            part
        })
        .collect();
    let mix = serde_json::json!({ "rule": "mix", "parts": parts });
    RuleSpec::from_json(&mix).ok().map(|spec| spec.build())
}

/// The built policy.
struct PolicyRule {
    call_shares: Option<Vec<f64>>,
    split: PolicySplit,
    /// The mix of instruments when `buy` has more than maintenance.
    instruments: Option<Box<dyn AllocationRule>>,
}

impl AllocationRule for PolicyRule {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let released;
        let call = match &self.call_shares {
            Some(shares) => {
                let calls = Timing::FrontLoaded.call_months(call.fund).len();
                released = Call {
                    budget_eur: call.budget_eur * release_fraction(shares, call.index, calls),
                    ..*call
                };
                &released
            }
            None => call,
        };
        let Some(mix) = &self.instruments else {
            self.split.allocate(call, projects, decision);
            return;
        };
        if self.split.screens() {
            // Every instrument keeps to the thresholds: a project outside them is shown as
            // unable to take money, which is how every rule recognises one.
            let screened: Vec<ProjectView> = projects
                .iter()
                .map(|p| {
                    let mut view = p.clone();
                    if !self.split.passes(p) {
                        view.status = Status::Dormant;
                    }
                    view
                })
                .collect();
            mix.allocate(call, &screened, review, rng, decision);
        } else {
            mix.allocate(call, projects, review, rng, decision);
        }
    }
}

/// The share of the call's budget released at call `index` of `calls`: the call's share
/// of the shares not yet released; 1 at the programme's last call, after the list and
/// when no share is left (the leftovers carry on and are spent).
fn release_fraction(shares: &[f64], index: usize, calls: usize) -> f64 {
    if index + 1 >= calls {
        return 1.0;
    }
    let rest: f64 = shares.iter().skip(index).sum();
    match shares.get(index) {
        Some(&share) if rest > 0.0 => (share / rest).clamp(0.0, 1.0),
        _ => 1.0,
    }
}

/// The maintenance split: eligibility, weights, the heaviest, the water filling.
struct PolicySplit {
    weights: PolicyWeights,
    min_amount_eur: Option<f64>,
    max_share: Option<f64>,
    max_maintainers: Option<u32>,
    min_dependents: Option<f64>,
    max_projects: Option<u32>,
    grant_months: Option<u32>,
}

impl From<&PolicyParams> for PolicySplit {
    fn from(params: &PolicyParams) -> Self {
        Self {
            weights: params.weights,
            min_amount_eur: params.min_amount_eur,
            max_share: params.max_share,
            max_maintainers: params.max_maintainers,
            min_dependents: params.min_dependents,
            max_projects: params.max_projects,
            grant_months: params.grant_months,
        }
    }
}

impl PolicySplit {
    /// Whether a threshold is set.
    fn screens(&self) -> bool {
        self.max_maintainers.is_some() || self.min_dependents.is_some()
    }

    /// Within the eligibility thresholds (whether active or not).
    fn passes(&self, p: &ProjectView) -> bool {
        self.max_maintainers.is_none_or(|most| p.maintainers <= most)
            && self.min_dependents.is_none_or(|least| p.dependents >= least)
    }

    /// The project's weight. Dependents come first and as `proportional` computes them
    /// (`max(D, 0)^a`), and a factor with exponent 0 is left out (it would be exactly 1):
    /// so the special cases give `proportional`'s and `equal`'s weights to the bit.
    fn weight(&self, p: &ProjectView) -> f64 {
        let w = &self.weights;
        let mut weight = p.dependents.max(0.0).powf(w.dependents);
        for (feature, exponent) in [
            (p.criticality.max(0.0), w.criticality),
            (1.0 + f64::from(p.maintainers), w.maintainers),
            (1.0 + p.backlog.max(0.0), w.backlog),
            (1.0 + f64::from(p.open_vulnerabilities), w.open_vulnerabilities),
            (1.0 + p.received_eur.max(0.0) / RECEIVED_UNIT_EUR, w.received),
        ] {
            if exponent != 0.0 {
                weight *= feature.powf(exponent);
            }
        }
        weight
    }

    fn allocate(&self, call: &Call, projects: &[ProjectView], decision: &mut Decision) {
        let mut weighted: Vec<(&ProjectView, f64)> = projects
            .iter()
            .filter(|p| p.eligible() && self.passes(p))
            .map(|p| (p, self.weight(p)))
            .collect();
        if let Some(count) = self.max_projects {
            // Heaviest first; ties by dependents, criticality, then portfolio order. With
            // weights that grow with dependents alone this is `proportional`'s order.
            weighted.sort_by(|(a, wa), (b, wb)| {
                wb.total_cmp(wa)
                    .then(b.dependents.total_cmp(&a.dependents))
                    .then(b.criticality.total_cmp(&a.criticality))
                    .then(a.index.cmp(&b.index))
            });
            weighted.truncate(count as usize);
        }
        let limits = GrantLimits::at_call(call, self.min_amount_eur, self.max_share);
        let first = decision.grants.len();
        split_by_weights_within(call, limits, weighted.into_iter(), &mut decision.grants);
        if let Some(months) = self.grant_months {
            for grant in &mut decision.grants[first..] {
                grant.months = Some(months);
            }
        }
    }
}
