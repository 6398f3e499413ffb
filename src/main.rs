//! The `fundsim` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = fundsim::cli::Cli::parse();
    fundsim::cli::run(cli)
}

/// `fundsim compare | head` closes the pipe early: like any Unix tool, fundsim should then
/// end quietly. Rust ignores SIGPIPE, which turns the write into an error and `println!`
/// into a panic; restoring the default disposition ends the process as the shell expects.
#[cfg(unix)]
fn restore_default_sigpipe() {
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
