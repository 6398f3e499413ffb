//! Timing profiles: how much of the remaining money each call may spend.

use serde::{Deserialize, Serialize};

/// When the money goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// Everything in the first call; later calls only re-offer what was left over.
    FrontLoaded,
    /// The same share in every call of the programme: what remains over the calls left.
    Even,
    /// The budget is invested and only its real return is spent, at every call until the
    /// horizon (forever, in effect): the principal is never touched.
    Endowment,
}

impl Timing {
    pub const NAMES: [&'static str; 3] = ["front_loaded", "even", "endowment"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "front_loaded" => Some(Self::FrontLoaded),
            "even" => Some(Self::Even),
            "endowment" => Some(Self::Endowment),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::FrontLoaded => "front_loaded",
            Self::Even => "even",
            Self::Endowment => "endowment",
        }
    }

    /// The budget of a call, given the money the fund may spend (for an endowment: the
    /// return accrued and not yet spent) and the number of calls left including this one.
    pub fn call_budget(self, pool_eur: f64, calls_left: usize) -> f64 {
        match self {
            Self::FrontLoaded | Self::Endowment => pool_eur,
            Self::Even => pool_eur / calls_left.max(1) as f64,
        }
    }

    /// The months in which the fund makes calls: during the programme, or for an
    /// endowment until the horizon.
    pub fn call_months(self, fund: &super::FundParams) -> Vec<u32> {
        let end = match self {
            Self::Endowment => fund.horizon_months,
            Self::FrontLoaded | Self::Even => fund.programme_months.min(fund.horizon_months),
        };
        (0..end)
            .step_by(fund.call_interval_months.max(1) as usize)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_spreads_what_remains_and_front_loaded_spends_all() {
        assert_eq!(Timing::Even.call_budget(100.0, 4), 25.0);
        assert_eq!(Timing::Even.call_budget(75.0, 3), 25.0);
        assert_eq!(Timing::FrontLoaded.call_budget(100.0, 4), 100.0);
        assert_eq!(Timing::from_name("even"), Some(Timing::Even));
        assert_eq!(Timing::from_name("later"), None);
    }
}
