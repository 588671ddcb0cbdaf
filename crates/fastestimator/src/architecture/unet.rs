//! UNet as FE defines it (`fe.architecture.pytorch.UNet`), and the encoder, decoder and output
//! blocks it shares with [`super::AttentionUNet`].

use tch::{nn, Tensor};

use super::layers::{fe_model, he_normal_conv, Kept};

/// FE's input check for both UNets: `[C, H, W]` with H and W positive multiples of 16 (four
/// 2×2 poolings must divide them evenly).
pub(super) fn check_input(model: &str, input_shape: [i64; 3]) {
    let [c, h, w] = input_shape;
    assert!(c >= 1, "{model} needs at least one input channel, got {c}");
    assert!(
        h >= 16 && h % 16 == 0 && w >= 16 && w % 16 == 0,
        "{model} needs height and width that are multiples of 16 (16, 32, 48, ...), got {h}x{w}"
    );
}

/// How a decoder block doubles the resolution: FE's UNet uses `nn.Upsample(scale_factor=2)`
/// (nearest), its AttentionUNet bilinear interpolation with `align_corners=True`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Upsample {
    Nearest,
    Bilinear,
}

impl Upsample {
    fn apply(self, x: &Tensor) -> Tensor {
        let size = x.size();
        let out = [size[2] * 2, size[3] * 2];
        match self {
            Upsample::Nearest => x.upsample_nearest2d(out, 2.0, 2.0),
            Upsample::Bilinear => x.upsample_bilinear2d(out, true, 2.0, 2.0),
        }
    }
}

/// FE's `UNetEncoderBlock`: `layers = Sequential(conv3x3, ReLU, conv3x3, ReLU)`; returns the
/// block's output (the skip connection) and its 2×2 max pooling.
#[derive(Debug)]
pub(super) struct EncoderBlock {
    conv0: nn::Conv2D,
    conv2: nn::Conv2D,
}

impl EncoderBlock {
    pub(super) fn new(vs: nn::Path, cin: i64, cout: i64) -> EncoderBlock {
        let layers = &vs / "layers";
        EncoderBlock {
            conv0: he_normal_conv(&layers / "0", cin, cout, 3),
            conv2: he_normal_conv(&layers / "2", cout, cout, 3),
        }
    }

    pub(super) fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let out = x.apply(&self.conv0).relu().apply(&self.conv2).relu();
        let pooled = out.max_pool2d_default(2);
        (out, pooled)
    }
}

/// FE's `UNetDecoderBlock`: `layers = Sequential(conv3x3, ReLU, conv3x3, ReLU, Upsample(2),
/// conv3x3, ReLU)`, so its convolutions are `layers.0`, `layers.2` and `layers.5`.
#[derive(Debug)]
pub(super) struct DecoderBlock {
    conv0: nn::Conv2D,
    conv2: nn::Conv2D,
    conv5: nn::Conv2D,
    upsample: Upsample,
}

impl DecoderBlock {
    pub(super) fn new(vs: nn::Path, cin: i64, mid: i64, cout: i64, upsample: Upsample) -> DecoderBlock {
        let layers = &vs / "layers";
        DecoderBlock {
            conv0: he_normal_conv(&layers / "0", cin, mid, 3),
            conv2: he_normal_conv(&layers / "2", mid, mid, 3),
            conv5: he_normal_conv(&layers / "5", mid, cout, 3),
            upsample,
        }
    }

    pub(super) fn forward(&self, x: &Tensor) -> Tensor {
        let y = x.apply(&self.conv0).relu().apply(&self.conv2).relu();
        self.upsample.apply(&y).apply(&self.conv5).relu()
    }
}

/// FE's `dec1`: `Sequential(conv3x3 128→64, ReLU, conv3x3, ReLU, conv1x1 64→out, Sigmoid)`.
#[derive(Debug)]
pub(super) struct OutputBlock {
    conv0: nn::Conv2D,
    conv2: nn::Conv2D,
    conv4: nn::Conv2D,
}

impl OutputBlock {
    pub(super) fn new(vs: nn::Path, output_channel: i64) -> OutputBlock {
        OutputBlock {
            conv0: he_normal_conv(&vs / "0", 128, 64, 3),
            conv2: he_normal_conv(&vs / "2", 64, 64, 3),
            conv4: he_normal_conv(&vs / "4", 64, output_channel, 1),
        }
    }

    pub(super) fn forward(&self, x: &Tensor) -> Tensor {
        x.apply(&self.conv0).relu().apply(&self.conv2).relu().apply(&self.conv4).sigmoid()
    }
}

/// The encoder half both UNets share: `enc1` … `enc4` (64, 128, 256, 512 channels) and the
/// `bottle_neck` decoder block (1024 channels inside, 512 out, twice the resolution).
#[derive(Debug)]
pub(super) struct Encoder {
    enc1: EncoderBlock,
    enc2: EncoderBlock,
    enc3: EncoderBlock,
    enc4: EncoderBlock,
    bottle_neck: DecoderBlock,
}

