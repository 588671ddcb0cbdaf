//! [`HistoryRecorder`]: records one run into the history database while it runs.
//!
//! The run's row and descriptions are written when it starts. From then on a writer thread owns
//! the connection: log lines reach it through a channel and are appended in batches (at most
//! every half second), and the end of the run (status, error, final metrics, retention) is its
//! last write. The training thread never waits for the database, so a slow or locked database
//! cannot slow a step down; a process killed with SIGKILL leaves a run whose log holds every
//! batch written before the kill, shown afterwards as `Unfinished`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use rusqlite::{params, Connection, TransactionBehavior};

use super::liveness::{host_name, mark_unfinished};
use super::schema::{connect, history_error};
use super::{RunRecord, RunStatus};
use crate::error::Result;
use crate::output::Channel;
use crate::summary::Summary;

/// How long log lines gather before they are written as one transaction.
const LOG_BATCH: Duration = Duration::from_millis(500);

/// The end of a run, as handed to the writer thread.
struct RunEnd {
    status: RunStatus,
    error: Option<(String, String)>,
    metrics: Vec<(String, String, u64, String)>,
}

enum Message {
    Log(String),
    /// The run continues an earlier one (restored from a checkpoint): that run's id.
    Resume(i64),
    End(RunEnd),
}

/// A handle on a recording run for the code that runs it: its id, and a way to say that it
/// continues an earlier run (FE's restart bookkeeping).
#[derive(Clone)]
pub struct HistoryHandle {
    run_id: Arc<AtomicI64>,
    sender: Sender<Message>,
}

impl HistoryHandle {
    /// The run's primary key: the earlier run's after [`HistoryHandle::resumed_from`].
    pub fn run_id(&self) -> i64 {
        self.run_id.load(Ordering::SeqCst)
    }

    /// This run continues run `earlier` (a checkpoint written by it was restored). As FE's
    /// `HistoryRecorder` does, the history keeps one row for both: the earlier row, now running
    /// again with `n_restarts` raised by one and this run's log appended; if the earlier row is
    /// gone (retention), this run's row takes its id.
    pub fn resumed_from(&self, earlier: i64) {
        if earlier != self.run_id() {
            self.run_id.store(earlier, Ordering::SeqCst);
            let _ = self.sender.send(Message::Resume(earlier));
        }
    }
}

/// Records one run into the history database (FE's `HistoryRecorder`).
///
/// ```no_run
/// use fastestimator::summary::history::{HistoryRecorder, RunRecord, RunStatus};
/// use fastestimator::output;
///
/// let record = RunRecord { file: "my_job".into(), kind: "fit".into(), ..Default::default() };
/// let recorder = HistoryRecorder::start("history.db", &record).unwrap();
/// output::with_tap(recorder.log_tap(), || output::log("FastEstimator-Train: step: 1; loss: 0.5;"));
/// recorder.finish(RunStatus::Completed, None, None).unwrap();
/// ```
pub struct HistoryRecorder {
    run_id: Arc<AtomicI64>,
    path: PathBuf,
    sender: Option<Sender<Message>>,
    writer: Option<JoinHandle<Result<()>>>,
}

impl HistoryRecorder {
    /// Open the database at `path` (creating it), write the run's row and descriptions, and start
    /// the writer thread. Fails with `FeError::History` when the database cannot be used.
    pub fn start(path: impl AsRef<Path>, record: &RunRecord) -> Result<HistoryRecorder> {
        let path = path.as_ref().to_path_buf();
        let mut conn = connect(&path)?;
        let run_id = insert_run(&mut conn, record).map_err(|e| history_error(&path, e))?;
        let (sender, receiver) = crossbeam_channel::unbounded();
        let writer_path = path.clone();
        let writer = std::thread::Builder::new()
            .name("fe-history".into())
            .spawn(move || write_loop(conn, run_id, &receiver).map_err(|e| history_error(&writer_path, e)))
            .map_err(|e| history_error(&path, format!("could not start the writer thread: {e}")))?;
        Ok(HistoryRecorder {
            run_id: Arc::new(AtomicI64::new(run_id)),
            path,
            sender: Some(sender),
            writer: Some(writer),
        })
    }

    /// The run's primary key (`pk`) in the `history` table.
    pub fn run_id(&self) -> i64 {
        self.run_id.load(Ordering::SeqCst)
    }

