//! What changes a project's people and money on a schedule (docs/model.md, "Other funders",
//! "When a grant ends", "Fellowships and onboarding"): the other funder leaving, grant
//! money expiring, fellowships and onboarding programmes bought from the fund. Apart from
//! the monthly step because all of it happens on a few dates, which `update_status`
//! reaches through one comparison (`next_change`).

use super::ProjectState;
use crate::fund::{Purchase, Status};
use crate::model::Trajectory;
use crate::params::FundParams;
use crate::rng::month_stream;
use crate::rng::sampling::bernoulli_count;

/// What the project did with a purchase of people at the call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Bought {
    /// Spent at once (onboarding stipends), EUR.
    pub(crate) spent_eur: f64,
    /// Given back at once: salaries of fellows the project does not have (EUR).
    pub(crate) returned_eur: f64,
}

impl ProjectState {
    /// A maintenance grant awarded at `month` ends at `month + duration_months` (the
    /// fund's `grant_duration_months` unless the rule chose another): the money held is
    /// spent until then and during the extension, and what is left at
    /// `month + duration_months + extension_months` goes back to the fund. A later
    /// grant re-plans all money held, so it moves the date.
    pub(crate) fn grant_ends(&mut self, month: u32, duration_months: u32, fund: &FundParams) {
        self.extra.money_expires = month
            .saturating_add(duration_months.max(1))
            .saturating_add(fund.extension_months);
        self.schedule(self.extra.money_expires);
    }

    /// Fund money the project holds (EUR): grant money and fellows' salaries not yet paid.
    pub(crate) fn held_total_eur(&self) -> f64 {
        self.held_eur + self.extra.fellowship.held_eur
    }

    fn schedule(&mut self, month_end: u32) {
        self.extra.next_change = self.extra.next_change.min(month_end);
    }

    /// A fellowship or an onboarding programme of `amount_eur` bought at `month`.
    pub(crate) fn buy_people(
        &mut self,
        purchase: Purchase,
        amount_eur: f64,
        month: u32,
        out: &mut Trajectory,
    ) -> Bought {
        let bought = match purchase {
            Purchase::Fellowship {
                fellows,
                months,
                hours_share,
            } => self.hire_fellows(fellows, months, hours_share, amount_eur, month),
            Purchase::Onboarding {
                mentees,
                months,
                retention,
                mentoring_pm,
            } => {
                self.onboard(mentees, months, retention, mentoring_pm, month);
                Bought {
                    spent_eur: amount_eur,
                    returned_eur: 0.0,
                }
            }
            // Not purchases of people: held and spent like maintenance money.
            Purchase::Maintenance | Purchase::Audit { .. } | Purchase::BugBounty { .. } => {
                out.paid_eur += amount_eur;
                self.receive_grant(amount_eur, 1);
                return Bought::default();
            }
        };
        // Salaries of fellows the project lacks never leave the fund: they are neither
        // paid nor received, and go straight back to its pool (the ledger recycles them).
        out.paid_eur += amount_eur - bought.returned_eur;
        self.received_eur += amount_eur - bought.returned_eur;
        self.grants += 1;
        bought
    }

    /// `min(fellows, maintainers not yet fellows)` maintainers become fellows until
    /// month-end `month + months`; the salaries of fellows the project lacks go back at
    /// once. A fellowship bought while one runs joins it: the fellows serve until the later
    /// end and all salaries held are spread evenly over the fellow-months left.
    fn hire_fellows(
        &mut self,
        fellows: u32,
        months: u32,
        hours_share: f64,
        amount_eur: f64,
        month: u32,
    ) -> Bought {
        let maintainers = self.maintainers();
        let hired = fellows.min(maintainers - self.extra.fellowship.fellows);
        if hired == 0 || months == 0 {
            return Bought {
                spent_eur: 0.0,
                returned_eur: amount_eur,
            };
        }
        let used_eur = amount_eur * f64::from(hired) / f64::from(fellows);
        let regular_paid = self.paid - self.extra.fellowship.fellows;
        let fellowship = &mut self.extra.fellowship;
        fellowship.fellows += hired;
        fellowship.held_eur += used_eur;
        fellowship.hours_share = hours_share.clamp(0.0, 1.0);
        fellowship.ends = if fellowship.ends == u32::MAX {
            month.saturating_add(months)
        } else {
            fellowship.ends.max(month.saturating_add(months))
        };
        let months_left = f64::from(fellowship.ends - month);
        fellowship.salary_eur = fellowship.held_eur / (f64::from(fellowship.fellows) * months_left);
        let ends = fellowship.ends;
        let paid = (fellowship.fellows + regular_paid).min(maintainers);
        self.repay(paid);
        self.schedule(ends);
        Bought {
            spent_eur: 0.0,
            returned_eur: amount_eur - used_eur,
        }
    }

