//! LeNet as FE defines it.

use tch::{nn, Tensor};

use super::layers::{fe_model, Kept};
use super::torch_init;

/// FE's LeNet: conv32-pool-conv64-pool-conv64-fc64-fc(classes), softmax output (probabilities).
/// Input is channels-first, `[batch, C, H, W]`, with H, W ≥ 18.
#[derive(Debug)]
pub struct LeNet {
    conv1: nn::Conv2D,
    conv2: nn::Conv2D,
    conv3: nn::Conv2D,
    fc1: nn::Linear,
    fc2: nn::Linear,
    input_shape: [i64; 3],
}

impl LeNet {
    /// A LeNet for `input_shape = [C, H, W]` and `classes` outputs.
    ///
    /// # Panics
    /// If H or W is below 18 (the convolutions would shrink the image to nothing). Inside
    /// [`crate::build`] that panic is returned as [`crate::FeError::Model`].
    pub fn new(vs: &nn::Path, input_shape: [i64; 3], classes: i64) -> LeNet {
        let [c, h, w] = input_shape;
        assert!(h >= 18 && w >= 18, "LeNet needs H, W >= 18, got {h}x{w}");
        let flat = |d: i64| ((d - 2) / 2 - 2) / 2 - 2;
        LeNet {
            conv1: torch_init::conv2d(vs / "conv1", c, 32, 3, Default::default()),
            conv2: torch_init::conv2d(vs / "conv2", 32, 64, 3, Default::default()),
            conv3: torch_init::conv2d(vs / "conv3", 64, 64, 3, Default::default()),
            fc1: torch_init::linear(vs / "fc1", flat(h) * flat(w) * 64, 64),
            fc2: torch_init::linear(vs / "fc2", 64, classes),
            input_shape,
        }
    }
}

impl LeNet {
    const LAYERS: [&'static str; 4] = ["conv1", "conv2", "conv3", "fc1"];

    /// The forward pass, noting the (post-activation) outputs of the named layers.
    fn run(&self, xs: &Tensor, _train: bool, kept: &mut Kept) -> Tensor {
        let x = xs.apply(&self.conv1).relu();
        kept.note("conv1", &x);
        let x = x.max_pool2d_default(2).apply(&self.conv2).relu();
        kept.note("conv2", &x);
        let x = x.max_pool2d_default(2).apply(&self.conv3).relu();
        kept.note("conv3", &x);
        let x = x.flatten(1, -1).apply(&self.fc1).relu();
        kept.note("fc1", &x);
        x.apply(&self.fc2).softmax(-1, tch::Kind::Float)
    }
}

fe_model!(LeNet, "LeNet", input_shape);
