//! `BestModelSaver`: keep the weights of the best epoch.

use std::path::{Path, PathBuf};

use crate::error::{FeError, Result};
use crate::network::{Model, Network};
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{monitored_value, Data, Trace};
use crate::util::json_f64::MaybeF64;
use crate::util::BestMode;

/// Saves `model` to `<save_dir>/<model>_best_<metric>.safetensors` whenever the eval metric
/// improves, printing `FastEstimator-BestModelSaver: Saved model to <path>`. It logs
/// `since_best_<metric>` and `<min|max>_<metric>`. The metric defaults to the model's loss key.
/// Files are written atomically. With `load_best_final`, the best weights are loaded at the end.
/// As in FE, a NaN metric never counts as an improvement.
pub struct BestModelSaver {
    io: OpIo,
    model: Model,
    save_dir: PathBuf,
    metric: Option<String>,
    mode: BestMode,
    load_best_final: bool,
    best: Option<f64>,
    since_best: i64,
    saved_path: Option<PathBuf>,
}
impl_has_io!(BestModelSaver);

impl BestModelSaver {
    /// Save `model` into `save_dir` (created if needed), tracking the model's loss (min).
    pub fn new(model: &Model, save_dir: impl AsRef<Path>) -> Self {
        BestModelSaver {
            io: OpIo::new((), ()).with_default_mode("eval"),
            model: model.clone(),
            save_dir: save_dir.as_ref().to_path_buf(),
            metric: None,
            mode: BestMode::Min,
            load_best_final: false,
            best: None,
            since_best: 0,
            saved_path: None,
        }
        .with_metric(None)
    }

    /// Track `metric` instead of the loss.
    pub fn metric(self, metric: &str) -> Self {
        self.with_metric(Some(metric.to_string()))
    }

    /// Whether larger (`Max`) or smaller (`Min`, default) is better.
    pub fn save_best_mode(mut self, mode: BestMode) -> Self {
        self.mode = mode;
        let metric = self.metric.clone();
        self.with_metric(metric)
    }

    /// Load the best weights back into the model at the end of training.
    pub fn load_best_final(mut self, load: bool) -> Self {
        self.load_best_final = load;
        self
    }

    /// The file the best weights go to.
    pub fn path(&self) -> PathBuf {
        let metric = self.metric.as_deref().unwrap_or("loss");
        self.save_dir.join(format!("{}_best_{metric}.safetensors", self.model.name()))
    }

    /// The best value seen so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    fn with_metric(mut self, metric: Option<String>) -> Self {
        self.set_metric(metric);
        self
    }

    fn set_metric(&mut self, metric: Option<String>) {
        self.metric = metric;
        if let Some(m) = &self.metric {
            self.io.inputs = vec![m.clone()];
            self.io.outputs = vec![format!("since_best_{m}"), format!("{}_{m}", self.mode.as_str())];
        }
    }

    fn check_writable(&self) -> Result<()> {
        std::fs::create_dir_all(&self.save_dir)
            .map_err(|e| FeError::io("BestModelSaver: cannot create save_dir", &self.save_dir, e))?;
        tempfile::tempfile_in(&self.save_dir)
            .map_err(|e| FeError::io("BestModelSaver: cannot write into save_dir", &self.save_dir, e))?;
        Ok(())
    }
}

impl Trace for BestModelSaver {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "BestModelSaver".into()
    }

    fn bind(&mut self, network: &Network) -> Result<()> {
        if self.metric.is_none() {
            let loss = network.loss_keys_for(&self.model).into_iter().next().ok_or_else(|| {
                FeError::param(
                    "BestModelSaver",
                    "metric",
                    format!("model {} has no loss; give a metric", self.model.name()),
                )
            })?;
            self.set_metric(Some(loss));
        }
        self.check_writable()
    }

    fn monitor_names(&self) -> Vec<String> {
        self.metric.iter().cloned().collect()
    }

    fn on_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.best = None;
        self.since_best = 0;
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let metric = self.metric.clone().unwrap_or_else(|| "loss".into());
        let current = monitored_value("BestModelSaver", &metric, data, system)?;
        let improved = match (self.best, self.mode) {
            // As FE's, whose best starts at the worst value: a NaN never improves on it.
            (None, _) => !current.is_nan(),
            (Some(b), mode) => mode.improves(current, b, 0.0),
        };
        if improved {
            self.best = Some(current);
            self.since_best = 0;
            let path = self.path();
            self.model.save_weights(&path)?;
            crate::output::log(&format!("FastEstimator-BestModelSaver: Saved model to {}", path.display()));
            self.saved_path = Some(path);
        } else {
            self.since_best += 1;
        }
        data.write_with_log(format!("since_best_{metric}"), self.since_best);
        data.write_with_log(format!("{}_{metric}", self.mode.as_str()), self.best.unwrap_or(current));
        Ok(())
    }

    fn state(&self) -> serde_json::Value {
        crate::trace::to_state(&(MaybeF64(self.best), self.since_best, &self.saved_path))
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        let best: MaybeF64;
        (best, self.since_best, self.saved_path) = crate::trace::from_state("BestModelSaver", state)?;
        self.best = best.0;
        Ok(())
    }

    fn on_end(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        if self.load_best_final {
            if let Some(path) = &self.saved_path {
                self.model.load_weights(path)?;
                crate::output::log(&format!("FastEstimator-BestModelSaver: Restoring model from {}", path.display()));
            }
        }
        Ok(())
    }
}
