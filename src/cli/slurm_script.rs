//! What the two batch scripts of `fundsim slurm` say ([`Plan`]) and their text
//! (`shards.sbatch`, the job array; `merge.sbatch`, the merge job), with the commands
//! that submit them: the shards' and the merge's arguments, shell quoting, line wrapping
//! and `#SBATCH` directives.

use std::path::{Path, PathBuf};

use super::args::OutputArgs;

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
    /// Options passed to the subcommand (`--set` first).
    pub extra: Vec<String>,
    pub shards: u32,
    /// Absolute.
    pub work_dir: PathBuf,
    /// The merged folder, absolute; `None` for `compare`, whose merge prints its result.
    pub out: Option<PathBuf>,
    /// Slurm job name of the array; the merge job adds `-merge`.
    pub job_name: String,
    pub resources: Resources,
    /// The subcommand can resume from a checkpoint (`run`): a requeued or re-submitted
    /// task continues where it was stopped instead of starting over.
    pub resume: bool,
    /// `--no-charts` was among the options: the merge writes no charts either.
    pub no_charts: bool,
}

/// The output options of shard `task`: its folder (replaced if a failed attempt left
/// one) and no progress bar or message, which would only fill the logs.
pub(super) fn shard_output(plan: &Plan, task: &str) -> OutputArgs {
    OutputArgs {
        out: Some(PathBuf::from(format!(
            "{}/shard-{task}",
            plan.work_dir.display()
        ))),
        force: true,
        quiet: true,
        no_charts: false,
    }
}

/// The output options of the merge: the merged folder (replaced, so a re-submitted merge
/// succeeds), and no charts if the shards were asked for none.
fn merge_output(plan: &Plan) -> OutputArgs {
    OutputArgs {
        out: plan.out.clone(),
        force: plan.out.is_some(),
        quiet: false,
        no_charts: plan.no_charts,
    }
}

/// The arguments of shard `task` (after `fundsim`), unquoted; `task` and `threads` are
/// put in as given (shell expansions in the script).
pub(super) fn shard_args(plan: &Plan, task: &str, threads: &str) -> Vec<String> {
    let mut args = vec![plan.command.clone(), plan.scenario.clone()];
    args.extend(plan.extra.iter().cloned());
    args.push("--shard".into());
    args.push(format!("{task}/{}", plan.shards));
    args.extend(shard_output(plan, task).to_args());
    if plan.resume {
        args.push("--resume".into());
    }
    args.push("--threads".into());
    args.push(threads.into());
    args
}

/// The arguments of the merge (after `fundsim`), unquoted.
pub(super) fn merge_args(plan: &Plan) -> Vec<String> {
    let mut args = vec!["merge".to_string()];
    args.extend(shard_dirs(plan));
    args.extend(merge_output(plan).to_args());
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
    // The folder ends in the task number, which the shell puts in: only the rest is quoted.
    let output = shard_output(plan, "");
    words.push("--out".into());
    words.push(format!(
        "{}\"$task\"",
        quote(&format!("{}/shard-", plan.work_dir.display()))
    ));
    words.extend(
        OutputArgs {
            out: None,
            ..output
        }
        .to_args(),
    );
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

/// A plan with every option set and awkward paths, for tests.
#[cfg(test)]
pub(super) fn example_plan(shards: u32) -> Plan {
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
        resume: true,
        no_charts: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(shards: u32) -> Plan {
        example_plan(shards)
    }

    /// A script with its continued lines joined.
    fn joined(text: &str) -> String {
        text.replace(" \\\n    ", " ")
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
    fn percent_signs_in_the_log_folder_are_literal() {
        assert_eq!(
            log_pattern(Path::new("/w/100%"), "shard-%a.out"),
            "/w/100%%/shard-%a.out"
        );
    }
}