impl Encoder {
    pub(super) fn new(vs: &nn::Path, channels: i64, upsample: Upsample) -> Encoder {
        Encoder {
            enc1: EncoderBlock::new(vs / "enc1", channels, 64),
            enc2: EncoderBlock::new(vs / "enc2", 64, 128),
            enc3: EncoderBlock::new(vs / "enc3", 128, 256),
            enc4: EncoderBlock::new(vs / "enc4", 256, 512),
            bottle_neck: DecoderBlock::new(vs / "bottle_neck", 512, 1024, 512, upsample),
        }
    }

    /// The skip connections `[x1, x2, x3, x4]` (full to 1/8 resolution) and the bottleneck's
    /// output, each noted under its block's name.
    pub(super) fn forward(&self, x: &Tensor, kept: &mut Kept) -> ([Tensor; 4], Tensor) {
        let mut skips = Vec::with_capacity(4);
        let mut x = x.shallow_clone();
        for (name, block) in [("enc1", &self.enc1), ("enc2", &self.enc2), ("enc3", &self.enc3), ("enc4", &self.enc4)] {
            let (skip, pooled) = block.forward(&x);
            kept.note(name, &skip);
            skips.push(skip);
            x = pooled;
        }
        let bottom = self.bottle_neck.forward(&x);
        kept.note("bottle_neck", &bottom);
        let skips: [Tensor; 4] = skips.try_into().expect("four encoder blocks");
        (skips, bottom)
    }
}

/// FE's UNet: four encoder blocks (two 3×3 conv + ReLU each, then 2×2 max pooling; 64, 128,
/// 256, 512 channels), a bottleneck at 1024 channels, four decoder stages that concatenate the
/// matching encoder output and upsample (nearest, ×2), and a 1×1 convolution with a sigmoid
/// (per-pixel probabilities, `[batch, output_channel, H, W]`).
///
/// The layers, their names and shapes are FE's PyTorch module's, so a state dict moves between
/// the two: `enc1.layers.0`, `enc1.layers.2`, …, `bottle_neck.layers.{0,2,5}`,
/// `dec4.layers.{0,2,5}`, …, `dec1.{0,2,4}`. Every convolution starts as FE initialises it
/// (He-normal weights, zero biases). FE's defaults are `input_shape = [1, 128, 128]` and
/// `output_channel = 1`; the parameter count (34 512 193 for one input channel) does not depend
/// on H and W. Input is channels-first, `[batch, C, H, W]`, with H and W multiples of 16.
///
/// ```
/// use fastestimator as fe;
/// use fe::architecture::UNet;
/// let model = fe::build(|p| UNet::new(p, [1, 16, 16], 1), "adam").unwrap();
/// assert_eq!(model.num_parameters(), 34_512_193);
/// let masks = model.forward("image", &tch::Tensor::rand([2, 1, 16, 16], tch::kind::FLOAT_CPU), false).unwrap();
/// assert_eq!(masks.size(), [2, 1, 16, 16]);
/// ```
#[derive(Debug)]
pub struct UNet {
    encoder: Encoder,
    dec4: DecoderBlock,
    dec3: DecoderBlock,
    dec2: DecoderBlock,
    dec1: OutputBlock,
    input_shape: [i64; 3],
}

impl UNet {
    /// The named layers whose outputs [`crate::model::FeModel::forward_with_layers`] can return: each encoder
    /// block's output (before pooling), the bottleneck's and each decoder block's.
    const LAYERS: [&'static str; 8] = ["enc1", "enc2", "enc3", "enc4", "bottle_neck", "dec4", "dec3", "dec2"];

    /// A UNet for `input_shape = [C, H, W]` with `output_channel` sigmoid outputs per pixel
    /// (FE: `UNet(input_size=(1, 128, 128), output_channel=1)`).
    ///
    /// # Panics
    /// If H or W is not a positive multiple of 16 (FE's check), or C is below 1. Inside
    /// [`crate::build`] that panic is returned as [`crate::FeError::Model`].
    pub fn new(vs: &nn::Path, input_shape: [i64; 3], output_channel: i64) -> UNet {
        check_input("UNet", input_shape);
        let up = Upsample::Nearest;
        UNet {
            encoder: Encoder::new(vs, input_shape[0], up),
            dec4: DecoderBlock::new(vs / "dec4", 1024, 512, 256, up),
            dec3: DecoderBlock::new(vs / "dec3", 512, 256, 128, up),
            dec2: DecoderBlock::new(vs / "dec2", 256, 128, 64, up),
            dec1: OutputBlock::new(vs / "dec1", output_channel),
            input_shape,
        }
    }

    /// The forward pass, noting the named layers in `kept`.
    fn run(&self, x: &Tensor, _train: bool, kept: &mut Kept) -> Tensor {
        let ([x1, x2, x3, x4], mut y) = self.encoder.forward(x, kept);
        for (name, block, skip) in [("dec4", &self.dec4, x4), ("dec3", &self.dec3, x3), ("dec2", &self.dec2, x2)] {
            y = block.forward(&Tensor::cat(&[&y, &skip], 1));
            kept.note(name, &y);
        }
        self.dec1.forward(&Tensor::cat(&[&y, &x1], 1))
    }
}

fe_model!(UNet, "UNet", input_shape);
