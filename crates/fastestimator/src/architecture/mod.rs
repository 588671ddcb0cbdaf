//! Ready-made models (FE's `fe.architecture.pytorch`), and PyTorch's default initialisation for
//! tch layers ([`torch_init`]).

mod lenet;
pub mod torch_init;

pub use lenet::LeNet;
