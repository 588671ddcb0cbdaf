//! Interpretation traces (FE's `fe.trace.xai`): pictures of what drives a model's predictions,
//! drawn from the batch data each epoch.
//!
//! - [`Saliency`]: gradient saliency maps (vanilla, SmoothGrad, integrated gradients) of a model.
//! - [`GradCAM`]: Grad-CAM maps from a convolution layer's gradients (and activations).
//! - [`EigenCAM`]: principal-component maps of a convolution layer's activations.
//!
//! Each draws a picture (a row per sample: the input and its heat-map overlays), writes it under
//! its output key for later traces (an `ImageSaver` saves it as PNG), adds it to the run's
//! figures (which the Traceability report shows) and saves it to its `save_dir` when given.

mod eigen_cam;
mod grad_cam;
mod heatmap;
mod picture;
mod saliency;
pub(crate) mod samples;
mod view;

pub use eigen_cam::EigenCAM;
pub use grad_cam::GradCAM;
pub use saliency::Saliency;
