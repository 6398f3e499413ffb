//! Survival analysis: the Kaplan–Meier estimator with Greenwood's variance and log-log
//! (complementary log-log) confidence intervals, for right-censored lifetimes; median
//! survival with the Brookmeyer–Crowley interval; restricted mean survival time (RMST).
//!
//! # Conventions
//!
//! A lifetime is a time `t ≥ 0` and whether the event (for fundsim: first abandonment)
//! was observed at `t` (`event = true`) or the subject was right-censored there (still
//! at risk at `t`, unobserved after it).
//!
//! The table has one row at time 0 (the origin, where everyone is at risk) and one row
//! at each later time with at least one event or censoring, ascending. In the row of
//! time `t`:
//!
//! - `at_risk` = subjects with a lifetime `≥ t`: at risk just before `t`;
//! - `events` = events at exactly `t`; `censored` = censorings at exactly `t`;
//! - ties: events come before censorings at the same time, so a subject censored at `t`
//!   counts as at risk for the events at `t` (the usual convention; Kalbfleisch &
//!   Prentice 2002, §1.4);
//! - `survival` = `Ŝ(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ)`, right-continuous: the survival
//!   *after* the events at `t`. Between rows `Ŝ` stays at the value of the last row.
//!
//! Greenwood's variance: `Var Ŝ(t) = Ŝ(t)² Σ_{tᵢ ≤ t} dᵢ / (nᵢ (nᵢ − dᵢ))`.
//!
//! 95% intervals on the log-log scale (Kalbfleisch & Prentice 2002, eq. 1.10; R
//! `survfit(conf.type = "log-log")`, Python `lifelines`' default): with
//! `σ² = Σ dᵢ / (nᵢ (nᵢ − dᵢ))`, the interval is `Ŝ^exp(±z σ / ln Ŝ)`, i.e.
//! `[exp(−exp(θ + zσ/|ln Ŝ|)), exp(−exp(θ − zσ/|ln Ŝ|))]` with `θ = ln(−ln Ŝ)`. It stays
//! inside `[0, 1]`. While `Ŝ = 1` (no event yet) the interval is `[1, 1]`; once `Ŝ = 0`
//! (the last subjects at risk all had the event) the variance and interval are undefined
//! (NaN).
//!
//! # fundsim's simulated survival
//!
//! In a simulation every project starts at month 0 and is followed to the horizon `T`; a
//! project first abandoned at month-end `k` has the lifetime `(k, event)`, one never
//! abandoned `(T, censored)` ([`lifetimes_of`]). The run folder's `survival.csv` pools the
//! replications month by month in a life-table layout: its row for month `k` has
//! `at_risk(k)` = projects not yet abandoned at month-end `k`, i.e. at risk during the
//! interval `(k, k+1]`, and `events(k)` = the first abandonments in that interval. In the Kaplan–Meier layout here those events happen at
//! time `k+1`, with those same `at_risk(k)` projects at risk: **the Kaplan–Meier row of
//! time `k+1` is `survival.csv`'s row of month `k`**. [`KaplanMeier::from_pooled_months`]
//! does that shift, and its survival equals `survival.csv`'s pooled `surviving` share at
//! every month (no censoring before `T`).

use serde::Serialize;

use super::Z95;
use crate::model::Trajectory;

/// One subject's follow-up: the time of its event or of its censoring.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lifetime {
    /// Time from the origin (months in fundsim) to the event or censoring, `≥ 0`.
    pub time: f64,
    /// `true` if the event was observed at `time`, `false` if censored there.
    pub event: bool,
}

impl Lifetime {
    pub fn event(time: f64) -> Self {
        Self { time, event: true }
    }

    pub fn censored(time: f64) -> Self {
        Self { time, event: false }
    }
}

/// Why lifetimes cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurvivalError {
    #[error("no lifetimes to analyse")]
    Empty,
    #[error("lifetime {index} has time {time}: times must be finite and at least 0")]
    BadTime { index: usize, time: f64 },
    #[error("the counts at time {time} are inconsistent: {problem}")]
    BadCounts { time: f64, problem: String },
}

