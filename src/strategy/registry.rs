//! The rule registry: every [`Rule`] registered once (the `register!` line in
//! `strategy/mod.rs`), and what derives from that list: [`RuleSpec`] (a configured rule
//! of any kind, serialized exactly as the old tagged enum was) and the parsing of a
//! rule's parameters. What reads the list itself (the names, looking a rule up by name,
//! reading a rule back from a manifest) is in `strategy/mod.rs`, where the list is.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::AllocationRule;
use super::rule::{ParamCheck, Parameter, Rule};

/// Declares the rule modules and registers their rules, one line per rule
/// (`module::RuleType`), in the order the names are listed to users.
macro_rules! register {
    ($($module:ident :: $rule:ident),+ $(,)?) => {
        $(mod $module;)+
        /// Every rule a scenario can name: the one list the rest derives from.
        pub(crate) const RULES: &[&dyn registry::RuleKind] =
            &[$(&registry::Kind::<$module::$rule>::NEW),+];
    };
}
pub(super) use register;

/// What the registry knows of one kind of rule, without its parameters.
pub(crate) trait RuleKind: Sync {
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn parameters(&self) -> &'static [Parameter];
    fn example(&self) -> &'static str;
    /// The keys its parameters deserialize from, as serde sees them.
    fn fields(&self) -> &'static [&'static str];
    /// The parameters of [`Rule::EXAMPLE`] with every default filled in, as canonical
    /// JSON; `None` if the example does not parse.
    fn defaults(&self) -> Option<serde_json::Value>;
    /// Checks a `[[strategies]]` entry's parameters; `None` after reporting problems.
    fn parse(
        &self,
        params: &toml::Table,
        check: &mut ParamCheck,
        plain: fn(&str) -> String,
    ) -> Option<RuleSpec>;
    /// The rule from its parameters as recorded in a manifest (the tag removed).
    fn with_params(&self, params: serde_json::Value) -> Result<RuleSpec, String>;
}

/// The registry's handle on rule `R`.
pub(crate) struct Kind<R>(PhantomData<fn() -> R>);

impl<R> Kind<R> {
    pub(crate) const NEW: Self = Self(PhantomData);
}

impl<R: Rule> RuleKind for Kind<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn summary(&self) -> &'static str {
        R::SUMMARY
    }

    fn parameters(&self) -> &'static [Parameter] {
        R::PARAMETERS
    }

    fn example(&self) -> &'static str {
        R::EXAMPLE
    }

    fn fields(&self) -> &'static [&'static str] {
        field_names::<R::Params>()
    }

    fn defaults(&self) -> Option<serde_json::Value> {
        let defaults: R::Params = toml::from_str(R::EXAMPLE).ok()?;
        serde_json::to_value(defaults).ok()
    }

    fn parse(
        &self,
        params: &toml::Table,
        check: &mut ParamCheck,
        plain: fn(&str) -> String,
    ) -> Option<RuleSpec> {
        check.reword_with(plain);
        let fields = self.fields();
        let mut known = params.clone();
        known.retain(|key, _| fields.contains(&key));
        let mut unknown = false;
        for key in params.keys().filter(|key| !known.contains_key(*key)) {
            unknown = true;
            check.fail(key, None, unknown_parameter(key, fields));
        }
        match serde_path_to_error::deserialize::<_, R::Params>(toml::Value::Table(known)) {
            Ok(parsed) => {
                R::check(&parsed, check);
                (!unknown).then(|| RuleSpec::new::<R>(parsed))
            }
            Err(error) => {
                let message = plain(error.inner().message().trim());
                let path = error.path().to_string();
                match message.strip_prefix("missing field `") {
                    Some(rest) if path == "." => {
                        let key = rest.split('`').next().unwrap_or_default();
                        check.fail(key, None, "is required and has no default");
                    }
                    _ if path == "." => check.fail_entry(message),
                    _ => check.fail(&path, None, message),
                }
                None
            }
        }
    }

    fn with_params(&self, params: serde_json::Value) -> Result<RuleSpec, String> {
        R::Params::deserialize(params)
            .map(RuleSpec::new::<R>)
            .map_err(|error| format!("rule `{}`: {error}", R::NAME))
    }
}

