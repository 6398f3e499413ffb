//! The grant-size policy shared by weight-based rules: a call's budget split in
//! proportion to weights, net of the fund's overhead, within the minimum and maximum
//! grant size.

use std::cmp::Reverse;

use super::{Call, Grant, ParamCheck, Parameter, ProjectView};
use crate::params::FundParams;

/// The docs' entry of a rule's `min_amount_eur`.
pub const MIN_AMOUNT_PARAMETER: Parameter = Parameter {
    key: "min_amount_eur",
    allowed: "0–10¹²",
    meaning: "no project is funded with less at a call (EUR); a share below it goes to the \
              others (ecosyste.ms Funds); not set: the fund's minimum grant only",
};

/// The docs' entry of a rule's `max_share`.
pub const MAX_SHARE_PARAMETER: Parameter = Parameter {
    key: "max_share",
    allowed: "> 0, ≤ 1",
    meaning: "no project gets more than this share of a call's budget; what the cap frees \
              goes to the others (Optimism Retro Funding: 0.05); not set: no such cap",
};

/// The limits in words for `validate` (", at most 5% of a call each, at least EUR 20000
/// each"); empty when neither is set, so a rule's line reads as before they existed.
pub fn describe_limits(min_amount_eur: Option<f64>, max_share: Option<f64>) -> String {
    let mut words = String::new();
    if let Some(share) = max_share {
        words.push_str(&format!(", at most {}% of a call each", 100.0 * share));
    }
    if let Some(min) = min_amount_eur {
        words.push_str(&format!(", at least EUR {min} each"));
    }
    words
}

/// Range checks of a rule's `min_amount_eur` and `max_share`.
pub fn check_limits(check: &mut ParamCheck, min_amount_eur: Option<f64>, max_share: Option<f64>) {
    if let Some(min) = min_amount_eur {
        check.range(MIN_AMOUNT_PARAMETER.key, min, 0.0, 1e12);
    }
    if let Some(share) = max_share {
        check.positive(MAX_SHARE_PARAMETER.key, share, 1.0);
    }
}

/// The smallest and the largest grant a split may make at one call.
///
/// The fund's minimum and maximum grant, narrowed by a rule's own minimum amount per
/// project (as ecosyste.ms Funds pays no project less than a minimum) and its maximum
/// share of the call's budget per project (Optimism Retro Funding's
/// `max_share_per_project`, 5%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrantLimits {
    /// No project is funded with less (EUR).
    pub min_eur: f64,
    /// No project gets more (EUR).
    pub max_eur: f64,
}

impl GrantLimits {
    /// The fund's own minimum and maximum grant.
    pub fn of_fund(fund: &FundParams) -> Self {
        Self {
            min_eur: fund.min_grant_eur,
            max_eur: fund.max_grant_eur,
        }
    }

    /// The fund's limits at `call`, raised to `min_amount_eur` and lowered to
    /// `max_share` of the call's budget when given. Without either they are the fund's,
    /// to the bit, so a rule that leaves both unset splits as it did before they existed.
    pub fn at_call(call: &Call, min_amount_eur: Option<f64>, max_share: Option<f64>) -> Self {
        let fund = Self::of_fund(call.fund);
        Self {
            min_eur: min_amount_eur.map_or(fund.min_eur, |min| min.max(fund.min_eur)),
            max_eur: max_share.map_or(fund.max_eur, |share| {
                (share * call.budget_eur).min(fund.max_eur)
            }),
        }
    }

    /// Whether any grant fits: a minimum above the maximum leaves no size allowed.
    pub fn any_grant_fits(&self) -> bool {
        self.min_eur <= self.max_eur
    }
}

/// Splits `call.budget_eur` over the projects in proportion to their weights, within the
/// fund's minimum and maximum grant ([`split_by_weights_within`] with the fund's limits).
pub fn split_by_weights<'a>(
    call: &Call,
    weighted: impl Iterator<Item = (&'a ProjectView, f64)>,
    grants: &mut Vec<Grant>,
) {
    split_by_weights_within(call, GrantLimits::of_fund(call.fund), weighted, grants);
}

