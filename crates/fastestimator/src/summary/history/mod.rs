//! The experiment history (FE's `fe.summary.history`): every `fit()` and `test()` is recorded
//! into a SQLite database, by default `~/fastestimator_data/history.db`.
//!
//! What is recorded follows FE's `HistoryRecorder`: the run's id, program, experiment name,
//! start, end and status; its arguments and hyperparameters; the datasets; the pipeline, network
//! and trace descriptions; the error that ended it; its captured log lines; and its final
//! metrics. `fastestimator history` reads it back.
//!
//! Several processes can train at once: the database runs in WAL mode with a busy timeout, and
//! every write is one short transaction taken with an immediate lock, so writers queue instead
//! of failing. A run killed with SIGKILL stays in the history and is shown as `Unfinished`. A
//! database that is not SQLite, or that a newer fastestimator-rs wrote, is an
//! [`FeError::History`](crate::error::FeError::History); the Estimator then trains without
//! history and says so once.

mod liveness;
mod reader;
mod record;
mod recorder;
mod retention;
mod schema;

pub use reader::{HistoryQuery, HistoryReader, HistoryTable};
pub use record::{DatasetRecord, RunRecord, RunStatus};
pub use recorder::{HistoryHandle, HistoryRecorder};
pub use retention::HistorySettings;
pub use schema::{default_history_path, SCHEMA_VERSION};
