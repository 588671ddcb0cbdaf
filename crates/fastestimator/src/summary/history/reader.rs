//! [`HistoryReader`]: what `fastestimator history` shows, as tables.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};

use super::liveness::mark_unfinished;
use super::retention::{keep_newest, read_settings, update_settings, HistorySettings};
use super::schema::{connect, default_history_path, history_error};
use crate::error::Result;

/// What [`HistoryReader::runs`] includes besides each run's main columns (FE's `read_basic`
/// flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// The newest this many runs.
    pub limit: usize,
    /// The command-line arguments.
    pub args: bool,
    /// Only runs that did not complete, with their error.
    pub errors: bool,
    /// The features in use.
    pub features: bool,
    /// The hyperparameters.
    pub hyperparameters: bool,
    /// The datasets.
    pub datasets: bool,
    /// The pipeline ops.
    pub pipeline: bool,
    /// The network ops.
    pub network: bool,
    /// The traces.
    pub traces: bool,
    /// The final metrics.
    pub metrics: bool,
}

impl Default for HistoryQuery {
    /// The newest 15 runs, main columns only.
    fn default() -> Self {
        HistoryQuery {
            limit: 15,
            args: false,
            errors: false,
            features: false,
            hyperparameters: false,
            datasets: false,
            pipeline: false,
            network: false,
            traces: false,
            metrics: false,
        }
    }
}

/// Rows of text under named columns: the answer to a history query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryTable {
    /// The column names.
    pub columns: Vec<String>,
    /// The rows; NULL is an empty string.
    pub rows: Vec<Vec<String>>,
}

impl HistoryTable {
    /// The values of the column `name`, if there is one.
    pub fn column(&self, name: &str) -> Option<Vec<&str>> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| r[i].as_str()).collect())
    }
}

/// Reads (and tidies) the experiment history (FE's `HistoryReader`, `delete`,
/// `update_settings`).
///
/// ```no_run
/// use fastestimator::summary::history::{HistoryQuery, HistoryReader};
/// let reader = HistoryReader::open_default().unwrap();
/// let table = reader.runs(&HistoryQuery { metrics: true, ..Default::default() }).unwrap();
/// for row in &table.rows {
///     println!("{}", row.join(" | "));
/// }
/// ```
pub struct HistoryReader {
    conn: Connection,
    path: PathBuf,
}

/// One `GROUP_CONCAT` column joined in by [`HistoryReader::runs`]: (flag, column name,
/// expression, table).
const JOINS: [(&str, &str, &str); 7] = [
    ("features", "feature", "features"),
    ("hyperparameters", "name || '=' || value", "hyperparameters"),
    (
        "datasets",
        "dataset || ' (' || mode || CASE WHEN ds_id <> '' THEN ':' || ds_id ELSE '' END || ', ' || size || ')'",
        "datasets",
    ),
    ("pipeline", "pipe_op", "pipeline"),
    ("network", "net_op", "network"),
    ("traces", "trace", "traces"),
    ("metrics", "mode || ' ' || key || ': ' || value", "metrics"),
];

impl HistoryReader {
    /// Open the database at `path`. Runs of this host whose process is gone are marked
    /// `Unfinished` first.
    pub fn open(path: impl AsRef<Path>) -> Result<HistoryReader> {
        let path = path.as_ref().to_path_buf();
        let conn = connect(&path)?;
        mark_unfinished(&conn).map_err(|e| history_error(&path, e))?;
        Ok(HistoryReader { conn, path })
    }

    /// Open the default database (`~/fastestimator_data/history.db`, or `FE_HISTORY_DB`).
    pub fn open_default() -> Result<HistoryReader> {
        Self::open(default_history_path())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The newest runs, newest first, with the columns `query` asks for. `pk` is always the
    /// first column (it names a run for [`HistoryReader::log`] and [`HistoryReader::error`]).
    pub fn runs(&self, query: &HistoryQuery) -> Result<HistoryTable> {
        let mut select = String::from(
            "SELECT h.pk, h.file, h.experiment, h.kind, h.status, h.train_start, h.train_end, h.n_gpus, h.n_cpus, \
             h.n_workers, h.n_restarts",
        );
        let mut joins = String::new();
        if query.args {
            select.push_str(", h.args");
        }
        if query.errors {
            select.push_str(", e.exc_type AS error, e.exc_tb AS message");
            joins.push_str(" LEFT JOIN errors e ON e.fk = h.pk");
        }
        let wanted = [
            query.features,
            query.hyperparameters,
            query.datasets,
            query.pipeline,
            query.network,
            query.traces,
            query.metrics,
        ];
        for ((name, expr, table), on) in JOINS.iter().zip(wanted) {
            if on {
                select.push_str(&format!(", j_{name}.v AS {name}"));
                joins.push_str(&format!(
                    " LEFT JOIN (SELECT fk, GROUP_CONCAT({expr}, ', ') AS v FROM {table} GROUP BY fk) j_{name} \
                     ON j_{name}.fk = h.pk"
                ));
            }
        }
        let filter = if query.errors { " WHERE h.status <> 'Completed'" } else { "" };
        let sql = format!("{select} FROM history h{joins}{filter} ORDER BY h.pk DESC LIMIT {}", query.limit);
        self.sql(&sql)
    }

    /// Run any SQL statement and return what it selects (FE's `history sql`).
    pub fn sql(&self, query: &str) -> Result<HistoryTable> {
        let err = |e: rusqlite::Error| history_error(&self.path, format!("{e} (query: {query})"));
        let mut stmt = self.conn.prepare(query).map_err(err)?;
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let n = columns.len();
        let rows = stmt
            .query_map([], |row| (0..n).map(|i| row.get_ref(i).map(value_text)).collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        Ok(HistoryTable { columns, rows })
    }

    /// The captured log of run `pk`, if it is still kept.
    pub fn log(&self, pk: i64) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT log FROM logs WHERE fk = ?1", [pk], |r| r.get(0))
            .optional()
            .map_err(|e| history_error(&self.path, e))
    }

    /// The error that ended run `pk` (its type and message), if it failed.
    pub fn error(&self, pk: i64) -> Result<Option<(String, String)>> {
        self.conn
            .query_row("SELECT exc_type, exc_tb FROM errors WHERE fk = ?1", [pk], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| history_error(&self.path, e))
    }

    /// Keep only the newest `n_keep` runs (FE's `history clear`); returns how many were deleted.
    pub fn delete(&self, n_keep: u64) -> Result<usize> {
        let err = |e: rusqlite::Error| history_error(&self.path, e);
        let deleted = keep_newest(&self.conn, n_keep).map_err(err)?;
        self.conn.execute_batch("VACUUM;").map_err(err)?;
        Ok(deleted)
    }

    /// The retention settings.
    pub fn settings(&self) -> Result<HistorySettings> {
        read_settings(&self.conn).map_err(|e| history_error(&self.path, e))
    }

    /// Change the retention settings (FE's `history settings --keep N --keep_logs N`); they
    /// apply when the next run ends. `n_keep_logs` is capped at `n_keep`.
    pub fn update_settings(&self, n_keep: Option<u64>, n_keep_logs: Option<u64>) -> Result<HistorySettings> {
        update_settings(&self.conn, n_keep, n_keep_logs).map_err(|e| history_error(&self.path, e))
    }
}

/// A cell as text: NULL is empty, a blob shows its size.
fn value_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(x) => x.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
    }
}
