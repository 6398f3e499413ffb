//! What a reader must know before reading a comparison of strategies: when the
//! strategies cannot differ at all (a zero budget, no strategy that pays, nobody
//! eligible, or outcomes equal to the baseline's in every replication), and when a
//! strategy leaves part of the budget unspent, so that its row compares a smaller fund.
//!
//! The logic is one pure function, [`caveats`], over plain figures ([`Facts`]); a scenario
//! before it runs ([`before_run`]), a finished run ([`of_run`]) and a run folder (the
//! brief, in `report`) only gather those figures, so `validate`, `run`, `compare` and the
//! brief say the same sentences.

use crate::engine::RunResult;
use crate::params::{FundParams, Timing};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;
use crate::stats::Metric;

/// How far below the budget a strategy's mean spending (paid amounts plus overheads) may
/// fall before the brief says it left money unspent, as a share of the budget.
///
/// A rule that splits each call's budget by weights spends it exactly (docs/model.md,
/// "Sizing"), so a strategy that uses its budget misses it only by rounding; a gap of 1%
/// or more means grants were not made (nobody eligible, fixed grant sizes that do not
/// add up to the budget, the maximum grant reached, tranches withheld from abandoned
/// projects). Below 1% the spending gap is smaller than the differences a brief reports
/// between strategies, so calling it out would only add noise.
pub const UNSPENT_TOLERANCE: f64 = 0.01;

/// The field that holds the budget, as a scenario and `validate` name it.
pub const BUDGET_FIELD: &str = "fund.budget_eur";

/// Why the strategies of a run cannot differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoDifference {
    /// The budget is zero: no strategy can pay anything.
    ZeroBudget,
    /// Only the `none` baseline: no strategy pays anything.
    NoFundingStrategy,
    /// No project has an active maintainer at the start: nobody is eligible at the
    /// first call.
    NobodyEligible,
    /// Every strategy's outcomes equal the baseline's in every replication.
    SameOutcomes,
}

/// One thing a reader must know about a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Caveat {
    /// The strategies cannot differ, for this reason.
    CannotDiffer(NoDifference),
    /// Every project taking the largest grant at every call would still not spend the
    /// budget, so every strategy (but an endowment, which spends only returns) must
    /// leave money unspent.
    GrantsCannotAbsorb {
        /// The most the grants can cost: projects × calls × (largest grant plus its
        /// overhead), EUR.
        capacity_eur: f64,
        budget_eur: f64,
    },
    /// A strategy spent less than the budget by more than [`UNSPENT_TOLERANCE`].
    Unspent {
        strategy: String,
        /// Mean paid amounts plus overheads over replications (EUR).
        spent_eur: f64,
        budget_eur: f64,
        /// An endowment spends only the returns by design.
        endowment: bool,
    },
}

/// What one strategy of a run did with the money, as [`caveats`] needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Spending {
    pub strategy: String,
    /// False for the `none` baseline.
    pub funds: bool,
    pub endowment: bool,
    /// Mean paid amounts plus overheads over replications (EUR); `None` when unknown
    /// (not yet run).
    pub spent_eur: Option<f64>,
    /// Whether its outcomes equal the baseline's in every replication; `None` when
    /// unknown.
    pub same_as_baseline: Option<bool>,
}

/// The figures the caveats are drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub budget_eur: f64,
    /// The budget is one of the uncertain fields of the run, so it differs between
    /// parameter sets and no single figure is "the budget".
    pub budget_varies: bool,
    /// No project of the portfolio has an active maintainer at the start.
    pub nobody_active: bool,
    /// The most the grants of a strategy paid in programme calls can cost (every project
    /// the largest grant at every call), EUR; `None` when unknown or when no such
    /// strategy pays.
    pub grant_capacity_eur: Option<f64>,
    /// Every strategy, the baseline included.
    pub strategies: Vec<Spending>,
}