/// "`powr` is not a parameter of rule …; did you mean `power`?"
fn unknown_parameter(key: &str, fields: &[&str]) -> String {
    if fields.is_empty() {
        return format!("takes no parameters; remove `{key}`");
    }
    let closest = fields
        .iter()
        .map(|field| (strsim::levenshtein(key, field), *field))
        .min();
    match closest {
        // Within a third of the key's length: a typo rather than another word.
        Some((distance, field)) if distance <= (key.chars().count() / 3).max(1) => {
            format!("unknown parameter `{key}`; did you mean `{field}`?")
        }
        _ => format!(
            "unknown parameter `{key}`; the parameters are {}",
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The field names a struct deserializes from: serde hands them to
/// `deserialize_struct`, where a deserializer that reads nothing can note them.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: de::Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields noted"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    // The error is the point: deserializing stops as soon as the names are known.
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

/// A rule with its parameters, of whichever registered kind.
trait ConfiguredRule: Send + Sync {
    fn name(&self) -> &'static str;
    fn params(&self) -> &dyn erased_serde::Serialize;
    fn as_any(&self) -> &dyn Any;
    fn describe(&self) -> String;
    fn brief(&self) -> String;
    fn build(&self) -> Box<dyn AllocationRule>;
    fn funds(&self) -> bool;
}

struct Configured<R: Rule>(R::Params);

impl<R: Rule> ConfiguredRule for Configured<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn params(&self) -> &dyn erased_serde::Serialize {
        &self.0
    }

    fn as_any(&self) -> &dyn Any {
        &self.0
    }

    fn describe(&self) -> String {
        R::describe(&self.0)
    }

    fn brief(&self) -> String {
        R::brief(&self.0)
    }

    fn build(&self) -> Box<dyn AllocationRule> {
        R::build(&self.0)
    }

    fn funds(&self) -> bool {
        R::FUNDS
    }
}

/// A validated allocation rule with its parameters, as a scenario names it.
///
/// It serializes as `{"rule": NAME, …parameters}`, byte for byte what the tagged enum it
/// replaces wrote, so scenario hashes and manifests are unchanged.
#[derive(Clone)]
pub struct RuleSpec(Arc<dyn ConfiguredRule>);

impl RuleSpec {
    /// Rule `R` with these parameters (unchecked: scenarios go through parsing).
    pub fn new<R: Rule>(params: R::Params) -> Self {
        Self(Arc::new(Configured::<R>(params)))
    }

    /// The `none` baseline every strategy is paired with.
    pub fn none() -> Self {
        Self::new::<super::none::NoFunding>(Default::default())
    }

    /// Whether this is the `none` baseline.
    pub fn is_baseline(&self) -> bool {
        self.name() == <super::none::NoFunding as Rule>::NAME
    }

    /// The rule's name, as in `rule = "…"`.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The parameters, when they are of type `P`.
    pub fn params<P: 'static>(&self) -> Option<&P> {
        self.0.as_any().downcast_ref()
    }

    /// The rule ready to run.
    pub fn build(&self) -> Box<dyn AllocationRule> {
        self.0.build()
    }

    /// Whether the rule ever pays anything.
    pub fn funds(&self) -> bool {
        self.0.funds()
    }

    /// A one-line description with the parameters, for `validate`.
    pub fn describe(&self) -> String {
        self.0.describe()
    }

    /// Plain words for the brief, without the timing.
    pub fn brief(&self) -> String {
        self.0.brief()
    }

    /// The canonical JSON of the rule, as in the scenario's hash.
    fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The shape of a rule in JSON: the tag first, then the parameters' fields in order.
#[derive(Serialize)]
struct Tagged<'a> {
    rule: &'static str,
    #[serde(flatten)]
    params: &'a dyn erased_serde::Serialize,
}

impl Serialize for RuleSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Tagged {
            rule: self.name(),
            params: self.0.params(),
        }
        .serialize(serializer)
    }
}