/// Splits `call.budget_eur` over the projects in proportion to their weights, every grant
/// within `limits`.
///
/// The cost of a grant of `a` EUR is `a · (1 + overhead_share) + overhead_fixed_eur`.
/// Shares above the maximum grant are capped and the excess goes to the others in
/// proportion to their weights, until nobody is above it (water filling); while the
/// smallest share is below the minimum grant, the project with the smallest weight (ties:
/// the least critical, then the last listed) is left out of this call and the rest
/// re-split. Money not granted stays with the fund: when every candidate is capped, the
/// rest of the budget is not spent. Projects with a zero or non-finite weight get nothing,
/// and nobody does when the minimum is above the maximum.
pub fn split_by_weights_within<'a>(
    call: &Call,
    limits: GrantLimits,
    weighted: impl Iterator<Item = (&'a ProjectView, f64)>,
    grants: &mut Vec<Grant>,
) {
    if !limits.any_grant_fits() {
        return;
    }
    let mut candidates: Vec<(&ProjectView, f64)> = weighted
        .filter(|(_, w)| w.is_finite() && *w > 0.0)
        .collect();
    // The order decides who is capped first and who is left out. With equal weights
    // (every call of `equal`) and nobody capped or left out, every candidate gets the
    // same share in any order, and the sums are of equal terms: the sort, most of the
    // cost of an equal split, is skipped and the grants are the same.
    let equal_weights = candidates.windows(2).all(|pair| pair[0].1 == pair[1].1);
    if equal_weights
        && !candidates.is_empty()
        && let Fill::Grant(per_weight) = fill_step(call, limits, 0, &candidates)
    {
        grants.extend(share(&candidates, per_weight));
    } else {
        sort_by_weight(&mut candidates);
        let mut capped = 0usize;
        let mut end = candidates.len();
        while capped < end {
            match fill_step(call, limits, capped, &candidates[capped..end]) {
                Fill::Cap => capped += 1,
                Fill::LeaveOut => end -= 1,
                Fill::Grant(per_weight) => {
                    grants.extend(share(&candidates[capped..end], per_weight));
                    break;
                }
            }
        }
        let capped_projects = candidates[..capped].iter();
        grants.extend(capped_projects.map(|(p, _)| Grant::upfront(p.index, limits.max_eur)));
    }
    // A project gets at most one grant per call, so the order is strict either way.
    grants.sort_unstable_by_key(|g| g.project);
}

/// Largest weight first; ties by criticality, then portfolio order, so the result never
/// depends on how the caller ordered the projects. The order is strict (indices differ),
/// so an unstable sort gives it too, on integer keys computed once.
fn sort_by_weight(candidates: &mut Vec<(&ProjectView, f64)>) {
    let mut keyed: Vec<_> = candidates
        .drain(..)
        .map(|(p, w)| {
            let key = (
                Reverse(total_order_key(w)),
                Reverse(total_order_key(p.criticality)),
                p.index,
            );
            (key, (p, w))
        })
        .collect();
    keyed.sort_unstable_by_key(|&(key, _)| key);
    candidates.extend(keyed.into_iter().map(|(_, c)| c));
}

/// One step of the water filling.
enum Fill {
    /// The largest share is above the maximum grant: cap it.
    Cap,
    /// Nothing is left to share, or the smallest share is below the minimum grant.
    LeaveOut,
    /// Every `open` project gets its weight times this.
    Grant(f64),
}

