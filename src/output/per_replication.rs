//! `--per-replication`: `replications.csv` (every replication's outcomes, one row per
//! parameter set, replication and strategy) and `lifetimes.csv` (every project's lifetime,
//! for Cox models in R or lifelines), streamed to the staging folder as the run goes.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::OutputError;
use super::tables::number;
use crate::engine::{RecordSink, ReplicationRecord};
use crate::stats::SetQuantity;

/// The files `--per-replication` adds to a run folder.
pub const PER_REPLICATION_TABLES: [&str; 2] = ["replications.csv", "lifetimes.csv"];

/// The two files being written, and the first error met (reported by [`finish`]).
///
/// [`finish`]: PerReplicationFiles::finish
pub struct PerReplicationFiles {
    strategies: Vec<String>,
    projects: Vec<String>,
    horizon_months: u32,
    state: Mutex<State>,
}

struct State {
    replications: csv::Writer<File>,
    lifetimes: csv::Writer<File>,
    error: Option<OutputError>,
}

fn io_error(path: &Path, error: &dyn std::fmt::Display) -> OutputError {
    OutputError::Io {
        path: path.display().to_string(),
        reason: error.to_string(),
    }
}

impl PerReplicationFiles {
    /// Creates both files in `folder` (the staging folder) with their headers.
    ///
    /// # Errors
    /// [`OutputError::Io`] when a file cannot be created.
    pub fn create(
        folder: &Path,
        strategies: Vec<String>,
        projects: Vec<String>,
        horizon_months: u32,
    ) -> Result<Self, OutputError> {
        let open = |name: &str, header: &[&str]| -> Result<csv::Writer<File>, OutputError> {
            let path: PathBuf = folder.join(name);
            let mut file = csv::Writer::from_path(&path).map_err(|e| io_error(&path, &e))?;
            file.write_record(header).map_err(|e| io_error(&path, &e))?;
            Ok(file)
        };
        let mut header = vec!["set", "replication", "strategy"];
        header.extend(SetQuantity::all().map(SetQuantity::name));
        let replications = open(PER_REPLICATION_TABLES[0], &header)?;
        let lifetimes = open(
            PER_REPLICATION_TABLES[1],
            &[
                "set",
                "replication",
                "strategy",
                "project",
                "time_months",
                "event",
                "dependents",
                "maintainers_start",
                "criticality",
                "received_eur",
            ],
        )?;
        Ok(Self {
            strategies,
            projects,
            horizon_months,
            state: Mutex::new(State {
                replications,
                lifetimes,
                error: None,
            }),
        })
    }

    /// Flushes both files.
    ///
    /// # Errors
    /// The first [`OutputError`] met while writing or flushing.
    pub fn finish(self) -> Result<(), OutputError> {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(error) = state.error {
            return Err(error);
        }
        for (mut file, name) in [state.replications, state.lifetimes]
            .into_iter()
            .zip(PER_REPLICATION_TABLES)
        {
            file.flush().map_err(|e| io_error(Path::new(name), &e))?;
        }
        Ok(())
    }

    fn write_record(&self, state: &mut State, record: &ReplicationRecord) -> csv::Result<()> {
        let (set, replication) = (record.set.to_string(), record.replication.to_string());
        for (strategy, values) in self.strategies.iter().zip(&record.quantities) {
            let mut row = vec![set.clone(), replication.clone(), strategy.clone()];
            row.extend(values.iter().map(|v| number(v.unwrap_or(f64::NAN))));
            state.replications.write_record(&row)?;
        }
        for (strategy, outcomes) in self.strategies.iter().zip(&record.outcomes) {
            for ((project, outcome), covariates) in
                self.projects.iter().zip(outcomes).zip(&record.projects)
            {
                let (time, event) = match outcome.first_abandoned {
                    Some(month) => (month, "1"),
                    None => (self.horizon_months, "0"),
                };
                state.lifetimes.write_record([
                    set.as_str(),
                    replication.as_str(),
                    strategy,
                    project,
                    &time.to_string(),
                    event,
                    &number(covariates.dependents),
                    &covariates.maintainers.to_string(),
                    &number(covariates.criticality),
                    &number(outcome.received_eur),
                ])?;
            }
        }
        Ok(())
    }
}

impl RecordSink for PerReplicationFiles {
    fn write(&self, records: Vec<ReplicationRecord>) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.error.is_some() {
            return;
        }
        for record in &records {
            if let Err(error) = self.write_record(&mut state, record) {
                state.error = Some(io_error(Path::new(PER_REPLICATION_TABLES[0]), &error));
                return;
            }
        }
    }
}
