//! [`RunRecord`]: what the history stores about a run when it starts, and [`RunStatus`].

/// What the experiment history records about one `fit()` or `test()` when it starts (FE's
/// `HistoryRecorder` entry). The Estimator fills it in; a program that runs its own loop can
/// record one too with [`HistoryRecorder::start`](super::HistoryRecorder::start).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRecord {
    /// The program that ran (its file name).
    pub file: String,
    /// The experiment name, if the run has one.
    pub experiment: Option<String>,
    /// `"fit"` or `"test"`.
    pub kind: String,
    /// The program's command-line arguments.
    pub args: Vec<String>,
    /// Named hyperparameters, as JSON values.
    pub hyperparameters: Vec<(String, serde_json::Value)>,
    /// Framework features in use (`Deterministic`, `MixedPrecision`, ...).
    pub features: Vec<String>,
    /// The datasets of every mode.
    pub datasets: Vec<DatasetRecord>,
    /// The pipeline's ops, in order.
    pub pipeline: Vec<String>,
    /// The network's ops, in order.
    pub network: Vec<String>,
    /// The run's traces, in order.
    pub traces: Vec<String>,
    /// GPUs in use.
    pub n_gpus: usize,
    /// CPU cores of the machine.
    pub n_cpus: usize,
    /// Pipeline worker threads.
    pub n_workers: usize,
}

/// One dataset of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetRecord {
    /// `train`, `eval` or `test`.
    pub mode: String,
    /// The ds_id (empty for an unnamed dataset).
    pub ds_id: String,
    /// The dataset's type.
    pub dataset: String,
    /// Its number of samples (in the first epoch).
    pub size: usize,
}

/// How a run ended, as the `status` column shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Started and not yet ended, as far as the database knows.
    Running,
    /// Ended normally.
    Completed,
    /// Ended with an error (recorded in the `errors` table).
    Failed,
    /// Ended by a panic inside the run.
    Aborted,
    /// Its process is gone without the run having ended: killed (SIGKILL, power loss). Set
    /// when a later connection on the same host finds the process no longer alive.
    Unfinished,
}

impl RunStatus {
    /// The text stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "Running",
            RunStatus::Completed => "Completed",
            RunStatus::Failed => "Failed",
            RunStatus::Aborted => "Aborted",
            RunStatus::Unfinished => "Unfinished",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
