//! The words and numbers of the sensitivity report: measures and shares as text, lists
//! and quotes, what a metric means, and the names of the methods.

use super::groups::Group;
use crate::output::read::sensitivity::{Interval, MethodName, SensitivityData};
use crate::plot::style::{css_colour, thousands};
use crate::report::html::{escape, signed};
use crate::report::tables::metric_description;

/// What an undefined cell shows.
pub(super) const MISSING: &str = "—";

/// A number with about three significant digits (Morris effects are in output units).
pub(super) fn significant(value: f64) -> String {
    if !value.is_finite() {
        return MISSING.into();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 {
        "0".into()
    } else if magnitude >= 1000.0 {
        thousands(value)
    } else {
        let digits = (2 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        signed(value, digits)
    }
}

/// A parameter's median: whole numbers without decimals.
pub(super) fn median_text(data: &SensitivityData, p: usize, median: f64) -> String {
    if data.whole_number[p] {
        thousands(median)
    } else {
        significant(median)
    }
}

/// A Sobol index: two decimals, three below 0.1.
pub(super) fn index_text(value: f64) -> String {
    if !value.is_finite() {
        MISSING.into()
    } else if value == 0.0 {
        "0".into()
    } else if value.abs() >= 0.1 {
        signed(value, 2)
    } else {
        signed(value, 3)
    }
}

/// Main measures as text for this method.
pub(super) fn measure(method: MethodName, value: f64) -> String {
    match method {
        MethodName::Morris => significant(value),
        MethodName::Sobol => index_text(value),
    }
}

pub(super) fn interval_text(method: MethodName, x: Interval) -> Option<String> {
    (x.low.is_finite() && x.high.is_finite())
        .then(|| format!("{}–{}", measure(method, x.low), measure(method, x.high)))
}

pub(super) fn noise_text(share: f64) -> String {
    if share > 1.0 {
        // An upper bound: independent noise of that size would explain it all.
        format!("over 100% ({share:.2}×)")
    } else if share.is_finite() {
        format!("{:.1}%", 100.0 * share)
    } else {
        "— (constant)".into()
    }
}

pub(super) fn percent(share: f64) -> String {
    format!("{:.0}%", 100.0 * share)
}

pub(super) fn swatch(index: usize) -> String {
    format!(
        r#"<span class="swatch" style="background:{}"></span>"#,
        css_colour(index)
    )
}

pub(super) fn quoted(name: &str) -> String {
    format!("“{}”", escape(name))
}

/// "a", "a and b", "a, b and c".
pub(super) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a metric means, in words.
pub(super) fn describe_metric(metric: &str) -> String {
    let description = metric_description(metric);
    if description.is_empty() {
        metric.to_string()
    } else {
        description
    }
}

/// The group's parameter order, as in its chart: by the largest main measure over the
/// strategies, ties in parameter order.
pub(super) fn group_order(data: &SensitivityData, outputs: &[usize]) -> Vec<usize> {
    let size = |p: usize| {
        outputs
            .iter()
            .map(|&o| data.indices[o].main[p].value)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    };
    let mut order: Vec<usize> = (0..data.info.parameters.len()).collect();
    order.sort_by(|&a, &b| size(b).total_cmp(&size(a)).then(a.cmp(&b)));
    order
}

pub(super) fn label(data: &SensitivityData, p: usize) -> String {
    escape(&data.info.parameters[p].label)
}

pub(super) fn method_name(method: MethodName) -> &'static str {
    match method {
        MethodName::Morris => "Morris screening",
        MethodName::Sobol => "Sobol indices",
    }
}

pub(super) fn main_symbol(method: MethodName) -> &'static str {
    match method {
        MethodName::Morris => "μ*",
        MethodName::Sobol => "total index",
    }
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// The subject of a group's sentence or heading.
pub(super) fn group_subject(group: &Group) -> String {
    if group.versus.is_empty() {
        format!(
            "{} (<code>{}</code>)",
            escape(&describe_metric(&group.metric)),
            escape(&group.metric)
        )
    } else {
        format!(
            "each strategy’s gain over {} in <code>{}</code> (paired)",
            quoted(&group.versus),
            escape(&group.metric)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(significant(0.012_345), "0.0123");
        assert_eq!(significant(-1.2345), "−1.23");
        assert_eq!(significant(123.45), "123");
        assert_eq!(significant(24_600_000.0), "24,600,000");
        assert_eq!(significant(f64::NAN), MISSING);
        assert_eq!(index_text(0.534), "0.53");
        assert_eq!(index_text(0.0061), "0.006");
        assert_eq!(index_text(0.0), "0");
        assert_eq!(list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(capitalise("share"), "Share");
    }
}