impl PartialEq for RuleSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name() && self.json() == other.json()
    }
}

impl fmt::Debug for RuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RuleSpec({})", self.json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{FixedParams, ProportionalParams, Score};

    fn proportional(power: f64, max_projects: Option<u32>) -> RuleSpec {
        RuleSpec::new::<crate::strategy::proportional::ProportionalSplit>(ProportionalParams {
            score: Score::Dependents,
            power,
            max_projects,
            min_amount_eur: None,
            max_share: None,
        })
    }

    /// The JSON the tagged enum `RuleSpec` wrote before the registry: the scenario's hash
    /// and every manifest depend on it byte for byte.
    #[test]
    fn serializes_as_the_tagged_enum_did() {
        let json = |rule: &RuleSpec| serde_json::to_string(rule).unwrap();
        assert_eq!(json(&RuleSpec::none()), r#"{"rule":"none"}"#);
        assert_eq!(
            json(&proportional(0.5, None)),
            r#"{"rule":"proportional","score":"dependents","power":0.5}"#
        );
        assert_eq!(
            json(&proportional(1.0, Some(10))),
            r#"{"rule":"proportional","score":"dependents","power":1.0,"max_projects":10}"#
        );
        let fixed = RuleSpec::new::<crate::strategy::fixed::FixedGrants>(FixedParams {
            amounts_eur: vec![1.0, 2.5],
            spread_rest: false,
            rest_median_eur: 3.0,
            rest_sigma_log: 0.5,
        });
        assert_eq!(
            serde_json::to_string_pretty(&fixed).unwrap(),
            "{\n  \"rule\": \"fixed\",\n  \"amounts_eur\": [\n    1.0,\n    2.5\n  ],\n  \
             \"spread_rest\": false,\n  \"rest_median_eur\": 3.0,\n  \"rest_sigma_log\": 0.5\n}"
        );
    }

    #[test]
    fn reads_back_what_it_wrote_and_compares_by_parameters() {
        let rule = proportional(0.5, Some(3));
        let back: RuleSpec = serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
        assert_eq!(back, rule);
        assert_ne!(back, proportional(0.5, None));
        assert_eq!(
            back.params::<ProportionalParams>().unwrap().max_projects,
            Some(3)
        );
        assert!(back.params::<FixedParams>().is_none());
        assert!(RuleSpec::none().is_baseline() && !RuleSpec::none().funds());
        assert!(!rule.is_baseline() && rule.funds());
        let unknown = serde_json::json!({"rule": "fair"});
        assert!(
            RuleSpec::from_json(&unknown)
                .unwrap_err()
                .contains("`fair`")
        );
        let wrong = serde_json::json!({"rule": "proportional", "power": "high"});
        assert!(RuleSpec::from_json(&wrong).is_err());
    }

    #[test]
    fn a_misspelt_parameter_gets_the_closest_name() {
        let fields = ["score", "power", "max_projects"];
        assert!(unknown_parameter("powr", &fields).ends_with("did you mean `power`?"));
        assert!(unknown_parameter("max_project", &fields).ends_with("`max_projects`?"));
        let far = unknown_parameter("budget", &fields);
        assert!(!far.contains("did you mean"), "{far}");
        assert!(far.contains("`score`, `power`, `max_projects`"), "{far}");
        assert_eq!(
            unknown_parameter("power", &[]),
            "takes no parameters; remove `power`"
        );
    }

    #[test]
    fn field_names_are_the_keys_serde_reads() {
        assert_eq!(
            field_names::<ProportionalParams>(),
            [
                "score",
                "power",
                "max_projects",
                "min_amount_eur",
                "max_share"
            ]
        );
        assert!(field_names::<crate::strategy::none::NoParams>().is_empty());
    }
}