/// One row of the Kaplan–Meier table (see the module's conventions).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KmRow {
    pub time: f64,
    /// Subjects at risk just before `time`.
    pub at_risk: u64,
    /// Events at `time`.
    pub events: u64,
    /// Censorings at `time`.
    pub censored: u64,
    /// `Ŝ(time)`, after the events at `time`.
    pub survival: f64,
    /// Greenwood's standard error of `Ŝ(time)`; NaN once `Ŝ = 0`.
    pub std_error: f64,
    /// 95% log-log interval; `[1, 1]` while `Ŝ = 1`, NaN once `Ŝ = 0`.
    pub ci_low: f64,
    pub ci_high: f64,
}

/// A quantile of the survival time (e.g. the median) with its 95% interval; `None`
/// where the curve (or its band) never falls to the level within follow-up ("not
/// reached").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SurvivalQuantile {
    /// The survival level, 0.5 for the median.
    pub level: f64,
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// Restricted mean survival time up to `tau`: the area under `Ŝ` on `[0, tau]`, the
/// expected time survived within the first `tau` (months).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rmst {
    pub tau: f64,
    pub estimate: f64,
    pub std_error: f64,
    /// `estimate ± z·std_error`, clipped to `[0, tau]`.
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The Kaplan–Meier estimate of a survival function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KaplanMeier {
    rows: Vec<KmRow>,
    /// Running `Σ dᵢ / (nᵢ (nᵢ − dᵢ))` per row (Greenwood's sum), for RMST.
    #[serde(skip)]
    greenwood_sums: Vec<f64>,
}

impl KaplanMeier {
    /// Fits the estimator to right-censored lifetimes (in any order).
    ///
    /// # Errors
    /// [`SurvivalError::Empty`] without lifetimes, [`SurvivalError::BadTime`] for a
    /// negative or non-finite time.
    pub fn fit(lifetimes: &[Lifetime]) -> Result<Self, SurvivalError> {
        if lifetimes.is_empty() {
            return Err(SurvivalError::Empty);
        }
        if let Some((index, l)) = lifetimes
            .iter()
            .enumerate()
            .find(|(_, l)| !(l.time.is_finite() && l.time >= 0.0))
        {
            return Err(SurvivalError::BadTime {
                index,
                time: l.time,
            });
        }
        let mut sorted: Vec<Lifetime> = lifetimes.to_vec();
        sorted.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut counts: Vec<(f64, u64, u64)> = Vec::new();
        for l in &sorted {
            match counts.last_mut() {
                Some((time, events, censored)) if *time == l.time => {
                    *events += u64::from(l.event);
                    *censored += u64::from(!l.event);
                }
                _ => counts.push((l.time, u64::from(l.event), u64::from(!l.event))),
            }
        }
        if counts[0].0 > 0.0 {
            counts.insert(0, (0.0, 0, 0));
        }
        let mut at_risk = sorted.len() as u64;
        let table = counts.into_iter().map(|(time, events, censored)| {
            let row = (time, at_risk, events, censored);
            at_risk -= events + censored;
            row
        });
        Self::from_counts(table)
    }

    /// Builds the estimator from a life table already counted: `(time, at_risk, events,
    /// censored)` rows in ascending time, with the module's conventions. Rows with no
    /// event and no censoring are kept (they repeat the survival).
    ///
    /// # Errors
    /// [`SurvivalError::BadCounts`] when times do not ascend, events exceed the number at
    /// risk, or the number at risk does not follow from the previous row.
    pub fn from_counts(
        table: impl IntoIterator<Item = (f64, u64, u64, u64)>,
    ) -> Result<Self, SurvivalError> {
        let mut rows = Vec::new();
        let mut greenwood_sums = Vec::new();
        let mut survival = 1.0;
        let mut sum = 0.0;
        let mut previous: Option<(f64, u64)> = None;
        for (time, at_risk, events, censored) in table {
            let bad = |problem: String| SurvivalError::BadCounts { time, problem };
            if !(time.is_finite() && time >= 0.0) {
                return Err(bad("times must be finite and at least 0".into()));
            }
            if events + censored > at_risk {
                return Err(bad(format!(
                    "{events} events and {censored} censored but only {at_risk} at risk"
                )));
            }
            if let Some((last_time, expected)) = previous {
                if time <= last_time {
                    return Err(bad(format!("time does not ascend after {last_time}")));
                }
                if at_risk > expected {
                    return Err(bad(format!(
                        "{at_risk} at risk, but only {expected} remained after the previous row"
                    )));
                }
            }
            if events > 0 {
                survival *= 1.0 - events as f64 / at_risk as f64;
                sum += if at_risk > events {
                    events as f64 / (at_risk as f64 * (at_risk - events) as f64)
                } else {
                    f64::INFINITY
                };
            }
            let (std_error, ci_low, ci_high) = greenwood_interval(survival, sum);
            rows.push(KmRow {
                time,
                at_risk,
                events,
                censored,
                survival,
                std_error,
                ci_low,
                ci_high,
            });
            greenwood_sums.push(sum);
            previous = Some((time, at_risk - events - censored));
        }
        if rows.is_empty() {
            return Err(SurvivalError::Empty);
        }
        Ok(Self {
            rows,
            greenwood_sums,
        })
    }

