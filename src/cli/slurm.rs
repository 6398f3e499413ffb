//! `fundsim slurm`: a Slurm job array of shards and a merge job that depends on it.
//!
//! Writes two batch scripts into a work folder: `shards.sbatch`, a job array
//! (`--array=0-(N-1)`) whose task K runs `fundsim <command> … --shard K/N`, and
//! `merge.sbatch`, which runs `fundsim merge` over every shard folder. With `--submit` it
//! submits both, the merge with `--dependency=afterok:<array job id>`; without, it prints
//! the two `sbatch` commands. fundsim adds no distribution layer of its own: Slurm runs the
//! processes, the shards' files carry the results.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::{Args, CommandFactory, Parser, ValueEnum};

use super::{Cli, CliError};
use crate::input::load_scenario;

/// The subcommands that can be split into shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShardedCommand {
    Run,
    Compare,
    Sweep,
    Sensitivity,
}

impl ShardedCommand {
    fn name(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Compare => "compare",
            Self::Sweep => "sweep",
            Self::Sensitivity => "sensitivity",
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Options after `--` are passed to every shard's subcommand, e.g.\n  \
                  fundsim slurm stf --shards 32 --partition short --time 00:30:00 -- -n 100000 --seed 7\n\
                  Paths written into the scripts are absolute; the work folder must be on a file \
                  system that every compute node sees."
)]
pub struct SlurmArgs {
    /// Scenario file, or the name of a built-in scenario [default: stf].
    pub scenario: Option<String>,
    /// Number of shards: the job array runs tasks 0 to N-1.
    #[arg(long, value_name = "N")]
    pub shards: u32,
    /// The subcommand each shard runs.
    #[arg(long, value_enum, default_value_t = ShardedCommand::Run)]
    pub command: ShardedCommand,
    /// Slurm partition (sbatch --partition) of both jobs.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit of each shard task and of the merge job (sbatch --time), e.g. 01:00:00.
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per shard task (sbatch --cpus-per-task); each shard runs that many threads.
    #[arg(long)]
    pub cpus_per_task: Option<u32>,
    /// Memory of each shard task and of the merge job (sbatch --mem), e.g. 4G.
    #[arg(long)]
    pub mem: Option<String>,
    /// Account charged for both jobs (sbatch --account).
    #[arg(long)]
    pub account: Option<String>,
    /// Folder of the scripts, the logs and the shard folders [default:
    /// outputs/<scenario>-slurm]. Must be visible from every compute node.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// The merged run folder [default: <work-dir>/merged]. Not with --command compare,
    /// whose merge prints the comparison (into <work-dir>/logs/merge.out).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The fundsim executable the jobs run [default: this executable's absolute path]. A
    /// bare name (no `/`) is looked up on the compute node's PATH.
    #[arg(long, value_name = "PATH")]
    pub fundsim: Option<PathBuf>,
    /// Submit both jobs with sbatch (from PATH) instead of printing the commands.
    #[arg(long)]
    pub submit: bool,
    /// Options for the subcommand, after `--` (e.g. -- -n 100000 --seed 7).
    #[arg(last = true, value_name = "EXTRA")]
    pub extra: Vec<String>,
}

/// `sbatch` options shared by the shard tasks and the merge job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub partition: Option<String>,
    pub time: Option<String>,
    pub mem: Option<String>,
    pub account: Option<String>,
    /// Shard tasks only; the merge runs on one CPU.
    pub cpus_per_task: Option<u32>,
}

/// Everything the two scripts say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The fundsim executable, as the jobs call it.
    pub fundsim: String,
    /// The subcommand of the shards: run, compare, sweep or sensitivity.
    pub command: String,
    /// A canonical scenario file path or a built-in name.
    pub scenario: String,
    /// Options passed to the subcommand.
    pub extra: Vec<String>,
    pub shards: u32,
    /// Absolute.
    pub work_dir: PathBuf,
    /// The merged folder, absolute; `None` for `compare`, whose merge prints its result.
    pub out: Option<PathBuf>,
    /// Slurm job name of the array; the merge job adds `-merge`.
    pub job_name: String,
    pub resources: Resources,
    /// Flags of the subcommand, added when it has them.
    pub force: bool,
    pub quiet: bool,
    /// The subcommand can resume from a checkpoint (`run`): a requeued or re-submitted
    /// task continues where it was stopped instead of starting over.
    pub resume: bool,
    /// `--no-charts` was among the options: the merge writes no charts either.
    pub no_charts: bool,
}

