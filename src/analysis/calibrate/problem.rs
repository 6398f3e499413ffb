//! What a calibration is asked: the scenario text and the parameters to fit with their
//! boxes ([`Problem`], [`ParamRange`]), and why it can fail ([`CalibrationError`]). Apart
//! because every other part of the calibration uses these, and they use none of them
//! (the ABC sampler's error aside, which the sampler reports without knowing them).

use serde::Serialize;

use super::abc::AbcError;
use crate::analysis::facts::FactsError;
use crate::params::ScenarioError;
use crate::portfolio::PortfolioError;
use crate::stats::SurvivalError;

/// A parameter to fit: a numeric field of the scenario by its dotted path, and its box.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamRange {
    pub path: String,
    pub low: f64,
    pub high: f64,
}

impl std::str::FromStr for ParamRange {
    type Err = String;

    /// Parses `PATH=LO:HI`, e.g. `model.attrition_hazard=0.005:0.06`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected PATH=LO:HI, e.g. model.attrition_hazard=0.005:0.06";
        let (path, range) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: {expected}"))?;
        let (low, high) = range
            .split_once(':')
            .ok_or_else(|| format!("{text:?}: {expected}"))?;
        let number = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{text:?}: {s:?} is not a number; {expected}"))
        };
        let (low, high) = (number(low)?, number(high)?);
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("{text:?}: empty path; {expected}"));
        }
        if low >= high {
            return Err(format!("{text:?}: LO must be below HI"));
        }
        Ok(Self {
            path: path.to_string(),
            low,
            high,
        })
    }
}

/// Why a calibration cannot run.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("invalid portfolio {0}")]
    Portfolio(#[from] PortfolioError),
    #[error("--param {path}: {problem}")]
    Param { path: String, problem: String },
    #[error("the observed data cannot be fitted: {0}")]
    Observed(String),
    #[error("{0}")]
    Survival(#[from] SurvivalError),
    #[error("{0}")]
    Facts(#[from] FactsError),
    #[error("{0}")]
    Abc(#[from] AbcError),
}

/// The model side of a calibration: a scenario text whose parameters are varied.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The scenario file's text, and its name in messages.
    pub scenario_text: String,
    pub origin: String,
    /// The portfolio CSV's text and name, when the scenario names one.
    pub portfolio_csv: Option<(String, String)>,
    pub params: Vec<ParamRange>,
}
