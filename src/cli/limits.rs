//! Refusing runs too large to finish: before a portfolio is drawn or anything is written,
//! every simulating command estimates the time and memory it needs and refuses a job
//! above an hour or 8 GB unless `--allow-large` is given. A typo such as ten extra zeros
//! in `run.replications` then costs a message, not a machine. A command that runs the
//! scenario many times (a sweep's points, a search's evaluations) counts every run.
//!
//! The estimate is deliberately simple and says so: time from the project-months to
//! simulate and the strategy-months to add up, at measured throughputs; memory from what
//! the engine holds at once (one wave of block accumulators, whose per-project parts grow
//! with the calls, and the portfolio). It is meant to be right within a factor of about
//! two.

use super::error::CliError;
use crate::params::PortfolioSpec;
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;

/// Project-months one worker thread simulates per second: 20.5 to 25 million measured
/// on the built-in `stf` and `what-to-buy` scenarios and on `stf` with 500, 2,000 and
/// 20,000 projects (one thread, 2026-12-06, the reference 2-core machine); the lower
/// end, so estimates err towards too long.
pub const PROJECT_MONTHS_PER_THREAD_SECOND: f64 = 20e6;
/// Strategy-months one worker thread adds up per second, whatever the number of
/// projects: each replication adds every strategy's month to the survival moments and
/// the series' sketches (about 1 µs; taken as 1.25 µs). It is most of the time of small
/// portfolios: the seven platforms of `dpi` run at 5 million project-months per second.
pub const STRATEGY_MONTHS_PER_THREAD_SECOND: f64 = 0.8e6;
/// Longest estimated run started without `--allow-large` (seconds).
pub const MAX_SECONDS: f64 = 3_600.0;
/// Most estimated memory a run may take without `--allow-large` (bytes).
pub const MAX_BYTES: f64 = 8e9;

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSize {
    pub projects: u64,
    pub months: u64,
    pub strategies: u64,
    pub replications: u64,
    pub calls: u64,
    pub threads: u64,
    /// Runs of the scenario (design points, evaluations); 1 for `run`.
    pub runs: u64,
}

impl RunSize {
    /// The size of a scenario's run on `threads` worker threads with `projects` projects.
    pub fn of(scenario: &Scenario, projects: u64, threads: usize) -> Self {
        Self {
            projects,
            months: u64::from(scenario.fund.horizon_months),
            strategies: scenario.strategies.len() as u64,
            replications: scenario.run.replications,
            calls: scenario.max_calls() as u64,
            threads: threads.max(1) as u64,
            runs: 1,
        }
    }

    /// Project-months simulated in all (every strategy, every replication, every run).
    pub fn project_months(&self) -> f64 {
        self.projects as f64
            * self.months as f64
            * self.strategies as f64
            * self.replications as f64
            * self.runs as f64
    }

    /// Strategy-months in all: one per strategy, month and replication of every run.
    fn strategy_months(&self) -> f64 {
        self.months as f64 * self.strategies as f64 * self.replications as f64 * self.runs as f64
    }

    /// Estimated wall time (seconds): the projects' months and the strategies' months,
    /// each at its measured rate, shared by the threads. On the built-in scenarios and
    /// the large portfolios above it is 1.2–1.7 times the time measured.
    pub fn seconds(&self) -> f64 {
        (self.project_months() / PROJECT_MONTHS_PER_THREAD_SECOND
            + self.strategy_months() / STRATEGY_MONTHS_PER_THREAD_SECOND)
            / self.threads as f64
    }

    /// Estimated peak memory (bytes): the engine keeps one wave of block accumulators
    /// (4 per thread) plus the total, and each thread its trajectories and project states.
    pub fn bytes(&self) -> f64 {
        let (projects, months, strategies) = (
            self.projects as f64,
            self.months as f64,
            self.strategies as f64,
        );
        let threads = self.threads as f64;
        let accumulators = 4.0 * threads + 1.0;
        // Per project and strategy: abandonments, money, maintainers, and one sum per call.
        let per_project = 32.0 + 8.0 * self.calls as f64;
        // Per month and strategy: survival moments and the four series' sketches.
        let per_month = 2_000.0;
        let held = strategies * (accumulators + threads) * (projects * per_project);
        let series = strategies * accumulators * months * per_month;
        // The portfolio, its constants, and each thread's project states.
        let portfolio = projects * (400.0 + 300.0 * threads);
        20e6 + held + series + portfolio
    }

