//! What the picture-drawing XAI traces share: the image key, the optional label and prediction
//! keys shown beside each row, FE's `label_mapping`, how many samples to draw, and where to
//! save the picture. [`impl_view_options!`] gives each trace the same builder methods.

use std::path::PathBuf;

use indexmap::IndexMap;
use tch::Tensor;

use super::heatmap::to_rgb;
use super::picture::row_caption;
use super::samples::{label_names, Samples};
use crate::error::Result;
use crate::op::OpIo;
use crate::summary::System;
use crate::trace::Data;

/// The samples a trace draws and how their rows are captioned.
pub(crate) struct SampleView {
    pub(crate) images: String,
    /// The keys of the maps' sources (gradients, activations, the model's input).
    pub(crate) sources: Vec<String>,
    pub(crate) labels: Option<String>,
    pub(crate) preds: Option<String>,
    pub(crate) label_mapping: IndexMap<String, i64>,
    pub(crate) save_dir: Option<PathBuf>,
    pub(crate) samples: Samples,
}

impl SampleView {
    /// A view of the first 5 samples (FE's default) of `images`, the maps drawn from `sources`.
    pub(crate) fn new(images: &str, sources: &[&str]) -> SampleView {
        SampleView {
            images: images.to_string(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            labels: None,
            preds: None,
            label_mapping: IndexMap::new(),
            save_dir: None,
            samples: Samples::new(Some(5)),
        }
    }

    /// Every key read, in FE's order: images, sources, labels, preds (no repeats).
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        let all = std::iter::once(&self.images).chain(&self.sources).chain(&self.labels).chain(&self.preds);
        for key in all {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        keys
    }

    /// Bring `io.inputs` up to date after a setter changed a key.
    pub(crate) fn sync(&self, io: &mut OpIo) {
        io.inputs = self.keys();
    }

    /// Keep this batch's samples (until enough are kept).
    pub(crate) fn collect(&mut self, data: &Data, system: &System, trace: &str) -> Result<()> {
        let keys = self.keys();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.samples.add(data, &keys, trace, system)
    }

    /// The kept images as RGB in [0, 1], or `None` if the epoch gave no samples.
    pub(crate) fn rgb(&self, trace: &str) -> Result<Option<Tensor>> {
        self.samples.get(&self.images).map(|images| to_rgb(&images, &self.images, trace)).transpose()
    }

    /// The kept samples under `key`.
    pub(crate) fn get(&self, key: &str) -> Option<Tensor> {
        self.samples.get(key)
    }

    /// The class ids under the labels key, if one was given.
    pub(crate) fn label_tensor(&self) -> Option<Tensor> {
        self.labels.as_deref().and_then(|k| self.samples.get(k))
    }

    /// One caption per kept sample: its label and prediction, named through `label_mapping`.
    pub(crate) fn rows(&self, preds_override: Option<&Tensor>) -> Vec<String> {
        let names = |t: Option<Tensor>| t.map(|t| label_names(&t, &self.label_mapping));
        let labels = names(self.label_tensor());
        let preds = match preds_override {
            Some(p) => Some(label_names(p, &self.label_mapping)),
            None => names(self.preds.as_deref().and_then(|k| self.samples.get(k))),
        };
        (0..self.samples.len())
            .map(|i| row_caption(labels.as_ref().and_then(|l| l.get(i)), preds.as_ref().and_then(|p| p.get(i))))
            .collect()
    }
}

/// Builder methods every picture-drawing XAI trace has (its struct holds `io: OpIo` and
/// `view: SampleView`): `label_mapping`, `outputs`, `save_dir`; with `keys`, also `labels`,
/// `preds` and `n_samples` (the CAM traces; Saliency names these after FE's own parameters).
macro_rules! impl_view_options {
    ($t:ty, keys) => {
        $crate::trace::xai::view::impl_view_options!($t);
        impl $t {
            /// Show the true labels under this key beside each row (FE's `labels`).
            pub fn labels(mut self, key: &str) -> Self {
                self.view.labels = Some(key.to_string());
                self.view.sync(&mut self.io);
                self
            }

            /// Show the predictions under this key beside each row (FE's `preds`); score rows are
            /// arg-maxed.
            pub fn preds(mut self, key: &str) -> Self {
                self.view.preds = Some(key.to_string());
                self.view.sync(&mut self.io);
                self
            }

            /// How many samples to draw each epoch (FE's `n_samples`; default 5; `None`: every
            /// sample of the epoch).
            pub fn n_samples(mut self, n: Option<usize>) -> Self {
                if n == Some(0) {
                    self.io.reject("n_samples", "needs at least 1 sample (or None for all)");
                }
                self.view.samples = $crate::trace::xai::samples::Samples::new(n);
                self
            }
        }
    };
    ($t:ty) => {
        impl $t {
            /// Name the classes in captions: `(name, class id)` pairs (FE's `label_mapping`).
            pub fn label_mapping<S: Into<String>>(mut self, mapping: impl IntoIterator<Item = (S, i64)>) -> Self {
                self.view.label_mapping = mapping.into_iter().map(|(k, v)| (k.into(), v)).collect();
                self
            }

            /// The key the picture is written under.
            pub fn outputs(mut self, key: &str) -> Self {
                self.io.outputs = vec![key.to_string()];
                self
            }

            /// Also save each epoch's picture as `<save_dir>/<outputs>_<mode>_epoch_<n>.png`.
            pub fn save_dir(mut self, dir: impl AsRef<std::path::Path>) -> Self {
                self.view.save_dir = Some(dir.as_ref().to_path_buf());
                self
            }
        }
    };
}
pub(crate) use impl_view_options;

/// The [`crate::trace::Trace`] events every picture-drawing XAI trace shares: create `save_dir`
/// at bind, forget the samples at each epoch begin, keep the first samples of each batch, and at
/// the epoch end publish what the trace's own `picture()` draws (`Ok(None)`: nothing to draw).
macro_rules! impl_view_trace {
    ($t:ty, $name:literal) => {
        impl $crate::trace::Trace for $t {
            fn name(&self) -> String {
                $name.into()
            }

            fn writes_files(&self) -> bool {
                true
            }

            fn bind(&mut self, _network: &$crate::network::Network) -> $crate::error::Result<()> {
                $crate::trace::xai::picture::prepare_dir($name, self.view.save_dir.as_deref())
            }

            fn on_epoch_begin(
                &mut self,
                _data: &mut $crate::trace::Data,
                _system: &mut $crate::summary::System,
            ) -> $crate::error::Result<()> {
                self.view.samples.clear();
                Ok(())
            }

            fn on_batch_end(
                &mut self,
                data: &mut $crate::trace::Data,
                system: &mut $crate::summary::System,
            ) -> $crate::error::Result<()> {
                self.view.collect(data, system, $name)
            }

            fn on_epoch_end(
                &mut self,
                data: &mut $crate::trace::Data,
                system: &mut $crate::summary::System,
            ) -> $crate::error::Result<()> {
                match self.picture()? {
                    Some(picture) => picture.publish(data, system, self.view.save_dir.as_deref()),
                    None => Ok(()),
                }
            }
        }
    };
}
pub(crate) use impl_view_trace;
