//! The model's behavioural parameters: the `[model]` table of a scenario file.
//!
//! Every field has a default traced to `docs/model.md` (and from there to
//! docs/calibration.md). Units are in the field names or doc comments; the month is the
//! unit of time throughout.

use serde::{Deserialize, Serialize};

use super::Checker;

/// Parameters of the monthly project dynamics (docs/model.md, "Suggested functional forms").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelParams {
    /// Working hours in one person-month (PM); converts volunteer hours to effort.
    pub hours_per_person_month: f64,
    /// Mean maintenance work arriving per month at the reference usage (PM/month).
    pub work_base_pm: f64,
    /// Elasticity of arriving work with usage (`w0 · d̃^αw`).
    pub work_usage_exponent: f64,
    /// Coefficient of variation of the monthly work arriving (Gamma noise).
    pub work_cv: f64,
    /// Share of the backlog that lapses each month (stale issues close).
    pub backlog_obsolescence: f64,
    /// Mean vulnerabilities introduced (latent, not yet known) per month at the reference
    /// usage: they become known only when discovered (docs/model.md, "Latent and
    /// discovered vulnerabilities").
    pub vuln_base_rate: f64,
    /// Elasticity of the introduction rate with usage (`v0 · d̃^αv`).
    pub vuln_usage_exponent: f64,
    /// Effort one vulnerability fix needs (PM).
    pub vuln_effort_pm: f64,
    /// Monthly hazard h_ext that outsiders (users, researchers) find one latent
    /// vulnerability, at the reference usage. Default 0.0075: with
    /// `vuln_discovery_per_pm` it makes the total hazard of the typical unfunded project
    /// (3,000 dependents, two maintainers of 20 hours a month) 1/48 a month, a mean
    /// lifetime in code of four years, roughly exponential (Alexopoulos et al. 2022,
    /// USENIX Security); its half of that total is an assumption.
    pub vuln_discovery_external: f64,
    /// Elasticity α_d of the outsiders' hazard with usage (`h_ext · d̃^α_d`): more users,
    /// more eyes. Assumption (as the other usage exponents).
    pub vuln_discovery_usage_exponent: f64,
    /// Monthly hazard h_eff per person-month of the project's effort that its maintainers
    /// find one latent vulnerability in their own review. Default 0.04: the other half of
    /// the typical project's 1/48 (assumption), so that tripling a small project's effort
    /// doubles what it finds (OpenSSL after Heartbleed: commits tripled, 91
    /// vulnerabilities found and fixed by end-2016; Walden 2020, arXiv 2005.14242).
    pub vuln_discovery_per_pm: f64,
    /// Monthly hazard of a volunteer maintainer starting a break, at no workload.
    /// Default 0.013: the posterior median of the fit of the unfunded baseline to the
    /// stylised facts (`fundsim calibrate --facts`, 90% interval 0.0104–0.0147;
    /// docs/calibration.md).
    pub attrition_hazard: f64,
    /// Slope β of the burnout multiplier `e^(β·load)`.
    pub burnout_slope: f64,
    /// Upper bound of the burnout multiplier.
    pub burnout_cap: f64,
    /// Multiplier of the attrition hazard for a maintainer paid this month (< 1).
    pub paid_attrition_multiplier: f64,
    /// Multiplier of the attrition hazard in the months after pay stops (≥ 1).
    pub cliff_multiplier: f64,
    /// How many months the cliff multiplier lasts after pay stops.
    pub cliff_months: u32,
    /// Monthly hazard of a project's other funder (the portfolio's baseline funding, and
    /// the maintainers it pays) stopping for good. Default 1 − 0.88^(1/12) ≈ 0.0106:
    /// about 12 % of the companies contributing to the Linux kernel stop each year (Qin et
    /// al., FSE 2025). Range 0.005–0.025: the upper end is OpenStack's 12 % per six-month
    /// release, about 23 % a year (Zhang et al., TOSEM 2022).
    pub funder_hazard: f64,
    /// Share of the unpaid maintainers' volunteer time lost in a month in which the project
    /// spends fund money (crowding out). Default 0.08, an assumption: half of the 16 % fall
    /// in community work measured on receiving sponsorship (Conti et al., NBER WP 31668,
    /// 2023), because coding did not fall there and reviews rose (Medappa et al., HEC Paris
    /// WP 1485), and community work is about half of maintenance. Range 0–0.16.
    pub crowd_out: f64,
    /// Scale h of the return probability: after s months away (s = 1, 2, …) a maintainer
    /// on a break comes back with probability h·e^(−s/decay) that month. Default 0.043:
    /// the posterior median of the fit to the stylised facts (90% interval 0.039–0.058).
    pub break_return_hazard: f64,
    /// e-folding time (months) of the falling return probability. Default 24: the
    /// posterior median of the fit to the stylised facts (23.6; 90% interval 15.8–34.0).
    pub break_return_decay_months: f64,
    /// After this many months on a break the exit is final.
    pub break_max_months: u32,
    /// Mean newcomers (future maintainers) per month at the reference usage.
    pub newcomer_rate: f64,
    /// Elasticity of the newcomer rate with usage.
    pub newcomer_usage_exponent: f64,
    /// Share of the newcomer rate that depends on activity (work done / work arriving).
    pub newcomer_activity_share: f64,
    /// Mean hires per month per funded person-month not covered by current maintainers.
    pub hire_rate: f64,
    /// Monthly revival probability of an abandoned project at the reference usage.
    /// Default 0.012: the posterior median of the fit to the stylised facts (90% interval
    /// 0.0106–0.0145).
    pub revival_hazard: f64,
    /// Elasticity of the revival hazard with usage.
    pub revival_usage_exponent: f64,
    /// Months without any maintainer after which a project counts as abandoned.
    pub abandonment_months: u32,
    /// Dependents that define the reference usage d̃ = 1.
    pub reference_dependents: f64,
}