/// The caveats of `facts`, the reasons the strategies cannot differ first.
pub fn caveats(facts: &Facts) -> Vec<Caveat> {
    let funding: Vec<&Spending> = facts.strategies.iter().filter(|s| s.funds).collect();
    let mut found = Vec::new();
    let reason = if funding.is_empty() {
        Some(NoDifference::NoFundingStrategy)
    } else if facts.budget_eur <= 0.0 && !facts.budget_varies {
        Some(NoDifference::ZeroBudget)
    } else if facts.nobody_active {
        Some(NoDifference::NobodyEligible)
    } else if funding.iter().all(|s| s.same_as_baseline == Some(true)) {
        Some(NoDifference::SameOutcomes)
    } else {
        None
    };
    if let Some(reason) = reason {
        found.push(Caveat::CannotDiffer(reason));
        // A strategy that cannot pay has nothing to say about its own spending: the one
        // reason covers every row.
        if reason != NoDifference::NobodyEligible {
            return found;
        }
    }
    if facts.budget_varies || facts.budget_eur <= 0.0 {
        return found;
    }
    if let Some(capacity_eur) = facts.grant_capacity_eur
        && facts.budget_eur - capacity_eur > UNSPENT_TOLERANCE * facts.budget_eur
    {
        found.push(Caveat::GrantsCannotAbsorb {
            capacity_eur,
            budget_eur: facts.budget_eur,
        });
    }
    for strategy in funding {
        let Some(spent_eur) = strategy.spent_eur else {
            continue;
        };
        if facts.budget_eur - spent_eur > UNSPENT_TOLERANCE * facts.budget_eur {
            found.push(Caveat::Unspent {
                strategy: strategy.strategy.clone(),
                spent_eur,
                budget_eur: facts.budget_eur,
                endowment: strategy.endowment,
            });
        }
    }
    found
}

/// What can be told of a scenario before it runs (for `validate`): a zero budget, no
/// strategy that pays, nobody eligible at the first call.
pub fn before_run(scenario: &Scenario, portfolio: &Portfolio) -> Vec<Caveat> {
    caveats(&scenario_facts(scenario, portfolio, None))
}

/// The caveats of a finished run: those of [`before_run`], strategies whose outcomes
/// equal the baseline's in every replication, and strategies that left money unspent.
pub fn of_run(scenario: &Scenario, result: &RunResult) -> Vec<Caveat> {
    caveats(&scenario_facts(scenario, &result.portfolio, Some(result)))
}

fn scenario_facts(scenario: &Scenario, portfolio: &Portfolio, result: Option<&RunResult>) -> Facts {
    let baseline = scenario.baseline_index();
    let strategies = scenario
        .strategies
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let acc = result.map(|r| &r.accumulator);
            Spending {
                strategy: spec.name.clone(),
                funds: spec.rule.funds(),
                endowment: spec.timing == Timing::Endowment,
                spent_eur: acc.and_then(|acc| {
                    let of = acc.strategies.get(index)?;
                    Some(of.metric(Metric::TotalPaidEur).mean + of.metric(Metric::OverheadEur).mean)
                }),
                same_as_baseline: acc.map(|acc| {
                    // Every metric's paired difference is exactly zero in every
                    // replication: zero mean and zero spread (a metric undefined in
                    // every replication has no count and says nothing).
                    Metric::ALL.iter().all(|&metric| {
                        let difference = acc.difference(metric, index, baseline);
                        difference.count == 0 || (difference.mean == 0.0 && difference.m2 == 0.0)
                    })
                }),
            }
        })
        .collect();
    Facts {
        budget_eur: scenario.fund.budget_eur,
        budget_varies: scenario
            .uncertainty
            .as_ref()
            .is_some_and(|u| u.index_of(BUDGET_FIELD).is_some()),
        nobody_active: !portfolio.projects.is_empty()
            && portfolio.projects.iter().all(|p| p.maintainers == 0),
        grant_capacity_eur: grant_capacity_eur(
            &scenario.fund,
            portfolio.projects.len(),
            scenario
                .strategies
                .iter()
                .filter(|s| s.rule.funds())
                .map(|s| s.timing),
        ),
        strategies,
    }
}

/// The most the grants of the strategies with these timings can cost, endowments left
/// out (they spend returns, not the budget): every one of `projects` projects taking
/// the largest grant, with its overhead, at every call. Every rule makes at most one
/// grant per project per call and none above `fund.max_grant_eur`. `None` when no
/// such strategy pays.
pub fn grant_capacity_eur(
    fund: &FundParams,
    projects: usize,
    timings: impl Iterator<Item = Timing>,
) -> Option<f64> {
    let per_grant = fund.max_grant_eur * (1.0 + fund.overhead_share) + fund.overhead_fixed_eur;
    timings
        .filter(|&t| t != Timing::Endowment)
        .map(|t| (projects * t.call_months(fund).len()) as f64 * per_grant)
        .reduce(f64::max)
}

