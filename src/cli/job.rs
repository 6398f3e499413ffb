//! What identifies a job: the command's arguments without the options that only change
//! how it runs or where it is written, and the folder it was given in. Shards of one job
//! record them (`fundsim merge` parses them again); a second attempt of a job finds what
//! a stopped first one left by them.

use super::error::CliError;

/// Options that change how a job runs or where it is written, never what it computes:
/// left out of a shard's job, so shards may differ in them. `(name, takes a value)`.
const EXECUTION_OPTIONS: [(&str, bool); 10] = [
    ("--shard", true),
    ("--out", true),
    ("--threads", true),
    ("--force", false),
    ("--quiet", false),
    ("-q", false),
    ("--no-charts", false),
    ("--resume", false),
    ("--checkpoint-every", true),
    ("--allow-large", false),
];

/// The command's arguments as given on this process's command line, without the
/// execution options: what `fundsim merge` parses again to finish the job.
pub fn job_arguments() -> Vec<String> {
    result_arguments(std::env::args().skip(2))
}

fn result_arguments(arguments: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut kept = Vec::new();
    let mut skip_value = false;
    for argument in arguments {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let name = argument
            .split_once('=')
            .map_or(argument.as_str(), |(n, _)| n);
        match EXECUTION_OPTIONS.iter().find(|(option, _)| *option == name) {
            Some((_, takes_value)) => skip_value = *takes_value && !argument.contains('='),
            None => kept.push(argument),
        }
    }
    kept
}

/// The working folder, as recorded in a job.
///
/// # Errors
/// [`CliError::Failure`] when it cannot be determined.
pub fn working_dir() -> Result<String, CliError> {
    std::env::current_dir()
        .map(|dir| dir.display().to_string())
        .map_err(|e| CliError::Failure(format!("cannot determine the working folder: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_options_are_left_out_of_the_job() {
        let given = [
            "stf",
            "-n",
            "64",
            "--shard",
            "1/4",
            "--out=x",
            "--threads",
            "2",
            "-q",
            "--seed",
            "7",
            "--force",
        ];
        let kept = result_arguments(given.iter().map(|s| s.to_string()));
        assert_eq!(kept, ["stf", "-n", "64", "--seed", "7"]);
    }
}