/// The next step when the `capped` largest candidates get the maximum grant and the
/// `open` ones (largest weight first, at least one) share the rest of the budget.
fn fill_step(
    call: &Call,
    limits: GrantLimits,
    capped: usize,
    open: &[(&ProjectView, f64)],
) -> Fill {
    let fund = call.fund;
    let capped_cost = limits.max_eur * (1.0 + fund.overhead_share) + fund.overhead_fixed_eur;
    let net =
        call.budget_eur - capped as f64 * capped_cost - open.len() as f64 * fund.overhead_fixed_eur;
    if net <= 0.0 {
        return Fill::LeaveOut;
    }
    let total_weight: f64 = open.iter().map(|(_, w)| w).sum();
    let per_weight = net / (1.0 + fund.overhead_share) / total_weight;
    if open[0].1 * per_weight > limits.max_eur {
        Fill::Cap
    } else if open[open.len() - 1].1 * per_weight < limits.min_eur {
        Fill::LeaveOut
    } else {
        Fill::Grant(per_weight)
    }
}

fn share<'a>(open: &'a [(&ProjectView, f64)], per_weight: f64) -> impl Iterator<Item = Grant> + 'a {
    open.iter()
        .map(move |(p, w)| Grant::upfront(p.index, w * per_weight))
}

