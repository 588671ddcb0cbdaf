//! Interpretation traces (FE's `fe.trace.xai`): pictures of what drives a model's predictions,
//! drawn from the batch data each epoch, and how a metric evolves per label and per instance.
//!
//! - [`Saliency`]: gradient saliency maps (vanilla, SmoothGrad, integrated gradients) of a model.
//! - [`GradCAM`]: Grad-CAM maps from a convolution layer's gradients (and activations).
//! - [`EigenCAM`]: principal-component maps of a convolution layer's activations.
//! - [`LabelTracker`]: a per-instance metric's mean and spread per label, epoch by epoch.
//! - [`InstanceTracker`]: a per-instance metric of chosen samples (by default the hardest and
//!   easiest ones), epoch by epoch.
//!
//! The map traces draw a picture (a row per sample: the input and its heat-map overlays), write
//! it under their output key for later traces (an `ImageSaver` saves it as PNG), add it to the
//! run's figures (which the Traceability report shows) and save it to their `save_dir` when
//! given. The trackers draw their plots at the end of the run, into the figures and `save_dir`.

mod eigen_cam;
mod grad_cam;
mod heatmap;
mod instance_tracker;
mod label_tracker;
mod picture;
mod plot;
mod saliency;
pub(crate) mod samples;
mod view;

pub use eigen_cam::EigenCAM;
pub use grad_cam::GradCAM;
pub use instance_tracker::{InstancePoint, InstanceTracker};
pub use label_tracker::{Bounds, LabelPoint, LabelTracker};
pub use saliency::Saliency;
