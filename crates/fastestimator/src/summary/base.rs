//! [`Summary`]: every logged value of a run, by mode, key and step.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::LogValue;
use crate::util::Mode;

/// The history of a run (FE's `Summary`): `history[mode][key][step] = value`.
///
/// `fit()` and `test()` return one. Eval and test values are recorded at the global step of the
/// last training step, as FE does.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// The experiment name.
    pub name: String,
    /// mode → key → step → value.
    pub history: BTreeMap<Mode, IndexMap<String, BTreeMap<u64, LogValue>>>,
    /// Time `fit()` spent in its epochs.
    #[serde(skip)]
    pub train_time: std::time::Duration,
    /// Time the training loop waited for the pipeline to deliver a batch.
    #[serde(skip)]
    pub data_wait: std::time::Duration,
    /// Training steps taken.
    pub train_steps: u64,
    /// Where the training steps' time went: ops, optimizer steps, traces.
    #[serde(skip)]
    pub step_profile: crate::network::StepProfile,
}

impl Summary {
    /// An empty summary.
    pub fn new(name: impl Into<String>) -> Self {
        Summary { name: name.into(), ..Default::default() }
    }

    /// Record a value.
    pub fn record(&mut self, mode: Mode, key: &str, step: u64, value: LogValue) {
        self.history.entry(mode).or_default().entry(key.to_string()).or_default().insert(step, value);
    }

    /// The values of `key` in `mode`, by step.
    pub fn get(&self, mode: Mode, key: &str) -> Option<&BTreeMap<u64, LogValue>> {
        self.history.get(&mode)?.get(key)
    }

    /// The last recorded value of `key` in `mode`, as a number.
    pub fn last(&self, mode: Mode, key: &str) -> Option<f64> {
        self.get(mode, key)?.values().next_back()?.as_f64()
    }

    /// Merge another summary's history into this one.
    pub fn merge(&mut self, other: &Summary) {
        for (mode, keys) in &other.history {
            for (key, steps) in keys {
                for (step, v) in steps {
                    self.record(*mode, key, *step, v.clone());
                }
            }
        }
    }
}
