//! What a rule is: the [`Rule`] trait every allocation rule implements, once, and the
//! [`ParamCheck`] its parameter checks report through.
//!
//! Everything else about a rule (its place in [`RuleSpec`](super::RuleSpec), the list of
//! names, parsing a `[[strategies]]` entry, the brief's description, the docs table)
//! derives from this trait and the rule's line in the registry (`super::registry`).

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AllocationRule;
use crate::params::Checker;

/// An allocation rule a scenario can name.
pub trait Rule: 'static {
    /// The name a scenario gives in `rule = "…"`.
    const NAME: &'static str;
    /// What the rule does, in one line, for the docs table.
    const SUMMARY: &'static str;
    /// What each parameter means and which values are allowed, in the order of the
    /// fields of [`Rule::Params`] (a unit test checks both lists name the same keys).
    const PARAMETERS: &'static [Parameter];

    /// The rule's own keys of a `[[strategies]]` entry. Defaults are serde defaults, so a
    /// scenario, the docs table and `validate` see the same ones. Serialized, the fields
    /// follow the tag `rule` in the scenario's canonical JSON (and so in its hash).
    type Params: Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync + 'static;

    /// Range checks of the parameters, reported through `check` with their full key.
    fn check(params: &Self::Params, check: &mut ParamCheck);

    /// One line with the parameters, for `validate`.
    fn describe(params: &Self::Params) -> String;

    /// Plain words for the brief ("grants proportional to the square root of
    /// dependents"); the timing is added by the brief.
    fn brief(params: &Self::Params) -> String;

    /// The rule ready to run.
    fn build(params: &Self::Params) -> Box<dyn AllocationRule>;

    /// Whether the rule ever pays anything (only the `none` baseline does not).
    const FUNDS: bool = true;

    /// The parameters a scenario must give, as TOML (only those without a default): the
    /// docs mark them required, and the tests of every rule use them.
    const EXAMPLE: &'static str = "";
}

/// A parameter's entry in the docs table. Its default comes from serde, not from here.
#[derive(Debug, Clone, Copy)]
pub struct Parameter {
    pub key: &'static str,
    /// Values allowed, in words (`0–10`, `> 0`, `dependents`, `criticality`, …).
    pub allowed: &'static str,
    pub meaning: &'static str,
}

/// Where a rule reports a problem with one of its parameters: every problem names the
/// full key (`strategies[3].power`) and the strategy and rule it belongs to.
pub struct ParamCheck<'c, 'a> {
    check: &'c mut Checker<'a>,
    index: usize,
    strategy: &'c str,
    rule: &'static str,
    /// Where the parameters sit inside the strategy's entry: empty for its own, and
    /// `parts[1]` for a rule nested in a `mix`, so every key is the full dotted one.
    within: String,
    /// Rewords serde's messages for a scenario's author (see `parse_entry`).
    plain: fn(&str) -> String,
    /// Checks a rule written inside this one's parameters (see [`NestedRuleCheck`]).
    nested_rule: NestedRuleCheck,
}

/// Checks a rule written inside another rule's parameters (a `mix`'s part, at `part`,
/// e.g. `parts[1]`, as a table with `rule` and its parameters), reporting every problem
/// under its full key. Given by whoever holds the list of rules (`strategy/mod.rs`), so
/// that a rule made of rules needs no import of that list.
pub type NestedRuleCheck = fn(part: &str, table: &toml::Table, check: &mut ParamCheck);

impl<'c, 'a> ParamCheck<'c, 'a> {
    pub(crate) fn new(
        check: &'c mut Checker<'a>,
        index: usize,
        strategy: &'c str,
        rule: &'static str,
        nested_rule: NestedRuleCheck,
    ) -> Self {
        Self {
            check,
            index,
            strategy,
            rule,
            within: String::new(),
            plain: str::to_string,
            nested_rule,
        }
    }

