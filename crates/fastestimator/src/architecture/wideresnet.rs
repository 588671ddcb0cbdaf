//! WideResidualNetwork as FE defines it (`fe.architecture.pytorch.WideResidualNetwork`, after
//! Zagoruyko & Komodakis, "Wide Residual Networks").

use tch::{nn, Tensor};

use super::layers::{batch_norm, fe_model, Kept};
use super::torch_init;

/// A bias-free convolution with `padding = kernel / 2`, weights drawn as FE's WRN draws them:
/// `kaiming_normal_(mode='fan_out', nonlinearity='relu')`, N(0, 2 / fan_out).
fn conv(vs: nn::Path, cin: i64, cout: i64, kernel: i64, stride: i64) -> nn::Conv2D {
    let config = nn::ConvConfig {
        stride,
        padding: kernel / 2,
        bias: false,
        ws_init: nn::Init::Kaiming {
            dist: nn::init::NormalOrUniform::Normal,
            fan: nn::init::FanInOut::FanOut,
            non_linearity: nn::init::NonLinearity::ReLU,
        },
        ..Default::default()
    };
    nn::conv2d(vs, cin, cout, kernel, config)
}

/// FE's `BasicBlock`: a pre-activation residual unit, BN-ReLU-conv3x3(stride)-BN-ReLU-
/// [dropout]-conv3x3. When the channel count changes, the shortcut is a strided 1×1 convolution
/// (`convShortcut`) of the pre-activated input; otherwise it is the input itself.
#[derive(Debug)]
struct BasicBlock {
    bn1: nn::BatchNorm,
    conv1: nn::Conv2D,
    bn2: nn::BatchNorm,
    conv2: nn::Conv2D,
    shortcut: Option<nn::Conv2D>,
    dropout: f64,
}