    /// Mentees join for `months` months; the maintainers mentor them with `mentoring_pm`
    /// a month. A programme bought while one runs joins it: mentees and mentoring add up,
    /// it ends at the later end, and the retention is the mentee-weighted mean.
    fn onboard(
        &mut self,
        mentees: u32,
        months: u32,
        retention: f64,
        mentoring_pm: f64,
        month: u32,
    ) {
        let onboarding = &mut self.extra.onboarding;
        let all = onboarding.mentees + mentees;
        if all > 0 {
            onboarding.retention = (onboarding.retention * f64::from(onboarding.mentees)
                + retention.clamp(0.0, 1.0) * f64::from(mentees))
                / f64::from(all);
        }
        onboarding.mentees = all;
        let end = month.saturating_add(months.max(1));
        onboarding.ends = if onboarding.ends == u32::MAX {
            end
        } else {
            onboarding.ends.max(end)
        };
        let ends = onboarding.ends;
        self.extra.mentoring_pm += mentoring_pm.max(0.0);
        self.schedule(ends);
    }

    /// Step 2's part for fellows: this month's salaries (EUR), the effort they are paid
    /// for (PM) and the unpaid share of their time (in maintainers).
    #[inline]
    pub(super) fn pay_fellows(&mut self) -> (f64, f64, f64) {
        let fellowship = &mut self.extra.fellowship;
        let fellows = f64::from(fellowship.fellows);
        let salaries_eur = (fellowship.salary_eur * fellows).min(fellowship.held_eur);
        fellowship.held_eur -= salaries_eur;
        (
            salaries_eur,
            fellows * fellowship.hours_share,
            fellows * (1.0 - fellowship.hours_share),
        )
    }

    /// What is scheduled for month-end `month_end` (called when `next_change` is due):
    /// the other funder leaves (its paid maintainers enter the cliff at the next month's
    /// pay assignment); grant money past its extension goes back; a fellowship ends (its
    /// fellows enter the cliff together, unspent salaries go back); an onboarding
    /// programme ends (each mentee stays with the retention probability). Returns the
    /// money that goes back to the fund (EUR).
    #[cold]
    pub(super) fn scheduled_changes(&mut self, month_end: u32) -> f64 {
        let mut returned = 0.0;
        if month_end >= self.extra.funder_leaves {
            self.extra.funder_pays = false;
            self.extra.funder_leaves = u32::MAX;
        }
        if month_end >= self.extra.money_expires {
            returned += std::mem::take(&mut self.held_eur);
            self.spend_rate_eur = 0.0;
            self.extra.money_expires = u32::MAX;
        }
        if month_end >= self.extra.fellowship.ends {
            let fellows = std::mem::take(&mut self.extra.fellowship.fellows);
            returned += std::mem::take(&mut self.extra.fellowship.held_eur);
            self.extra.fellowship.ends = u32::MAX;
            self.repay(self.paid - fellows);
        }
        if month_end >= self.extra.onboarding.ends {
            let mentees = std::mem::take(&mut self.extra.onboarding.mentees);
            if mentees > 0 && self.status != Status::Abandoned {
                let mut stays = month_stream(self.extra.mentees_key, month_end - 1);
                self.volunteers +=
                    bernoulli_count(&mut stays, mentees, self.extra.onboarding.retention);
            }
            self.extra.onboarding.ends = u32::MAX;
            self.extra.mentoring_pm = 0.0;
        }
        let extra = &mut self.extra;
        extra.next_change = extra
            .funder_leaves
            .min(extra.money_expires)
            .min(extra.fellowship.ends)
            .min(extra.onboarding.ends);
        returned
    }
}

