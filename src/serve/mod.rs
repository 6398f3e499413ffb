//! `fundsim serve`: a local web server for the page in `web/` and the HTTP API it and
//! scripts call (docs/serve.md). The server only translates HTTP into the code paths of
//! the command line: the scenario checks and `--set` (through [`Backend`], which `cli`
//! implements with its own functions, so the messages are the CLI's word for word), the
//! size limits, the engine, the run folder's tables, charts and brief.
//!
//! What the server withstands, and how:
//! - nothing on the server's disk is read or written on a client's request: scenarios
//!   come from the built-ins or the request body, a portfolio CSV a client's TOML names
//!   comes from the body, and the run folder of a download is written into a private
//!   temporary folder the server creates and deletes before it answers;
//! - at most [`MAX_RUNNING`] simulations at once and [`MAX_QUEUED`] waiting, beyond which
//!   a request gets 503; every run stops when its client goes away ([`jobs`]);
//! - request bodies above [`MAX_BODY_BYTES`] get 413, as do runs above the CLI's limits;
//! - every response carries the content security policy of [`CSP`].

mod api;
mod compare;
mod download;
mod error;
mod jobs;
mod page;
mod request;
mod result;
mod schema;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::engine::{ParameterWorlds, RunResult};
use crate::input::LoadedScenario;
use crate::output::StagedRun;
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;

pub use error::{ApiError, Problem};
pub use jobs::Status;

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

/// Starts the server on `options.address` and serves until Ctrl-C or SIGTERM.
/// `on_ready` is called with the bound address (the real port when `address` asks for
/// port 0) before the first request is accepted.
///
/// # Errors
/// A message when the runtime cannot start or the address cannot be bound.
pub fn serve(
    options: ServeOptions,
    backend: Arc<dyn Backend>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // The blocking threads run the simulations (at most MAX_RUNNING at once, each
        // on its own worker pool) and write the temporary folders of downloads.
        .max_blocking_threads(MAX_RUNNING + 6)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.address)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.address))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        let state = api::State::new(options, backend);
        on_ready(bound);
        // No graceful shutdown: a stop signal must not wait for a long simulation.
        let serving = axum::serve(listener, api::router(state)).into_future();
        tokio::select! {
            served = serving => served.map_err(|e| format!("the server stopped: {e}")),
            () = stop_signal() => Ok(()),
        }
    });
    // Runs still simulating are abandoned: the process is ending.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// Resolves on Ctrl-C (and SIGTERM on Unix).
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {},
            () = term => {},
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
