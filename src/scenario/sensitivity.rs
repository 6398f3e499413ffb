//! The `[sensitivity]` table of a scenario: which inputs are uncertain, over which range
//! and with which distribution, and the default settings of `fundsim sensitivity`.
//!
//! ```toml
//! [sensitivity]
//! replications = 16        # inner replications per design point (common random numbers)
//! samples = 256            # Sobol base sample N (a power of two)
//! trajectories = 20        # Morris trajectories
//! metrics = ["weighted_survival_at_horizon", "survival_by_year"]
//!
//! [[sensitivity.parameters]]
//! path = "model.attrition_hazard"
//! distribution = "log-uniform"     # uniform | log-uniform | normal | triangular
//! low = 0.009
//! high = 0.056
//! ```

use serde::{Deserialize, Serialize};

use crate::params::Checker;
use crate::stats::Quantity;

/// How an uncertain input is distributed. Every distribution has a finite range, so the
/// ends of a Morris grid map to finite values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "kebab-case")]
pub enum Distribution {
    /// Uniform on `[low, high]`.
    Uniform { low: f64, high: f64 },
    /// `exp` of a uniform on `[ln low, ln high]` (0 < low): for rates known to a factor.
    LogUniform { low: f64, high: f64 },
    /// Normal with `mean` and `sd`, truncated to `[low, high]` (by default mean ± 4 sd,
    /// which leaves out 6 in 100,000 of the mass).
    Normal {
        mean: f64,
        sd: f64,
        low: f64,
        high: f64,
    },
    /// Triangular on `[low, high]` with its peak at `mode`.
    Triangular { low: f64, mode: f64, high: f64 },
}

impl Distribution {
    /// The value at probability `p` (the inverse CDF), `p` in `[0, 1]`.
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        match *self {
            Self::Uniform { low, high } => low + p * (high - low),
            Self::LogUniform { low, high } => (low.ln() + p * (high.ln() - low.ln())).exp(),
            Self::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                // The ends exactly, whatever the rounding of the CDF.
                if p <= 0.0 || p >= 1.0 {
                    return if p <= 0.0 { low } else { high };
                }
                let (a, b) = (
                    normal_cdf((low - mean) / sd),
                    normal_cdf((high - mean) / sd),
                );
                let q = a + p * (b - a);
                if q <= 0.0 || q >= 1.0 {
                    return if q <= 0.0 { low } else { high };
                }
                (mean + sd * normal_quantile(q)).clamp(low, high)
            }
            Self::Triangular { low, mode, high } => {
                let width = high - low;
                if width <= 0.0 {
                    return low;
                }
                let peak = (mode - low) / width;
                if p < peak {
                    low + (p * width * (mode - low)).sqrt()
                } else {
                    high - ((1.0 - p) * width * (high - mode)).sqrt()
                }
            }
        }
    }

    /// The smallest and largest value the distribution can take.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Self::Uniform { low, high }
            | Self::LogUniform { low, high }
            | Self::Normal { low, high, .. }
            | Self::Triangular { low, high, .. } => (low, high),
        }
    }

    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Uniform { .. } => "uniform",
            Self::LogUniform { .. } => "log-uniform",
            Self::Normal { .. } => "normal",
            Self::Triangular { .. } => "triangular",
        }
    }

    /// A short description of the shape, e.g. `log-uniform 0.009–0.056`.
    pub fn describe(&self) -> String {
        match *self {
            Self::Uniform { low, high } | Self::LogUniform { low, high } => {
                format!("{} {low}–{high}", self.name())
            }
            Self::Normal {
                mean,
                sd,
                low,
                high,
            } => format!("normal {mean} ± {sd} in {low}–{high}"),
            Self::Triangular { low, mode, high } => {
                format!("triangular {low}–{high}, mode {mode}")
            }
        }
    }
}

/// Standard normal CDF, via the complementary error function (fractional error below
/// 1.2e-7: Press et al., Numerical Recipes, `erfcc`), enough for truncation masses.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 { value } else { 2.0 - value }
}

