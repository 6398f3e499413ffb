//! `fundsim sensitivity`: Morris screening or Sobol indices of any set of outcomes over
//! the uncertain parameters of the scenario's `[sensitivity]` table. The indices, their
//! charts and summary lines are in `sensitivity_indices`; the setup shared with `sweep`
//! and `target` in `analysis_setup`.

use std::time::Instant;

use clap::{Args, ValueEnum};

use super::analysis_setup::{
    Label, Setup, Share, design_destination, design_job, resolve_outputs, setup, strategy_filter,
    write_design_shard, write_wide_csv,
};
use super::args::{OutputArgs, SimulationArgs};
use super::error::CliError;
use super::interrupt::Interrupt;
use super::sensitivity_indices::{self as indices, Analysis, write_listed};
use super::shard::{Merged, ShardArg};
use super::staging::{self, Staged};
use crate::analysis::{self as sensitivity, Method, MonteCarloNoise, MorrisDesign, SaltelliDesign};
use crate::output::manifest::{FolderManifest, SensitivityManifest};
use crate::output::shard::Job;
use crate::output::tables::number;
use crate::plot::sensitivity::render;
use crate::scenario::sensitivity::SensitivitySpec;
use crate::scenario::{Scenario, UncertainParameter};
use crate::stats::{Estimate, Output};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Morris elementary effects (μ*, σ): cheap screening, r·(k+1) design points.
    Morris,
    /// Sobol first-order and total indices (Saltelli sampling): N·(k+2) design points.
    Sobol,
}

#[derive(Debug, Args)]
#[command(
    mut_arg("scenario", |arg| arg.help(
        "Scenario file, or the name of a built-in scenario [default: sensitivity]. It must have a [sensitivity] table"
    )),
    mut_arg("replications", |arg| arg.help(
        "Inner replications per design point, all with the same seed [default: the table's `replications`]"
    )),
    mut_arg("seed", |arg| arg.help(
        "Master seed (overrides the scenario's run.seed); also fixes the design and the bootstrap"
    )),
    mut_arg("out", |arg| arg.help("Output folder [default: outputs/<scenario>-<method>/run-NNN]")),
    mut_arg("quiet", |arg| arg.help("No progress bar and no summary")),
)]
pub struct SensitivityArgs {
    /// The method.
    #[arg(long, value_enum, default_value = "morris")]
    pub method: MethodArg,
    /// Outcomes to analyse (repeatable): any metric of summary.csv, a paired outcome,
    /// survival_year_N, weighted_survival_year_N, survival_by_year,
    /// weighted_survival_by_year [default: the table's `metrics`].
    #[arg(long = "metric")]
    pub metrics: Vec<String>,
    /// Analyse only these strategies (repeatable) [default: all].
    #[arg(long = "strategy")]
    pub strategies: Vec<String>,
    /// Also analyse each strategy's paired difference to this one (repeatable)
    /// [default: the no-funding baseline].
    #[arg(long)]
    pub versus: Vec<String>,
    /// Sobol base sample N, a power of two [default: the table's `samples`].
    #[arg(long)]
    pub samples: Option<u32>,
    /// Morris trajectories [default: the table's `trajectories`].
    #[arg(long)]
    pub trajectories: Option<u32>,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub shard: ShardArg,
}

/// The design of an analysis, and what it measures: everything decided before a point
/// is evaluated.
struct Plan {
    setup: Setup,
    spec: SensitivitySpec,
    design: Design,
    /// Every design point, in the unit cube.
    unit_points: Vec<Vec<f64>>,
    /// Whether each parameter is a whole number.
    integer: Vec<bool>,
    outputs: Vec<Output>,
    labels: Vec<Label>,
    metrics: Vec<String>,
    versus: Vec<String>,
    strategy_filter: Vec<String>,
    bootstrap: usize,
}

/// The method with its design.
enum Design {
    Morris {
        design: MorrisDesign,
        trajectories: u32,
    },
    Sobol {
        samples: u32,
    },
}

impl Design {
    fn method(&self) -> Method {
        match self {
            Self::Morris { .. } => Method::Morris,
            Self::Sobol { .. } => Method::Sobol,
        }
    }

