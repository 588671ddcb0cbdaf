//! `ModelSaver`: save a model every few epochs.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::error::{FeError, Result};
use crate::network::{Model, Network};
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{from_state, to_state, Data, Trace};

/// Save `model` to `<save_dir>/<model>_epoch_<n>.safetensors` every `frequency` training
/// epochs, keeping only the newest `max_to_keep` files when set (FE's `ModelSaver`).
pub struct ModelSaver {
    io: OpIo,
    model: Model,
    save_dir: PathBuf,
    frequency: usize,
    max_to_keep: Option<usize>,
    saved: VecDeque<PathBuf>,
}
impl_has_io!(ModelSaver);

impl ModelSaver {
    /// Save every epoch, keep all files.
    pub fn new(model: &Model, save_dir: impl AsRef<Path>) -> Self {
        ModelSaver {
            io: OpIo::new((), ()).with_default_mode("train"),
            model: model.clone(),
            save_dir: save_dir.as_ref().to_path_buf(),
            frequency: 1,
            max_to_keep: None,
            saved: VecDeque::new(),
        }
    }
    /// Save every `n` (≥ 1) epochs.
    pub fn frequency(mut self, n: usize) -> Self {
        self.frequency = n;
        self
    }
    /// Keep only the newest `n` (≥ 1) files.
    pub fn max_to_keep(mut self, n: usize) -> Self {
        self.max_to_keep = Some(n);
        self
    }
}

impl Trace for ModelSaver {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "ModelSaver".into()
    }

    fn bind(&mut self, _network: &Network) -> Result<()> {
        if self.frequency == 0 {
            return Err(FeError::param("ModelSaver", "frequency", "must be at least 1"));
        }
        if self.max_to_keep == Some(0) {
            return Err(FeError::param("ModelSaver", "max_to_keep", "must be at least 1 (or unset to keep all)"));
        }
        std::fs::create_dir_all(&self.save_dir)
            .map_err(|e| FeError::io("ModelSaver: cannot create save_dir", &self.save_dir, e))?;
        tempfile::tempfile_in(&self.save_dir)
            .map_err(|e| FeError::io("ModelSaver: cannot write into save_dir", &self.save_dir, e))?;
        Ok(())
    }

    fn on_epoch_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if !system.epoch_idx.is_multiple_of(self.frequency) {
            return Ok(());
        }
        let path = self.save_dir.join(format!("{}_epoch_{}.safetensors", self.model.name(), system.epoch_idx));
        self.model.save_weights(&path)?;
        crate::output::log(&format!("FastEstimator-ModelSaver: Saved model to {}", path.display()));
        self.saved.push_back(path);
        if let Some(keep) = self.max_to_keep {
            while self.saved.len() > keep {
                if let Some(old) = self.saved.pop_front() {
                    if old.exists() {
                        std::fs::remove_file(&old).map_err(|e| FeError::io("cannot remove", &old, e))?;
                        crate::output::log(&format!(
                            "FastEstimator-ModelSaver: Removed model {} due to file number exceeding max_to_keep",
                            old.display()
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn state(&self) -> serde_json::Value {
        to_state(&self.saved)
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        self.saved = from_state("ModelSaver", state)?;
        Ok(())
    }
}
