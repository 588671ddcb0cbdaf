//! What the architectures share: PyTorch's BatchNorm, the He-normal convolutions FE's UNets and
//! WideResidualNetwork initialise themselves, and the bookkeeping for named intermediate layers.

use tch::{nn, Tensor};

/// `nn.BatchNorm2d(channels, momentum=momentum)` as PyTorch builds it: eps 1e-5, affine, weight
/// 1 and bias 0 (tch's own default draws the weight from U(0, 1)).
pub(super) fn batch_norm(vs: nn::Path, channels: i64, momentum: f64) -> nn::BatchNorm {
    let config = nn::BatchNormConfig {
        momentum,
        ws_init: nn::Init::Const(1.0),
        bs_init: nn::Init::Const(0.0),
        ..Default::default()
    };
    nn::batch_norm2d(vs, channels, config)
}

/// A square convolution with "same" padding (`kernel / 2`, stride 1) whose weight is drawn as
/// `torch.nn.init.kaiming_normal_` does by default (N(0, 2 / fan_in)) and whose bias is zero:
/// FE's UNet blocks re-initialise every `nn.Conv2d` this way.
pub(super) fn he_normal_conv(vs: nn::Path, cin: i64, cout: i64, kernel: i64) -> nn::Conv2D {
    let config = nn::ConvConfig {
        padding: kernel / 2,
        ws_init: nn::init::DEFAULT_KAIMING_NORMAL,
        bs_init: nn::Init::Const(0.0),
        ..Default::default()
    };
    nn::conv2d(vs, cin, cout, kernel, config)
}

/// The intermediate outputs a forward pass was asked to keep, by name.
pub(super) struct Kept<'a> {
    wanted: &'a [String],
    kept: Vec<(String, Tensor)>,
}

impl<'a> Kept<'a> {
    /// Keep the layers named in `wanted`.
    pub(super) fn new(wanted: &'a [String]) -> Kept<'a> {
        Kept { wanted, kept: Vec::new() }
    }

    /// Keep nothing (a plain forward pass).
    pub(super) fn nothing() -> Kept<'static> {
        Kept { wanted: &[], kept: Vec::new() }
    }

    /// Record `t` as the output of layer `name` if that layer was asked for.
    pub(super) fn note(&mut self, name: &str, t: &Tensor) {
        if self.wanted.iter().any(|w| w == name) {
            self.kept.push((name.to_string(), t.shallow_clone()));
        }
    }

    /// The kept outputs in the order they were asked for; an unknown name is an error that
    /// names `model`.
    fn ordered(self, model: &str) -> Result<Vec<Tensor>, String> {
        self.wanted
            .iter()
            .map(|w| {
                self.kept
                    .iter()
                    .find(|(n, _)| n == w)
                    .map(|(_, t)| t.shallow_clone())
                    .ok_or_else(|| format!("{model} has no layer {w:?}"))
            })
            .collect()
    }
}

/// [`crate::model::FeModel::forward_with_layers`] for a one-input model: `run` is its forward
/// pass on the input, noting its named layers in the [`Kept`] it is given.
pub(super) fn forward_keeping(
    model: &str,
    xs: &[Tensor],
    layers: &[String],
    run: impl FnOnce(&Tensor, &mut Kept) -> Tensor,
) -> Result<(Tensor, Vec<Tensor>), String> {
    let [x] = xs else {
        return Err(format!("{model} takes one input, got {}", xs.len()));
    };
    let mut kept = Kept::new(layers);
    let y = run(x, &mut kept);
    Ok((y, kept.ordered(model)?))
}

/// `nn::ModuleT` and [`crate::model::FeModel`] for an architecture `$ty` with a method
/// `run(&self, x, train, &mut Kept) -> Tensor` and a constant `LAYERS` (the layers it notes);
/// `$name` names it in errors. With `input_shape`, the model reports its `input_shape: [i64; N]`
/// field as the shape it expects (checked on every forward pass).
macro_rules! fe_model {
    ($ty:ty, $name:literal $(, $input_shape:ident)?) => {
        impl tch::nn::ModuleT for $ty {
            fn forward_t(&self, xs: &tch::Tensor, train: bool) -> tch::Tensor {
                self.run(xs, train, &mut $crate::architecture::layers::Kept::nothing())
            }
        }

        impl $crate::model::FeModel for $ty {
            $(
            fn input_shape(&self) -> Option<Vec<i64>> {
                Some(self.$input_shape.to_vec())
            }
            )?

            fn layer_names(&self) -> Vec<String> {
                Self::LAYERS.iter().map(|s| s.to_string()).collect()
            }

            fn forward_with_layers(
                &self,
                xs: &[tch::Tensor],
                train: bool,
                layers: &[String],
            ) -> std::result::Result<(tch::Tensor, Vec<tch::Tensor>), String> {
                $crate::architecture::layers::forward_keeping($name, xs, layers, |x, kept| self.run(x, train, kept))
            }
        }
    };
}
pub(super) use fe_model;
