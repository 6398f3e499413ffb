//! The distributions an `[[uncertainty.parameters]]` entry can give a field: each with
//! its inverse distribution function (quantile), which is how values are drawn (a
//! Gaussian copula hands every parameter a uniform), and the checks of its parameters.

use serde::{Deserialize, Serialize};
use statrs::function::beta::inv_beta_reg;

use crate::params::Checker;
use crate::scenario::sensitivity::normal_quantile;

/// Beta-PERT's weight of the mode (Malcolm et al. 1959; Vose, *Risk Analysis*, 2008):
/// mean = (low + 4·mode + high) / 6.
pub const PERT_LAMBDA: f64 = 4.0;

/// The least share of a normal or log-normal distribution a truncation may keep: less is
/// taken for a mistake (a range written far out in a tail), since the values drawn would
/// then follow the truncation bounds rather than the distribution.
pub const MIN_TRUNCATED_MASS: f64 = 1e-6;

/// The quantiles checked for a distribution without bounds: its values between them must
/// be values the field accepts.
pub const CHECKED_TAIL: f64 = 0.001;

/// How an uncertain field is distributed across parameter sets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "kebab-case")]
pub enum ParameterDistribution {
    /// Uniform on `[low, high]`.
    Uniform { low: f64, high: f64 },
    /// Triangular on `[low, high]` with its peak at `mode`.
    Triangular { low: f64, mode: f64, high: f64 },
    /// Beta-PERT on `[low, high]` with its mode at `mode` (λ = 4): a scaled beta with
    /// shapes 1 + 4·(mode − low)/(high − low) and 1 + 4·(high − mode)/(high − low).
    Pert { low: f64, mode: f64, high: f64 },
    /// Normal with `mean` and `sd`, truncated to `[low, high]` when either is given.
    Normal {
        mean: f64,
        sd: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        low: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        high: Option<f64>,
    },
    /// Log-normal: `median · e^(sigma_log · Z)`, truncated to `[low, high]` when either is
    /// given.
    LogNormal {
        median: f64,
        sigma_log: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        low: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        high: Option<f64>,
    },
    /// Beta(`alpha`, `beta`) scaled to `[low, high]` (by default `[0, 1]`).
    Beta {
        alpha: f64,
        beta: f64,
        low: f64,
        high: f64,
    },
}

/// The names of the distributions, as written in scenario files.
pub const DISTRIBUTION_NAMES: [&str; 6] = [
    "uniform",
    "triangular",
    "pert",
    "normal",
    "log-normal",
    "beta",
];

/// Standard normal distribution function, through `libm`'s complementary error function
/// (the FreeBSD msun implementation, within 1 ulp): relative precision in the lower tail,
/// which truncation far out needs. (statrs' erfc is off by 1e-12 near Φ = 0.975.)
pub fn standard_normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

impl ParameterDistribution {
    /// The value at probability `p` (the inverse distribution function), `p` in `[0, 1]`
    /// (clamped). A truncated distribution maps `p` onto `[F(low), F(high)]` first. An
    /// unbounded distribution gives an infinite value at 0 or 1.
    pub fn quantile(&self, p: f64) -> f64 {
        let p = if p.is_nan() { 0.5 } else { p.clamp(0.0, 1.0) };
        match *self {
            Self::Uniform { low, high } => low + p * (high - low),
            Self::Triangular { low, mode, high } => triangular_quantile(low, mode, high, p),
            Self::Pert { low, mode, high } => {
                let (alpha, beta) = pert_shapes(low, mode, high);
                scaled_beta_quantile(alpha, beta, low, high, p)
            }
            Self::Beta {
                alpha,
                beta,
                low,
                high,
            } => scaled_beta_quantile(alpha, beta, low, high, p),
            Self::Normal {
                mean,
                sd,
                low,
                high,
            } => match p {
                // The bounds exactly, whatever the rounding of Φ and its inverse.
                0.0 => low.unwrap_or(f64::NEG_INFINITY),
                1.0 => high.unwrap_or(f64::INFINITY),
                _ => {
                    let (from, to) = standardised_bounds(low, high, |x| (x - mean) / sd);
                    (mean + sd * truncated_normal_quantile(from, to, p)).clamp(
                        low.unwrap_or(f64::NEG_INFINITY),
                        high.unwrap_or(f64::INFINITY),
                    )
                }
            },
            Self::LogNormal {
                median,
                sigma_log,
                low,
                high,
            } => {
                let (lowest, highest) = (low.unwrap_or(0.0), high.unwrap_or(f64::INFINITY));
                match p {
                    0.0 => lowest,
                    1.0 => highest,
                    _ => {
                        let log_median = median.ln();
                        let (from, to) =
                            standardised_bounds(low, high, |x| (x.ln() - log_median) / sigma_log);
                        let z = truncated_normal_quantile(from, to, p);
                        (median * (sigma_log * z).exp()).clamp(lowest, highest)
                    }
                }
            }
        }
    }