/// Standard normal quantile, Wichura's AS 241 (PPND16), accurate to about 1e-16.
/// The coefficients are as published.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        let num = ((((((r * 2_509.080_928_730_122_7 + 33_430.575_583_588_128) * r
            + 67_265.770_927_008_7)
            * r
            + 45_921.953_931_549_87)
            * r
            + 13_731.693_765_509_461)
            * r
            + 1_971.590_950_306_551_3)
            * r
            + 133.141_667_891_784_38)
            * r
            + 3.387_132_872_796_366_5;
        let den = ((((((r * 5_226.495_278_852_545 + 28_729.085_735_721_943) * r
            + 39_307.895_800_092_71)
            * r
            + 21_213.794_301_586_597)
            * r
            + 5_394.196_021_424_751)
            * r
            + 687.187_007_492_057_9)
            * r
            + 42.313_330_701_600_91)
            * r
            + 1.0;
        return q * num / den;
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let value = if r <= 5.0 {
        let r = r - 1.6;
        let num = ((((((r * 7.745_450_142_783_414e-4 + 0.022_723_844_989_269_184) * r
            + 0.241_780_725_177_450_6)
            * r
            + 1.270_458_252_452_368_4)
            * r
            + 3.647_848_324_763_204_5)
            * r
            + 5.769_497_221_460_691)
            * r
            + 4.630_337_846_156_545)
            * r
            + 1.423_437_110_749_683_5;
        let den = ((((((r * 1.050_750_071_644_416_9e-9 + 5.475_938_084_995_345e-4) * r
            + 0.015_198_666_563_616_457)
            * r
            + 0.148_103_976_427_480_08)
            * r
            + 0.689_767_334_985_1)
            * r
            + 1.676_384_830_183_803_8)
            * r
            + 2.053_191_626_637_759)
            * r
            + 1.0;
        num / den
    } else {
        let r = r - 5.0;
        let num = ((((((r * 2.010_334_399_292_288_1e-7 + 2.711_555_568_743_487_6e-5) * r
            + 0.001_242_660_947_388_078_4)
            * r
            + 0.026_532_189_526_576_124)
            * r
            + 0.296_560_571_828_504_9)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103;
        let den = ((((((r * 2.044_263_103_389_939_7e-15 + 1.421_511_758_316_446e-7) * r
            + 1.846_318_317_510_054_8e-5)
            * r
            + 7.868_691_311_456_133e-4)
            * r
            + 0.014_875_361_290_850_615)
            * r
            + 0.136_929_880_922_735_8)
            * r
            + 0.599_832_206_555_888)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 { -value } else { value }
}

/// One uncertain input: a numeric scenario field by its dotted path, and its distribution.
/// Serialized (flat) into the manifest of `fundsim sensitivity`, and read back from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertainParameter {
    /// Dotted path, as for `scenario::parse_with_overrides` (`model.attrition_hazard`).
    pub path: String,
    /// A short label for tables and charts (the path when none is given).
    pub label: String,
    #[serde(flatten)]
    pub distribution: Distribution,
}

/// The validated `[sensitivity]` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivitySpec {
    pub parameters: Vec<UncertainParameter>,
    /// Inner replications per design point (each point uses the same seed).
    pub replications: u64,
    /// Sobol base sample size N (a power of two): N·(k+2) design points.
    pub samples: u32,
    /// Morris trajectories r: r·(k+1) design points.
    pub trajectories: u32,
    /// Morris grid levels p (even).
    pub levels: u32,
    /// Output metrics analysed by default.
    pub metrics: Vec<String>,
}

/// Defaults of the `[sensitivity]` settings.
pub const DEFAULT_REPLICATIONS: u64 = 16;
pub const DEFAULT_SAMPLES: u32 = 256;
pub const DEFAULT_TRAJECTORIES: u32 = 20;
pub const DEFAULT_LEVELS: u32 = 4;
/// The most uncertain parameters: the Saltelli design needs 2k dimensions of the Sobol
/// sequence, which has 256.
pub const MAX_PARAMETERS: usize = 100;
/// The longest Sobol sequence (`sobol_burley` supports 2^16 points).
pub const MAX_SAMPLES: u32 = 1 << 15;

/// The `[sensitivity]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitivityFile {
    pub replications: Option<u64>,
    pub samples: Option<u32>,
    pub trajectories: Option<u32>,
    pub levels: Option<u32>,
    pub metrics: Option<Vec<String>>,
    #[serde(default)]
    pub parameters: Vec<ParameterEntry>,
}

/// One `[[sensitivity.parameters]]` entry as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterEntry {
    pub path: String,
    pub label: Option<String>,
    /// `uniform` (default), `log-uniform`, `normal` or `triangular`.
    pub distribution: Option<String>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub mode: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
}

