//! The failures of a command, each with the exit code it maps to, and how the errors of
//! the layers below map to them.

use crate::input::InputError;
use crate::output::OutputError;
use crate::output::shard::ShardError;

/// A failure, with the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or bad input: exit code 2.
    Usage(String),
    /// The run or the machine failed: exit code 1.
    Failure(String),
    /// Stopped by Ctrl-C or a termination signal: exit code 130. The message says what
    /// was kept on disk.
    Interrupted(String),
}

impl From<InputError> for CliError {
    fn from(error: InputError) -> Self {
        Self::Usage(error.to_string())
    }
}

impl From<OutputError> for CliError {
    fn from(error: OutputError) -> Self {
        match error {
            OutputError::Exists { .. } => Self::Usage(error.to_string()),
            OutputError::Io { .. } => Self::Failure(error.to_string()),
        }
    }
}

impl From<ShardError> for CliError {
    fn from(error: ShardError) -> Self {
        match error {
            ShardError::Read { .. } => Self::Failure(error.to_string()),
            _ => Self::Usage(error.to_string()),
        }
    }
}
