//! Ready-made datasets (FE's `fe.dataset.data`): loaders that parse each data set's published
//! files, download them (checksum-verified) into `~/fastestimator_data/<Name>` when missing and
//! the internet is reachable, and otherwise say which files to put where. Plus generated digits
//! that need no download.
//!
//! The binary parsers live in the `fastestimator-formats` crate and are re-exported here.

pub use fastestimator_formats::{cifar, idx, libsvm, mat5, pickle};

pub mod archive;
pub mod download;
pub mod mnist;
pub mod synthetic_digits;
