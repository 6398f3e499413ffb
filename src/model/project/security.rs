//! Latent vulnerabilities being found, and what security purchases do to a project:
//! audits and bug bounties (docs/model.md, "Latent and discovered vulnerabilities").

use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution};

use super::{Bounty, ProjectState};
use crate::fund::Purchase;
use crate::model::Trajectory;
use crate::model::draws::DrawLog;
use crate::params::ModelParams;
use crate::rng::sampling::{HAZARD_BOUND_MARGIN, probability_of_hazard};
use crate::rng::{Purpose, month_stream};

/// Audits draw from the project's Discovery month stream of month `2³¹ + t`, so that
/// they never share a uniform with the monthly discovery draws of month `t`.
const AUDIT_STREAM_MONTH: u32 = 1 << 31;

impl Bounty {
    /// Findings its pool can still pay for (all of them for a zero payout).
    fn affordable(&self) -> u32 {
        if self.payout_eur > 0.0 {
            // Truncation: a finding is paid in full or not at all.
            (self.pool_eur / self.payout_eur + 1e-9).min(f64::from(u32::MAX)) as u32
        } else {
            u32::MAX
        }
    }
}

impl ProjectState {
    /// An audit or a bug bounty of `amount_eur` bought at `month` (docs/model.md).
    pub(crate) fn buy_security(
        &mut self,
        purchase: Purchase,
        amount_eur: f64,
        month: u32,
        out: &mut Trajectory,
    ) {
        out.paid_eur += amount_eur;
        // Bought for this project: it counts as the fund's money for it (what a rule
        // sees, the allocation's Gini, the share funded), though the project holds none.
        self.received_eur += amount_eur;
        self.grants += 1;
        match purchase {
            Purchase::Audit {
                discovery_share,
                fix_share,
            } => {
                // Paid to the auditors at once: the project holds nothing.
                out.spent_total_eur += amount_eur;
                self.audit(discovery_share, fix_share, month, out);
            }
            Purchase::BugBounty {
                months,
                hazard,
                decay,
                payout_eur,
            } => self.bounties.push(Bounty {
                launch: month,
                end: month.saturating_add(months),
                hazard: finite_or_zero(hazard),
                decay: finite_or_zero(decay),
                payout_eur: finite_or_zero(payout_eur),
                pool_eur: amount_eur,
                current: 0.0,
            }),
            // The ledger sends only security purchases here; anything else would be
            // maintenance money.
            Purchase::Maintenance | Purchase::Fellowship { .. } | Purchase::Onboarding { .. } => {
                self.received_eur -= amount_eur;
                self.grants -= 1;
                self.receive_grant(amount_eur, 1)
            }
        }
    }

    /// The month's discovery of the vulnerabilities latent at its start: outsiders and
    /// the maintainers' own review (hazard `h_ext·d̃^α_d + h_eff·E`, one uniform), then
    /// the bug bounties among those left (one more uniform while any bounty runs). Those
    /// found join the open ones, discovered this month. Returns the bounties' payouts.
    #[inline]
    pub(super) fn discover<L: DrawLog>(
        &mut self,
        model: &ModelParams,
        month: u32,
        effort_pm: f64,
        discovered: &mut u64,
        log: &mut L,
    ) -> f64 {
        let hazard = self.external_discovery_hazard + model.vuln_discovery_per_pm * effort_pm;
        let mut draws = month_stream(self.discovery_key, month);
        let u = draws.random::<f64>();
        let mut found = if hazard > 0.0 {
            binomial_from_uniform(u, self.latent, hazard, &mut draws)
        } else {
            0
        };
        let mut uniforms = 1;
        let mut paid_eur = 0.0;
        if self.has_bounties() {
            let (by_bounties, paid) = self.bounty_findings(&mut draws, self.latent - found, month);
            found += by_bounties;
            paid_eur = paid;
            uniforms += 1;
        }
        log.drew(Purpose::Discovery, self.index, month, uniforms);
        if found > 0 {
            self.latent -= found;
            *discovered += u64::from(found);
            self.vulnerabilities
                .extend(std::iter::repeat_n(month, found as usize));
        }
        paid_eur
    }

