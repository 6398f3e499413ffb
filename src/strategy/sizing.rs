//! The grant-size policy shared by weight-based rules: a call's budget split in
//! proportion to weights, net of the fund's overhead, within the minimum and maximum
//! grant size.

use std::cmp::Reverse;

use super::{Call, Grant, ProjectView};

/// Splits `call.budget_eur` over the projects in proportion to their weights.
///
/// The cost of a grant of `a` EUR is `a · (1 + overhead_share) + overhead_fixed_eur`.
/// Shares above the maximum grant are capped and the excess goes to the others (water
/// filling); while the smallest share is below the minimum grant, the project with the
/// smallest weight (ties: the least critical, then the last listed) is left out of this
/// call and the rest re-split. Money not granted stays with the fund. Projects with a
/// zero or non-finite weight get nothing.
pub fn split_by_weights<'a>(
    call: &Call,
    weighted: impl Iterator<Item = (&'a ProjectView, f64)>,
    grants: &mut Vec<Grant>,
) {
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
        && let Fill::Grant(per_weight) = fill_step(call, 0, &candidates)
    {
        grants.extend(share(&candidates, per_weight));
    } else {
        sort_by_weight(&mut candidates);
        let mut capped = 0usize;
        let mut end = candidates.len();
        while capped < end {
            match fill_step(call, capped, &candidates[capped..end]) {
                Fill::Cap => capped += 1,
                Fill::LeaveOut => end -= 1,
                Fill::Grant(per_weight) => {
                    grants.extend(share(&candidates[capped..end], per_weight));
                    break;
                }
            }
        }
        let capped_projects = candidates[..capped].iter();
        let max_grant_eur = call.fund.max_grant_eur;
        grants.extend(capped_projects.map(|(p, _)| Grant::upfront(p.index, max_grant_eur)));
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
fn fill_step(call: &Call, capped: usize, open: &[(&ProjectView, f64)]) -> Fill {
    let fund = call.fund;
    let capped_cost = fund.max_grant_eur * (1.0 + fund.overhead_share) + fund.overhead_fixed_eur;
    let net =
        call.budget_eur - capped as f64 * capped_cost - open.len() as f64 * fund.overhead_fixed_eur;
    if net <= 0.0 {
        return Fill::LeaveOut;
    }
    let total_weight: f64 = open.iter().map(|(_, w)| w).sum();
    let per_weight = net / (1.0 + fund.overhead_share) / total_weight;
    if open[0].1 * per_weight > fund.max_grant_eur {
        Fill::Cap
    } else if open[open.len() - 1].1 * per_weight < fund.min_grant_eur {
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
}
