//! ResNet9 as FE defines it (`fe.architecture.pytorch.ResNet9`, after davidcpage's cifar10-fast).

use tch::{nn, Tensor};

use super::layers::{batch_norm, fe_model, Kept};
use super::torch_init;

/// FE's slope for every leaky ReLU of ResNet9.
const LEAKY_SLOPE: f64 = 0.1;

/// `nn.Conv2d(cin, cout, 3, padding=1)` with PyTorch's initialisation.
fn conv3x3(vs: nn::Path, cin: i64, cout: i64) -> nn::Conv2D {
    torch_init::conv2d(vs, cin, cout, 3, nn::ConvConfig { padding: 1, ..Default::default() })
}

/// `F.leaky_relu(x, 0.1)`, as libtorch's one kernel each way.
fn leaky(x: &Tensor) -> Tensor {
    crate::backend::leaky_relu(x, LEAKY_SLOPE)
}

/// FE's two-layer residual unit (conv-bn-leaky twice; the caller adds the input).
#[derive(Debug)]
struct Residual {
    conv1: nn::Conv2D,
    conv1_bn: nn::BatchNorm,
    conv2: nn::Conv2D,
    conv2_bn: nn::BatchNorm,
}

impl Residual {
    fn new(vs: nn::Path, channels: i64) -> Residual {
        Residual {
            conv1: conv3x3(&vs / "conv1", channels, channels),
            conv1_bn: batch_norm(&vs / "conv1_bn", channels, 0.1),
            conv2: conv3x3(&vs / "conv2", channels, channels),
            conv2_bn: batch_norm(&vs / "conv2_bn", channels, 0.1),
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = leaky(&x.apply(&self.conv1).apply_t(&self.conv1_bn, train));
        leaky(&y.apply(&self.conv2).apply_t(&self.conv2_bn, train))
    }
}

/// FE's ResNet9 for CIFAR-10: a prep layer (conv64), three stages of conv → max-pool → BN →
/// leaky ReLU, each followed by a residual unit (128, 256, 512 channels), global max pooling,
/// one linear layer, softmax output (probabilities).
///
/// The layers, their names and shapes are FE's PyTorch module's, so a state dict moves between
/// the two: `conv0`, `conv0_bn`, `conv1`, `conv1_bn`, `residual1.conv1`, ..., `fc1`. The stage
/// BatchNorms use FE's momentum 0.2, the residual units PyTorch's default 0.1; every activation is
/// a leaky ReLU with slope 0.1. Input is channels-first, `[batch, C, H, W]`, with H, W ≥ 16.
///
/// ```
/// use fastestimator as fe;
/// use fe::architecture::ResNet9;
/// let model = fe::build(|p| ResNet9::new(p, [3, 32, 32], 10), "adam").unwrap();
/// assert_eq!(model.num_parameters(), 7_756_554);
/// ```
#[derive(Debug)]
pub struct ResNet9 {
    conv0: nn::Conv2D,
    conv0_bn: nn::BatchNorm,
    conv1: nn::Conv2D,
    conv1_bn: nn::BatchNorm,
    residual1: Residual,
    conv2: nn::Conv2D,
    conv2_bn: nn::BatchNorm,
    residual2: Residual,
    conv3: nn::Conv2D,
    conv3_bn: nn::BatchNorm,
    residual3: Residual,
    fc1: nn::Linear,
    input_shape: [i64; 3],
}

impl ResNet9 {
    /// The named layers whose outputs [`crate::model::FeModel::forward_with_layers`] can return (each stage's
    /// output after its residual unit, and the pooled features).
    const LAYERS: [&'static str; 5] = ["conv0", "layer1", "layer2", "layer3", "pool"];

    /// A ResNet9 for `input_shape = [C, H, W]` and `classes` outputs.
    ///
    /// # Panics
    /// If H or W is below 16 (FE's check). Inside [`crate::build`] that panic is returned as
    /// [`crate::FeError::Model`].
    pub fn new(vs: &nn::Path, input_shape: [i64; 3], classes: i64) -> ResNet9 {
        let [c, h, w] = input_shape;
        assert!(h >= 16 && w >= 16, "ResNet9 needs height and width of at least 16, got {h}x{w}");
        ResNet9 {
            conv0: conv3x3(vs / "conv0", c, 64),
            conv0_bn: batch_norm(vs / "conv0_bn", 64, 0.2),
            conv1: conv3x3(vs / "conv1", 64, 128),
            conv1_bn: batch_norm(vs / "conv1_bn", 128, 0.2),
            residual1: Residual::new(vs / "residual1", 128),
            conv2: conv3x3(vs / "conv2", 128, 256),
            conv2_bn: batch_norm(vs / "conv2_bn", 256, 0.2),
            residual2: Residual::new(vs / "residual2", 256),
            conv3: conv3x3(vs / "conv3", 256, 512),
            conv3_bn: batch_norm(vs / "conv3_bn", 512, 0.2),
            residual3: Residual::new(vs / "residual3", 512),
            fc1: torch_init::linear(vs / "fc1", 512, classes),
            input_shape,
        }
    }

    /// The forward pass, noting the named layers in `kept`.
    fn run(&self, xs: &Tensor, train: bool, kept: &mut Kept) -> Tensor {
        let x = leaky(&xs.apply(&self.conv0).apply_t(&self.conv0_bn, train));
        kept.note("conv0", &x);
        let stage = |x: &Tensor, conv: &nn::Conv2D, bn: &nn::BatchNorm, residual: &Residual| {
            let y = leaky(&x.apply(conv).max_pool2d_default(2).apply_t(bn, train));
            let r = residual.forward_t(&y, train);
            y + r
        };
        let x = stage(&x, &self.conv1, &self.conv1_bn, &self.residual1);
        kept.note("layer1", &x);
        let x = stage(&x, &self.conv2, &self.conv2_bn, &self.residual2);
        kept.note("layer2", &x);
        let x = stage(&x, &self.conv3, &self.conv3_bn, &self.residual3);
        kept.note("layer3", &x);
        let x = x.adaptive_max_pool2d([1, 1]).0.flatten(1, -1);
        kept.note("pool", &x);
        x.apply(&self.fc1).softmax(-1, tch::Kind::Float)
    }
}

fe_model!(ResNet9, "ResNet9", input_shape);
