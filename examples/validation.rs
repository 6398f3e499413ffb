//! The validation table of `docs/validation.md`: the stylised facts of docs/calibration.md
//! against fundsim's unfunded baseline of `scenarios/popular-baseline.toml`.
//!
//! ```text
//! cargo run --release --example validation
//! cargo run --release --example validation -- --replications 400 --seed 1
//! cargo run --release --example validation -- --set model.revival_hazard=0.01
//! ```
//!
//! Options: `--scenario FILE` (default: the repository's popular-baseline), `--replications
//! N`, `--seed S`, `--set PATH=VALUE` (repeatable) to try other parameter values (the way
//! the earlier defaults are compared in `docs/validation.md`), and `--write-observed FILE` to
//! also write replication 0's project lifetimes as an observed-data CSV (columns of
//! `fundsim survival`, grouped by initial team size), as `tests/fixtures/observed_popular.csv`
//! was made.
//!
//! Every number is computed with the library: [`fundsim::model::simulate`] for each
//! replication of the `none` baseline, the project lifetimes and initial team sizes from
//! the trajectory and the portfolio, the Kaplan–Meier estimate from
//! [`fundsim::stats::KaplanMeier`]. Two kinds of interval are printed:
//!
//! - *model mean*: the expected value for this portfolio, with a 95% interval from the
//!   Monte Carlo standard error over replications (narrow: many replications);
//! - *one study*: the 2.5–97.5% range of the value over replications, i.e. what a single
//!   study of this many projects could observe if fundsim were right. A published figure
//!   is compared with this range: it comes from one sample of real projects.

use std::process::ExitCode;

use rayon::prelude::*;

use fundsim::analysis::facts::{revival_probabilities, still_away};
use fundsim::model::{Trajectory, World, simulate};
use fundsim::params::PortfolioSpec;
use fundsim::portfolio::Portfolio;
use fundsim::scenario::parse_with_overrides;
use fundsim::stats::{CoMoments, KaplanMeier, MeanVar, Z95};

const DEFAULT_SCENARIO: &str = include_str!("../scenarios/popular-baseline.toml");