/// Options the shard scripts set themselves; the user may not pass them after `--`.
const RESERVED: [&str; 7] = [
    "--shard",
    "--out",
    "--force",
    "--quiet",
    "-q",
    "--threads",
    "--resume",
];

pub fn execute(args: SlurmArgs) -> Result<(), CliError> {
    let plan = plan(&args)?;
    let shards_script = plan.work_dir.join("shards.sbatch");
    let merge_script = plan.work_dir.join("merge.sbatch");
    let logs = plan.work_dir.join("logs");
    // Slurm does not create the folder of --output: a missing one loses the logs.
    std::fs::create_dir_all(&logs)
        .map_err(|e| CliError::Failure(format!("cannot create {}: {e}", logs.display())))?;
    for (path, text) in [
        (&shards_script, shard_script(&plan)),
        (&merge_script, merge_script_text(&plan)),
    ] {
        write_script(path, &text)?;
    }
    println!(
        "Wrote {} ({} shard{} of `fundsim {} {}`) and {}.",
        shards_script.display(),
        plan.shards,
        if plan.shards == 1 { "" } else { "s" },
        plan.command,
        plan.scenario,
        merge_script.display()
    );
    if !args.submit {
        println!("Submit them on a Slurm login node with:");
        for line in submit_commands(&shards_script, &merge_script) {
            println!("  {line}");
        }
        println!("{}", result_line(&plan));
        return Ok(());
    }
    let array_job = sbatch(&[OsString::from("--parsable"), shards_script.into()])?;
    println!(
        "Submitted the shard array as job {array_job} ({} tasks).",
        plan.shards
    );
    let merge_job = sbatch(&[
        OsString::from("--parsable"),
        OsString::from(format!("--dependency=afterok:{array_job}")),
        merge_script.into(),
    ])
    .map_err(|e| match e {
        CliError::Failure(message) => CliError::Failure(format!(
            "{message} (the shard array, job {array_job}, is submitted: cancel it with `scancel {array_job}` or submit merge.sbatch yourself)"
        )),
        other => other,
    })?;
    println!("Submitted the merge as job {merge_job} (runs after every shard succeeds).");
    println!(
        "Follow them with `squeue -j {array_job},{merge_job}`; logs in {}.",
        logs.display()
    );
    println!("{}", result_line(&plan));
    Ok(())
}

