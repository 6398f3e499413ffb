//! Golden snapshots of what a user reads: `fundsim --help` and every subcommand's
//! `--help`, and the results table of the default run (`fundsim run`). The snapshots are
//! committed in `tests/snapshots/`; a change to any of these texts fails the test until
//! the new text is reviewed and accepted (`cargo insta review`, or
//! `INSTA_UPDATE=always cargo test --release --test golden` and `git diff`). On CI
//! (`CI=true`) insta writes nothing and a difference fails. The error messages of the
//! bad-input corpus have their snapshot in tests/bad_inputs.rs.

mod common;
use common::{fundsim, fundsim_in, temp_dir};

/// What `fundsim ARGS` prints on stdout; it must succeed.
fn stdout_of(args: &[&str]) -> String {
    let output = fundsim().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "fundsim {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The subcommands listed under "Commands:" in the top-level help (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_help_texts_are_as_recorded() {
    let help = stdout_of(&["--help"]);
    insta::assert_snapshot!("help", help);
    let commands = subcommands(&help);
    for expected in ["run", "compare", "sweep", "validate", "merge"] {
        assert!(
            commands.iter().any(|c| c == expected),
            "no `{expected}` in the commands found in --help: {commands:?}"
        );
    }
    for command in &commands {
        let text = stdout_of(&[command, "--help"]);
        assert!(
            text.contains(&format!("Usage: fundsim {command}")),
            "{command} --help: {text}"
        );
        insta::assert_snapshot!(format!("help-{command}"), text);
    }
}

/// The table `fundsim run` prints for the default scenario at its default size and seed,
/// without the last line's wall time and thread count (the results do not depend on
/// them).
#[test]
fn the_default_runs_results_table_is_as_recorded() {
    let dir = temp_dir();
    // Charts do not change the table; leaving them out keeps a debug test run quick.
    let output = fundsim_in(dir.path())
        .args(["run", "--no-charts"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (table, timing): (Vec<&str>, Vec<&str>) = stdout
        .lines()
        .partition(|line| !line.contains(" replications in "));
    assert_eq!(timing.len(), 1, "one timing line expected:\n{stdout}");
    assert!(
        timing[0].starts_with("4000 replications in ")
            && timing[0].ends_with("results in outputs/stf/run-001"),
        "{}",
        timing[0]
    );
    assert!(dir.path().join("outputs/stf/run-001/summary.csv").is_file());
    insta::assert_snapshot!("default-run-table", table.join("\n"));
}
