//! Comparing output folders file for file and byte for byte (shared by the tests that
//! check that shards, merges and resumed runs equal one run).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every file under `root`, by path relative to it, with its bytes.
pub fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                found.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    found
}

/// Asserts that `actual` holds the same files as `expected`, with the same bytes; a
/// difference is shown with the text around its first differing byte. Returns how many
/// files were compared.
pub fn assert_same_folder(expected: &Path, actual: &Path) -> usize {
    let (expected, actual) = (files(expected), files(actual));
    let names = |files: &BTreeMap<PathBuf, Vec<u8>>| files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&expected), names(&actual), "the same files");
    for (path, bytes) in &expected {
        let other = &actual[path];
        if other != bytes {
            let at = bytes
                .iter()
                .zip(other)
                .position(|(a, b)| a != b)
                .unwrap_or(bytes.len().min(other.len()));
            let around = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{} differs at byte {at} ({} vs {} bytes)\nexpected: …{}…\nactual:   …{}…",
                path.display(),
                bytes.len(),
                other.len(),
                around(bytes),
                around(other)
            );
        }
    }
    expected.len()
}
