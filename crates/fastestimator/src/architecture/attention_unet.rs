//! AttentionUNet as FE defines it (`fe.architecture.pytorch.AttentionUNet`).

use tch::{nn, Tensor};

use super::layers::{batch_norm, fe_model, Kept};
use super::torch_init;
use super::unet::{check_input, DecoderBlock, Encoder, OutputBlock, Upsample};

/// `Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout))` with PyTorch's initialisation.
#[derive(Debug)]
struct ConvBn {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
}

impl ConvBn {
    fn new(vs: nn::Path, cin: i64, cout: i64) -> ConvBn {
        ConvBn {
            conv: torch_init::conv2d(&vs / "0", cin, cout, 1, Default::default()),
            bn: batch_norm(&vs / "1", cout, 0.1),
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        x.apply(&self.conv).apply_t(&self.bn, train)
    }
}

/// FE's `AttentionBlock`: a gate from the decoder's features and the encoder's skip connection,
/// `sigmoid(BN(conv1x1(relu(BN(conv1x1(dec)) + BN(conv1x1(enc))))))`, that scales the skip
/// connection pixel by pixel.
#[derive(Debug)]
struct AttentionBlock {
    dec_layers: ConvBn,
    enc_layers: ConvBn,
    attn_layers: ConvBn,
}

impl AttentionBlock {
    fn new(vs: nn::Path, channels: i64) -> AttentionBlock {
        AttentionBlock {
            dec_layers: ConvBn::new(&vs / "dec_layers", channels, channels),
            enc_layers: ConvBn::new(&vs / "enc_layers", channels, channels),
            attn_layers: ConvBn::new(&vs / "attn_layers", channels, 1),
        }
    }

    fn forward_t(&self, decoder: &Tensor, encoder: &Tensor, train: bool) -> Tensor {
        let gate = (self.dec_layers.forward_t(decoder, train) + self.enc_layers.forward_t(encoder, train)).relu();
        encoder * self.attn_layers.forward_t(&gate, train).sigmoid()
    }

    /// The decoder's features concatenated with the gated skip connection (noted as `name`).
    fn join(&self, name: &str, decoder: &Tensor, encoder: &Tensor, train: bool, kept: &mut Kept) -> Tensor {
        let gated = self.forward_t(decoder, encoder, train);
        kept.note(name, &gated);
        Tensor::cat(&[decoder, &gated], 1)
    }
}

/// FE's AttentionUNet: [`super::UNet`]'s encoder, bottleneck and decoder (bilinear upsampling
/// with `align_corners=True` instead of nearest), where each skip connection passes through an
/// attention gate (`attn4` … `attn1`: 1×1 convolutions with BatchNorm) driven by the decoder's
/// features before it is concatenated. The output is one sigmoid channel,
/// `[batch, 1, H, W]` (FE's AttentionUNet has no `output_channel` argument).
///
/// The layers, their names and shapes are FE's PyTorch module's, so a state dict moves between
/// the two: `enc1.layers.0`, …, `attn4.dec_layers.{0,1}`, `attn4.enc_layers.{0,1}`,
/// `attn4.attn_layers.{0,1}`, …, `dec1.{0,2,4}`. The encoder and decoder convolutions start as
/// FE initialises them (He-normal weights, zero biases), the attention gates with PyTorch's
/// defaults. FE's default is `input_shape = [1, 128, 128]`; the parameter count (35 215 245 for
/// one input channel) does not depend on H and W. Input is channels-first, `[batch, C, H, W]`,
/// with H and W multiples of 16.
///
/// ```
/// use fastestimator as fe;
/// use fe::architecture::AttentionUNet;
/// let model = fe::build(|p| AttentionUNet::new(p, [1, 16, 16]), "adam").unwrap();
/// assert_eq!(model.num_parameters(), 35_215_245);
/// ```
#[derive(Debug)]
pub struct AttentionUNet {
    encoder: Encoder,
    attn4: AttentionBlock,
    attn3: AttentionBlock,
    attn2: AttentionBlock,
    attn1: AttentionBlock,
    dec4: DecoderBlock,
    dec3: DecoderBlock,
    dec2: DecoderBlock,
    dec1: OutputBlock,
    input_shape: [i64; 3],
}

impl AttentionUNet {
    /// The named layers whose outputs [`crate::model::FeModel::forward_with_layers`] can return: each encoder
    /// block's output (before pooling), the bottleneck's, each gated skip connection and each
    /// decoder block's output.
    const LAYERS: [&'static str; 12] =
        ["enc1", "enc2", "enc3", "enc4", "bottle_neck", "attn4", "dec4", "attn3", "dec3", "attn2", "dec2", "attn1"];

    /// An AttentionUNet for `input_shape = [C, H, W]` (FE: `AttentionUNet(input_size=(1, 128,
    /// 128))`).
    ///
    /// # Panics
    /// If H or W is not a positive multiple of 16 (FE's check), or C is below 1. Inside
    /// [`crate::build`] that panic is returned as [`crate::FeError::Model`].
    pub fn new(vs: &nn::Path, input_shape: [i64; 3]) -> AttentionUNet {
        check_input("AttentionUNet", input_shape);
        let up = Upsample::Bilinear;
        AttentionUNet {
            encoder: Encoder::new(vs, input_shape[0], up),
            attn4: AttentionBlock::new(vs / "attn4", 512),
            attn3: AttentionBlock::new(vs / "attn3", 256),
            attn2: AttentionBlock::new(vs / "attn2", 128),
            attn1: AttentionBlock::new(vs / "attn1", 64),
            dec4: DecoderBlock::new(vs / "dec4", 1024, 512, 256, up),
            dec3: DecoderBlock::new(vs / "dec3", 512, 256, 128, up),
            dec2: DecoderBlock::new(vs / "dec2", 256, 128, 64, up),
            dec1: OutputBlock::new(vs / "dec1", 1),
            input_shape,
        }
    }

    /// The forward pass, noting the named layers in `kept`.
    fn run(&self, x: &Tensor, train: bool, kept: &mut Kept) -> Tensor {
        let ([x1, x2, x3, x4], mut y) = self.encoder.forward(x, kept);
        let stages = [
            ("attn4", &self.attn4, x4, "dec4", &self.dec4),
            ("attn3", &self.attn3, x3, "dec3", &self.dec3),
            ("attn2", &self.attn2, x2, "dec2", &self.dec2),
        ];
        for (attn_name, attn, skip, name, block) in stages {
            y = block.forward(&attn.join(attn_name, &y, &skip, train, kept));
            kept.note(name, &y);
        }
        self.dec1.forward(&self.attn1.join("attn1", &y, &x1, train, kept))
    }
}

fe_model!(AttentionUNet, "AttentionUNet", input_shape);
