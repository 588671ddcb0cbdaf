//! Saving and loading models (weights, and optimizer state when asked) as safetensors, atomically.

use std::path::{Path, PathBuf};

use super::Model;
use crate::error::{FeError, Result};

/// The optimizer file that goes with a weights file: `<stem>_opt.safetensors`.
pub fn optimizer_path(weights: &Path) -> PathBuf {
    let stem = weights.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    weights.with_file_name(format!("{stem}_opt.safetensors"))
}

/// Save a model's weights to `<save_dir>/<name>.safetensors` (`name` defaults to the model's
/// name), and with `save_optimizer` its optimizer state to `<name>_opt.safetensors`. Files are
/// written to a temporary name in the same folder and renamed into place, so a crash never
/// leaves a half-written file. Returns the weights path.
pub fn save_model(model: &Model, save_dir: &Path, name: Option<&str>, save_optimizer: bool) -> Result<PathBuf> {
    let file = format!("{}.safetensors", name.unwrap_or(&model.name()));
    let path = save_dir.join(file);
    model.save_weights(&path)?;
    if save_optimizer {
        model.save_optimizer(&optimizer_path(&path))?;
    }
    Ok(path)
}

/// Load weights saved by [`save_model`] into `model`, and with `load_optimizer` the optimizer
/// state saved beside them.
///
/// A load either succeeds completely or changes nothing: names, shapes and dtypes are checked
/// against the model before any weight is written (see [`Model::load_weights`]), and if the
/// optimizer state then fails to load, the weights are put back as they were.
pub fn load_model(model: &Model, path: &Path, load_optimizer: bool) -> Result<()> {
    if !path.exists() {
        return Err(FeError::io("cannot read", path, std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    if !load_optimizer {
        return model.load_weights(path);
    }
    let opt_path = optimizer_path(path);
    if !opt_path.exists() {
        return Err(FeError::io("cannot read", opt_path, std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    let before = model.snapshot();
    model.load_weights(path)?;
    if let Err(e) = model.load_optimizer(&opt_path) {
        model.restore_snapshot(&before)?;
        return Err(e);
    }
    Ok(())
}

/// Backpropagate `loss` into `model` and take one optimizer step (FE's `update_model`).
pub fn update_model(model: &Model, loss: &tch::Tensor) -> Result<()> {
    model.update(loss)
}

/// The learning rate of a model's optimizer (`None` for a model without one).
pub fn get_lr(model: &Model) -> Option<f64> {
    model.lr()
}

/// Set the learning rate of a model's optimizer.
pub fn set_lr(model: &Model, lr: f64) -> Result<()> {
    model.set_lr(lr)
}