impl Caveat {
    /// The caveat as one plain sentence (or two), for stderr and the brief.
    pub fn sentence(&self) -> String {
        match self {
            Self::CannotDiffer(NoDifference::ZeroBudget) => format!(
                "The budget is EUR 0 ({BUDGET_FIELD}), so no strategy pays anything and every strategy's outcomes are the baseline's: the strategies cannot differ, and no ranking of them means anything. Such a run is useful only as a reference."
            ),
            Self::CannotDiffer(NoDifference::NoFundingStrategy) => "No strategy pays anything (there is only the baseline), so there is nothing to compare.".to_string(),
            Self::CannotDiffer(NoDifference::NobodyEligible) => "No project of the portfolio has an active maintainer at the start, and only active projects are eligible for a grant: nobody is eligible at the first call, and strategies can differ only through projects that gain a maintainer later.".to_string(),
            Self::CannotDiffer(NoDifference::SameOutcomes) => "Every strategy's outcomes equal the baseline's in every replication (no grant changed anything, or none was made): the strategies cannot differ, and no ranking of them means anything.".to_string(),
            Self::GrantsCannotAbsorb {
                capacity_eur,
                budget_eur,
            } => format!(
                "The grants cannot absorb the {} budget: with every project taking the largest grant (fund.max_grant_eur) at every call, they would cost at most {} with overheads, so every strategy leaves money unspent.",
                eur(*budget_eur),
                eur(*capacity_eur)
            ),
            Self::Unspent {
                strategy,
                spent_eur,
                budget_eur,
                endowment,
            } => {
                let why = if *endowment {
                    "as an endowment it spends only the returns and keeps the principal"
                } else if *spent_eur <= 0.0 {
                    "no project qualified for its grants, so it is the baseline under another name"
                } else {
                    "its results are those of a smaller fund, not of the same budget"
                };
                format!(
                    "'{strategy}' spent {} of the {} budget ({}, overheads included), leaving {} unspent: {why}.",
                    eur(*spent_eur),
                    eur(*budget_eur),
                    share(*spent_eur / *budget_eur),
                    eur(budget_eur - spent_eur)
                )
            }
        }
    }

    /// The short note the brief's strategy table puts under the name of a strategy that
    /// left money unspent ("spent EUR 19.99M of EUR 24.60M (81%)"); `None` for other
    /// caveats.
    pub fn table_note(&self) -> Option<(&str, String)> {
        match self {
            Self::Unspent {
                strategy,
                spent_eur,
                budget_eur,
                ..
            } => Some((
                strategy,
                format!(
                    "spent {} of {} ({})",
                    eur(*spent_eur),
                    eur(*budget_eur),
                    share(*spent_eur / *budget_eur)
                ),
            )),
            Self::CannotDiffer(_) | Self::GrantsCannotAbsorb { .. } => None,
        }
    }
}

/// An amount in euros as a reader takes it in: millions with two decimals from a
/// million up, whole euros with thousands separators below.
pub fn eur(amount: f64) -> String {
    if amount.abs() >= 1e6 {
        format!("EUR {:.2}M", amount / 1e6)
    } else {
        let whole = format!("{:.0}", amount.abs());
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if amount < 0.0 && whole != "0" {
            "-"
        } else {
            ""
        };
        format!("EUR {sign}{grouped}")
    }
}

