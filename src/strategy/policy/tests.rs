use super::search::POLICY_SEARCH_RANGES;
use super::*;
use crate::fund::{Grant, Purchase};
use crate::params::{Checker, FundParams};
use crate::strategy::test_support::{call, decide, decide_with, view};
use crate::strategy::{ProportionalParams, Score, StrategyEntry, parse_entry};

/// Parses `[[strategies]]` entry number 3 (as in a scenario); the problems' text when it
/// does not parse.
fn parse(text: &str) -> Result<crate::strategy::StrategySpec, String> {
    let entry: StrategyEntry = toml::from_str(text).unwrap();
    let mut check = Checker::new("scenario.toml");
    let spec = parse_entry(&mut check, 3, &entry, str::to_string);
    match check.into_result("scenario.toml", ()) {
        Ok(()) => Ok(spec.unwrap()),
        Err(found) => Err(format!("{found:?}")),
    }
}

fn policy(text: &str) -> PolicyParams {
    let spec = parse(&format!("rule = \"policy\"\n{text}")).unwrap();
    spec.rule.params::<PolicyParams>().unwrap().clone()
}

fn no_overhead() -> FundParams {
    FundParams {
        overhead_fixed_eur: 0.0,
        overhead_share: 0.0,
        min_grant_eur: 0.0,
        max_grant_eur: 1e12,
        ..FundParams::default()
    }
}

#[test]
fn the_contract_example_parses_with_every_parameter() {
    let p = policy(
        r#"
        call_shares = [0.6, 0.4]
        weights = { dependents = 0.5, criticality = 0.0, maintainers = -1.0, backlog = 0.0,
                    open_vulnerabilities = 0.0, received = 0.0 }
        min_amount_eur = 50000
        max_share = 0.2
        max_maintainers = 2
        min_dependents = 1000
        max_projects = 20
        grant_months = 24
        buy = { maintenance = 0.7, audit = 0.1, bug_bounty = 0.1, fellowship = 0.1 }
        "#,
    );
    assert_eq!(p.call_shares, Some(vec![0.6, 0.4]));
    assert_eq!(p.weights.dependents, 0.5);
    assert_eq!(p.weights.maintainers, -1.0);
    assert_eq!(p.max_maintainers, Some(2));
    assert_eq!(p.grant_months, Some(24));
    assert_eq!(p.buy.unwrap().audit, 0.1);
    let defaults = policy("");
    assert_eq!(defaults, PolicyParams::default());
    assert_eq!(policy("weights = { backlog = 1.5 }").weights.dependents, 0.0);
}

/// Every bad value is reported under its full key with the range allowed.
#[test]
fn bad_parameters_are_named_by_their_full_key() {
    let problems = |text: &str| parse(&format!("rule = \"policy\"\n{text}")).unwrap_err();
    for (text, key, words) in [
        ("weights = { dependents = -0.5 }", "strategies[3].weights.dependents", "from 0 to 10"),
        ("weights = { criticality = 11 }", "strategies[3].weights.criticality", "from 0 to 10"),
        ("weights = { maintainers = -12 }", "strategies[3].weights.maintainers", "from -10 to 10"),
        ("weights = { received = nan }", "strategies[3].weights.received", "from -10 to 10"),
        ("call_shares = [0.7, 0.4]", "strategies[3].call_shares", "must sum to 1"),
        ("call_shares = [1.5, -0.5]", "strategies[3].call_shares[0]", "from 0 to 1"),
        ("call_shares = []", "strategies[3].call_shares", "1 to 1200 shares"),
        ("max_share = 0", "strategies[3].max_share", "above 0"),
        ("min_amount_eur = -1", "strategies[3].min_amount_eur", "from 0"),
        ("max_maintainers = 0", "strategies[3].max_maintainers", "from 1"),
        ("max_projects = 0", "strategies[3].max_projects", "from 1"),
        ("min_dependents = -5", "strategies[3].min_dependents", "from 0"),
        ("grant_months = 0", "strategies[3].grant_months", "from 1 to 600"),
        ("buy = { maintenance = 0.5, audit = 0.6 }", "strategies[3].buy", "must sum to 1"),
        ("buy = { maintenance = 1.5, audit = -0.5 }", "strategies[3].buy.audit", "from 0 to 1"),
        ("weights = { dependent = 1.0 }", "strategies[3].weights", "unknown field `dependent`"),
        ("buy = { audits = 1.0 }", "strategies[3].buy", "unknown field `audits`"),
        ("weigths = { dependents = 1.0 }", "strategies[3].weigths", "did you mean `weights`"),
    ] {
        let found = problems(text);
        assert!(found.contains(key), "{text}: {found}");
        assert!(found.contains(words), "{text}: {found}");
        assert!(found.contains("rule `policy`"), "{text}: {found}");
    }
}

