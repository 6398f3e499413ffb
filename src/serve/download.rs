//! The run folder as a zip archive, built in memory from the private temporary folder
//! the run was written to.

use std::io::{Cursor, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;

use super::error::ApiError;

/// Every file under `folder` (names relative to it, `/`-separated, sorted so that the
/// archive lists them in a fixed order), deflated.
///
/// # Errors
/// 500 when a file cannot be read or the archive not written.
pub fn zip_folder(folder: &Path) -> Result<Vec<u8>, ApiError> {
    let failed = |e: &dyn std::fmt::Display| ApiError::internal(format!("cannot zip the run: {e}"));
    let mut files = Vec::new();
    collect(folder, "", &mut files).map_err(|e| failed(&e))?;
    files.sort();
    let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for name in files {
        let bytes = std::fs::read(folder.join(&name)).map_err(|e| failed(&e))?;
        archive.start_file(name, options).map_err(|e| failed(&e))?;
        archive.write_all(&bytes).map_err(|e| failed(&e))?;
    }
    let cursor = archive.finish().map_err(|e| failed(&e))?;
    Ok(cursor.into_inner())
}

/// The files under `folder/prefix`, as `prefix/name` paths.
fn collect(folder: &Path, prefix: &str, files: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(folder.join(prefix))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = match prefix {
            "" => name,
            _ => format!("{prefix}/{name}"),
        };
        if entry.file_type()?.is_dir() {
            collect(folder, &path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
