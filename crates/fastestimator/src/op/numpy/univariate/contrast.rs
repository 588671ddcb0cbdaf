//! `Contrast`: change contrast by a random factor.

use super::pil_enhance::pil_enhance_op;
use crate::error::Result;
use crate::op::numpy::imgproc::gray;
use crate::op::numpy::imgproc::FloatImage;
use crate::op::OpIo;

/// Blend with the image's mean grey level, `mean + f·(x − mean)` with `f = 1 + U(limit)` (PIL's
/// `ImageEnhance.Contrast`: 0 is flat grey, 1 the original). `limit` defaults to 0.54.
pub struct Contrast {
    io: OpIo,
    limit: (f64, f64),
}

pil_enhance_op!(Contrast, &[1, 3], |fi: &mut FloatImage, f: f32| -> Result<()> {
    let c = fi.img.c;
    let n = (fi.img.h * fi.img.w) as f64;
    let sum: f64 = if c == 3 {
        fi.img.data.chunks_exact(3).map(|p| f64::from(gray(p[0], p[1], p[2]))).sum()
    } else {
        fi.img.data.iter().map(|&v| f64::from(v)).sum()
    };
    let mut mean = (sum / n) as f32;
    if fi.is_u8() {
        mean = (mean + 0.5).floor();
    }
    fi.img.data.iter_mut().for_each(|v| *v = mean + f * (*v - mean));
    Ok(())
});