/// Checks the command line and works out the scripts' contents (no files written).
fn plan(args: &SlurmArgs) -> Result<Plan, CliError> {
    if args.shards == 0 {
        return Err(CliError::Usage("--shards must be at least 1".into()));
    }
    if args.cpus_per_task == Some(0) {
        return Err(CliError::Usage("--cpus-per-task must be at least 1".into()));
    }
    let loaded = load_scenario(args.scenario.as_deref())?;
    let name = args.scenario.as_deref().unwrap_or("stf");
    let scenario = if Path::new(name).is_file() {
        let path = Path::new(name)
            .canonicalize()
            .map_err(|e| CliError::Usage(format!("cannot resolve {name}: {e}")))?;
        path_text(&path, "the scenario path")?
    } else {
        name.to_string()
    };
    let command = args.command.name();
    for arg in &args.extra {
        let option = arg.split('=').next().unwrap_or(arg);
        if RESERVED.contains(&option) {
            return Err(CliError::Usage(format!(
                "{arg} after `--`: fundsim slurm sets {option} for each shard itself (threads come from --cpus-per-task)"
            )));
        }
    }
    let Flags {
        force,
        quiet,
        resume,
        no_charts,
    } = subcommand_flags(command, &args.extra)?;
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::Failure(format!("cannot read the current folder: {e}")))?;
    let work_dir = match &args.work_dir {
        Some(dir) => absolute(&cwd, dir),
        None => cwd
            .join("outputs")
            .join(format!("{}-slurm", file_name(&loaded.scenario.name))),
    };
    let out = match (&args.out, args.command) {
        (Some(_), ShardedCommand::Compare) => {
            return Err(CliError::Usage(
                "--out: merged `compare` shards print the comparison (the merge job's log, logs/merge.out), they write no folder".into(),
            ));
        }
        (None, ShardedCommand::Compare) => None,
        (Some(dir), _) => Some(absolute(&cwd, dir)),
        (None, _) => Some(work_dir.join("merged")),
    };
    let fundsim = match &args.fundsim {
        Some(path) if path.components().count() == 1 && !path.has_root() => {
            path_text(path, "--fundsim")?
        }
        Some(path) => path_text(&absolute(&cwd, path), "--fundsim")?,
        None => {
            let exe = std::env::current_exe().map_err(|e| {
                CliError::Failure(format!(
                    "cannot find this executable's path ({e}); name it with --fundsim"
                ))
            })?;
            path_text(&exe, "this executable's path")?
        }
    };
    let resources = Resources {
        partition: directive_value("--partition", args.partition.as_deref())?,
        time: directive_value("--time", args.time.as_deref())?,
        mem: directive_value("--mem", args.mem.as_deref())?,
        account: directive_value("--account", args.account.as_deref())?,
        cpus_per_task: args.cpus_per_task,
    };
    // The log paths go into #SBATCH lines, which are not parsed by a shell.
    let work_text = path_text(&work_dir, "--work-dir")?;
    if let Some(bad) = work_text.chars().find(|&c| !directive_char(c)) {
        return Err(CliError::Usage(format!(
            "--work-dir {work_text}: {bad:?} cannot be written in an #SBATCH --output line; choose a folder without spaces, quotes or backslashes"
        )));
    }
    if let Some(out) = &out {
        path_text(out, "--out")?;
    }
    let plan = Plan {
        fundsim,
        command: command.to_string(),
        scenario,
        extra: args.extra.clone(),
        shards: args.shards,
        work_dir,
        out,
        job_name: format!("fundsim-{}", file_name(&loaded.scenario.name)),
        resources,
        force,
        quiet,
        resume,
        no_charts,
    };
    check_parses(&plan)?;
    Ok(plan)
}

/// Which of `--force`, `--quiet` and `--resume` the subcommand has, and whether the extra
/// options ask for no charts.
struct Flags {
    force: bool,
    quiet: bool,
    resume: bool,
    no_charts: bool,
}

/// The subcommand's [`Flags`] (and a check that it has `--shard`).
fn subcommand_flags(command: &str, extra: &[String]) -> Result<Flags, CliError> {
    let cli = Cli::command();
    let has = |sub: &str, long: &str| {
        cli.find_subcommand(sub)
            .is_some_and(|c| c.get_arguments().any(|a| a.get_long() == Some(long)))
    };
    if !has(command, "shard") {
        return Err(CliError::Usage(format!(
            "`fundsim {command}` has no --shard option in this build, so it cannot run as a Slurm job array"
        )));
    }
    if cli.find_subcommand("merge").is_none() {
        return Err(CliError::Usage(
            "this build has no `fundsim merge`, which the merge job needs".into(),
        ));
    }
    let no_charts = extra.iter().any(|a| a == "--no-charts") && has("merge", "no-charts");
    Ok(Flags {
        force: has(command, "force"),
        quiet: has(command, "quiet"),
        resume: has(command, "resume"),
        no_charts,
    })
}

/// Parses the shard and merge command lines as fundsim would on the compute node, so that
/// a mistyped option fails here rather than in N jobs.
fn check_parses(plan: &Plan) -> Result<(), CliError> {
    let last = plan.shards - 1;
    let shard = shard_args(plan, &last.to_string(), "1");
    let merge = merge_args(plan);
    for (what, args) in [("shard", shard), ("merge", merge)] {
        let argv = std::iter::once("fundsim".to_string()).chain(args);
        if let Err(e) = Cli::try_parse_from(argv) {
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            return Err(CliError::Usage(format!(
                "the {what} command would not run: {first} (options after `--` go to `fundsim {}`)",
                plan.command
            )));
        }
    }
    Ok(())
}

