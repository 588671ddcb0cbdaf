//! Generated CIFAR-like pictures of ten shapes: the default data of the `cifar10_fast` and
//! `xai_cifar` apphub jobs, with no download.
//!
//! Each sample is a 32×32 colour picture (`u8` `[32, 32, 3]`, as ciFAIR-10's) of one of ten
//! shapes (disk, ring, square, frame, triangle, plus, cross, bars, stripes, diamond), in a colour
//! around its class hue (the hues of neighbouring classes are 36° apart, the jitter 15°), on a
//! random shaded background, with position, size and rotation jitter and pixel noise. The
//! classes are learnable but not trivially: colour alone confuses neighbours, shape alone
//! confuses the symmetric pairs.
//!
//! Determinism: sample `i` of split `split` depends only on `(seed, split, i)`; generation runs
//! in parallel and gives the same bytes for any thread count.
//!
//! Like every loader, a builder ([`SyntheticShapes`]) and an FE-style [`load_data`]:
//!
//! ```
//! use fastestimator as fe;
//! use fe::dataset::data::synthetic_shapes::SyntheticShapes;
//! let (train, eval, test) = SyntheticShapes::new().sizes(20, 10, 10).seed(42).load()?;
//! assert_eq!(fe::dataset::Dataset::len(&train), 20);
//! assert_eq!(fe::dataset::Dataset::len(&test), 10);
//! # Ok::<(), fe::FeError>(())
//! ```

use std::f64::consts::PI;

use ndarray::{Array2, Array4};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use crate::dataset::NumpyDataset;
use crate::error::Result;
use crate::util::{seeded_rng, FeRng};
use crate::value::Value;

/// The class names, in class-id order.
pub const CLASS_NAMES: [&str; 10] =
    ["disk", "ring", "square", "frame", "triangle", "plus", "cross", "bars", "stripes", "diamond"];

/// Side of a generated image.
pub const SIZE: usize = 32;

/// Loader options (see [`load_data`]): the sizes of the three splits (default 50 000 train,
/// 5 000 eval, 5 000 test, ciFAIR-10's), the seed (default 42) and the keys.
#[derive(Debug, Clone)]
pub struct SyntheticShapes {
    sizes: [usize; 3],
    seed: u64,
    image_key: String,
    label_key: String,
}

impl Default for SyntheticShapes {
    fn default() -> Self {
        SyntheticShapes { sizes: [50_000, 5_000, 5_000], seed: 42, image_key: "x".into(), label_key: "y".into() }
    }
}

image_label_keys!(SyntheticShapes);

impl SyntheticShapes {
    /// The number of train, eval and test samples.
    pub fn sizes(mut self, train: usize, eval: usize, test: usize) -> Self {
        self.sizes = [train, eval, test];
        self
    }

    /// The seed: the same seed gives the same bytes.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// `(train, eval, test)`: images `u8` `[32, 32, 3]` and labels `i64` `[1]` under the loader's
    /// keys; split `k` is [`shapes`]`(size, seed, k)`.
    pub fn load(&self) -> Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
        let split = |k: usize| generate(self.sizes[k], self.seed, k as u64, &self.image_key, &self.label_key);
        Ok((split(0)?, split(1)?, split(2)?))
    }
}

/// FE-style `load_data()`: the default [`SyntheticShapes`] `(train, eval, test)`, keys `x`, `y`.
pub fn load_data() -> Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
    SyntheticShapes::new().load()
}

/// `n` generated images `x` (`u8` `[n, 32, 32, 3]`, as ciFAIR-10's) with labels `y` (`[n, 1]`),
/// ten balanced classes in a shuffled order. Sample `i` depends only on `(seed, split, i)`.
pub fn shapes(n: usize, seed: u64, split: u64) -> Result<NumpyDataset> {
    generate(n, seed, split, "x", "y")
}

/// [`shapes`] under the keys given.
fn generate(n: usize, seed: u64, split: u64, image_key: &str, label_key: &str) -> Result<NumpyDataset> {
    let bytes = n
        .checked_mul(SIZE * SIZE * 3)
        .ok_or_else(|| crate::error::FeError::param("shapes", "n", format!("{n} images do not fit in memory")))?;
    let mut labels: Vec<usize> = (0..n).map(|i| i % 10).collect();
    labels.shuffle(&mut seeded_rng(seed, &[split, u64::MAX]));
    let mut pixels = vec![0u8; bytes];
    pixels.par_chunks_mut(SIZE * SIZE * 3).zip(labels.par_iter()).enumerate().for_each(|(i, (out, &label))| {
        render(label, &mut seeded_rng(seed, &[split, i as u64]), out);
    });
    let x = Array4::from_shape_vec((n, SIZE, SIZE, 3), pixels)
        .map_err(|e| crate::error::FeError::param("shapes", "n", e.to_string()))?;
    let y = Array2::from_shape_vec((n, 1), labels.into_iter().map(|l| l as i64).collect())
        .map_err(|e| crate::error::FeError::param("shapes", "n", e.to_string()))?;
    NumpyDataset::new([(image_key, Value::U8(x.into_dyn())), (label_key, Value::I64(y.into_dyn()))])
}

