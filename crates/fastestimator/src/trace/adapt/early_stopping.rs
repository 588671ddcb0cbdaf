//! `EarlyStopping`: stop when a metric stops improving.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::op::{impl_has_io, OpIo};
use crate::summary::{LogValue, System};
use crate::trace::{from_state, monitored_value, to_state, Data, Trace};
use crate::util::BestMode;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    #[serde(with = "crate::util::json_f64")]
    best: f64,
    wait: usize,
}

/// Stop training when `monitor` (default `"loss"`) has not improved by more than `min_delta`
/// for more than `patience` epochs (FE's `EarlyStopping`), printing
/// `FastEstimator-EarlyStopping: '<monitor>' triggered an early stop. Its best value was <b> at epoch <e>`.
pub struct EarlyStopping {
    io: OpIo,
    min_delta: f64,
    patience: usize,
    compare: BestMode,
    baseline: Option<f64>,
    state: State,
}
impl_has_io!(EarlyStopping);

impl EarlyStopping {
    /// Watch `monitor` in eval mode, patience 0, smaller is better.
    pub fn new(monitor: &str) -> Self {
        EarlyStopping {
            io: OpIo::new(monitor, ()).with_default_mode("eval"),
            min_delta: 0.0,
            patience: 0,
            compare: BestMode::Min,
            baseline: None,
            state: State { best: f64::INFINITY, wait: 0 },
        }
    }
    /// Minimum change that counts as an improvement.
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d.abs();
        self
    }
    /// Epochs without improvement to tolerate.
    pub fn patience(mut self, p: usize) -> Self {
        self.patience = p;
        self
    }
    /// Whether larger or smaller is better.
    pub fn compare(mut self, c: BestMode) -> Self {
        self.compare = c;
        self
    }
    /// Stop unless the metric beats this value.
    pub fn baseline(mut self, b: f64) -> Self {
        self.baseline = Some(b);
        self
    }
    /// The best value so far.
    pub fn best(&self) -> f64 {
        self.state.best
    }
    /// Epochs since the last improvement.
    pub fn wait(&self) -> usize {
        self.state.wait
    }
    /// Set the best value and wait counter (as a resumed run would).
    pub fn set_progress(&mut self, best: f64, wait: usize) {
        self.state = State { best, wait };
    }
}

impl Trace for EarlyStopping {
    fn name(&self) -> String {
        "EarlyStopping".into()
    }

    fn monitor_names(&self) -> Vec<String> {
        self.io.inputs.clone()
    }

    fn on_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.state = State { best: self.baseline.unwrap_or(self.compare.worst()), wait: 0 };
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let monitor = &self.io.inputs[0];
        let current = monitored_value("EarlyStopping", monitor, data, system)?;
        if self.compare.improves(current, self.state.best, self.min_delta) {
            self.state = State { best: current, wait: 0 };
        } else {
            self.state.wait += 1;
            if self.state.wait >= self.patience {
                system.stop_training = true;
                crate::output::log(&format!(
                    "FastEstimator-EarlyStopping: '{monitor}' triggered an early stop. Its best value was {} at epoch {}",
                    LogValue::F64(self.state.best),
                    system.epoch_idx.saturating_sub(self.state.wait)
                ));
            }
        }
        Ok(())
    }

    fn state(&self) -> serde_json::Value {
        to_state(&self.state)
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        self.state = from_state("EarlyStopping", state)?;
        Ok(())
    }
}
