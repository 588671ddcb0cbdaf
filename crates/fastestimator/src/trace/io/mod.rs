//! IO traces (FE's `fe.trace.io`): saving models, logs, images and checkpoints.

mod best_model_saver;
mod csv_logger;
mod image_saver;
mod model_saver;
mod restore_wizard;
mod tensorboard;

pub use crate::trace::report::Traceability;
pub use best_model_saver::BestModelSaver;
pub use csv_logger::CSVLogger;
pub use image_saver::{encode_image_png, save_png, ImageSaver};
pub use model_saver::ModelSaver;
pub use restore_wizard::RestoreWizard;
pub use tensorboard::{EventWriter, Frequency, HParamValue, Histogram, TensorBoard};
// FE keeps TestReport with the IO traces; it lives with the other reports.
pub use crate::trace::report::{TestCase, TestReport};