#[test]
fn call_shares_set_the_timing_and_refuse_another() {
    let shares = "rule = \"policy\"\ncall_shares = [0.5, 0.5]\n";
    assert_eq!(parse(shares).unwrap().timing, Timing::FrontLoaded);
    let written = format!("{shares}timing = \"front_loaded\"");
    assert_eq!(parse(&written).unwrap().timing, Timing::FrontLoaded);
    let even = parse(&format!("{shares}timing = \"even\"")).unwrap_err();
    assert!(even.contains("strategies[3].timing"), "{even}");
    assert!(even.contains("must be \\\"front_loaded\\\""), "{even}");
    let endowment = parse(&format!("{shares}timing = \"endowment\"")).unwrap_err();
    assert!(endowment.contains("strategies[3].timing"), "{endowment}");
    // Without shares the timing is the entry's, as for every rule.
    assert_eq!(parse("rule = \"policy\"").unwrap().timing, Timing::Even);
    let endowment = parse("rule = \"policy\"\ntiming = \"endowment\"").unwrap();
    assert_eq!(endowment.timing, Timing::Endowment);
}

/// Worked by hand: shares 0.5, 0.3, 0.2 over four calls. Call 0 releases 0.5 of what
/// the fund holds; call 1 0.3 / 0.5 = 0.6 of it; call 2 0.2 / 0.2 = all; call 3 (after
/// the list) all that is left. With nothing returned that is 50%, 30%, 20% of the budget.
#[test]
fn the_release_is_each_calls_share_of_what_is_not_yet_released() {
    let shares = [0.5, 0.3, 0.2];
    let fractions: Vec<f64> = (0..4).map(|k| release_fraction(&shares, k, 4)).collect();
    assert_eq!(fractions, vec![0.5, 0.3 / (0.3 + 0.2), 1.0, 1.0]);
    let mut pool = 1_000.0;
    let mut released = Vec::new();
    for fraction in &fractions[..3] {
        released.push(pool * fraction);
        pool -= pool * fraction;
    }
    for (got, want) in released.iter().zip([500.0, 300.0, 200.0]) {
        assert!((got - want).abs() < 1e-9, "{released:?}");
    }
    // The programme's last call spends all; a zero share releases nothing.
    assert_eq!(release_fraction(&[0.0, 0.5, 0.5], 0, 4), 0.0);
    assert_eq!(release_fraction(&[0.4, 0.3, 0.3], 1, 2), 1.0);
    assert_eq!(release_fraction(&[1.0, 0.0, 0.0], 1, 4), 1.0, "leftovers go");
}

/// The weight of each feature as documented: D and C as they are, the others 1 + x.
#[test]
fn each_feature_enters_the_weight_as_documented() {
    let mut p = view(0, 400.0);
    p.criticality = 0.25;
    p.maintainers = 3;
    p.backlog = 8.0;
    p.open_vulnerabilities = 1;
    p.received_eur = 300_000.0;
    let weight = |text: &str| {
        let params = policy(text);
        PolicySplit::from(&params).weight(&p)
    };
    assert_eq!(weight(""), 1.0);
    assert_eq!(weight("weights = { dependents = 0.5 }"), 20.0);
    assert_eq!(weight("weights = { criticality = 1 }"), 0.25);
    assert_eq!(weight("weights = { maintainers = -1 }"), 0.25);
    assert_eq!(weight("weights = { backlog = 0.5 }"), 3.0);
    assert_eq!(weight("weights = { open_vulnerabilities = 2 }"), 4.0);
    assert_eq!(weight("weights = { received = -1 }"), 0.25);
    let all = weight("weights = { dependents = 0.5, maintainers = -1, backlog = 0.5 }");
    assert!((all - 20.0 * 0.25 * 3.0).abs() < 1e-12, "{all}");
    // No maintainers, backlog, vulnerabilities or money: every exponent is allowed.
    let mut fresh = view(1, 0.0);
    fresh.maintainers = 0;
    fresh.backlog = 0.0;
    let split = PolicySplit::from(&policy(
        "weights = { maintainers = -2, backlog = -1, open_vulnerabilities = -1, received = -3 }",
    ));
    assert_eq!(split.weight(&fresh), 1.0);
}