struct Args {
    scenario: Option<String>,
    replications: Option<u64>,
    seed: Option<u64>,
    overrides: Vec<(String, f64)>,
    write_observed: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        scenario: None,
        replications: None,
        seed: None,
        overrides: Vec::new(),
        write_observed: None,
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        let mut value = || raw.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--scenario" => args.scenario = Some(value()?),
            "--replications" => {
                args.replications = Some(value()?.parse().map_err(|e| format!("{flag}: {e}"))?);
            }
            "--seed" => args.seed = Some(value()?.parse().map_err(|e| format!("{flag}: {e}"))?),
            "--set" => {
                let text = value()?;
                let (path, number) = text
                    .split_once('=')
                    .ok_or_else(|| format!("--set {text}: expected PATH=VALUE"))?;
                let number = number.parse().map_err(|e| format!("--set {text}: {e}"))?;
                args.overrides.push((path.to_string(), number));
            }
            "--write-observed" => args.write_observed = Some(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

/// What one replication contributes.
#[derive(Debug, Clone)]
struct Replication {
    /// Projects not yet abandoned at each month-end.
    surviving: Vec<u32>,
    abandoned: u32,
    /// First-abandoned projects that are not abandoned at the horizon (revived).
    revived: u32,
    /// Abandoned by the horizon, by initial team: 1, 2, 3 or more maintainers.
    abandoned_by_team: [u32; 3],
    /// Σ over the abandoned projects of their probability of revival within
    /// [`REVIVAL_WINDOW`] months of abandonment.
    revival_within_window: f64,
    /// Mean active maintainers per project at the horizon.
    maintainers_end: f64,
}

/// Months after abandonment over which revival is compared with Avelino et al. (2019):
/// docs/calibration.md reads their 41% as "within about 3 years".
const REVIVAL_WINDOW: i32 = 36;

fn team(maintainers: u32) -> usize {
    (maintainers.clamp(1, 3) - 1) as usize
}

/// The 2.5% and 97.5% percentiles (linear interpolation).
fn range95(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let position = q * (values.len() - 1) as f64;
        let (below, above) = (position.floor() as usize, position.ceil() as usize);
        values[below] + (position - below as f64) * (values[above] - values[below])
    };
    (at(0.025), at(0.975))
}

fn percent(value: f64) -> String {
    format!("{:.1}%", 100.0 * value)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let (text, origin) = match &args.scenario {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
            path.clone(),
        ),
        None => (
            DEFAULT_SCENARIO.to_string(),
            "scenarios/popular-baseline.toml".to_string(),
        ),
    };
    let overrides: Vec<(&str, f64)> = args
        .overrides
        .iter()
        .map(|(p, v)| (p.as_str(), *v))
        .collect();
    let scenario = parse_with_overrides(&text, &origin, &overrides).map_err(|e| e.to_string())?;
    let replications = args.replications.unwrap_or(scenario.run.replications);
    let seed = args.seed.unwrap_or(scenario.run.seed);
    let PortfolioSpec::Synthetic(spec) = &scenario.portfolio else {
        return Err("the validation needs a synthetic portfolio".into());
    };
    let portfolio = Portfolio::synthetic(spec, &scenario.model, seed, 0);
    let teams: Vec<usize> = portfolio
        .projects
        .iter()
        .map(|p| team(p.maintainers))
        .collect();
    let mut team_sizes = [0u32; 3];
    teams.iter().for_each(|&t| team_sizes[t] += 1);
    let world = World::new(portfolio, scenario.model.clone(), scenario.fund.clone());
    let projects = world.project_count() as f64;
    let horizon = scenario.fund.horizon_months as usize;
    // Each project's exact probability of revival within the window once abandoned, from
    // its monthly revival probability (docs/model.md).
    let model = &scenario.model;
    let revival_in_window: Vec<f64> = revival_probabilities(&world.portfolio, model)
        .into_iter()
        .map(|monthly| 1.0 - (1.0 - monthly).powi(REVIVAL_WINDOW))
        .collect();
    let baseline = &scenario.strategies[scenario.baseline_index()];
    let rule = baseline.rule.build();

    let results: Vec<Replication> = (0..replications)
        .into_par_iter()
        .map(|replication| {
            let mut t = Trajectory::default();
            simulate(
                &world,
                &baseline.name,
                rule.as_ref(),
                baseline.timing,
                seed,
                replication,
                &mut t,
            );
            let mut abandoned_by_team = [0u32; 3];
            let mut revival_within_window = 0.0;
            for ((first, &team), &revival) in
                t.first_abandoned.iter().zip(&teams).zip(&revival_in_window)
            {
                abandoned_by_team[team] += u32::from(first.is_some());
                if first.is_some() {
                    revival_within_window += revival;
                }
            }
            Replication {
                abandoned: t.first_abandoned.iter().filter(|a| a.is_some()).count() as u32,
                revived: t.alive[horizon] - t.surviving[horizon],
                surviving: t.surviving,
                abandoned_by_team,
                revival_within_window,
                maintainers_end: t.maintainers[horizon],
            }
        })
        .collect();

    if let Some(path) = &args.write_observed {
        let mut t = Trajectory::default();
        simulate(
            &world,
            &baseline.name,
            rule.as_ref(),
            baseline.timing,
            seed,
            0,
            &mut t,
        );
        let mut csv = String::from("project,duration_months,event,group\n");
        for ((project, first), &team) in world
            .portfolio
            .projects
            .iter()
            .zip(&t.first_abandoned)
            .zip(&teams)
        {
            let (months, event) = first.map_or((horizon as u32, 0), |m| (m, 1));
            let group = ["1 maintainer", "2 maintainers", "3+ maintainers"][team];
            csv += &format!("{},{months},{event},{group}\n", project.name);
        }
        std::fs::write(path, csv).map_err(|e| format!("cannot write {path}: {e}"))?;
        eprintln!("wrote replication 0's lifetimes to {path}");
    }

