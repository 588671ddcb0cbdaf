//! Image processing shared by the augmentation ops, written directly on ndarray buffers.
//!
//! Images are `HW` or `HWC` arrays of `u8` (full scale 255) or floats (full scale 1.0, as in
//! albumentations). Photometric ops compute in `f32` and convert back to the input dtype,
//! rounding and clamping for `u8`. Spatial ops move pixels generically for any dtype (masks may
//! be `u8`, `i64`, `bool` or floats) and interpolate in `f32`.
//!
//! Coordinates: pixel `(row i, col j)` has its centre at `(x, y) = (j, i)`. Keypoints use these
//! coordinates; bounding boxes use pixel edges, so a box spanning the whole image is
//! `[0, 0, W, H]` (albumentations' conventions).

mod color;
mod filter;
mod histogram;
mod warp;

pub(crate) use color::*;
pub(crate) use filter::*;
pub(crate) use histogram::*;
pub(crate) use warp::*;

use ndarray::{ArrayD, IxDyn};

use crate::error::{FeError, Result};
use crate::value::Value;

/// How pixels are interpolated when an image is resampled (OpenCV's `INTER_*` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// Nearest neighbour (`INTER_NEAREST`); always used for masks.
    Nearest,
    /// Bilinear (`INTER_LINEAR`), the default for images.
    #[default]
    Linear,
}

/// How pixels outside the image are filled when a transform reaches beyond it (OpenCV's
/// `BORDER_*` modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BorderMode {
    /// A constant value (`BORDER_CONSTANT`).
    Constant,
    /// Mirror without repeating the edge pixel, `dcb|abcd|cba` (`BORDER_REFLECT_101`), the
    /// default of albumentations' spatial transforms.
    #[default]
    Reflect101,
    /// Mirror including the edge pixel, `cba|abcd|dcb` (`BORDER_REFLECT`).
    Reflect,
    /// Repeat the edge pixel, `aaa|abcd|ddd` (`BORDER_REPLICATE`).
    Replicate,
    /// Tile the image, `bcd|abcd|abc` (`BORDER_WRAP`).
    Wrap,
}

/// A pixel type: converts to and from `f32` for interpolation and photometric maths.
pub(crate) trait Pixel: Copy + Default + PartialEq + Send + Sync + 'static {
    /// As `f32`.
    fn to_f32(self) -> f32;
    /// From `f32`: rounded and clamped for integers.
    fn from_f32(v: f32) -> Self;
}

impl Pixel for u8 {
    #[inline]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        v.round().clamp(0.0, 255.0) as u8
    }
}

impl Pixel for f32 {
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        v
    }
}

impl Pixel for f64 {
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        f64::from(v)
    }
}

impl Pixel for i64 {
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        v.round() as i64
    }
}

impl Pixel for bool {
    #[inline]
    fn to_f32(self) -> f32 {
        if self {
            1.0
        } else {
            0.0
        }
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        v > 0.5
    }
}

/// An `H×W×C` image in row-major order (`HW` input is kept as `C = 1` and restored on output).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Image<T> {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<T>,
    /// The input was `HW` (no channel axis).
    pub rank2: bool,
}

impl<T: Copy> Image<T> {
    /// A new image filled with `v`.
    pub fn filled(h: usize, w: usize, c: usize, v: T, rank2: bool) -> Self {
        Image { h, w, c, data: vec![v; h * w * c], rank2 }
    }

    /// Wrap an `HW` or `HWC` array. `op` and `key` name the value in errors.
    pub fn from_array(a: ArrayD<T>, op: &str, key: &str) -> Result<Self> {
        let shape = a.shape().to_vec();
        let (h, w, c, rank2) = match shape.as_slice() {
            [h, w] => (*h, *w, 1, true),
            [h, w, c] => (*h, *w, *c, false),
            _ => {
                return Err(FeError::unexpected_shape(op, key, "an HW or HWC image", &shape));
            }
        };
        if h == 0 || w == 0 || c == 0 {
            return Err(FeError::unexpected_shape(op, key, "a non-empty HW or HWC image", &shape));
        }
        let data = if a.is_standard_layout() { a.into_raw_vec_and_offset().0 } else { a.iter().copied().collect() };
        Ok(Image { h, w, c, data, rank2 })
    }

    /// The shape of the `HW` or `HWC` array this image stands for.
    pub fn shape(&self) -> Vec<usize> {
        if self.rank2 && self.c == 1 {
            vec![self.h, self.w]
        } else {
            vec![self.h, self.w, self.c]
        }
    }

    /// Back to an `HW` or `HWC` array.
    pub fn into_array(self) -> ArrayD<T> {
        let shape = self.shape();
        ArrayD::from_shape_vec(IxDyn(&shape), self.data).expect("shape matches data")
    }

    /// An image of the same shape with other data (`data.len()` must be `h * w * c`).
    pub fn with_data<U>(&self, data: Vec<U>) -> Image<U> {
        Image { h: self.h, w: self.w, c: self.c, data, rank2: self.rank2 }
    }
}

impl<T: Pixel> Image<T> {
    /// As an `f32` image with values on the same scale.
    pub fn to_f32(&self) -> Image<f32> {
        Image {
            h: self.h,
            w: self.w,
            c: self.c,
            data: self.data.iter().map(|v| v.to_f32()).collect(),
            rank2: self.rank2,
        }
    }