#[cfg(test)]
mod tests {
    use super::super::extra::funder_leaves;
    use super::*;
    use crate::model::constants::ProjectConstants;
    use crate::params::ModelParams;
    use crate::portfolio::Project;

    /// A project with `maintainers` volunteers who give 40 h a month, room to absorb four
    /// person-months, and `baseline_pm` person-months a month of other funding.
    fn project(maintainers: u32, baseline_pm: f64, fund: &FundParams) -> Project {
        Project {
            name: "p".to_string(),
            dependents: 1000.0,
            criticality: 0.5,
            maintainers,
            volunteer_hours: 40.0,
            work_rate: 1.0,
            vuln_rate: 0.0,
            absorption: 4.0,
            backlog: 0.0,
            baseline_funding: baseline_pm * fund.person_month_eur,
            baseline_funding_until_month: None,
        }
    }

    /// Steps 2 and 6 only (no departures or arrivals, which draw random numbers): the
    /// month's effort and the money returned at its end.
    fn month(
        state: &mut ProjectState,
        constants: &ProjectConstants,
        model: &ModelParams,
        fund: &FundParams,
        month: u32,
    ) -> (super::super::Effort, f64) {
        let effort = state.effort(constants, fund);
        let returned = state.update_status(model, fund, month + 1);
        (effort, returned)
    }

    #[test]
    fn a_leaving_funder_pushes_the_maintainers_it_paid_into_the_cliff_together() {
        let (model, fund) = (ModelParams::default(), FundParams::default());
        let project = project(4, 2.0, &fund);
        let constants = ProjectConstants::new(&project, &model, &fund);
        let mut state = ProjectState::new(&project, &model, 1, 0, 0);
        // The draw at reset, replaced by a known month: the funder pays months 0–4.
        state.extra.funder_pays = true;
        state.extra.funder_leaves = 5;
        state.extra.next_change = 5;
        for t in 0..5 {
            assert_eq!(
                state.view(0, &project).other_funding_eur_per_month,
                2.0 * 9_200.0
            );
            let (effort, _) = month(&mut state, &constants, &model, &fund, t);
            assert_eq!(state.paid, 2, "month {t}: the funder pays two maintainers");
            assert_eq!(effort.spent_eur, 0.0, "no fund money");
        }
        assert_eq!(state.view(0, &project).other_funding_eur_per_month, 0.0);
        let (effort, _) = month(&mut state, &constants, &model, &fund, 5);
        assert_eq!(state.paid, 0);
        assert_eq!(
            *state.cliff.last().unwrap(),
            2,
            "both enter the cliff at once"
        );
        assert_eq!((state.cliff_total, state.volunteers), (2, 2));
        assert_eq!(effort.total_pm, 4.0 * constants.volunteer_pm);
    }

    /// The funder's month-end is one plus a geometric draw with the funder hazard: its
    /// mean over many replications is 1/p, within four standard errors, and never 0.
    #[test]
    fn funders_leave_after_a_geometric_number_of_months() {
        let (model, fund) = (ModelParams::default(), FundParams::default());
        let project = project(2, 1.0, &fund);
        let p = model.funder_hazard;
        let n = 4000;
        let months: Vec<u32> = (0..n)
            .map(|r| funder_leaves(&project, &model, 7, r, 3))
            .collect();
        assert!(months.iter().all(|&m| m >= 1), "the funder pays month 0");
        let mean = months.iter().map(|&m| f64::from(m)).sum::<f64>() / n as f64;
        let expected = 1.0 / p;
        let standard_error = ((1.0 - p).sqrt() / p) / (n as f64).sqrt();
        assert!(
            (mean - expected).abs() < 4.0 * standard_error,
            "mean {mean}, expected {expected} ± {standard_error}"
        );
        let unfunded = self::project(2, 0.0, &fund);
        assert_eq!(funder_leaves(&unfunded, &model, 7, 0, 3), u32::MAX);
        // A donor grant with an end date leaves then at the latest, on the same draws.
        let dated = Project {
            baseline_funding_until_month: Some(36),
            ..project.clone()
        };
        for (r, &drawn) in months.iter().enumerate() {
            assert_eq!(funder_leaves(&dated, &model, 7, r as u64, 3), drawn.min(36));
        }
        assert!(months.iter().any(|&m| m > 36) && months.iter().any(|&m| m < 36));
    }