    /// The method's name in folder names and the manifest.
    fn name(&self) -> &'static str {
        match self {
            Self::Morris { .. } => "morris",
            Self::Sobol { .. } => "sobol",
        }
    }

    /// The method's name for people.
    fn title(&self) -> &'static str {
        match self {
            Self::Morris { .. } => "Morris screening",
            Self::Sobol { .. } => "Sobol indices",
        }
    }
}

/// An analysis whose design points are evaluated (or merged from shards), its folder
/// staged: what [`finish`] writes.
pub(super) struct Analysed {
    plan: Plan,
    interrupt: Interrupt,
    staged: Staged,
    /// For a shard: its share of the job.
    shard: Option<(super::shard::ShardSpec, Job)>,
    estimates: Vec<Vec<Estimate>>,
    started: Instant,
    simulated_seconds: f64,
}

pub fn execute(args: SensitivityArgs) -> Result<(), CliError> {
    let analysed = compute(&args)?;
    finish(analysed, &args.output)
}

/// Evaluates the design points (with `--shard`, this process's share of them), after
/// staging the folder.
///
/// # Errors
/// [`CliError`] for bad input, a job above the size limits, an unwritable location or
/// a failed or stopped evaluation.
pub(super) fn compute(args: &SensitivityArgs) -> Result<Analysed, CliError> {
    let started = Instant::now();
    let plan = plan(args)?;
    let simulated = simulated(&plan.setup)?;
    plan.setup.check_size(
        &simulated,
        plan.unit_points.len() as u64,
        ("design points", "--trajectories or --samples"),
    )?;
    let job = match args.shard.shard {
        Some(spec) => Some((spec, design_job("sensitivity", &plan.setup)?)),
        None => None,
    };
    let share = args.shard.shard.map_or(Share::All, Share::Shard);
    evaluate(plan, share, job, &args.output, started)
}

/// The analysis of the estimates of every design point, from the shards of a job (`fundsim
/// merge`), its folder staged at `output`: nothing is simulated.
///
/// # Errors
/// [`CliError::Usage`] when the scenario has changed since the shards ran or the
/// estimates do not fit the design.
pub(super) fn from_merged(
    args: &SensitivityArgs,
    output: &OutputArgs,
    merged: Merged<Vec<Vec<Estimate>>>,
) -> Result<Analysed, CliError> {
    let started = Instant::now();
    let plan = plan(args)?;
    let loaded = &plan.setup.loaded;
    merged.check_scenario(&loaded.origin, &loaded.scenario.hash())?;
    evaluate(plan, Share::Merged(merged.state), None, output, started)
}

/// Loads the scenario and its `[sensitivity]` table, resolves the outputs and draws the
/// design.
fn plan(args: &SensitivityArgs) -> Result<Plan, CliError> {
    let replications = |scenario: &Scenario| {
        scenario
            .sensitivity
            .as_ref()
            .map_or(crate::scenario::sensitivity::DEFAULT_REPLICATIONS, |s| {
                s.replications
            })
    };
    let mut setup = setup(
        &args.simulation,
        "sensitivity",
        (replications, "sensitivity.replications"),
        None,
    )?;
    let Some(spec) = setup.loaded.scenario.sensitivity.clone() else {
        return Err(CliError::Usage(format!(
            "{} has no [sensitivity] table: declare the uncertain parameters there (see docs/sensitivity.md, or the built-in scenario `sensitivity`)",
            setup.loaded.origin
        )));
    };
    let baseline = setup.loaded.scenario.baseline_index();
    let versus = if args.versus.is_empty() {
        vec![setup.loaded.scenario.strategies[baseline].name.clone()]
    } else {
        args.versus.clone()
    };
    setup.model.strategies = strategy_filter(&args.strategies, &versus);
    let metrics = if args.metrics.is_empty() {
        spec.metrics.clone()
    } else {
        args.metrics.clone()
    };
    let (outputs, labels) = resolve_outputs(
        &setup.loaded,
        &simulated(&setup)?,
        &metrics,
        &args.strategies,
        &versus,
    )?;
    let integer = sensitivity::check_parameters(&setup.model, &spec.parameters)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let (design, unit_points) = design(args, &spec, setup.model.seed)?;
    Ok(Plan {
        setup,
        spec,
        design,
        unit_points,
        integer,
        outputs,
        labels,
        metrics,
        versus,
        strategy_filter: args.strategies.clone(),
        bootstrap: args.bootstrap,
    })
}

