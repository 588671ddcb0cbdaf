//! [`Launcher`]: start the processes of a distributed job with torchrun's contract, and stop
//! them all when one fails.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{FeError, Result};

/// How many processes a node runs: a number, or `auto` (one per visible GPU, or 1 without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NprocPerNode {
    /// One process per visible CUDA device; 1 on a machine without one.
    Auto,
    /// This many.
    Count(usize),
}

impl NprocPerNode {
    /// The number of processes this node runs.
    pub fn resolve(self) -> usize {
        match self {
            NprocPerNode::Auto => (tch::Cuda::device_count() as usize).max(1),
            NprocPerNode::Count(n) => n,
        }
    }
}

impl FromStr for NprocPerNode {
    type Err = FeError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(NprocPerNode::Auto),
            _ => match s.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(NprocPerNode::Count(n)),
                _ => {
                    Err(FeError::param("launch", "nproc_per_node", format!("expects a count >= 1 or auto, got {s:?}")))
                }
            },
        }
    }
}

/// Starts `nproc_per_node` copies of a program on this node, each with torchrun's variables
/// (`RANK`, `LOCAL_RANK`, `WORLD_SIZE`, `LOCAL_WORLD_SIZE`, `GROUP_RANK`, `ROLE_RANK`,
/// `ROLE_WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`, `TORCHELASTIC_RUN_ID`,
/// `TORCHELASTIC_RESTART_COUNT`, `TORCHELASTIC_USE_AGENT_STORE=False`, so rank 0 hosts the
/// rendezvous store), waits for all of them, and when one fails stops the others (SIGTERM, then
/// SIGKILL after a grace period) and reports the failing rank. For several nodes, run it on each
/// with the same `nnodes`, `master` and its own `node_rank`.
///
/// Each process also gets `OMP_NUM_THREADS` = this machine's cores / processes (at least 1)
/// unless it is set already, so N processes do not oversubscribe the cores.
///
/// Each process runs in its own process group, so stopping a rank stops what it started too
/// (a shell wrapper's children). While [`Launcher::run`] waits, SIGINT and SIGTERM to the
/// launcher stop every rank the same way, and `run` returns the interruption as an error.
///
/// ```no_run
/// use fastestimator as fe;
/// use fe::distributed::{Launcher, NprocPerNode};
/// Launcher::new("./target/release/examples/mnist", ["--epochs", "2"])
///     .nproc_per_node(NprocPerNode::Count(2))
///     .run()?;
/// # Ok::<(), fe::FeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Launcher {
    program: OsString,
    args: Vec<OsString>,
    nproc_per_node: NprocPerNode,
    nnodes: usize,
    node_rank: usize,
    master_addr: String,
    master_port: u16,
    grace: Duration,
}

impl Launcher {
    /// One process of `program` with `args` on one node, rendezvous at 127.0.0.1:29500.
    pub fn new<S: Into<OsString>>(program: impl Into<OsString>, args: impl IntoIterator<Item = S>) -> Self {
        Launcher {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            nproc_per_node: NprocPerNode::Count(1),
            nnodes: 1,
            node_rank: 0,
            master_addr: "127.0.0.1".into(),
            master_port: 29500,
            grace: Duration::from_secs(5),
        }
    }

    /// Processes on this node.
    pub fn nproc_per_node(mut self, n: NprocPerNode) -> Self {
        self.nproc_per_node = n;
        self
    }

    /// Nodes in the job (default 1).
    pub fn nnodes(mut self, n: usize) -> Self {
        self.nnodes = n;
        self
    }

    /// This node's index, 0 to `nnodes - 1` (default 0).
    pub fn node_rank(mut self, r: usize) -> Self {
        self.node_rank = r;
        self
    }

    /// Where rank 0's rendezvous store listens (default 127.0.0.1:29500).
    pub fn master(mut self, addr: impl Into<String>, port: u16) -> Self {
        self.master_addr = addr.into();
        self.master_port = port;
        self
    }

