//! What a rule and the model both see: the fund's view of a project at a call, the call
//! itself, the grants a rule decides and the [`AllocationRule`] trait that decides them.
//!
//! These types sit below both `model` (which builds the views and pays the grants) and
//! `strategy` (whose rules decide them), so neither imports the other.
//!
//! **Information discipline.** A rule receives only [`ProjectView`]s: what a real fund
//! could observe at a call (attributes, current maintainers, backlog, open
//! vulnerabilities, status, past grants, money raised elsewhere). The simulation state
//! itself is private to `crate::model`, so a rule cannot read the future, hidden merit
//! or another replication: the type it receives does not contain them.

mod review;

pub use review::Review;

use crate::params::FundParams;
use crate::rng::SimRng;

/// Project status (docs/model.md, "The state of a project").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// At least one active maintainer.
    Active,
    /// No maintainer, for fewer months than the abandonment threshold.
    Dormant,
    /// Dormant for the threshold; may still be revived.
    Abandoned,
}

/// What the fund can observe about one project at a call.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectView {
    /// Position in the portfolio.
    pub index: usize,
    pub dependents: f64,
    pub criticality: f64,
    /// Active maintainers now.
    pub maintainers: u32,
    /// Outstanding maintenance work (person-months).
    pub backlog: f64,
    pub open_vulnerabilities: u32,
    pub status: Status,
    /// Money the fund has paid this project so far (EUR).
    pub received_eur: f64,
    /// Grants the fund has made to this project so far.
    pub grants: u32,
    /// Money the project raises from other funders (donations, employers), EUR per
    /// month: the portfolio's baseline funding. A fund can see it (sponsorship and
    /// donation platforms publish it; a matching programme asks applicants for it).
    pub other_funding_eur_per_month: f64,
}

impl ProjectView {
    /// Only active projects can take a grant: a dormant or abandoned one has nobody to
    /// spend it.
    pub fn eligible(&self) -> bool {
        self.status == Status::Active
    }
}

/// The call being decided.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// 0-based number of the call.
    pub index: usize,
    /// Month of the call.
    pub month: u32,
    /// Money available in this call, overheads included (EUR).
    pub budget_eur: f64,
    pub fund: &'a FundParams,
}

/// One grant decided at a call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grant {
    pub project: usize,
    /// Money granted to the project (EUR), overhead not included.
    pub amount_eur: f64,
    /// Number of equal tranches it is paid in (1: all at once). Later tranches are paid
    /// only to a project that is active when they fall due. Only maintenance grants are
    /// paid in tranches; every other purchase is paid at the call.
    pub tranches: u32,
    /// What the money buys.
    pub buys: Purchase,
    /// Months a maintenance grant is spent over; `None`: the fund's
    /// `grant_duration_months` (every rule but `policy` with `grant_months`).
    pub months: Option<u32>,
}

/// What a grant's money buys, and so how the model turns it into an effect
/// (docs/model.md). Programmes (`strategy::audit`, `strategy::fellowship`, …) decide
/// *who* gets *which* purchase; the model knows only these effects, so a new programme
/// made of them is one rule file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Purchase {
    /// Money the project holds and spends on its maintainers' time (paid effort at the
    /// fund's cost of a person-month) over the fund's grant duration: the original
    /// instrument.
    Maintenance,
    /// A one-off security audit paid to outside auditors (the project holds no money):
    /// each latent vulnerability of the project is found with probability
    /// `discovery_share`, and a share `fix_share` of those found is fixed with the
    /// auditors' help at once; the rest join the project's open (discovered) ones.
    Audit {
        discovery_share: f64,
        fix_share: f64,
    },
    /// A bug bounty run by the fund for `months` months: each latent vulnerability is
    /// found with the extra monthly hazard `hazard · (1 + t)^(−decay)` (t months since
    /// launch), and each finding pays `payout_eur` out of the grant's amount, which the
    /// fund holds; what is not paid out when the programme ends returns to the fund.
    BugBounty {
        months: u32,
        hazard: f64,
        decay: f64,
        payout_eur: f64,
    },
    /// Employment of `fellows` of the project's active maintainers for `months` months at
    /// `hours_share` of full time; the amount pays their salaries, in equal monthly parts.
    Fellowship {
        fellows: u32,
        months: u32,
        hours_share: f64,
    },
    /// Mentored newcomers: `mentees` join the project for `months` months, each staying on
    /// as a maintainer afterwards with probability `retention`; their mentoring costs the
    /// project's maintainers `mentoring_pm` person-months a month while it lasts.
    Onboarding {
        mentees: u32,
        months: u32,
        retention: f64,
        mentoring_pm: f64,
    },
}

impl Grant {
    /// A grant paid in full at the call.
    pub fn upfront(project: usize, amount_eur: f64) -> Self {
        Self {
            project,
            amount_eur,
            tranches: 1,
            buys: Purchase::Maintenance,
            months: None,
        }
    }

    /// A grant of `amount_eur` that buys `purchase`, paid at the call.
    pub fn buying(project: usize, amount_eur: f64, purchase: Purchase) -> Self {
        Self {
            buys: purchase,
            ..Self::upfront(project, amount_eur)
        }
    }

    /// What the grant costs the fund: the amount plus overhead.
    pub fn cost_eur(&self, fund: &FundParams) -> f64 {
        self.amount_eur * (1.0 + fund.overhead_share) + fund.overhead_fixed_eur
    }
}

/// What a rule decides at a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub grants: Vec<Grant>,
    /// Effort projects spent applying (project, person-months): it adds to their backlog.
    pub application_effort: Vec<(usize, f64)>,
}

impl Decision {
    pub fn clear(&mut self) {
        self.grants.clear();
        self.application_effort.clear();
    }
}

/// An allocation rule: decides the grants of one call from what the fund observes.
///
/// The rule sees [`ProjectView`]s and, through [`Review`], noisy reviews of the
/// projects' hidden merit; nothing else of the simulation. Implementations must keep the
/// total cost of their grants (amount plus overhead) within `call.budget_eur`;
/// `strategy::split_by_weights` does this for weight-based rules (the model scales down any
/// excess, so the budget holds whatever a rule does).
pub trait AllocationRule: Send + Sync {
    /// Fills `decision` (which arrives empty) for this call.
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    );
}
