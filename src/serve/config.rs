//! What the server is configured with: its limits, its security policy, how it is
//! started, and the [`Backend`] through which it calls the command line's code.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::engine::{ParameterWorlds, RunResult};
use crate::input::LoadedScenario;
use crate::output::StagedRun;
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;

/// Simulations that run at once; more wait in the queue.
pub const MAX_RUNNING: usize = 2;
/// Requests that wait for a simulation slot; more are refused with 503.
pub const MAX_QUEUED: usize = 8;
/// The largest request body accepted (bytes); a larger one gets 413.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The content security policy of every response: only this server's own scripts,
/// styles and connections, no plugins, no framing, no base URL changes.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// What the server needs from the command line's code, which lives above it: each
/// method is the CLI's own function, so a scenario is checked, limited, drawn and
/// written exactly as `fundsim run` does it. Errors are the CLI's messages.
pub trait Backend: Send + Sync + 'static {
    /// The scenario of `text` (from `origin`) with `settings` applied (as `--set`), and
    /// the text with the values written into it.
    ///
    /// # Errors
    /// The CLI's message naming the file, the field and what is allowed.
    fn apply_settings(
        &self,
        text: &str,
        origin: &str,
        settings: &[(String, f64)],
    ) -> Result<(Scenario, String), String>;

    /// The CLI's size limits, without `--allow-large` (`portfolio` is `None` before a
    /// portfolio is drawn or read).
    ///
    /// # Errors
    /// The CLI's message saying which sizes multiply up to what.
    fn check_limits(
        &self,
        origin: &str,
        scenario: &Scenario,
        portfolio: Option<&Portfolio>,
        threads: usize,
    ) -> Result<(), String>;

    /// The parameter sets of `scenario`'s `[uncertainty]` table as `fundsim run` draws
    /// them (from `loaded`, the scenario as read, with the `--set` settings `set_paths`),
    /// or none (`use_table` false removes the table, as `--no-uncertainty`). Returns the
    /// scenario as the run records it.
    ///
    /// # Errors
    /// The CLI's message when a set cannot be drawn or a setting is drawn by the table.
    fn parameter_worlds(
        &self,
        loaded: LoadedScenario,
        scenario: Scenario,
        portfolio: &Portfolio,
        set_paths: &[String],
        use_table: bool,
        threads: usize,
    ) -> Result<(Scenario, Option<Arc<ParameterWorlds>>), String>;

    /// Writes the run folder into `staged` exactly as `fundsim run` does (`charts`
    /// false: as `--no-charts`); returns the manifest to finish it with.
    ///
    /// # Errors
    /// The CLI's message when a file cannot be written.
    fn write_run_folder(
        &self,
        staged: &StagedRun,
        origin: &str,
        scenario: &Scenario,
        result: &RunResult,
        parameters: Option<&ParameterWorlds>,
        charts: bool,
    ) -> Result<Vec<u8>, String>;
}

/// How the server is started.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub address: SocketAddr,
    /// The built-in scenario a request without `scenario` runs.
    pub default_scenario: String,
    /// Worker threads of each simulation.
    pub threads: usize,
}
