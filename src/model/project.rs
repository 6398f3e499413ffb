//! One project's state and its monthly step (docs/model.md, steps 2–6; step 1, the fund's
//! decision, is in `super::simulate`).
//!
//! What never changes during a run (`ProjectConstants`, `SharedRates`) is in
//! `super::constants`, the draw log in `super::draws`, and the departures of step 5 (the
//! shortcut against the top hazard and the group-by-group attrition) in [`departures`]:
//! this file keeps the state and the order of its step.

mod departures;
mod extra;
mod people;
mod security;

use rand::RngExt;

use super::constants::{
    Arrived, ProjectConstants, SharedRates, external_discovery_hazard, initial_latent_mean,
};
use super::draws::{DrawLog, poisson_uniforms};
use crate::fund::{ProjectView, Status};
use crate::params::FundParams;
use crate::params::ModelParams;
use crate::portfolio::Project;
use crate::rng::sampling::{poisson, probability_of_hazard};
use crate::rng::{Purpose, month_stream, stream, stream_seed};

/// Effort available in a month, after the fund's money was turned into person-months.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Effort {
    /// All effort (PM), volunteer and paid.
    pub total_pm: f64,
    /// Fund money spent this month (EUR).
    pub spent_eur: f64,
    /// Funded effort not covered by current maintainers (PM): drives hires.
    uncovered_pm: f64,
    /// Active maintainers: the pay assignment moves people between groups, not in or
    /// out, so step 5 starts from this many.
    maintainers: u32,
    /// Maintainers paid in full, and the pay share of one more (0 if none).
    paid_full: u32,
    paid_partial_share: f64,
}

/// The state of one project during a simulation.
#[derive(Debug, Clone)]
pub(crate) struct ProjectState {
    /// Position in the portfolio.
    index: u32,
    /// Active maintainers neither paid nor in the cliff.
    volunteers: u32,
    /// Active maintainers the fund (or baseline funding) pays this month.
    paid: u32,
    /// `cliff[j]`: active maintainers whose pay stopped, with `j + 1` raised months left.
    cliff: Vec<u32>,
    /// Σ `cliff`, kept so the common case (nobody in the cliff) costs nothing.
    cliff_total: u32,
    /// Maintainers on a break who may come back, as (month they left, how many), oldest
    /// first, only the months someone left in (at most L = break_max_months of them).
    /// Nothing moves as months pass, and empty months cost nothing.
    on_break: Vec<(u32, u32)>,
    /// Outstanding maintenance work (PM).
    pub backlog: f64,
    /// Discovery months of the open (discovered, not yet fixed) vulnerabilities, oldest
    /// first.
    vulnerabilities: Vec<u32>,
    /// Latent vulnerabilities: introduced and not yet found (docs/model.md, "Latent and
    /// discovered vulnerabilities"). A count: which one is found does not matter.
    latent: u32,
    /// Monthly hazard that outsiders find one latent vulnerability (`h_ext · d̃^α_d`).
    external_discovery_hazard: f64,
    /// Bug bounties running on the project, bought by the fund (see `security`).
    bounties: Vec<Bounty>,
    /// Key of the monthly stream of discovery draws (see `rng::month_stream`).
    discovery_key: u64,
    /// Grant money held and not yet spent (EUR).
    pub held_eur: f64,
    /// Planned monthly spending of the held money (EUR/month).
    spend_rate_eur: f64,
    /// Issue 20's scheduled changes and purchases of people (docs/model.md, "Other
    /// funders" to "Fellowships and onboarding"), in `people`.
    extra: extra::Extra,
    pub status: Status,
    dormant_months: u32,
    /// Month (1-based, end of step) of the first abandonment.
    pub first_abandoned: Option<u32>,
    pub revivals: u32,
    /// Money received from the fund so far (EUR).
    pub received_eur: f64,
    pub grants: u32,
    /// Project-months not yet abandoned (the survival time accrued so far).
    pub surviving_months: u32,
    /// Keys of the monthly streams of state-dependent draws (see `rng::month_stream`).
    fixes_key: u64,
    departures_key: u64,
    returns_key: u64,
    joins_key: u64,
}

