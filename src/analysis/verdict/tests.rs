use std::collections::BTreeMap;

use super::*;

/// An interval of the difference to the best: mean ± 1.96·se.
fn diff(mean: f64, se: f64) -> Estimate {
    Estimate::normal(mean, se)
}

fn entry(name: &str, mean: f64, to_best: Estimate) -> Entry {
    Entry {
        strategy: name.to_string(),
        mean,
        to_best,
    }
}

fn share_threshold() -> Threshold {
    Threshold::of("survival_at_horizon", 0.8, 62, &BTreeMap::new())
}

#[test]
fn each_verdict_from_its_interval_and_the_threshold() {
    let entries = [
        entry("best", 0.80, diff(0.0, 0.0)),
        // Interval −0.0059 to +0.0019: includes zero.
        entry("unclear", 0.798, diff(-0.002, 0.002)),
        // Interval excludes zero, gap 0.0047 < 0.01: practically equal.
        entry("close", 0.7953, diff(-0.0047, 0.001)),
        // Gap 0.05 ≥ 0.01 and excluded from zero.
        entry("behind", 0.75, diff(-0.05, 0.002)),
    ];
    let v = verdicts(&entries, true, 0.01);
    assert_eq!(
        v,
        [
            Verdict::Best,
            Verdict::CannotBeToldApart,
            Verdict::BehindByLessThanThreshold,
            Verdict::ClearlyBehind
        ]
    );
    // Lower is better: a positive difference is a gap behind.
    let entries = [
        entry("best", 5.0, diff(0.0, 0.0)),
        entry("close", 5.5, diff(0.5, 0.1)),
        entry("behind", 7.0, diff(2.0, 0.1)),
    ];
    assert_eq!(
        verdicts(&entries, false, 1.0),
        [
            Verdict::Best,
            Verdict::BehindByLessThanThreshold,
            Verdict::ClearlyBehind
        ]
    );
}

#[test]
fn boundaries_an_interval_touching_zero_and_a_gap_equal_to_the_threshold() {
    // The interval's upper end exactly at zero still includes it.
    let touching = Estimate {
        mean: -0.01,
        low: -0.02,
        high: 0.0,
        mcse: 0.005,
    };
    // A gap of exactly the threshold is clearly behind; a hair less is practically equal.
    let at = Estimate {
        mean: -0.5,
        low: -0.6,
        high: -0.4,
        mcse: 0.05,
    };
    let below = Estimate {
        mean: -0.499_999,
        ..at
    };
    let entries = [
        entry("best", 1.0, diff(0.0, 0.0)),
        entry("touching", 0.99, touching),
        entry("at", 0.5, at),
        entry("below", 0.500_001, below),
    ];
    assert_eq!(
        verdicts(&entries, true, 0.5),
        [
            Verdict::Best,
            Verdict::CannotBeToldApart,
            Verdict::ClearlyBehind,
            Verdict::BehindByLessThanThreshold
        ]
    );
    // A threshold of zero: every separated gap is clear.
    assert_eq!(verdicts(&entries, true, 0.0)[3], Verdict::ClearlyBehind);
}

#[test]
fn identical_when_every_strategy_is_the_same_in_every_replication() {
    let zero = diff(0.0, 0.0);
    let entries = [
        entry("none", 0.7, zero),
        entry("a", 0.7, zero),
        entry("b", 0.7, zero),
    ];
    let judgement = judge(
        "survival_at_horizon",
        true,
        true,
        share_threshold(),
        entries.to_vec(),
    );
    assert!(judgement.all_identical());
    assert!(judgement.best().is_none());
    assert!(
        judgement
            .rows
            .iter()
            .all(|r| r.verdict == Verdict::Identical)
    );
    let sentence = judgement.sentence();
    assert!(sentence.contains("exactly the same value"), "{sentence}");
    assert!(!sentence.contains("best"), "{sentence}");
    // Zero mean difference with a spread is no identity: it cannot be told apart.
    let entries = [entry("none", 0.7, zero), entry("a", 0.7, diff(0.0, 0.01))];
    assert_eq!(
        verdicts(&entries, true, 0.01),
        [Verdict::Best, Verdict::CannotBeToldApart]
    );
    // One strategy identical to the best, another behind: a tie at the top.
    let entries = [
        entry("a", 0.8, zero),
        entry("twin", 0.8, zero),
        entry("c", 0.6, diff(-0.2, 0.01)),
    ];
    let judgement = judge(
        "survival_at_horizon",
        true,
        true,
        share_threshold(),
        entries.to_vec(),
    );
    assert_eq!(
        judgement.rows.iter().map(|r| r.verdict).collect::<Vec<_>>(),
        [Verdict::Best, Verdict::Identical, Verdict::ClearlyBehind]
    );
    assert_eq!(
        judgement.sentence(),
        "“a” is best (tied with “twin”, which gives exactly the same value in every replication); clearly ahead of every other strategy."
    );
}

