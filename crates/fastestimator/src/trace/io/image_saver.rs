//! `ImageSaver`: write images found in the data to PNG files.

use std::path::{Path, PathBuf};

use tch::{Kind, Tensor};

use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};

/// At each epoch end (eval and test by default), save every image tensor under `inputs` as
/// `<save_dir>/<key>_<mode>_epoch_<n>[_elem_<i>].png` (FE's `ImageSaver`). Tensors may be one
/// image `[H, W]`, `[C, H, W]`, `[H, W, C]` or a batch of them; floats in [0, 1] (or [-1, 1])
/// are scaled to 0–255, u8 is written as is. A trace or op puts the images in the data first.
pub struct ImageSaver {
    io: OpIo,
    save_dir: PathBuf,
}
impl_has_io!(ImageSaver);

impl ImageSaver {
    /// Save the images under `inputs` into `save_dir`.
    pub fn new(inputs: impl Into<Keys>, save_dir: impl AsRef<Path>) -> Self {
        ImageSaver {
            io: OpIo::new(inputs, ()).with_default_mode("eval,test"),
            save_dir: save_dir.as_ref().to_path_buf(),
        }
    }
}

/// Encode one image tensor as an 8-bit grey or RGB PNG file at `path` (written atomically).
pub fn save_png(image: &Tensor, path: &Path) -> Result<()> {
    let png = encode_image_png(image, &path.display().to_string())?;
    crate::summary::logs::plot::write_atomically(path, &png)
}

/// Encode one image tensor as the bytes of an 8-bit grey or RGB PNG: `[H, W]`, `[C, H, W]` or
/// `[H, W, C]` with 1 or 3 channels; floats in [0, 1] (or [-1, 1], or 0–255) are scaled to
/// 0–255, u8 is kept as is. `what` (a key or a file) names the image in a shape error.
pub fn encode_image_png(image: &Tensor, what: &str) -> Result<Vec<u8>> {
    let shape_error = |expected: &str| FeError::unexpected_shape("ImageSaver", what, expected, &image.size());
    let t = image.detach().to_device(tch::Device::Cpu);
    let t = match t.dim() {
        2 => t.unsqueeze(-1),
        3 if matches!(t.size()[0], 1 | 3) && !matches!(t.size()[2], 1 | 3) => t.permute([1, 2, 0]),
        3 => t,
        _ => return Err(shape_error("an image [H, W], [C, H, W] or [H, W, C]")),
    };
    let (h, w, c) = (t.size()[0] as u32, t.size()[1] as u32, t.size()[2]);
    if h == 0 || w == 0 {
        return Err(shape_error("a non-empty image [H, W], [C, H, W] or [H, W, C]"));
    }
    let bytes = if t.kind() == Kind::Uint8 {
        t.contiguous()
    } else {
        let f = t.to_kind(Kind::Float);
        let f = if f.min().double_value(&[]) < 0.0 { (f + 1.0) / 2.0 } else { f };
        let f = if f.max().double_value(&[]) > 1.0 { f / 255.0 } else { f };
        (f.clamp(0.0, 1.0) * 255.0).round().to_kind(Kind::Uint8).contiguous()
    };
    let buf = Vec::<u8>::try_from(bytes.reshape([-1])).map_err(|e| FeError::torch("ImageSaver", e))?;
    let color = match c {
        1 => image::ExtendedColorType::L8,
        3 => image::ExtendedColorType::Rgb8,
        _ => return Err(shape_error("an image with 1 or 3 channels")),
    };
    let mut out = Vec::new();
    image::ImageEncoder::write_image(image::codecs::png::PngEncoder::new(&mut out), &buf, w, h, color).map_err(
        |e| FeError::InvalidValue {
            consumer: "ImageSaver".into(),
            key: what.to_string(),
            reason: format!("cannot encode: {e}"),
        },
    )?;
    Ok(out)
}

impl Trace for ImageSaver {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "ImageSaver".into()
    }

    fn bind(&mut self, _network: &crate::network::Network) -> Result<()> {
        std::fs::create_dir_all(&self.save_dir)
            .map_err(|e| FeError::io("ImageSaver: cannot create save_dir", &self.save_dir, e))
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        for key in &self.io.inputs {
            let Some(t) = data.tensor(key) else { continue };
            let stem = format!("{key}_{}_epoch_{}", system.mode, system.epoch_idx);
            if t.dim() == 4 {
                for i in 0..t.size()[0] {
                    let path = self.save_dir.join(format!("{stem}_elem_{i}.png"));
                    save_png(&t.get(i), &path)?;
                }
            } else {
                save_png(t, &self.save_dir.join(format!("{stem}.png")))?;
            }
            crate::output::log(&format!("FastEstimator-ImageSaver: saved {key} to {}", self.save_dir.display()));
        }
        Ok(())
    }
}
