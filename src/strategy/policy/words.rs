//! The policy in words: the line for `validate` and the brief's sentence.

use super::params::{PolicyBuy, PolicyParams, PolicyWeights};

/// The weight in symbols: `D^0.5 · (1+M)^-1`; `1` when every exponent is 0.
pub(super) fn weight_formula(w: &PolicyWeights) -> String {
    let factors: Vec<String> = features(w)
        .iter()
        .filter(|(_, _, e)| *e != 0.0)
        .map(|(symbol, _, e)| format!("{symbol}^{e}"))
        .collect();
    if factors.is_empty() {
        "1 (equal)".into()
    } else {
        factors.join(" · ")
    }
}

/// The weight in words for the brief.
pub(super) fn weight_words(w: &PolicyWeights) -> String {
    let factors: Vec<String> = features(w)
        .iter()
        .filter(|(_, _, e)| *e != 0.0)
        .map(|(_, words, e)| match *e {
            1.0 => (*words).to_string(),
            0.5 => format!("the square root of {words}"),
            -1.0 => format!("1 / {words}"),
            e => format!("{words} to the power {e}"),
        })
        .collect();
    if factors.is_empty() {
        "of equal size".into()
    } else {
        format!("in proportion to {}", factors.join(" × "))
    }
}

/// (symbol, words, exponent) of every feature.
fn features(w: &PolicyWeights) -> [(&'static str, &'static str, f64); 6] {
    [
        ("D", "dependents", w.dependents),
        ("C", "criticality", w.criticality),
        ("(1+M)", "(1 + maintainers)", w.maintainers),
        ("(1+B)", "(1 + backlog in person-months)", w.backlog),
        ("(1+V)", "(1 + open vulnerabilities)", w.open_vulnerabilities),
        ("(1+R/100000)", "(1 + EUR received / 100,000)", w.received),
    ]
}

/// ", with at most 2 maintainers and at least 1000 dependents"; empty without thresholds.
pub(super) fn eligibility(p: &PolicyParams) -> String {
    let mut parts = Vec::new();
    if let Some(most) = p.max_maintainers {
        let noun = if most == 1 { "maintainer" } else { "maintainers" };
        parts.push(format!("at most {most} {noun}"));
    }
    if let Some(least) = p.min_dependents {
        parts.push(format!("at least {} dependents", thousands(least)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" with {}", parts.join(" and "))
    }
}

pub(super) fn bought(buy: &PolicyBuy) -> String {
    let names = ["maintenance", "audits", "bug bounties", "fellowships"];
    buy.parts()
        .iter()
        .zip(names)
        .filter(|((share, _), _)| *share > 0.0)
        .map(|((share, _), name)| format!("{} {name}", percent(*share)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A share as a percentage, to one decimal where it has one: `60%`, `12.5%`.
pub(super) fn percent(share: f64) -> String {
    format!("{}%", (share * 1_000.0).round() / 10.0)
}

pub(super) fn percents(shares: &[f64]) -> String {
    shares.iter().map(|&s| percent(s)).collect::<Vec<_>>().join(", ")
}

/// A whole amount with thousands separators: `50,000`; other amounts as they are.
pub(super) fn thousands(amount: f64) -> String {
    if amount.fract() != 0.0 || amount.abs() >= 1e15 {
        return amount.to_string();
    }
    let digits = format!("{}", amount.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if amount < 0.0 { format!("-{out}") } else { out }
}
