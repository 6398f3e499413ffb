//! Ctrl-C and termination signals during any command that simulates or writes a folder:
//! stop within a second, remove the unfinished folder, say what was kept, exit with code
//! 130.
//!
//! The first SIGINT, SIGTERM or SIGHUP (Ctrl-C or Ctrl-Break on Windows) sets the
//! engine's cancel flag, which it checks between waves of replications; the run then
//! returns [`crate::engine::RunError::Cancelled`], the staging folder is dropped (and
//! removed) and the message says that nothing was kept. Should a wave take longer than
//! [`GRACE`], the signal thread removes the staging folder itself and ends the process.
//!
//! Once the simulation has returned, the run folder is being written: the signal thread
//! then waits for the writer, which checks the flag before it moves the folder into
//! place. So a signal leaves either no run folder or a complete one, and never a staging
//! folder (SIGKILL, which no program can catch, can leave a hidden `.partial-*` folder;
//! never one that looks complete, since the manifest is written last and the folder is
//! renamed into place whole; the next attempt of the same job clears it).
//!
//! A run that saves checkpoints keeps them when stopped: every message of an interrupted
//! run that has one says where it is and that `--resume` continues from it, and one that
//! says "nothing was kept" leaves no checkpoint behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use super::error::CliError;
use crate::output::{OutputError, StagedRun};

/// Exit code of an interrupted run, the shell's convention for SIGINT (128 + 2); used
/// for every stop signal, which the handler cannot tell apart.
pub const EXIT_CODE: u8 = 130;

/// How long the signal thread lets the run stop by itself before it ends the process.
pub const GRACE: Duration = Duration::from_millis(700);

/// The file written (and removed) to check that the output location has room.
const WRITE_PROBE: &str = ".write-probe";
/// Its size: about the tables of a default run.
const PROBE_BYTES: usize = 1 << 20;

/// Set by the first signal; the engine's cancel flag.
static CANCEL: AtomicBool = AtomicBool::new(false);
/// The main thread has taken charge of the interruption and will say what was kept.
static REPORTED: AtomicBool = AtomicBool::new(false);
/// What the signal thread must clean up, and when it must leave it to the writer.
static STATE: Mutex<State> = Mutex::new(State {
    staging: None,
    checkpoint: None,
    finished: false,
});
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

struct State {
    /// The staging folder of the run, removed if the process is ended during the run.
    staging: Option<PathBuf>,
    /// The checkpoint file the run saves its completed blocks to, kept when it is
    /// stopped so that `--resume` continues from it.
    checkpoint: Option<PathBuf>,
    /// The run folder is complete and in place.
    finished: bool,
}

impl State {
    /// What an interruption leaves, once the staging folder is removed: the checkpoint
    /// (when saved) and how to use it, or nothing.
    fn kept(&self) -> String {
        match self.checkpoint.as_deref().filter(|path| path.exists()) {
            Some(path) => format!(
                "the unfinished run folder was removed, the completed replications are saved in {}: run the same command with --resume to continue",
                path.display()
            ),
            None if self.staging.is_some() => {
                "nothing was kept: the unfinished run folder was removed".to_string()
            }
            None => "nothing was written".to_string(),
        }
    }
}

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The signal handling of one command.
#[derive(Debug)]
pub struct Interrupt(());

impl Interrupt {
    /// Installs the handler of SIGINT, SIGTERM and SIGHUP (once per process).
    ///
    /// # Errors
    /// [`CliError::Failure`] when the handler cannot be installed.
    pub fn install() -> Result<Self, CliError> {
        INSTALLED
            .get_or_init(|| ctrlc::set_handler(on_signal).map_err(|e| e.to_string()))
            .clone()
            .map(|()| Self(()))
            .map_err(|e| CliError::Failure(format!("cannot watch for Ctrl-C: {e}")))
    }