    /// An audit: Binomial(latent, discovery_share) found at once; Binomial(found,
    /// fix_share) of them fixed at once with the auditors (time to fix 1 month), the rest
    /// open from this month.
    fn audit(&mut self, discovery_share: f64, fix_share: f64, month: u32, out: &mut Trajectory) {
        if self.latent == 0 {
            return;
        }
        let mut draws = month_stream(self.discovery_key, AUDIT_STREAM_MONTH + month);
        let found = binomial(&mut draws, self.latent, share(discovery_share));
        let fixed = binomial(&mut draws, found, share(fix_share));
        self.latent -= found;
        out.discovered_vulnerabilities += u64::from(found);
        out.fix_times.extend(std::iter::repeat_n(1, fixed as usize));
        self.vulnerabilities
            .extend(std::iter::repeat_n(month, (found - fixed) as usize));
    }

    /// The bug bounties' findings in `month` among the `latent` vulnerabilities the
    /// project's own discovery left, drawn with the next uniform of `draws`; returns the
    /// findings and the money paid out for them (EUR). Overlapping bounties combine with
    /// diminishing returns: ordered by this month's hazard, the k-th largest (k = 0, 1, …)
    /// adds `2^(−k)` of its hazard; findings are paid by the bounties in that order, and
    /// never more than their pools can pay.
    pub(super) fn bounty_findings<R: Rng>(
        &mut self,
        draws: &mut R,
        latent: u32,
        month: u32,
    ) -> (u32, f64) {
        let mut affordable = 0u32;
        for bounty in &mut self.bounties {
            let running = month >= bounty.launch && month < bounty.end;
            let can_pay = bounty.affordable();
            bounty.current = if running && can_pay > 0 {
                affordable = affordable.saturating_add(can_pay);
                bounty.hazard * f64::from(1 + month - bounty.launch).powf(-bounty.decay)
            } else {
                0.0
            };
        }
        self.bounties
            .sort_by(|a, b| b.current.total_cmp(&a.current));
        let mut weight = 1.0;
        let mut hazard = 0.0;
        for bounty in &self.bounties {
            hazard += weight * bounty.current;
            weight *= 0.5;
        }
        // The uniform is drawn whatever the hazard, so the draws per month depend only on
        // whether bounties run.
        let u = draws.random::<f64>();
        if latent == 0 || hazard <= 0.0 {
            return (0, 0.0);
        }
        let found = binomial_from_uniform(u, latent, hazard, draws).min(affordable);
        let mut unpaid = found;
        let mut paid_eur = 0.0;
        for bounty in &mut self.bounties {
            if unpaid == 0 || bounty.current <= 0.0 {
                break;
            }
            let paid = unpaid.min(bounty.affordable());
            let amount = (f64::from(paid) * bounty.payout_eur).min(bounty.pool_eur);
            bounty.pool_eur -= amount;
            paid_eur += amount;
            unpaid -= paid;
        }
        (found, paid_eur)
    }

    /// Ends the bounties that ran their last month (`month`) or can no longer pay a
    /// finding; returns what their pools still held, which goes back to the fund.
    pub(crate) fn end_bounties(&mut self, month: u32) -> f64 {
        let mut returned = 0.0;
        self.bounties.retain(|bounty| {
            if month + 1 >= bounty.end || bounty.affordable() == 0 {
                returned += bounty.pool_eur;
                false
            } else {
                true
            }
        });
        returned
    }

    /// Whether any bug bounty is running on the project.
    #[inline(always)]
    pub(crate) fn has_bounties(&self) -> bool {
        !self.bounties.is_empty()
    }

    /// Money the fund holds for this project's bounties, not yet paid out (EUR).
    pub(crate) fn bounty_pools_eur(&self) -> f64 {
        self.bounties.iter().map(|bounty| bounty.pool_eur).sum()
    }
}

fn finite_or_zero(value: f64) -> f64 {
    if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    }
}

