//! The found policy in words a funding board can act on, from its `[[strategies]]` table
//! (the keys of rule `policy`, and `proportional`'s), and the report around it.

use std::fmt::Write;

use super::holdout::{Difference, Verdict};

/// A feature of the project weight: its key, and how to say "more of it".
const FEATURES: [(&str, &str, &str); 6] = [
    ("dependents", "more dependents", "fewer dependents"),
    ("criticality", "higher criticality", "lower criticality"),
    ("maintainers", "larger teams", "fewer maintainers"),
    ("backlog", "a larger backlog", "a smaller backlog"),
    (
        "open_vulnerabilities",
        "more open vulnerabilities",
        "fewer open vulnerabilities",
    ),
    (
        "received",
        "more money from the fund so far",
        "less money from the fund so far",
    ),
];

/// An exponent this close to 0 makes the feature barely matter (a factor 10 in the
/// feature moves the weight by less than 12%): left out of the words.
const NEGLIGIBLE_EXPONENT: f64 = 0.05;

fn number(table: &toml::Table, key: &str) -> Option<f64> {
    let value = match key.split_once('.') {
        Some((head, rest)) => table.get(head)?.as_table()?.get(rest)?,
        None => table.get(key)?,
    };
    value
        .as_float()
        .or_else(|| value.as_integer().map(|v| v as f64))
}

/// `50000` → `EUR 50,000`.
pub fn euros(amount: f64) -> String {
    let whole = amount.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("EUR {}{out}", if whole < 0 { "-" } else { "" })
}

fn percent(share: f64) -> String {
    let value = (share * 1000.0).round() / 10.0;
    format!("{value}%")
}

/// How a weight follows one feature, in words.
fn exponent_words(exponent: f64, more: &str, less: &str, feature: &str) -> String {
    let size = exponent.abs();
    let how = if (size - 0.5).abs() < 0.05 {
        format!("in proportion to the square root of {feature}")
    } else if (size - 1.0).abs() < 0.05 {
        format!("in proportion to {feature}")
    } else if size < 0.5 {
        format!(
            "a little more to projects with {}",
            if exponent > 0.0 { more } else { less }
        )
    } else {
        format!(
            "strongly more to projects with {}",
            if exponent > 0.0 { more } else { less }
        )
    };
    if exponent < 0.0 && (0.45..=1.05).contains(&size) {
        // "in proportion to" reads as "more"; say the direction for a negative power.
        return format!(
            "more to projects with {less} ({feature} to the power {:.2})",
            exponent
        );
    }
    format!("{how} ({feature} to the power {exponent:.2})")
}