impl BasicBlock {
    fn new(vs: nn::Path, cin: i64, cout: i64, stride: i64, dropout: f64) -> BasicBlock {
        BasicBlock {
            bn1: batch_norm(&vs / "bn1", cin, 0.1),
            conv1: conv(&vs / "conv1", cin, cout, 3, stride),
            bn2: batch_norm(&vs / "bn2", cout, 0.1),
            conv2: conv(&vs / "conv2", cout, cout, 3, 1),
            shortcut: (cin != cout).then(|| conv(&vs / "convShortcut", cin, cout, 1, stride)),
            dropout,
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let activated = x.apply_t(&self.bn1, train).relu();
        let mut out = activated.apply(&self.conv1).apply_t(&self.bn2, train).relu();
        if self.dropout > 0.0 {
            out = out.dropout(self.dropout, train);
        }
        let out = out.apply(&self.conv2);
        match &self.shortcut {
            Some(shortcut) => activated.apply(shortcut) + out,
            None => x + out,
        }
    }
}

/// FE's WideResidualNetwork for 3-channel images: a 3×3 convolution to 16 channels, three
/// groups (`block1` … `block3`) of `(depth − 4) / 6` [pre-activation residual units] each, with
/// 16·k, 32·k and 64·k channels (k the widen factor; the second and third groups halve the
/// resolution), then BN, ReLU, global average pooling and one linear layer. The output is the
/// linear layer's, **logits** (FE's PyTorch WRN applies no softmax).
///
/// The layers, their names and shapes are FE's PyTorch module's, so a state dict moves between
/// the two: `conv1`, `block1.layer.0.bn1`, `block1.layer.0.conv1`, `block1.layer.0.bn2`,
/// `block1.layer.0.conv2`, `block1.layer.0.convShortcut` (the first unit of a group whose
/// channel count changes), …, `bn1`, `fc`. The weights start as FE initialises them:
/// convolutions He-normal over fan-out, BatchNorm 1 and 0, the linear layer's weight PyTorch's
/// default and its bias zero. FE's defaults are depth 28, 10 classes, widen factor 10 and no
/// dropout: WRN-28-10, 36 479 194 parameters. Input is `[batch, 3, H, W]` of any size.
///
/// [pre-activation residual units]: https://arxiv.org/abs/1605.07146
///
/// ```
/// use fastestimator as fe;
/// use fe::architecture::WideResidualNetwork;
/// // WRN-16-2.
/// let model = fe::build(|p| WideResidualNetwork::new(p, 16, 10, 2, 0.0), "sgd").unwrap();
/// assert_eq!(model.num_parameters(), 691_674);
/// let logits = model.forward("x", &tch::Tensor::rand([2, 3, 32, 32], tch::kind::FLOAT_CPU), false).unwrap();
/// assert_eq!(logits.size(), [2, 10]);
/// ```
#[derive(Debug)]
pub struct WideResidualNetwork {
    conv1: nn::Conv2D,
    block1: Vec<BasicBlock>,
    block2: Vec<BasicBlock>,
    block3: Vec<BasicBlock>,
    bn1: nn::BatchNorm,
    fc: nn::Linear,
}

impl WideResidualNetwork {
    /// The named layers whose outputs [`crate::model::FeModel::forward_with_layers`] can return: the first
    /// convolution, each group of residual units, and the pooled features before `fc`.
    const LAYERS: [&'static str; 5] = ["conv1", "block1", "block2", "block3", "pool"];

    /// A WRN-`depth`-`widen_factor` with `classes` outputs and dropout probability `dropout`
    /// inside each residual unit (training only). FE's defaults: `depth = 28`, `classes = 10`,
    /// `widen_factor = 10`, `dropout = 0.0`.
    ///
    /// # Panics
    /// If `depth` is not 6n + 4 for some n ≥ 1 (FE asserts `(depth - 4) % 6 == 0`; a depth of 4
    /// would leave no residual units and fail in the forward pass), if `widen_factor` or
    /// `classes` is below 1, or if `dropout` is outside [0, 1). Inside [`crate::build`] that
    /// panic is returned as [`crate::FeError::Model`].
    pub fn new(vs: &nn::Path, depth: i64, classes: i64, widen_factor: i64, dropout: f64) -> WideResidualNetwork {
        assert!(
            depth >= 10 && (depth - 4) % 6 == 0,
            "WideResidualNetwork needs depth = 6n + 4 with n >= 1 (10, 16, 22, 28, ...), got {depth}"
        );
        assert!(widen_factor >= 1, "WideResidualNetwork needs widen_factor >= 1, got {widen_factor}");
        assert!(classes >= 1, "WideResidualNetwork needs classes >= 1, got {classes}");
        assert!((0.0..1.0).contains(&dropout), "WideResidualNetwork needs dropout in [0, 1), got {dropout}");
        let units = (depth - 4) / 6;
        let widths = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor];
        let group = |name: &str, cin: i64, cout: i64, stride: i64| -> Vec<BasicBlock> {
            let layer = vs / name / "layer";
            (0..units)
                .map(|i| {
                    let (cin, stride) = if i == 0 { (cin, stride) } else { (cout, 1) };
                    BasicBlock::new(&layer / i, cin, cout, stride, dropout)
                })
                .collect()
        };
        WideResidualNetwork {
            conv1: conv(vs / "conv1", 3, widths[0], 3, 1),
            block1: group("block1", widths[0], widths[1], 1),
            block2: group("block2", widths[1], widths[2], 2),
            block3: group("block3", widths[2], widths[3], 2),
            bn1: batch_norm(vs / "bn1", widths[3], 0.1),
            fc: nn::linear(
                vs / "fc",
                widths[3],
                classes,
                nn::LinearConfig { ws_init: torch_init::WEIGHT_INIT, bs_init: Some(nn::Init::Const(0.0)), bias: true },
            ),
        }
    }

    /// The forward pass, noting the named layers in `kept`.
    fn run(&self, x: &Tensor, train: bool, kept: &mut Kept) -> Tensor {
        let mut y = x.apply(&self.conv1);
        kept.note("conv1", &y);
        for (name, group) in [("block1", &self.block1), ("block2", &self.block2), ("block3", &self.block3)] {
            y = group.iter().fold(y, |y, unit| unit.forward_t(&y, train));
            kept.note(name, &y);
        }
        let pooled = y.apply_t(&self.bn1, train).relu().adaptive_avg_pool2d([1, 1]).flatten(1, -1);
        kept.note("pool", &pooled);
        pooled.apply(&self.fc)
    }
}

fe_model!(WideResidualNetwork, "WideResidualNetwork");