    /// How long stopped ranks get to exit after SIGTERM before SIGKILL (default 5 s).
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The variables process `local_rank` of this node gets.
    pub fn env_for(&self, local_rank: usize) -> Vec<(String, String)> {
        let local_world = self.nproc_per_node.resolve();
        let world = local_world * self.nnodes;
        let rank = self.node_rank * local_world + local_rank;
        let mut vars = vec![
            ("RANK", rank.to_string()),
            ("LOCAL_RANK", local_rank.to_string()),
            ("WORLD_SIZE", world.to_string()),
            ("LOCAL_WORLD_SIZE", local_world.to_string()),
            ("GROUP_RANK", self.node_rank.to_string()),
            ("ROLE_RANK", rank.to_string()),
            ("ROLE_WORLD_SIZE", world.to_string()),
            ("MASTER_ADDR", self.master_addr.clone()),
            ("MASTER_PORT", self.master_port.to_string()),
            ("TORCHELASTIC_RUN_ID", format!("fe-{}-{}", self.master_addr, self.master_port)),
            ("TORCHELASTIC_RESTART_COUNT", "0".into()),
            ("TORCHELASTIC_USE_AGENT_STORE", "False".into()),
        ];
        if std::env::var_os("OMP_NUM_THREADS").is_none() {
            vars.push(("OMP_NUM_THREADS", (num_cpus::get() / local_world).max(1).to_string()));
        }
        vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn check(&self) -> Result<usize> {
        let n = self.nproc_per_node.resolve();
        if n == 0 {
            return Err(FeError::param("launch", "nproc_per_node", "needs at least 1 process"));
        }
        if self.nnodes == 0 || self.node_rank >= self.nnodes {
            return Err(FeError::param(
                "launch",
                "node_rank",
                format!("node {} of {} nodes (node ranks are 0 to nnodes - 1)", self.node_rank, self.nnodes),
            ));
        }
        Ok(n)
    }

    /// Start every process of this node and wait for them. `Ok` when all exit with success; the
    /// first failure stops the others and is a [`FeError::RankFailed`] naming its rank.
    pub fn run(&self) -> Result<()> {
        let n = self.check()?;
        let _signals = SignalGuard::install();
        let result = self.run_ranks(n);
        if INTERRUPTED.swap(false, Ordering::SeqCst) && result.is_ok() {
            return Err(FeError::LaunchInterrupted);
        }
        result
    }

    fn run_ranks(&self, n: usize) -> Result<()> {
        let command = self.program.to_string_lossy().into_owned();
        let mut children: Vec<(usize, Child)> = Vec::with_capacity(n);
        for local_rank in 0..n {
            let rank = self.node_rank * n + local_rank;
            let spawned =
                Command::new(&self.program).args(&self.args).envs(self.env_for(local_rank)).process_group(0).spawn();
            match spawned {
                Ok(child) => children.push((rank, child)),
                Err(e) => {
                    self.stop(&mut children);
                    return Err(FeError::RankFailed { rank, command, status: format!("could not start: {e}") });
                }
            }
        }
        loop {
            let mut failure = None;
            let mut index = 0;
            while index < children.len() {
                let (rank, child) = &mut children[index];
                match child.try_wait() {
                    Ok(None) => index += 1,
                    Ok(Some(status)) if status.success() => {
                        children.remove(index);
                    }
                    Ok(Some(status)) => {
                        failure = Some((*rank, describe(status)));
                        children.remove(index);
                        break;
                    }
                    Err(e) => {
                        failure = Some((*rank, format!("cannot be waited for: {e}")));
                        break;
                    }
                }
            }
            if let Some((rank, status)) = failure {
                self.stop(&mut children);
                return Err(FeError::RankFailed { rank, command, status });
            }
            if children.is_empty() {
                return Ok(());
            }
            if INTERRUPTED.load(Ordering::SeqCst) {
                self.stop(&mut children);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM every child's process group, wait up to the grace period, then SIGKILL the
    /// groups of what is left.
    fn stop(&self, children: &mut [(usize, Child)]) {
        let signal_groups = |children: &[(usize, Child)], signal: libc::c_int| {
            for (_, child) in children {
                // SAFETY: kill(2) on the process group our child leads (its pid, negated); the
                // child is not reaped yet, so the group id is still ours. No memory is involved.
                unsafe {
                    libc::kill(-(child.id() as libc::pid_t), signal);
                }
            }
        };
        signal_groups(children, libc::SIGTERM);
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline && children.iter_mut().any(|(_, c)| matches!(c.try_wait(), Ok(None))) {
            std::thread::sleep(Duration::from_millis(20));
        }
        signal_groups(children, libc::SIGKILL);
        for (_, child) in children.iter_mut() {
            let _ = child.wait();
        }
    }
}

/// Set when the launcher gets SIGINT or SIGTERM while it waits for its ranks.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM handlers that mark the launch interrupted, restored when dropped.
struct SignalGuard {
    previous: [(libc::c_int, libc::sighandler_t); 2],
}

impl SignalGuard {
    fn install() -> SignalGuard {
        let handler = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: signal(2) with a handler that only stores to an atomic (async-signal-safe).
        let previous = [libc::SIGINT, libc::SIGTERM].map(|s| (s, unsafe { libc::signal(s, handler) }));
        SignalGuard { previous }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (signal, handler) in self.previous {
            // SAFETY: puts back the handler signal(2) returned for this signal.
            unsafe {
                libc::signal(signal, handler);
            }
        }
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        _ => "failed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_sizes_follow_torchrun_across_nodes() {
        let l = Launcher::new("job", ["a"])
            .nproc_per_node(NprocPerNode::Count(3))
            .nnodes(2)
            .node_rank(1)
            .master("10.1.1.1", 29400);
        let env: std::collections::HashMap<String, String> = l.env_for(2).into_iter().collect();
        assert_eq!(env["RANK"], "5");
        assert_eq!(env["LOCAL_RANK"], "2");
        assert_eq!(env["WORLD_SIZE"], "6");
        assert_eq!(env["LOCAL_WORLD_SIZE"], "3");
        assert_eq!(env["GROUP_RANK"], "1");
        assert_eq!((env["MASTER_ADDR"].as_str(), env["MASTER_PORT"].as_str()), ("10.1.1.1", "29400"));
        assert_eq!(env["TORCHELASTIC_USE_AGENT_STORE"], "False");
    }

    #[test]
    fn counts_parse_and_bad_layouts_are_errors() {
        assert_eq!("auto".parse::<NprocPerNode>().expect("auto"), NprocPerNode::Auto);
        assert_eq!("4".parse::<NprocPerNode>().expect("4"), NprocPerNode::Count(4));
        assert!("0".parse::<NprocPerNode>().is_err() && "two".parse::<NprocPerNode>().is_err());
        assert_eq!(NprocPerNode::Auto.resolve(), (tch::Cuda::device_count() as usize).max(1));
        let err = Launcher::new("job", Vec::<String>::new()).nnodes(2).node_rank(2).run().expect_err("node 2 of 2");
        assert!(err.to_string().contains("node 2 of 2 nodes"), "{err}");
    }
}
