//! The routes: the page's files and the API (docs/serve.md). Every handler reads its
//! body as bytes under the size cap, checks the request with the CLI's checks before it
//! queues, and simulates under a [`Ticket`] so that the work is bounded and stops when
//! the client goes away.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::config::{Backend, CSP, MAX_BODY_BYTES, ServeOptions};
use super::error::ApiError;
use super::jobs::{Jobs, Ticket};
use super::request::{Checked, RunRequest, parse_json};
use super::result::{self, Runner, Simulated};
use crate::scenario::{self, BUILTIN_SCENARIOS};

/// What every handler shares.
#[derive(Clone)]
pub struct State {
    pub runner: Runner,
    pub jobs: Arc<Jobs>,
    pub default_scenario: String,
}

impl State {
    pub fn new(options: ServeOptions, backend: Arc<dyn Backend>) -> Self {
        Self {
            runner: Runner {
                backend,
                threads: options.threads.max(1),
            },
            jobs: Arc::new(Jobs::default()),
            default_scenario: options.default_scenario,
        }
    }

    /// Checks a run body as the CLI checks its command line and scenario.
    fn check(&self, request: &RunRequest) -> Result<Checked, ApiError> {
        request.check(
            self.runner.backend.as_ref(),
            &self.default_scenario,
            self.runner.threads,
        )
    }

    /// A run body read, parsed, checked and given a place among the jobs (or queued):
    /// what every endpoint that simulates one run does first.
    fn admit_run(
        &self,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<(Ticket, Checked), ApiError> {
        let checked = self.check(&parse_json::<RunRequest>(&body_bytes(body)?)?)?;
        Ok((self.jobs.admit()?, checked))
    }
}

/// The routes, with the `Host` check of [`super::host`] when the server is bound to
/// `loopback_only`.
pub fn router(state: State, loopback_only: bool) -> Router {
    Router::new()
        .route("/", get(super::page::index))
        .route("/index.html", get(super::page::index))
        .route("/app.js", get(super::page::script))
        .route("/app.css", get(super::page::style))
        .route("/vendor/{file}", get(super::page::vendor))
        .route("/api/scenarios", get(scenarios))
        .route("/api/scenarios/{name}", get(scenario_text))
        .route("/api/schema", get(schema))
        .route("/api/status", get(status))
        .route("/api/run", post(run))
        .route("/api/compare", post(compare))
        .route("/api/download/zip", post(download_zip))
        .route("/api/download/brief", post(download_brief))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Inside the security headers, so that a refused `Host` gets them too.
        .layer(axum::middleware::from_fn_with_state(
            loopback_only,
            super::host::require_loopback_host,
        ))
        .layer(axum::middleware::map_response(secure_headers))
        .with_state(state)
}

/// The content security policy, and no sniffing or referrers, on every response.
async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such page or API endpoint")
}

/// The body as bytes: 413 above the cap, 400 when it cannot be read.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = match status {
            StatusCode::PAYLOAD_TOO_LARGE => format!(
                "the request body is larger than the server accepts ({MAX_BODY_BYTES} bytes)"
            ),
            _ => format!("cannot read the request body: {rejection}"),
        };
        ApiError::new(status, message)
    })
}

/// The summary line of a built-in scenario: its first comment line.
fn summary_of(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| line.starts_with('#'))
        .map(|line| line.trim_start_matches('#').trim().to_string())
        .unwrap_or_default()
}

async fn scenarios() -> Json<Value> {
    let list: Vec<Value> = BUILTIN_SCENARIOS
        .iter()
        .map(|(name, text)| json!({"name": name, "summary": summary_of(text)}))
        .collect();
    Json(Value::Array(list))
}

async fn scenario_text(Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let text = scenario::builtin(&name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no built-in scenario named {name:?}"),
        )
    })?;
    let parsed = scenario::parse_str(text, &format!("built-in:{name}"))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let portfolio_csv = match &parsed.portfolio {
        crate::params::PortfolioSpec::Csv { path } => scenario::builtin_file(path),
        crate::params::PortfolioSpec::Synthetic(_) => None,
    };
    Ok(Json(
        json!({"name": name, "toml": text, "portfolio_csv": portfolio_csv}),
    ))
}

async fn schema(axum::extract::State(state): axum::extract::State<State>) -> Json<Value> {
    Json(super::schema::schema(
        &state.runner,
        &state.default_scenario,
    ))
}

async fn status(axum::extract::State(state): axum::extract::State<State>) -> Json<Value> {
    Json(json!(state.jobs.status()))
}

/// Whether the client asked for NDJSON progress lines.
fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/x-ndjson"))
}

