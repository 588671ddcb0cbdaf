//! `Color`: change colour saturation by a random factor.

use super::pil_enhance::pil_enhance_op;
use crate::error::Result;
use crate::op::numpy::imgproc::gray;
use crate::op::numpy::imgproc::FloatImage;
use crate::op::OpIo;

/// Blend an RGB image with its greyscale version, `gray + f·(x − gray)` with `f = 1 + U(limit)`
/// (PIL's `ImageEnhance.Color`: 0 is grey, 1 the original). Single-channel images are unchanged.
/// `limit` defaults to 0.54.
pub struct Color {
    io: OpIo,
    limit: (f64, f64),
}

pil_enhance_op!(Color, &[1, 3], |fi: &mut FloatImage, f: f32| -> Result<()> {
    if fi.img.c == 3 {
        let u8 = fi.is_u8();
        for px in fi.img.data.chunks_exact_mut(3) {
            let mut g = gray(px[0], px[1], px[2]);
            if u8 {
                g = g.round();
            }
            px.iter_mut().for_each(|v| *v = g + f * (*v - g));
        }
    }
    Ok(())
});