    /// Whether the run is within the limits that apply without `--allow-large`.
    pub fn is_allowed(&self) -> bool {
        self.seconds() <= MAX_SECONDS && self.bytes() <= MAX_BYTES
    }
}

/// The number of projects a scenario's portfolio will have, if known before loading it
/// (a synthetic portfolio states it; a CSV's is known once it is read).
pub fn synthetic_projects(scenario: &Scenario) -> Option<u64> {
    match &scenario.portfolio {
        PortfolioSpec::Synthetic(spec) => Some(u64::from(spec.projects)),
        PortfolioSpec::Csv { .. } => None,
    }
}

/// What a command simulates, for the size check: `runs` runs of `scenario`, each of its
/// `run.replications`.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    /// The scenario file or built-in, named in the message.
    pub origin: &'a str,
    pub scenario: &'a Scenario,
    /// Runs of the scenario: 1 for `run` and `compare`, a sweep's points, a search's
    /// evaluations.
    pub runs: u64,
    /// What the runs are, for the message (`sweep points`).
    pub runs_are: &'a str,
    /// The options that set how many runs there are, for the message (`the --param
    /// steps`).
    pub runs_from: &'a str,
    /// Where the replications of a run are set, for the message.
    pub replications_from: &'a str,
}

impl<'a> Workload<'a> {
    /// One run of `scenario` (`fundsim run`, `fundsim compare`).
    pub fn single(origin: &'a str, scenario: &'a Scenario) -> Self {
        Self {
            origin,
            scenario,
            runs: 1,
            runs_are: "runs",
            runs_from: "",
            replications_from: "run.replications",
        }
    }
}

/// Refuses a run whose estimate is above the limits, unless `allow_large`.
/// `portfolio` is `None` before the portfolio is loaded: a synthetic portfolio is then
/// checked from its stated size, before it is drawn; a CSV portfolio once it is read.
///
/// # Errors
/// [`CliError::Usage`] naming the scenario file, the sizes that multiply up, the
/// estimate, the limits and how to proceed.
pub fn check(
    origin: &str,
    scenario: &Scenario,
    portfolio: Option<&Portfolio>,
    threads: Option<usize>,
    allow_large: bool,
) -> Result<(), CliError> {
    check_workload(
        &Workload::single(origin, scenario),
        portfolio,
        threads,
        allow_large,
    )
}

/// As [`check`], for a command that runs the scenario `workload.runs` times.
///
/// # Errors
/// As [`check`].
pub fn check_workload(
    workload: &Workload<'_>,
    portfolio: Option<&Portfolio>,
    threads: Option<usize>,
    allow_large: bool,
) -> Result<(), CliError> {
    let scenario = workload.scenario;
    let projects = match portfolio {
        Some(portfolio) => portfolio.projects.len() as u64,
        None => match synthetic_projects(scenario) {
            Some(projects) => projects,
            None => return Ok(()),
        },
    };
    let threads = threads.unwrap_or_else(rayon::current_num_threads);
    let size = RunSize {
        runs: workload.runs.max(1),
        ..RunSize::of(scenario, projects, threads)
    };
    if allow_large || size.is_allowed() {
        return Ok(());
    }
    let projects_field = match &scenario.portfolio {
        PortfolioSpec::Synthetic(_) => "portfolio.projects".to_string(),
        PortfolioSpec::Csv { path } => format!("rows of {path}"),
    };
    let (runs, lower_runs) = if size.runs == 1 {
        (String::new(), String::new())
    } else {
        (
            format!(" × {} {}", size.runs, workload.runs_are),
            format!(", {}", workload.runs_from),
        )
    };
    let lower_replications = match workload.replications_from {
        option if option.starts_with("--") => option.to_string(),
        field => format!("{field} (or --replications)"),
    };
    Err(CliError::Usage(format!(
        "{}: the run is too large to start without --allow-large: {} projects ({projects_field}) × {} months (fund.horizon_months) × {} strategies × {} replications ({}){runs} = {:.2e} project-months, estimated {} on {} threads and {} of memory; allowed without --allow-large are runs estimated at up to {} and {}. Lower {lower_replications}{lower_runs} or the number of projects, or add --allow-large to run it anyway",
        workload.origin,
        size.projects,
        size.months,
        size.strategies,
        size.replications,
        workload.replications_from,
        size.project_months(),
        duration(size.seconds()),
        size.threads,
        gigabytes(size.bytes()),
        duration(MAX_SECONDS),
        gigabytes(MAX_BYTES),
    )))
}