/// Draw one picture of class `label` into `out` (`32×32×3`, row-major).
fn render(label: usize, rng: &mut FeRng, out: &mut [u8]) {
    let hue = label as f64 * 36.0 + Normal::new(0.0, 15.0).expect("finite").sample(rng);
    let fg = hsv_to_rgb(hue, rng.gen_range(0.55..1.0), rng.gen_range(0.6..1.0));
    let bg: [f64; 3] = std::array::from_fn(|_| rng.gen_range(0.0..0.6));
    let gradient: [[f64; 2]; 3] = std::array::from_fn(|_| [rng.gen_range(-0.2..0.2), rng.gen_range(-0.2..0.2)]);
    let centre = [16.0 + rng.gen_range(-4.0..4.0), 16.0 + rng.gen_range(-4.0..4.0)];
    let radius = rng.gen_range(7.0..11.0);
    let (sin, cos) = rng.gen_range(-PI / 12.0..PI / 12.0).sin_cos();
    let noise = Normal::new(0.0, 0.06).expect("finite");
    for (k, px) in out.chunks_exact_mut(3).enumerate() {
        let (row, col) = ((k / SIZE) as f64 + 0.5, (k % SIZE) as f64 + 0.5);
        let (dx, dy) = (col - centre[0], row - centre[1]);
        let local = [(cos * dx + sin * dy) / radius, (-sin * dx + cos * dy) / radius];
        let alpha = (0.5 - sdf(label, local) * radius).clamp(0.0, 1.0);
        let (u, v) = (col / SIZE as f64 - 0.5, row / SIZE as f64 - 0.5);
        for c in 0..3 {
            let back = bg[c] + gradient[c][0] * u + gradient[c][1] * v;
            let value = back * (1.0 - alpha) + fg[c] * alpha + noise.sample(rng);
            px[c] = (value * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Signed distance (in units of the shape's radius; negative inside) from `p` to the outline of
/// class `label`'s shape. Every shape is symmetric under a horizontal flip, FE's augmentation.
fn sdf(label: usize, [x, y]: [f64; 2]) -> f64 {
    let len = |x: f64, y: f64| x.hypot(y);
    let rect = |x: f64, y: f64, hx: f64, hy: f64| {
        let (dx, dy) = (x.abs() - hx, y.abs() - hy);
        len(dx.max(0.0), dy.max(0.0)) + dx.max(dy).min(0.0)
    };
    let plus = |x: f64, y: f64| rect(x, y, 1.0, 0.28).min(rect(x, y, 0.28, 1.0));
    let bars = |x: f64, y: f64| {
        let nearest = [-0.66, 0.0, 0.66].iter().map(|b| (y - b).abs() - 0.17).fold(f64::INFINITY, f64::min);
        (x.abs() - 1.0).max(nearest)
    };
    match label {
        0 => len(x, y) - 1.0,
        1 => (len(x, y) - 0.75).abs() - 0.22,
        2 => rect(x, y, 0.8, 0.8),
        3 => rect(x, y, 0.78, 0.78).abs() - 0.18,
        4 => triangle(x, y),
        5 => plus(x, y),
        6 => plus((x + y) * std::f64::consts::FRAC_1_SQRT_2, (y - x) * std::f64::consts::FRAC_1_SQRT_2),
        7 => bars(x, y),
        8 => bars(y, x),
        _ => (x.abs() + y.abs() - 1.0) * std::f64::consts::FRAC_1_SQRT_2,
    }
}

/// Signed distance to an equilateral triangle of circumradius ~1, apex up (image `y` down).
fn triangle(x: f64, y: f64) -> f64 {
    let k = 3f64.sqrt();
    let (mut px, mut py) = (x.abs() - 0.87, -y - 0.87 / k);
    if px + k * py > 0.0 {
        (px, py) = ((px - k * py) / 2.0, (-k * px - py) / 2.0);
    }
    px -= px.clamp(-1.74, 0.0);
    -px.hypot(py) * py.signum()
}

/// HSV (hue in degrees) to RGB in [0, 1].
fn hsv_to_rgb(hue: f64, s: f64, v: f64) -> [f64; 3] {
    let h = hue.rem_euclid(360.0) / 60.0;
    let c = v * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r + m, g + m, b + m]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;

    #[test]
    fn the_builder_gives_the_splits_of_shapes_under_its_keys() {
        let (train, eval, test) =
            SyntheticShapes::new().sizes(12, 6, 4).seed(3).image_key("image").label_key("label").load().unwrap();
        assert_eq!((train.len(), eval.len(), test.len()), (12, 6, 4));
        for (split, data) in [(0, &train), (2, &test)] {
            let reference = shapes(data.len(), 3, split).unwrap();
            for i in 0..data.len() {
                let (got, want) = (data.get(i).unwrap(), reference.get(i).unwrap());
                assert_eq!(got["image"], want["x"]);
                assert_eq!(got["label"], want["y"]);
            }
        }
        assert_ne!(train.get(0).unwrap()["image"], eval.get(0).unwrap()["image"]);
    }
}
