//! `CLAHE`: contrast-limited adaptive histogram equalisation.

use super::{check_range, each_image, uniform};
use crate::error::Result;
use crate::op::numpy::imgproc::{clahe, lab_to_rgb, rgb_to_lab};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// CLAHE (albumentations' `CLAHE`): the clip limit is drawn from `[1, clip_limit]` (default 4)
/// and tiles form a `tile_grid_size` grid (default 8×8). Grey images are equalised directly; RGB
/// images on the L channel of L*a*b*, as albumentations does. Float images are quantised to 8-bit
/// levels for the histograms.
#[allow(clippy::upper_case_acronyms)]
pub struct CLAHE {
    io: OpIo,
    clip_limit: (f64, f64),
    tile_grid_size: (usize, usize),
}
impl_has_io!(CLAHE);

impl CLAHE {
    /// Clip limit 1–4, 8×8 tiles.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        CLAHE { io: OpIo::new(inputs, outputs), clip_limit: (1.0, 4.0), tile_grid_size: (8, 8) }
    }

    /// Clip limits drawn from `[1, limit]`.
    pub fn clip_limit(mut self, limit: f64) -> Self {
        check_range(&mut self.io, "clip_limit", (1.0, limit), 1.0, f64::MAX);
        self.clip_limit = (1.0, limit);
        self
    }

    /// The tile grid (rows, columns), each at least 1.
    pub fn tile_grid_size(mut self, rows: usize, cols: usize) -> Self {
        if rows == 0 || cols == 0 {
            self.io.reject("tile_grid_size", "needs at least one tile per axis");
        }
        self.tile_grid_size = (rows, cols);
        self
    }
}

impl NumpyOp for CLAHE {
    fn name(&self) -> String {
        "CLAHE".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let clip = uniform(state.rng(), self.clip_limit);
        each_image("CLAHE", &self.io, data, &[1, 3], |fi, _| {
            let (h, w, max) = (fi.img.h, fi.img.w, fi.max);
            let to_level = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
            if fi.img.c == 1 {
                let mut levels: Vec<u8> = fi.img.data.iter().map(|&v| to_level(v / max)).collect();
                clahe(&mut levels, h, w, clip, self.tile_grid_size);
                fi.img.data.iter_mut().zip(levels).for_each(|(v, l)| *v = f32::from(l) / 255.0 * max);
                return Ok(());
            }
            let labs: Vec<(f32, f32, f32)> =
                fi.img.data.chunks_exact(3).map(|p| rgb_to_lab(p[0] / max, p[1] / max, p[2] / max)).collect();
            let mut levels: Vec<u8> = labs.iter().map(|&(l, _, _)| to_level(l / 100.0)).collect();
            clahe(&mut levels, h, w, clip, self.tile_grid_size);
            for ((p, &(_, a, b)), l) in fi.img.data.chunks_exact_mut(3).zip(&labs).zip(levels) {
                let (r, g, bb) = lab_to_rgb(f32::from(l) / 255.0 * 100.0, a, b);
                p.copy_from_slice(&[r * max, g * max, bb * max]);
            }
            Ok(())
        })
    }
}