    /// The flag to hand to [`crate::engine::run`].
    pub fn cancel_flag(&self) -> &'static AtomicBool {
        &CANCEL
    }

    /// Creates the staging folder with `prepare` while the signal thread is held off, and
    /// registers it for removal, so no signal can leave it behind. A write probe checks
    /// that the location has room, before anything is simulated.
    ///
    /// # Errors
    /// [`CliError::Interrupted`] when a signal came first; `prepare`'s errors.
    pub fn stage(
        &self,
        prepare: impl FnOnce() -> Result<StagedRun, OutputError>,
    ) -> Result<StagedRun, CliError> {
        let mut state = state();
        if CANCEL.load(Ordering::SeqCst) {
            REPORTED.store(true, Ordering::SeqCst);
            return Err(CliError::Interrupted(
                "stopped before the simulation started; nothing was written".into(),
            ));
        }
        let unwritable = |error: OutputError| match error {
            OutputError::Io { .. } => CliError::Failure(format!(
                "{error}; the output location cannot be written, so nothing was simulated"
            )),
            other => CliError::from(other),
        };
        let staged = prepare().map_err(unwritable)?;
        // A full disk lets a folder be made but not filled: a probe about the size of
        // the tables finds that out before the simulation rather than after it.
        staged
            .write(WRITE_PROBE, &vec![0; PROBE_BYTES])
            .map_err(unwritable)?;
        let _ = fs::remove_file(staged.staging_path().join(WRITE_PROBE));
        state.staging = Some(staged.staging_path().to_path_buf());
        Ok(staged)
    }

    /// Registers the checkpoint file a run saves its completed blocks to: an
    /// interruption then names it (when saved) and says how to resume.
    pub fn keep_checkpoint(&self, path: &Path) {
        state().checkpoint = Some(path.to_path_buf());
    }

    /// Turns a failed simulation into the error to report: an interruption (the staging
    /// folder is removed as the caller returns, a saved checkpoint is named) or a
    /// failure.
    pub fn failed(&self, reason: impl std::fmt::Display) -> CliError {
        let state = state();
        if CANCEL.load(Ordering::SeqCst) {
            REPORTED.store(true, Ordering::SeqCst);
            CliError::Interrupted(format!("{reason}; {}", state.kept()))
        } else {
            CliError::Failure(reason.to_string())
        }
    }

    /// Starts writing the run folder: until the returned guard is dropped, the signal
    /// thread waits instead of ending the process.
    ///
    /// # Errors
    /// [`CliError::Interrupted`] when a signal came after the last wave.
    pub fn writing(&self) -> Result<Writing, CliError> {
        let state = state();
        let writing = Writing { state };
        writing.check()?;
        Ok(writing)
    }
}

/// The run folder is being written (see [`Interrupt::writing`]).
pub struct Writing {
    state: MutexGuard<'static, State>,
}

impl Writing {
    /// Call before moving the folder into place.
    ///
    /// # Errors
    /// [`CliError::Interrupted`] when a signal has come: nothing is kept.
    pub fn check(&self) -> Result<(), CliError> {
        if CANCEL.load(Ordering::SeqCst) {
            REPORTED.store(true, Ordering::SeqCst);
            return Err(CliError::Interrupted(format!(
                "the simulation had finished, but the run folder was not complete yet; {}",
                self.state.kept()
            )));
        }
        Ok(())
    }

    /// Call once the folder is in place.
    ///
    /// # Errors
    /// [`CliError::Interrupted`] when a signal came while the folder was moved into
    /// place: the complete folder is kept and named.
    pub fn finished(mut self, folder: &Path) -> Result<(), CliError> {
        self.state.finished = true;
        self.state.staging = None;
        if CANCEL.load(Ordering::SeqCst) {
            REPORTED.store(true, Ordering::SeqCst);
            return Err(CliError::Interrupted(format!(
                "the run had finished; kept the complete run folder {}",
                folder.display()
            )));
        }
        Ok(())
    }
}

/// Runs on the signal thread, once per signal.
fn on_signal() {
    if !CANCEL.swap(true, Ordering::SeqCst) {
        eprintln!("\nstop signal received: stopping the run");
        std::thread::sleep(GRACE);
    }
    // Waits while the run folder is being written; the writer reports then.
    let state = state();
    if state.finished || REPORTED.load(Ordering::SeqCst) {
        return;
    }
    let kept = match state.staging.clone() {
        Some(staging) => match fs::remove_dir_all(&staging) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => format!(
                "nothing complete was kept, but the unfinished run folder {} could not be removed ({error}); delete it",
                staging.display()
            ),
            _ => state.kept(),
        },
        None => state.kept(),
    };
    eprintln!("interrupted: the run was stopped before it finished; {kept}");
    std::process::exit(i32::from(EXIT_CODE));
}
