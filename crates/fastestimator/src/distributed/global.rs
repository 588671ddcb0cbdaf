//! The process's one [`ProcessGroup`], made on first use from the launcher's environment.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::env::DistributedEnv;
use super::process_group::{CommBackend, ProcessGroup, DEFAULT_TIMEOUT};
use crate::error::{FeError, Result};

/// `None`: not looked at yet; `Some(None)`: a single-process run; `Some(Some(g))`: distributed.
static GROUP: Mutex<Option<Option<Arc<ProcessGroup>>>> = Mutex::new(None);

/// Join the job this process was launched into, once: with `WORLD_SIZE` above 1 (or with
/// `WORLD_SIZE` and `FE_DIST_BACKEND` both set, even to a world of 1) this connects to the other
/// ranks (see [`ProcessGroup::connect`]) and returns the group; a program started on
/// its own gets `None`. Later calls return the same answer. The Estimator calls this at the start
/// of `fit` and `test`, so a user's program never has to.
///
/// The backend is `FE_DIST_BACKEND` (`gloo` or `nccl`; by default NCCL when built with the
/// `nccl` feature and a GPU is visible, else Gloo). The collective timeout is `FE_DIST_TIMEOUT` seconds (default 60): a rank that stops
/// answering makes the others fail within it, with an error naming the lost rank.
pub fn init() -> Result<Option<Arc<ProcessGroup>>> {
    let mut slot = GROUP.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(group) = slot.as_ref() {
        return Ok(group.clone());
    }
    let env = DistributedEnv::from_env()?;
    // A group of one only when asked for by name (a smoke test of a backend on one GPU).
    let asked = std::env::var_os("FE_DIST_BACKEND").is_some() && std::env::var_os("WORLD_SIZE").is_some();
    let group = if env.world_size > 1 || asked {
        Some(Arc::new(ProcessGroup::connect(&env, timeout()?, CommBackend::from_env()?)?))
    } else {
        None
    };
    *slot = Some(group.clone());
    Ok(group)
}

/// The process group, if this process has joined one (see [`init`]). A custom trace reduces its
/// accumulators with it before computing an epoch's value:
///
/// ```
/// use fastestimator as fe;
/// let (mut correct, mut total) = (3i64, 4i64);
/// if let Some(group) = fe::distributed::current() {
///     let mut counts = [correct, total];
///     group.sum_i64(&mut counts)?;
///     [correct, total] = counts;
/// }
/// assert_eq!(correct as f64 / total as f64, 0.75); // a single process keeps its own counts
/// # Ok::<(), fe::FeError>(())
/// ```
pub fn current() -> Option<Arc<ProcessGroup>> {
    GROUP.lock().unwrap_or_else(|e| e.into_inner()).clone().flatten()
}

/// This process's global rank (0 when not distributed).
pub fn rank() -> usize {
    current().map_or(0, |g| g.rank())
}

/// The number of processes in the job (1 when not distributed).
pub fn world_size() -> usize {
    current().map_or(1, |g| g.world_size())
}

/// Whether this process prints and writes files: global rank 0, or a process on its own.
pub fn is_main_process() -> bool {
    rank() == 0
}

fn timeout() -> Result<Duration> {
    match std::env::var("FE_DIST_TIMEOUT") {
        Err(_) => Ok(DEFAULT_TIMEOUT),
        Ok(v) => match v.trim().parse::<f64>() {
            Ok(s) if s > 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(s)),
            _ => Err(FeError::DistributedEnv {
                var: "FE_DIST_TIMEOUT".into(),
                value: v,
                reason: "must be a positive number of seconds".into(),
            }),
        },
    }
}
