//! Saving and loading models (weights, and optimizer state when asked) as safetensors, atomically.

use std::path::{Path, PathBuf};

use crate::error::{FeError, Result};
use crate::network::Model;

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
pub fn load_model(model: &Model, path: &Path, load_optimizer: bool) -> Result<()> {
    if !path.exists() {
        return Err(FeError::io("cannot read", path, std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    model.load_weights(path)?;
    if load_optimizer {
        model.load_optimizer(&optimizer_path(path))?;
    }
    Ok(())
}