/// A share clamped to [0, 1] (a rule's purchase is not user input that could be refused).
fn share(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

/// Binomial(trials, probability) from `draws`, one uniform by inversion.
fn binomial<R: Rng>(draws: &mut R, trials: u32, probability: f64) -> u32 {
    if trials == 0 || probability <= 0.0 {
        return 0;
    }
    if probability >= 1.0 {
        return trials;
    }
    let u = draws.random::<f64>();
    binomial_inversion(u, trials, probability, draws)
}

/// How many of `trials` latent vulnerabilities, each found with monthly hazard `hazard`
/// (probability `1 − e^(−hazard)`), are found, given the month's uniform `u`. Most months
/// nothing is found: zero has probability `(1 − p)^n ≥ 1 − n·hazard`, so a uniform below
/// that needs no exponential.
#[inline]
pub(super) fn binomial_from_uniform<R: Rng>(
    u: f64,
    trials: u32,
    hazard: f64,
    draws: &mut R,
) -> u32 {
    if u < 1.0 - f64::from(trials) * hazard - HAZARD_BOUND_MARGIN {
        return 0;
    }
    binomial_inversion(u, trials, probability_of_hazard(hazard), draws)
}

/// Inversion of the binomial distribution function for one uniform: the count is the
/// smallest k whose cumulative probability reaches `u`. Written out rather than taken from
/// `rand_distr` because one uniform per draw keeps the draws of a month fixed whatever
/// the state, and a larger probability or count never finds fewer with the same uniform
/// (common random numbers pair strategies monotonically). Where `(1 − p)^n` underflows
/// (counts in the tens of thousands) inversion loses its meaning and `rand_distr`'s
/// sampler draws from `draws` instead.
#[cold]
fn binomial_inversion<R: Rng>(mut u: f64, trials: u32, probability: f64, draws: &mut R) -> u32 {
    let p = probability.clamp(0.0, 1.0);
    if p >= 1.0 {
        return trials;
    }
    let q = 1.0 - p;
    let mut mass = q.powi(trials as i32);
    if mass < 1e-250 {
        return Binomial::new(u64::from(trials), p)
            .map(|law| law.sample(draws).min(u64::from(trials)) as u32)
            .unwrap_or(0);
    }
    let ratio = p / q;
    let mut count = 0u32;
    while u > mass && count < trials {
        u -= mass;
        count += 1;
        mass *= f64::from(trials - count + 1) / f64::from(count) * ratio;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fund::{AllocationRule, Call, Decision, Grant, ProjectView, Review};
    use crate::model::{World, simulate};
    use crate::params::{FundParams, ModelParams, SyntheticPortfolio, Timing};
    use crate::portfolio::Portfolio;
    use crate::rng::{Purpose, SimRng, stream};

    /// Inversion gives the binomial's mean and variance, and the shortcut for zero
    /// agrees with the full inversion.
    #[test]
    fn binomial_inversion_has_the_binomial_mean_and_variance() {
        let mut rng = stream(5, 0, 0, Purpose::Discovery);
        for (trials, hazard) in [(3u32, 0.02), (40, 0.3), (7, 1.5)] {
            let p = probability_of_hazard(hazard);
            let n = 200_000;
            let (mut sum, mut squares) = (0.0, 0.0);
            for _ in 0..n {
                let u = rng.random::<f64>();
                let k = binomial_from_uniform(u, trials, hazard, &mut rng);
                assert_eq!(k, binomial_inversion(u, trials, p, &mut rng), "u = {u}");
                let k = f64::from(k);
                sum += k;
                squares += k * k;
            }
            let mean = sum / f64::from(n);
            let variance = squares / f64::from(n) - mean * mean;
            let (expected_mean, expected_variance) =
                (f64::from(trials) * p, f64::from(trials) * p * (1.0 - p));
            // 5 standard errors of the mean; the variance within 3% (its relative
            // standard error is about √(2/n) = 0.3%).
            let se = (expected_variance / f64::from(n)).sqrt();
            assert!(
                (mean - expected_mean).abs() < 5.0 * se,
                "{trials}, {hazard}: {mean}"
            );
            assert!(
                (variance / expected_variance - 1.0).abs() < 0.03,
                "{trials}, {hazard}: {variance}"
            );
        }
    }

    /// With the same uniform, a larger probability or more trials never finds fewer.
    #[test]
    fn inversion_is_monotone_in_the_probability_and_the_trials() {
        let mut rng = stream(6, 0, 0, Purpose::Discovery);
        for _ in 0..20_000 {
            let u = rng.random::<f64>();
            let a = binomial_inversion(u, 5, 0.1, &mut rng);
            assert!(a <= binomial_inversion(u, 5, 0.3, &mut rng));
            assert!(a <= binomial_inversion(u, 9, 0.1, &mut rng));
        }
    }

    /// A rule that buys the same purchases for every project at the first call:
    /// `copies` purchases of `amount_eur` each (none when `copies` is 0).
    struct BuyAtFirstCall {
        purchase: Purchase,
        amount_eur: f64,
        copies: usize,
    }

    impl AllocationRule for BuyAtFirstCall {
        fn allocate(
            &self,
            call: &Call,
            projects: &[ProjectView],
            _: &Review,
            _: &mut SimRng,
            decision: &mut Decision,
        ) {
            if call.index > 0 {
                return;
            }
            for project in projects {
                for _ in 0..self.copies {
                    decision.grants.push(Grant::buying(
                        project.index,
                        self.amount_eur,
                        self.purchase,
                    ));
                }
            }
        }
    }

    const REPLICATIONS: u64 = 200;

    fn world() -> World {
        let model = ModelParams::default();
        let portfolio = Portfolio::synthetic(&SyntheticPortfolio::default(), &model, 7, 0);
        World::new(portfolio, model, FundParams::default())
    }

    /// Per replication, for each rule: (vulnerabilities found, latent per project at month
    /// 12, money checks passed), on the same random numbers (seed 17).
    fn outcomes(world: &World, rule: &BuyAtFirstCall) -> Vec<(f64, f64)> {
        let mut t = Trajectory::default();
        (0..REPLICATIONS)
            .map(|replication| {
                simulate(world, "buyer", rule, Timing::Even, 17, replication, &mut t);
                let accounted = t.spent_total_eur + t.held_end_eur + t.returned_eur;
                assert!(
                    (t.paid_eur - accounted).abs() < 1e-6 * t.paid_eur.max(1.0),
                    "money is conserved: paid {} against {accounted}",
                    t.paid_eur
                );
                assert!(
                    t.paid_eur + t.overhead_eur <= t.available_eur + t.returned_eur + 1e-6,
                    "no more committed than available"
                );
                (
                    t.discovered_vulnerabilities as f64,
                    t.latent_vulnerabilities[12],
                )
            })
            .collect()
    }

    /// Mean and Monte Carlo standard error of paired differences.
    fn mean_and_se(differences: impl Iterator<Item = f64>) -> (f64, f64) {
        let values: Vec<f64> = differences.collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (variance / n).sqrt())
    }

    fn nothing() -> BuyAtFirstCall {
        BuyAtFirstCall {
            purchase: Purchase::Maintenance,
            amount_eur: 0.0,
            copies: 0,
        }
    }

    fn bounty() -> Purchase {
        Purchase::BugBounty {
            months: 36,
            hazard: 0.05,
            decay: 0.4,
            payout_eur: 1_000.0,
        }
    }

    /// An audit and a bug bounty each find more vulnerabilities over the horizon and
    /// leave fewer latent a year on than buying nothing, on the same random numbers:
    /// paired differences at least 4 Monte Carlo standard errors from zero.
    #[test]
    fn audits_and_bounties_find_more_and_leave_fewer_latent_than_nothing() {
        let world = world();
        let none = outcomes(&world, &nothing());
        let audit = BuyAtFirstCall {
            purchase: Purchase::Audit {
                discovery_share: 0.6,
                fix_share: 0.5,
            },
            amount_eur: 30_000.0,
            copies: 1,
        };
        let bounty = BuyAtFirstCall {
            purchase: bounty(),
            amount_eur: 30_000.0,
            copies: 1,
        };
        for (name, rule) in [("audit", audit), ("bounty", bounty)] {
            let bought = outcomes(&world, &rule);
            let (found, se) = mean_and_se(bought.iter().zip(&none).map(|(b, n)| b.0 - n.0));
            assert!(found > 4.0 * se, "{name} finds more: {found} ± {se}");
            let (latent, se) = mean_and_se(bought.iter().zip(&none).map(|(b, n)| n.1 - b.1));
            assert!(
                latent > 4.0 * se,
                "{name} leaves fewer latent: {latent} ± {se}"
            );
        }
    }

    /// Two overlapping bounties on a project find more than one, but fewer per euro: the
    /// second adds half its hazard for the full price. Paired: with `e` the extra finds
    /// over buying nothing, `2·e(one) − e(two)` is positive by 4 standard errors.
    #[test]
    fn overlapping_bounties_find_fewer_per_euro_than_one() {
        let world = world();
        let none = outcomes(&world, &nothing());
        let bounties = |copies| BuyAtFirstCall {
            purchase: bounty(),
            amount_eur: 30_000.0,
            copies,
        };
        let one = outcomes(&world, &bounties(1));
        let two = outcomes(&world, &bounties(2));
        let (more, se) = mean_and_se(two.iter().zip(&one).map(|(t, o)| t.0 - o.0));
        assert!(more > 4.0 * se, "two find more than one: {more} ± {se}");
        let (gap, se) = mean_and_se(
            none.iter()
                .zip(&one)
                .zip(&two)
                .map(|((n, o), t)| 2.0 * (o.0 - n.0) - (t.0 - n.0)),
        );
        assert!(gap > 4.0 * se, "fewer per euro: {gap} ± {se}");
    }

    fn state_with_latent(latent: u32) -> ProjectState {
        let model = ModelParams::default();
        let portfolio = Portfolio::synthetic(&SyntheticPortfolio::default(), &model, 7, 0);
        let mut state = ProjectState::new(&portfolio.projects[0], &model, 3, 0, 0);
        state.latent = latent;
        state
    }

    /// An audit moves what it finds from latent to fixed (time to fix 1) or open, pays
    /// its amount to the auditors, and finds its share in expectation.
    #[test]
    fn an_audit_finds_its_share_and_fixes_some_at_once() {
        let (draws, latent, share) = (2_000u32, 20u32, 0.3);
        let mut found_total = 0.0;
        for month in 0..draws {
            let mut state = state_with_latent(latent);
            let mut t = Trajectory::default();
            let purchase = Purchase::Audit {
                discovery_share: share,
                fix_share: 0.5,
            };
            state.buy_security(purchase, 10_000.0, month, &mut t);
            let found = latent - state.latent;
            assert_eq!(u64::from(found), t.discovered_vulnerabilities);
            assert_eq!(
                found,
                t.fix_times.len() as u32 + state.open_vulnerabilities()
            );
            assert!(t.fix_times.iter().all(|&months| months == 1));
            assert!(state.vulnerabilities.iter().all(|&m| m == month));
            assert_eq!((t.paid_eur, t.spent_total_eur), (10_000.0, 10_000.0));
            found_total += f64::from(found);
        }
        let expected = f64::from(latent) * share;
        let se = (f64::from(latent) * share * (1.0 - share) / f64::from(draws)).sqrt();
        let mean = found_total / f64::from(draws);
        assert!(
            (mean - expected).abs() < 4.0 * se,
            "{mean} against {expected}"
        );
    }

    /// A bounty pays a finding only while its pool can, and returns the rest when it ends.
    #[test]
    fn a_bounty_pays_from_its_pool_and_returns_the_rest() {
        let mut state = state_with_latent(200);
        let mut t = Trajectory::default();
        let purchase = Purchase::BugBounty {
            months: 6,
            hazard: 0.5,
            decay: 0.0,
            payout_eur: 1_000.0,
        };
        state.buy_security(purchase, 3_500.0, 0, &mut t);
        assert_eq!(state.bounty_pools_eur(), 3_500.0);
        let mut rng = stream(9, 0, 0, Purpose::Discovery);
        let (found, paid) = state.bounty_findings(&mut rng, 200, 0);
        // 200 latent at hazard 0.5 find about 79: the pool pays three.
        assert_eq!((found, paid), (3, 3_000.0));
        assert_eq!(state.end_bounties(0), 500.0, "half a payout left: it ends");
        assert!(!state.has_bounties());
    }
}