/// The scenario as the analysis simulates it (the chosen strategies, the inner
/// replications).
fn simulated(setup: &Setup) -> Result<Scenario, CliError> {
    setup
        .model
        .scenario(&[])
        .map_err(|e| CliError::Usage(e.to_string()))
}

/// The method's design and its points in the unit cube.
fn design(
    args: &SensitivityArgs,
    spec: &SensitivitySpec,
    seed: u64,
) -> Result<(Design, Vec<Vec<f64>>), CliError> {
    let k = spec.parameters.len();
    match args.method {
        MethodArg::Sobol => {
            let samples = args.samples.unwrap_or(spec.samples);
            if !samples.is_power_of_two()
                || !(4..=crate::scenario::sensitivity::MAX_SAMPLES).contains(&samples)
            {
                return Err(CliError::Usage(format!(
                    "--samples must be a power of two from 4 to {}",
                    crate::scenario::sensitivity::MAX_SAMPLES
                )));
            }
            let design_seed = (seed ^ (seed >> 32)) as u32;
            let points = SaltelliDesign::new(samples as usize, k, design_seed).points();
            Ok((Design::Sobol { samples }, points))
        }
        MethodArg::Morris => {
            let trajectories = args.trajectories.unwrap_or(spec.trajectories);
            if trajectories < 2 {
                return Err(CliError::Usage("--trajectories must be at least 2".into()));
            }
            let design = MorrisDesign::new(k, trajectories as usize, spec.levels, seed);
            let points = design.points();
            Ok((
                Design::Morris {
                    design,
                    trajectories,
                },
                points,
            ))
        }
    }
}

