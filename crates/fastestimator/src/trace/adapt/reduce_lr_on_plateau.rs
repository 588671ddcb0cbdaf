//! `ReduceLROnPlateau`: lower the learning rate when a metric stalls.

use serde::{Deserialize, Serialize};

use crate::error::{FeError, Result};
use crate::network::{Model, Network};
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

/// Multiply `model`'s learning rate by `factor` (down to `min_lr`) when `metric` (default: the
/// model's loss) has not improved for `patience` epochs (FE's `ReduceLROnPlateau`, defaults
/// patience 10, factor 0.1, min_lr 1e-6). Logs `<model>_lr`.
pub struct ReduceLROnPlateau {
    io: OpIo,
    model: Model,
    patience: usize,
    factor: f64,
    compare: BestMode,
    min_lr: f64,
    state: State,
}
impl_has_io!(ReduceLROnPlateau);

impl ReduceLROnPlateau {
    /// Watch the model's loss in eval mode.
    pub fn new(model: &Model) -> Self {
        let lr_key = format!("{}_lr", model.name());
        ReduceLROnPlateau {
            io: OpIo::new((), lr_key).with_default_mode("eval"),
            model: model.clone(),
            patience: 10,
            factor: 0.1,
            compare: BestMode::Min,
            min_lr: 1e-6,
            state: State { best: f64::INFINITY, wait: 0 },
        }
    }
    /// Watch `metric` instead of the loss.
    pub fn metric(mut self, metric: &str) -> Self {
        self.io.inputs = vec![metric.to_string()];
        self
    }
    /// Epochs without improvement before a reduction.
    pub fn patience(mut self, p: usize) -> Self {
        self.patience = p;
        self
    }
    /// The reduction factor (0 < factor < 1).
    pub fn factor(mut self, f: f64) -> Self {
        self.factor = f;
        self
    }
    /// Whether larger or smaller is better.
    pub fn compare(mut self, c: BestMode) -> Self {
        self.compare = c;
        self.state.best = c.worst();
        self
    }
    /// The lowest learning rate.
    pub fn min_lr(mut self, lr: f64) -> Self {
        self.min_lr = lr;
        self
    }
    /// Set the best value and wait counter (as a resumed run would).
    pub fn set_progress(&mut self, best: f64, wait: usize) {
        self.state = State { best, wait };
    }
    /// The best value so far and the epochs since.
    pub fn progress(&self) -> (f64, usize) {
        (self.state.best, self.state.wait)
    }
}

impl Trace for ReduceLROnPlateau {
    fn name(&self) -> String {
        "ReduceLROnPlateau".into()
    }

    fn bind(&mut self, network: &Network) -> Result<()> {
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(FeError::param("ReduceLROnPlateau", "factor", format!("{} must be in (0, 1)", self.factor)));
        }
        if self.io.inputs.is_empty() {
            let loss = network.loss_keys_for(&self.model).into_iter().next().ok_or_else(|| {
                FeError::param(
                    "ReduceLROnPlateau",
                    "metric",
                    format!("model {} has no loss; give a metric", self.model.name()),
                )
            })?;
            self.io.inputs = vec![loss];
        }
        if !self.model.has_optimizer() {
            return Err(FeError::param(
                "ReduceLROnPlateau",
                "model",
                format!("model {} has no optimizer", self.model.name()),
            ));
        }
        Ok(())
    }

    fn monitor_names(&self) -> Vec<String> {
        self.io.inputs.clone()
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let metric = self.io.inputs.first().cloned().unwrap_or_default();
        let current = monitored_value("ReduceLROnPlateau", &metric, data, system)?;
        if self.compare.improves(current, self.state.best, 0.0) {
            self.state = State { best: current, wait: 0 };
        } else {
            self.state.wait += 1;
            if self.state.wait >= self.patience {
                let lr = self.model.lr().unwrap_or(0.0);
                let new_lr = (lr * self.factor).max(self.min_lr);
                self.model.set_lr(new_lr)?;
                self.state.wait = 0;
                crate::output::log(&format!(
                    "FastEstimator-ReduceLROnPlateau: learning rate reduced to {}",
                    LogValue::F64(new_lr)
                ));
                data.write_with_log(format!("{}_lr", self.model.name()), new_lr);
            }
        }
        Ok(())
    }

    fn state(&self) -> serde_json::Value {
        to_state(&self.state)
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        self.state = from_state("ReduceLROnPlateau", state)?;
        Ok(())
    }
}
