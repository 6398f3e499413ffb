//! Clearing what a stopped attempt of a job left behind. A run killed outright (SIGKILL,
//! a node failure, a job's time limit) cannot remove its hidden staging folder
//! (`.partial-*`, see [`super::StagedRun`]) or a checkpoint's temporary file
//! ([`super::files::temporary_path`]); the next attempt of the same job, resumed or started
//! afresh, removes them.
//!
//! A staging folder's name does not say whose it is, so each is marked: a small file
//! [`MARKER`] inside it names the job, the host and the process. Only folders of the same
//! job are cleared, and never one whose process still runs on this host; folders of
//! other jobs that write beside it (the shards of a Slurm array share a work folder) are
//! left alone. The marker is removed before the folder is moved into place, so a
//! finished folder holds exactly the files it lists.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::files::temporary_owner;

/// The prefix of a staging folder's name.
pub const STAGING_PREFIX: &str = ".partial-";

/// The file inside a staging folder that names its job.
pub const MARKER: &str = ".fundsim-job";

/// The marker's text for job `job_key` in this process.
fn marker_text(job_key: &str) -> String {
    format!("{job_key}\n{}\n{}\n", host_name(), std::process::id())
}

/// Marks the staging folder `staging` as job `job_key`'s.
///
/// # Errors
/// When the marker cannot be written.
pub fn mark(staging: &Path, job_key: &str) -> io::Result<()> {
    fs::write(staging.join(MARKER), marker_text(job_key))
}

/// Removes the mark (before the folder is moved into place).
///
/// # Errors
/// When the marker exists but cannot be removed.
pub fn unmark(staging: &Path) -> io::Result<()> {
    match fs::remove_file(staging.join(MARKER)) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Removes the staging folders in `parent` that job `job_key` left behind; returns them.
/// Folders of other jobs, unmarked folders and folders of processes still running on
/// this host are kept.
pub fn clear_staging(parent: &Path, job_key: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut cleared = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(STAGING_PREFIX) {
            continue;
        }
        let folder = entry.path();
        let Ok(marker) = fs::read_to_string(folder.join(MARKER)) else {
            continue;
        };
        let mut lines = marker.lines();
        let (Some(key), Some(host), Some(pid)) = (lines.next(), lines.next(), lines.next()) else {
            continue;
        };
        let pid = pid.parse::<u32>().ok();
        let running_here = host == host_name() && pid.is_some_and(process_runs);
        if key == job_key && !running_here && fs::remove_dir_all(&folder).is_ok() {
            cleared.push(folder);
        }
    }
    cleared
}

/// Removes the temporary files that writers of `file` in processes no longer running
/// left beside it ([`super::files::temporary_path`], or `<stem>.tmp-<pid>` as fundsim named them
/// before); returns them.
pub fn clear_temporaries(file: &Path) -> Vec<PathBuf> {
    let (Some(parent), Some(stem)) = (file.parent(), file.file_stem()) else {
        return Vec::new();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let earlier = format!("{}.tmp-", stem.to_string_lossy());
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut cleared = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let owner = temporary_owner(file, &name).or_else(|| {
            name.strip_prefix(&earlier)
                .and_then(|pid| pid.parse::<u32>().ok())
        });
        let Some(pid) = owner else {
            continue;
        };
        if process_runs(pid) {
            continue;
        }
        let path = entry.path();
        if path.is_file() && fs::remove_file(&path).is_ok() {
            cleared.push(path);
        }
    }
    cleared
}