    /// The estimator of a simulation's pooled monthly counts: `surviving_total[k]` = the
    /// projects (summed over replications) not yet abandoned at month-end `k`, for
    /// `k = 0 … T` (`SurvivalSeries::surviving_total`; `survival.csv`'s `at_risk`). One
    /// row per month `0 … T`; those still at risk at `T` are censored there. See the
    /// module's notes for the shift of one month against `survival.csv`'s rows.
    ///
    /// # Errors
    /// [`SurvivalError`] when the series is empty or rises.
    pub fn from_pooled_months(surviving_total: &[u64]) -> Result<Self, SurvivalError> {
        let last = surviving_total
            .len()
            .checked_sub(1)
            .ok_or(SurvivalError::Empty)?;
        let table = (0..=last).map(|month| {
            let at_risk = if month == 0 {
                surviving_total[0]
            } else {
                surviving_total[month - 1]
            };
            let events = at_risk.saturating_sub(surviving_total[month]);
            let censored = if month == last {
                surviving_total[month]
            } else {
                0
            };
            (month as f64, at_risk, events, censored)
        });
        // A rising series would make events negative: caught as inconsistent counts.
        if let Some(month) = (1..=last).find(|&m| surviving_total[m] > surviving_total[m - 1]) {
            return Err(SurvivalError::BadCounts {
                time: month as f64,
                problem: "the number not yet abandoned rises".into(),
            });
        }
        Self::from_counts(table)
    }

    /// The table, one row at time 0 and one per time with an event or censoring.
    pub fn rows(&self) -> &[KmRow] {
        &self.rows
    }

    /// Subjects at the origin.
    pub fn subjects(&self) -> u64 {
        self.rows[0].at_risk
    }

    /// The largest time in the table (the end of follow-up).
    pub fn last_time(&self) -> f64 {
        self.rows[self.rows.len() - 1].time
    }

    /// The index of the last row with `time ≤ t`, `None` before the first row.
    fn row_at(&self, t: f64) -> Option<usize> {
        let after = self.rows.partition_point(|row| row.time <= t);
        after.checked_sub(1)
    }

    /// `Ŝ(t)`, the right-continuous step function (1 before the first row). Beyond the
    /// last row it stays at the last value, which is only an estimate up to
    /// [`Self::last_time`].
    pub fn survival_at(&self, t: f64) -> f64 {
        self.row_at(t).map_or(1.0, |i| self.rows[i].survival)
    }

    /// Greenwood's variance of `Ŝ(t)` (0 before the first event).
    pub fn variance_at(&self, t: f64) -> f64 {
        self.row_at(t).map_or(0.0, |i| {
            let row = &self.rows[i];
            row.std_error * row.std_error
        })
    }

    /// The 95% log-log interval of `Ŝ(t)`.
    pub fn interval_at(&self, t: f64) -> (f64, f64) {
        self.row_at(t)
            .map_or((1.0, 1.0), |i| (self.rows[i].ci_low, self.rows[i].ci_high))
    }

    /// The time by which the survival first falls to `level` or below: the smallest row
    /// time with `Ŝ(t) ≤ level` (no interpolation, no mid-point rule; as `lifelines`).
    /// The interval (Brookmeyer & Crowley 1982, on the log-log band, as R's `survfit`):
    /// the first times the lower and the upper band fall to `level`.
    pub fn quantile(&self, level: f64) -> SurvivalQuantile {
        let first = |value: fn(&KmRow) -> f64| {
            self.rows
                .iter()
                .find(|row| value(row) <= level)
                .map(|row| row.time)
        };
        SurvivalQuantile {
            level,
            estimate: first(|row| row.survival),
            ci_low: first(|row| if row.ci_low.is_nan() { 0.0 } else { row.ci_low }),
            ci_high: first(|row| {
                if row.ci_high.is_nan() {
                    0.0
                } else {
                    row.ci_high
                }
            }),
        }
    }

