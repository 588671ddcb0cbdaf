//! Reading the files that directory and CSV datasets point to, lazily, in the pipeline's
//! worker threads.
//!
//! FE's `DirDataset`, `LabeledDirDataset` and `CSVDataset` yield file paths, and an op
//! (`ReadImage`) opens them. Here a dataset can also be given a [`FileReader`]: its `get` then
//! returns the decoded file instead of the path. Either way only paths are kept in memory, and a
//! file is read when its sample is requested.

use std::path::Path;
use std::sync::Arc;

use ndarray::{Array3, ArrayD};

use crate::error::{FeError, Result};
use crate::value::Value;

/// Turns a file path into a value (called from worker threads).
pub type FileReader = Arc<dyn Fn(&Path) -> Result<Value> + Send + Sync>;

/// How [`read_image`] returns pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageColor {
    /// `[H, W, 3]` RGB (FE's `ReadImage(color_flag="color")`, in RGB order).
    Rgb,
    /// `[H, W, 1]` grayscale (FE's `color_flag="gray"`).
    Gray,
}

/// Decode a PNG, JPEG or BMP file into a `u8` array, `[H, W, 3]` or `[H, W, 1]`. Errors name
/// the file.
pub fn read_image(path: &Path, color: ImageColor) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| FeError::io("cannot read", path, e))?;
    let image = image::load_from_memory(&bytes)
        .map_err(|e| FeError::Format { path: path.to_path_buf(), reason: format!("cannot decode image: {e}") })?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let shape_err = |e: ndarray::ShapeError| FeError::Format { path: path.to_path_buf(), reason: e.to_string() };
    let array: ArrayD<u8> = match color {
        ImageColor::Rgb => {
            Array3::from_shape_vec((h, w, 3), image.into_rgb8().into_raw()).map_err(shape_err)?.into_dyn()
        }
        ImageColor::Gray => {
            Array3::from_shape_vec((h, w, 1), image.into_luma8().into_raw()).map_err(shape_err)?.into_dyn()
        }
    };
    Ok(Value::U8(array))
}

/// A [`FileReader`] that decodes images with [`read_image`].
pub fn image_reader(color: ImageColor) -> FileReader {
    Arc::new(move |path: &Path| read_image(path, color))
}

/// A [`FileReader`] that returns the raw bytes of the file as a 1-D `u8` array.
pub fn bytes_reader() -> FileReader {
    Arc::new(|path: &Path| {
        let bytes = std::fs::read(path).map_err(|e| FeError::io("cannot read", path, e))?;
        Ok(Value::from(bytes))
    })
}

/// Write a `[H, W]` or `[H, W, 1]` `u8` array as an 8-bit grayscale PNG, or `[H, W, 3]` as RGB.
pub fn write_png(path: &Path, pixels: &ArrayD<u8>) -> Result<()> {
    let bad =
        |expected: &str| FeError::unexpected_shape("write_png", path.display().to_string(), expected, pixels.shape());
    let (h, w, c) = match pixels.shape() {
        [h, w] => (*h, *w, 1),
        [h, w, c @ (1 | 3)] => (*h, *w, *c),
        _ => return Err(bad("[H, W], [H, W, 1] or [H, W, 3]")),
    };
    let data: Vec<u8> = pixels.iter().copied().collect();
    let color = if c == 1 { image::ExtendedColorType::L8 } else { image::ExtendedColorType::Rgb8 };
    let (w32, h32) = (
        u32::try_from(w).map_err(|_| bad("at most 2^32 - 1 pixels wide"))?,
        u32::try_from(h).map_err(|_| bad("at most 2^32 - 1 pixels tall"))?,
    );
    image::save_buffer_with_format(path, &data, w32, h32, color, image::ImageFormat::Png)
        .map_err(|e| FeError::Format { path: path.to_path_buf(), reason: format!("cannot write PNG: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_roundtrip_gray_and_rgb() {
        let dir = tempfile::tempdir().unwrap();
        let gray = ArrayD::from_shape_fn(ndarray::IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as u8 * 10);
        let path = dir.path().join("g.png");
        write_png(&path, &gray).unwrap();
        let Value::U8(back) = read_image(&path, ImageColor::Gray).unwrap() else { panic!() };
        assert_eq!(back.shape(), &[3, 4, 1]);
        assert_eq!(back.iter().copied().collect::<Vec<_>>(), gray.iter().copied().collect::<Vec<_>>());
        let Value::U8(rgb) = read_image(&path, ImageColor::Rgb).unwrap() else { panic!() };
        assert_eq!(rgb.shape(), &[3, 4, 3]);
        assert_eq!(rgb[[2, 3, 1]], 110);
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\nnope").unwrap();
        let msg = read_image(&path, ImageColor::Rgb).unwrap_err().to_string();
        assert!(msg.contains("broken.png"), "{msg}");
        let msg = read_image(&dir.path().join("gone.png"), ImageColor::Rgb).unwrap_err().to_string();
        assert!(msg.contains("gone.png"), "{msg}");
        assert!(write_png(&path, &ArrayD::zeros(ndarray::IxDyn(&[2]))).is_err());
    }
}