/// A bug bounty running on a project. The fund holds its pool and pays findings from it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bounty {
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

impl ProjectState {
    pub(crate) fn new(
        project: &Project,
        model: &ModelParams,
        seed: u64,
        replication: u64,
        index: u64,
    ) -> Self {
        let mut state = Self {
            index: 0,
            volunteers: 0,
            paid: 0,
            cliff: Vec::new(),
            cliff_total: 0,
            on_break: Vec::new(),
            backlog: 0.0,
            vulnerabilities: Vec::new(),
            latent: 0,
            external_discovery_hazard: 0.0,
            bounties: Vec::new(),
            discovery_key: 0,
            held_eur: 0.0,
            spend_rate_eur: 0.0,
            extra: extra::Extra::default(),
            status: Status::Active,
            dormant_months: 0,
            first_abandoned: None,
            revivals: 0,
            received_eur: 0.0,
            grants: 0,
            surviving_months: 0,
            fixes_key: 0,
            departures_key: 0,
            returns_key: 0,
            joins_key: 0,
        };
        state.reset(project, model, seed, replication, index);
        state
    }

    /// Puts the state back to month 0 of replication `replication`, keeping the buffers
    /// it allocated, so that a simulation reusing states allocates nothing.
    pub(crate) fn reset(
        &mut self,
        project: &Project,
        model: &ModelParams,
        seed: u64,
        replication: u64,
        index: u64,
    ) {
        let mut cliff = std::mem::take(&mut self.cliff);
        cliff.clear();
        cliff.resize(model.cliff_months as usize, 0);
        let mut on_break = std::mem::take(&mut self.on_break);
        on_break.clear();
        let mut vulnerabilities = std::mem::take(&mut self.vulnerabilities);
        vulnerabilities.clear();
        let mut bounties = std::mem::take(&mut self.bounties);
        bounties.clear();
        // The unfunded steady state: as many latent vulnerabilities as the project finds
        // a month in expectation its introduction rate (docs/model.md).
        let latent = poisson(
            &mut stream(seed, replication, index, Purpose::Latent),
            initial_latent_mean(project, model),
        );
        *self = Self {
            index: index as u32,
            volunteers: project.maintainers,
            paid: 0,
            cliff,
            cliff_total: 0,
            on_break,
            backlog: project.backlog,
            vulnerabilities,
            latent,
            external_discovery_hazard: external_discovery_hazard(project, model),
            bounties,
            discovery_key: stream_seed(seed, replication, index, Purpose::Discovery),
            held_eur: 0.0,
            spend_rate_eur: 0.0,
            extra: extra::Extra::new(project, model, seed, replication, index),
            status: if project.maintainers > 0 {
                Status::Active
            } else {
                Status::Dormant
            },
            dormant_months: 0,
            first_abandoned: None,
            revivals: 0,
            received_eur: 0.0,
            grants: 0,
            surviving_months: 0,
            fixes_key: stream_seed(seed, replication, index, Purpose::Fixes),
            departures_key: stream_seed(seed, replication, index, Purpose::Departures),
            returns_key: stream_seed(seed, replication, index, Purpose::Returns),
            joins_key: stream_seed(seed, replication, index, Purpose::Joins),
        };
    }

    /// Active maintainers.
    #[inline(always)]
    pub fn maintainers(&self) -> u32 {
        self.volunteers + self.paid + self.cliff_total
    }

    pub fn open_vulnerabilities(&self) -> u32 {
        self.vulnerabilities.len() as u32
    }

    /// Latent vulnerabilities: introduced, not yet found.
    #[inline(always)]
    pub fn latent_vulnerabilities(&self) -> u32 {
        self.latent
    }

    /// Money held for the project: grant money and fellows' salaries not yet spent, and
    /// what the fund holds for its bug bounties (EUR).
    pub(crate) fn money_held_eur(&self) -> f64 {
        self.held_total_eur() + self.bounty_pools_eur()
    }

