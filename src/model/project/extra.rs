//! The state of a project's issue-20 mechanisms (docs/model.md, "Other funders" to
//! "Fellowships and onboarding"): its other funder, when its grant money expires, crowding
//! out, its fellows and mentees. Apart from `people`, which changes it, so that
//! `ProjectState` can hold it without importing the code that acts on the state.

use rand_distr::{Distribution, Geometric};

use crate::params::ModelParams;
use crate::portfolio::Project;
use crate::rng::{Purpose, stream, stream_seed};

/// A project's state for issue 20's mechanisms: its other funder, when its grant money
/// expires, crowding out, and what it bought of people. Kept in one field of
/// `ProjectState`; the fields step 2 reads every month are near its start.
#[derive(Debug, Clone)]
pub(crate) struct Extra {
    /// Whether the other funder (the baseline funding) still pays.
    pub(super) funder_pays: bool,
    /// Effort the maintainers spend mentoring each month (PM).
    pub(super) mentoring_pm: f64,
    /// `1 − model.crowd_out`: the share of volunteer time kept in a month the project
    /// spends fund money.
    pub(super) volunteer_kept: f64,
    /// The earliest month-end at which something scheduled happens (the funder leaves,
    /// money expires, a fellowship or an onboarding ends): one comparison a month.
    pub(super) next_change: u32,
    /// Month-end at which the other funder leaves (`u32::MAX`: never).
    pub(super) funder_leaves: u32,
    /// Month-end at which the money still held goes back to the fund: the last grant's
    /// end plus the extension (`u32::MAX`: no grant).
    pub(super) money_expires: u32,
    /// Fellows (among `paid`) and the fellowship's money.
    pub(super) fellowship: Fellowship,
    pub(super) onboarding: Onboarding,
    /// Key of the month streams deciding which mentees stay.
    pub(super) mentees_key: u64,
}

impl Default for Extra {
    fn default() -> Self {
        Self {
            funder_pays: true,
            mentoring_pm: 0.0,
            volunteer_kept: 1.0,
            next_change: u32::MAX,
            funder_leaves: u32::MAX,
            money_expires: u32::MAX,
            fellowship: Fellowship::default(),
            onboarding: Onboarding::default(),
            mentees_key: 0,
        }
    }
}

impl Extra {
    /// Month 0 of replication `replication`: the other funder's leaving month drawn, no
    /// grant, nothing bought.
    pub(super) fn new(
        project: &Project,
        model: &ModelParams,
        seed: u64,
        replication: u64,
        index: u64,
    ) -> Self {
        let funder_leaves = funder_leaves(project, model, seed, replication, index);
        Self {
            volunteer_kept: 1.0 - model.crowd_out,
            next_change: funder_leaves,
            funder_leaves,
            mentees_key: stream_seed(seed, replication, index, Purpose::Mentees),
            ..Self::default()
        }
    }
}

/// A running fellowship: `fellows` of the project's paid maintainers are its fellows.
#[derive(Debug, Clone)]
pub(crate) struct Fellowship {
    /// Fellows still with the project (they are counted in `paid`).
    pub(super) fellows: u32,
    /// Share of a full-time person-month each fellow is paid for.
    pub(super) hours_share: f64,
    /// Salary of one fellow for one month (EUR).
    pub(super) salary_eur: f64,
    /// Salaries not yet paid (EUR).
    pub(super) held_eur: f64,
    /// Month-end at which the fellowship ends (`u32::MAX`: none running).
    pub(super) ends: u32,
}

/// A running onboarding programme.
#[derive(Debug, Clone)]
pub(crate) struct Onboarding {
    /// Mentees who will decide at the end whether to stay.
    pub(super) mentees: u32,
    /// Probability that a mentee stays on as a maintainer.
    pub(super) retention: f64,
    /// Month-end at which the programme ends (`u32::MAX`: none running).
    pub(super) ends: u32,
}

impl Default for Fellowship {
    fn default() -> Self {
        Self {
            fellows: 0,
            hours_share: 0.0,
            salary_eur: 0.0,
            held_eur: 0.0,
            ends: u32::MAX,
        }
    }
}

impl Default for Onboarding {
    fn default() -> Self {
        Self {
            mentees: 0,
            retention: 0.0,
            ends: u32::MAX,
        }
    }
}

/// The month-end at which a project's other funder leaves: `L = 1 + Geometric(p)`, with
/// `p = model.funder_hazard`, so `P(L = l) = (1 − p)^(l − 1) · p` for `l ≥ 1`: the funder
/// observed at the start pays month 0 and leaves at each month-end with probability `p`.
/// Drawn from the project's `Funders` stream, which no strategy changes; no later than
/// the portfolio's `baseline_funding_until_month`, when given. `u32::MAX` (never) for a
/// project without other funding.
pub(super) fn funder_leaves(
    project: &Project,
    model: &ModelParams,
    seed: u64,
    replication: u64,
    index: u64,
) -> u32 {
    if project.baseline_funding <= 0.0 {
        return u32::MAX;
    }
    let drawn = match Geometric::new(model.funder_hazard) {
        Ok(months) => {
            let mut funders = stream(seed, replication, index, Purpose::Funders);
            months
                .sample(&mut funders)
                .saturating_add(1)
                .min(u64::from(u32::MAX)) as u32
        }
        // Checked parameters are probabilities; anything else keeps the funder.
        Err(_) => u32::MAX,
    };
    // A grant with an end date (a donor's) ends then at the latest: it pays months 0 to
    // `until − 1`.
    project
        .baseline_funding_until_month
        .map_or(drawn, |until| drawn.min(until))
}
