//! Ready-made models (FE's `fe.architecture.pytorch`), and PyTorch's default initialisation for
//! tch layers ([`torch_init`]).
//!
//! Each model is FE's PyTorch module: the same layers, the same state-dict names and shapes (a
//! checkpoint moves between the two, see [`crate::backend::save_model`] and
//! [`crate::backend::load_model`]), FE's defaults, FE's initialisation and FE's outputs.

mod attention_unet;
mod language_model;
mod layers;
mod lenet;
mod resnet9;
mod review_sentiment;
pub mod torch_init;
mod unet;
mod wideresnet;

pub use attention_unet::AttentionUNet;
pub use language_model::LanguageModel;
pub use lenet::LeNet;
pub use resnet9::ResNet9;
pub use review_sentiment::ReviewSentiment;
pub use unet::UNet;
pub use wideresnet::WideResidualNetwork;
