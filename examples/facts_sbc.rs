//! Simulation-based calibration of `fundsim calibrate --facts` with the real model: truths
//! drawn from the default priors, pseudo-observed facts simulated at each (one study of
//! the popular-baseline portfolio, plus the error the tolerance stands for), fitted back
//! by the same ABC-SMC; prints each truth's 90% intervals and the coverage per parameter.
//! The figures of docs/calibration.md ("Fitting the baseline to the facts") come from
//!
//! ```text
//! cargo run --release --example facts_sbc -- --truths 30 --particles 100
//! ```
//!
//! Options: `--truths N` (default 30), `--particles N` (100), `--generations G` (20),
//! `--tolerance E` (1), `--seed S` (20261128), `--set PATH=VALUE` (repeatable, on the
//! facts scenario, e.g. `--set portfolio.projects=500` for a quicker check).

use std::process::ExitCode;

use fundsim::analysis::calibrate::abc::AbcSettings;
use fundsim::analysis::calibrate::facts_fit::{DEFAULT_PARAMS, FactsFit, FactsProblem};
use fundsim::analysis::calibrate::facts_sbc::simulation_based_calibration;
use fundsim::analysis::facts::{FACTS_SCENARIO, Facts};
use fundsim::scenario::{parse_with_overrides, set_path};

struct Args {
    truths: usize,
    settings: AbcSettings,
    overrides: Vec<(String, f64)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        truths: 30,
        settings: AbcSettings {
            particles: 100,
            ..AbcSettings::default()
        },
        overrides: Vec::new(),
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        let value = raw.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--truths" => args.truths = number(&value)? as usize,
            "--particles" => args.settings.particles = number(&value)? as usize,
            "--generations" => args.settings.max_generations = number(&value)? as usize,
            "--tolerance" => args.settings.tolerance = number(&value)?,
            "--seed" => args.settings.seed = value.parse().map_err(|e| format!("--seed: {e}"))?,
            "--set" => {
                let (path, v) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--set {value}: expected PATH=VALUE"))?;
                args.overrides.push((path.to_string(), number(v)?));
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut document: toml::Table = toml::from_str(FACTS_SCENARIO).expect("the facts scenario");
    for (path, value) in &args.overrides {
        if let Err(problem) = set_path(&mut document, path, *value) {
            eprintln!("error: --set {path}: {problem}");
            return ExitCode::from(2);
        }
    }
    let text = toml::to_string(&document).expect("a TOML table");
    if let Err(error) = parse_with_overrides(&text, "popular-baseline", &[]) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    let fit = FactsFit::new(FactsProblem {
        scenario_text: text,
        origin: "built-in:popular-baseline".into(),
        portfolio_csv: None,
        params: DEFAULT_PARAMS.iter().map(|p| p.parse().unwrap()).collect(),
        facts: Facts::builtin(),
        replications: 1,
    })
    .expect("the default fit");
    let names: Vec<&str> = fit.params().iter().map(|p| p.path.as_str()).collect();
    println!(
        "Simulation-based calibration: {} truths from the default priors, {} particles, tolerance {}, seed {}",
        args.truths, args.settings.particles, args.settings.tolerance, args.settings.seed
    );
    let started = std::time::Instant::now();
    let report = |truth: usize, result: &fundsim::analysis::calibrate::facts_sbc::SbcTruth| {
        let cells: Vec<String> = result
            .theta
            .iter()
            .zip(&result.intervals)
            .zip(result.covered())
            .map(|((value, (low, high)), covered)| {
                format!(
                    "{value:.4} in [{low:.4}, {high:.4}]{}",
                    if covered { "" } else { " MISSED" }
                )
            })
            .collect();
        println!(
            "truth {truth:>3} ({:?}, {} simulations, {:.0} s): {}",
            result.stop,
            result.simulations,
            started.elapsed().as_secs_f64(),
            cells.join("; ")
        );
    };
    let truths =
        match simulation_based_calibration(&fit, args.truths, &args.settings, &report, &|| false) {
            Ok(truths) => truths,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
        };
    let reached = truths
        .iter()
        .filter(|t| t.stop == fundsim::analysis::calibrate::abc::Stop::TargetReached)
        .count();
    println!(
        "\n{reached} of {} fits reached the target tolerance; {:.0} s",
        truths.len(),
        started.elapsed().as_secs_f64()
    );
    let n = truths.len() as f64;
    let band = 2.0 * (0.9 * 0.1 / n).sqrt();
    println!(
        "coverage of the 90% intervals (expected 90%, ± {:.0} points = 2 binomial standard deviations for {} truths):",
        100.0 * band,
        truths.len()
    );
    for (i, name) in names.iter().enumerate() {
        let covered = truths.iter().filter(|t| t.covered()[i]).count();
        println!(
            "  {name:<36} {covered:>3} of {} ({:.0}%)",
            truths.len(),
            100.0 * covered as f64 / n
        );
    }
    ExitCode::SUCCESS
}