    /// The value for a standard normal score `z` (the copula's output): the quantile at
    /// Φ(z), or directly `mean + sd·z` (`median·e^(sigma_log·z)`) for an untruncated
    /// normal (log-normal), which keeps the far tails exact.
    pub fn value_at_normal_score(&self, z: f64) -> f64 {
        match *self {
            Self::Normal {
                mean,
                sd,
                low: None,
                high: None,
            } => mean + sd * z,
            Self::LogNormal {
                median,
                sigma_log,
                low: None,
                high: None,
            } => median * (sigma_log * z).exp(),
            _ => self.quantile(standard_normal_cdf(z)),
        }
    }

    /// The ends whose values a field must accept: the bounds of the distribution, or, on
    /// a side without a bound, its 0.1% (99.9%) quantile. (An untruncated log-normal's
    /// lower bound, 0, is never drawn: it counts as a side without a bound.)
    pub fn checked_ends(&self) -> (f64, f64) {
        let (open_low, open_high) = self.open_sides();
        (
            self.quantile(if open_low { CHECKED_TAIL } else { 0.0 }),
            self.quantile(if open_high { 1.0 - CHECKED_TAIL } else { 1.0 }),
        )
    }

    /// Which sides (low, high) have no bound, so that [`Self::checked_ends`] checks a
    /// quantile there rather than every value that can be drawn.
    pub fn open_sides(&self) -> (bool, bool) {
        match *self {
            Self::Normal { low, high, .. } => (low.is_none(), high.is_none()),
            Self::LogNormal { low, high, .. } => (low.is_none_or(|low| low <= 0.0), high.is_none()),
            _ => (false, false),
        }
    }

    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Uniform { .. } => "uniform",
            Self::Triangular { .. } => "triangular",
            Self::Pert { .. } => "pert",
            Self::Normal { .. } => "normal",
            Self::LogNormal { .. } => "log-normal",
            Self::Beta { .. } => "beta",
        }
    }

    /// A short description, e.g. `pert 0–0.6, mode 0.3`.
    pub fn describe(&self) -> String {
        let truncation = |low: Option<f64>, high: Option<f64>| match (low, high) {
            (None, None) => String::new(),
            (low, high) => format!(
                ", truncated to {}–{}",
                low.map_or("-inf".to_string(), |v| v.to_string()),
                high.map_or("inf".to_string(), |v| v.to_string())
            ),
        };
        match *self {
            Self::Uniform { low, high } => format!("uniform {low}–{high}"),
            Self::Triangular { low, mode, high } | Self::Pert { low, mode, high } => {
                format!("{} {low}–{high}, mode {mode}", self.name())
            }
            Self::Normal {
                mean,
                sd,
                low,
                high,
            } => format!("normal mean {mean}, sd {sd}{}", truncation(low, high)),
            Self::LogNormal {
                median,
                sigma_log,
                low,
                high,
            } => format!(
                "log-normal median {median}, sigma_log {sigma_log}{}",
                truncation(low, high)
            ),
            Self::Beta {
                alpha,
                beta,
                low,
                high,
            } => format!("beta({alpha}, {beta}) on {low}–{high}"),
        }
    }
}

/// Beta-PERT's shapes for `[low, high]` and `mode`.
pub fn pert_shapes(low: f64, mode: f64, high: f64) -> (f64, f64) {
    let width = high - low;
    (
        1.0 + PERT_LAMBDA * (mode - low) / width,
        1.0 + PERT_LAMBDA * (high - mode) / width,
    )
}

fn triangular_quantile(low: f64, mode: f64, high: f64, p: f64) -> f64 {
    let width = high - low;
    let peak = (mode - low) / width;
    if p < peak {
        low + (p * width * (mode - low)).sqrt()
    } else {
        high - ((1.0 - p) * width * (high - mode)).sqrt()
    }
}

fn scaled_beta_quantile(alpha: f64, beta: f64, low: f64, high: f64, p: f64) -> f64 {
    let unit = inv_beta_reg(alpha, beta, p).clamp(0.0, 1.0);
    (low + unit * (high - low)).clamp(low, high)
}

