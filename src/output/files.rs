//! The small file helpers every folder kind shares: replacing a file atomically,
//! rendering a CSV table to bytes, the SHA-256 checksums manifests record, and reading a
//! file with an error that names it. One copy of each, so every folder kind is written
//! and read the same way.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The SHA-256 checksums manifests record, from the one copy below every layer.
pub use crate::digest::{hex, sha256_hex};

/// Why a folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}, line {line}: {reason}")]
    Csv {
        path: String,
        line: u64,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Manifest { path: String, reason: String },
}

/// A file's bytes, or [`ReadError::Read`] naming it.
///
/// # Errors
/// [`ReadError::Read`] when the file cannot be read.
pub fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    fs::read(path).map_err(|e| ReadError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Writes `bytes` to `path` so that a reader sees the old file or the new one, never
/// half of one: see [`write_atomic_with`].
///
/// # Errors
/// The I/O error met (e.g. a full disk); the file at `path` is then unchanged.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes `path` through [`temporary_path`]: `write` fills the temporary file, which is
/// synced and renamed over `path` (a rename within one folder is atomic). The parent
/// folder is created when missing. On failure the temporary file is removed, so an
/// interrupted or failed write leaves nothing behind.
///
/// # Errors
/// The I/O error met; the file at `path` is then unchanged.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let temporary = temporary_path(path);
    let result = (|| {
        let mut file = fs::File::create(&temporary)?;
        write(&mut file)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// The temporary file [`write_atomic`] writes before the rename: hidden, in the same
/// folder (so the rename stays on one file system), named after the file and this
/// process (so two processes never share one): `dir/name` → `dir/.name.<pid>.tmp`.
pub fn temporary_path(path: &Path) -> PathBuf {
    path.with_file_name(format!("{}.{}.tmp", hidden_name(path), std::process::id()))
}

/// The process that a temporary of `path` named `name` belongs to, when `name` is one
/// ([`temporary_path`] in that process), so that what a stopped writer left can be told
/// from what a running one is writing.
pub fn temporary_owner(path: &Path, name: &str) -> Option<u32> {
    name.strip_prefix(&hidden_name(path))?
        .strip_prefix('.')?
        .strip_suffix(".tmp")?
        .parse()
        .ok()
}

/// `path`'s file name with one leading dot: `name` and `.name` both give `.name`.
fn hidden_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{}", name.strip_prefix('.').unwrap_or(&name))
}

/// A CSV table as bytes: the header, then one record per row, quoted only where needed,
/// `\n` line ends (what R, pandas and spreadsheets read).
///
/// Every row should have the header's length; that is the caller's contract (checked in
/// debug builds), not something input can break. The writer is flexible, so writing to
/// memory cannot fail and this never panics in a release build.
pub fn csv_bytes<H, R, C>(header: &[H], rows: impl IntoIterator<Item = R>) -> Vec<u8>
where
    H: AsRef<[u8]>,
    R: IntoIterator<Item = C>,
    C: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail and a flexible writer accepts any length: the
    // results are ignored because they are always Ok.
    let _ = writer.write_record(header);
    for row in rows {
        let cells: Vec<C> = row.into_iter().collect();
        debug_assert_eq!(cells.len(), header.len(), "a CSV row of the wrong length");
        let _ = writer.write_record(&cells);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_bytes_quotes_only_where_needed() {
        let bytes = csv_bytes(
            &["name", "value"],
            [vec!["plain", "1"], vec!["with, comma", "say \"hi\""]],
        );
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "name,value\nplain,1\n\"with, comma\",\"say \"\"hi\"\"\"\n"
        );
        let empty: [Vec<String>; 0] = [];
        assert_eq!(csv_bytes(&["only"], empty), b"only\n");
    }

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("table.csv");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["table.csv"]);
        // A failing writer leaves the old file and no temporary.
        let failed = write_atomic_with(&path, |_| Err(io::Error::other("full")));
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(!temporary_path(&path).exists());
    }

    #[test]
    fn temporaries_are_hidden_beside_the_file() {
        let pid = std::process::id();
        assert_eq!(
            temporary_path(Path::new("run/charts/a.png")),
            Path::new(&format!("run/charts/.a.png.{pid}.tmp"))
        );
        assert_eq!(
            temporary_path(Path::new("out/.fundsim-checkpoint-ab.bin")),
            Path::new(&format!("out/.fundsim-checkpoint-ab.bin.{pid}.tmp"))
        );
    }

    #[test]
    fn a_temporary_names_its_owner() {
        let file = Path::new("out/.fundsim-checkpoint-ab.bin");
        let mine = temporary_path(file);
        let name = mine.file_name().unwrap().to_str().unwrap();
        assert_eq!(temporary_owner(file, name), Some(std::process::id()));
        assert_eq!(
            temporary_owner(file, ".fundsim-checkpoint-ab.bin.17.tmp"),
            Some(17)
        );
        for other in [
            ".fundsim-checkpoint-ab.bin",
            ".fundsim-checkpoint-cd.bin.17.tmp",
            ".fundsim-checkpoint-ab.bin.x.tmp",
            ".fundsim-checkpoint-ab.bin.17",
            ".fundsim-checkpoint-ab.bin17.tmp",
        ] {
            assert_eq!(temporary_owner(file, other), None, "{other}");
        }
    }
}