/// The policy in a few sentences: who is eligible, how the money is split (the
/// features that matter most first), how large grants are, when the money goes out,
/// what it buys and for how long. `calls` and `projects` are the programme's calls and
/// the portfolio's size (a limit above it limits nothing and is not said).
pub fn policy_in_words(table: &toml::Table, calls: usize, projects: usize) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut who = Vec::new();
    if let Some(most) = number(table, "max_maintainers") {
        let noun = if most == 1.0 {
            "maintainer"
        } else {
            "maintainers"
        };
        who.push(format!("at most {most} {noun}"));
    }
    if let Some(least) = number(table, "min_dependents").filter(|v| *v > 0.0) {
        who.push(format!(
            "at least {} dependents",
            euros(least).trim_start_matches("EUR ")
        ));
    }
    sentences.push(if who.is_empty() {
        "Every project of the portfolio is eligible.".to_string()
    } else {
        format!("Fund only projects with {}.", who.join(" and "))
    });
    let mut split = Vec::new();
    let rule = table.get("rule").and_then(|r| r.as_str()).unwrap_or("");
    if rule == "proportional" {
        let score = table
            .get("score")
            .and_then(|s| s.as_str())
            .unwrap_or("dependents");
        let power = number(table, "power").unwrap_or(1.0);
        if power.abs() >= NEGLIGIBLE_EXPONENT {
            split.push(exponent_words(
                power,
                &format!("more {score}"),
                &format!("less {score}"),
                score,
            ));
        }
    }
    let mut features: Vec<(f64, &str, &str, &str)> = FEATURES
        .iter()
        .map(|&(key, more, less)| {
            let exponent = number(table, &format!("weights.{key}")).unwrap_or(0.0);
            (exponent, key, more, less)
        })
        .filter(|(exponent, ..)| exponent.abs() >= NEGLIGIBLE_EXPONENT)
        .collect();
    features.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    for (exponent, key, more, less) in features {
        let feature = match key {
            "dependents" | "criticality" => key.to_string(),
            "received" => "(1 + EUR received / 100,000)".to_string(),
            _ => format!("(1 + {})", key.replace('_', " ")),
        };
        split.push(exponent_words(exponent, more, less, &feature));
    }
    sentences.push(match split.len() {
        0 => "Split each call's money equally among them.".to_string(),
        1 => format!("Split each call's money {}.", split[0]),
        _ => format!(
            "Split each call's money by a weight that gives, in order of importance: {}.",
            split.join("; ")
        ),
    });
    let mut size = Vec::new();
    if let Some(least) = number(table, "min_amount_eur").filter(|v| *v > 0.0) {
        size.push(format!("at least {} per project and call", euros(least)));
    }
    if let Some(most) = number(table, "max_share").filter(|v| *v < 1.0) {
        size.push(format!(
            "no project more than {} of a call's money",
            percent(most)
        ));
    }
    if let Some(count) = number(table, "max_projects").filter(|c| *c < projects as f64) {
        size.push(format!(
            "at most the {count} heaviest projects at each call"
        ));
    }
    if !size.is_empty() {
        sentences.push(format!("Grant {}.", size.join(", ")));
    }
    if let Some(shares) = table.get("call_shares").and_then(|s| s.as_array()) {
        let shares: Vec<f64> = shares.iter().filter_map(toml::Value::as_float).collect();
        sentences.push(timing_words(&shares, calls));
    } else if let Some(timing) = table.get("timing").and_then(|t| t.as_str()) {
        sentences.push(format!("Release the budget as the `{timing}` timing does."));
    }
    if let Some(buy) = table.get("buy").and_then(|b| b.as_table()) {
        let parts: Vec<String> = [
            ("maintenance", "maintenance grants"),
            ("audit", "security audits"),
            ("bug_bounty", "bug bounties"),
            ("fellowship", "fellowships"),
        ]
        .iter()
        .filter_map(|(key, words)| {
            let share = buy.get(*key)?.as_float()?;
            (share >= 0.005).then(|| format!("{} on {words}", percent(share)))
        })
        .collect();
        sentences.push(format!("Spend {}.", parts.join(", ")));
    }
    if let Some(months) = number(table, "grant_months") {
        sentences.push(format!("Each grant is spent over {months} months."));
    }
    sentences
}

/// When the money goes out: "all in the first two calls (60%, 40%)".
fn timing_words(shares: &[f64], calls: usize) -> String {
    let listed: Vec<String> = shares
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0.0)
        .map(|(k, s)| format!("{} at call {}", percent(*s), k + 1))
        .collect();
    let mut cumulative = 0.0;
    let first = shares
        .iter()
        .position(|s| {
            cumulative += s;
            cumulative >= 0.9
        })
        .map_or(shares.len(), |k| k + 1);
    let out_of = if calls > 0 {
        format!(" of the programme's {calls}")
    } else {
        String::new()
    };
    format!(
        "Release the budget front-loaded: 90% or more in the first {first} call{}{out_of} ({}).",
        if first == 1 { "" } else { "s" },
        listed.join(", ")
    )
}

