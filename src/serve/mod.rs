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
//! - every response carries the content security policy of [`CSP`];
//! - bound to loopback, it answers only requests addressed to a loopback name, so a web
//!   site that rebinds its own name to 127.0.0.1 cannot drive it ([`host`]).

mod api;
mod compare;
mod config;
mod download;
mod error;
mod host;
mod jobs;
mod page;
mod request;
mod result;
mod schema;

use std::future::IntoFuture;
use std::sync::Arc;

pub use config::{Backend, CSP, MAX_BODY_BYTES, MAX_QUEUED, MAX_RUNNING, ServeOptions};
pub use error::{ApiError, Problem};
pub use jobs::Status;

/// Starts the server on `options.address` and serves until Ctrl-C or SIGTERM.
/// `on_ready` is called with the bound address (the real port when `address` asks for
/// port 0) before the first request is accepted.
///
/// # Errors
/// A message when the runtime cannot start or the address cannot be bound.
pub fn serve(
    options: ServeOptions,
    backend: Arc<dyn Backend>,
    on_ready: impl FnOnce(std::net::SocketAddr),
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
        let loopback_only = bound.ip().is_loopback();
        let state = api::State::new(options, backend);
        on_ready(bound);
        // No graceful shutdown: a stop signal must not wait for a long simulation.
        let serving = axum::serve(listener, api::router(state, loopback_only)).into_future();
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
