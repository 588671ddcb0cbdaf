//! `RandomShapes`: draw semi-transparent random shapes onto images.

use rand::Rng;

use super::{check_range, check_rua_coef, each_image, randint, uniform};
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::FeRng;
use crate::value::Value;

/// Overlay 1 to `max_shapes` random rectangles, circles and triangles (skimage's
/// `random_shapes`, as FE), each channel's colour drawn from `intensity_range` (0–254 on the
/// 8-bit scale), blended with opacity `U(transparency_range)`. `max_size` bounds a shape's extent
/// in pixels (default: the image size).
///
/// RUA level `c` (FE's rule): `max_shapes ← ceil(c·max_shapes)`, `max_size ← ceil(c·max_size)`,
/// and the opacity range keeps its minimum while its width is scaled by `c`.
pub struct RandomShapes {
    io: OpIo,
    max_shapes: usize,
    max_size: Option<usize>,
    intensity_range: (u8, u8),
    transparency_range: (f64, f64),
}
impl_has_io!(RandomShapes);

enum Shape {
    Rect { y0: f64, x0: f64, y1: f64, x1: f64 },
    Circle { cy: f64, cx: f64, r: f64 },
    Triangle { pts: [(f64, f64); 3] },
}

impl Shape {
    fn contains(&self, y: f64, x: f64) -> bool {
        match *self {
            Shape::Rect { y0, x0, y1, x1 } => (y0..y1).contains(&y) && (x0..x1).contains(&x),
            Shape::Circle { cy, cx, r } => (y - cy).powi(2) + (x - cx).powi(2) <= r * r,
            Shape::Triangle { pts } => {
                let sign = |(ay, ax): (f64, f64), (by, bx): (f64, f64)| (bx - ax) * (y - ay) - (by - ay) * (x - ax);
                let d = [sign(pts[0], pts[1]), sign(pts[1], pts[2]), sign(pts[2], pts[0])];
                d.iter().all(|&v| v >= 0.0) || d.iter().all(|&v| v <= 0.0)
            }
        }
    }

    fn random(rng: &mut FeRng, h: usize, w: usize, max_size: usize) -> Shape {
        let size = randint(rng, 2.min(max_size as i64), max_size as i64).max(1) as f64;
        let (y, x) = (rng.gen_range(0.0..h as f64), rng.gen_range(0.0..w as f64));
        match rng.gen_range(0..3) {
            0 => {
                let (sh, sw) = (uniform(rng, (1.0, size)), uniform(rng, (1.0, size)));
                Shape::Rect { y0: y, x0: x, y1: y + sh, x1: x + sw }
            }
            1 => Shape::Circle { cy: y, cx: x, r: size / 2.0 },
            _ => Shape::Triangle {
                pts: [(y + size, x), (y + size, x + size), (y + size - size * 0.866, x + size / 2.0)],
            },
        }
    }
}

impl RandomShapes {
    /// FE's defaults: up to 3 shapes, intensities 0–254, opacity 0.1–0.9.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        RandomShapes {
            io: OpIo::new(inputs, outputs),
            max_shapes: 3,
            max_size: None,
            intensity_range: (0, 254),
            transparency_range: (0.1, 0.9),
        }
    }

    /// The most shapes per image.
    pub fn max_shapes(mut self, n: usize) -> Self {
        self.max_shapes = n;
        self
    }

    /// The largest shape extent in pixels (at least 2).
    pub fn max_size(mut self, size: usize) -> Self {
        if size < 2 {
            self.io.reject("max_size", "must be at least 2");
        }
        self.max_size = Some(size);
        self
    }

    /// Colour range per channel on the 8-bit scale (within 0–254).
    pub fn intensity_range(mut self, lo: u8, hi: u8) -> Self {
        if lo > hi || hi > 254 {
            self.io.reject("intensity_range", format!("({lo}, {hi}) should be in [0, 254]"));
        }
        self.intensity_range = (lo, hi);
        self
    }

    /// Opacity range within [0, 1] (0 invisible, 1 opaque).
    pub fn transparency_range(mut self, lo: f64, hi: f64) -> Self {
        check_range(&mut self.io, "transparency_range", (lo, hi), 0.0, 1.0);
        self.transparency_range = (lo, hi);
        self
    }
}

impl NumpyOp for RandomShapes {
    fn name(&self) -> String {
        "RandomShapes".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        each_image("RandomShapes", &self.io, data, &[], |fi, _| {
            let (h, w, c) = (fi.img.h, fi.img.w, fi.img.c);
            let max_size = self.max_size.unwrap_or(h.max(w)).max(1);
            let n = if self.max_shapes == 0 { 0 } else { randint(rng, 1, self.max_shapes as i64) as usize };
            let mut overlay: Vec<Option<usize>> = vec![None; h * w];
            let mut colours = Vec::with_capacity(n);
            for s in 0..n {
                let shape = Shape::random(rng, h, w, max_size);
                let (lo, hi) = self.intensity_range;
                colours.push((0..c).map(|_| f32::from(rng.gen_range(lo..=hi))).collect::<Vec<f32>>());
                for (i, slot) in overlay.iter_mut().enumerate() {
                    if shape.contains((i / w) as f64 + 0.5, (i % w) as f64 + 0.5) {
                        *slot = Some(s);
                    }
                }
            }
            let alpha = uniform(rng, self.transparency_range) as f32;
            let scale = fi.max / 255.0;
            for (i, slot) in overlay.iter().enumerate() {
                if let Some(s) = slot {
                    for (v, colour) in fi.img.data[i * c..(i + 1) * c].iter_mut().zip(&colours[*s]) {
                        *v = colour * scale * alpha + *v * (1.0 - alpha);
                    }
                }
            }
            Ok(())
        })
    }

    fn set_rua_level(&mut self, magnitude_coef: f64) -> Result<()> {
        check_rua_coef("RandomShapes", magnitude_coef)?;
        self.max_shapes = (magnitude_coef * self.max_shapes as f64).ceil() as usize;
        self.max_size = self.max_size.map(|s| ((magnitude_coef * s as f64).ceil() as usize).max(2));
        let (lo, hi) = self.transparency_range;
        self.transparency_range = (lo, lo + (hi - lo) * magnitude_coef);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn draws_something_within_bounds() {
        let op = RandomShapes::new("x", "x").transparency_range(1.0, 1.0).intensity_range(200, 200);
        let x = Value::U8(ArrayD::zeros(IxDyn(&[16, 16, 3])));
        let mut changed = 0;
        for i in 0..10 {
            let mut st = OpState::new(Mode::Train, 1, "", 1, i, 0);
            let Value::U8(out) = op.forward(vec![x.clone()], &mut st).unwrap().remove(0) else { panic!() };
            assert!(out.iter().all(|&v| v == 0 || v == 200));
            changed += out.iter().filter(|&&v| v == 200).count();
        }
        assert!(changed > 0);
    }
}