#[test]
fn the_sentence_says_clearly_ahead_only_when_every_other_is_clearly_behind() {
    let all_behind = [
        entry("a", 0.9, diff(0.0, 0.0)),
        entry("b", 0.8, diff(-0.1, 0.01)),
        entry("c", 0.7, diff(-0.2, 0.01)),
    ];
    let judgement = judge(
        "survival_at_horizon",
        true,
        true,
        share_threshold(),
        all_behind.to_vec(),
    );
    assert_eq!(
        judgement.sentence(),
        "“a” is best; clearly ahead of every other strategy."
    );
    let mixed = [
        entry("equal-even", 0.9, diff(0.0, 0.0)),
        entry("open-call", 0.8953, diff(-0.0047, 0.001)),
        entry("sqrt", 0.899, diff(-0.001, 0.002)),
        entry("none", 0.7, diff(-0.2, 0.01)),
    ];
    let judgement = judge(
        "survival_at_horizon",
        true,
        true,
        share_threshold(),
        mixed.to_vec(),
    );
    assert_eq!(
        judgement.sentence(),
        "“equal-even” is best; “sqrt” cannot be told apart from it (the paired 95% interval of the difference includes zero; more replications may separate them); “open-call” is behind by less than 1 percentage point (0.62 of 62 projects), which is practically equal; it is clearly ahead of “none”."
    );
    let unpaired = judge(
        "survival_year_5",
        true,
        false,
        share_threshold(),
        mixed.to_vec(),
    );
    assert!(unpaired.sentence().contains("(the 95% interval"));
    let alone = judge(
        "survival_at_horizon",
        true,
        true,
        share_threshold(),
        vec![entry("none", 0.7, diff(0.0, 0.0))],
    );
    assert!(
        alone.sentence().contains("only strategy"),
        "{}",
        alone.sentence()
    );
    assert_eq!(alone.rows[0].verdict, Verdict::Best);
}

#[test]
fn thresholds_by_unit_with_scenario_overrides() {
    let none = BTreeMap::new();
    let t = |metric: &str, best: f64| Threshold::of(metric, best, 62, &none);
    assert_eq!(t("survival_at_horizon", 0.8).value, 0.01);
    assert_eq!(
        t("survival_at_horizon", 0.8).words(),
        "1 percentage point (0.62 of 62 projects)"
    );
    assert_eq!(t("alive_at_horizon", 0.8).unit, Unit::ShareOfProjects);
    assert_eq!(t("share_funded", 0.8).unit, Unit::ShareOfProjects);
    assert_eq!(
        t("survival_12m_after_programme", 0.8).unit,
        Unit::ShareOfProjects
    );
    assert_eq!(
        t("weighted_survival_at_horizon", 0.8).words(),
        "1 percentage point of usage"
    );
    assert_eq!(t("share_fixed_within_3_months", 0.5).unit, Unit::Share);
    assert_eq!(t("abandonments", 9.0).words(), "1 project");
    assert_eq!(t("abandonments_averted", 9.0).value, 1.0);
    assert_eq!(t("project_years_survived", 500.0).words(), "1 project-year");
    assert_eq!(
        t("weighted_project_years_gained", 5.0).unit,
        Unit::ProjectYears
    );
    let paid = t("total_paid_eur", -21_150_000.0);
    assert_eq!(paid.value, 211_500.0);
    assert_eq!(paid.words(), "1% of the best's mean (211,500)");
    assert_eq!(t("cost_per_abandonment_averted_eur", 2.5e6).value, 25_000.0);
    let mut overrides = BTreeMap::new();
    overrides.insert("survival_at_horizon".to_string(), 0.02);
    overrides.insert("gini_allocation".to_string(), 0.05);
    let set = Threshold::of("survival_at_horizon", 0.8, 62, &overrides);
    assert!(set.from_scenario);
    assert_eq!(set.words(), "2 percentage points (1.24 of 62 projects)");
    assert_eq!(
        Threshold::of("gini_allocation", 0.3, 62, &overrides).words(),
        "0.05"
    );
}

#[test]
fn labels_round_trip() {
    for verdict in Verdict::ALL {
        assert_eq!(Verdict::from_label(verdict.label()), Some(verdict));
    }
    assert_eq!(Verdict::from_label("worse than best"), None);
}

#[test]
fn measures_parse_quantities_and_ratios_and_refuse_families() {
    assert_eq!(
        Measure::parse("survival_at_horizon", 120).unwrap(),
        Measure(Quantity::Metric(Metric::SurvivalAtHorizon))
    );
    assert_eq!(
        Measure::parse("cost_per_abandonment_averted_eur", 120).unwrap(),
        Measure(Quantity::Ratio(Paired::AbandonmentsAverted))
    );
    assert!(
        !Measure::parse("cost_per_project_year_gained_eur", 120)
            .unwrap()
            .higher_is_better()
    );
    let family = Measure::parse("survival_by_year", 120).unwrap_err();
    assert!(family.contains("10 quantities"), "{family}");
    let unknown = Measure::parse("surival", 120).unwrap_err();
    assert!(
        unknown.contains("cost_per_abandonment_averted_eur"),
        "{unknown}"
    );
    for name in Quantity::summary_names() {
        assert_eq!(Measure::parse(name, 120).unwrap().name(), name);
    }
}

#[test]
fn order_puts_the_best_first_and_keeps_ties_in_scenario_order() {
    let means = [0.5, 0.7, f64::NAN, 0.7, 0.1];
    assert_eq!(order(&means, true), [1, 3, 0, 4]);
    assert_eq!(order(&means, false), [4, 0, 1, 3]);
}

#[test]
fn plain_numbers_for_sentences() {
    assert_eq!(plain(0.62), "0.62");
    assert_eq!(plain(1.0), "1");
    assert_eq!(plain(12.5), "12.5");
    assert_eq!(plain(0.00123), "0.00123");
    assert_eq!(plain(1_234_567.0), "1,234,567");
    assert_eq!(plain(-2500.0), "-2,500");
    assert_eq!(plain(0.0), "0");
}
