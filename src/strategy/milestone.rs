//! `milestone`: grants paid in tranches, as the STF's milestone-based service contracts
//! and OTF's deliverable-based payments. Shares follow a score like `proportional`
//! (equal by default); each grant is paid in equal tranches over its duration, and a
//! tranche falling due while the project is dormant or abandoned is withheld and returns
//! to the fund's pool for the next call.

use serde::{Deserialize, Serialize};

use super::{
    AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule, Score,
    split_by_weights,
};
use crate::rng::SimRng;

/// Parameters of `rule = "milestone"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneParams {
    /// Tranches per grant, paid at equal intervals over its duration.
    #[serde(default = "default_tranches")]
    pub tranches: u32,
    /// What the shares follow.
    #[serde(default = "default_score")]
    pub score: Score,
    /// Exponent applied to the score (0: equal shares).
    #[serde(default)]
    pub power: f64,
}

fn default_tranches() -> u32 {
    3
}

fn default_score() -> Score {
    Score::Dependents
}

pub struct Milestones(pub MilestoneParams);

impl Rule for Milestones {
    const NAME: &'static str = "milestone";
    const SUMMARY: &'static str = "grants paid in tranches, withheld from projects that went dormant";
    const PARAMETERS: &'static [Parameter] = &[
        Parameter {
            key: "tranches",
            allowed: "1–24",
            meaning: "tranches per grant",
        },
        Parameter {
            key: "score",
            allowed: "as `proportional`",
            meaning: "what the shares follow",
        },
        Parameter {
            key: "power",
            allowed: "0–10",
            meaning: "exponent of the score (0: equal shares)",
        },
    ];
    type Params = MilestoneParams;

    fn check(p: &MilestoneParams, check: &mut ParamCheck) {
        check.count("tranches", p.tranches.into(), 1, 24);
        check.range("power", p.power, 0.0, 10.0);
    }

    fn describe(p: &MilestoneParams) -> String {
        format!(
            "milestones: {} tranches, shares by {} ^ {}",
            p.tranches,
            p.score.name(),
            p.power
        )
    }

    fn brief(_: &MilestoneParams) -> String {
        "grants paid in tranches, withheld from dormant projects".into()
    }

    fn build(params: &MilestoneParams) -> Box<dyn AllocationRule> {
        Box::new(Self(params.clone()))
    }
}

impl AllocationRule for Milestones {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        _review: &Review,
        _rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        let MilestoneParams {
            tranches,
            score,
            power,
        } = self.0;
        let weights = projects
            .iter()
            .filter(|p| p.eligible())
            .map(|p| (p, score.of(p).max(0.0).powf(power)));
        split_by_weights(call, weights, &mut decision.grants);
        decision
            .grants
            .iter_mut()
            .for_each(|grant| grant.tranches = tranches);
    }
}
