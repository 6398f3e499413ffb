//! `mix`: a programme mix as one strategy, like the Sovereign Tech Agency's Fund,
//! Resilience and Fellowship side by side. Each part is another rule with its share of
//! every call's budget; at each call every part's rule decides with its share, and the
//! decisions (grants and application efforts) are put together. A mix is then compared
//! with single instruments like any other strategy.
//!
//! ```toml
//! [[strategies]]
//! name = "sta-mix"
//! rule = "mix"
//! parts = [
//!   { share = 0.6, rule = "equal" },
//!   { share = 0.25, rule = "audit", cost_eur = 60000.0 },
//!   { share = 0.15, rule = "fellowship" },
//! ]
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{
    AllocationRule, Call, Decision, ParamCheck, Parameter, ProjectView, Review, Rule, RuleSpec,
};
use crate::rng::SimRng;

/// How far the parts' shares may sum from 1 (rounding in a hand-written file).
const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// Parameters of `rule = "mix"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixParams {
    /// The instruments and their shares of every call's budget.
    pub parts: Vec<MixPart>,
}

/// One part of a mix: a rule with its parameters and its share of the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixPart {
    /// Share of every call's budget (0–1; the parts' shares sum to 1).
    pub share: f64,
    /// `rule = "…"` and that rule's parameters.
    #[serde(flatten)]
    pub rule: PartRule,
}

/// A part's rule as written, and as a rule when it is a valid one.
///
/// A part keeps what was written so that the mix's check can run the part's own
/// parsing on it and report every problem under its full key
/// (`strategies[3].parts[1].cost_eur`); reading it fails only in that check.
#[derive(Debug, Clone)]
pub struct PartRule {
    written: serde_json::Map<String, Value>,
    spec: Option<RuleSpec>,
}

impl PartRule {
    /// The part's rule, when it is a valid one (always, in a validated scenario).
    pub fn spec(&self) -> Option<&RuleSpec> {
        self.spec.as_ref()
    }
}

impl PartialEq for PartRule {
    fn eq(&self, other: &Self) -> bool {
        match (&self.spec, &other.spec) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.written == other.written,
            _ => false,
        }
    }
}

impl<'de> Deserialize<'de> for PartRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let written = serde_json::Map::deserialize(deserializer)?;
        let spec = RuleSpec::from_json(&Value::Object(written.clone())).ok();
        Ok(Self { written, spec })
    }
}

impl Serialize for PartRule {
    /// A valid part as its rule is recorded everywhere (`rule` first, then every
    /// parameter with its default filled in), so the scenario's hash does not depend on
    /// whether a default was written out.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.spec {
            Some(spec) => spec.serialize(serializer),
            None => self.written.serialize(serializer),
        }
    }
}

pub struct Mix;

impl Rule for Mix {
    const NAME: &'static str = "mix";
    const SUMMARY: &'static str =
        "a programme mix: other rules, each with its share of every call's budget";
    const PARAMETERS: &'static [Parameter] = &[Parameter {
        key: "parts",
        allowed: "tables `{ share = 0–1, rule = \"…\", …its parameters }`, shares summing to 1; no `mix`",
        meaning: "the instruments and their shares of every call's budget",
    }];
    const EXAMPLE: &'static str =
        "parts = [{ share = 0.5, rule = \"equal\" }, { share = 0.5, rule = \"audit\" }]";
    type Params = MixParams;

    fn check(p: &MixParams, check: &mut ParamCheck) {
        if p.parts.is_empty() {
            check.fail(
                "parts",
                None,
                "needs at least one part: a table with `share` and `rule`",
            );
            return;
        }
        for (index, part) in p.parts.iter().enumerate() {
            let at = format!("parts[{index}]");
            check.range(&format!("{at}.share"), part.share, 0.0, 1.0);
            check_part(&at, &part.rule, check);
        }
        let total: f64 = p.parts.iter().map(|part| part.share).sum();
        if !total.is_finite() || (total - 1.0).abs() > SHARE_SUM_TOLERANCE {
            let shares: Vec<String> = p.parts.iter().map(|part| part.share.to_string()).collect();
            check.fail(
                "parts",
                Some(shares.join(" + ")),
                format!("the parts' shares must sum to 1 (±{SHARE_SUM_TOLERANCE:e}); they sum to {total}"),
            );
        }
    }

    fn describe(p: &MixParams) -> String {
        let parts: Vec<String> = p
            .parts
            .iter()
            .map(|part| match part.rule.spec() {
                Some(spec) => format!("{} {}", percent(part.share), spec.describe()),
                None => format!("{} an invalid part", percent(part.share)),
            })
            .collect();
        format!("mix: {}", parts.join("; "))
    }

    fn brief(p: &MixParams) -> String {
        let parts: Vec<String> = p
            .parts
            .iter()
            .map(|part| match part.rule.spec() {
                Some(spec) => format!("{} {}", percent(part.share), spec.brief()),
                None => format!("{} an invalid part", percent(part.share)),
            })
            .collect();
        format!("a programme mix: {}", parts.join("; "))
    }

    fn build(params: &MixParams) -> Box<dyn AllocationRule> {
        let total: f64 = params.parts.iter().map(|part| part.share).sum();
        // Shares are taken relative to their sum, so the parts' budgets never add up to
        // more than the call's, whatever the rounding of the shares written.
        let parts = if total > 0.0 && total.is_finite() {
            params
                .parts
                .iter()
                .filter_map(|part| Some((part.share / total, part.rule.spec()?.build())))
                .collect()
        } else {
            Vec::new()
        };
        Box::new(MixRule { parts })
    }
}

