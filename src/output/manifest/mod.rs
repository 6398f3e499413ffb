//! The typed manifests of the analysis folders: `sweep`, `sensitivity`, `survival` and
//! `calibrate` (the run manifest is [`super::Manifest`], the shard manifest
//! [`super::shard::ShardManifest`]).
//!
//! Each is a plain struct that both writes `manifest.json` and reads it back
//! ([`FolderManifest`]). The files keep the layout they had when these manifests were
//! built as untyped JSON values: keys in alphabetical order at every depth, pretty-printed
//! with two spaces, undefined numbers (NaN, infinities) as `null`. [`FolderManifest::to_bytes`]
//! produces exactly that whatever the order the fields are declared in, so the structs
//! list their fields in the order a reader thinks of them. Numbers read back are what
//! `serde_json` parses, which can differ from the number written in the last bit.

pub mod calibrate;
pub mod sensitivity;
pub mod survival;
pub mod sweep;

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

pub use calibrate::{CalibrateManifest, CalibratedParam};
pub use sensitivity::{MethodName, SensitivityManifest};
pub use survival::{QuantileEstimate, RmstEstimate, SurvivalGroup, SurvivalManifest};
pub use sweep::{SweepAxis, SweepManifest};

use super::files::{ReadError, read_file};

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
fn nan_if_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the untyped manifests were written with: `json!` values, whose maps
    /// sort their keys, pretty-printed. The typed manifests must give the same bytes.
    pub(super) fn reference(value: &serde_json::Value) -> Vec<u8> {
        serde_json::to_vec_pretty(value).unwrap()
    }

    #[test]
    fn parse_refuses_another_folder_kind_and_bad_json() {
        let path = Path::new("out/manifest.json");
        let error = SweepManifest::parse(path, br#"{"command": "survival"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("out/manifest.json") && error.contains("fundsim survival"),
            "{error}"
        );
        let error = SweepManifest::parse(path, b"{}").unwrap_err().to_string();
        assert!(error.contains("no \"command\""), "{error}");
        let error = SweepManifest::parse(path, b"{").unwrap_err().to_string();
        assert!(error.contains("not valid JSON"), "{error}");
        let error = SweepManifest::parse(path, br#"{"command": "sweep"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing field"), "{error}");
    }

    #[test]
    fn read_names_a_missing_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let error = SurvivalManifest::read(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("cannot read") && error.contains(FILE),
            "{error}"
        );
    }
}