/// The maintenance split equals `proportional`'s grant for grant, with and without the
/// limits and `max_projects`, on uneven projects (unit level; the scenario-level test
/// is tests/policy.rs).
#[test]
fn dependents_to_a_power_is_proportional_to_the_bit() {
    let fund = FundParams {
        min_grant_eur: 20_000.0,
        max_grant_eur: 400_000.0,
        ..FundParams::default()
    };
    let mut projects: Vec<ProjectView> = (0..25)
        .map(|i| view(i, f64::from((i as u32 * 7919) % 5000)))
        .collect();
    for (i, p) in projects.iter_mut().enumerate() {
        p.criticality = ((i * 13) % 10) as f64 / 10.0;
        if i % 6 == 2 {
            p.status = Status::Dormant;
        }
    }
    for power in [0.0, 0.3, 0.5, 1.0, 2.0] {
        for (min_amount_eur, max_share, max_projects) in [
            (None, None, None),
            (Some(60_000.0), Some(0.15), None),
            (None, Some(0.05), Some(7)),
            (Some(30_000.0), None, Some(3)),
        ] {
            let proportional = RuleSpec::new::<super::super::proportional::ProportionalSplit>(
                ProportionalParams {
                    score: Score::Dependents,
                    power,
                    max_projects,
                    min_amount_eur,
                    max_share,
                },
            );
            let policy = PolicyParams {
                weights: PolicyWeights {
                    dependents: power,
                    ..PolicyWeights::default()
                },
                min_amount_eur,
                max_share,
                max_projects,
                ..PolicyParams::default()
            };
            for budget in [3_000_000.0, 700_000.0, 90_000.0] {
                let call = call(&fund, 0, budget);
                let want = decide(proportional.build().as_ref(), &call, &projects);
                let got = decide(policy.rule_spec().build().as_ref(), &call, &projects);
                assert_eq!(got, want, "power {power}, {min_amount_eur:?} {max_share:?}");
            }
        }
    }
}

#[test]
fn thresholds_and_max_projects_choose_the_projects() {
    let fund = no_overhead();
    let mut projects: Vec<ProjectView> = (0..6).map(|i| view(i, 1_000.0 * (i + 1) as f64)).collect();
    for (i, p) in projects.iter_mut().enumerate() {
        p.maintainers = 1 + i as u32 % 3;
    }
    let rule = policy("max_maintainers = 2\nmin_dependents = 2000\nmax_projects = 2\nweights = { dependents = 1 }");
    let grants = decide(rule.rule_spec().build().as_ref(), &call(&fund, 0, 900.0), &projects);
    // Eligible: projects 1 (2 maintainers, 2000), 3 (1, 4000), 4 (2, 5000); the two
    // heaviest are 4 and 3, in proportion 5 : 4.
    assert_eq!(grants, vec![Grant::upfront(3, 400.0), Grant::upfront(4, 500.0)]);
}

#[test]
fn grant_months_go_on_every_maintenance_grant() {
    let fund = no_overhead();
    let projects: Vec<ProjectView> = (0..3).map(|i| view(i, 10.0)).collect();
    let rule = policy("grant_months = 30").rule_spec().build();
    let grants = decide(rule.as_ref(), &call(&fund, 0, 300.0), &projects);
    assert_eq!(grants.len(), 3);
    assert!(grants.iter().all(|g| g.months == Some(30) && g.amount_eur == 100.0));
    let plain = decide(policy("").rule_spec().build().as_ref(), &call(&fund, 0, 300.0), &projects);
    assert!(plain.iter().all(|g| g.months.is_none()));
}

/// With `call_shares` the policy spends the released part of the call's budget; with
/// `buy` the parts spend their shares of it as a `mix` of those rules does.
#[test]
fn call_shares_and_buy_spend_their_shares_as_a_mix_would() {
    let fund = FundParams {
        min_grant_eur: 0.0,
        programme_months: 48,
        call_interval_months: 12,
        ..FundParams::default()
    };
    let projects: Vec<ProjectView> = (0..40).map(|i| view(i, 100.0 * (i + 1) as f64)).collect();
    let merit: Vec<f64> = (0..40).map(f64::from).collect();
    let shares = policy("call_shares = [0.25, 0.25, 0.5]").rule_spec().build();
    let spent = |d: &Decision| -> f64 { d.grants.iter().map(|g| g.cost_eur(&fund)).sum() };
    let first = decide_with(shares.as_ref(), &call(&fund, 0, 8e6), &projects, &merit, 1);
    assert!((spent(&first) - 2e6).abs() < 1e-3, "{}", spent(&first));
    let second = decide_with(shares.as_ref(), &call(&fund, 1, 6e6), &projects, &merit, 1);
    assert!((spent(&second) - 2e6).abs() < 1e-3, "{}", spent(&second));
    let text = "buy = { maintenance = 0.6, audit = 0.25, fellowship = 0.15 }";
    let bought = policy(text).rule_spec().build();
    let mix = parse(
        r#"rule = "mix"
        parts = [{ share = 0.6, rule = "policy" }, { share = 0.25, rule = "audit" },
                 { share = 0.15, rule = "fellowship" }]"#,
    )
    .unwrap()
    .rule
    .build();
    let call = call(&fund, 0, 1e7);
    let got = decide_with(bought.as_ref(), &call, &projects, &merit, 1);
    let want = decide_with(mix.as_ref(), &call, &projects, &merit, 1);
    assert_eq!(got, want);
    assert!(got.grants.iter().any(|g| matches!(g.buys, Purchase::Audit { .. })));
    assert!(got.grants.iter().any(|g| matches!(g.buys, Purchase::Fellowship { .. })));
}