/// The arguments of shard `task` (after `fundsim`), unquoted; `task` and `threads` are
/// put in as given (shell expansions in the script).
fn shard_args(plan: &Plan, task: &str, threads: &str) -> Vec<String> {
    let mut args = vec![plan.command.clone(), plan.scenario.clone()];
    args.extend(plan.extra.iter().cloned());
    args.push("--shard".into());
    args.push(format!("{task}/{}", plan.shards));
    args.push("--out".into());
    args.push(format!("{}/shard-{task}", plan.work_dir.display()));
    if plan.force {
        args.push("--force".into());
    }
    if plan.quiet {
        args.push("--quiet".into());
    }
    if plan.resume {
        args.push("--resume".into());
    }
    args.push("--threads".into());
    args.push(threads.into());
    args
}

/// The arguments of the merge (after `fundsim`), unquoted.
fn merge_args(plan: &Plan) -> Vec<String> {
    let mut args = vec!["merge".to_string()];
    args.extend(shard_dirs(plan));
    if let Some(out) = &plan.out {
        args.push("--out".into());
        args.push(out.display().to_string());
        args.push("--force".into());
    }
    if plan.no_charts {
        args.push("--no-charts".into());
    }
    args
}

fn shard_dirs(plan: &Plan) -> Vec<String> {
    (0..plan.shards)
        .map(|k| {
            plan.work_dir
                .join(format!("shard-{k}"))
                .display()
                .to_string()
        })
        .collect()
}

/// Where the merged result will be.
fn result_line(plan: &Plan) -> String {
    match &plan.out {
        Some(out) => format!("The merged run folder will be {}.", out.display()),
        None => format!(
            "The comparison will be in {}.",
            plan.work_dir.join("logs/merge.out").display()
        ),
    }
}

/// `shards.sbatch`: the job array.
pub fn shard_script(plan: &Plan) -> String {
    let logs = plan.work_dir.join("logs");
    let mut text = String::from("#!/bin/bash\n");
    let mut directive = |option: &str, value: &str| {
        text.push_str(&format!("#SBATCH --{option}={value}\n"));
    };
    directive("job-name", &plan.job_name);
    directive("array", &format!("0-{}", plan.shards - 1));
    directive("output", &log_pattern(&logs, "shard-%a.out"));
    directive("error", &log_pattern(&logs, "shard-%a.err"));
    if let Some(cpus) = plan.resources.cpus_per_task {
        directive("cpus-per-task", &cpus.to_string());
    }
    shared_directives(&plan.resources, &mut directive);
    text.push_str(&format!(
        "#\n# Written by `fundsim slurm`: task K of {n} runs `fundsim {cmd} --shard K/{n}` into\n\
         # shard-K/; merge.sbatch (submitted with --dependency=afterok on this array) joins them.\n\
         set -euo pipefail\n\
         task=\"${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}}\"\n",
        n = plan.shards,
        cmd = plan.command,
    ));
    let mut words = vec![
        quote(&plan.fundsim),
        quote(&plan.command),
        quote(&plan.scenario),
    ];
    words.extend(plan.extra.iter().map(|a| quote(a)));
    words.push("--shard".into());
    words.push(format!("\"$task\"/{}", plan.shards));
    words.push("--out".into());
    words.push(format!(
        "{}\"$task\"",
        quote(&format!("{}/shard-", plan.work_dir.display()))
    ));
    if plan.force {
        words.push("--force".into());
    }
    if plan.quiet {
        words.push("--quiet".into());
    }
    if plan.resume {
        words.push("--resume".into());
    }
    words.push("--threads".into());
    words.push("\"${SLURM_CPUS_PER_TASK:-1}\"".into());
    text.push_str("exec ");
    text.push_str(&wrap(&words));
    text
}

/// `merge.sbatch`: the merge job, every shard folder named.
pub fn merge_script_text(plan: &Plan) -> String {
    let logs = plan.work_dir.join("logs");
    let mut text = String::from("#!/bin/bash\n");
    let mut directive = |option: &str, value: &str| {
        text.push_str(&format!("#SBATCH --{option}={value}\n"));
    };
    directive("job-name", &format!("{}-merge", plan.job_name));
    directive("output", &log_pattern(&logs, "merge.out"));
    directive("error", &log_pattern(&logs, "merge.err"));
    shared_directives(&plan.resources, &mut directive);
    let into = match &plan.out {
        Some(out) => format!("into {}", out.display()),
        None => "and prints the comparison into this job's log".to_string(),
    };
    text.push_str(&format!(
        "#\n# Written by `fundsim slurm`: merges the {n} shard folders of shards.sbatch (a missing,\n\
         # duplicated or foreign shard fails the merge, named)\n# {into}.\n\
         set -euo pipefail\n",
        n = plan.shards,
    ));
    let mut words = vec![quote(&plan.fundsim)];
    words.extend(merge_args(plan).iter().map(|a| quote(a)));
    text.push_str("exec ");
    text.push_str(&wrap(&words));
    text
}