    /// What the fund can observe of this project (see `crate::strategy::ProjectView`).
    pub(crate) fn view(&self, index: usize, project: &Project) -> ProjectView {
        ProjectView {
            index,
            dependents: project.dependents,
            criticality: project.criticality,
            maintainers: self.maintainers(),
            backlog: self.backlog,
            open_vulnerabilities: self.open_vulnerabilities(),
            status: self.status,
            received_eur: self.received_eur,
            grants: self.grants,
            other_funding_eur_per_month: if self.extra.funder_pays {
                project.baseline_funding
            } else {
                0.0
            },
        }
    }

    /// Extra work, such as the effort of applying for a grant (PM).
    pub(crate) fn add_work(&mut self, effort_pm: f64) {
        self.backlog += effort_pm.max(0.0);
    }

    /// A later tranche of a grant arrives: like a grant, without counting a new one.
    pub(crate) fn receive_tranche(&mut self, amount_eur: f64, spend_months: u32) {
        self.receive_grant(amount_eur, spend_months);
        self.grants -= 1;
    }

    /// Step 1 (the project's side): a grant arrives. All money held is re-planned to be
    /// spent over the new grant's duration.
    pub(crate) fn receive_grant(&mut self, amount_eur: f64, duration_months: u32) {
        self.held_eur += amount_eur;
        self.received_eur += amount_eur;
        self.grants += 1;
        self.spend_rate_eur = self.held_eur / f64::from(duration_months.max(1));
    }

    /// Step 2: effort. Volunteer effort plus funded effort (planned spending ÷ cost of a
    /// person-month, capped by absorption) plus the fellows' effort, less mentoring.
    /// Funded effort pays current maintainers first (those in the cliff before plain
    /// volunteers); money that cannot be used stays held.
    #[inline(always)]
    pub(crate) fn effort(&mut self, constants: &ProjectConstants, fund: &FundParams) -> Effort {
        let maintainers = self.maintainers();
        if maintainers == 0 {
            self.repay(0);
            return Effort::default();
        }
        if self.held_eur == 0.0
            && self.paid == 0
            && self.extra.mentoring_pm == 0.0
            && (constants.baseline_pm == 0.0 || !self.extra.funder_pays)
        {
            // No money, nobody paid, nobody mentored (every month under `none`, and most
            // months before a first grant): all effort is volunteered, none is crowded
            // out. What the general case gives then.
            return Effort {
                total_pm: f64::from(maintainers) * constants.volunteer_pm,
                maintainers,
                ..Effort::default()
            };
        }
        self.funded_effort(constants, fund, maintainers)
    }

    /// Step 2 for a project with maintainers, in general. Fellows are paid from their
    /// fellowship; the others share the baseline and grant money as before.
    #[inline(always)]
    fn funded_effort(
        &mut self,
        constants: &ProjectConstants,
        fund: &FundParams,
        maintainers: u32,
    ) -> Effort {
        let fellows = self.extra.fellowship.fellows;
        let others = f64::from(maintainers - fellows);
        let baseline_pm = if self.extra.funder_pays {
            constants.baseline_pm
        } else {
            0.0
        };
        let capacity_pm = constants.absorption_per_maintainer * others;
        let planned_eur = self.held_eur.min(self.spend_rate_eur);
        let wanted_pm = baseline_pm + planned_eur / fund.person_month_eur;
        let funded_pm = wanted_pm.min(capacity_pm);
        let fund_pm = (funded_pm - baseline_pm).max(0.0);
        let mut spent_eur = (fund_pm * fund.person_month_eur).min(self.held_eur);
        self.held_eur -= spent_eur;
        let covered_pm = funded_pm.min(others);
        // ⌈covered − 10⁻⁹⌉ and ⌊covered⌋ (covered ≥ 0), by truncation: the x86-64
        // baseline has no rounding instruction, and `ceil`/`floor` are calls.
        let touched = ceil_nonnegative(covered_pm - 1e-9);
        self.repay(fellows + touched);
        let paid_full = covered_pm as u32;
        let mut volunteered_pm = (others - covered_pm) * constants.volunteer_pm;
        let mut fellows_pm = 0.0;
        if fellows > 0 {
            let (salaries_eur, paid_pm, unpaid_share) = self.pay_fellows();
            spent_eur += salaries_eur;
            fellows_pm = paid_pm;
            volunteered_pm += unpaid_share * constants.volunteer_pm;
        }
        if spent_eur > 0.0 {
            volunteered_pm *= self.extra.volunteer_kept;
        }
        let total_pm = volunteered_pm + funded_pm + fellows_pm;
        Effort {
            total_pm: (total_pm - self.extra.mentoring_pm).max(0.0),
            spent_eur,
            uncovered_pm: funded_pm - covered_pm,
            maintainers,
            paid_full: fellows + paid_full,
            paid_partial_share: if touched > paid_full {
                covered_pm - f64::from(paid_full)
            } else {
                0.0
            },
        }
    }

