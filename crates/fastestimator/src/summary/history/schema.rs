//! The history database's tables and how a connection to it is opened: WAL journal, a busy
//! timeout, foreign keys on, and a schema-version check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::{FeError, Result};

/// The schema this build writes and reads. A database whose `settings.schema_version` is higher
/// was written by a newer fastestimator-rs and is refused rather than misread.
pub const SCHEMA_VERSION: i64 = 1;

/// How long a connection waits for another process's write before giving up. Writes are short
/// (one run's rows, or a batch of log lines), so this is only reached when a process holds the
/// database far longer than any fastestimator-rs writer does.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The tables, following FE's `HistoryRecorder` (`history`, `features`, `datasets`, `pipeline`,
/// `network`, `traces`, `errors`, `logs`, `settings`), plus `hyperparameters` and the final
/// `metrics` of each run. Child rows are removed with their run (`ON DELETE CASCADE`).
const TABLES: &str = "
CREATE TABLE IF NOT EXISTS history (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT,
    experiment TEXT,
    kind TEXT,
    status TEXT,
    args TEXT,
    fe_version TEXT,
    train_start TEXT,
    train_end TEXT,
    n_gpus INTEGER,
    n_cpus INTEGER,
    n_workers INTEGER,
    n_restarts INTEGER DEFAULT 0,
    host TEXT,
    pid INTEGER
);
CREATE INDEX IF NOT EXISTS history_start ON history(train_start);
CREATE TABLE IF NOT EXISTS features (
    feature TEXT,
    fk INTEGER REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS hyperparameters (
    name TEXT,
    value TEXT,
    fk INTEGER REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS datasets (
    mode TEXT,
    ds_id TEXT,
    dataset TEXT,
    size INTEGER,
    fk INTEGER REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS pipeline (
    pipe_op TEXT,
    fk INTEGER REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS network (
    net_op TEXT,
    fk INTEGER REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS traces (
    trace TEXT,
    fk INTEGER REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS errors (
    exc_type TEXT,
    exc_tb TEXT,
    fk INTEGER PRIMARY KEY REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS logs (
    log TEXT,
    fk INTEGER PRIMARY KEY REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS metrics (
    mode TEXT,
    key TEXT,
    step INTEGER,
    value TEXT,
    fk INTEGER REFERENCES history(pk) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS settings (
    pk INTEGER PRIMARY KEY NOT NULL,
    schema_version INTEGER,
    n_keep INTEGER,
    n_keep_logs INTEGER
);
";

/// The default database: `~/fastestimator_data/history.db`, as FE's. `FE_HISTORY_DB` names
/// another file for every run of the process that does not choose one itself.
pub fn default_history_path() -> PathBuf {
    if let Some(path) = std::env::var_os("FE_HISTORY_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join("fastestimator_data").join("history.db")
}

/// A [`FeError::History`] for `path`.
pub(crate) fn history_error(path: &Path, reason: impl std::fmt::Display) -> FeError {
    FeError::History { path: path.to_path_buf(), reason: reason.to_string() }
}

/// Open (creating if needed) the database at `path` with its schema in place. Fails with
/// [`FeError::History`] when the file is not a SQLite database or has a newer schema.
pub(crate) fn connect(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("create the history folder", dir, e))?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(|e| history_error(path, e))?;
    let err = |e: rusqlite::Error| history_error(path, e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    // WAL lets readers and one writer work side by side; NORMAL sync is safe with WAL (a crash
    // can lose the last commits' durability, never the database's consistency).
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(history_error(path, format!("could not switch to WAL journal mode (got {mode})")));
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;").map_err(err)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
    // Read the version before touching anything: a newer schema is left exactly as it is.
    let has_settings: bool = tx
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'settings'", [], |r| r.get(0))
        .map_err(err)?;
    if has_settings {
        let version: Option<i64> = tx
            .query_row("SELECT schema_version FROM settings WHERE pk = 0", [], |r| r.get(0))
            .optional()
            .map_err(err)?
            .flatten();
        if let Some(version) = version.filter(|&v| v > SCHEMA_VERSION) {
            return Err(history_error(
                path,
                format!(
                    "its schema version is {version}, written by a newer fastestimator-rs; this build reads \
                     version {SCHEMA_VERSION}"
                ),
            ));
        }
    }
    tx.execute_batch(TABLES).map_err(err)?;
    tx.execute(
        "INSERT OR IGNORE INTO settings (pk, schema_version, n_keep, n_keep_logs) VALUES (0, ?1, 500, 500)",
        [SCHEMA_VERSION],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(conn)
}