/// The thresholds hold for every instrument: no audit of a project outside them.
#[test]
fn instruments_keep_to_the_thresholds() {
    let fund = FundParams {
        min_grant_eur: 0.0,
        ..FundParams::default()
    };
    let mut projects: Vec<ProjectView> = (0..20).map(|i| view(i, 100.0 * (i + 1) as f64)).collect();
    for (i, p) in projects.iter_mut().enumerate() {
        p.maintainers = 1 + i as u32 % 4;
    }
    let rule = policy("max_maintainers = 2\nbuy = { maintenance = 0.5, audit = 0.5 }");
    let decision = decide_with(
        rule.rule_spec().build().as_ref(),
        &call(&fund, 0, 2e6),
        &projects,
        &[0.0; 20],
        1,
    );
    assert!(decision.grants.iter().any(|g| matches!(g.buys, Purchase::Audit { .. })));
    for grant in &decision.grants {
        assert!(projects[grant.project].maintainers <= 2, "{grant:?}");
    }
}

/// A policy built in code, written as a `[[strategies]]` entry and parsed back, is the
/// same rule with the same timing.
#[test]
fn a_policy_written_as_toml_reads_back_as_the_same_strategy() {
    let mut params = PolicyParams {
        call_shares: Some(vec![0.6, 0.4]),
        buy: Some(PolicyBuy {
            maintenance: 0.7,
            audit: 0.1,
            bug_bounty: 0.1,
            fellowship: 0.1,
        }),
        ..PolicyParams::default()
    };
    for dimension in POLICY_SEARCH_RANGES {
        let middle = 0.5 * (dimension.low + dimension.high);
        params.set(dimension.key, middle).unwrap();
        let want = if dimension.integer { middle.round() } else { middle };
        assert_eq!(params.get(dimension.key), Some(want), "{}", dimension.key);
    }
    assert!(params.set("weights.size", 1.0).unwrap_err().contains("weights.dependents"));
    let text = params.to_strategies_toml("found", Timing::Even).unwrap();
    assert!(text.starts_with("[[strategies]]\nname = \"found\"\nrule = \"policy\"\ntiming = \"front_loaded\""), "{text}");
    #[derive(serde::Deserialize)]
    struct Entries {
        strategies: Vec<StrategyEntry>,
    }
    let entries: Entries = toml::from_str(&text).unwrap();
    let mut check = Checker::new("best.toml");
    let spec = parse_entry(&mut check, 0, &entries.strategies[0], str::to_string);
    assert!(check.into_result("best.toml", ()).is_ok(), "{text}");
    let want = crate::strategy::StrategySpec {
        name: "found".into(),
        timing: params.timing_or(Timing::Even),
        rule: params.rule_spec(),
    };
    assert_eq!(spec.unwrap(), want);
    let plain = PolicyParams::default().to_strategies_toml("p", Timing::Even).unwrap();
    assert!(plain.contains("timing = \"even\""), "{plain}");
}

#[test]
fn the_brief_says_the_policy_in_words() {
    let p = policy(
        r#"
        call_shares = [0.6, 0.4]
        weights = { dependents = 0.5, maintainers = -1 }
        min_amount_eur = 50000
        max_maintainers = 2
        "#,
    );
    let brief = Policy::brief(&p);
    assert_eq!(
        brief,
        "grants in proportion to the square root of dependents × 1 / (1 + maintainers) to \
         projects with at most 2 maintainers, at least EUR 50,000 each; the budget released \
         60%, 40% at the calls"
    );
    assert_eq!(Policy::brief(&PolicyParams::default()), "grants of equal size");
    let line = Policy::describe(&p);
    assert!(line.starts_with("policy: weight D^0.5 · (1+M)^-1 with at most 2 maintainers"), "{line}");
}