/// The comparison with the named strategies in plain words: which one is the best named
/// (by the hold-out's level), and whether the found policy beats it.
pub fn comparison_words(
    differences: &[Difference],
    best_named: &str,
    metric: &str,
    higher_is_better: bool,
    share: bool,
) -> String {
    let show = |v: f64| {
        if share {
            format!("{:+.1} percentage points", 100.0 * v)
        } else {
            format!("{v:+.4}")
        }
    };
    let Some(best) = differences.iter().find(|d| d.strategy == best_named) else {
        return "The scenario has no named strategy to compare with.".into();
    };
    let e = best.estimate;
    let interval = format!("95% interval {} to {}", show(e.low), show(e.high));
    match best.verdict(higher_is_better) {
        Verdict::Better => format!(
            "On fresh random numbers the found policy does better than the best named strategy, `{best_named}`: {metric} {} ({interval}).",
            show(e.mean)
        ),
        Verdict::NotDistinguishable => format!(
            "The found policy is NOT shown to be better than the best named strategy, `{best_named}`: on fresh random numbers the difference in {metric} is {} and its {interval} includes 0. Keep `{best_named}` unless a longer search or hold-out shows more.",
            show(e.mean)
        ),
        Verdict::Worse => format!(
            "The found policy is WORSE than the best named strategy, `{best_named}`, on fresh random numbers: {metric} {} ({interval}). The search's estimate was optimistic; keep `{best_named}`.",
            show(e.mean)
        ),
    }
}

/// The table of `holdout.csv` in Markdown.
pub fn differences_table(differences: &[Difference], higher_is_better: bool) -> String {
    let mut out = String::from(
        "| named strategy | found − named | 95% interval | verdict |\n|---|---:|---|---|\n",
    );
    for d in differences {
        let verdict = match d.verdict(higher_is_better) {
            Verdict::Better => "better",
            Verdict::NotDistinguishable => "not distinguishable",
            Verdict::Worse => "worse",
        };
        let _ = writeln!(
            out,
            "| `{}` | {:+.5} | {:+.5} to {:+.5} | {verdict} |",
            d.strategy, d.estimate.mean, d.estimate.low, d.estimate.high
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Estimate;

    #[test]
    fn a_policy_reads_as_a_board_would_say_it() {
        let table: toml::Table = toml::from_str(
            r#"
            name = "found"
            rule = "policy"
            call_shares = [0.6, 0.4, 0.0, 0.0]
            min_amount_eur = 50000.0
            max_maintainers = 2
            weights = { dependents = 0.5, maintainers = -1.2, received = 0.01 }
            "#,
        )
        .unwrap();
        let words = policy_in_words(&table, 4, 62).join(" ");
        assert!(
            words.contains("Fund only projects with at most 2 maintainers."),
            "{words}"
        );
        assert!(
            words.contains("in proportion to the square root of dependents"),
            "{words}"
        );
        assert!(
            words.contains("strongly more to projects with fewer maintainers"),
            "{words}"
        );
        assert!(!words.contains("received"), "{words}");
        assert!(
            words.contains("at least EUR 50,000 per project and call"),
            "{words}"
        );
        assert!(
            words.contains("90% or more in the first 2 calls of the programme's 4 (60% at call 1, 40% at call 2)"),
            "{words}"
        );
    }

    #[test]
    fn the_comparison_says_plainly_when_the_policy_is_not_better() {
        let d = |low: f64, high: f64| Difference {
            strategy: "usage-sqrt".into(),
            estimate: Estimate {
                mean: 0.5 * (low + high),
                low,
                high,
                mcse: 0.0,
            },
        };
        let text = comparison_words(&[d(-0.01, 0.02)], "usage-sqrt", "survival", true, true);
        assert!(text.contains("NOT shown to be better"), "{text}");
        assert!(text.contains("-1.0 percentage points to +2.0"), "{text}");
        let text = comparison_words(&[d(0.01, 0.02)], "usage-sqrt", "survival", true, true);
        assert!(text.contains("does better"), "{text}");
        let text = comparison_words(&[d(0.01, 0.02)], "usage-sqrt", "abandonments", false, false);
        assert!(text.contains("WORSE"), "{text}");
    }
}
