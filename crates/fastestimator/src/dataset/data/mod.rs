//! Ready-made datasets (FE's `fe.dataset.data`): real MNIST from its IDX files, and generated
//! digits that need no download.

pub use fastestimator_formats::idx;
pub mod mnist;
pub mod synthetic_digits;