    /// Median survival time with its 95% interval.
    pub fn median(&self) -> SurvivalQuantile {
        self.quantile(0.5)
    }

    /// Restricted mean survival time up to `tau`, with the standard error of Klein &
    /// Moeschberger (2003, §4.5) as in R's `survRM2`:
    /// `Var = Σ_{tᵢ ≤ tau} Aᵢ² dᵢ / (nᵢ (nᵢ − dᵢ))`, `Aᵢ = ∫_{tᵢ}^{tau} Ŝ(u) du` (terms with
    /// `nᵢ = dᵢ` are 0: `Ŝ` is 0 after them). `None` when `tau` is negative or beyond the
    /// last time while `Ŝ` is still above 0 there (the curve is unknown beyond follow-up).
    pub fn rmst(&self, tau: f64) -> Option<Rmst> {
        let last = &self.rows[self.rows.len() - 1];
        if tau.is_nan() || tau < 0.0 || (tau > last.time && last.survival > 0.0) {
            return None;
        }
        let mut total = 0.0;
        let mut previous_time = 0.0;
        let mut previous_survival = 1.0;
        for row in self.rows.iter().filter(|row| row.time <= tau) {
            total += previous_survival * (row.time - previous_time);
            previous_time = row.time;
            previous_survival = row.survival;
        }
        total += previous_survival * (tau - previous_time);
        let mut variance = 0.0;
        // Aᵢ, the area from each row's time to tau, accumulated backwards.
        let mut area = 0.0;
        let mut next_time = tau;
        for row in self.rows.iter().rev().filter(|row| row.time <= tau) {
            area += row.survival * (next_time - row.time);
            next_time = row.time;
            if row.events > 0 && row.at_risk > row.events {
                let d = row.events as f64;
                let n = row.at_risk as f64;
                variance += area * area * d / (n * (n - d));
            }
        }
        let std_error = variance.sqrt();
        Some(Rmst {
            tau,
            estimate: total,
            std_error,
            ci_low: (total - Z95 * std_error).max(0.0),
            ci_high: (total + Z95 * std_error).min(tau),
        })
    }

    /// Greenwood's sum `Σ dᵢ / (nᵢ (nᵢ − dᵢ))` up to `t` (the variance of `ln Ŝ(t)`).
    pub fn greenwood_sum_at(&self, t: f64) -> f64 {
        self.row_at(t).map_or(0.0, |i| self.greenwood_sums[i])
    }
}

/// Greenwood's standard error and the log-log 95% interval for a survival `s` with
/// Greenwood sum `sum`.
fn greenwood_interval(s: f64, sum: f64) -> (f64, f64, f64) {
    if s <= 0.0 || !sum.is_finite() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let std_error = s * sum.sqrt();
    if s >= 1.0 || sum == 0.0 {
        return (std_error, s, s);
    }
    let theta = (-s.ln()).ln();
    let spread = Z95 * sum.sqrt() / s.ln().abs();
    let low = (-(theta + spread).exp()).exp();
    let high = (-(theta - spread).exp()).exp();
    (std_error, low, high)
}

