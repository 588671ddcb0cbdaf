//! Interpretation (FE's `fe.xai`): which inputs drive a model's prediction.
//!
//! [`SaliencyNet`] computes FE's three saliency masks for any [`crate::Model`] with one input:
//! vanilla gradients, SmoothGrad and integrated gradients.

mod saliency_net;

pub use saliency_net::SaliencyNet;
