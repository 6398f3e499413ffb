//! Step 5's departures: who of a project's maintainers leaves in a month. Most months a
//! shortcut settles it (no uniform below an upper bound of every hazard); only otherwise
//! does [`Attrition`] compare the same uniforms group by group. Apart from the rest of the
//! step because it is the one part of it with its own small state machine (the burnout
//! hazard computed at most once, each group's probability at most once).

use rand_xoshiro::SplitMix64;

use super::{Effort, ProjectState};
use crate::model::constants::{ProjectConstants, SharedRates};
use crate::params::ModelParams;
use crate::rng::month_stream;
use crate::rng::sampling::{HAZARD_BOUND_MARGIN, UniformBelow, probability_of_hazard};

impl ProjectState {
    /// Step 5's departures (burnout, paid retention, the cliff): one uniform per active
    /// maintainer, paid in full first, then the partly paid one, the cliff cohorts and the
    /// volunteers. Returns how many left.
    #[inline(always)]
    pub(super) fn departures(
        &mut self,
        constants: &ProjectConstants,
        rates: &SharedRates,
        effort: &Effort,
        month: u32,
        maintainers: u32,
    ) -> u32 {
        let model = &rates.params;
        let top_hazard =
            rates.top_hazard[usize::from(self.backlog > 0.0)][usize::from(self.cliff_total > 0)];
        // Most months no uniform falls below the top hazard and nobody leaves, whatever
        // group each maintainer belongs to. Only otherwise are the same uniforms (the
        // month stream restarted) compared group by group.
        let mut departures = month_stream(self.departures_key, month);
        if (0..maintainers).all(|_| !top_hazard.draw(&mut departures).0) {
            return 0;
        }
        let mut departures = month_stream(self.departures_key, month);
        let mut attrition = Attrition {
            top_hazard,
            hazard: None,
            model,
            backlog: self.backlog,
            maintainers,
            volunteer_pm: constants.volunteer_pm,
        };
        // Paid maintainers, in full (fellows first) then the partly paid one.
        let fellows = self.extra.fellowship.fellows;
        let fellows_leaving =
            attrition.count(&mut departures, fellows, || model.paid_attrition_multiplier);
        self.extra.fellowship.fellows -= fellows_leaving;
        let paid_leavers = fellows_leaving
            + attrition.count(&mut departures, effort.paid_full - fellows, || {
                model.paid_attrition_multiplier
            });
        let partial = self.paid - effort.paid_full;
        let partial_leavers = attrition.count(&mut departures, partial, || {
            model
                .paid_attrition_multiplier
                .powf(effort.paid_partial_share)
        });
        self.paid -= paid_leavers + partial_leavers;
        let mut leavers = paid_leavers + partial_leavers;
        if self.cliff_total > 0 {
            for cohort in self.cliff.iter_mut() {
                let gone = attrition.count(&mut departures, *cohort, || model.cliff_multiplier);
                *cohort -= gone;
                self.cliff_total -= gone;
                leavers += gone;
            }
        }
        let gone = attrition.count(&mut departures, self.volunteers, || 1.0);
        self.volunteers -= gone;
        leavers + gone
    }
}

/// The departures of one project-month: one uniform per maintainer, compared with the
/// monthly probability of the maintainer's hazard. The burnout multiplier (an
/// exponential) and each group's probability (another) are computed only when a uniform
/// falls below the top hazard, which most months none does. The outcome is the one of
/// comparing every uniform with its probability.
struct Attrition<'a> {
    /// Whether a uniform is below an upper bound of every hazard this month.
    top_hazard: UniformBelow,
    /// `attrition_hazard × burnout`, once computed.
    hazard: Option<f64>,
    model: &'a ModelParams,
    backlog: f64,
    maintainers: u32,
    volunteer_pm: f64,
}

impl Attrition<'_> {
    /// The attrition hazard times the burnout multiplier of this month's workload.
    #[cold]
    fn burnout_hazard(&self) -> f64 {
        let model = self.model;
        let capacity_pm_year = 12.0 * f64::from(self.maintainers) * self.volunteer_pm;
        let burnout = if model.burnout_slope == 0.0 || self.backlog <= 0.0 {
            1.0
        } else if capacity_pm_year <= 0.0 {
            // A team without volunteer time is overloaded by any backlog.
            model.burnout_cap
        } else {
            (model.burnout_slope * self.backlog / capacity_pm_year)
                .exp()
                .min(model.burnout_cap)
        };
        model.attrition_hazard * burnout
    }

    /// How many of `trials` maintainers whose hazard is the burnout hazard times
    /// `multiplier()` (at most 1, or the cliff multiplier) leave, one uniform each.
    #[inline(always)]
    fn count(
        &mut self,
        rng: &mut SplitMix64,
        trials: u32,
        multiplier: impl FnOnce() -> f64,
    ) -> u32 {
        let mut multiplier = Some(multiplier);
        let mut hazard = f64::NAN;
        let mut probability = f64::NAN;
        let mut leavers = 0;
        for _ in 0..trials {
            let (below_top, k) = self.top_hazard.draw(rng);
            if !below_top {
                continue;
            }
            let u = UniformBelow::uniform(k);
            if let Some(multiplier) = multiplier.take() {
                let base = match self.hazard {
                    Some(base) => base,
                    None => {
                        let base = self.burnout_hazard();
                        self.hazard = Some(base);
                        base
                    }
                };
                hazard = base * multiplier();
            }
            if u < hazard + HAZARD_BOUND_MARGIN {
                if probability.is_nan() {
                    probability = probability_of_hazard(hazard);
                }
                leavers += u32::from(u < probability);
            }
        }
        leavers
    }
}