/// An integer ordered as `f64::total_cmp` orders floats: the sign bit flips the order
/// of the other bits of a negative number.
fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FundParams;
    use crate::strategy::test_support::view;

    fn split(fund: &FundParams, budget: f64, weights: &[f64]) -> Vec<Grant> {
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: budget,
            fund,
        };
        let views: Vec<_> = (0..weights.len()).map(|i| view(i, 1.0)).collect();
        let mut grants = Vec::new();
        split_by_weights(
            &call,
            views.iter().zip(weights.iter().copied()),
            &mut grants,
        );
        grants
    }

    fn cost(fund: &FundParams, grants: &[Grant]) -> f64 {
        grants.iter().map(|g| g.cost_eur(fund)).sum()
    }

    #[test]
    fn total_order_key_orders_as_total_cmp() {
        let values = [
            f64::NEG_INFINITY,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            1e-300,
            1.0,
            1.0 + f64::EPSILON,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ];
        for a in values {
            for b in values {
                assert_eq!(
                    total_order_key(a).cmp(&total_order_key(b)),
                    a.total_cmp(&b),
                    "{a} against {b}"
                );
            }
        }
    }

    #[test]
    fn proportional_shares_spend_the_budget_net_of_overhead() {
        let fund = FundParams {
            overhead_fixed_eur: 100.0,
            overhead_share: 0.25,
            min_grant_eur: 0.0,
            max_grant_eur: 1e9,
            ..FundParams::default()
        };
        let grants = split(&fund, 10_200.0, &[1.0, 3.0]);
        // net = 10200 - 200 = 10000 → amounts 10000/1.25 split 1:3 = 2000, 6000.
        assert_eq!(
            grants,
            vec![Grant::upfront(0, 2_000.0), Grant::upfront(1, 6_000.0)]
        );
        assert!((cost(&fund, &grants) - 10_200.0).abs() < 1e-9);
    }

    #[test]
    fn equal_weights_share_alike_whatever_the_order_of_the_projects() {
        let fund = FundParams {
            overhead_fixed_eur: 250.0,
            overhead_share: 0.1,
            min_grant_eur: 1_000.0,
            max_grant_eur: 1e9,
            ..FundParams::default()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1_000_003.0,
            fund: &fund,
        };
        let views: Vec<_> = (0..7).map(|i| view(i, 1.0 + i as f64)).collect();
        let each = (1_000_003.0 - 7.0 * 250.0) / 1.1 / 7.0;
        let expected: Vec<_> = (0..7).map(|i| Grant::upfront(i, each)).collect();
        for order in [views.clone(), views.iter().rev().cloned().collect()] {
            let mut grants = Vec::new();
            split_by_weights(&call, order.iter().map(|p| (p, 1.0)), &mut grants);
            assert_eq!(grants, expected);
        }
    }

    #[test]
    fn caps_at_the_maximum_and_redistributes() {
        let fund = FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            max_grant_eur: 50.0,
            ..FundParams::default()
        };
        let grants = split(&fund, 120.0, &[10.0, 1.0, 1.0]);
        assert_eq!(grants[0].amount_eur, 50.0);
        assert!((grants[1].amount_eur - 35.0).abs() < 1e-9);
        assert!(cost(&fund, &grants) <= 120.0 + 1e-9);
    }

    #[test]
    fn drops_shares_below_the_minimum_and_keeps_within_budget() {
        let fund = FundParams {
            overhead_fixed_eur: 10.0,
            overhead_share: 0.0,
            min_grant_eur: 40.0,
            max_grant_eur: 1e9,
            ..FundParams::default()
        };
        let grants = split(&fund, 100.0, &[1.0, 1.0, 1.0]);
        // Three grants would be 23.3 each; two are 40 each.
        assert_eq!(grants.len(), 2);
        assert!(grants.iter().all(|g| g.amount_eur >= 40.0));
        assert!(cost(&fund, &grants) <= 100.0 + 1e-9);
        assert!(split(&fund, 30.0, &[1.0]).is_empty());
    }

    fn split_within(
        fund: &FundParams,
        budget: f64,
        weights: &[f64],
        min_amount_eur: Option<f64>,
        max_share: Option<f64>,
    ) -> Vec<Grant> {
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: budget,
            fund,
        };
        let views: Vec<_> = (0..weights.len()).map(|i| view(i, 1.0)).collect();
        let limits = GrantLimits::at_call(&call, min_amount_eur, max_share);
        let mut grants = Vec::new();
        split_by_weights_within(
            &call,
            limits,
            views.iter().zip(weights.iter().copied()),
            &mut grants,
        );
        grants
    }

    fn no_overhead() -> FundParams {
        FundParams {
            overhead_fixed_eur: 0.0,
            overhead_share: 0.0,
            min_grant_eur: 0.0,
            max_grant_eur: 1e9,
            ..FundParams::default()
        }
    }

    /// Worked by hand: EUR 1,000 over weights 6 : 2 : 1 : 1, at most 40% (EUR 400) each.
    /// Shares 600, 200, 100, 100; the first is capped at 400 and the 600 left go 2 : 1 : 1
    /// (300, 150, 150). With a minimum of 160 as well, the last of the two 150s (the
    /// last listed) is left out and the 600 go 2 : 1 (400, 200).
    #[test]
    fn the_cap_and_the_minimum_redistribute_exactly() {
        let fund = no_overhead();
        let capped = split_within(&fund, 1_000.0, &[6.0, 2.0, 1.0, 1.0], None, Some(0.4));
        assert_eq!(
            capped,
            vec![
                Grant::upfront(0, 400.0),
                Grant::upfront(1, 300.0),
                Grant::upfront(2, 150.0),
                Grant::upfront(3, 150.0),
            ]
        );
        let both = split_within(
            &fund,
            1_000.0,
            &[6.0, 2.0, 1.0, 1.0],
            Some(160.0),
            Some(0.4),
        );
        assert_eq!(
            both,
            vec![
                Grant::upfront(0, 400.0),
                Grant::upfront(1, 400.0),
                Grant::upfront(2, 200.0),
            ]
        );
    }

    /// Worked by hand: weights 5 : 4 : 1 and a cap of 35% of EUR 1,000 (350). Shares 500,
    /// 400, 100: the first is capped; 650 left go 4 : 1 (520, 130), so the second is capped
    /// too; the last gets the 300 left.
    #[test]
    fn water_filling_caps_until_nobody_is_above_the_cap() {
        let grants = split_within(&no_overhead(), 1_000.0, &[5.0, 4.0, 1.0], None, Some(0.35));
        assert_eq!(grants.len(), 3);
        for (grant, expected) in grants.iter().zip([350.0, 350.0, 300.0]) {
            assert!((grant.amount_eur - expected).abs() < 1e-9, "{grants:?}");
        }
    }

    /// Three projects capped at 20% each spend 60% of the budget; the rest stays with the
    /// fund (and the run's caveats report the unspent money). A minimum above the cap
    /// leaves no grant size allowed.
    #[test]
    fn when_everyone_is_capped_the_rest_stays_unspent() {
        let fund = no_overhead();
        let grants = split_within(&fund, 1_000.0, &[1.0, 1.0, 1.0], None, Some(0.2));
        assert_eq!(
            grants,
            (0..3).map(|i| Grant::upfront(i, 200.0)).collect::<Vec<_>>()
        );
        assert!(split_within(&fund, 1_000.0, &[1.0, 1.0], Some(300.0), Some(0.2)).is_empty());
    }

    /// The fund's own limits still hold, the tighter of the two wins, and without the
    /// rule's limits the split is the fund's, to the bit.
    #[test]
    fn the_tighter_of_the_fund_and_the_rule_limits_wins() {
        let fund = FundParams {
            max_grant_eur: 300.0,
            min_grant_eur: 100.0,
            ..no_overhead()
        };
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: 1_000.0,
            fund: &fund,
        };
        assert_eq!(
            GrantLimits::at_call(&call, Some(50.0), Some(0.5)),
            GrantLimits {
                min_eur: 100.0,
                max_eur: 300.0
            }
        );
        assert_eq!(
            GrantLimits::at_call(&call, Some(150.0), Some(0.2)),
            GrantLimits {
                min_eur: 150.0,
                max_eur: 200.0
            }
        );
        assert_eq!(
            GrantLimits::at_call(&call, None, None),
            GrantLimits::of_fund(&fund)
        );
        let weights = [7.0, 3.0, 2.0, 0.5];
        assert_eq!(
            split_within(&fund, 1_000.0, &weights, None, None),
            split(&fund, 1_000.0, &weights)
        );
    }

    /// Many splits with uneven weights, overheads and limits: the cost within the budget,
    /// nobody above the cap or below the minimum, and the budget spent whenever somebody
    /// is below the cap (the water filling leaves money only when everyone is capped or
    /// left out).
    #[test]
    fn every_split_keeps_the_budget_the_cap_and_the_minimum() {
        let fund = FundParams {
            overhead_fixed_eur: 500.0,
            overhead_share: 0.1,
            min_grant_eur: 1_000.0,
            max_grant_eur: 1e9,
            ..FundParams::default()
        };
        for case in 0..200u32 {
            let count = 1 + (case % 17) as usize;
            // Weights spread over three orders of magnitude, deterministic per case.
            let weights: Vec<f64> = (0..count)
                .map(|i| 10f64.powf(f64::from((case * 7 + i as u32 * 13) % 30) / 10.0))
                .collect();
            let max_share = 0.05 + f64::from(case % 10) * 0.1;
            let min_amount = f64::from(case % 7) * 3_000.0;
            let budget = 50_000.0 + f64::from(case) * 1_000.0;
            let grants = split_within(&fund, budget, &weights, Some(min_amount), Some(max_share));
            let spent = cost(&fund, &grants);
            assert!(
                spent <= budget * (1.0 + 1e-12),
                "case {case}: {spent} > {budget}"
            );
            let cap = max_share * budget;
            let floor = min_amount.max(fund.min_grant_eur);
            for grant in &grants {
                assert!(
                    grant.amount_eur <= cap * (1.0 + 1e-12),
                    "case {case}: {grant:?}"
                );
                assert!(
                    grant.amount_eur >= floor * (1.0 - 1e-12),
                    "case {case}: {grant:?}"
                );
            }
            let below_cap = grants.iter().any(|g| g.amount_eur < cap * (1.0 - 1e-9));
            if below_cap {
                assert!(
                    (spent - budget).abs() < 1e-6 * budget,
                    "case {case}: {spent}"
                );
            }
        }
    }
}
