//! The searched space: named, bounded dimensions of a strategy's parameters, and how a
//! point of the optimiser's unbounded coordinates becomes a `[[strategies]]` table.
//!
//! Bounds are kept by a transformation rather than by penalties: each coordinate is
//! mirrored into [0, 1] (a triangle wave, period 2), the box-constraint handling by
//! reflection that Hansen recommends for CMA-ES (it keeps the sampling distribution
//! continuous at the bounds). Values are then rounded to what a person would write
//! (three significant figures; whole thousands of euros; whole numbers where the
//! parameter takes them), so the policy evaluated is exactly the policy written.

use crate::params::{FundParams, Timing};
use crate::strategy::POLICY_SEARCH_RANGES;

/// How a dimension's value enters the strategy's table.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A number at `key` (dotted within the strategy table, e.g. `weights.dependents`).
    Real,
    /// A whole number at `key`.
    Integer,
    /// One share of a group that sums to 1: the next element of the array `key` (e.g.
    /// `call_shares`), or the entry `key` of a table of shares (e.g. `buy.audit`, group
    /// `buy`). The group's raw values in [0, 1] are normalised to sum to 1.
    Share,
}

/// One searched parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// The parameter's key in the strategy table (dotted); for a share, the array's key
    /// (the dimension is the next element of it).
    pub key: String,
    pub kind: Kind,
    pub low: f64,
    pub high: f64,
    /// Where the search starts (within the bounds).
    pub start: f64,
    /// Leave the parameter out of the table (its "not set" meaning: no limit) when the
    /// value reaches the upper bound, e.g. at most 10 maintainers as "any team".
    pub unset_at_high: bool,
}

impl Dimension {
    pub fn new(key: &str, kind: Kind, (low, high): (f64, f64), start: f64) -> Self {
        Self {
            key: key.to_string(),
            kind,
            low,
            high,
            start: start.clamp(low, high),
            unset_at_high: false,
        }
    }

    /// The name in `trace.csv`: the key, with the element index for an array's share.
    fn column(&self, share_index: usize) -> String {
        match self.kind {
            Kind::Share if !self.key.contains('.') => format!("{}[{share_index}]", self.key),
            _ => self.key.clone(),
        }
    }

    /// The group a share is normalised with: its array, or its table.
    fn group(&self) -> &str {
        self.key.split('.').next().unwrap_or(&self.key)
    }
}

/// A family of strategies: fixed entries (`rule`, `timing`, …) plus searched dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpace {
    /// Entries every candidate has (the `name` is added when a table is written).
    pub fixed: toml::Table,
    pub dimensions: Vec<Dimension>,
}

/// Mirrors `y` into [0, 1]: identity on [0, 1], reflected at each bound.
pub fn mirror(y: f64) -> f64 {
    let t = y.rem_euclid(2.0);
    if t <= 1.0 { t } else { 2.0 - t }
}

/// `x` to three significant figures (what a funding board would write).
pub fn three_figures(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 2 - x.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits);
    let rounded = (x * factor).round() / factor;
    // Parse back the shortest decimal so the value is the one the TOML shows.
    format!("{rounded:.*}", digits.max(0) as usize)
        .parse()
        .unwrap_or(rounded)
}