/// A duration for people: seconds, minutes, hours, days or years.
fn duration(seconds: f64) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3_600.0;
    const DAY: f64 = 86_400.0;
    const YEAR: f64 = 365.25 * DAY;
    match seconds {
        s if s < MINUTE => format!("{s:.0} seconds"),
        s if s < HOUR => format!("{:.0} minutes", s / MINUTE),
        s if s < 2.0 * DAY => format!("{:.1} hours", s / HOUR),
        s if s < YEAR => format!("{:.0} days", s / DAY),
        s if s < 1e6 * YEAR => format!("{:.0} years", s / YEAR),
        s => format!("{:.1e} years", s / YEAR),
    }
}

fn gigabytes(bytes: f64) -> String {
    if bytes < 1e9 {
        format!("{:.0} MB", bytes / 1e6)
    } else {
        format!("{:.1} GB", bytes / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stf() -> Scenario {
        crate::scenario::parse_str(crate::scenario::builtin("stf").unwrap(), "stf").unwrap()
    }

    /// The default run must pass, with room to spare (its estimate, which errs towards
    /// too long, two orders of magnitude below the limit); the absurd sizes of the
    /// bad-input corpus must not.
    #[test]
    fn the_default_run_is_allowed_and_absurd_ones_are_not() {
        let mut scenario = stf();
        let size = RunSize::of(&scenario, 62, 2);
        assert!(size.is_allowed());
        assert!(size.seconds() < MAX_SECONDS / 100.0, "{}", size.seconds());
        assert!(size.bytes() < 1e9, "{}", size.bytes());
        scenario.run.replications = 1_000_000_000_000;
        assert!(!RunSize::of(&scenario, 62, 2).is_allowed());
        assert!(check("x.toml", &scenario, None, Some(2), true).is_ok());
        let Err(CliError::Usage(message)) = check("x.toml", &scenario, None, Some(2), false) else {
            panic!("an absurd run is refused as bad usage");
        };
        for words in [
            "x.toml",
            "run.replications",
            "1000000000000",
            "--allow-large",
        ] {
            assert!(message.contains(words), "{message}");
        }
        scenario.run.replications = 1_000;
        // Ten million projects: too long and too big.
        let size = RunSize::of(&scenario, 10_000_000, 2);
        assert!(size.seconds() > MAX_SECONDS && size.bytes() > MAX_BYTES);
    }

    /// A run allowed alone is refused when a command repeats it too often, and the
    /// message says how many times and what sets that number.
    #[test]
    fn repeated_runs_count_every_run() {
        let mut scenario = stf();
        scenario.run.replications = 100_000;
        assert!(check("x.toml", &scenario, None, Some(2), false).is_ok());
        let workload = Workload {
            runs: 40,
            runs_are: "sweep points",
            runs_from: "the --param steps",
            ..Workload::single("x.toml", &scenario)
        };
        assert!(check_workload(&workload, None, Some(2), true).is_ok());
        let Err(CliError::Usage(message)) = check_workload(&workload, None, Some(2), false) else {
            panic!("forty runs of an hour's worth are refused");
        };
        for words in ["× 40 sweep points", "the --param steps", "--allow-large"] {
            assert!(message.contains(words), "{message}");
        }
        let single = Workload::single("x.toml", &scenario);
        assert!(check_workload(&single, None, Some(2), false).is_ok());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(5.0), "5 seconds");
        assert_eq!(duration(600.0), "10 minutes");
        assert_eq!(duration(7_200.0), "2.0 hours");
        assert_eq!(duration(864_000.0), "10 days");
        assert!(duration(1e12).ends_with("years"));
        assert_eq!(gigabytes(2.5e9), "2.5 GB");
    }
}