    /// Sets how many maintainers are paid this month. Those no longer paid enter the
    /// cliff; newly paid ones come from the cliff first, then from the volunteers.
    #[inline(always)]
    fn repay(&mut self, paid_now: u32) {
        if paid_now < self.paid {
            let stopped = self.paid - paid_now;
            match self.cliff.last_mut() {
                Some(last) => {
                    *last += stopped;
                    self.cliff_total += stopped;
                }
                None => self.volunteers += stopped,
            }
        } else {
            let mut wanted = paid_now - self.paid;
            if self.cliff_total > 0 {
                for cohort in self.cliff.iter_mut().rev() {
                    let taken = wanted.min(*cohort);
                    *cohort -= taken;
                    wanted -= taken;
                }
                self.cliff_total -= paid_now - self.paid - wanted;
            }
            self.volunteers -= wanted;
        }
        self.paid = paid_now;
    }

    /// Steps 3 and 4: latent vulnerabilities are found, work and vulnerabilities arrive,
    /// effort fixes discovered vulnerabilities (oldest first) and then cuts the backlog, a
    /// share of which lapses. Each fix adds its time-to-fix (months from discovery) to
    /// `fixed`, each finding counts in `discovered`; the result is the money bug bounties
    /// paid out this month (EUR).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn work<L: DrawLog>(
        &mut self,
        model: &ModelParams,
        month: u32,
        effort_pm: f64,
        arrived: Arrived,
        fixed: &mut Vec<u32>,
        discovered: &mut u64,
        log: &mut L,
    ) -> f64 {
        let bounty_paid_eur = if self.latent > 0 || self.has_bounties() {
            self.discover(model, month, effort_pm, discovered, log)
        } else {
            0.0
        };
        self.latent += arrived.vulnerabilities;
        let arriving_pm = arrived.work_pm;
        let mut remaining_pm = effort_pm;
        if remaining_pm > 0.0 && !self.vulnerabilities.is_empty() {
            let effort_per_vulnerability =
                remaining_pm / (model.vuln_effort_pm * self.vulnerabilities.len() as f64);
            let fix_probability = probability_of_hazard(effort_per_vulnerability);
            let mut fixes = month_stream(self.fixes_key, month);
            let mut tried = 0;
            self.vulnerabilities.retain(|&discovered| {
                if remaining_pm <= 0.0 {
                    return true;
                }
                tried += 1;
                if fixes.random::<f64>() >= fix_probability {
                    return true;
                }
                remaining_pm -= model.vuln_effort_pm.min(remaining_pm);
                fixed.push(month - discovered + 1);
                false
            });
            log.drew(Purpose::Fixes, self.index, month, tried);
        }
        self.backlog = (self.backlog + arriving_pm - remaining_pm).max(0.0)
            * (1.0 - model.backlog_obsolescence);
        bounty_paid_eur
    }

    /// Step 5: people move. Departures (burnout, paid retention, the cliff) start a break;
    /// people on a break may come back, and after the longest break leave for good;
    /// newcomers join active projects; funded effort nobody covers hires; an abandoned
    /// project may be revived.
    #[inline(always)]
    pub(crate) fn people<L: DrawLog>(
        &mut self,
        constants: &ProjectConstants,
        rates: &SharedRates,
        effort: &Effort,
        month: u32,
        log: &mut L,
    ) {
        let model = &rates.params;
        let maintainers = effort.maintainers;
        debug_assert_eq!(maintainers, self.maintainers());
        let leavers = if maintainers > 0 {
            log.drew(Purpose::Departures, self.index, month, maintainers);
            self.departures(constants, rates, effort, month, maintainers)
        } else {
            0
        };
        // Breaks: the longest away first. Who has been away the longest break and does
        // not come back leaves for good.
        let mut returners = 0;
        let longest = model.break_max_months;
        if !self.on_break.is_empty() {
            let mut returns = month_stream(self.returns_key, month);
            if L::RECORDS {
                let away = self.on_break.iter().map(|&(_, away)| away).sum();
                log.drew(Purpose::Returns, self.index, month, away);
            }
            let mut kept = 0;
            for index in 0..self.on_break.len() {
                let (left, away) = self.on_break[index];
                let months_away = month - left;
                let back =
                    rates.return_probability[months_away as usize - 1].count(&mut returns, away);
                returners += back;
                if months_away < longest && away > back {
                    self.on_break[kept] = (left, away - back);
                    kept += 1;
                }
            }
            self.on_break.truncate(kept);
        }
        if longest > 0 && leavers > 0 {
            self.on_break.push((month, leavers));
        }
        // The cliff ages by a month; who leaves it becomes a plain volunteer.
        if self.cliff_total > 0 {
            let done = self.cliff[0];
            self.volunteers += done;
            self.cliff_total -= done;
            self.cliff.rotate_left(1);
            *self.cliff.last_mut().expect("non-empty") = 0;
        }
        self.volunteers += returners;
        if maintainers > 0 {
            let activity = if constants.work_rate > 0.0 {
                (effort.total_pm / constants.work_rate).min(1.0)
            } else {
                1.0
            };
            let share = model.newcomer_activity_share;
            let newcomer_mean = constants.newcomer_mean * ((1.0 - share) + share * activity);
            let hire_mean = model.hire_rate * effort.uncovered_pm;
            if newcomer_mean != 0.0 || hire_mean != 0.0 {
                if L::RECORDS {
                    let uniforms = poisson_uniforms(newcomer_mean) + poisson_uniforms(hire_mean);
                    log.drew(Purpose::Joins, self.index, month, uniforms);
                }
                let mut joins = month_stream(self.joins_key, month);
                self.volunteers += poisson(&mut joins, newcomer_mean);
                self.volunteers += poisson(&mut joins, hire_mean);
            }
        } else if self.status == Status::Abandoned
            && month_stream(self.joins_key, month).random::<f64>() < constants.revival_probability
        {
            self.volunteers += 1;
            self.revivals += 1;
        }
    }

    /// Step 6: status. First what is scheduled for this month-end (see
    /// `scheduled_changes`); then dormant after the last maintainer leaves, abandoned
    /// after the threshold (first abandonment recorded), active again when someone is
    /// there. On abandonment the people on a break are gone for good, and the held money
    /// is returned if the fund claws it back; the returned amount is the result.
    #[inline(always)]
    pub(crate) fn update_status(
        &mut self,
        model: &ModelParams,
        fund: &FundParams,
        month_end: u32,
    ) -> f64 {
        let mut returned = 0.0;
        if month_end >= self.extra.next_change {
            returned = self.scheduled_changes(month_end);
        }
        if self.maintainers() > 0 {
            self.status = Status::Active;
            self.dormant_months = 0;
        } else if self.status != Status::Abandoned {
            self.dormant_months += 1;
            self.status = Status::Dormant;
            if self.dormant_months >= model.abandonment_months {
                self.status = Status::Abandoned;
                self.first_abandoned.get_or_insert(month_end);
                self.on_break.clear();
                if fund.clawback_on_abandonment {
                    returned += std::mem::take(&mut self.held_eur);
                    self.spend_rate_eur = 0.0;
                }
            }
        }
        if self.first_abandoned.is_none() {
            self.surviving_months += 1;
        }
        returned
    }
}

/// `max(⌈x⌉, 0)` as a count, for `x` below 2³²: exact, without a call to `ceil`.
#[inline]
fn ceil_nonnegative(x: f64) -> u32 {
    if x > 0.0 {
        let whole = x as u32;
        whole + u32::from(f64::from(whole) < x)
    } else {
        0
    }
}

#[cfg(test)]
mod tests;
