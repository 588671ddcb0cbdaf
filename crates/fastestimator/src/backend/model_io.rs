//! Saving and loading model weights as safetensors, atomically.

use std::path::{Path, PathBuf};

use crate::error::{FeError, Result};
use crate::network::Model;

/// Save a model's weights to `<save_dir>/<name>.safetensors` (`name` defaults to the model's
/// name). The file is written to a temporary name in the same folder and renamed into place, so
/// a crash never leaves a half-written file. Returns the path written.
pub fn save_model(model: &Model, save_dir: &Path, name: Option<&str>) -> Result<PathBuf> {
    let file = format!("{}.safetensors", name.unwrap_or(&model.name()));
    let path = save_dir.join(file);
    model.save_weights(&path)?;
    Ok(path)
}

/// Load weights saved by [`save_model`] into `model`.
pub fn load_model(model: &Model, path: &Path) -> Result<()> {
    if !path.exists() {
        return Err(FeError::io(
            "cannot read",
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    model.load_weights(path)
}
