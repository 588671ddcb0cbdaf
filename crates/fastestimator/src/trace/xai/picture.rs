//! Where an XAI trace's picture goes: into the data for later traces (an `ImageSaver` saves
//! it), into the run's figures (the Traceability report shows it), and, when asked, into a PNG
//! file.

use std::path::Path;

use tch::Tensor;

use super::heatmap::{grid, png_bytes};
use crate::error::{FeError, Result};
use crate::summary::System;
use crate::trace::Data;

/// A picture of samples (rows) by views (columns: the input, then one heat-map overlay per map).
pub(crate) struct Picture {
    /// The trace drawing it (for messages).
    pub(crate) trace: &'static str,
    /// The output key it is written under.
    pub(crate) key: String,
    /// Each column `[rows, 3, H, W]`, RGB in [0, 1].
    pub(crate) columns: Vec<Tensor>,
    /// What each column shows.
    pub(crate) column_names: Vec<String>,
    /// What each row is (its label and prediction, when known).
    pub(crate) rows: Vec<String>,
}

impl Picture {
    /// Write the picture under its key as `[3, H, W]` (without log), keep it as the run's figure
    /// (one per trace key and mode, the latest epoch's), and save it to
    /// `<save_dir>/<key>_<mode>_epoch_<n>.png` when `save_dir` is given.
    pub(crate) fn publish(self, data: &mut Data, system: &mut System, save_dir: Option<&Path>) -> Result<()> {
        let picture = grid(&self.columns);
        let png = png_bytes(&picture, self.trace)?;
        let rows = if self.rows.iter().all(String::is_empty) {
            String::new()
        } else {
            format!("; rows: {}", self.rows.join(", "))
        };
        system.add_figure(
            format!("{} '{}' ({}): columns: {}{rows}", self.trace, self.key, system.mode, self.column_names.join(", ")),
            png.clone(),
        );
        if let Some(dir) = save_dir {
            let path = dir.join(format!("{}_{}_epoch_{}.png", self.key, system.mode, system.epoch_idx));
            crate::summary::logs::plot::write_atomically(&path, &png)?;
            crate::output::log(&format!("FastEstimator-{}: saved {} to {}", self.trace, self.key, path.display()));
        }
        data.write_without_log(self.key, picture);
        Ok(())
    }
}

/// Create `dir` (a trace's `save_dir`) at bind time, so an unwritable folder fails before
/// training rather than after it.
pub(crate) fn prepare_dir(trace: &str, dir: Option<&Path>) -> Result<()> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| FeError::io(format!("{trace}: cannot create save_dir"), dir, e))
        }
        None => Ok(()),
    }
}

/// A row caption from a label and a prediction, either of which may be missing.
pub(crate) fn row_caption(label: Option<&String>, pred: Option<&String>) -> String {
    match (label, pred) {
        (Some(l), Some(p)) => format!("label {l} / pred {p}"),
        (Some(l), None) => format!("label {l}"),
        (None, Some(p)) => format!("pred {p}"),
        (None, None) => String::new(),
    }
}