/// The lifetimes of a simulated replication: each project starts at month 0; one first
/// abandoned at month-end `k` has the event at `k`, one never abandoned is censored at the
/// horizon `T`.
pub fn lifetimes_of(trajectory: &Trajectory) -> Vec<Lifetime> {
    let horizon = trajectory.surviving.len().saturating_sub(1) as f64;
    trajectory
        .first_abandoned
        .iter()
        .map(|first| match first {
            Some(month) => Lifetime::event(f64::from(*month)),
            None => Lifetime::censored(horizon),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Freireich et al. (1963), 6-MP group, remission times in weeks; `false` = censored.
    pub(crate) fn six_mp() -> Vec<Lifetime> {
        [
            (6, true),
            (6, true),
            (6, true),
            (6, false),
            (7, true),
            (9, false),
            (10, true),
            (10, false),
            (11, false),
            (13, true),
            (16, true),
            (17, false),
            (19, false),
            (20, false),
            (22, true),
            (23, true),
            (25, false),
            (32, false),
            (32, false),
            (34, false),
            (35, false),
        ]
        .into_iter()
        .map(|(t, event)| Lifetime {
            time: f64::from(t),
            event,
        })
        .collect()
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn six_mp_by_hand() {
        // Products of (1 − d/n), computed by hand: 18/21, ·16/17, ·14/15, ·11/12, ·10/11,
        // ·6/7, ·5/6.
        let km = KaplanMeier::fit(&six_mp()).unwrap();
        let s6 = 18.0 / 21.0;
        let s7 = s6 * 16.0 / 17.0;
        let s10 = s7 * 14.0 / 15.0;
        assert!(close(km.survival_at(6.0), s6, 1e-12));
        assert!(close(km.survival_at(9.5), s7, 1e-12));
        assert!(close(km.survival_at(10.0), s10, 1e-12));
        assert_eq!(km.survival_at(5.999), 1.0);
        let row = km.rows().iter().find(|r| r.time == 10.0).unwrap();
        assert_eq!((row.at_risk, row.events, row.censored), (15, 1, 1));
        // Greenwood at 6 by hand: S² · 3/(21·18).
        let se6 = s6 * (3.0_f64 / (21.0 * 18.0)).sqrt();
        assert!(close(km.rows()[1].std_error, se6, 1e-12));
    }

    #[test]
    fn censoring_only_keeps_survival_at_one() {
        let km = KaplanMeier::fit(&[Lifetime::censored(3.0), Lifetime::censored(5.0)]).unwrap();
        assert!(
            km.rows()
                .iter()
                .all(|r| r.survival == 1.0 && r.ci_low == 1.0)
        );
        assert_eq!(km.median().estimate, None);
        let rmst = km.rmst(5.0).unwrap();
        assert_eq!(rmst.estimate, 5.0);
        assert_eq!(rmst.std_error, 0.0);
        assert!(km.rmst(6.0).is_none());
    }

    #[test]
    fn everyone_dies_gives_zero_and_undefined_interval() {
        let km = KaplanMeier::fit(&[Lifetime::event(1.0), Lifetime::event(2.0)]).unwrap();
        let last = km.rows().last().unwrap();
        assert_eq!(last.survival, 0.0);
        assert!(last.std_error.is_nan() && last.ci_low.is_nan());
        // RMST beyond the last event is fine: S is 0 there. Area = 1 + 0.5.
        let rmst = km.rmst(5.0).unwrap();
        assert!(close(rmst.estimate, 1.5, 1e-12));
        assert_eq!(km.median().estimate, Some(1.0));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(KaplanMeier::fit(&[]), Err(SurvivalError::Empty));
        assert!(matches!(
            KaplanMeier::fit(&[Lifetime::event(-1.0)]),
            Err(SurvivalError::BadTime { index: 0, .. })
        ));
        assert!(KaplanMeier::fit(&[Lifetime::event(f64::NAN)]).is_err());
        assert!(KaplanMeier::from_counts([(0.0, 2, 3, 0)]).is_err());
        assert!(KaplanMeier::from_counts([(1.0, 2, 0, 0), (0.5, 2, 0, 0)]).is_err());
        assert!(KaplanMeier::from_pooled_months(&[5, 4, 6]).is_err());
    }

    #[test]
    fn pooled_months_follow_the_engine_convention() {
        // 10 projects: 2 abandoned at month-end 1, 1 at month-end 3, horizon 4.
        let surviving = [10, 8, 8, 7, 7];
        let km = KaplanMeier::from_pooled_months(&surviving).unwrap();
        let lifetimes: Vec<Lifetime> = [1.0, 1.0, 3.0]
            .into_iter()
            .map(Lifetime::event)
            .chain(std::iter::repeat_n(Lifetime::censored(4.0), 7))
            .collect();
        let direct = KaplanMeier::fit(&lifetimes).unwrap();
        for month in 0..=4 {
            let t = f64::from(month);
            assert!(close(
                km.survival_at(t),
                surviving[month as usize] as f64 / 10.0,
                1e-12
            ));
            assert!(close(km.survival_at(t), direct.survival_at(t), 1e-12));
            assert!(close(km.variance_at(t), direct.variance_at(t), 1e-15));
        }
        assert_eq!(km.rows().len(), 5);
        assert_eq!(km.rows()[4].censored, 7);
    }
}
