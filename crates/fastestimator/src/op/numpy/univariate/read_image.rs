//! `ReadImage`: decode image files into arrays.

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};

use super::each;
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::option_strings;
use crate::value::Value;

/// How [`ReadImage`] decodes colour (OpenCV's `IMREAD_*` flags).
///
/// Parses from FE's strings `"color"` and `"gray"` (or `"grey"`), and `"unchanged"` for
/// OpenCV's `IMREAD_UNCHANGED`; prints as the first of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorFlag {
    /// Three channels, RGB order, `H×W×3` (FE's default; FE converts OpenCV's BGR to RGB).
    #[default]
    Color,
    /// One channel, `H×W` (as OpenCV returns it).
    Grayscale,
    /// As stored: `H×W` for grey, `H×W×2` grey+alpha, `H×W×3` RGB, `H×W×4` RGBA. 16-bit files
    /// are reduced to 8 bits.
    Unchanged,
}

option_strings!(ColorFlag, "ReadImage", "color_flag", {
    ColorFlag::Color => "color",
    ColorFlag::Grayscale => "gray" | "grey",
    ColorFlag::Unchanged => "unchanged",
});

/// Read PNG, JPEG or BMP files into `u8` arrays (FE's `ReadImage`, multi-io). Each input is a
/// path (a text value), joined to `parent_path` when that is set. A missing or corrupt file is an
/// error naming the file.
///
/// ```no_run
/// use fastestimator::op::numpy::univariate::{ColorFlag, ReadImage};
/// let op = ReadImage::new("x", "x").parent_path("/data/cub200").color_flag(ColorFlag::Color);
/// ```
pub struct ReadImage {
    io: OpIo,
    parent_path: PathBuf,
    color_flag: ColorFlag,
}
impl_has_io!(ReadImage);

impl ReadImage {
    /// Read colour images from the paths in `inputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ReadImage { io: OpIo::new(inputs, outputs), parent_path: PathBuf::new(), color_flag: ColorFlag::Color }
    }

    /// A folder that relative paths are resolved against.
    pub fn parent_path(mut self, path: impl AsRef<Path>) -> Self {
        self.parent_path = path.as_ref().to_path_buf();
        self
    }

    /// How to decode colour.
    pub fn color_flag(mut self, flag: ColorFlag) -> Self {
        self.color_flag = flag;
        self
    }

    fn read(&self, path: &Path) -> Result<Value> {
        let bytes = std::fs::read(path).map_err(|e| FeError::io("cannot read image", path, e))?;
        let img = image::load_from_memory(&bytes)
            .map_err(|e| FeError::Format { path: path.to_path_buf(), reason: format!("cannot decode image: {e}") })?;
        let (w, h) = (img.width() as usize, img.height() as usize);
        let (data, shape) = match self.color_flag {
            ColorFlag::Color => (img.into_rgb8().into_raw(), vec![h, w, 3]),
            ColorFlag::Grayscale => (img.into_luma8().into_raw(), vec![h, w]),
            ColorFlag::Unchanged => match img.color().channel_count() {
                1 => (img.into_luma8().into_raw(), vec![h, w]),
                2 => (img.into_luma_alpha8().into_raw(), vec![h, w, 2]),
                3 => (img.into_rgb8().into_raw(), vec![h, w, 3]),
                _ => (img.into_rgba8().into_raw(), vec![h, w, 4]),
            },
        };
        Ok(Value::U8(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("decoder gives h*w*c bytes")))
    }
}

impl NumpyOp for ReadImage {
    fn name(&self) -> String {
        "ReadImage".into()
    }

    fn forward(&self, data: Vec<Value>, _state: &mut OpState) -> Result<Vec<Value>> {
        each("ReadImage", &self.io, data, |v, key| {
            let Value::Str(paths) = &v else {
                return Err(FeError::unexpected_dtype("ReadImage", key, "a file path (str)", v.dtype()));
            };
            let Some(path) = paths.iter().next().filter(|_| paths.len() == 1) else {
                return Err(FeError::unexpected_shape("ReadImage", key, "one path (shape [] or [1])", paths.shape()));
            };
            self.read(&self.parent_path.join(path))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;

    fn write_png(dir: &Path) -> PathBuf {
        let mut img = image::RgbImage::new(3, 2);
        img.put_pixel(2, 1, image::Rgb([10, 20, 30]));
        let path = dir.join("a.png");
        img.save(&path).unwrap();
        path
    }

    #[test]
    fn reads_rgb_and_gray_relative_to_parent_path() {
        let dir = tempfile::tempdir().unwrap();
        write_png(dir.path());
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let op = ReadImage::new("x", "x").parent_path(dir.path());
        let out = op.forward(vec![Value::from("a.png")], &mut st).unwrap();
        let Value::U8(a) = &out[0] else { panic!() };
        assert_eq!(a.shape(), &[2, 3, 3]);
        assert_eq!((a[[1, 2, 0]], a[[1, 2, 1]], a[[1, 2, 2]]), (10, 20, 30));
        let gray = ReadImage::new("x", "x").parent_path(dir.path()).color_flag(ColorFlag::Grayscale);
        assert_eq!(gray.forward(vec![Value::from("a.png")], &mut st).unwrap()[0].shape(), &[2, 3]);
        let err = op.forward(vec![Value::from("missing.png")], &mut st).unwrap_err().to_string();
        assert!(err.contains("missing.png"), "{err}");
    }

    #[test]
    fn reads_jpeg_and_bmp() {
        let dir = tempfile::tempdir().unwrap();
        let img = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 100, 50]));
        img.save(dir.path().join("a.jpg")).unwrap();
        img.save(dir.path().join("a.bmp")).unwrap();
        let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
        let op = ReadImage::new("x", "x").parent_path(dir.path());
        for name in ["a.jpg", "a.bmp"] {
            let out = op.forward(vec![Value::from(name)], &mut st).unwrap();
            let Value::U8(a) = &out[0] else { panic!() };
            assert_eq!(a.shape(), &[4, 4, 3]);
            assert!((i32::from(a[[2, 2, 0]]) - 200).abs() <= 3, "{name}");
        }
    }
}
