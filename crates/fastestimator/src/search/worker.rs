//! Parallel evaluation in worker processes.
//!
//! A parallel search starts each point in a new process of the same program: the current
//! executable with the same arguments, and the environment variable [`WORKER_ENV`] describing
//! the job (the search's name, the point, its `search_idx`, the result file, the thread count).
//! The program runs as usual up to the search's `fit()`, which sees the variable, evaluates just
//! that point, writes the result file atomically and ends the process. The parent collects the
//! results in its own process, so saving, the cache, the log lines and the summary stay in one
//! place, and a worker that crashes costs only its own point.
//!
//! Each worker gets `cores / n_jobs` libtorch threads (at least one), and, when several GPUs
//! are visible, a GPU of its own through `CUDA_VISIBLE_DEVICES` (worker slot `i` gets GPU
//! `i mod count`). Its output goes to a log file (`<save_dir>/<name>_workers/trial_<i>.log`
//! when the search saves, else a temporary folder); the error of a failed worker quotes the
//! log's last lines.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::params::Params;
use super::result::SearchResult;
use crate::error::{FeError, Result};

/// The environment variable that makes a process a search worker (its value is the job, as
/// JSON).
pub const WORKER_ENV: &str = "FE_SEARCH_WORKER";

/// How many lines of a failed worker's log its error quotes.
const LOG_TAIL: usize = 12;

/// One point handed to a worker.
struct Job {
    search: String,
    search_idx: usize,
    params: Params,
    result: PathBuf,
    threads: usize,
}

impl Job {
    fn to_env(&self) -> String {
        let params: serde_json::Map<String, Value> =
            self.params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        json!({
            "search": self.search,
            "search_idx": self.search_idx,
            "params": params,
            "result": self.result,
            "threads": self.threads,
        })
        .to_string()
    }

    fn from_env(text: &str) -> Result<Job> {
        let bad = |what: &str| FeError::param("search worker", WORKER_ENV, format!("{what} in {text:?}"));
        let value: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        let params = value.get("params").and_then(Value::as_object).ok_or_else(|| bad("no params"))?;
        Ok(Job {
            search: value.get("search").and_then(Value::as_str).ok_or_else(|| bad("no search name"))?.to_string(),
            search_idx: value.get("search_idx").and_then(Value::as_u64).ok_or_else(|| bad("no search_idx"))? as usize,
            params: params.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            result: PathBuf::from(value.get("result").and_then(Value::as_str).ok_or_else(|| bad("no result path"))?),
            threads: value.get("threads").and_then(Value::as_u64).unwrap_or(1).max(1) as usize,
        })
    }
}

/// In a worker process, evaluate the worker's point with `eval` (the evaluation function of the
/// search called `search`, run as trial `search_idx`) and end the process (exit status 0 with a
/// result file, 1 with an error file). Outside a worker, do nothing. A worker whose program
/// reaches another search's `fit()` first gets an error.
pub(crate) fn serve_if_worker(search: &str, eval: impl FnOnce(&Params, usize) -> Result<SearchResult>) -> Result<()> {
    let Some(text) = std::env::var_os(WORKER_ENV) else {
        return Ok(());
    };
    let job = Job::from_env(&text.to_string_lossy())?;
    if job.search != search {
        return Err(FeError::param(
            format!("search {search:?}"),
            WORKER_ENV,
            format!(
                "this process is a worker of the parallel search {:?}, but the program reached the fit() of search {:?} \
                 first; a program should reach a parallel search's fit() without fitting another search before it",
                job.search, search
            ),
        ));
    }
    // Processes the evaluation starts are not workers.
    std::env::remove_var(WORKER_ENV);
    crate::runtime::set_num_threads(job.threads);
    let outcome = eval(&job.params, job.search_idx);
    let (body, code) = match &outcome {
        Ok(result) => {
            let values: serde_json::Map<String, Value> =
                result.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            (json!({ "result": values }), 0)
        }
        Err(e) => (json!({ "error": e.to_string() }), 1),
    };
    crate::summary::logs::plot::write_atomically(&job.result, body.to_string().as_bytes())?;
    std::process::exit(code)
}

/// A worker that is running.
struct Running {
    child: Child,
    slot: usize,
    search_idx: usize,
    params: Params,
    result: PathBuf,
    log: PathBuf,
}