/// Checks one part's rule with that rule's own parsing, under the part's key.
fn check_part(at: &str, rule: &PartRule, check: &mut ParamCheck) {
    if let Some(Value::String(name)) = rule.written.get("rule")
        && name == Mix::NAME
    {
        check.fail(
            &format!("{at}.rule"),
            Some(format!("{name:?}")),
            "a mix cannot be part of a mix: list its parts in this one",
        );
        return;
    }
    match serde_json::from_value::<toml::Table>(Value::Object(rule.written.clone())) {
        Ok(table) => check.rule_within(at, &table),
        Err(error) => check.fail(at, None, error.to_string()),
    }
}

/// A share as a percentage, to one decimal where it has one: `60%`, `12.5%`.
fn percent(share: f64) -> String {
    format!("{}%", (share * 1_000.0).round() / 10.0)
}

/// The built mix: each part's rule with its share of every call's budget.
struct MixRule {
    parts: Vec<(f64, Box<dyn AllocationRule>)>,
}

impl AllocationRule for MixRule {
    fn allocate(
        &self,
        call: &Call,
        projects: &[ProjectView],
        review: &Review,
        rng: &mut SimRng,
        decision: &mut Decision,
    ) {
        for (share, rule) in &self.parts {
            let part_call = Call {
                budget_eur: call.budget_eur * share,
                ..*call
            };
            // Each rule gets an empty decision, as the trait promises it.
            let mut part = Decision::default();
            rule.allocate(&part_call, projects, review, rng, &mut part);
            decision.grants.append(&mut part.grants);
            decision
                .application_effort
                .append(&mut part.application_effort);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fund::Purchase;
    use crate::params::{Checker, FundParams};
    use crate::strategy::test_support::{decide_with, view};
    use crate::strategy::{StrategyEntry, parse_entry};

    /// Parses `[[strategies]]` entry number 3 (as in a scenario); the problems' text
    /// when it does not parse.
    fn parse(text: &str) -> Result<RuleSpec, String> {
        let entry: StrategyEntry = toml::from_str(text).unwrap();
        let mut check = Checker::new("scenario.toml");
        let spec = parse_entry(&mut check, 3, &entry, str::to_string);
        match check.into_result("scenario.toml", ()) {
            Ok(()) => Ok(spec.unwrap().rule),
            Err(found) => Err(format!("{found:?}")),
        }
    }

    const STA: &str = r#"
        name = "sta-mix"
        rule = "mix"
        parts = [
          { share = 0.6, rule = "equal" },
          { share = 0.25, rule = "audit" },
          { share = 0.15, rule = "fellowship", apply_share = 1.0, review_noise = 0.0 },
        ]
    "#;

    #[test]
    fn each_part_spends_its_share_of_the_call_and_the_decisions_are_joined() {
        let fund = FundParams {
            min_grant_eur: 0.0,
            ..FundParams::default()
        };
        let budget = 10_000_000.0;
        let call = Call {
            index: 0,
            month: 0,
            budget_eur: budget,
            fund: &fund,
        };
        let projects: Vec<_> = (0..40).map(|i| view(i, 100.0 * (i + 1) as f64)).collect();
        let merit: Vec<f64> = (0..40).map(f64::from).collect();
        let rule = parse(STA).unwrap().build();
        let decision = decide_with(rule.as_ref(), &call, &projects, &merit, 1);
        let spent = |kind: fn(&Purchase) -> bool| -> f64 {
            decision
                .grants
                .iter()
                .filter(|g| kind(&g.buys))
                .map(|g| g.cost_eur(&fund))
                .sum()
        };
        let maintenance = spent(|b| matches!(b, Purchase::Maintenance));
        let audits = spent(|b| matches!(b, Purchase::Audit { .. }));
        let fellows = spent(|b| matches!(b, Purchase::Fellowship { .. }));
        // The equal split spends its share exactly; audits and fellowships come in
        // whole units, so each spends its share less at most one unit's cost.
        assert!((maintenance - 0.6 * budget).abs() < 1e-3, "{maintenance}");
        let audit = 55_000.0 * 1.05 + 10_000.0;
        assert!(audits <= 0.25 * budget && audits > 0.25 * budget - audit, "{audits}");
        let fellow = 132_495.0 * 1.05 + 10_000.0;
        assert!(fellows <= 0.15 * budget && fellows > 0.15 * budget - fellow, "{fellows}");
        assert_eq!(
            decision.application_effort.len(),
            40,
            "the fellowship's applications are kept"
        );
        // Audits of the most used, fellowships for the best reviewed: project 39 both.
        let audited: Vec<usize> = decision
            .grants
            .iter()
            .filter(|g| matches!(g.buys, Purchase::Audit { .. }))
            .map(|g| g.project)
            .collect();
        assert_eq!(audited[0], 39);
        // 2.5M buys 36 audits at EUR 67,750 each (55,000 + 5 % + 10,000).
        assert_eq!(audited.len(), 36);
    }

    #[test]
    fn the_brief_and_the_description_give_the_shares() {
        let rule = parse(STA).unwrap();
        let brief = rule.brief();
        assert!(
            brief.starts_with("a programme mix: 60% equal grants to every eligible project; 25% security audits"),
            "{brief}"
        );
        assert!(brief.contains("; 15% 24-month fellowships"), "{brief}");
        assert!(rule.describe().starts_with("mix: 60% equal split"));
        assert_eq!(percent(0.125), "12.5%");
    }

    #[test]
    fn a_part_is_recorded_with_its_defaults_and_read_back() {
        let rule = parse(STA).unwrap();
        let json = serde_json::to_value(&rule).unwrap();
        assert_eq!(json["rule"], "mix");
        assert_eq!(json["parts"][1]["rule"], "audit");
        assert_eq!(json["parts"][1]["share"], 0.25);
        assert_eq!(json["parts"][1]["cost_eur"], 55_000.0, "defaults written out");
        let back = RuleSpec::from_json(&json).unwrap();
        assert_eq!(back, rule);
        let written_out = STA.replace(
            "rule = \"audit\"",
            "rule = \"audit\", cost_eur = 55000.0, fix_share = 0.8",
        );
        assert_eq!(parse(&written_out).unwrap(), rule, "same rule, same record");
    }

    #[test]
    fn bad_parts_are_reported_under_their_full_keys() {
        let problems = |parts: &str| parse(&format!("rule = \"mix\"\nparts = {parts}")).unwrap_err();
        let sum = problems(r#"[{ share = 0.6, rule = "equal" }, { share = 0.3, rule = "audit" }]"#);
        assert!(sum.contains("strategies[3].parts"), "{sum}");
        assert!(sum.contains("must sum to 1"), "{sum}");
        let range = problems(r#"[{ share = 0.5, rule = "equal" }, { share = 0.5, rule = "audit", discovery_share = 1.5 }]"#);
        assert!(range.contains("strategies[3].parts[1].discovery_share"), "{range}");
        assert!(range.contains("rule `audit`"), "{range}");
        let kind = problems(r#"[{ share = 1.0, rule = "audit", cost_eur = "much" }]"#);
        assert!(kind.contains("strategies[3].parts[0].cost_eur"), "{kind}");
        let unknown = problems(r#"[{ share = 1.0, rule = "audit", cost_euro = 5.0 }]"#);
        assert!(unknown.contains("strategies[3].parts[0].cost_euro"), "{unknown}");
        assert!(unknown.contains("did you mean `cost_eur`?"), "{unknown}");
        let nested = problems(r#"[{ share = 1.0, rule = "mix", parts = [] }]"#);
        assert!(nested.contains("strategies[3].parts[0].rule"), "{nested}");
        assert!(nested.contains("cannot be part of a mix"), "{nested}");
        let missing = problems(r#"[{ share = 1.0 }]"#);
        assert!(missing.contains("strategies[3].parts[0]"), "{missing}");
        assert!(missing.contains("needs `rule`"), "{missing}");
        let share = problems(r#"[{ share = 1.5, rule = "equal" }]"#);
        assert!(share.contains("strategies[3].parts[0].share"), "{share}");
        let empty = problems("[]");
        assert!(empty.contains("needs at least one part"), "{empty}");
    }
}
