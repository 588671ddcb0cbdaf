//! Loss ops (FE's `fe.op.tensorop.loss`).

mod cross_entropy;

pub use cross_entropy::{CrossEntropy, CrossEntropyForm};
