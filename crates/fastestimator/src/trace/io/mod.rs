//! IO traces (FE's `fe.trace.io`): saving models and results.

mod best_model_saver;

pub use best_model_saver::{BestModelSaver, SaveBestMode};
