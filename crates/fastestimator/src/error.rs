//! The library's one error type.
//!
//! Every fallible public function returns [`Result`]. Variants carry the key, op, file, shape
//! or epoch at fault as fields, so a message can say exactly what went wrong and where.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in fastestimator-rs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeError {
    /// A key (input/output name) breaks FE's naming rules.
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey {
        /// The offending key.
        key: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A dataset id breaks FE's naming rules.
    #[error("invalid ds_id {ds_id:?}: {reason}")]
    InvalidDsId {
        /// The offending ds_id.
        ds_id: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A mode specification is malformed.
    #[error("invalid mode {mode:?}: {reason}")]
    InvalidMode {
        /// The offending mode string.
        mode: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A constructor parameter is out of range or inconsistent.
    #[error("{component}: invalid parameter `{param}`: {reason}")]
    InvalidParameter {
        /// The op, trace or object being built.
        component: String,
        /// The parameter name.
        param: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A key needed by an op or trace is not produced by anything upstream.
    #[error("{consumer} needs key {key:?}, which nothing produces (mode {mode}, epoch {epoch}{ds}){hint}",
        ds = if ds_id.is_empty() { String::new() } else { format!(", ds_id {ds_id}") },
        hint = match closest { Some(c) => format!("; did you mean {c:?}?"), None => String::new() })]
    MissingKey {
        /// The op or trace that needs the key.
        consumer: String,
        /// The missing key.
        key: String,
        /// The mode being planned or run.
        mode: String,
        /// The epoch being planned or run.
        epoch: usize,
        /// The dataset id ("" for a single dataset).
        ds_id: String,
        /// The closest existing key name, if any.
        closest: Option<String>,
    },
    /// Two values that must have the same shape do not.
    #[error("{op}: {left_key:?} has shape {left_shape:?} but {right_key:?} has shape {right_shape:?}")]
    ShapeMismatch {
        /// The op, trace or function that compared them.
        op: String,
        /// The key (or role, such as `prediction`) of the first value.
        left_key: String,
        /// The first value's shape.
        left_shape: Vec<i64>,
        /// The key (or role) of the second value.
        right_key: String,
        /// The second value's shape.
        right_shape: Vec<i64>,
    },
    /// A value's shape is not one an op or trace accepts.
    #[error("{op}: {key:?} must be {expected}, got shape {got:?}")]
    UnexpectedShape {
        /// The op, trace or function that checked it.
        op: String,
        /// The key (or role) holding the value.
        key: String,
        /// The shapes accepted, e.g. `[batch, boxes, 6]` or `rank 3 or more`.
        expected: String,
        /// The shape found.
        got: Vec<i64>,
    },
    /// A value's element type (dtype) is not one an op or trace accepts.
    #[error("{op}: {key:?} must be {expected}, got dtype {got}")]
    UnexpectedDType {
        /// The op, trace or function that checked it.
        op: String,
        /// The key (or role) holding the value.
        key: String,
        /// The dtypes accepted, e.g. `uint8 or float` or `int64 (the dtype of sample 0)`.
        expected: String,
        /// The dtype found, as [`crate::DType`] or `tch::Kind` prints it.
        got: String,
    },
    /// Two counts that must agree do not: values for output keys, labels for predictions,
    /// samples per column.
    #[error("{context}: expected {expected} {what}, got {got}")]
    LengthMismatch {
        /// The op, trace or dataset that counted.
        context: String,
        /// What was counted, e.g. `predictions in "y_pred" (one per label in "y")`.
        what: String,
        /// The count required.
        expected: usize,
        /// The count found.
        got: usize,
    },
    /// An index past the end of a dataset.
    #[error("{dataset}: index {index} is out of range for {len} items")]
    IndexOutOfRange {
        /// The dataset indexed.
        dataset: String,
        /// The index asked for.
        index: usize,
        /// How many items the dataset has.
        len: usize,
    },
    /// A value lies outside what an op or trace accepts (probabilities outside [0, 1], masks
    /// outside [0, 1], an unknown positive label, text that is not a number, ...). Wrong shapes,
    /// dtypes and counts have their own variants: [`FeError::UnexpectedShape`],
    /// [`FeError::UnexpectedDType`], [`FeError::ShapeMismatch`], [`FeError::LengthMismatch`].
    #[error("{consumer}: {key:?}: {reason}")]
    InvalidValue {
        /// The op or trace that checked the value.
        consumer: String,
        /// The key holding the value.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A trace monitors a metric that nothing wrote in the epoch.
    #[error(
        "{trace}: {metric:?} was not written this epoch ({mode} epoch {epoch}); the metrics written were {written:?}"
    )]
    MissingMetric {
        /// The trace that monitors it.
        trace: String,
        /// The metric it monitors.
        metric: String,
        /// The mode being run.
        mode: String,
        /// The epoch being run.
        epoch: usize,
        /// The metrics that were written.
        written: Vec<String>,
    },
    /// A value the gradient of which was asked for does not record gradients.
    #[error("{op}: {key:?} {reason}")]
    NoGradient {
        /// The op that needs the gradient.
        op: String,
        /// The key whose value has no gradient path.
        key: String,
        /// Why there is none.
        reason: String,
    },
    /// A saved run (RestoreWizard) does not fit the run that tries to resume from it.
    #[error("the save in {} was made with {what} {saved:?}, but this run has {current:?}", dir.display())]
    RestoreMismatch {
        /// The save folder.
        dir: PathBuf,
        /// What differs: `models` or `traces`.
        what: String,
        /// What the save holds.
        saved: Vec<String>,
        /// What this run has.
        current: Vec<String>,
    },
    /// A saved state (a trace's, an optimizer's) cannot be read back.
    #[error("{owner} state: {reason}")]
    State {
        /// Whose state it is.
        owner: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The pipeline cannot build an epoch: the ops drop too many samples, or a grouped
    /// dataset's items do not fit its members.
    #[error("Pipeline (mode {mode}, epoch {epoch}{ds}): {reason}", ds = if ds_id.is_empty() { String::new() } else { format!(", ds_id {ds_id:?}") })]
    Epoch {
        /// The mode being run.
        mode: String,
        /// The epoch being run.
        epoch: usize,
        /// The dataset id ("" for a single dataset).
        ds_id: String,
        /// What went wrong.
        reason: String,
    },
    /// A dataset's contents cannot give what was asked (a one-shot trial from a class with one
    /// file, datasets with different keys combined ...).
    #[error("{dataset}: {reason}")]
    Dataset {
        /// The dataset.
        dataset: String,
        /// What it lacks.
        reason: String,
    },
    /// The pipeline has no data for a requested mode or ds_id.
    #[error("Pipeline has no data for mode '{mode}'{ds}", ds = if ds_id.is_empty() { String::new() } else { format!(" and ds_id '{ds_id}'") })]
    NoData {
        /// The requested mode.
        mode: String,
        /// The requested ds_id, if any.
        ds_id: String,
    },
    /// An optimizer name that fe::build does not know.
    #[error("unknown optimizer {name:?}; known names are: {known}")]
    UnknownOptimizer {
        /// The name given.
        name: String,
        /// The names that are accepted.
        known: String,
    },
    /// A model failed inside libtorch (bad input shape, dtype, device...).
    #[error("model {model}: {reason}")]
    Model {
        /// The model name.
        model: String,
        /// What libtorch or the shape check said.
        reason: String,
    },
    /// A tensor operation failed inside libtorch.
    #[error("torch error in {context}: {reason}")]
    Torch {
        /// What was being done.
        context: String,
        /// What libtorch said: its message without the C++ backtrace that follows it (kept out
        /// of the error chain too, so no error printer shows it).
        reason: String,
    },
    /// A TensorOp failed inside libtorch (a shape, dtype or device its inputs cannot take). The
    /// Network runs every op under a guard that turns libtorch's failure into this error.
    #[error("{op} failed on {} (mode {mode}, epoch {epoch}): {reason}", describe_inputs(inputs))]
    TensorOp {
        /// The op's name.
        op: String,
        /// The op's input keys with the shapes they had.
        inputs: Vec<(String, Vec<i64>)>,
        /// The mode being run.
        mode: String,
        /// The epoch being run.
        epoch: usize,
        /// What libtorch said (its first line, without the C++ backtrace).
        reason: String,
    },
    /// A class label lies outside the classes a loss or metric was given.
    #[error("{op}: key {key:?} holds the label {value}, outside the {classes} classes [0, {classes})")]
    LabelOutOfRange {
        /// The op or trace that checked the labels.
        op: String,
        /// The key holding the labels.
        key: String,
        /// The first label found out of range.
        value: i64,
        /// The number of classes (the size of the prediction's class axis).
        classes: i64,
    },
    /// Weights to load do not fit the model; nothing was changed.
    #[error("cannot load {} into model {model}: {}; the model was left unchanged", path.display(), describe_weight_mismatch(missing, unexpected, misshaped))]
    WeightsMismatch {
        /// The model being loaded.
        model: String,
        /// The weights file.
        path: PathBuf,
        /// Variables of the model that the file lacks.
        missing: Vec<String>,
        /// Tensors in the file that the model has no variable for.
        unexpected: Vec<String>,
        /// Tensors whose shape or dtype differs: name, what the model has, what the file has.
        misshaped: Vec<(String, String, String)>,
    },
    /// A dataset given to the Pipeline holds no samples.
    #[error("the {mode} dataset{ds} is empty: it holds no samples", ds = if ds_id.is_empty() { String::new() } else { format!(" with ds_id {ds_id:?}") })]
    EmptyDataset {
        /// The mode the dataset serves.
        mode: String,
        /// Its ds_id ("" for a single dataset).
        ds_id: String,
    },
    /// A loss or metric became NaN or infinite.
    #[error("{key} became {value} at epoch {epoch}, step {step}")]
    NonFinite {
        /// The key holding the value.
        key: String,
        /// The value (NaN or inf).
        value: f64,
        /// The epoch.
        epoch: usize,
        /// The global step.
        step: u64,
    },
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being attempted ("cannot write", "cannot read" ...).
        action: String,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A data file is malformed.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A data file parses but holds the wrong element type, shape, sample count or value.
    #[error("{path}: {what}: expected {expected}, got {got}")]
    InvalidData {
        /// The file.
        path: PathBuf,
        /// What was checked: `images`, `labels`, `label count`, `label at index 7` ...
        what: String,
        /// What the loader needs, e.g. `[n, 28, 28] u8`.
        expected: String,
        /// What the file holds, e.g. `[3, 27, 28] u8`.
        got: String,
    },
    /// An IDX file is malformed (the error names the file).
    #[error(transparent)]
    Idx(#[from] fastestimator_formats::idx::IdxError),
    /// A CIFAR binary batch is malformed (the error names the file).
    #[error(transparent)]
    Cifar(#[from] fastestimator_formats::cifar::CifarError),
    /// A CIFAR python batch (pickle) is malformed (the error names the file).
    #[error(transparent)]
    Pickle(#[from] fastestimator_formats::pickle::PickleError),
    /// A MAT-file is malformed (the error names the file).
    #[error(transparent)]
    Mat(#[from] fastestimator_formats::mat5::MatError),
    /// A libsvm file is malformed (the error names the file).
    #[error(transparent)]
    Libsvm(#[from] fastestimator_formats::libsvm::LibsvmError),
    /// A CSV file is malformed or a value does not fit its column's type.
    #[error("{}{}: {reason}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The one-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// A dataset loader's files are missing (and downloading was disabled or failed).
    #[error("{}", missing_message(dataset, dir, files, cause.as_deref()))]
    MissingData {
        /// The dataset (FE's loader name).
        dataset: String,
        /// The folder the files belong in.
        dir: PathBuf,
        /// Each missing file and where to get it.
        files: Vec<MissingFile>,
        /// Why downloading did not help, if it was tried.
        cause: Option<String>,
    },
    /// A downloaded file does not have its published checksum; it was not kept.
    #[error("checksum mismatch for {url}: expected md5 {expected}, got {actual}; the download was discarded")]
    Checksum {
        /// Where the file came from.
        url: String,
        /// The published MD5 (hex).
        expected: String,
        /// The MD5 of what arrived (hex).
        actual: String,
    },
    /// A pipeline worker thread failed.
    #[error("pipeline worker failed: {0}")]
    Worker(String),
    /// A user callback (LambdaOp, generator, model function) returned an error.
    #[error("{context}: {reason}")]
    User {
        /// Which callback.
        context: String,
        /// Its message.
        reason: String,
    },
    /// A hyperparameter search has no result yet, so it has no best result.
    #[error("search {search:?}: no search summary yet, so best parameters are not available")]
    EmptySearch {
        /// The search's name.
        search: String,
    },
    /// A search's results hold several fields and no `optimize_field` says which one decides
    /// the best (FE: "Multiple keys exist in result dictionary and optimize_field is None").
    #[error("search {search:?}: multiple keys exist in the results ({}) and optimize_field is None", fields.join(", "))]
    AmbiguousSearchField {
        /// The search's name.
        search: String,
        /// The fields the results hold.
        fields: Vec<String>,
    },
    /// The `optimize_field` of a search is missing from a trial's results.
    #[error("search {search:?}: the optimize_field {field:?} is not in the results of trial {search_idx}; they hold {}", available.join(", "))]
    UnknownSearchField {
        /// The search's name.
        search: String,
        /// The field asked for.
        field: String,
        /// The trial lacking it.
        search_idx: usize,
        /// The fields that trial's results hold.
        available: Vec<String>,
    },
    /// Evaluating one point of a hyperparameter search failed: the evaluation function returned
    /// an error, or the worker process evaluating it crashed. The results of other points are
    /// kept (and saved, when the search saves).
    #[error("search {search:?}: evaluating {params} (search_idx {search_idx}) failed: {reason}")]
    SearchTrial {
        /// The search's name.
        search: String,
        /// The trial's index.
        search_idx: usize,
        /// The point, as FE prints parameters (`{'lr': 0.01, 'batch_size': 32}`).
        params: String,
        /// What went wrong.
        reason: String,
    },
    /// A distributed-training environment variable (`RANK`, `WORLD_SIZE`, ...) that a launcher
    /// set is missing, not a number, or inconsistent with the others.
    #[error("distributed environment: {var}={value:?}: {reason}")]
    DistributedEnv {
        /// The variable.
        var: String,
        /// Its value ("" when unset).
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A process started by `fe::distributed::Launcher` could not start or exited with a
    /// failure; the launcher stopped the other ranks.
    #[error("rank {rank} ({command}) {status}; the other ranks were stopped")]
    RankFailed {
        /// The failing process's global rank.
        rank: usize,
        /// The program it ran.
        command: String,
        /// How it ended (`exited with status 3`, `was killed by signal 9`, `could not start: ...`).
        status: String,
    },
    /// A collective operation of distributed training (all-reduce, broadcast, the process
    /// group's set-up) failed on this rank. When another rank stopped answering, `lost_ranks`
    /// names it.
    #[error("distributed {op} on rank {rank} of {world_size} failed{}: {reason}", lost_suffix(lost_ranks))]
    Collective {
        /// What was being done (`all_reduce`, `broadcast`, `connect`, ...).
        op: String,
        /// This process's global rank.
        rank: usize,
        /// The number of processes in the job.
        world_size: usize,
        /// The ranks found to be gone (no heartbeat, or the store's host unreachable).
        lost_ranks: Vec<usize>,
        /// c10d's message.
        reason: String,
    },
    /// A setting of distributed training cannot work: a batch size that does not divide over
    /// the ranks, a backend this build lacks, ...
    #[error("distributed training: {setting}: {reason}")]
    DistributedSetting {
        /// The setting at fault (`batch_size`, `backend`, ...).
        setting: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The launcher got SIGINT or SIGTERM while its ranks ran; it stopped every rank.
    #[error("launch interrupted (SIGINT or SIGTERM); every rank was stopped")]
    LaunchInterrupted,
    /// The experiment history database cannot be used: it is not a SQLite database, it was
    /// written by a newer fastestimator-rs (schema version), or a query failed.
    #[error("history database {}: {reason}", path.display())]
    History {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// ` because rank 1 was lost` / ` because ranks 1, 2 were lost`, or nothing.
fn lost_suffix(lost: &[usize]) -> String {
    match lost {
        [] => String::new(),
        [one] => format!(" because rank {one} was lost"),
        many => {
            format!(" because ranks {} were lost", many.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "))
        }
    }
}

/// libtorch's message without the C++ backtrace that follows it (`Exception raised from ...`,
/// `frame #0: ...`): the first lines say what went wrong, the rest is noise to a user.
pub(crate) fn torch_message(error: &tch::TchError) -> String {
    clean_torch_text(&error.to_string())
}

/// Strip what libtorch and tch wrap around the useful part of an error text: tch's
/// `called `Result::unwrap()` on an `Err` value: Torch("...")` envelope of a panic, and the C++
/// backtrace (newlines may be real or escaped as `\n`).
pub(crate) fn clean_torch_text(text: &str) -> String {
    let mut s = text;
    if let Some(i) = s.find("Torch(\"") {
        s = &s[i + 7..];
    }
    for marker in ["Exception raised from", "frame #0"] {
        if let Some(i) = s.find(marker) {
            s = &s[..i];
        }
    }
    let s = s.trim_end_matches("\")").trim_end_matches('"');
    let s = s.replace("\\n", "\n");
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

fn describe_inputs(inputs: &[(String, Vec<i64>)]) -> String {
    if inputs.is_empty() {
        return "no inputs".into();
    }
    inputs.iter().map(|(k, s)| format!("{k:?} {s:?}")).collect::<Vec<_>>().join(", ")
}

fn describe_weight_mismatch(
    missing: &[String],
    unexpected: &[String],
    misshaped: &[(String, String, String)],
) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing from the file: {}", missing.join(", ")));
    }
    if !unexpected.is_empty() {
        parts.push(format!("not in the model: {}", unexpected.join(", ")));
    }
    if !misshaped.is_empty() {
        let list: Vec<String> =
            misshaped.iter().map(|(n, want, got)| format!("{n} (model {want}, file {got})")).collect();
        parts.push(format!("different shape or dtype: {}", list.join(", ")));
    }
    parts.join("; ")
}

/// One missing file in [`FeError::MissingData`]: its name and where to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFile {
    /// The file name (relative to the dataset folder).
    pub name: String,
    /// Where it is published.
    pub source: String,
}

/// The message of [`FeError::MissingData`].
pub fn missing_message(dataset: &str, dir: &Path, files: &[MissingFile], cause: Option<&str>) -> String {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut msg = format!(
        "{dataset}: files missing from {}: {}.\nPlace these files in {}:",
        dir.display(),
        names.join(", "),
        dir.display()
    );
    for f in files {
        let _ = write!(msg, "\n  {}  (from {})", dir.join(&f.name).display(), f.source);
    }
    msg.push_str("\nor load on a machine with internet access, where they are downloaded automatically.");
    if let Some(cause) = cause {
        let _ = write!(msg, "\n{cause}");
    }
    msg
}

/// The library's result type.
pub type Result<T, E = FeError> = std::result::Result<T, E>;

impl FeError {
    /// Build an [`FeError::InvalidParameter`].
    pub fn param(component: impl Into<String>, param: impl Into<String>, reason: impl Into<String>) -> Self {
        FeError::InvalidParameter { component: component.into(), param: param.into(), reason: reason.into() }
    }

    /// Build an [`FeError::Io`].
    pub fn io(action: impl Into<String>, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FeError::Io { action: action.into(), path: path.into(), source }
    }

    /// Wrap a libtorch error with what was being done.
    pub fn torch(context: impl Into<String>, source: tch::TchError) -> Self {
        FeError::Torch { context: context.into(), reason: torch_message(&source) }
    }

    /// Build an [`FeError::UnexpectedShape`] from a shape of any integer type (`Tensor::size()`
    /// or an array's `shape()`).
    pub(crate) fn unexpected_shape<D: Copy + TryInto<i64>>(
        op: impl Into<String>,
        key: impl Into<String>,
        expected: impl Into<String>,
        got: &[D],
    ) -> Self {
        FeError::UnexpectedShape { op: op.into(), key: key.into(), expected: expected.into(), got: dims(got) }
    }

    /// Build an [`FeError::UnexpectedDType`].
    pub(crate) fn unexpected_dtype(
        op: impl Into<String>,
        key: impl Into<String>,
        expected: impl Into<String>,
        got: impl std::fmt::Display,
    ) -> Self {
        FeError::UnexpectedDType { op: op.into(), key: key.into(), expected: expected.into(), got: got.to_string() }
    }

    /// Build an [`FeError::InvalidValue`].
    pub(crate) fn invalid_value(
        consumer: impl Into<String>,
        key: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        FeError::InvalidValue { consumer: consumer.into(), key: key.into(), reason: reason.into() }
    }
}

/// A shape as the `Vec<i64>` the shape variants hold (an array's `usize` axes, or a tensor's).
pub(crate) fn dims<D: Copy + TryInto<i64>>(shape: &[D]) -> Vec<i64> {
    shape.iter().map(|&d| d.try_into().unwrap_or(i64::MAX)).collect()
}
