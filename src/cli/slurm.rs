//! `fundsim slurm`: a Slurm job array of shards and a merge job that depends on it.
//!
//! Writes two batch scripts into a work folder: `shards.sbatch`, a job array
//! (`--array=0-(N-1)`) whose task K runs `fundsim <command> … --shard K/N`, and
//! `merge.sbatch`, which runs `fundsim merge` over every shard folder. With `--submit` it
//! submits both, the merge with `--dependency=afterok:<array job id>`; without, it prints
//! the two `sbatch` commands. fundsim adds no distribution layer of its own: Slurm runs the
//! processes, the shards' files carry the results. The scripts' text is in
//! `slurm_script`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::{Args, Parser, ValueEnum};

use super::args::OverrideArgs;
use super::error::CliError;
use super::merge::{JobLine, MergeLine};
use super::slurm_script::{
    Plan, Resources, merge_args, merge_script_text, shard_args, shard_script, submit_commands,
};
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
    /// Whether the command saves checkpoints and takes `--resume` (`run`): a requeued
    /// or re-submitted task then continues where it was stopped instead of starting over.
    fn resumes(self) -> bool {
        matches!(self, Self::Run)
    }

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
    mut_arg("settings", |arg| arg.help(
        "Set a numeric scenario field for every shard, by dotted path (repeatable), e.g. fund.budget_eur=15e6 or strategies[2].power=0.5; checked here, as if the file said it"
    )),
    after_help = "Options after `--` are passed to every shard's subcommand, e.g.\n  \
                  fundsim slurm stf --shards 32 --partition short --time 00:30:00 -- -n 100000 --seed 7\n\
                  Paths written into the scripts are absolute; the work folder must be on a file \
                  system that every compute node sees."
)]
pub struct SlurmArgs {
    /// Scenario file, or the name of a built-in scenario [default: stf].
    pub scenario: Option<String>,
    #[command(flatten)]
    pub overrides: OverrideArgs,
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
    // A bad --set fails here, not in N jobs.
    let loaded = load_scenario(args.scenario.as_deref())?;
    let (loaded, _) = super::overrides::load_with(loaded, &args.overrides.settings)?;
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
    let no_charts = args.extra.iter().any(|a| a == "--no-charts");
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
        extra: [args.overrides.to_args(), args.extra.clone()].concat(),
        shards: args.shards,
        work_dir,
        out,
        job_name: format!("fundsim-{}", file_name(&loaded.scenario.name)),
        resources,
        resume: args.command.resumes(),
        no_charts,
    };
    check_parses(&plan)?;
    Ok(plan)
}

/// Parses the shard and merge command lines as fundsim would on the compute node, so that
/// a mistyped option fails here rather than in N jobs.
fn check_parses(plan: &Plan) -> Result<(), CliError> {
    let last = plan.shards - 1;
    let shard =
        std::iter::once("fundsim".to_string()).chain(shard_args(plan, &last.to_string(), "1"));
    // The merge's arguments start with its subcommand, which `MergeLine` is named after.
    let merge =
        std::iter::once("fundsim merge".to_string()).chain(merge_args(plan).into_iter().skip(1));
    let errors = [
        ("shard", JobLine::try_parse_from(shard).err()),
        ("merge", MergeLine::try_parse_from(merge).err()),
    ];
    for (what, error) in errors {
        if let Some(e) = error {
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

    fn plan(shards: u32) -> Plan {
        crate::cli::slurm_script::example_plan(shards)
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
    fn job_ids_are_parsed_from_parsable_output() {
        assert_eq!(parse_job_id("1234\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("1234;cluster\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("warning\n77\n").as_deref(), Some("77"));
        assert_eq!(parse_job_id(""), None);
        assert_eq!(parse_job_id("Submitted batch job 5"), None);
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
