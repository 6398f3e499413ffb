//! Scenarios compiled into the binary, so `fundsim run` works from any directory.

/// Built-in scenarios: (name, TOML text).
pub const BUILTIN_SCENARIOS: [(&str, &str); 8] = [
    ("stf", include_str!("../../scenarios/stf.toml")),
    ("timing", include_str!("../../scenarios/timing.toml")),
    ("selection", include_str!("../../scenarios/selection.toml")),
    (
        "deep-vs-thin",
        include_str!("../../scenarios/deep-vs-thin.toml"),
    ),
    (
        "stf-observed",
        include_str!("../../scenarios/stf-observed.toml"),
    ),
    (
        "sensitivity",
        include_str!("../../scenarios/sensitivity.toml"),
    ),
    (
        "what-to-buy",
        include_str!("../../scenarios/what-to-buy.toml"),
    ),
    ("dpi", include_str!("../../scenarios/dpi.toml")),
];

/// The text of a built-in scenario, by name.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN_SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Files that built-in scenarios name (such as the joint draws of an `[uncertainty]`
/// table), compiled in with them: (path as the scenario writes it, text). A built-in
/// scenario has no folder to read them from.
pub const BUILTIN_FILES: [(&str, &str); 2] = [
    (
        "posterior-baseline.csv",
        include_str!("../../scenarios/posterior-baseline.csv"),
    ),
    (
        "dpi-portfolio.csv",
        include_str!("../../scenarios/dpi-portfolio.csv"),
    ),
];

/// The text of a file a built-in scenario names, by the path the scenario writes.
pub fn builtin_file(name: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// A commented template for `fundsim init`: the STF scenario, which lists every field
/// with its default and source.
pub fn template(name: &str) -> String {
    let text = builtin("stf").expect("the stf scenario is built in");
    text.replacen("name = \"stf\"", &format!("name = \"{name}\""), 1)
}
