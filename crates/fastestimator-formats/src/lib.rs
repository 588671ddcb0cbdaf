//! # fastestimator-formats
//!
//! Defensive parsers for the binary file formats behind FastEstimator's dataset loaders. The
//! crate has no libtorch dependency, so fuzz targets and other tools build without it; the
//! `fastestimator` crate re-exports every module under `fastestimator::dataset::data`.
//!
//! | module | format | used by |
//! |---|---|---|
//! | [`idx`] | IDX (LeCun), plain or gzip | MNIST, Fashion-MNIST |
//! | [`cifar`] | CIFAR-10/100 binary batches | CIFAR-10, CIFAR-100 |
//! | [`pickle`] | the Python pickles of CIFAR's "python version" batches | ciFAIR-10, ciFAIR-100 |
//! | [`mat5`] | MATLAB MAT-file level 5 (v6/v7, optionally zlib-compressed) | SVHN cropped |
//! | [`libsvm`] | libsvm sparse text, plain or bzip2 | USPS |
//!
//! Every parser follows the same rules:
//!
//! - malformed input gives a typed error ([`thiserror`]), never a panic;
//! - a header can never make the parser allocate more than the input (or, for compressed input,
//!   a documented cap) holds;
//! - each `read_*_file` function names the file in its errors.

pub mod cifar;
pub mod idx;
pub mod libsvm;
pub mod mat5;
pub mod pickle;

mod limits;

pub use limits::{read_limited, MAX_DECOMPRESSED_BYTES};
