//! A real single-node Slurm: `fundsim slurm --submit` sends a 4-shard job array and its
//! merge job to a private cluster (munged, slurmctld and slurmd started in the foreground
//! in a temporary folder, on free ports), and the merged run folder must equal a
//! single-process `fundsim run` with the same options, file for file and byte for byte.
//!
//! Slurm and MUNGE come from Debian's `slurm-wlm` and `munge` packages; the daemons run as
//! the current user, which must be root (slurmd starts jobs). `.ci/run` installs them and
//! sets `FUNDSIM_REQUIRE_SYSTEM_TESTS=1`, so there a missing package fails the test.
//! Elsewhere the test says loudly on stderr that it did not run.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

/// The longest the 4 shards and the merge may take once submitted.
const JOB_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest a daemon may take to answer after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const SHARDS: u32 = 4;
/// Options of both the sharded and the single run.
const RUN_OPTIONS: [&str; 4] = ["-n", "64", "--seed", "7"];

const TOOLS: [&str; 8] = [
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "squeue",
    "sinfo",
    "scontrol",
    "scancel",
];

/// The Slurm and MUNGE programs, from PATH or the Debian locations.
fn find_tool(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The test cannot run here: fail under `FUNDSIM_REQUIRE_SYSTEM_TESTS=1`, otherwise say so
/// where every log shows it.
fn not_run(reason: &str) {
    common::system_test_not_run(
        "tests/slurm.rs needs slurm-wlm and munge, run as root",
        reason,
        "apt-get install slurm-wlm munge",
    );
}

/// A daemon in the foreground, stopped (SIGTERM, then SIGKILL) when dropped.
struct Daemon {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(name: &'static str, mut command: Command, log: PathBuf) -> Daemon {
        let file = std::fs::File::create(&log).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Daemon { name, child, log }
    }

    /// Panics with the daemon's output if it has exited.
    fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited ({status}):\n{}",
                self.name,
                read_lossy(&self.log)
            );
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // The shell's own kill: no procps needed.
            let _ = Command::new("sh")
                .arg("-c")
                .arg(format!("kill -TERM {}", self.child.id()))
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A private single-node cluster in a temporary folder. Dropping it cancels its jobs and
/// stops the daemons, slurmd first, then removes the folder.
struct Cluster {
    conf: PathBuf,
    logs: PathBuf,
    tools: BTreeMap<&'static str, PathBuf>,
    // Dropped in this order: the daemons (slurmd, slurmctld, munged), then the folder.
    daemons: Vec<Daemon>,
    dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // No job outlives the test: its slurmstepd would not stop with slurmd.
        if self.jobs().is_some_and(|jobs| !jobs.trim().is_empty()) {
            let _ = self.slurm("scancel").arg("--partition=debug").output();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline
                && self.jobs().is_some_and(|jobs| !jobs.trim().is_empty())
            {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        while let Some(daemon) = self.daemons.pop() {
            drop(daemon);
        }
    }
}

impl Cluster {
    fn start(tools: BTreeMap<&'static str, PathBuf>) -> Cluster {
        // Under /tmp, not the target folder: Unix socket paths (munge's, slurmd's) must
        // stay under 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("fundsim-slurm-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        // munged refuses a socket folder others can write; clients need to reach it.
        set_mode(&root, 0o755);
        for sub in ["munge", "state", "spool", "logs"] {
            std::fs::create_dir(root.join(sub)).unwrap();
            set_mode(&root.join(sub), 0o755);
        }
        let logs = root.join("logs");
        let mut cluster = Cluster {
            conf: root.join("slurm.conf"),
            logs: logs.clone(),
            tools,
            daemons: Vec::new(),
            dir,
        };

        // MUNGE: a fresh random key, a private socket.
        let key = root.join("munge/munge.key");
        let mut bytes = vec![0u8; 1024];
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .read_exact(&mut bytes)
            .unwrap();
        std::fs::write(&key, &bytes).unwrap();
        set_mode(&key, 0o600);
        let socket = root.join("munge/munge.socket");
        let mut munged = Command::new(&cluster.tools["munged"]);
        munged
            .args(["--foreground", "--force"])
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!(
                "--pid-file={}",
                root.join("munge/munged.pid").display()
            ))
            .arg(format!(
                "--seed-file={}",
                root.join("munge/munged.seed").display()
            ))
            .arg(format!("--log-file={}", logs.join("munged.log").display()));
        cluster
            .daemons
            .push(Daemon::start("munged", munged, logs.join("munged.out")));
        cluster.wait_for("munged's socket", |_| socket.exists());

        // Slurm: the node as slurmd sees it, free ports, everything in the folder.
        let node = node_line(&cluster.tools["slurmd"]);
        let [ctld_port, slurmd_port] = free_ports();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let conf = format!(
            "# A private single-node cluster for tests/slurm.rs.\n\
             ClusterName=fundsimtest\n\
             SlurmctldHost=localhost\n\
             SlurmctldPort={ctld_port}\n\
             SlurmdPort={slurmd_port}\n\
             SlurmUser={user}\n\
             SlurmdUser={user}\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={socket}\n\
             StateSaveLocation={root}/state\n\
             SlurmdSpoolDir={root}/spool\n\
             SlurmctldPidFile={root}/slurmctld.pid\n\
             SlurmdPidFile={root}/slurmd.pid\n\
             SlurmctldLogFile={root}/logs/slurmctld.log\n\
             SlurmdLogFile={root}/logs/slurmd.log\n\
             SlurmctldDebug=info\n\
             SlurmdDebug=info\n\
             MailProg=/bin/true\n\
             SchedulerType=sched/builtin\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             JobCompType=jobcomp/none\n\
             MpiDefault=none\n\
             ReturnToService=2\n\
             MinJobAge=600\n\
             {node} NodeAddr=127.0.0.1 State=UNKNOWN\n\
             PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            socket = socket.display(),
            root = root.display(),
        );
        std::fs::write(&cluster.conf, conf).unwrap();

        let mut ctld = cluster.slurm("slurmctld");
        ctld.args(["-D", "-i", "-f"]).arg(&cluster.conf);
        let log = logs.join("slurmctld.out");
        cluster.daemons.push(Daemon::start("slurmctld", ctld, log));
        let mut slurmd = cluster.slurm("slurmd");
        slurmd.args(["-D", "-f"]).arg(&cluster.conf);
        let log = logs.join("slurmd.out");
        cluster.daemons.push(Daemon::start("slurmd", slurmd, log));
        cluster.wait_for("the node to be idle in sinfo", |cluster| {
            cluster
                .slurm("sinfo")
                .args(["-h", "-N", "-o", "%t"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        cluster
    }

    /// A Slurm command talking to this cluster.
    fn slurm(&self, tool: &str) -> Command {
        let mut command = Command::new(self.tools.get(tool).map_or(Path::new(tool), |p| p));
        command.env("SLURM_CONF", &self.conf);
        command
    }

    /// `squeue` of every job still known as pending or running: id, state, reason.
    fn jobs(&self) -> Option<String> {
        let out = self
            .slurm("squeue")
            .args(["-h", "-o", "%i %T %r"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn wait_for(&mut self, what: &str, ready: impl Fn(&Cluster) -> bool) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if ready(self) {
                return;
            }
            for daemon in &mut self.daemons {
                daemon.check_alive();
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {START_TIMEOUT:?} waiting for {what}\n{}",
                    self.report()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The daemons' logs, for a failure message.
    fn report(&self) -> String {
        let mut text = String::new();
        for entry in sorted_files(&self.logs) {
            text += &format!(
                "----- {} -----\n{}\n",
                entry.display(),
                tail(&read_lossy(&entry), 60)
            );
        }
        text + &format!(
            "(cluster folder {}, removed at the end of the test)",
            self.dir.path().display()
        )
    }
}

/// The `NodeName=… CPUs=… …` line of `slurmd -C`, without memory and uptime.
fn node_line(slurmd: &Path) -> String {
    let out = Command::new(slurmd).arg("-C").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("");
    let keep = [
        "NodeName",
        "CPUs",
        "Boards",
        "SocketsPerBoard",
        "CoresPerSocket",
        "ThreadsPerCore",
    ];
    let fields: Vec<&str> = first
        .split_whitespace()
        .filter(|f| keep.contains(&f.split('=').next().unwrap_or("")))
        .collect();
    assert!(
        fields.first().is_some_and(|f| f.starts_with("NodeName=")),
        "unexpected `slurmd -C` output: {text}"
    );
    fields.join(" ")
}

/// Two distinct ports free at the moment of asking.
fn free_ports() -> [u16; 2] {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    [
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    ]
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(cannot read: {e})"))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

fn show(output: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The number after `text` in `output`, e.g. the job id after "as job ".
fn number_after(output: &str, text: &str) -> Option<String> {
    let start = output.find(text)? + text.len();
    let digits: String = output[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

#[test]
fn a_sharded_run_on_slurm_equals_a_single_run() {
    let mut tools = BTreeMap::new();
    let mut missing = Vec::new();
    for name in TOOLS {
        match find_tool(name) {
            Some(path) => {
                tools.insert(name, path);
            }
            None => missing.push(name),
        }
    }
    if !missing.is_empty() {
        return not_run(&format!("not found: {}", missing.join(", ")));
    }
    if !is_root() {
        return not_run("slurmd must run as root to start jobs");
    }
    let started = Instant::now();
    let cluster = Cluster::start(tools);
    let up = started.elapsed();

    let scratch = common::scratch("slurm");
    let work = scratch.path().join("work");
    let merged = scratch.path().join("merged");
    let single = scratch.path().join("single");
    let fundsim = common::BIN;

    let submitted = Command::new(fundsim)
        .args(["slurm", "stf", "--shards", &SHARDS.to_string(), "--submit"])
        .args(["--partition", "debug", "--time", "00:10:00"])
        .args(["--cpus-per-task", "1"])
        .arg("--work-dir")
        .arg(&work)
        .arg("--out")
        .arg(&merged)
        .arg("--")
        .args(RUN_OPTIONS)
        .env("SLURM_CONF", &cluster.conf)
        .env(
            "PATH",
            std::env::join_paths(
                cluster
                    .tools
                    .values()
                    .filter_map(|p| p.parent())
                    .map(Path::to_path_buf)
                    .chain(std::env::split_paths(
                        &std::env::var_os("PATH").unwrap_or_default(),
                    )),
            )
            .unwrap(),
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&submitted.stdout).into_owned();
    assert!(
        submitted.status.success(),
        "fundsim slurm --submit failed: {}\n{}",
        show(&submitted),
        cluster.report()
    );
    let array_job = number_after(&said, "shard array as job ")
        .unwrap_or_else(|| panic!("no array job id in: {said}"));
    let merge_job = number_after(&said, "merge as job ")
        .unwrap_or_else(|| panic!("no merge job id in: {said}"));
    assert_ne!(array_job, merge_job);
    // The scripts are on disk, the merge waits for the whole array.
    let shards_script = std::fs::read_to_string(work.join("shards.sbatch")).unwrap();
    assert!(shards_script.contains(&format!("#SBATCH --array=0-{}\n", SHARDS - 1)));
    let merge_script = std::fs::read_to_string(work.join("merge.sbatch")).unwrap();
    assert!(merge_script.contains(&format!("shard-{}", SHARDS - 1)));

    // Wait for the queue to drain (this cluster runs nothing else).
    let submitted_at = Instant::now();
    let failure = |why: String| -> String {
        let mut text = format!(
            "{why}\nfundsim slurm said:\n{said}\nqueue:\n{}\n",
            cluster.jobs().unwrap_or_default()
        );
        for file in sorted_files(&work.join("logs")) {
            text += &format!(
                "----- {} -----\n{}\n",
                file.display(),
                tail(&read_lossy(&file), 40)
            );
        }
        text + &cluster.report()
    };
    loop {
        let queue = cluster
            .jobs()
            .unwrap_or_else(|| panic!("{}", failure("squeue failed".into())));
        if queue.trim().is_empty() {
            break;
        }
        if queue.contains("DependencyNeverSatisfied") {
            panic!(
                "{}",
                failure("a shard failed: the merge job can never start".into())
            );
        }
        if submitted_at.elapsed() > JOB_TIMEOUT {
            panic!(
                "{}",
                failure(format!("the jobs did not finish within {JOB_TIMEOUT:?}"))
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let jobs_took = submitted_at.elapsed();
    let state = cluster
        .slurm("scontrol")
        .args(["show", "job", &merge_job])
        .output()
        .unwrap();
    let state = String::from_utf8_lossy(&state.stdout).into_owned();
    assert!(
        state.contains("JobState=COMPLETED"),
        "{}",
        failure(format!("the merge job did not complete:\n{state}"))
    );
    for k in 0..SHARDS {
        assert!(
            work.join(format!("shard-{k}")).is_dir(),
            "{}",
            failure(format!("no shard-{k} folder"))
        );
    }

    // The same run in one process.
    let one = Command::new(fundsim)
        .args(["run", "stf"])
        .args(RUN_OPTIONS)
        .arg("--out")
        .arg(&single)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(one.status.success(), "fundsim run failed: {}", show(&one));

    assert!(single.join("manifest.json").is_file());
    let compared = common::assert_same_folder(&single, &merged);
    let _ = writeln!(
        std::io::stderr(),
        "tests/slurm.rs: cluster up in {up:.1?}; {SHARDS} shards and the merge (jobs {array_job}, {merge_job}) in {jobs_took:.1?}; {} files identical",
        compared
    );
}