    // Fact 1: abandonment within the horizon, by Kaplan–Meier on the pooled lifetimes.
    let mut pooled = vec![0u64; horizon + 1];
    for r in &results {
        for (sum, &count) in pooled.iter_mut().zip(&r.surviving) {
            *sum += u64::from(count);
        }
    }
    let km = KaplanMeier::from_pooled_months(&pooled).map_err(|e| e.to_string())?;
    let end = horizon as f64;
    let (s_low, s_high) = km.interval_at(end);
    let mut abandoned_share: Vec<f64> = results
        .iter()
        .map(|r| f64::from(r.abandoned) / projects)
        .collect();
    let (abandoned_low, abandoned_high) = range95(&mut abandoned_share);

    // Fact 1b: revived among the abandoned (ratio of means, delta method).
    let mut revival = CoMoments::default();
    let mut revived_share = Vec::new();
    for r in &results {
        revival.add(f64::from(r.revived), f64::from(r.abandoned));
        if r.abandoned > 0 {
            revived_share.push(f64::from(r.revived) / f64::from(r.abandoned));
        }
    }
    let revival_estimate = revival.ratio().ok_or("no project was abandoned")?;
    let (revived_low, revived_high) = range95(&mut revived_share);
    let mut window = CoMoments::default();
    let mut window_share = Vec::new();
    for r in &results {
        window.add(r.revival_within_window, f64::from(r.abandoned));
        if r.abandoned > 0 {
            window_share.push(r.revival_within_window / f64::from(r.abandoned));
        }
    }
    let window_estimate = window.ratio().ok_or("no project was abandoned")?;
    let (window_low, window_high) = range95(&mut window_share);

    // Fact 2: one maintainer against teams (risk ratio of abandonment by the horizon).
    let mut ratios = Vec::new();
    let mut per_team = [MeanVar::default(); 3];
    let mut solo_vs_team = CoMoments::default();
    let mut solo_vs_two_plus = CoMoments::default();
    let mut ratio_values = Vec::new();
    let mut two_plus_values = Vec::new();
    for r in &results {
        let risk = |t: usize| f64::from(r.abandoned_by_team[t]) / f64::from(team_sizes[t].max(1));
        for (t, acc) in per_team.iter_mut().enumerate() {
            acc.add(risk(t));
        }
        solo_vs_team.add(risk(0), risk(2));
        let two_plus = f64::from(r.abandoned_by_team[1] + r.abandoned_by_team[2])
            / f64::from((team_sizes[1] + team_sizes[2]).max(1));
        solo_vs_two_plus.add(risk(0), two_plus);
        if two_plus > 0.0 {
            two_plus_values.push(risk(0) / two_plus);
        }
        if risk(2) > 0.0 {
            ratio_values.push(risk(0) / risk(2));
        }
        ratios.push(risk(0));
    }
    let team_ratio = solo_vs_team.ratio();
    let two_plus_ratio = solo_vs_two_plus.ratio();
    let ranged = |values: &mut Vec<f64>| {
        if values.len() >= 2 {
            range95(values)
        } else {
            (f64::NAN, f64::NAN)
        }
    };
    let (ratio_low, ratio_high) = ranged(&mut ratio_values);
    let (two_plus_low, two_plus_high) = ranged(&mut two_plus_values);

    // Fact 3: returns from a break, exactly as the model draws them.
    let stay_away = |from: u32, to: u32| still_away(model, from, to);
    let within_year = 1.0 - stay_away(1, 12);
    let after_year = 1.0 - stay_away(13, model.break_max_months);
    let never = stay_away(1, model.break_max_months);

