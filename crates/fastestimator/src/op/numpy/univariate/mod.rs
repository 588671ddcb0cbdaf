//! Univariate NumpyOps (FE's `fe.op.numpyop.univariate`): each input is transformed on its own
//! and written to the output at the same position ("multi-io"). One random draw is shared by all
//! inputs of a call, as in FE.
//!
//! - data and label ops: [`Binarize`], [`Calibrate`], [`ChannelTranspose`], [`ExpandDims`],
//!   [`Hadamard`], [`Minmax`], [`Normalize`], [`Onehot`], [`PadSequence`], [`ReadImage`],
//!   [`Reshape`], [`ToArray`], [`ToFloat`], [`FromFloat`], [`Tokenize`], [`WordtoId`];
//! - image-only augmentation on `HW`/`HWC` images, `u8` (0–255) or float (0–1): the PIL-style
//!   ops with a RUA level ([`AutoContrast`], [`Brightness`], [`Color`], [`Contrast`],
//!   [`Equalize`], [`Identity`], [`Posterize`], [`Rotate`], [`Sharpness`], [`ShearX`],
//!   [`ShearY`], [`Solarize`], [`TranslateX`], [`TranslateY`], [`RandomShapes`]), [`RUA`]
//!   itself, and albumentations' image-only transforms.
//!
//! Where FE's behaviour comes from PIL or albumentations, the meaning and range of every
//! parameter follow them; pixels may differ slightly (bilinear where PIL uses bicubic, for
//! example), as each op's documentation notes.

mod auto_contrast;
mod binarize;
mod blur;
mod brightness;
mod calibrate;
mod channel_dropout;
mod channel_shuffle;
mod channel_transpose;
mod clahe;
mod coarse_dropout;
mod color;
mod color_jitter;
mod contrast;
mod downscale;
mod equalize;
mod from_float;
mod gaussian_blur;
mod gaussian_noise;
mod hadamard;
mod hue_saturation_value;
mod identity;
mod invert_img;
mod median_blur;
mod motion_blur;
mod multiplicative_noise;
mod pad_sequence;
mod pil_enhance;
mod posterize;
mod random_brightness_contrast;
mod random_gamma;
mod random_shapes;
mod read_image;
mod reshape;
mod rgb_shift;
mod rotate;
mod rua;
mod sharpness;
mod shear;
mod solarize;
mod to_array;
mod to_float;
mod to_gray;
mod to_sepia;
mod tokenize;
mod translate;
mod word_to_id;

pub use super::{ExpandDims, Minmax, Normalize, Onehot};
pub use auto_contrast::AutoContrast;
pub use binarize::Binarize;
pub use blur::Blur;
pub use brightness::Brightness;
pub use calibrate::{Calibrate, CalibrationFn, PlattBinner};
pub use channel_dropout::ChannelDropout;
pub use channel_shuffle::ChannelShuffle;
pub use channel_transpose::ChannelTranspose;
pub use clahe::CLAHE;
pub use coarse_dropout::CoarseDropout;
pub use color::Color;
pub use color_jitter::ColorJitter;
pub use contrast::Contrast;
pub use downscale::Downscale;
pub use equalize::Equalize;
pub use from_float::FromFloat;
pub use gaussian_blur::GaussianBlur;
pub use gaussian_noise::GaussianNoise;
pub use hadamard::{hadamard, hadamard_codes, Hadamard};
pub use hue_saturation_value::HueSaturationValue;
pub use identity::Identity;
pub use invert_img::InvertImg;
pub use median_blur::MedianBlur;
pub use motion_blur::MotionBlur;
pub use multiplicative_noise::MultiplicativeNoise;
pub use pad_sequence::PadSequence;
pub use posterize::Posterize;
pub use random_brightness_contrast::RandomBrightnessContrast;
pub use random_gamma::RandomGamma;
pub use random_shapes::RandomShapes;
pub use read_image::{ColorFlag, ReadImage};
pub use reshape::Reshape;
pub use rgb_shift::RGBShift;
pub use rotate::Rotate;
pub use rua::{RuaChoice, RUA, RUA_DEFAULTS};
pub use sharpness::Sharpness;
pub use shear::{ShearX, ShearY};
pub use solarize::Solarize;
pub use to_array::ToArray;
pub use to_float::ToFloat;
pub use to_gray::ToGray;
pub use to_sepia::ToSepia;
pub use tokenize::Tokenize;
pub use translate::{TranslateX, TranslateY};
pub use word_to_id::WordtoId;

use rand::Rng;

use super::check_pairs;
use super::imgproc::FloatImage;
use crate::error::{FeError, Result};
use crate::op::OpIo;
use crate::util::FeRng;
use crate::value::Value;

/// Map input `i` to output `i` with `f(value, key)`.
pub(crate) fn each(
    op: &str,
    io: &OpIo,
    data: Vec<Value>,
    mut f: impl FnMut(Value, &str) -> Result<Value>,
) -> Result<Vec<Value>> {
    check_pairs(op, io)?;
    data.into_iter().zip(&io.inputs).map(|(v, key)| f(v, key)).collect()
}

/// Map every input image through `f` in `f32` (full scale `img.max`), converting back to the
/// input dtype with clipping. `channels` lists the allowed channel counts (empty: any).
pub(crate) fn each_image(
    op: &str,
    io: &OpIo,
    data: Vec<Value>,
    channels: &[usize],
    mut f: impl FnMut(&mut FloatImage, &str) -> Result<()>,
) -> Result<Vec<Value>> {
    each(op, io, data, |v, key| {
        let mut img = FloatImage::from_value(v, op, key, channels)?;
        f(&mut img, key)?;
        Ok(img.into_value())
    })
}

/// A uniform draw from `[lo, hi]` (exactly `lo` when the range is empty).
pub(crate) fn uniform(rng: &mut FeRng, (lo, hi): (f64, f64)) -> f64 {
    if hi <= lo {
        lo
    } else {
        lo + (hi - lo) * rng.gen::<f64>()
    }
}

/// A uniform integer from `lo..=hi` (`lo` when `hi < lo`).
pub(crate) fn randint(rng: &mut FeRng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        lo
    } else {
        rng.gen_range(lo..=hi)
    }
}

/// Check a RUA magnitude coefficient (must lie in [0, 1]).
pub(crate) fn check_rua_coef(op: &str, coef: f64) -> Result<()> {
    if (0.0..=1.0).contains(&coef) {
        Ok(())
    } else {
        Err(FeError::param(op, "magnitude_coef", format!("{coef} is outside [0, 1]")))
    }
}

/// FE's RUA rule for a parameter range: keep its middle, scale its half-width by `coef`.
pub(crate) fn rua_range((lo, hi): (f64, f64), coef: f64) -> (f64, f64) {
    let (mid, half) = ((lo + hi) / 2.0, coef * (hi - lo) / 2.0);
    (mid - half, mid + half)
}

/// Record an invalid range on `io` unless `lo <= hi` and both are finite and within `[min, max]`.
pub(crate) fn check_range(io: &mut OpIo, param: &str, (lo, hi): (f64, f64), min: f64, max: f64) {
    if !(lo.is_finite() && hi.is_finite() && lo <= hi && lo >= min && hi <= max) {
        io.reject(param, format!("({lo}, {hi}) must satisfy {min} <= low <= high <= {max}"));
    }
}

#[cfg(test)]
mod tests;
