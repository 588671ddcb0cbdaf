//! Interpretation (FE's `fe.xai`): which inputs drive a model's prediction.
//!
//! [`SaliencyNet`] computes FE's three saliency masks for any [`crate::Model`] with one input:
//! vanilla gradients, SmoothGrad and integrated gradients. [`grad_cam`] and [`eigen_cam`] turn
//! a convolution layer's gradients or activations into class activation maps.

mod cam;
mod saliency_net;

pub use cam::{eigen_cam, grad_cam};
pub use saliency_net::SaliencyNet;