impl SearchSpace {
    /// The optimiser's starting point (its coordinates are the unit values).
    pub fn start(&self) -> Vec<f64> {
        self.dimensions
            .iter()
            .map(|d| {
                if d.high > d.low {
                    (d.start - d.low) / (d.high - d.low)
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The column names of `trace.csv`, one per dimension.
    pub fn columns(&self) -> Vec<String> {
        let mut seen: Vec<&str> = Vec::new();
        self.dimensions
            .iter()
            .map(|d| {
                let index = seen.iter().filter(|k| **k == d.key).count();
                seen.push(&d.key);
                d.column(index)
            })
            .collect()
    }

    /// The parameter values of the optimiser's point `y`: mirrored into the bounds,
    /// shares normalised within their group, rounded as written.
    pub fn values(&self, y: &[f64]) -> Vec<f64> {
        let mut values: Vec<f64> = self
            .dimensions
            .iter()
            .zip(y)
            .map(|(d, &y)| {
                let x = d.low + mirror(y) * (d.high - d.low);
                match d.kind {
                    Kind::Integer => x.round(),
                    Kind::Share => x,
                    Kind::Real if d.key.ends_with("_eur") => (x / 1000.0).round() * 1000.0,
                    Kind::Real => three_figures(x),
                }
            })
            .collect();
        let mut groups: Vec<&str> = Vec::new();
        for d in &self.dimensions {
            if d.kind == Kind::Share && !groups.contains(&d.group()) {
                groups.push(d.group());
            }
        }
        for group in groups {
            let members: Vec<usize> = (0..self.dimensions.len())
                .filter(|&i| {
                    self.dimensions[i].kind == Kind::Share && self.dimensions[i].group() == group
                })
                .collect();
            let shares = normalised_shares(&members.iter().map(|&i| values[i]).collect::<Vec<_>>());
            for (&i, share) in members.iter().zip(shares) {
                values[i] = share;
            }
        }
        values
    }

    /// The strategy table of parameter `values` (as [`SearchSpace::values`] gives them),
    /// called `name`.
    pub fn table(&self, name: &str, values: &[f64]) -> toml::Table {
        let mut table = toml::Table::new();
        table.insert("name".into(), name.into());
        for (key, value) in &self.fixed {
            table.insert(key.clone(), value.clone());
        }
        for (d, &value) in self.dimensions.iter().zip(values) {
            if d.unset_at_high && value >= d.high {
                continue;
            }
            let item = match d.kind {
                Kind::Integer => toml::Value::Integer(value as i64),
                _ => toml::Value::Float(value),
            };
            if d.kind == Kind::Share && !d.key.contains('.') {
                let entry = table
                    .entry(d.key.clone())
                    .or_insert_with(|| toml::Value::Array(Vec::new()));
                if let toml::Value::Array(array) = entry {
                    array.push(item);
                }
                continue;
            }
            insert_dotted(&mut table, &d.key, item);
        }
        table
    }
}

/// Shares in [0, 1] normalised to sum to 1, each to three decimals, the largest taking
/// the rounding remainder; equal shares when all are 0.
fn normalised_shares(raw: &[f64]) -> Vec<f64> {
    let total: f64 = raw.iter().sum();
    let n = raw.len().max(1) as f64;
    let mut shares: Vec<f64> = raw
        .iter()
        .map(|&x| {
            let share = if total > 0.0 { x / total } else { 1.0 / n };
            (share * 1000.0).round() / 1000.0
        })
        .collect();
    if let Some(largest) =
        (0..shares.len()).max_by(|&a, &b| shares[a].total_cmp(&shares[b]).then(b.cmp(&a)))
    {
        let others: f64 = (0..shares.len())
            .filter(|&i| i != largest)
            .map(|i| shares[i])
            .sum();
        shares[largest] = ((1.0 - others) * 1000.0).round() / 1000.0;
    }
    shares
}

fn insert_dotted(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = table
                .entry(head.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(inner) = inner {
                insert_dotted(inner, rest, value);
            }
        }
    }
}

/// The search space of rule `proportional` on dependents: its power, minimum amount and
/// maximum share (the family `usage-sqrt` and `usage-proportional` belong to).
pub fn proportional_space() -> SearchSpace {
    let mut fixed = toml::Table::new();
    fixed.insert("rule".into(), "proportional".into());
    fixed.insert("timing".into(), "even".into());
    fixed.insert("score".into(), "dependents".into());
    let mut max_share = Dimension::new("max_share", Kind::Real, (0.02, 1.0), 1.0);
    max_share.unset_at_high = true;
    SearchSpace {
        fixed,
        dimensions: vec![
            Dimension::new("power", Kind::Real, (0.0, 2.0), 0.5),
            Dimension::new("min_amount_eur", Kind::Real, (0.0, 300_000.0), 0.0),
            max_share,
        ],
    }
}

/// Where the search of rule `policy` starts for each scalar key: `usage-sqrt`'s split
/// (the square root of dependents), no thresholds or limits, the fund's grant duration.
fn policy_start(key: &str, fund: &FundParams) -> Option<f64> {
    Some(match key {
        "weights.dependents" => 0.5,
        "max_share" | "max_maintainers" | "max_projects" => f64::INFINITY,
        "grant_months" => f64::from(fund.grant_duration_months),
        _ => return None,
    })
}

/// The family of rule `policy` (docs/strategies.md) as the optimiser searches it: one
/// share per call of the programme (released front-loaded: the shares are the timing),
/// the exponents of the six features, the grant limits, the eligibility thresholds, the
/// number of projects, the grant duration (every scalar in the range the rule documents
/// for search, `POLICY_SEARCH_RANGES`) and the shares of the four instruments. The
/// limits are left out (no limit) at the top of their range.
pub fn policy_space(fund: &FundParams) -> SearchSpace {
    let mut fixed = toml::Table::new();
    fixed.insert("rule".into(), "policy".into());
    fixed.insert("timing".into(), Timing::FrontLoaded.name().into());
    let calls = Timing::FrontLoaded.call_months(fund).len();
    let mut dimensions: Vec<Dimension> = (0..calls)
        .map(|_| Dimension::new("call_shares", Kind::Share, (0.0, 1.0), 0.5))
        .collect();
    for range in POLICY_SEARCH_RANGES {
        let kind = if range.integer {
            Kind::Integer
        } else {
            Kind::Real
        };
        let start = policy_start(range.key, fund).unwrap_or(range.low.max(0.0).min(range.high));
        let mut dimension = Dimension::new(range.key, kind, (range.low, range.high), start);
        dimension.unset_at_high =
            matches!(range.key, "max_share" | "max_maintainers" | "max_projects");
        dimensions.push(dimension);
    }
    for (instrument, start) in [
        ("maintenance", 1.0),
        ("audit", 0.0),
        ("bug_bounty", 0.0),
        ("fellowship", 0.0),
    ] {
        let mut share = Dimension::new("buy", Kind::Share, (0.0, 1.0), start);
        share.key = format!("buy.{instrument}");
        dimensions.push(share);
    }
    SearchSpace { fixed, dimensions }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The policy family starts at `usage-sqrt`'s split with equal call shares, all
    /// maintenance, and a start that the rule accepts.
    #[test]
    fn the_policy_family_starts_at_a_valid_named_special_case() {
        let stf = crate::scenario::parse_with_overrides(
            crate::scenario::builtin("stf").unwrap(),
            "stf",
            &[],
        )
        .unwrap();
        let space = policy_space(&stf.fund);
        let calls = space
            .columns()
            .iter()
            .filter(|c| c.starts_with("call_shares"))
            .count();
        assert_eq!(calls, 4);
        assert_eq!(space.dimensions.len(), 4 + POLICY_SEARCH_RANGES.len() + 4);
        let table = space.table("found", &space.values(&space.start()));
        let text = toml::to_string(&table).unwrap();
        for expected in [
            "call_shares = [0.25, 0.25, 0.25, 0.25]",
            "rule = \"policy\"",
            "timing = \"front_loaded\"",
            "grant_months = 18",
            "dependents = 0.5",
            "maintenance = 1.0",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        for unset in ["max_share", "max_maintainers", "max_projects"] {
            assert!(!table.contains_key(unset), "{text}");
        }
        let with = crate::analysis::optimize::with_strategy(
            crate::scenario::builtin("stf").unwrap(),
            &table,
        )
        .unwrap();
        let parsed = crate::scenario::parse_with_overrides(&with, "stf", &[]).unwrap();
        assert_eq!(parsed.strategies.last().unwrap().name, "found");
    }

    #[test]
    fn mirroring_keeps_every_point_in_the_box_and_the_box_unchanged() {
        assert_eq!(mirror(0.25), 0.25);
        assert_eq!(mirror(1.0), 1.0);
        assert!((mirror(1.25) - 0.75).abs() < 1e-15);
        assert!((mirror(-0.25) - 0.25).abs() < 1e-15);
        assert!((mirror(2.5) - 0.5).abs() < 1e-15);
        for k in -50..50 {
            let u = mirror(f64::from(k) * 0.173);
            assert!((0.0..=1.0).contains(&u));
        }
    }

    #[test]
    fn rounds_as_people_write() {
        assert_eq!(three_figures(0.123_456), 0.123);
        assert_eq!(three_figures(1.987_6), 1.99);
        assert_eq!(three_figures(-0.000_456_78), -0.000_457);
        assert_eq!(three_figures(123_456.0), 123_000.0);
        let shares = normalised_shares(&[0.2, 0.2, 0.2]);
        assert_eq!(normalised_shares(&[0.9, 0.3, 0.0]), [0.75, 0.25, 0.0]);
        assert_eq!(shares, [0.334, 0.333, 0.333]);
        assert_eq!(normalised_shares(&[0.0, 0.0]), [0.5, 0.5]);
    }

    #[test]
    fn a_point_becomes_a_strategies_table() {
        let mut space = proportional_space();
        space
            .dimensions
            .push(Dimension::new("call_shares", Kind::Share, (0.0, 1.0), 0.5));
        space
            .dimensions
            .push(Dimension::new("call_shares", Kind::Share, (0.0, 1.0), 0.5));
        space.dimensions.push(Dimension::new(
            "weights.maintainers",
            Kind::Real,
            (-2.0, 1.0),
            0.0,
        ));
        assert_eq!(
            space.columns(),
            [
                "power",
                "min_amount_eur",
                "max_share",
                "call_shares[0]",
                "call_shares[1]",
                "weights.maintainers"
            ]
        );
        let start = space.start();
        assert_eq!(start, [0.25, 0.0, 1.0, 0.5, 0.5, 2.0 / 3.0]);
        let values = space.values(&[0.25, 0.51234, 1.2, 0.3, 0.1, 2.0 / 3.0 + 1.0 / 3.0]);
        assert_eq!(values, [0.5, 154_000.0, 0.804, 0.75, 0.25, 1.0]);
        let table = space.table("found", &values);
        let text = toml::to_string(&table).unwrap();
        assert!(text.contains("name = \"found\""), "{text}");
        assert!(text.contains("power = 0.5"), "{text}");
        assert!(text.contains("call_shares = [0.75, 0.25]"), "{text}");
        assert!(text.contains("[weights]\nmaintainers = 1.0"), "{text}");
        // Shares of a table are normalised within it.
        let mut buy = SearchSpace {
            fixed: toml::Table::new(),
            dimensions: Vec::new(),
        };
        for key in ["buy.maintenance", "buy.audit"] {
            buy.dimensions
                .push(Dimension::new(key, Kind::Share, (0.0, 1.0), 0.5));
        }
        let text = toml::to_string(&buy.table("x", &buy.values(&[0.3, 0.1]))).unwrap();
        assert!(
            text.contains("maintenance = 0.75") && text.contains("audit = 0.25"),
            "{text}"
        );
        // At the upper bound, max_share is left out (no cap).
        let table = space.table("found", &space.values(&start));
        assert!(!table.contains_key("max_share"));
    }
}
