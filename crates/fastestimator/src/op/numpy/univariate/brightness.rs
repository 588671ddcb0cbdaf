//! `Brightness`: scale pixel values by a random factor.

use super::pil_enhance::pil_enhance_op;
use crate::error::Result;
use crate::op::numpy::imgproc::FloatImage;
use crate::op::OpIo;

/// Multiply by `1 + U(limit)` (PIL's `ImageEnhance.Brightness`: factor 0 is black, 1 the
/// original). `limit` defaults to 0.54, i.e. the range (-0.54, 0.54).
pub struct Brightness {
    io: OpIo,
    limit: (f64, f64),
}

pil_enhance_op!(Brightness, &[], |fi: &mut FloatImage, f: f32| -> Result<()> {
    fi.img.data.iter_mut().for_each(|v| *v *= f);
    Ok(())
});