/// Evaluate `jobs` (`search_idx`, point) of the search called `search` in up to `n_jobs` worker
/// processes, their logs under `save_dir` when given. Each point's outcome goes to `finish` as it
/// arrives: the result, or why the worker failed; `finish` records the result or turns the
/// reason into the search's error. After a failure no new worker starts; the running ones finish
/// and are handed over, then the first failure is returned.
pub(crate) fn run_parallel(
    search: &str,
    save_dir: Option<&Path>,
    jobs: Vec<(usize, Params)>,
    n_jobs: usize,
    mut finish: impl FnMut(usize, Params, std::result::Result<SearchResult, String>) -> Result<()>,
) -> Result<()> {
    let scratch = tempfile::Builder::new()
        .prefix(".fe-search-")
        .tempdir()
        .map_err(|e| FeError::io("cannot create a temporary folder in", std::env::temp_dir(), e))?;
    let log_dir = match save_dir {
        Some(dir) => dir.join(format!("{search}_workers")),
        None => scratch.path().to_path_buf(),
    };
    std::fs::create_dir_all(&log_dir).map_err(|e| FeError::io("cannot create directory", &log_dir, e))?;
    let threads = (num_cpus::get() / n_jobs).max(1);
    let gpus = visible_gpus();
    let mut queue = jobs.into_iter();
    let mut running: Vec<Running> = Vec::new();
    let mut failure: Option<FeError> = None;
    loop {
        while failure.is_none() && running.len() < n_jobs {
            let Some((search_idx, params)) = queue.next() else { break };
            let slot = (0..n_jobs).find(|s| running.iter().all(|r| r.slot != *s)).unwrap_or(0);
            let job = Job {
                search: search.to_string(),
                search_idx,
                params,
                result: scratch.path().join(format!("trial_{search_idx}.json")),
                threads,
            };
            let log = log_dir.join(format!("trial_{search_idx}.log"));
            match spawn(&job, &log, gpus.get(slot % gpus.len().max(1))) {
                Ok(child) => {
                    running.push(Running { child, slot, search_idx, params: job.params, result: job.result, log })
                }
                Err(e) => failure = finish(search_idx, job.params, Err(e)).err(),
            }
        }
        if running.is_empty() {
            break;
        }
        let mut finished = None;
        for (i, r) in running.iter_mut().enumerate() {
            match r.child.try_wait() {
                Ok(Some(status)) => {
                    finished = Some((i, Ok(status)));
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    finished = Some((i, Err(e)));
                    break;
                }
            }
        }
        let Some((i, status)) = finished else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let done = running.swap_remove(i);
        let outcome = collect(&done, status);
        // A failed save stops new workers too; the running ones are still collected.
        if let Err(e) = finish(done.search_idx, done.params, outcome) {
            failure.get_or_insert(e);
        }
    }
    failure.map_or(Ok(()), Err)
}

/// Start a worker for `job`, its output into `log`, on `gpu` when given.
fn spawn(job: &Job, log: &Path, gpu: Option<&String>) -> std::result::Result<Child, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the program to run a worker: {e}"))?;
    let out = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| format!("cannot share {}: {e}", log.display()))?;
    let mut cmd = Command::new(&exe);
    cmd.args(std::env::args_os().skip(1))
        .env(WORKER_ENV, job.to_env())
        .env("OMP_NUM_THREADS", job.threads.to_string())
        .env("MKL_NUM_THREADS", job.threads.to_string())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    if let Some(gpu) = gpu {
        cmd.env("CUDA_VISIBLE_DEVICES", gpu);
    }
    die_with_parent(&mut cmd);
    cmd.spawn().map_err(|e| format!("cannot start {}: {e}", exe.display()))
}

/// A worker dies with the search that started it (Linux), so a killed search leaves no
/// workers behind.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: prctl(PR_SET_PDEATHSIG) is async-signal-safe and only changes the child's own
    // settings between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// The result of a finished worker, or why there is none.
fn collect(
    done: &Running,
    status: std::io::Result<std::process::ExitStatus>,
) -> std::result::Result<SearchResult, String> {
    let status = status.map_err(|e| format!("cannot wait for the worker: {e}"))?;
    let body = std::fs::read_to_string(&done.result).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
    if let Some(values) = body.as_ref().and_then(|b| b.get("result")).and_then(Value::as_object) {
        if status.success() {
            return Ok(values.iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN))).collect());
        }
    }
    let reason = match body.as_ref().and_then(|b| b.get("error")).and_then(Value::as_str) {
        Some(error) => error.to_string(),
        None => format!("the worker process ended ({}) without a result", describe(status)),
    };
    Err(format!("{reason}; the worker's log is {}{}", done.log.display(), log_tail(&done.log)))
}

/// `exit status 3` or `killed by signal 9`.
fn describe(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    status.code().map_or_else(|| "no exit status".to_string(), |c| format!("exit status {c}"))
}

/// The last lines of a worker's log, for its error.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(", which ends:\n{}", lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n"))
}

/// The GPUs to hand out, one per worker slot (see [`gpu_slots`]).
fn visible_gpus() -> Vec<String> {
    if !crate::backend::load_cuda() {
        return Vec::new();
    }
    let count = usize::try_from(tch::Cuda::device_count()).unwrap_or(0);
    gpu_slots(count, std::env::var("CUDA_VISIBLE_DEVICES").ok().as_deref())
}

/// The `CUDA_VISIBLE_DEVICES` value of each worker slot, for `count` visible GPUs: the entries
/// of the parent's `CUDA_VISIBLE_DEVICES` when set, else `0..count`; none when fewer than two
/// are visible (a single GPU is shared as it is).
fn gpu_slots(count: usize, visible: Option<&str>) -> Vec<String> {
    if count < 2 {
        return Vec::new();
    }
    match visible {
        Some(list) if !list.trim().is_empty() => {
            list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).take(count).collect()
        }
        _ => (0..count).map(|i| i.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_travels_through_the_environment() {
        let job = Job {
            search: "grid".into(),
            search_idx: 4,
            params: Params::from_pairs([("lr", 0.01.into()), ("opt", "adam".into())]),
            result: PathBuf::from("/tmp/r.json"),
            threads: 2,
        };
        let back = Job::from_env(&job.to_env()).unwrap();
        assert_eq!((back.search.as_str(), back.search_idx, back.threads), ("grid", 4, 2));
        assert_eq!((back.params, back.result), (job.params, job.result));
        assert!(Job::from_env("{}").is_err());
    }

    #[test]
    fn each_worker_slot_gets_its_own_gpu() {
        assert!(gpu_slots(1, None).is_empty(), "one GPU is shared");
        assert_eq!(gpu_slots(3, None), ["0", "1", "2"]);
        assert_eq!(gpu_slots(2, Some("4, 6")), ["4", "6"]);
        assert_eq!(gpu_slots(2, Some("")), ["0", "1"]);
    }
}
