//! Bounded, cancellable work: at most [`MAX_RUNNING`] simulations at once, at most
//! [`MAX_QUEUED`] requests waiting for one, 503 beyond. A simulation runs on a blocking
//! thread with the engine's cancel flag (the flag Ctrl-C sets in `fundsim run`); when the
//! request's future is dropped — its client closed the connection — the flag is set, the
//! engine stops before its next block and the slot is free again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::http::StatusCode;
use serde::Serialize;
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::{MAX_QUEUED, MAX_RUNNING};

/// What the server is doing: `GET /api/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Simulations running now (including one that is stopping after a cancel).
    pub running: usize,
    /// Requests waiting for a slot.
    pub queued: usize,
}

/// The simulation slots and their counters.
#[derive(Debug)]
pub struct Jobs {
    slots: Arc<Semaphore>,
    /// Requests admitted and not finished: waiting or running.
    admitted: AtomicUsize,
    running: AtomicUsize,
}

impl Default for Jobs {
    fn default() -> Self {
        Self {
            slots: Arc::new(Semaphore::new(MAX_RUNNING)),
            admitted: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
        }
    }
}

impl Jobs {
    pub fn status(&self) -> Status {
        let running = self.running.load(Ordering::SeqCst);
        let admitted = self.admitted.load(Ordering::SeqCst);
        Status {
            running,
            queued: admitted.saturating_sub(running),
        }
    }

    /// A place in the queue, or 503 when the queue is full.
    ///
    /// # Errors
    /// [`ApiError`] with status 503.
    pub fn admit(self: &Arc<Self>) -> Result<Ticket, ApiError> {
        let capacity = MAX_RUNNING + MAX_QUEUED;
        self.admitted
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < capacity).then_some(n + 1)
            })
            .map_err(|_| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the server is busy: {MAX_RUNNING} simulations are running and {MAX_QUEUED} waiting; try again shortly"
                    ),
                )
            })?;
        Ok(Ticket {
            jobs: Arc::clone(self),
        })
    }
}

/// An admitted request; dropped, it leaves the queue (or its slot).
#[derive(Debug)]
pub struct Ticket {
    jobs: Arc<Jobs>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.jobs.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sets the cancel flag when the waiting request is dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Counts a running simulation until it returns.
struct Running(Arc<Jobs>);

impl Running {
    fn start(jobs: &Arc<Jobs>) -> Self {
        jobs.running.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(jobs))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Ticket {
    /// Waits for a slot, then runs `work` on a blocking thread with a cancel flag that
    /// is set if this future is dropped. The slot (and the ticket) are held until `work`
    /// returns, so a cancelled run frees its slot once the engine has stopped.
    ///
    /// # Errors
    /// What `work` returns, or 500 if it panicked.
    pub async fn run<T, F>(self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AtomicBool) -> Result<T, ApiError> + Send + 'static,
    {
        let permit = Arc::clone(&self.jobs.slots)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("the server is stopping"))?;
        let cancel = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancel));
        let running = Running::start(&self.jobs);
        let handle = tokio::task::spawn_blocking(move || {
            let outcome = work(&cancel);
            // Counters first, then the slot: a request that sees the slot free sees
            // the counters already down.
            drop(running);
            drop(self);
            drop(permit);
            outcome
        });
        handle
            .await
            .map_err(|e| ApiError::internal(format!("the simulation failed: {e}")))?
    }
}