impl Default for ModelParams {
    fn default() -> Self {
        Self {
            hours_per_person_month: 160.0,
            work_base_pm: 0.12,
            work_usage_exponent: 0.3,
            work_cv: 0.5,
            backlog_obsolescence: 0.04,
            vuln_base_rate: 0.02,
            vuln_usage_exponent: 0.4,
            vuln_effort_pm: 0.2,
            vuln_discovery_external: 0.0075,
            vuln_discovery_usage_exponent: 0.3,
            vuln_discovery_per_pm: 0.04,
            attrition_hazard: 0.013,
            burnout_slope: 0.5,
            burnout_cap: 3.0,
            paid_attrition_multiplier: 0.5,
            cliff_multiplier: 1.5,
            cliff_months: 6,
            funder_hazard: 1.0 - 0.88_f64.powf(1.0 / 12.0),
            crowd_out: 0.08,
            break_return_hazard: 0.043,
            break_return_decay_months: 24.0,
            break_max_months: 24,
            newcomer_rate: 0.02,
            newcomer_usage_exponent: 0.3,
            newcomer_activity_share: 0.5,
            hire_rate: 0.3,
            revival_hazard: 0.012,
            revival_usage_exponent: 0.3,
            abandonment_months: 12,
            reference_dependents: 1000.0,
        }
    }
}

impl ModelParams {
    /// Checks every field's range; problems go to `check`.
    pub fn check(&self, check: &mut Checker) {
        let model = self;
        check.positive(
            "model.hours_per_person_month",
            model.hours_per_person_month,
            744.0,
        );
        check.range("model.work_base_pm", model.work_base_pm, 0.0, 1e4);
        check.range(
            "model.work_usage_exponent",
            model.work_usage_exponent,
            -2.0,
            2.0,
        );
        check.range("model.work_cv", model.work_cv, 0.0, 10.0);
        check.range(
            "model.backlog_obsolescence",
            model.backlog_obsolescence,
            0.0,
            1.0,
        );
        check.range("model.vuln_base_rate", model.vuln_base_rate, 0.0, 100.0);
        check.range(
            "model.vuln_usage_exponent",
            model.vuln_usage_exponent,
            -2.0,
            2.0,
        );
        check.positive("model.vuln_effort_pm", model.vuln_effort_pm, 1e3);
        check.range(
            "model.vuln_discovery_external",
            model.vuln_discovery_external,
            0.0,
            10.0,
        );
        check.range(
            "model.vuln_discovery_usage_exponent",
            model.vuln_discovery_usage_exponent,
            -2.0,
            2.0,
        );
        check.range(
            "model.vuln_discovery_per_pm",
            model.vuln_discovery_per_pm,
            0.0,
            10.0,
        );
        check.range("model.attrition_hazard", model.attrition_hazard, 0.0, 5.0);
        check.range("model.burnout_slope", model.burnout_slope, 0.0, 20.0);
        check.range("model.burnout_cap", model.burnout_cap, 1.0, 100.0);
        check.range(
            "model.paid_attrition_multiplier",
            model.paid_attrition_multiplier,
            0.0,
            1.0,
        );
        check.range("model.cliff_multiplier", model.cliff_multiplier, 1.0, 20.0);
        check.count("model.cliff_months", model.cliff_months.into(), 0, 120);
        check.probability("model.funder_hazard", model.funder_hazard);
        check.probability("model.crowd_out", model.crowd_out);
        check.probability("model.break_return_hazard", model.break_return_hazard);
        check.positive(
            "model.break_return_decay_months",
            model.break_return_decay_months,
            1e4,
        );
        check.count(
            "model.break_max_months",
            model.break_max_months.into(),
            0,
            240,
        );
        check.range("model.newcomer_rate", model.newcomer_rate, 0.0, 100.0);
        check.range(
            "model.newcomer_usage_exponent",
            model.newcomer_usage_exponent,
            -2.0,
            2.0,
        );
        check.probability(
            "model.newcomer_activity_share",
            model.newcomer_activity_share,
        );
        check.range("model.hire_rate", model.hire_rate, 0.0, 100.0);
        check.probability("model.revival_hazard", model.revival_hazard);
        check.range(
            "model.revival_usage_exponent",
            model.revival_usage_exponent,
            -2.0,
            2.0,
        );
        check.count(
            "model.abandonment_months",
            model.abandonment_months.into(),
            1,
            240,
        );
        // Usage is dependents over this reference; below one dependent it would blow up.
        check.range(
            "model.reference_dependents",
            model.reference_dependents,
            1.0,
            1e12,
        );
    }
}