    /// A handle for the code that runs the run (see [`HistoryHandle`]); `None` once finished.
    pub fn handle(&self) -> Option<HistoryHandle> {
        let sender = self.sender.clone()?;
        Some(HistoryHandle { run_id: Arc::clone(&self.run_id), sender })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A tap for [`output::with_tap`](crate::output::with_tap) that records every line into the
    /// run's log.
    pub fn log_tap(&self) -> impl Fn(Channel, &str) + Send + Sync + 'static {
        let sender = self.sender.clone();
        move |_channel, line| {
            if let Some(sender) = &sender {
                let _ = sender.send(Message::Log(format!("{line}\n")));
            }
        }
    }

    /// End the run: its status, the error that ended it (type and message), and the final value
    /// of every key of `summary`; then apply the retention settings. Waits for the writer.
    pub fn finish(
        mut self,
        status: RunStatus,
        error: Option<(String, String)>,
        summary: Option<&Summary>,
    ) -> Result<()> {
        let metrics = summary.map(final_metrics).unwrap_or_default();
        self.end(RunEnd { status, error, metrics })
    }

    fn end(&mut self, end: RunEnd) -> Result<()> {
        if let Some(sender) = self.sender.take() {
            let _ = sender.send(Message::End(end));
        }
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(history_error(&self.path, "the history writer thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for HistoryRecorder {
    /// A recorder dropped without [`HistoryRecorder::finish`] belongs to a run that unwound
    /// from a panic: record it as `Aborted`.
    fn drop(&mut self) {
        if self.sender.is_some() {
            let end = RunEnd {
                status: RunStatus::Aborted,
                error: Some(("panic".into(), "the run ended with a panic".into())),
                metrics: Vec::new(),
            };
            let _ = self.end(end);
        }
    }
}

/// Keys the Logger records about the run rather than the model; not kept as final metrics.
const BOOKKEEPING_KEYS: [&str; 5] =
    ["num_device", "logging_interval", "steps/sec", "epoch_time(sec)", "total_time(sec)"];

/// The last value of every key in every mode: (mode, key, step, value).
fn final_metrics(summary: &Summary) -> Vec<(String, String, u64, String)> {
    let mut out = Vec::new();
    for (mode, keys) in &summary.history {
        for (key, steps) in keys.iter().filter(|(k, _)| !BOOKKEEPING_KEYS.contains(&k.as_str())) {
            if let Some((step, value)) = steps.iter().next_back() {
                out.push((mode.to_string(), key.clone(), *step, value.to_string()));
            }
        }
    }
    out
}

/// Write the run's row and its descriptions in one transaction; returns its primary key.
fn insert_run(conn: &mut Connection, record: &RunRecord) -> rusqlite::Result<i64> {
    // Runs of this host whose process died (SIGKILL) are shown as such from now on.
    mark_unfinished(conn)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let args = serde_json::to_string(&record.args).unwrap_or_default();
    tx.execute(
        "INSERT INTO history (file, experiment, kind, status, args, fe_version, train_start, n_gpus, n_cpus, \
         n_workers, n_restarts, host, pid) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, datetime('now', 'localtime'), ?7, ?8, ?9, 0, ?10, ?11)",
        params![
            record.file,
            record.experiment,
            record.kind,
            RunStatus::Running.as_str(),
            args,
            env!("CARGO_PKG_VERSION"),
            record.n_gpus as i64,
            record.n_cpus as i64,
            record.n_workers as i64,
            host_name(),
            i64::from(std::process::id()),
        ],
    )?;
    let pk = tx.last_insert_rowid();
    for feature in &record.features {
        tx.execute("INSERT INTO features (feature, fk) VALUES (?1, ?2)", params![feature, pk])?;
    }
    for (name, value) in &record.hyperparameters {
        tx.execute(
            "INSERT INTO hyperparameters (name, value, fk) VALUES (?1, ?2, ?3)",
            params![name, value.to_string(), pk],
        )?;
    }
    for ds in &record.datasets {
        tx.execute(
            "INSERT INTO datasets (mode, ds_id, dataset, size, fk) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![ds.mode, ds.ds_id, ds.dataset, ds.size as i64, pk],
        )?;
    }
    for (table, column, items) in [
        ("pipeline", "pipe_op", &record.pipeline),
        ("network", "net_op", &record.network),
        ("traces", "trace", &record.traces),
    ] {
        for item in items {
            tx.execute(&format!("INSERT INTO {table} ({column}, fk) VALUES (?1, ?2)"), params![item, pk])?;
        }
    }
    tx.execute("INSERT INTO logs (log, fk) VALUES ('', ?1)", [pk])?;
    tx.commit()?;
    Ok(pk)
}

/// The writer thread: batches of log lines, restarts, then the run's end.
fn write_loop(mut conn: Connection, mut pk: i64, receiver: &Receiver<Message>) -> rusqlite::Result<()> {
    let mut pending = String::new();
    loop {
        let Ok(first) = receiver.recv() else {
            // Every sender is gone without an end (cannot happen through the public API).
            return append_log(&mut conn, pk, &pending);
        };
        let deadline = Instant::now() + LOG_BATCH;
        let mut message = Some(first);
        while let Some(m) = message.take() {
            match m {
                Message::Log(line) => pending.push_str(&line),
                Message::Resume(earlier) => {
                    append_log(&mut conn, pk, &pending)?;
                    pending.clear();
                    pk = continue_run(&mut conn, pk, earlier)?;
                }
                Message::End(end) => {
                    append_log(&mut conn, pk, &pending)?;
                    return write_end(&mut conn, pk, &end);
                }
            }
            message = receiver.recv_deadline(deadline).ok();
        }
        append_log(&mut conn, pk, &pending)?;
        pending.clear();
    }
}

/// Make run `current` the continuation of run `earlier`; returns the id the run records under
/// from now on (`earlier`).
fn continue_run(conn: &mut Connection, current: i64, earlier: i64) -> rusqlite::Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let exists: bool = tx.query_row("SELECT count(*) FROM history WHERE pk = ?1", [earlier], |r| r.get(0))?;
    if exists {
        tx.execute("INSERT OR IGNORE INTO logs (log, fk) VALUES ('', ?1)", [earlier])?;
        tx.execute(
            "UPDATE logs SET log = log || (SELECT log FROM logs WHERE fk = ?2) WHERE fk = ?1",
            params![earlier, current],
        )?;
        tx.execute("DELETE FROM history WHERE pk = ?1", [current])?;
        // The earlier end (if it had one) is superseded by this run's.
        tx.execute("DELETE FROM metrics WHERE fk = ?1", [earlier])?;
        tx.execute("DELETE FROM errors WHERE fk = ?1", [earlier])?;
        tx.execute(
            "UPDATE history SET status = ?1, train_end = NULL, host = ?2, pid = ?3, n_restarts = n_restarts + 1 \
             WHERE pk = ?4",
            params![RunStatus::Running.as_str(), host_name(), i64::from(std::process::id()), earlier],
        )?;
    } else {
        // The earlier row is gone: this run's row (and its children) take the earlier id.
        tx.execute_batch("PRAGMA defer_foreign_keys = ON;")?;
        for table in
            ["features", "hyperparameters", "datasets", "pipeline", "network", "traces", "errors", "logs", "metrics"]
        {
            tx.execute(&format!("UPDATE {table} SET fk = ?1 WHERE fk = ?2"), params![earlier, current])?;
        }
        tx.execute("UPDATE history SET pk = ?1, n_restarts = n_restarts + 1 WHERE pk = ?2", params![earlier, current])?;
    }
    tx.commit()?;
    Ok(earlier)
}

fn append_log(conn: &mut Connection, pk: i64, text: &str) -> rusqlite::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    conn.execute("UPDATE logs SET log = log || ?1 WHERE fk = ?2", params![text, pk])?;
    Ok(())
}

/// Status, end time, error and final metrics in one transaction, then retention.
fn write_end(conn: &mut Connection, pk: i64, end: &RunEnd) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE history SET status = ?1, train_end = datetime('now', 'localtime') WHERE pk = ?2",
        params![end.status.as_str(), pk],
    )?;
    if let Some((kind, message)) = &end.error {
        tx.execute(
            "INSERT OR REPLACE INTO errors (exc_type, exc_tb, fk) VALUES (?1, ?2, ?3)",
            params![kind, message, pk],
        )?;
    }
    for (mode, key, step, value) in &end.metrics {
        tx.execute(
            "INSERT INTO metrics (mode, key, step, value, fk) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![mode, key, *step as i64, value, pk],
        )?;
    }
    tx.commit()?;
    super::retention::apply_limits(conn)
}
