//! Ready-made models (FE's `fe.architecture.pytorch`).

mod lenet;

pub use lenet::LeNet;
