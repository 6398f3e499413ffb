//! `fundsim serve`: the local web app and its HTTP API ([`crate::serve`]). This file
//! gives the server the command line's own code for everything a run checks, draws and
//! writes, so the browser and scripts get the CLI's messages and numbers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use clap::Args;

use super::args::UncertaintyArgs;
use super::common::{Prepared, worker_pool};
use super::error::CliError;
use super::overrides::{Setting, apply_and_write};
use crate::engine::{ParameterWorlds, RunResult};
use crate::input::LoadedScenario;
use crate::output::StagedRun;
use crate::portfolio::Portfolio;
use crate::scenario::{self, Scenario};
use crate::serve::{Backend, ServeOptions};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The built-in scenario the page opens with [default: stf].
    pub scenario: Option<String>,
    /// Port to listen on (0: any free port; the address printed says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. Anything but a loopback address lets other machines run
    /// simulations on this one (a warning says so).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Open the page in the default browser once the server listens.
    #[arg(long)]
    pub open: bool,
    /// Worker threads of each simulation [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn execute(args: ServeArgs) -> Result<(), CliError> {
    let default_scenario = args.scenario.clone().unwrap_or_else(|| "stf".into());
    if scenario::builtin(&default_scenario).is_none() {
        let names: Vec<&str> = scenario::BUILTIN_SCENARIOS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        return Err(CliError::Usage(format!(
            "fundsim serve {default_scenario}: expected the name of a built-in scenario ({}); a scenario file is opened in the page instead, which never reads the server's disk",
            names.join(", ")
        )));
    }
    let threads = match args.threads {
        Some(0) => return Err(CliError::Usage("--threads must be at least 1".into())),
        Some(threads) => threads,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: --bind {}: the server is reachable from other machines, which can then run simulations on this one and read every result; it has no login. Bind to 127.0.0.1 unless that is what you want",
            args.bind
        );
    }
    let options = ServeOptions {
        address: SocketAddr::new(args.bind, args.port),
        default_scenario,
        threads,
    };
    let open = args.open;
    crate::serve::serve(options, Arc::new(CliBackend), move |address| {
        let url = format!("http://{address}/");
        println!("fundsim serve: {url}");
        println!("(Ctrl-C stops the server)");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        if open {
            open_browser(&url);
        }
    })
    .map_err(CliError::Failure)
}

/// Opens `url` with the desktop's opener; says so when there is none.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(error) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("warning: --open: cannot start {opener} ({error}); open {url} yourself");
    }
}

/// The command line's code, as the server calls it.
struct CliBackend;

fn message(error: CliError) -> String {
    match error {
        CliError::Usage(m) | CliError::Failure(m) | CliError::Interrupted(m) => m,
    }
}

impl Backend for CliBackend {
    fn apply_settings(
        &self,
        text: &str,
        origin: &str,
        settings: &[(String, f64)],
    ) -> Result<(Scenario, String), String> {
        let settings: Vec<Setting> = settings
            .iter()
            .map(|(path, value)| Setting {
                path: path.clone(),
                value: *value,
            })
            .collect();
        apply_and_write(text, origin, &settings).map_err(message)
    }

    fn check_limits(
        &self,
        origin: &str,
        scenario: &Scenario,
        portfolio: Option<&Portfolio>,
        threads: usize,
    ) -> Result<(), String> {
        super::limits::check(origin, scenario, portfolio, Some(threads), false)
            .map(|()| ())
            .map_err(|e| message(e).replace(
                "Lower run.replications (or --replications) or the number of projects, or add --allow-large to run it anyway",
                "Lower run.replications (the request's \"replications\") or the number of projects; runs this large are for the command line (fundsim run --allow-large)",
            ))
    }

    fn parameter_worlds(
        &self,
        loaded: LoadedScenario,
        scenario: Scenario,
        portfolio: &Portfolio,
        set_paths: &[String],
        use_table: bool,
        threads: usize,
    ) -> Result<(Scenario, Option<Arc<ParameterWorlds>>), String> {
        let prepared = Prepared {
            loaded,
            scenario,
            portfolio: portfolio.clone(),
            pool: worker_pool(Some(threads)).map_err(message)?,
            parameters: None,
            set_paths: set_paths.to_vec(),
        };
        let options = UncertaintyArgs {
            no_uncertainty: !use_table,
            ..UncertaintyArgs::default()
        };
        let prepared = prepared.with_uncertainty(&options).map_err(message)?;
        Ok((prepared.scenario, prepared.parameters))
    }

    fn write_run_folder(
        &self,
        staged: &StagedRun,
        origin: &str,
        scenario: &Scenario,
        result: &RunResult,
        parameters: Option<&ParameterWorlds>,
        charts: bool,
    ) -> Result<Vec<u8>, String> {
        super::run::write_run_folder_of(staged, origin, scenario, result, parameters, !charts)
            .map_err(message)
    }
}
