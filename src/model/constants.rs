//! What stays fixed about the projects during a run: each project's constants (its work
//! law, rates and efforts, [`ProjectConstants`]), the rates all projects share
//! ([`SharedRates`]) and the draw of a month's arrivals from them ([`Arrived`]). Apart
//! from the project state because they are computed once per world, and read, never
//! written, by every month of every replication.

use rand_distr::{Distribution, Gamma};

use crate::params::FundParams;
use crate::params::ModelParams;
use crate::portfolio::{Portfolio, Project};
use crate::rng::SimRng;
use crate::rng::sampling::{HAZARD_BOUND_MARGIN, UniformBelow, poisson, probability_of_hazard};

/// Per-project quantities that never change during a run, computed once.
#[derive(Debug, Clone)]
pub(crate) struct ProjectConstants {
    /// Work arriving each month (PM), `None` when the project gets no work.
    pub(crate) work: Option<Gamma<f64>>,
    pub(crate) work_rate: f64,
    /// Vulnerabilities introduced (latent) per month.
    pub(crate) vuln_rate: f64,
    /// Volunteer effort of one unpaid maintainer (PM/month).
    pub(super) volunteer_pm: f64,
    /// Absorption per active maintainer (PM/month): the initial absorption scales with
    /// the team.
    pub(super) absorption_per_maintainer: f64,
    /// Baseline funding converted to effort (PM/month).
    pub(super) baseline_pm: f64,
    pub(super) newcomer_mean: f64,
    pub(super) revival_probability: f64,
}

impl ProjectConstants {
    pub(crate) fn new(project: &Project, model: &ModelParams, fund: &FundParams) -> Self {
        // At least one dependent, as for the work and vulnerability rates of a CSV portfolio.
        let usage = Portfolio::relative_usage(project.dependents.max(1.0), model);
        let work = if project.work_rate > 0.0 && model.work_cv > 0.0 {
            let shape = 1.0 / (model.work_cv * model.work_cv);
            Gamma::new(shape, project.work_rate / shape).ok()
        } else {
            None
        };
        Self {
            volunteer_pm: project.volunteer_hours / model.hours_per_person_month,
            work,
            work_rate: project.work_rate,
            vuln_rate: project.vuln_rate,
            absorption_per_maintainer: project.absorption / f64::from(project.maintainers.max(1)),
            baseline_pm: project.baseline_funding / fund.person_month_eur,
            newcomer_mean: model.newcomer_rate * usage.powf(model.newcomer_usage_exponent),
            revival_probability: (model.revival_hazard * usage.powf(model.revival_usage_exponent))
                .min(1.0),
        }
    }
}

/// Rates shared by all projects, derived once from the parameters.
#[derive(Debug, Clone)]
pub(crate) struct SharedRates {
    /// `return_probability[s]`: probability of coming back in the month after `s + 1`
    /// months away, as the test of a uniform against it.
    pub(super) return_probability: Vec<UniformBelow>,
    /// `top_hazard[backlog][cliff]`: upper bounds of every maintainer's monthly hazard,
    /// without a backlog or with one (at the largest burnout multiplier, 1 without a
    /// burnout slope), without anyone in the cliff or with, so that a departure uniform
    /// above the bound needs no exponential. Kept as the test
    /// `u < bound + HAZARD_BOUND_MARGIN`, made on the integer a uniform comes from: one
    /// per maintainer and month.
    pub(super) top_hazard: [[UniformBelow; 2]; 2],
    pub(super) params: ModelParams,
}

impl SharedRates {
    pub(crate) fn new(params: &ModelParams) -> Self {
        let return_probability = (1..=params.break_max_months)
            .map(|months| {
                params.break_return_hazard
                    * (-f64::from(months) / params.break_return_decay_months).exp()
            })
            .map(UniformBelow::new)
            .collect();
        // A paid maintainer's multiplier is `paid^φ` with φ in [0, 1]: at most max(1, paid).
        let paid = params.paid_attrition_multiplier.max(1.0);
        let cliff = paid.max(params.cliff_multiplier);
        // Burnout needs a backlog and a slope: without a slope a backlog changes nothing.
        let burnout_top = if params.burnout_slope != 0.0 {
            params.burnout_cap.max(1.0)
        } else {
            1.0
        };
        let top = |burnout: f64| {
            let hazard = params.attrition_hazard * burnout;
            [hazard * paid, hazard * cliff]
                .map(|bound| UniformBelow::new(bound + HAZARD_BOUND_MARGIN))
        };
        Self {
            return_probability,
            top_hazard: [top(1.0), top(burnout_top)],
            params: params.clone(),
        }
    }
}

/// The work and vulnerabilities arriving at one project in one month (steps 3–4).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Arrived {
    pub work_pm: f64,
    /// Vulnerabilities introduced this month: latent until found.
    pub vulnerabilities: u32,
}

/// The monthly hazard that outsiders find one of a project's latent vulnerabilities,
/// `h_ext · d̃^α_d` (docs/model.md, "Latent and discovered vulnerabilities").
pub(crate) fn external_discovery_hazard(project: &Project, model: &ModelParams) -> f64 {
    // At least one dependent, as for the other usage-driven rates.
    let usage = Portfolio::relative_usage(project.dependents.max(1.0), model);
    model.vuln_discovery_external * usage.powf(model.vuln_discovery_usage_exponent)
}

/// The mean of the latent vulnerabilities a project starts with: the steady state of the
/// unfunded project, `v / (1 − e^(−h₀))` with `h₀ = h_ext·d̃^α_d + h_eff·m₀·ν` (its
/// volunteers' effort), so that in expectation the project finds from month 0 as many
/// vulnerabilities a month as it introduces. Zero when nothing would ever find them
/// (no steady state).
pub(crate) fn initial_latent_mean(project: &Project, model: &ModelParams) -> f64 {
    let volunteer_pm =
        f64::from(project.maintainers) * project.volunteer_hours / model.hours_per_person_month;
    let hazard =
        external_discovery_hazard(project, model) + model.vuln_discovery_per_pm * volunteer_pm;
    if hazard > 0.0 && project.vuln_rate > 0.0 {
        project.vuln_rate / probability_of_hazard(hazard)
    } else {
        0.0
    }
}

impl ProjectConstants {
    /// Draws one month's arrivals from the project's arrivals stream: the work (Gamma),
    /// then the count of vulnerabilities introduced (Poisson).
    #[inline]
    pub(crate) fn draw_arrivals(&self, arrivals: &mut SimRng) -> Arrived {
        let work_pm = match &self.work {
            Some(law) => law.sample(arrivals),
            None => self.work_rate,
        };
        Arrived {
            work_pm,
            vulnerabilities: poisson(arrivals, self.vuln_rate),
        }
    }
}