/// Tables whose numeric fields can be varied (not `run`, which the command line sets).
const VARIABLE_TABLES: [&str; 4] = ["fund.", "portfolio.", "model.", "strategies["];

/// Validates the table; problems go to `check`, located by field.
pub(crate) fn validate(
    check: &mut Checker,
    file: &SensitivityFile,
    horizon_months: u32,
) -> SensitivitySpec {
    let replications = file.replications.unwrap_or(DEFAULT_REPLICATIONS);
    check.count("sensitivity.replications", replications, 1, 1_000_000);
    let samples = file.samples.unwrap_or(DEFAULT_SAMPLES);
    if !(4..=MAX_SAMPLES).contains(&samples) || !samples.is_power_of_two() {
        check.fail(
            "sensitivity.samples",
            Some(samples.to_string()),
            format!("must be a power of two from 4 to {MAX_SAMPLES} (a balanced Sobol sample)"),
        );
    }
    let trajectories = file.trajectories.unwrap_or(DEFAULT_TRAJECTORIES);
    check.count("sensitivity.trajectories", trajectories.into(), 2, 100_000);
    let levels = file.levels.unwrap_or(DEFAULT_LEVELS);
    if !(2..=100).contains(&levels) || levels % 2 == 1 {
        check.fail(
            "sensitivity.levels",
            Some(levels.to_string()),
            "must be an even number from 2 to 100 (Morris grid levels)",
        );
    }
    let metrics = file
        .metrics
        .clone()
        .unwrap_or_else(|| vec!["weighted_survival_at_horizon".to_string()]);
    if metrics.is_empty() {
        check.fail("sensitivity.metrics", None, "must name at least one metric");
    }
    for (index, metric) in metrics.iter().enumerate() {
        if let Err(problem) = Quantity::parse_list(metric, horizon_months) {
            check.fail(
                &format!("sensitivity.metrics[{index}]"),
                Some(format!("{metric:?}")),
                problem,
            );
        }
    }
    if file.parameters.is_empty() {
        check.fail(
            "sensitivity.parameters",
            None,
            "at least one [[sensitivity.parameters]] entry is needed",
        );
    }
    if file.parameters.len() > MAX_PARAMETERS {
        check.fail(
            "sensitivity.parameters",
            Some(file.parameters.len().to_string()),
            format!("at most {MAX_PARAMETERS} uncertain parameters"),
        );
    }
    let mut parameters = Vec::new();
    for (index, entry) in file.parameters.iter().enumerate() {
        let field = format!("sensitivity.parameters[{index}]");
        if !VARIABLE_TABLES.iter().any(|t| entry.path.starts_with(t)) {
            check.fail(
                &format!("{field}.path"),
                Some(format!("{:?}", entry.path)),
                "must be the dotted path of a numeric field in [fund], [portfolio], [model] or [[strategies]] (e.g. model.attrition_hazard, strategies[2].power)",
            );
        }
        if file.parameters[..index]
            .iter()
            .any(|other| other.path == entry.path)
        {
            check.fail(
                &format!("{field}.path"),
                Some(format!("{:?}", entry.path)),
                "each path may be listed once",
            );
        }
        if let Some(distribution) = distribution_of(check, &field, entry) {
            parameters.push(UncertainParameter {
                path: entry.path.clone(),
                label: entry.label.clone().unwrap_or_else(|| entry.path.clone()),
                distribution,
            });
        }
    }
    SensitivitySpec {
        parameters,
        replications,
        samples,
        trajectories,
        levels,
        metrics,
    }
}