fn shared_directives(resources: &Resources, directive: &mut impl FnMut(&str, &str)) {
    let options = [
        ("partition", &resources.partition),
        ("account", &resources.account),
        ("time", &resources.time),
        ("mem", &resources.mem),
    ];
    for (option, value) in options {
        if let Some(value) = value {
            directive(option, value);
        }
    }
}

/// The two commands that submit the scripts by hand.
pub fn submit_commands(shards: &Path, merge: &Path) -> [String; 2] {
    [
        format!(
            "jobid=$(sbatch --parsable {} | cut -d';' -f1)",
            quote(&shards.display().to_string())
        ),
        format!(
            "sbatch --dependency=afterok:$jobid {}",
            quote(&merge.display().to_string())
        ),
    ]
}

/// Writes a script, executable (sbatch does not need it, a user running it by hand does).
fn write_script(path: &Path, text: &str) -> Result<(), CliError> {
    let written = std::fs::write(path, text);
    #[cfg(unix)]
    let written = written.and_then(|()| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
    });
    written.map_err(|e| CliError::Failure(format!("cannot write {}: {e}", path.display())))
}

/// Runs `sbatch --parsable …` and returns the job id it printed.
fn sbatch(args: &[OsString]) -> Result<String, CliError> {
    let output = Process::new("sbatch").args(args).output().map_err(|e| {
        CliError::Failure(if e.kind() == std::io::ErrorKind::NotFound {
            "cannot submit: sbatch is not on PATH (run this on a Slurm login node, or submit the scripts by hand)".to_string()
        } else {
            format!("cannot run sbatch: {e}")
        })
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(CliError::Failure(format!(
            "sbatch failed ({}): {}",
            output.status,
            stderr.trim()
        )));
    }
    parse_job_id(&stdout).ok_or_else(|| {
        CliError::Failure(format!(
            "sbatch printed no job id (stdout {:?}, stderr {:?})",
            stdout.trim(),
            stderr.trim()
        ))
    })
}

/// The job id of `sbatch --parsable` output: `ID` or `ID;CLUSTER`.
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let line = stdout.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let id = line.split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// A word for a POSIX shell: unchanged when it holds no special characters, otherwise in
/// single quotes (a single quote written as `'\''`).
pub fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A command line of shell words, continued over lines when long; an option stays on the
/// line of its value.
fn wrap(words: &[String]) -> String {
    let mut units: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let option = words[i].starts_with('-');
        match words.get(i + 1) {
            Some(value) if option && !value.starts_with('-') => {
                units.push(format!("{} {value}", words[i]));
                i += 2;
            }
            _ => {
                units.push(words[i].clone());
                i += 1;
            }
        }
    }
    let mut text = String::new();
    let mut width = 0;
    for (i, word) in units.iter().enumerate() {
        if i > 0 {
            if width + 1 + word.len() > 88 {
                text.push_str(" \\\n    ");
                width = 4;
            } else {
                text.push(' ');
                width += 1;
            }
        }
        text.push_str(word);
        width += word.len();
    }
    text.push('\n');
    text
}

/// A file name pattern for `#SBATCH --output`: `%` in the folder doubled (Slurm's literal
/// percent sign), the file name's own patterns kept.
fn log_pattern(logs: &Path, file: &str) -> String {
    format!("{}/{file}", logs.display().to_string().replace('%', "%%"))
}

/// A character an `#SBATCH` line can hold as is.
fn directive_char(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || "'\"\\".contains(c))
}