    #[test]
    fn crowding_out_takes_its_share_of_volunteer_time_only_when_fund_money_is_spent() {
        let fund = FundParams::default();
        let project = project(3, 0.0, &fund);
        let crowded = ModelParams {
            crowd_out: 0.25,
            ..ModelParams::default()
        };
        let plain = ModelParams {
            crowd_out: 0.0,
            ..ModelParams::default()
        };
        let constants = ProjectConstants::new(&project, &plain, &fund);
        let effort = |model: &ModelParams| {
            let mut state = ProjectState::new(&project, model, 1, 0, 0);
            state.receive_grant(9_200.0, 1);
            state.effort(&constants, &fund).total_pm
        };
        // One person-month paid: one maintainer paid, two volunteer.
        let volunteered = 2.0 * constants.volunteer_pm;
        assert!((effort(&plain) - (1.0 + volunteered)).abs() < 1e-12);
        assert!((effort(&crowded) - (1.0 + 0.75 * volunteered)).abs() < 1e-12);
        let mut unfunded = ProjectState::new(&project, &crowded, 1, 0, 0);
        assert_eq!(
            unfunded.effort(&constants, &fund).total_pm,
            3.0 * constants.volunteer_pm
        );
    }

    #[test]
    fn grant_money_left_after_the_extension_goes_back_to_the_fund() {
        let (model, fund) = (ModelParams::default(), FundParams::default());
        // Half a person-month of absorption: most of the grant cannot be spent in time.
        let project = Project {
            absorption: 0.5,
            ..project(2, 0.0, &fund)
        };
        let constants = ProjectConstants::new(&project, &model, &fund);
        let mut state = ProjectState::new(&project, &model, 1, 0, 0);
        state.receive_grant(500_000.0, fund.grant_duration_months);
        state.grant_ends(0, fund.grant_duration_months, &fund);
        let end = fund.grant_duration_months + fund.extension_months;
        let mut spent = 0.0;
        // Months 0 … end − 1 are the grant and its extension; the money left returns at
        // the end of month end − 1.
        for t in 0..end - 1 {
            let (effort, returned) = month(&mut state, &constants, &model, &fund, t);
            spent += effort.spent_eur;
            assert_eq!(returned, 0.0, "month {t}: spent during grant and extension");
        }
        assert!((spent - f64::from(end - 1) * 0.5 * fund.person_month_eur).abs() < 1e-6);
        let held = state.held_eur;
        assert!(held > 0.0);
        let (effort, returned) = month(&mut state, &constants, &model, &fund, end - 1);
        assert!(
            effort.spent_eur > 0.0,
            "the last month of the extension is spent"
        );
        assert!((returned - (held - effort.spent_eur)).abs() < 1e-6);
        assert_eq!(state.held_eur, 0.0);
    }

    #[test]
    fn a_fellowship_pays_its_fellows_then_they_enter_the_cliff_together() {
        let (model, fund) = (ModelParams::default(), FundParams::default());
        let project = project(5, 0.0, &fund);
        let constants = ProjectConstants::new(&project, &model, &fund);
        let mut state = ProjectState::new(&project, &model, 1, 0, 0);
        let mut out = Trajectory::default();
        let (months, salary) = (6, 5_000.0);
        let fellowship = Purchase::Fellowship {
            fellows: 2,
            months,
            hours_share: 0.5,
        };
        let bought = state.buy_people(fellowship, 2.0 * 6.0 * salary, 3, &mut out);
        assert_eq!(
            bought,
            Bought::default(),
            "nothing spent or returned at once"
        );
        assert_eq!((state.paid, state.extra.fellowship.fellows), (2, 2));
        let kept = 1.0 - model.crowd_out;
        for t in 3..3 + months {
            let (effort, returned) = month(&mut state, &constants, &model, &fund, t);
            assert!((effort.spent_eur - 2.0 * salary).abs() < 1e-9, "month {t}");
            let expected = 2.0 * 0.5 + (3.0 + 2.0 * 0.5) * constants.volunteer_pm * kept;
            assert!((effort.total_pm - expected).abs() < 1e-12, "month {t}");
            assert_eq!(effort.paid_full, 2);
            if t + 1 < 3 + months {
                assert_eq!((state.paid, returned), (2, 0.0));
            } else {
                assert!(returned.abs() < 1e-6, "the salaries are spent: {returned}");
            }
        }
        assert_eq!((state.paid, state.extra.fellowship.fellows), (0, 0));
        assert_eq!(
            *state.cliff.last().unwrap(),
            2,
            "both fellows enter the cliff"
        );
        assert_eq!(state.maintainers(), 5);
        // More fellows than maintainers: the salaries of the missing ones go back at once.
        let mut small = ProjectState::new(&self::project(1, 0.0, &fund), &model, 1, 0, 0);
        let bought = small.buy_people(fellowship, 60_000.0, 0, &mut out);
        assert_eq!(bought.returned_eur, 30_000.0);
        assert_eq!(small.extra.fellowship.fellows, 1);
    }