/// Whether process `pid` runs on this host (this process counts as running).
#[cfg(unix)]
fn process_runs(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Without a way to ask, only this process is known to run.
#[cfg(not(unix))]
fn process_runs(pid: u32) -> bool {
    pid == std::process::id()
}

/// This machine's name, to tell a process here from one with the same id elsewhere
/// (shards on a shared file system).
fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buffer = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that.
        let result =
            unsafe { libc::gethostname(buffer.as_mut_ptr().cast::<libc::c_char>(), buffer.len()) };
        if result == 0 {
            let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
            return String::from_utf8_lossy(&buffer[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid that runs nowhere: beyond the largest a Linux kernel hands out.
    const GONE: u32 = 4_194_304 + 17;

    fn staging(parent: &Path, name: &str, marker: Option<String>) -> PathBuf {
        let folder = parent.join(name);
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("summary.csv"), "half a table").unwrap();
        if let Some(text) = marker {
            fs::write(folder.join(MARKER), text).unwrap();
        }
        folder
    }

    #[test]
    fn only_the_same_jobs_stopped_staging_folders_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let here = host_name();
        let stopped = staging(
            dir.path(),
            ".partial-1-1",
            Some(format!("job-a\n{here}\n{GONE}\n")),
        );
        let elsewhere = staging(
            dir.path(),
            ".partial-2-2",
            Some(format!("job-a\nanother-host\n{}\n", std::process::id())),
        );
        let other_job = staging(
            dir.path(),
            ".partial-3-3",
            Some(format!("job-b\n{here}\n{GONE}\n")),
        );
        let running = staging(
            dir.path(),
            ".partial-4-4",
            Some(format!("job-a\n{here}\n{}\n", std::process::id())),
        );
        let unmarked = staging(dir.path(), ".partial-5-5", None);
        let not_staging = staging(
            dir.path(),
            "run-001",
            Some(format!("job-a\n{here}\n{GONE}\n")),
        );
        let mut cleared = clear_staging(dir.path(), "job-a");
        cleared.sort();
        assert_eq!(cleared, [stopped.clone(), elsewhere.clone()]);
        assert!(!stopped.exists() && !elsewhere.exists());
        for kept in [other_job, running, unmarked, not_staging] {
            assert!(kept.exists(), "{}", kept.display());
        }
    }

    #[test]
    fn marking_and_unmarking_leave_the_folder_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let folder = staging(dir.path(), ".partial-6-6", None);
        mark(&folder, "job-c").unwrap();
        let text = fs::read_to_string(folder.join(MARKER)).unwrap();
        assert!(text.starts_with("job-c\n"), "{text}");
        unmark(&folder).unwrap();
        unmark(&folder).unwrap();
        let names: Vec<_> = fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["summary.csv"]);
    }

    #[test]
    fn temporaries_of_stopped_writers_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".fundsim-checkpoint-0123456789abcdef.bin");
        fs::write(&file, "checkpoint").unwrap();
        let temporary = |checkpoint: &str, pid: u32| {
            dir.path()
                .join(format!(".fundsim-checkpoint-{checkpoint}.bin.{pid}.tmp"))
        };
        let stopped = temporary("0123456789abcdef", GONE);
        // As fundsim named a checkpoint's temporary before it shared the atomic write.
        let stopped_earlier = dir
            .path()
            .join(format!(".fundsim-checkpoint-0123456789abcdef.tmp-{GONE}"));
        let mine = crate::output::files::temporary_path(&file);
        assert_eq!(mine, temporary("0123456789abcdef", std::process::id()));
        let mine_earlier = dir.path().join(format!(
            ".fundsim-checkpoint-0123456789abcdef.tmp-{}",
            std::process::id()
        ));
        let other = temporary("fedcba9876543210", GONE);
        for path in [&stopped, &stopped_earlier, &mine, &mine_earlier, &other] {
            fs::write(path, "part").unwrap();
        }
        let mut cleared = clear_temporaries(&file);
        cleared.sort();
        let mut expected = vec![stopped.clone(), stopped_earlier.clone()];
        expected.sort();
        assert_eq!(cleared, expected);
        for kept in [&file, &mine, &mine_earlier, &other] {
            assert!(kept.exists(), "{}", kept.display());
        }
        assert!(!stopped.exists() && !stopped_earlier.exists());
    }
}