/// A share as a whole percentage, or with one decimal near the ends where rounding to a
/// whole number would say 0% or 100% of something that is not.
fn share(fraction: f64) -> String {
    let percent = 100.0 * fraction;
    if (0.0..1.0).contains(&percent) && percent > 0.0 || (99.0..100.0).contains(&percent) {
        format!("{percent:.1}%")
    } else {
        format!("{percent:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spending(name: &str, funds: bool, spent: f64, same: bool) -> Spending {
        Spending {
            strategy: name.into(),
            funds,
            endowment: false,
            spent_eur: Some(spent),
            same_as_baseline: Some(same),
        }
    }

    fn facts(budget: f64, strategies: Vec<Spending>) -> Facts {
        Facts {
            budget_eur: budget,
            budget_varies: false,
            nobody_active: false,
            grant_capacity_eur: None,
            strategies,
        }
    }

    #[test]
    fn a_zero_budget_is_the_only_caveat() {
        let found = caveats(&facts(
            0.0,
            vec![
                spending("none", false, 0.0, true),
                spending("a", true, 0.0, true),
            ],
        ));
        assert_eq!(found, vec![Caveat::CannotDiffer(NoDifference::ZeroBudget)]);
        assert!(found[0].sentence().contains("EUR 0 (fund.budget_eur)"));
    }

    #[test]
    fn identical_outcomes_are_found_from_results() {
        let found = caveats(&facts(
            1e6,
            vec![
                spending("none", false, 0.0, true),
                spending("a", true, 0.0, true),
            ],
        ));
        assert_eq!(
            found,
            vec![Caveat::CannotDiffer(NoDifference::SameOutcomes)]
        );
        // One strategy that differs is enough for a comparison; the one that paid
        // nothing is named with what it spent.
        let found = caveats(&facts(
            1e6,
            vec![
                spending("none", false, 0.0, true),
                spending("a", true, 0.0, true),
                spending("b", true, 1e6, false),
            ],
        ));
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .sentence()
                .contains("the baseline under another name")
        );
    }

    #[test]
    fn underspending_beyond_the_tolerance_is_named_with_its_amount() {
        let budget = 24_600_000.0;
        let found = caveats(&facts(
            budget,
            vec![
                spending("none", false, 0.0, true),
                spending(
                    "even",
                    true,
                    budget * (1.0 - UNSPENT_TOLERANCE / 2.0),
                    false,
                ),
                spending("lottery", true, 19_991_125.0, false),
            ],
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].sentence(),
            "'lottery' spent EUR 19.99M of the EUR 24.60M budget (81%, overheads included), leaving EUR 4.61M unspent: its results are those of a smaller fund, not of the same budget."
        );
        assert_eq!(
            found[0].table_note(),
            Some((
                "lottery",
                "spent EUR 19.99M of EUR 24.60M (81%)".to_string()
            ))
        );
    }

    #[test]
    fn a_varying_budget_has_no_single_figure_to_compare_with() {
        let mut f = facts(
            1e6,
            vec![
                spending("none", false, 0.0, true),
                spending("a", true, 5e5, false),
            ],
        );
        f.budget_varies = true;
        assert!(caveats(&f).is_empty());
    }

    #[test]
    fn a_budget_the_grants_cannot_absorb_is_said_before_the_run() {
        let fund = FundParams {
            budget_eur: 24_600_000.0,
            ..FundParams::default()
        };
        // Three projects, four yearly calls, EUR 1M at most each: about EUR 12.7M.
        let capacity = grant_capacity_eur(&fund, 3, [Timing::Even].into_iter());
        let expected = 3.0
            * 4.0
            * (fund.max_grant_eur * (1.0 + fund.overhead_share) + fund.overhead_fixed_eur);
        assert_eq!(capacity, Some(expected));
        let mut f = facts(
            fund.budget_eur,
            vec![
                spending("none", false, 0.0, true),
                spending("a", true, 1e7, false),
            ],
        );
        f.grant_capacity_eur = capacity;
        let found = caveats(&f);
        assert!(
            matches!(found[0], Caveat::GrantsCannotAbsorb { .. }),
            "{found:?}"
        );
        assert!(matches!(found[1], Caveat::Unspent { .. }), "{found:?}");
        // An endowment spends returns, not the budget: no bound from it.
        assert_eq!(
            grant_capacity_eur(&fund, 3, [Timing::Endowment].into_iter()),
            None
        );
    }

    #[test]
    fn amounts_read_as_a_reader_expects() {
        assert_eq!(eur(150_000.0), "EUR 150,000");
        assert_eq!(eur(999.4), "EUR 999");
        assert_eq!(eur(24_600_000.0), "EUR 24.60M");
        assert_eq!(share(0.004), "0.4%");
        assert_eq!(share(0.995), "99.5%");
        assert_eq!(share(0.81), "81%");
    }
}