    /// From an `f32` image (rounded and clamped for integers).
    pub fn from_f32_image(img: Image<f32>) -> Self {
        Image { h: img.h, w: img.w, c: img.c, data: img.data.into_iter().map(T::from_f32).collect(), rank2: img.rank2 }
    }
}

/// Require the image to have one of the given channel counts.
pub(crate) fn check_channels<T: Copy>(op: &str, key: &str, img: &Image<T>, allowed: &[usize]) -> Result<()> {
    if allowed.contains(&img.c) {
        Ok(())
    } else {
        let list: Vec<String> = allowed.iter().map(|n| n.to_string()).collect();
        Err(FeError::unexpected_shape(op, key, format!("an image with {} channels", list.join(" or ")), &img.shape()))
    }
}

/// An image as `f32` with its full-scale value (255 for u8, 1 for floats) and a way back to
/// the original dtype.
pub(crate) struct FloatImage {
    pub img: Image<f32>,
    /// 255 for `u8` images, 1 for floats.
    pub max: f32,
    dtype: crate::value::DType,
}

impl FloatImage {
    /// Read a `u8`/`f32`/`f64` image value; `channels` lists the allowed channel counts (empty:
    /// any).
    pub fn from_value(v: Value, op: &str, key: &str, channels: &[usize]) -> Result<Self> {
        let dtype = v.dtype();
        let (img, max) = match v {
            Value::U8(a) => (Image::from_array(a, op, key)?.to_f32(), 255.0),
            Value::F32(a) => (Image::from_array(a, op, key)?, 1.0),
            Value::F64(a) => (Image::from_array(a, op, key)?.to_f32(), 1.0),
            other => {
                return Err(FeError::unexpected_dtype(op, key, "an image of uint8 or float", other.dtype()));
            }
        };
        if !channels.is_empty() {
            check_channels(op, key, &img, channels)?;
        }
        Ok(FloatImage { img, max, dtype })
    }

    /// Whether the source was `u8`.
    pub fn is_u8(&self) -> bool {
        self.dtype == crate::value::DType::U8
    }

    /// Back to a value of the source dtype. Values are clipped to `[0, max]` first.
    pub fn into_value(self) -> Value {
        let FloatImage { mut img, max, dtype } = self;
        for v in img.data.iter_mut() {
            *v = v.clamp(0.0, max);
        }
        convert_back(img, dtype)
    }
}

fn convert_back(img: Image<f32>, dtype: crate::value::DType) -> Value {
    use crate::value::DType;
    match dtype {
        DType::U8 => Value::U8(Image::<u8>::from_f32_image(img).into_array()),
        DType::F64 => Value::F64(Image::<f64>::from_f32_image(img).into_array()),
        _ => Value::F32(img.into_array()),
    }
}

/// Apply `$body` to the [`Image`] held by a value of any pixel dtype (the body is expanded once
/// per dtype, so it may call generic functions), and wrap the result back in the same variant.
macro_rules! map_any_image {
    ($value:expr, $op:expr, $key:expr, |$img:ident| $body:expr) => {{
        use $crate::op::numpy::imgproc::Image;
        use $crate::value::Value;
        match $value {
            Value::U8(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::U8(($body)?.into_array())
            }
            Value::F32(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::F32(($body)?.into_array())
            }
            Value::F64(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::F64(($body)?.into_array())
            }
            Value::I64(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::I64(($body)?.into_array())
            }
            Value::Bool(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::Bool(($body)?.into_array())
            }
            Value::Str(_) => {
                return Err($crate::error::FeError::unexpected_dtype(
                    $op,
                    $key,
                    "an image (any dtype but str)",
                    $crate::value::DType::Str,
                ));
            }
        }
    }};
}
pub(crate) use map_any_image;

/// Like [`map_any_image`], for images only (`u8` or float).
macro_rules! map_image {
    ($value:expr, $op:expr, $key:expr, |$img:ident| $body:expr) => {{
        use $crate::op::numpy::imgproc::Image;
        use $crate::value::Value;
        match $value {
            Value::U8(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::U8(($body)?.into_array())
            }
            Value::F32(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::F32(($body)?.into_array())
            }
            Value::F64(a) => {
                let $img = Image::from_array(a, $op, $key)?;
                Value::F64(($body)?.into_array())
            }
            other => {
                return Err($crate::error::FeError::unexpected_dtype(
                    $op,
                    $key,
                    "an image of uint8 or float",
                    other.dtype(),
                ));
            }
        }
    }};
}
pub(crate) use map_image;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hw_and_hwc_round_trip_and_bad_ranks_are_errors() {
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), (0..6u8).collect()).unwrap();
        let img = Image::from_array(a.clone(), "T", "x").unwrap();
        assert_eq!((img.h, img.w, img.c, img.rank2), (2, 3, 1, true));
        assert_eq!(img.into_array(), a);
        let bad = ArrayD::<u8>::zeros(IxDyn(&[2, 2, 2, 2]));
        let err = Image::from_array(bad, "Rotate", "x").unwrap_err().to_string();
        assert!(err.contains("Rotate") && err.contains("HWC"), "{err}");
    }

    #[test]
    fn u8_conversion_rounds_and_clamps() {
        assert_eq!(u8::from_f32(254.6), 255);
        assert_eq!(u8::from_f32(300.0), 255);
        assert_eq!(u8::from_f32(-3.0), 0);
    }
}