fn directive_value(option: &str, value: Option<&str>) -> Result<Option<String>, CliError> {
    let Some(value) = value else { return Ok(None) };
    if value.is_empty() || !value.chars().all(directive_char) || value.contains('#') {
        return Err(CliError::Usage(format!(
            "{option} {value:?}: expected a single word without spaces, quotes or #"
        )));
    }
    Ok(Some(value.to_string()))
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = cwd.join(path);
    // Without `..` a later `cd` cannot change what the path means; the folder may not exist.
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

fn path_text(path: &Path, what: &str) -> Result<String, CliError> {
    path.to_str().map(str::to_string).ok_or_else(|| {
        CliError::Usage(format!(
            "{what} {} is not valid UTF-8, which a job script cannot hold",
            path.display()
        ))
    })
}

/// A scenario name as a file or job name: letters, digits, `-`, `_` and `.`.
fn file_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.is_empty() {
        "scenario".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A script with its continued lines joined.
    fn joined(text: &str) -> String {
        text.replace(" \\\n    ", " ")
    }

    fn plan(shards: u32) -> Plan {
        Plan {
            fundsim: "/opt/fund sim/bin/fundsim".into(),
            command: "run".into(),
            scenario: "/home/ann/it's here/my scenario.toml".into(),
            extra: vec!["-n".into(), "100000".into(), "--seed".into(), "7".into()],
            shards,
            work_dir: PathBuf::from("/scratch/ann/stf-slurm"),
            out: Some(PathBuf::from("/scratch/ann/merged $HOME")),
            job_name: "fundsim-stf".into(),
            resources: Resources {
                partition: Some("short".into()),
                time: Some("00:30:00".into()),
                mem: Some("4G".into()),
                account: Some("econ".into()),
                cpus_per_task: Some(4),
            },
            force: true,
            quiet: true,
            resume: true,
            no_charts: false,
        }
    }

    #[test]
    fn quoting_leaves_plain_words_and_protects_the_rest() {
        assert_eq!(quote("-n"), "-n");
        assert_eq!(quote("/a/b-c_d.toml"), "/a/b-c_d.toml");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("a;rm -rf /"), "'a;rm -rf /'");
        assert_eq!(quote("~/x"), "'~/x'");
        assert_eq!(quote("*"), "'*'");
    }

    #[cfg(unix)]
    #[test]
    fn quoted_words_survive_a_real_shell() {
        let words = ["it's", "$HOME", "a b", "`x`", "\\n", "\n", "", "*", "!x"];
        let script: Vec<String> = words.iter().map(|w| quote(w)).collect();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {}", script.join(" ")))
            .output()
            .expect("sh runs");
        let got: Vec<&str> = std::str::from_utf8(&out.stdout)
            .unwrap()
            .split_terminator('\0')
            .collect();
        assert_eq!(got, words);
    }

    #[test]
    fn the_array_covers_every_shard_once() {
        let text = joined(&shard_script(&plan(8)));
        assert!(text.starts_with("#!/bin/bash\n"));
        assert!(text.contains("\n#SBATCH --array=0-7\n"), "{text}");
        assert!(
            shard_script(&plan(1)).contains("\n#SBATCH --array=0-0\n"),
            "one shard is the array 0-0"
        );
        assert!(text.contains("--shard \"$task\"/8"), "{text}");
        assert!(text.contains("task=\"${SLURM_ARRAY_TASK_ID:?"), "{text}");
        assert!(
            text.contains("--threads \"${SLURM_CPUS_PER_TASK:-1}\""),
            "{text}"
        );
        assert!(
            text.contains("--out /scratch/ann/stf-slurm/shard-\"$task\""),
            "{text}"
        );
        assert!(text.contains("#SBATCH --output=/scratch/ann/stf-slurm/logs/shard-%a.out\n"));
        assert!(text.contains("#SBATCH --error=/scratch/ann/stf-slurm/logs/shard-%a.err\n"));
        for line in [
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --partition=short",
            "#SBATCH --account=econ",
            "#SBATCH --time=00:30:00",
            "#SBATCH --mem=4G",
        ] {
            assert!(text.contains(&format!("\n{line}\n")), "{line} in {text}");
        }
        // Every #SBATCH line comes before the first command, or sbatch ignores it.
        let first_command = text.find("set -euo").unwrap();
        assert!(text.rfind("#SBATCH").unwrap() < first_command);
    }

    #[test]
    fn the_shard_command_is_quoted() {
        let text = joined(&shard_script(&plan(4)));
        assert!(
            text.contains("exec '/opt/fund sim/bin/fundsim' run '/home/ann/it'\\''s here/my scenario.toml' -n 100000 --seed 7"),
            "{text}"
        );
        assert!(
            text.contains(" --force --quiet --resume --threads"),
            "{text}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_shard_script_runs_the_right_command_in_a_shell() {
        // Run the script body with a stand-in fundsim that prints its arguments.
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("fake fundsim");
        std::fs::write(&fake, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut p = plan(4);
        p.fundsim = fake.display().to_string();
        let script = dir.path().join("shards.sbatch");
        std::fs::write(&script, shard_script(&p)).unwrap();
        let out = std::process::Command::new("bash")
            .arg(&script)
            .env("SLURM_ARRAY_TASK_ID", "2")
            .env("SLURM_CPUS_PER_TASK", "4")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let args: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(args, shard_args(&p, "2", "4"));
        // Without the array variable the script refuses to run.
        let out = std::process::Command::new("bash")
            .arg(&script)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .output()
            .unwrap();
        assert!(!out.status.success());
    }

    #[test]
    fn the_merge_lists_every_shard_and_has_no_array() {
        let text = joined(&merge_script_text(&plan(3)));
        assert!(!text.contains("--array"), "{text}");
        assert!(!text.contains("cpus-per-task"), "{text}");
        assert!(text.contains("#SBATCH --job-name=fundsim-stf-merge\n"));
        for k in 0..3 {
            assert!(
                text.contains(&format!("/scratch/ann/stf-slurm/shard-{k} ")),
                "{text}"
            );
        }
        assert!(!text.contains("shard-3"), "{text}");
        assert!(
            text.contains("--out '/scratch/ann/merged $HOME' --force"),
            "{text}"
        );
        assert!(text.contains("#SBATCH --partition=short\n"));
        assert_eq!(
            merge_args(&plan(2)),
            [
                "merge",
                "/scratch/ann/stf-slurm/shard-0",
                "/scratch/ann/stf-slurm/shard-1",
                "--out",
                "/scratch/ann/merged $HOME",
                "--force"
            ]
        );
    }

    #[test]
    fn a_compare_merge_prints_instead_of_writing_a_folder() {
        let mut p = plan(2);
        p.command = "compare".into();
        p.out = None;
        assert_eq!(
            merge_args(&p),
            [
                "merge",
                "/scratch/ann/stf-slurm/shard-0",
                "/scratch/ann/stf-slurm/shard-1"
            ]
        );
        assert!(result_line(&p).ends_with("/scratch/ann/stf-slurm/logs/merge.out."));
    }

    #[test]
    fn the_merge_depends_on_the_whole_array() {
        let [first, second] = submit_commands(
            Path::new("/w/shards.sbatch"),
            Path::new("/w x/merge.sbatch"),
        );
        assert_eq!(
            first,
            "jobid=$(sbatch --parsable /w/shards.sbatch | cut -d';' -f1)"
        );
        assert_eq!(
            second,
            "sbatch --dependency=afterok:$jobid '/w x/merge.sbatch'"
        );
    }

    #[test]
    fn job_ids_are_parsed_from_parsable_output() {
        assert_eq!(parse_job_id("1234\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("1234;cluster\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("warning\n77\n").as_deref(), Some("77"));
        assert_eq!(parse_job_id(""), None);
        assert_eq!(parse_job_id("Submitted batch job 5"), None);
    }

    #[test]
    fn percent_signs_in_the_log_folder_are_literal() {
        assert_eq!(
            log_pattern(Path::new("/w/100%"), "shard-%a.out"),
            "/w/100%%/shard-%a.out"
        );
    }

    #[test]
    fn paths_are_made_absolute_without_dots() {
        let cwd = Path::new("/home/ann/work");
        assert_eq!(
            absolute(cwd, Path::new("../runs/./x")),
            Path::new("/home/ann/runs/x")
        );
        assert_eq!(absolute(cwd, Path::new("/abs")), Path::new("/abs"));
    }

    #[test]
    fn directive_values_are_single_words() {
        assert!(directive_value("--time", Some("1-00:00:00")).is_ok());
        assert!(directive_value("--partition", Some("a b")).is_err());
        assert!(directive_value("--account", Some("x\"y")).is_err());
        assert!(directive_value("--mem", Some("")).is_err());
    }
}
