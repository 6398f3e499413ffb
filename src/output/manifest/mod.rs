//! The typed manifests of the analysis folders: `sweep`, `target`, `sensitivity`, `survival`,
//! `calibrate` and `calibrate --facts` (the run manifest is [`super::Manifest`], the shard manifest
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
pub mod facts_fit;
mod folder;
pub mod sensitivity;
pub mod survival;
pub mod sweep;
pub mod target;

pub use calibrate::{CalibrateManifest, CalibratedParam};
pub use facts_fit::{FactsFitManifest, FactsFitParam};
pub use folder::{FILE, FolderManifest};
pub use sensitivity::{MethodName, SensitivityManifest};
pub use survival::{QuantileEstimate, RmstEstimate, SurvivalGroup, SurvivalManifest};
pub use sweep::{SweepAxis, SweepManifest};
pub use target::TargetManifest;

#[cfg(test)]
mod tests {
    use std::path::Path;

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