/// The truncation bounds on the standard normal scale (infinite where not given).
fn standardised_bounds(
    low: Option<f64>,
    high: Option<f64>,
    scale: impl Fn(f64) -> f64,
) -> (f64, f64) {
    (
        low.map_or(f64::NEG_INFINITY, &scale),
        high.map_or(f64::INFINITY, &scale),
    )
}

/// The `p` quantile of a standard normal truncated to `[from, to]`, by inversion on
/// `[Φ(from), Φ(to)]`. An interval in the upper tail is mirrored into the lower one,
/// where Φ keeps its relative precision.
fn truncated_normal_quantile(from: f64, to: f64, p: f64) -> f64 {
    if from + to > 0.0 {
        return -truncated_normal_quantile(-to, -from, 1.0 - p);
    }
    let (lower, upper) = (standard_normal_cdf(from), standard_normal_cdf(to));
    normal_quantile(lower + p * (upper - lower)).clamp(from, to)
}

/// The share of a standard normal between `from` and `to`, accurate in either tail.
pub fn standard_normal_mass(from: f64, to: f64) -> f64 {
    if from + to > 0.0 {
        return standard_normal_mass(-to, -from);
    }
    standard_normal_cdf(to) - standard_normal_cdf(from)
}

/// One `[[uncertainty.parameters]]` entry as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterEntry {
    /// Dotted path of a numeric scenario field (`model.hire_rate`, `strategies[2].power`).
    pub path: Option<String>,
    /// Further fields that take the same drawn value in every set (the same quantity
    /// written in several places, such as an instrument's effect in a single strategy and
    /// in a mix).
    pub also: Option<Vec<String>>,
    /// One of [`DISTRIBUTION_NAMES`].
    pub distribution: Option<String>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub mode: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub median: Option<f64>,
    pub sigma_log: Option<f64>,
    pub alpha: Option<f64>,
    pub beta: Option<f64>,
    /// Where the range comes from (free text).
    pub source: Option<String>,
    /// Whether the range is an assumption rather than a published estimate.
    pub assumption: Option<bool>,
}

impl ParameterEntry {
    /// The distribution parameters as written, by name.
    fn given(&self) -> [(&'static str, Option<f64>); 9] {
        [
            ("low", self.low),
            ("high", self.high),
            ("mode", self.mode),
            ("mean", self.mean),
            ("sd", self.sd),
            ("median", self.median),
            ("sigma_log", self.sigma_log),
            ("alpha", self.alpha),
            ("beta", self.beta),
        ]
    }
}

/// The parameters each distribution takes (the others are errors), required first.
fn parameters_of(kind: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match kind {
        "uniform" => (&["low", "high"], &[]),
        "triangular" | "pert" => (&["low", "mode", "high"], &[]),
        "normal" => (&["mean", "sd"], &["low", "high"]),
        "log-normal" => (&["median", "sigma_log"], &["low", "high"]),
        "beta" => (&["alpha", "beta"], &["low", "high"]),
        _ => return None,
    })
}