async fn run(
    axum::extract::State(state): axum::extract::State<State>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (ticket, checked) = match state.admit_run(body) {
        Ok(prepared) => prepared,
        Err(error) => return error.into_response(),
    };
    let total = checked.scenario.run.replications;
    let runner = state.runner.clone();
    let work = move |cancel: &AtomicBool, progress: &(dyn Fn(u64) + Sync)| {
        let simulated = runner.simulate(checked, cancel, progress, None)?;
        let folder = runner.write_folder(&simulated, false)?;
        result::answer(&simulated, &folder)
    };
    if wants_stream(&headers) {
        return stream(ticket, total, work);
    }
    match ticket.run(move |cancel| work(cancel, &|_| {})).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Runs `work` under `ticket`, answering NDJSON: `{"progress": ...}` lines as
/// replications complete, then `{"result": ...}` or `{"error": ...}`. When the client
/// closes the connection the body is dropped, the sending task sees it and drops the
/// run, whose cancel flag then stops the engine.
fn stream<F>(ticket: Ticket, total: u64, work: F) -> Response
where
    F: FnOnce(&AtomicBool, &(dyn Fn(u64) + Sync)) -> Result<Value, ApiError> + Send + 'static,
{
    let (lines, receiver) = mpsc::channel::<Result<Bytes, Infallible>>(8);
    let (done_sender, mut done) = watch::channel(0_u64);
    tokio::spawn(async move {
        let line = |value: Value| Ok(Bytes::from(format!("{value}\n")));
        let progress = |done: u64| json!({"progress": {"done": done, "total": total}});
        if lines.send(line(progress(0))).await.is_err() {
            return;
        }
        let job = ticket.run(move |cancel| {
            work(cancel, &|replications| {
                done_sender.send_replace(replications);
            })
        });
        tokio::pin!(job);
        let last = loop {
            tokio::select! {
                outcome = &mut job => break outcome,
                changed = done.changed() => {
                    // The sender is gone once the work has returned: wait for the job.
                    if changed.is_err() {
                        break job.await;
                    }
                    let replications = *done.borrow_and_update();
                    if lines.send(line(progress(replications))).await.is_err() {
                        return; // the client left: dropping `job` cancels the run
                    }
                }
                () = lines.closed() => return,
            }
        };
        let value = match last {
            Ok(answer) => json!({"result": answer}),
            Err(error) => json!({"error": error}),
        };
        let _ = lines.send(line(value)).await;
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver));
    ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
}

/// `{"a": <run body>, "b": <run body>}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareRequest {
    a: RunRequest,
    b: RunRequest,
}

async fn compare(
    axum::extract::State(state): axum::extract::State<State>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let prepared = (|| {
        let request: CompareRequest = parse_json(&body_bytes(body)?)?;
        let (a, b) = super::compare::check_pair(&request.a, &request.b, |r| state.check(r))?;
        Ok::<_, ApiError>((state.jobs.admit()?, a, b))
    })();
    let (ticket, a, b) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return error.into_response(),
    };
    let runner = state.runner.clone();
    let outcome = ticket
        .run(move |cancel| super::compare::run_pair(&runner, a, b, cancel))
        .await;
    match outcome {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Simulates a run body and writes its full run folder (charts and brief included),
/// then answers with what `pick` makes of it.
async fn with_folder(
    state: State,
    body: Result<Bytes, BytesRejection>,
    pick: fn(&Simulated, &result::Folder) -> Result<Response, ApiError>,
) -> Response {
    let (ticket, checked) = match state.admit_run(body) {
        Ok(prepared) => prepared,
        Err(error) => return error.into_response(),
    };
    let runner = state.runner.clone();
    let outcome = ticket
        .run(move |cancel| {
            let simulated = runner.simulate(checked, cancel, &|_| {}, None)?;
            let folder = runner.write_folder(&simulated, true)?;
            // The temporary folder is removed when `folder` drops, before the answer.
            pick(&simulated, &folder)
        })
        .await;
    outcome.unwrap_or_else(IntoResponse::into_response)
}

async fn download_zip(
    axum::extract::State(state): axum::extract::State<State>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    with_folder(state, body, |simulated, folder| {
        let bytes = super::download::zip_folder(&folder.path)?;
        let name = format!("{}-run.zip", simulated.scenario.name);
        Ok(attachment("application/zip", &name, bytes))
    })
    .await
}

async fn download_brief(
    axum::extract::State(state): axum::extract::State<State>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    with_folder(state, body, |simulated, folder| {
        let bytes = folder.read(crate::report::FILE)?;
        let name = format!("{}-report.html", simulated.scenario.name);
        Ok(attachment("text/html; charset=utf-8", &name, bytes))
    })
    .await
}

/// A download: its type and the file name to save it as.
fn attachment(content_type: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    // Scenario names are plain words; anything else becomes `_` in the header.
    let safe: String = name
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || "-_.".contains(c) {
            true => c,
            false => '_',
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
