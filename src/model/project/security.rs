//! Latent vulnerabilities being found, and what security purchases do to a project:
//! audits and bug bounties (docs/model.md, "Latent and discovered vulnerabilities").

use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution};

use super::ProjectState;
use crate::fund::Purchase;
use crate::model::Trajectory;
use crate::rng::month_stream;
use crate::rng::sampling::{HAZARD_BOUND_MARGIN, probability_of_hazard};

/// Audits draw from the project's Discovery month stream of month `2³¹ + t`, so that
/// they never share a uniform with the monthly discovery draws of month `t`.
const AUDIT_STREAM_MONTH: u32 = 1 << 31;

/// A bug bounty running on a project. The fund holds its pool and pays findings from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bounty {
    /// Month of launch: the bounty's own month 0.
    launch: u32,
    /// First month it no longer runs in.
    end: u32,
    /// Extra hazard per latent vulnerability in the month of launch.
    hazard: f64,
    /// Exponent of the decay `(1 + t)^(−decay)`, t months since launch.
    decay: f64,
    payout_eur: f64,
    /// Money not yet paid out (EUR).
    pool_eur: f64,
    /// This month's hazard, for ordering overlapping bounties (set each month).
    current: f64,
}

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
                self.receive_grant(amount_eur, 1)
            }
        }
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
    use crate::rng::{Purpose, stream};

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
            // 5 standard errors of the mean; the variance within 3%.
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
}
