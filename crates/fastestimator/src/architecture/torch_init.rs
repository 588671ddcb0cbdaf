//! PyTorch's default parameter initialisation for tch layers.
//!
//! FE's models are PyTorch modules, so their layers start from PyTorch's defaults: weights
//! `kaiming_uniform_(a = √5)`, which is U(−1/√fan_in, 1/√fan_in), and biases U(−1/√fan_in,
//! 1/√fan_in). tch's defaults differ (weights kaiming-uniform with the ReLU gain, √6 times wider;
//! conv biases zero), and the difference shows: FE's tabular DNN (4 layers, sigmoid output)
//! starts saturated with tch's defaults and reaches 0.91 test accuracy in 10 epochs instead of
//! FE's 0.965. The built-in architectures and the examples use these helpers.
//!
//! ```
//! use fastestimator::architecture::torch_init;
//! use tch::nn;
//! let vs = nn::VarStore::new(tch::Device::Cpu);
//! let fc = torch_init::linear(&(vs.root() / "fc"), 30, 32);
//! let bound = 1.0 / 30f64.sqrt();
//! assert!(fc.ws.abs().max().double_value(&[]) <= bound);
//! ```

use tch::nn;
use tch::nn::init::{FanInOut, NonLinearity, NormalOrUniform};

/// PyTorch's default weight initialisation: kaiming-uniform with gain √(2 / (1 + 5)) = 1/√3,
/// i.e. U(−1/√fan_in, 1/√fan_in).
pub const WEIGHT_INIT: nn::Init = nn::Init::Kaiming {
    dist: NormalOrUniform::Uniform,
    fan: FanInOut::FanIn,
    non_linearity: NonLinearity::ExplicitGain(0.577_350_269_189_625_8),
};

/// PyTorch's default bias initialisation for a layer with `fan_in` inputs per output.
pub fn bias_init(fan_in: i64) -> nn::Init {
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    nn::Init::Uniform { lo: -bound, up: bound }
}

/// `torch.nn.Linear(in_dim, out_dim)` as tch builds it, with PyTorch's initialisation.
pub fn linear<'a>(vs: impl std::borrow::Borrow<nn::Path<'a>>, in_dim: i64, out_dim: i64) -> nn::Linear {
    let config = nn::LinearConfig { ws_init: WEIGHT_INIT, bs_init: Some(bias_init(in_dim)), bias: true };
    nn::linear(vs, in_dim, out_dim, config)
}

/// `config` with PyTorch's weight and bias initialisation for a convolution of `fan_in` inputs
/// per output.
fn pytorch_conv_config(config: nn::ConvConfig, fan_in: i64) -> nn::ConvConfig {
    nn::ConvConfig { ws_init: WEIGHT_INIT, bs_init: bias_init(fan_in), ..config }
}

/// `torch.nn.Conv2d(in_channels, out_channels, kernel_size, ...)` with PyTorch's
/// initialisation; stride, padding, groups and the rest come from `config`.
pub fn conv2d<'a>(
    vs: impl std::borrow::Borrow<nn::Path<'a>>,
    in_channels: i64,
    out_channels: i64,
    kernel_size: i64,
    config: nn::ConvConfig,
) -> nn::Conv2D {
    let fan_in = in_channels / config.groups.max(1) * kernel_size * kernel_size;
    nn::conv2d(vs, in_channels, out_channels, kernel_size, pytorch_conv_config(config, fan_in))
}

/// `torch.nn.Conv1d(in_channels, out_channels, kernel_size, ...)` with PyTorch's
/// initialisation; stride, padding, groups and the rest come from `config`.
pub fn conv1d<'a>(
    vs: impl std::borrow::Borrow<nn::Path<'a>>,
    in_channels: i64,
    out_channels: i64,
    kernel_size: i64,
    config: nn::ConvConfig,
) -> nn::Conv1D {
    let fan_in = in_channels / config.groups.max(1) * kernel_size;
    nn::conv1d(vs, in_channels, out_channels, kernel_size, pytorch_conv_config(config, fan_in))
}

/// `torch.nn.Embedding(num_embeddings, embedding_dim)` with PyTorch's initialisation: weights
/// drawn from N(0, 1) (tch's own default is the same; this names it).
pub fn embedding<'a>(
    vs: impl std::borrow::Borrow<nn::Path<'a>>,
    num_embeddings: i64,
    embedding_dim: i64,
) -> nn::Embedding {
    let config = nn::EmbeddingConfig { ws_init: nn::Init::Randn { mean: 0.0, stdev: 1.0 }, ..Default::default() };
    nn::embedding(vs, num_embeddings, embedding_dim, config)
}

/// The configuration of a one-layer, one-direction `torch.nn.LSTM(input_size, hidden_size,
/// batch_first=batch_first)` with PyTorch's initialisation: every weight and bias drawn from
/// U(−1/√hidden_size, 1/√hidden_size). Its parameters are named as PyTorch names them
/// (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`).
pub fn lstm_config(hidden_size: i64, batch_first: bool) -> nn::RNNConfig {
    let init = bias_init(hidden_size);
    nn::RNNConfig {
        batch_first,
        w_ih_init: init,
        w_hh_init: init,
        b_ih_init: Some(init),
        b_hh_init: Some(init),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_follow_pytorch() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let conv = conv2d(&(vs.root() / "c"), 3, 64, 3, Default::default());
        let bound = 1.0 / 27f64.sqrt();
        let w_max = conv.ws.abs().max().double_value(&[]);
        // 1 728 uniform draws reach close to the bound and never past it.
        assert!(w_max <= bound && w_max > 0.9 * bound, "{w_max} vs {bound}");
        let b = conv.bs.as_ref().unwrap();
        assert!(b.abs().max().double_value(&[]) <= bound);
        assert!(b.abs().sum(tch::Kind::Float).double_value(&[]) > 0.0, "biases are not zero, as in PyTorch");
        let fc = linear(&(vs.root() / "fc"), 100, 50);
        let w_max = fc.ws.abs().max().double_value(&[]);
        assert!(w_max <= 0.1 && w_max > 0.09, "{w_max}");
    }
}
