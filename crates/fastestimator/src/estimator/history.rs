//! Recording `fit()` and `test()` into the experiment history (`fe::summary::history`).
//!
//! A run's row is written before planning, so a run that fails on a missing key is recorded as
//! failed with its error. The run's log lines reach the history through an output tap while
//! they still print as usual. If the database cannot be used, the run goes on without history
//! and a warning is printed once per database file and process.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use tch::Device;

use super::base::HistoryTarget;
use super::Estimator;
use crate::error::{FeError, Result};
use crate::output::{self, Channel};
use crate::summary::history::{default_history_path, DatasetRecord, HistoryRecorder, RunRecord, RunStatus};
use crate::summary::Summary;
use crate::util::Mode;

/// Database files that already warned in this process.
static WARNED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

impl Estimator {
    /// Run `run` (the body of `fit` or `test`) recorded into the history.
    pub(super) fn recorded(&mut self, mode: Mode, run: impl FnOnce(&mut Self) -> Result<Summary>) -> Result<Summary> {
        let path = match &self.history {
            HistoryTarget::Off => return self.named(run),
            HistoryTarget::Default => default_history_path(),
            HistoryTarget::Path(path) => path.clone(),
        };
        let record = self.run_record(mode);
        let recorder = match HistoryRecorder::start(&path, &record) {
            Ok(recorder) => recorder,
            Err(e) => {
                warn_once(path, &e);
                return self.named(run);
            }
        };
        self.history_run = recorder.handle();
        let result = output::with_tap(recorder.log_tap(), || self.named(run));
        self.history_run = None;
        let (status, error) = match &result {
            Ok(_) => (RunStatus::Completed, None),
            Err(e) => (RunStatus::Failed, Some((error_kind(e), e.to_string()))),
        };
        if let Err(e) = recorder.finish(status, error, result.as_ref().ok()) {
            warn_once(path, &e);
        }
        result
    }

    /// Run `run` and give its summary the experiment name, when there is one.
    fn named(&mut self, run: impl FnOnce(&mut Self) -> Result<Summary>) -> Result<Summary> {
        let mut summary = run(self)?;
        if let Some(name) = &self.experiment_name {
            summary.name = name.clone();
        }
        Ok(summary)
    }

    /// What the history records about a run in `mode`.
    fn run_record(&mut self, mode: Mode) -> RunRecord {
        let mut features = Vec::new();
        if crate::runtime::deterministic_seed().is_some() {
            features.push("Deterministic".to_string());
        }
        if self.network.models().iter().any(|m| m.mixed_precision()) {
            features.push("MixedPrecision".to_string());
        }
        let datasets = self
            .pipeline
            .datasets_at(self.epoch_idx.max(1))
            .into_iter()
            .map(|(mode, ds_id, ds)| DatasetRecord {
                mode: mode.to_string(),
                ds_id,
                dataset: ds.type_name(),
                size: ds.len(),
            })
            .collect();
        let file = std::env::args()
            .next()
            .map(|a| PathBuf::from(&a).file_name().map_or_else(|| a.clone(), |f| f.to_string_lossy().into_owned()))
            .unwrap_or_default();
        // A run inside a hyperparameter search's trial is recorded under the search's name,
        // with the trial's parameters (those the user did not record under the same name).
        let trial = crate::runtime::current_search_trial();
        let mut hyperparameters = self.hyperparameters.clone();
        if let Some(trial) = &trial {
            let extra = trial.params.iter().cloned().chain([("search_idx".to_string(), trial.search_idx.into())]);
            for (name, value) in extra {
                if !hyperparameters.iter().any(|(n, _)| *n == name) {
                    hyperparameters.push((name, value));
                }
            }
        }
        RunRecord {
            file,
            experiment: self.experiment_name.clone().or_else(|| trial.map(|t| t.search)),
            kind: if mode == Mode::Test { "test" } else { "fit" }.to_string(),
            args: std::env::args().skip(1).collect(),
            hyperparameters,
            features,
            datasets,
            pipeline: self.pipeline.op_names(),
            network: self.network.op_names(),
            traces: self.trace_names(mode),
            n_gpus: usize::from(matches!(self.network.device(), Device::Cuda(_))),
            n_cpus: num_cpus::get(),
            n_workers: self.pipeline.num_process(),
        }
    }
}

/// The error's variant name (`MissingKey`, `Torch`, ...): the history's `exc_type`.
fn error_kind(e: &FeError) -> String {
    let debug = format!("{e:?}");
    debug.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("FeError").to_string()
}

fn warn_once(path: PathBuf, e: &FeError) {
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if warned.get_or_insert_with(HashSet::new).insert(path) {
        output::emit(
            Channel::Notice,
            &format!("FastEstimator-Warn: training continues without experiment history: {e}"),
        );
    }
}
