//! What every analysis folder's manifest shares: the file name, the [`FolderManifest`]
//! trait that writes a manifest with sorted keys and reads it back (refusing another
//! folder kind's), and [`nan_if_null`] for the numbers written as `null`.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::output::files::{ReadError, read_file};

/// The manifest's file name in every folder.
pub const FILE: &str = "manifest.json";

/// A folder kind's `manifest.json`: what produced the folder and what it holds.
pub trait FolderManifest: Serialize + DeserializeOwned {
    /// The `command` field: the subcommand that writes this folder kind.
    const COMMAND: &'static str;

    /// The manifest as written to `manifest.json`: keys sorted at every depth (serialised
    /// through a JSON value, whose maps are sorted), pretty-printed.
    ///
    /// # Errors
    /// A `serde_json` error; none of the manifests here can produce one (all their keys
    /// are strings), but the signature does not promise it.
    fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec_pretty(&serde_json::to_value(self)?)
    }

    /// Parses a manifest read from `path` (named in errors); refuses the manifest of
    /// another folder kind.
    ///
    /// # Errors
    /// [`ReadError::Manifest`] when the bytes are not JSON, name another command, or do
    /// not have this kind's fields.
    fn parse(path: &Path, bytes: &[u8]) -> Result<Self, ReadError> {
        let error = |reason: String| ReadError::Manifest {
            path: path.display().to_string(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| error(format!("not valid JSON: {e}")))?;
        match value.get("command").and_then(serde_json::Value::as_str) {
            Some(command) if command == Self::COMMAND => {}
            Some(command) => {
                return Err(error(format!(
                    "this is the manifest of a `fundsim {command}` folder, not of a `fundsim {}` folder",
                    Self::COMMAND
                )));
            }
            None => {
                return Err(error(format!(
                    "no \"command\": \"{}\" (not a `fundsim {}` folder)",
                    Self::COMMAND,
                    Self::COMMAND
                )));
            }
        }
        serde_json::from_value(value).map_err(|e| error(e.to_string()))
    }

    /// Reads `folder/manifest.json`.
    ///
    /// # Errors
    /// [`ReadError::Read`] when the file cannot be read, else as [`FolderManifest::parse`].
    fn read(folder: &Path) -> Result<Self, ReadError> {
        let path = folder.join(FILE);
        Self::parse(&path, &read_file(&path)?)
    }
}

/// Reads a number that the manifest may hold as `null`: JSON has no NaN or infinity,
/// so an undefined number was written as `null` and reads back as NaN.
pub(super) fn nan_if_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}