    println!(
        "fundsim validation: {} ({} projects: {} with 1 maintainer, {} with 2, {} with 3+), {} replications, seed {}, horizon {} months{}",
        scenario.name,
        projects,
        team_sizes[0],
        team_sizes[1],
        team_sizes[2],
        replications,
        seed,
        horizon,
        if overrides.is_empty() {
            String::new()
        } else {
            format!(
                ", with {}",
                args.overrides
                    .iter()
                    .map(|(p, v)| format!("{p} = {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    println!();
    println!(
        "| fact | published | fundsim: model mean (95% CI) | fundsim: one study (95% range) |"
    );
    println!("|---|---|---|---|");
    println!(
        "| abandoned within {} months (Kaplan–Meier 1 − S) | 12.4% (Coelho & Valente 2017); 16% (Avelino et al. 2019) | {} ({} – {}) | {} – {} |",
        horizon,
        percent(1.0 - km.survival_at(end)),
        percent(1.0 - s_high),
        percent(1.0 - s_low),
        percent(abandoned_low),
        percent(abandoned_high)
    );
    println!(
        "| revived by month {} among the abandoned | 41% (Avelino et al. 2019) | {} ({} – {}) | {} – {} |",
        horizon,
        percent(revival_estimate.mean),
        percent(revival_estimate.low),
        percent(revival_estimate.high),
        percent(revived_low),
        percent(revived_high)
    );
    println!(
        "| revived within {REVIVAL_WINDOW} months of abandonment (model-exact for the abandoned projects) | 41% (Avelino et al. 2019) | {} ({} – {}) | {} – {} |",
        percent(window_estimate.mean),
        percent(window_estimate.low),
        percent(window_estimate.high),
        percent(window_low),
        percent(window_high)
    );
    let ratio_text = |e: Option<fundsim::stats::Estimate>| {
        e.map_or("undefined".to_string(), |e| {
            format!("{:.1}× ({:.1} – {:.1})", e.mean, e.low, e.high)
        })
    };
    println!(
        "| abandonment risk, 1 maintainer vs 3+ | ≈6× (Ali et al. 2020) | {} | {:.1}× – {:.1}× |",
        ratio_text(team_ratio),
        ratio_low,
        ratio_high
    );
    println!(
        "| abandonment risk, 1 maintainer vs 2+ | ≈6× (Ali et al. 2020) | {} | {:.1}× – {:.1}× |",
        ratio_text(two_plus_ratio),
        two_plus_low,
        two_plus_high
    );
    println!(
        "| maintainers on a break who return within 12 months | 35–55% (Calefato et al. 2022) | {} (exact) | — |",
        percent(within_year)
    );
    println!(
        "| … who return after a year away (of those still away at 12 months) | 21–26% (Calefato et al. 2022) | {} (exact) | — |",
        percent(after_year)
    );
    println!(
        "| … who never return | 54% (Calefato et al. 2022) | {} (exact) | — |",
        percent(never)
    );
    println!();
    println!("Abandonment by month {horizon} by initial team (model mean ± 95% CI):");
    for (label, acc) in ["1 maintainer", "2 maintainers", "3+ maintainers"]
        .iter()
        .zip(&per_team)
    {
        println!(
            "  {label:<15} {} ± {}",
            percent(acc.mean),
            percent(Z95 * acc.mcse())
        );
    }
    println!();
    println!("Kaplan–Meier of the pooled baseline (1 − S = abandoned), every 12 months:");
    for month in (12..=horizon).step_by(12) {
        let t = month as f64;
        let (low, high) = km.interval_at(t);
        println!(
            "  month {month:>3}: abandoned {} (95% CI {} – {})",
            percent(1.0 - km.survival_at(t)),
            percent(1.0 - high),
            percent(1.0 - low)
        );
    }
    let mut maintainers = MeanVar::default();
    results
        .iter()
        .for_each(|r| maintainers.add(r.maintainers_end));
    let start_mean = world
        .portfolio
        .projects
        .iter()
        .map(|p| f64::from(p.maintainers))
        .sum::<f64>()
        / projects;
    println!(
        "  maintainers per project: {start_mean:.2} at month 0, {:.2} ± {:.2} at month {horizon}",
        maintainers.mean,
        Z95 * maintainers.mcse()
    );
    if let Some(rmst) = km.rmst(end) {
        println!(
            "  restricted mean survival to month {horizon}: {:.2} months (95% CI {:.2} – {:.2})",
            rmst.estimate, rmst.ci_low, rmst.ci_high
        );
    }
    Ok(())
}
