//! `Sharpness`: sharpen or blur by a random factor.

use super::pil_enhance::pil_enhance_op;
use crate::error::Result;
use crate::op::numpy::imgproc::pil_smooth;
use crate::op::numpy::imgproc::FloatImage;
use crate::op::OpIo;

/// Blend with a smoothed copy, `smooth + f·(x − smooth)` with `f = 1 + U(limit)` (PIL's
/// `ImageEnhance.Sharpness`: 0 blurs, 1 is the original, 2 sharpens). `limit` defaults to 0.54.
pub struct Sharpness {
    io: OpIo,
    limit: (f64, f64),
}

pil_enhance_op!(Sharpness, &[], |fi: &mut FloatImage, f: f32| -> Result<()> {
    let smooth = pil_smooth(&fi.img);
    let u8 = fi.is_u8();
    for (v, s) in fi.img.data.iter_mut().zip(smooth.data) {
        let s = if u8 { s.round() } else { s };
        *v = s + f * (*v - s);
    }
    Ok(())
});