/// Stages the folder at `output` and evaluates `share` of the design points.
fn evaluate(
    plan: Plan,
    share: Share,
    shard: Option<(super::shard::ShardSpec, Job)>,
    output: &OutputArgs,
    started: Instant,
) -> Result<Analysed, CliError> {
    let destination = design_destination(
        shard.as_ref().map(|(spec, _)| *spec),
        output,
        &plan.setup.loaded.scenario.name,
        plan.design.name(),
    )?;
    let interrupt = Interrupt::install()?;
    let staged = staging::stage(&interrupt, destination, output.quiet)?;
    let model = &plan.setup.model;
    let estimates = share.estimates(
        (plan.unit_points.len(), plan.outputs.len()),
        &plan.setup.pool,
        &interrupt,
        output.quiet,
        "design points",
        |range, progress, cancel| {
            sensitivity::evaluate_design(
                model,
                &plan.spec.parameters,
                &plan.integer,
                &plan.unit_points[range],
                &plan.outputs,
                progress,
                cancel,
            )
        },
    )?;
    Ok(Analysed {
        plan,
        interrupt,
        staged,
        shard,
        estimates,
        started,
        simulated_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes the shard folder, or the tables, indices, charts, manifest and report of the
/// analysis, moves the folder into place and, unless quiet, prints the summary.
///
/// # Errors
/// [`CliError`] when the folder cannot be written, or a stop signal came first.
pub(super) fn finish(analysed: Analysed, output: &OutputArgs) -> Result<(), CliError> {
    let writing = analysed.interrupt.writing()?; // a stop signal now waits for the folder
    let Analysed {
        plan,
        staged,
        shard,
        estimates,
        started,
        simulated_seconds,
        ..
    } = analysed;
    if let Some((spec, job)) = shard {
        let points = plan.unit_points.len();
        let quiet = output.quiet;
        return write_design_shard(
            (staged, writing),
            job,
            spec,
            points,
            &estimates,
            quiet,
            started,
        );
    }
    let mut files: Vec<String> = Vec::new();
    let noise: Vec<MonteCarloNoise> = (0..plan.outputs.len())
        .map(|o| MonteCarloNoise::of(&estimates.iter().map(|row| row[o]).collect::<Vec<_>>()))
        .collect();
    write_tables(&plan, &estimates, &noise, &staged, &mut files)?;
    let model = &plan.setup.model;
    let analysis = Analysis {
        labels: &plan.labels,
        parameters: &plan.spec.parameters,
        noise: &noise,
        estimates: &estimates,
        resamples: plan.bootstrap.max(10),
        seed: model.seed,
        source: format!(
            "Source: fundsim {} {} · scenario “{}” · seed {} · {} inner replications per point (same seed at every point) · {} design points",
            crate::VERSION,
            plan.design.title(),
            plan.setup.loaded.scenario.name,
            model.seed,
            model.replications,
            plan.unit_points.len()
        ),
        horizon_months: plan.setup.loaded.scenario.fund.horizon_months,
    };
    let drawn = match &plan.design {
        Design::Morris { design, .. } => indices::morris(&analysis, design, &staged, &mut files)?,
        Design::Sobol { samples } => indices::sobol(&analysis, *samples, &staged, &mut files)?,
    };
    if !output.no_charts {
        draw_charts(&drawn.charts, &staged, &mut files)?;
    }
    let manifest = manifest(&plan, analysis.resamples, files)?;
    // The report is drawn from the staged tables and charts, as `fundsim report` draws
    // it from the finished folder: the same bytes either way.
    let report = crate::report::sensitivity::render_folder(staged.staging_path(), &manifest)
        .map_err(|e| CliError::Failure(format!("cannot write the report: {e}")))?;
    staged.write(crate::report::FILE, report.as_bytes())?;
    writing.check()?;
    let folder = staged.finish(&manifest)?;
    writing.finished(&folder)?;
    if !output.quiet {
        println!(
            "{} of {} over {} uncertain parameters: {} design points × {} inner replications (same seed at every point)",
            plan.design.title(),
            plan.setup.loaded.scenario.name,
            plan.spec.parameters.len(),
            plan.unit_points.len(),
            model.replications
        );
        println!(
            "Monte Carlo noise share = mean squared MCSE of a point's mean / variance of the points' means (an upper bound; above 0.1, add --replications)."
        );
        for line in &drawn.summary {
            println!("{line}");
        }
        print_noisy(&plan.labels, &noise, model.replications);
        println!(
            "\n{} design points in {simulated_seconds:.1} s on {} threads ({:.1} s in all); results and report.html in {}",
            plan.unit_points.len(),
            plan.setup.pool.current_num_threads(),
            started.elapsed().as_secs_f64(),
            folder.display()
        );
    }
    Ok(())
}

/// How many outputs are too noisy to trust: those printed above, and the time-resolved
/// ones (only in `outputs.csv`).
fn print_noisy(labels: &[Label], noise: &[MonteCarloNoise], replications: u64) {
    let count = |time_resolved: bool| {
        let of: Vec<&MonteCarloNoise> = labels
            .iter()
            .zip(noise)
            .filter(|(l, _)| l.time_resolved == time_resolved)
            .map(|(_, n)| n)
            .collect();
        (
            of.iter().filter(|n| indices::too_noisy(n)).count(),
            of.len(),
        )
    };
    let ((printed, of_printed), (yearly, of_yearly)) = (count(false), count(true));
    if printed + yearly == 0 {
        return;
    }
    let yearly = if of_yearly > 0 {
        format!(" and {yearly} of the {of_yearly} year-by-year outputs")
    } else {
        String::new()
    };
    println!(
        "Too noisy to trust (noise share above {}): {printed} of the {of_printed} outputs above{yearly} (outputs.csv: noise_too_high); rerun with more --replications (now {replications}).",
        crate::report::sensitivity::NOISE_LIMIT
    );
}

/// `parameters.csv`, `outputs.csv` and `design.csv`.
fn write_tables(
    plan: &Plan,
    estimates: &[Vec<Estimate>],
    noise: &[MonteCarloNoise],
    staged: &Staged,
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    let parameters = &plan.spec.parameters;
    write_listed(
        staged,
        files,
        "parameters.csv",
        &[
            "parameter",
            "path",
            "distribution",
            "low",
            "high",
            "whole_number",
        ],
        parameters
            .iter()
            .zip(&plan.integer)
            .map(|(p, &whole)| {
                let (low, high) = p.distribution.range();
                vec![
                    p.label.clone(),
                    p.path.clone(),
                    p.distribution.describe(),
                    number(low),
                    number(high),
                    whole.to_string(),
                ]
            })
            .collect(),
    )?;
    write_listed(
        staged,
        files,
        "outputs.csv",
        &[
            "metric",
            "strategy",
            "versus",
            "mean",
            "variance",
            "mean_squared_mcse",
            "noise_share",
            "noise_too_high",
        ],
        plan.labels
            .iter()
            .zip(noise)
            .map(|(l, n)| {
                vec![
                    l.metric.clone(),
                    l.strategy.clone(),
                    l.versus.clone(),
                    number(n.mean),
                    number(n.variance),
                    number(n.mean_squared_mcse),
                    number(n.share),
                    indices::too_noisy(n).to_string(),
                ]
            })
            .collect(),
    )?;
    write_design(plan, parameters, estimates, staged)?;
    files.push("design.csv".into());
    Ok(())
}

/// `design.csv`: every point's parameter values and output means.
fn write_design(
    plan: &Plan,
    parameters: &[UncertainParameter],
    estimates: &[Vec<Estimate>],
    staged: &Staged,
) -> Result<(), CliError> {
    let k = parameters.len();
    let mut header: Vec<String> = vec!["point".into()];
    header.push(match plan.design {
        Design::Morris { .. } => "trajectory".into(),
        Design::Sobol { .. } => "row".into(),
    });
    header.extend(parameters.iter().map(|p| p.path.clone()));
    header.extend(plan.labels.iter().map(Label::column));
    let per_group = match plan.design {
        Design::Morris { .. } => k + 1,
        Design::Sobol { .. } => k + 2,
    };
    let design_rows: Vec<Vec<String>> = plan
        .unit_points
        .iter()
        .zip(estimates)
        .enumerate()
        .map(|(point, (unit, row))| {
            let values = sensitivity::to_values(unit, parameters);
            let mut cells = vec![point.to_string(), (point / per_group).to_string()];
            cells.extend(
                values
                    .iter()
                    .zip(&plan.integer)
                    .map(|(&v, &whole)| number(if whole { v.round() } else { v })),
            );
            cells.extend(row.iter().map(|e| number(e.mean)));
            cells
        })
        .collect();
    write_wide_csv(staged, "design.csv", &header, &design_rows)
}

/// Draws every chart (PNG and SVG) into `staged`; a chart that cannot be drawn is
/// reported and left out.
fn draw_charts(
    charts: &[(String, crate::plot::sensitivity::BarChart)],
    staged: &Staged,
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    for (name, chart) in charts {
        match render(chart) {
            Ok(rendered) => {
                let png = format!("charts/{name}.png");
                let svg = format!("charts/{name}.svg");
                staged.write(&png, &rendered.png)?;
                staged.write(&svg, rendered.svg.as_bytes())?;
                files.push(png);
                files.push(svg);
            }
            Err(error) => {
                eprintln!("warning: chart {name} not drawn ({error}); the tables are complete")
            }
        }
    }
    Ok(())
}

/// `manifest.json`, listing `files` and the report.
fn manifest(plan: &Plan, resamples: usize, mut files: Vec<String>) -> Result<Vec<u8>, CliError> {
    let setup = &plan.setup;
    let method = plan.design.method();
    let (samples, trajectories) = match plan.design {
        Design::Morris { trajectories, .. } => (None, Some(trajectories)),
        Design::Sobol { samples } => (Some(samples), None),
    };
    files.push(crate::report::FILE.into());
    SensitivityManifest {
        fundsim_version: crate::VERSION.into(),
        command: SensitivityManifest::COMMAND.into(),
        method: method.into(),
        scenario_name: setup.loaded.scenario.name.clone(),
        scenario_description: setup.loaded.scenario.description.clone(),
        scenario_origin: setup.loaded.origin.clone(),
        scenario_hash: setup.loaded.scenario.hash(),
        scenario_overrides: setup.overrides_given(),
        seed: setup.model.seed,
        inner_replications: setup.model.replications,
        samples,
        trajectories,
        levels: (method == Method::Morris).then_some(plan.spec.levels),
        design_points: plan.unit_points.len(),
        bootstrap_resamples: resamples,
        parameters: plan.spec.parameters.clone(),
        metrics: plan.metrics.clone(),
        strategies: setup
            .loaded
            .scenario
            .strategies
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        strategy_filter: plan.strategy_filter.clone(),
        versus: plan.versus.clone(),
        files,
    }
    .to_bytes()
    .map_err(|e| CliError::Failure(e.to_string()))
}