/// The distribution of the entry at `field` (`uncertainty.parameters[2]`), its
/// parameters checked; problems go to `check`, each naming the full key.
pub fn distribution_of(
    check: &mut Checker,
    field: &str,
    entry: &ParameterEntry,
) -> Option<ParameterDistribution> {
    let Some(kind) = entry.distribution.as_deref() else {
        check.fail(
            &format!("{field}.distribution"),
            None,
            format!("is required: one of {}", DISTRIBUTION_NAMES.join(", ")),
        );
        return None;
    };
    let Some((required, optional)) = parameters_of(kind) else {
        check.fail(
            &format!("{field}.distribution"),
            Some(format!("{kind:?}")),
            format!("must be one of {}", DISTRIBUTION_NAMES.join(", ")),
        );
        return None;
    };
    let mut complete = true;
    for (name, value) in entry.given() {
        let key = format!("{field}.{name}");
        let allowed = required.contains(&name) || optional.contains(&name);
        match value {
            Some(_) if !allowed => {
                check.fail(
                    &key,
                    None,
                    format!(
                        "a {kind} distribution has no `{name}` (it takes {})",
                        [required, optional].concat().join(", ")
                    ),
                );
                complete = false;
            }
            Some(value) if !value.is_finite() => {
                check.fail(&key, Some(value.to_string()), "must be a finite number");
                complete = false;
            }
            None if required.contains(&name) => {
                check.fail(&key, None, format!("a {kind} distribution needs `{name}`"));
                complete = false;
            }
            _ => {}
        }
    }
    if !complete {
        return None;
    }
    let need = |value: Option<f64>| value.unwrap_or(f64::NAN);
    let mut ok = true;
    let mut fail = |name: &str, value: f64, problem: &str| {
        check.fail(&format!("{field}.{name}"), Some(value.to_string()), problem);
        ok = false;
    };
    let distribution = match kind {
        "uniform" => {
            let (low, high) = (need(entry.low), need(entry.high));
            if low >= high {
                fail("high", high, "must be above `low`");
            }
            ParameterDistribution::Uniform { low, high }
        }
        "triangular" | "pert" => {
            let (low, mode, high) = (need(entry.low), need(entry.mode), need(entry.high));
            if low >= high {
                fail("high", high, "must be above `low`");
            } else if !(low..=high).contains(&mode) {
                fail("mode", mode, "must be from `low` to `high`");
            }
            if kind == "pert" {
                ParameterDistribution::Pert { low, mode, high }
            } else {
                ParameterDistribution::Triangular { low, mode, high }
            }
        }
        "normal" => {
            let (mean, sd) = (need(entry.mean), need(entry.sd));
            if sd <= 0.0 {
                fail("sd", sd, "must be above 0");
            }
            ParameterDistribution::Normal {
                mean,
                sd,
                low: entry.low,
                high: entry.high,
            }
        }
        "log-normal" => {
            let (median, sigma_log) = (need(entry.median), need(entry.sigma_log));
            if median <= 0.0 {
                fail("median", median, "must be above 0");
            }
            if sigma_log <= 0.0 {
                fail("sigma_log", sigma_log, "must be above 0");
            }
            if let Some(low) = entry.low.filter(|&low| low < 0.0) {
                fail(
                    "low",
                    low,
                    "must be 0 or above (a log-normal value is positive)",
                );
            }
            ParameterDistribution::LogNormal {
                median,
                sigma_log,
                low: entry.low,
                high: entry.high,
            }
        }
        _ => {
            let (alpha, beta) = (need(entry.alpha), need(entry.beta));
            let (low, high) = (entry.low.unwrap_or(0.0), entry.high.unwrap_or(1.0));
            for (name, shape) in [("alpha", alpha), ("beta", beta)] {
                if !(shape > 0.0 && shape <= MAX_BETA_SHAPE) {
                    fail(
                        name,
                        shape,
                        &format!("must be above 0 and at most {MAX_BETA_SHAPE}"),
                    );
                }
            }
            if low >= high {
                fail("high", high, "must be above `low` (low is 0 unless given)");
            }
            ParameterDistribution::Beta {
                alpha,
                beta,
                low,
                high,
            }
        }
    };
    if ok && let Some(problem) = truncation_problem(&distribution) {
        check.fail(field, None, problem);
        ok = false;
    }
    ok.then_some(distribution)
}

/// The largest beta shape: beyond it the distribution is a spike (sd below 0.005 of its
/// range, better written as a fixed value or a normal) and statrs' inversion of the
/// incomplete beta function loses precision (tested up to here to 2% of an sd).
pub const MAX_BETA_SHAPE: f64 = 1e4;

/// What is wrong with the truncation of a normal or log-normal, if anything.
fn truncation_problem(distribution: &ParameterDistribution) -> Option<String> {
    let (low, high, from, to) = match *distribution {
        ParameterDistribution::Normal {
            mean,
            sd,
            low,
            high,
        } => {
            let (from, to) = standardised_bounds(low, high, |x| (x - mean) / sd);
            (low, high, from, to)
        }
        ParameterDistribution::LogNormal {
            median,
            sigma_log,
            low,
            high,
        } => {
            let (from, to) = standardised_bounds(low.filter(|&l| l > 0.0), high, |x| {
                (x / median).ln() / sigma_log
            });
            (low, high, from, to)
        }
        _ => return None,
    };
    if let (Some(low), Some(high)) = (low, high)
        && low >= high
    {
        return Some(format!(
            "the truncation needs low < high (got low {low}, high {high})"
        ));
    }
    let mass = standard_normal_mass(from, to);
    (mass < MIN_TRUNCATED_MASS).then(|| {
        format!(
            "the truncation to [{}, {}] keeps {mass:.1e} of the distribution, less than {MIN_TRUNCATED_MASS:.0e}: move low/high towards the centre or change the distribution",
            low.map_or("-inf".to_string(), |v| v.to_string()),
            high.map_or("inf".to_string(), |v| v.to_string())
        )
    })
}

#[cfg(test)]
#[path = "distribution_tests.rs"]
mod tests;