fn distribution_of(
    check: &mut Checker,
    field: &str,
    entry: &ParameterEntry,
) -> Option<Distribution> {
    let kind = entry.distribution.as_deref().unwrap_or("uniform");
    let mut need = |name: &str, value: Option<f64>| -> Option<f64> {
        match value {
            Some(value) if value.is_finite() => Some(value),
            Some(value) => {
                check.fail(
                    &format!("{field}.{name}"),
                    Some(value.to_string()),
                    "must be a finite number",
                );
                None
            }
            None => {
                check.fail(
                    &format!("{field}.{name}"),
                    None,
                    format!("a {kind} distribution needs `{name}`"),
                );
                None
            }
        }
    };
    let unexpected: Vec<&str> = match kind {
        "uniform" | "log-uniform" => vec!["mode", "mean", "sd"],
        "normal" => vec!["mode"],
        "triangular" => vec!["mean", "sd"],
        _ => vec![],
    };
    let distribution = match kind {
        "uniform" | "log-uniform" => {
            let (low, high) = (need("low", entry.low)?, need("high", entry.high)?);
            if low >= high {
                check.fail(
                    &format!("{field}.high"),
                    Some(high.to_string()),
                    "must be above `low`",
                );
                return None;
            }
            if kind == "uniform" {
                Distribution::Uniform { low, high }
            } else if low <= 0.0 {
                check.fail(
                    &format!("{field}.low"),
                    Some(low.to_string()),
                    "must be above 0 for a log-uniform distribution",
                );
                return None;
            } else {
                Distribution::LogUniform { low, high }
            }
        }
        "normal" => {
            let (mean, sd) = (need("mean", entry.mean)?, need("sd", entry.sd)?);
            if sd <= 0.0 {
                check.fail(
                    &format!("{field}.sd"),
                    Some(sd.to_string()),
                    "must be above 0",
                );
                return None;
            }
            let low = entry.low.unwrap_or(mean - 4.0 * sd);
            let high = entry.high.unwrap_or(mean + 4.0 * sd);
            if !(low.is_finite() && high.is_finite() && low < high && low <= mean && mean <= high) {
                check.fail(
                    field,
                    Some(format!("low {low}, mean {mean}, high {high}")),
                    "the truncation bounds must be finite with low ≤ mean ≤ high and low < high",
                );
                return None;
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            }
        }
        "triangular" => {
            let (low, mode, high) = (
                need("low", entry.low)?,
                need("mode", entry.mode)?,
                need("high", entry.high)?,
            );
            if !(low <= mode && mode <= high && low < high) {
                check.fail(
                    field,
                    Some(format!("low {low}, mode {mode}, high {high}")),
                    "must have low ≤ mode ≤ high and low < high",
                );
                return None;
            }
            Distribution::Triangular { low, mode, high }
        }
        other => {
            check.fail(
                &format!("{field}.distribution"),
                Some(format!("{other:?}")),
                "must be uniform, log-uniform, normal or triangular",
            );
            return None;
        }
    };
    let given = |name: &str| match name {
        "mode" => entry.mode.is_some(),
        "mean" => entry.mean.is_some(),
        _ => entry.sd.is_some(),
    };
    for name in unexpected.into_iter().filter(|name| given(name)) {
        check.fail(
            &format!("{field}.{name}"),
            None,
            format!("a {kind} distribution has no `{name}`"),
        );
    }
    Some(distribution)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_the_distributions() {
        let uniform = Distribution::Uniform {
            low: 1.0,
            high: 3.0,
        };
        assert_eq!(uniform.quantile(0.25), 1.5);
        let log = Distribution::LogUniform {
            low: 0.01,
            high: 1.0,
        };
        assert!((log.quantile(0.5) - 0.1).abs() < 1e-12);
        let triangle = Distribution::Triangular {
            low: 0.0,
            mode: 1.0,
            high: 2.0,
        };
        assert!((triangle.quantile(0.5) - 1.0).abs() < 1e-12);
        assert_eq!(triangle.quantile(0.0), 0.0);
        assert_eq!(triangle.quantile(1.0), 2.0);
        let normal = Distribution::Normal {
            mean: 10.0,
            sd: 2.0,
            low: 2.0,
            high: 18.0,
        };
        assert!((normal.quantile(0.5) - 10.0).abs() < 1e-6);
        let wide = Distribution::Normal {
            mean: 10.0,
            sd: 2.0,
            low: -6.0,
            high: 26.0,
        };
        assert!((wide.quantile(0.975) - (10.0 + 2.0 * 1.959_964)).abs() < 1e-5);
        assert_eq!(normal.quantile(0.0), 2.0);
        assert_eq!(normal.quantile(1.0), 18.0);
    }

    #[test]
    fn the_normal_quantile_inverts_the_cdf() {
        for &p in &[1e-10, 0.001, 0.02, 0.3, 0.5, 0.8, 0.99, 0.999_999] {
            let x = normal_quantile(p);
            assert!(
                (normal_cdf(x) - p).abs() < 3e-7 * p.max(1e-3),
                "p {p}: x {x}"
            );
        }
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
    }
}
