//! `CoarseDropout`: cut out random rectangles.

use super::{each, randint};
use crate::error::Result;
use crate::op::numpy::imgproc::{map_image, Pixel};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::FeRng;
use crate::value::Value;

/// Fill `U{min_holes..=max_holes}` rectangles of `U{min_height..=max_height}` ×
/// `U{min_width..=max_width}` pixels at random positions with `fill_value` (albumentations'
/// `CoarseDropout`; defaults 8 holes of 8×8, minimums equal to the maximums, fill 0 on the
/// image's own scale). Holes larger than the image are clipped to it.
pub struct CoarseDropout {
    io: OpIo,
    holes: (usize, usize),
    height: (usize, usize),
    width: (usize, usize),
    fill_value: f32,
    mins_set: (bool, bool, bool),
}
impl_has_io!(CoarseDropout);

impl CoarseDropout {
    /// FE's defaults: 8 holes of 8×8 pixels, filled with 0.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        CoarseDropout {
            io: OpIo::new(inputs, outputs),
            holes: (8, 8),
            height: (8, 8),
            width: (8, 8),
            fill_value: 0.0,
            mins_set: (false, false, false),
        }
    }

    fn check(mut self) -> Self {
        for (name, (lo, hi)) in [("holes", self.holes), ("height", self.height), ("width", self.width)] {
            if lo > hi {
                self.io.reject(&format!("min_{name}"), format!("min_{name} {lo} exceeds max_{name} {hi}"));
            }
        }
        if self.height.0 == 0 || self.width.0 == 0 {
            self.io.reject("min_height/min_width", "holes must be at least 1 pixel");
        }
        self
    }

    /// The most holes (and the fewest too, unless `min_holes` is set).
    pub fn max_holes(mut self, n: usize) -> Self {
        self.holes = (if self.mins_set.0 { self.holes.0 } else { n }, n);
        self.check()
    }

    /// The fewest holes.
    pub fn min_holes(mut self, n: usize) -> Self {
        self.holes.0 = n;
        self.mins_set.0 = true;
        self.check()
    }

    /// The tallest hole in pixels (and the shortest, unless `min_height` is set).
    pub fn max_height(mut self, n: usize) -> Self {
        self.height = (if self.mins_set.1 { self.height.0 } else { n }, n);
        self.check()
    }

    /// The shortest hole in pixels.
    pub fn min_height(mut self, n: usize) -> Self {
        self.height.0 = n;
        self.mins_set.1 = true;
        self.check()
    }

    /// The widest hole in pixels (and the narrowest, unless `min_width` is set).
    pub fn max_width(mut self, n: usize) -> Self {
        self.width = (if self.mins_set.2 { self.width.0 } else { n }, n);
        self.check()
    }

    /// The narrowest hole in pixels.
    pub fn min_width(mut self, n: usize) -> Self {
        self.width.0 = n;
        self.mins_set.2 = true;
        self.check()
    }

    /// The fill value, on the image's scale.
    pub fn fill_value(mut self, v: f32) -> Self {
        self.fill_value = v;
        self
    }

    /// Draw the holes `(y, x, height, width)` for an `h × w` image.
    fn holes(&self, rng: &mut FeRng, h: usize, w: usize) -> Vec<(usize, usize, usize, usize)> {
        let n = randint(rng, self.holes.0 as i64, self.holes.1 as i64);
        (0..n)
            .map(|_| {
                let hh = (randint(rng, self.height.0 as i64, self.height.1 as i64) as usize).min(h);
                let ww = (randint(rng, self.width.0 as i64, self.width.1 as i64) as usize).min(w);
                let y = randint(rng, 0, (h - hh) as i64) as usize;
                let x = randint(rng, 0, (w - ww) as i64) as usize;
                (y, x, hh, ww)
            })
            .collect()
    }
}

impl NumpyOp for CoarseDropout {
    fn name(&self) -> String {
        "CoarseDropout".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let mut holes = None;
        each("CoarseDropout", &self.io, data, |v, key| {
            Ok(map_image!(v, "CoarseDropout", key, |img| {
                let mut img = img;
                let holes = holes.get_or_insert_with(|| self.holes(rng, img.h, img.w));
                let fill = Pixel::from_f32(self.fill_value);
                for &(y, x, hh, ww) in holes.iter() {
                    for r in y..(y + hh).min(img.h) {
                        let start = (r * img.w + x) * img.c;
                        let end = (r * img.w + (x + ww).min(img.w)) * img.c;
                        img.data[start..end].fill(fill);
                    }
                }
                Ok::<_, crate::FeError>(img)
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::Mode;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn one_hole_of_eight_by_eight() {
        let op = CoarseDropout::new("x", "x").max_holes(1).fill_value(0.0);
        let x = Value::U8(ArrayD::from_elem(IxDyn(&[32, 32, 3]), 9));
        let Value::U8(out) = op.forward(vec![x], &mut OpState::new(Mode::Train, 1, "", 0, 0, 0)).unwrap().remove(0)
        else {
            panic!()
        };
        assert_eq!(out.iter().filter(|&&v| v == 0).count(), 8 * 8 * 3);
        let bad = CoarseDropout::new("x", "x").max_holes(2).min_holes(3);
        assert!(crate::op::HasIo::io(&bad).validate("CoarseDropout").is_err());
    }
}