    /// A fellow who leaves is no longer paid; the salary meant for them goes back to the
    /// fund when the fellowship ends.
    #[test]
    fn the_salary_of_a_fellow_who_left_goes_back_at_the_end() {
        let (model, fund) = (ModelParams::default(), FundParams::default());
        let project = project(3, 0.0, &fund);
        let constants = ProjectConstants::new(&project, &model, &fund);
        let mut state = ProjectState::new(&project, &model, 1, 0, 0);
        let mut out = Trajectory::default();
        let fellowship = Purchase::Fellowship {
            fellows: 2,
            months: 4,
            hours_share: 1.0,
        };
        state.buy_people(fellowship, 40_000.0, 0, &mut out);
        month(&mut state, &constants, &model, &fund, 0);
        // One fellow leaves (what departures do to a leaving fellow).
        state.extra.fellowship.fellows -= 1;
        state.paid -= 1;
        let mut spent = 0.0;
        let mut returned = 0.0;
        for t in 1..4 {
            let (effort, back) = month(&mut state, &constants, &model, &fund, t);
            spent += effort.spent_eur;
            returned += back;
        }
        assert!((spent - 3.0 * 5_000.0).abs() < 1e-9);
        assert!((returned - 3.0 * 5_000.0).abs() < 1e-9);
        assert_eq!(state.held_total_eur(), 0.0);
    }

    /// Onboarding: the maintainers lose the mentoring effort while it lasts, and each
    /// mentee stays with the retention probability: over many replications the share
    /// staying is the retention within four binomial standard errors.
    #[test]
    fn onboarding_adds_maintainers_at_about_the_retention_rate() {
        let (model, fund) = (ModelParams::default(), FundParams::default());
        let project = project(2, 0.0, &fund);
        let constants = ProjectConstants::new(&project, &model, &fund);
        let (mentees, retention, replications) = (10, 0.16, 2_000u32);
        let mut stayed = 0;
        let mut out = Trajectory::default();
        for replication in 0..replications {
            let mut state = ProjectState::new(&project, &model, 5, u64::from(replication), 0);
            let onboarding = Purchase::Onboarding {
                mentees,
                months: 3,
                retention,
                mentoring_pm: 0.1,
            };
            let bought = state.buy_people(onboarding, 12_000.0, 2, &mut out);
            assert_eq!(bought.spent_eur, 12_000.0, "stipends are spent at once");
            for t in 2..5 {
                let (effort, _) = month(&mut state, &constants, &model, &fund, t);
                let expected = 2.0 * constants.volunteer_pm - 0.1;
                assert!((effort.total_pm - expected).abs() < 1e-12);
                if t < 4 {
                    assert_eq!(state.maintainers(), 2, "mentees decide at the end");
                }
            }
            stayed += state.maintainers() - 2;
            let (effort, _) = month(&mut state, &constants, &model, &fund, 5);
            assert_eq!(
                effort.total_pm,
                f64::from(state.maintainers()) * constants.volunteer_pm
            );
        }
        let trials = f64::from(mentees * replications);
        let share = f64::from(stayed) / trials;
        let standard_error = (retention * (1.0 - retention) / trials).sqrt();
        assert!(
            (share - retention).abs() < 4.0 * standard_error,
            "{share} stayed, expected {retention} ± {standard_error}"
        );
    }
}