    /// Checks the rule written at `part` of this rule's parameters (`parts[1]`): its
    /// `rule` must name a registered rule, whose own parsing then checks the rest.
    pub fn rule_within(&mut self, part: &str, table: &toml::Table) {
        (self.nested_rule)(part, table, self);
    }

    /// The check of rule `rule`'s parameters nested at `part` (`parts[1]`) of this
    /// strategy's entry: its problems carry the full key (`strategies[3].parts[1].cost_eur`).
    pub fn nested(&mut self, part: &str, rule: &'static str) -> ParamCheck<'_, 'a> {
        ParamCheck {
            check: &mut *self.check,
            index: self.index,
            strategy: self.strategy,
            rule,
            within: if self.within.is_empty() {
                part.to_string()
            } else {
                format!("{}.{part}", self.within)
            },
            plain: self.plain,
            nested_rule: self.nested_rule,
        }
    }

    /// Rewords serde's messages with `plain` (the scenario's wording of types).
    pub(crate) fn reword_with(&mut self, plain: fn(&str) -> String) {
        self.plain = plain;
    }

    /// How serde's messages are reworded for a scenario's author.
    pub fn plain(&self) -> fn(&str) -> String {
        self.plain
    }

    /// `strategies[3]` followed by where the parameters sit and then `rest`, dotted.
    fn entry_key(&self, rest: &str) -> String {
        let mut key = format!("strategies[{}]", self.index);
        for part in [self.within.as_str(), rest] {
            if !part.is_empty() {
                key.push('.');
                key.push_str(part);
            }
        }
        key
    }

    /// The full key of parameter `key` of this strategy.
    pub fn key(&self, key: &str) -> String {
        self.entry_key(key)
    }

    /// Records a problem with parameter `key`.
    pub fn fail(&mut self, key: &str, value: Option<String>, problem: impl Into<String>) {
        let problem = self.about(&problem.into());
        self.check.fail(&self.key(key), value, problem);
    }

    /// Records a problem with the strategy's parameters as a whole.
    pub fn fail_entry(&mut self, problem: impl Into<String>) {
        let problem = self.about(&problem.into());
        let entry = self.entry_key("");
        self.check.fail(&entry, None, problem);
    }

    /// The problem, prefixed with whose parameter it is: the rule, and the strategy's
    /// name when the scenario gave it one.
    fn about(&self, problem: &str) -> String {
        if self.strategy == self.rule {
            format!("rule `{}`: {problem}", self.rule)
        } else {
            format!(
                "strategy {:?} (rule `{}`): {problem}",
                self.strategy, self.rule
            )
        }
    }

    /// Runs one of [`Checker`]'s checks on parameter `key` and reports what it finds
    /// with the strategy's name, in the words every other field's problem has.
    fn relay(&mut self, key: &str, test: impl FnOnce(&mut Checker, &str)) {
        let field = self.key(key);
        let mut scratch = Checker::new("");
        test(&mut scratch, &field);
        if let Err(found) = scratch.into_result("", ()) {
            for issue in found.issues {
                let problem = self.about(&issue.problem);
                self.check.fail(&issue.field, issue.value, problem);
            }
        }
    }

    /// `value` must be finite and within `[low, high]`.
    pub fn range(&mut self, key: &str, value: f64, low: f64, high: f64) {
        self.relay(key, |check, field| check.range(field, value, low, high));
    }

    /// `value` must be finite, above zero and at most `high`.
    pub fn positive(&mut self, key: &str, value: f64, high: f64) {
        self.relay(key, |check, field| check.positive(field, value, high));
    }

    /// `value` must be a probability.
    pub fn probability(&mut self, key: &str, value: f64) {
        self.relay(key, |check, field| check.probability(field, value));
    }

    /// An integer within `[low, high]`.
    pub fn count(&mut self, key: &str, value: u64, low: u64, high: u64) {
        self.relay(key, |check, field| check.count(field, value, low, high));
    }
}
