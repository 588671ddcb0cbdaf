//! Checkpoints: the run's state, restored from the RestoreWizard's last save when a run starts
//! and saved through it after each epoch it asks for. The RestoreWizard is one of the user's
//! traces; the Estimator finds it by its type.

use serde::{Deserialize, Serialize};

use super::traces::find_trace;
use super::Estimator;
use crate::error::{FeError, Result};
use crate::model::Model;
use crate::summary::{Summary, System};
use crate::trace::io::RestoreWizard;
use crate::trace::Trace;

/// Everything a run needs to continue: counters, seeds, history, and each trace's state. It is
/// the save's `system.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RunState {
    /// The last complete epoch.
    pub epoch_idx: usize,
    /// The global step at the end of that epoch.
    pub global_step: u64,
    /// The pipeline's seed.
    pub pipeline_seed: u64,
    /// The network's seed.
    pub network_seed: u64,
    /// The history so far.
    pub summary: Summary,
    /// (trace name, state) in the run's trace order.
    pub traces: Vec<(String, serde_json::Value)>,
    /// Model names, in the network's order.
    pub models: Vec<String>,
    /// The experiment history's id of the run that saved it (a resumed run continues that row).
    #[serde(default)]
    pub history_run: Option<i64>,
}

impl Estimator {
    /// If a RestoreWizard has a save, load it: models, optimizers, traces, counters, seeds, history.
    ///
    /// All or nothing: when any part of the save fails to load, every model (weights and
    /// optimizer state) and every trace is put back as it was before, and the error is returned.
    pub(super) fn restore(&mut self, traces: &mut [Box<dyn Trace>], system: &mut System) -> Result<()> {
        let Some(wizard) = find_trace::<RestoreWizard>(traces) else { return Ok(()) };
        let Some((state, dir)) = wizard.read_state::<RunState>()? else { return Ok(()) };
        let models = self.network.models();
        let names: Vec<String> = models.iter().map(Model::name).collect();
        if names != state.models {
            return Err(FeError::RestoreMismatch { dir, what: "models".into(), saved: state.models, current: names });
        }
        let model_snapshots: Vec<_> = models.iter().map(Model::snapshot).collect();
        let trace_states: Vec<serde_json::Value> = traces.iter().map(|t| t.state()).collect();
        let loaded = load_saved_state(&dir, models, &state, traces);
        if let Err(e) = loaded {
            let rolled_back = models
                .iter()
                .zip(&model_snapshots)
                .try_for_each(|(m, snapshot)| m.restore_snapshot(snapshot))
                .and_then(|()| traces.iter_mut().zip(&trace_states).try_for_each(|(t, st)| t.load_state(st)));
            return Err(match rolled_back {
                Ok(()) => e,
                Err(undo) => FeError::State {
                    owner: "RestoreWizard".into(),
                    reason: format!("{e}; putting the run back as it was also failed: {undo}"),
                },
            });
        }
        self.epoch_idx = state.epoch_idx;
        self.global_step = state.global_step;
        system.epoch_idx = state.epoch_idx;
        system.global_step = state.global_step;
        system.summary = state.summary;
        self.pipeline.set_seed(state.pipeline_seed);
        self.network.set_seed(state.network_seed);
        if let (Some(earlier), Some(handle)) = (state.history_run, &self.history_run) {
            handle.resumed_from(earlier);
        }
        crate::output::log(&format!(
            "FastEstimator-RestoreWizard: Restored from {} at epoch {}, step {}",
            dir.display(),
            state.epoch_idx,
            state.global_step
        ));
        Ok(())
    }

    /// After a full epoch, let a RestoreWizard save the run if this is one of its epochs.
    pub(super) fn save_checkpoint(&self, traces: &[Box<dyn Trace>], system: &System) -> Result<()> {
        let epoch = system.epoch_idx;
        // Every rank holds the same state; rank 0 alone writes it (every rank restores it).
        if !crate::distributed::is_main_process() {
            return Ok(());
        }
        let Some(wizard) = find_trace::<RestoreWizard>(traces).filter(|w| w.should_save(epoch)) else {
            return Ok(());
        };
        let state = RunState {
            epoch_idx: epoch,
            global_step: system.global_step,
            pipeline_seed: self.pipeline.seed(),
            network_seed: self.network.seed(),
            summary: system.summary.clone(),
            traces: traces.iter().map(|t| (t.name(), t.state())).collect(),
            models: self.network.models().iter().map(|m| m.name()).collect(),
            history_run: self.history_run.as_ref().map(|h| h.run_id()),
        };
        let dir = wizard.save(&state, self.network.models())?;
        crate::output::log(&format!("FastEstimator-RestoreWizard: Saved state to {}", dir.display()));
        Ok(())
    }
}

/// Load a save's models and trace states, after checking that the save's traces are this run's.
fn load_saved_state(
    dir: &std::path::Path,
    models: &[Model],
    state: &RunState,
    traces: &mut [Box<dyn Trace>],
) -> Result<()> {
    if state.traces.len() != traces.len()
        || state.traces.iter().zip(traces.iter()).any(|((name, _), t)| *name != t.name())
    {
        return Err(FeError::RestoreMismatch {
            dir: dir.to_path_buf(),
            what: "traces".into(),
            saved: state.traces.iter().map(|(n, _)| n.clone()).collect(),
            current: traces.iter().map(|t| t.name()).collect(),
        });
    }
    RestoreWizard::load_models(dir, models)?;
    for ((_, st), t) in state.traces.iter().zip(traces.iter_mut()) {
        t.load_state(st)?;
    }
    Ok(())
}
