//! Procedurally rendered, MNIST-like handwritten digits.
//!
//! This module exists so that tests and the default demo have a realistic digit data set without
//! any download. Every image is 28×28 `u8`, background near 0 and strokes bright, like MNIST.
//!
//! How one sample is made (all randomness from that sample's own RNG):
//!
//! 1. **Glyph.** The digit's skeleton is defined in code as strokes (lines, quadratic and cubic
//!    Bézier curves, elliptic arcs) in a unit box (x right, y down, height 1). Each named control
//!    point is jittered with gaussian noise before the curves are sampled into polylines; points
//!    shared by two pieces are jittered once, so strokes stay connected. Some digits have style
//!    variants (a `1` with or without flag and base, an open or closed `4`, a `7` with or without
//!    crossbar, three `9` tails, ...).
//! 2. **Warp.** A smooth low-frequency displacement field bends the sampled strokes a little, like
//!    an unsteady hand.
//! 3. **Affine.** Rotation, anisotropic scale, shear (slant) and a translation of a few pixels map
//!    the glyph into the 28×28 image.
//! 4. **Render.** Each polyline segment is drawn anti-aliased with a random pen width: a pixel's
//!    coverage is `clamp(r + 0.5 - d, 0, 1)` where `d` is the distance from the pixel centre to
//!    the segment and `r` the pen radius. Only the pixels in a segment's bounding box are visited,
//!    which keeps rendering fast.
//! 5. **Photometric.** Optional gaussian blur, a random gain and peak intensity, and additive
//!    noise; the result is clamped to `u8`.
//!
//! Determinism: the RNG of sample `i` is a ChaCha8 stream keyed by `(seed, stream)` with stream
//! position `i`, so each sample is independent of every other. Generation runs in parallel with
//! rayon and the bytes are identical for any thread count. Train, eval and test use different
//! `stream` values and therefore never share samples.

use crate::dataset::NumpyDataset;
use ndarray::{Array1, Array3, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Image height and width in pixels.
pub const IMAGE_SIZE: usize = 28;

/// Number of digit classes.
pub const NUM_CLASSES: usize = 10;

/// Stream id used by [`load_arrays`] for the training split.
pub const STREAM_TRAIN: u64 = 0;
/// Stream id used by [`load_arrays`] for the evaluation split.
pub const STREAM_EVAL: u64 = 1;
/// Stream id used by [`load_arrays`] for the test split.
pub const STREAM_TEST: u64 = 2;

const PIXELS: usize = IMAGE_SIZE * IMAGE_SIZE;

/// Domain-separation tags mixed into the RNG key so image and label RNGs never coincide.
const IMAGE_TAG: u64 = 0x6665_2d64_6967_6974; // "fe-digit"
const LABEL_TAG: u64 = 0x6665_2d6c_6162_656c; // "fe-label"

/// Configuration of the three splits (sizes default to train 20 000, eval 4 000, test 4 000;
/// seed defaults to 42).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyntheticDigitsConfig {
    /// Number of training samples.
    pub train_size: usize,
    /// Number of evaluation samples.
    pub eval_size: usize,
    /// Number of test samples.
    pub test_size: usize,
    /// Seed shared by all splits (the splits differ by their stream id).
    pub seed: u64,
}

impl Default for SyntheticDigitsConfig {
    fn default() -> Self {
        Self { train_size: 20_000, eval_size: 4_000, test_size: 4_000, seed: 42 }
    }
}

/// One split: images `[n, 28, 28]` (`u8`) and labels `[n]` (`i64`, in `0..=9`).
///
/// Classes are balanced: the labels are `i % 10` for `i in 0..n`, shuffled by a seeded RNG, so
/// every class occurs `n / 10` or `n / 10 + 1` times, in a random but reproducible order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitArrays {
    /// Images, shape `[n, 28, 28]`, background near 0 and strokes bright.
    pub images: Array3<u8>,
    /// Labels, shape `[n]`, values in `0..=9`.
    pub labels: Array1<i64>,
}

/// Generates `n` samples of stream `stream` (use a different stream per split so splits never
/// share samples).
///
/// The result depends only on `(n, seed, stream)` — not on the rayon thread count — and sample
/// `i`'s image depends only on `(seed, stream, i)` and its label.
///
/// # Panics
///
/// Only if `n × 784` bytes cannot be allocated (like any `Vec` allocation).
pub fn generate(n: usize, seed: u64, stream: u64) -> DigitArrays {
    let labels = balanced_labels(n, seed, stream);
    let mut buf = vec![0u8; n * PIXELS];
    let key = rng_key(seed, stream, IMAGE_TAG);
    buf.par_chunks_mut(PIXELS).zip(labels.par_iter()).enumerate().for_each(|(i, (out, &label))| {
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(i as u64);
        render_sample(label, &mut rng, out);
    });
    let images =
        Array3::from_shape_vec((n, IMAGE_SIZE, IMAGE_SIZE), buf).expect("buffer length is n * 28 * 28 by construction");
    let labels = Array1::from_iter(labels.into_iter().map(i64::from));
    DigitArrays { images, labels }
}

/// Generates the `(train, eval, test)` splits described by `cfg`, using streams
/// [`STREAM_TRAIN`], [`STREAM_EVAL`] and [`STREAM_TEST`].
pub fn load_arrays(cfg: &SyntheticDigitsConfig) -> (DigitArrays, DigitArrays, DigitArrays) {
    (
        generate(cfg.train_size, cfg.seed, STREAM_TRAIN),
        generate(cfg.eval_size, cfg.seed, STREAM_EVAL),
        generate(cfg.test_size, cfg.seed, STREAM_TEST),
    )
}

/// Renders a grayscale image as text, two characters per pixel (so the aspect looks right in a
/// terminal), one line per row, darkest `' '` to brightest `'@'`.
pub fn ascii_art(img: ArrayView2<u8>) -> String {
    const RAMP: &[u8] = b" .:-=+*#%@";
    let mut out = String::with_capacity(img.nrows() * (2 * img.ncols() + 1));
    for row in img.rows() {
        for &v in row {
            let c = RAMP[usize::from(v) * (RAMP.len() - 1) / 255] as char;
            out.push(c);
            out.push(c);
        }
        out.push('\n');
    }
    out
}

/// Builds a 32-byte ChaCha key from the seed, the stream and a domain tag.
fn rng_key(seed: u64, stream: u64, tag: u64) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&stream.to_le_bytes());
    key[16..24].copy_from_slice(&tag.to_le_bytes());
    key[24..].copy_from_slice(&0x5eed_da7a_0000_0001u64.to_le_bytes());
    key
}

/// `i % 10` for `i in 0..n`, Fisher–Yates shuffled with an RNG keyed by `(seed, stream)`.
fn balanced_labels(n: usize, seed: u64, stream: u64) -> Vec<u8> {
    let mut labels: Vec<u8> = (0..n).map(|i| (i % NUM_CLASSES) as u8).collect();
    let mut rng = ChaCha8Rng::from_seed(rng_key(seed, stream, LABEL_TAG));
    for i in (1..labels.len()).rev() {
        let j = rng.gen_range(0..=i);
        labels.swap(i, j);
    }
    labels
}

// ---------------------------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------------------------

/// A 2-D point (glyph units or pixels, depending on the stage).
#[derive(Debug, Clone, Copy, PartialEq)]
struct P {
    x: f32,
    y: f32,
}

const fn p(x: f32, y: f32) -> P {
    P { x, y }
}

/// A polyline, sampled from one pen stroke.
type Stroke = Vec<P>;

/// Number of points used to sample a Bézier curve.
const CURVE_STEPS: usize = 12;

/// Appends `pts` to `s`, skipping the first point if it repeats the current last point.
fn extend(s: &mut Stroke, pts: impl IntoIterator<Item = P>) {
    for q in pts {
        if s.last() != Some(&q) {
            s.push(q);
        }
    }
}

fn cubic(a: P, b: P, c: P, d: P) -> impl Iterator<Item = P> {
    (0..=CURVE_STEPS).map(move |k| {
        let t = k as f32 / CURVE_STEPS as f32;
        let u = 1.0 - t;
        let (w0, w1, w2, w3) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
        p(w0 * a.x + w1 * b.x + w2 * c.x + w3 * d.x, w0 * a.y + w1 * b.y + w2 * c.y + w3 * d.y)
    })
}

fn quad(a: P, b: P, c: P) -> impl Iterator<Item = P> {
    (0..=CURVE_STEPS).map(move |k| {
        let t = k as f32 / CURVE_STEPS as f32;
        let u = 1.0 - t;
        let (w0, w1, w2) = (u * u, 2.0 * u * t, t * t);
        p(w0 * a.x + w1 * b.x + w2 * c.x, w0 * a.y + w1 * b.y + w2 * c.y)
    })
}

/// Elliptic arc from angle `a0` to `a1` (degrees; 0° = +x, 90° = down since y points down).
fn arc(c: P, rx: f32, ry: f32, a0: f32, a1: f32) -> impl Iterator<Item = P> {
    let steps = ((a1 - a0).abs() / 12.0).ceil().max(2.0) as usize;
    (0..=steps).map(move |k| {
        let t = (a0 + (a1 - a0) * k as f32 / steps as f32).to_radians();
        p(c.x + rx * t.cos(), c.y + ry * t.sin())
    })
}

// ---------------------------------------------------------------------------------------------
// Randomness helpers
// ---------------------------------------------------------------------------------------------

/// Standard normal sample (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f32 = rng.gen_range(f32::EPSILON..1.0);
    let u2: f32 = rng.r#gen();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// Draws jittered glyph control points.
struct Pen<'a> {
    rng: &'a mut ChaCha8Rng,
    /// Standard deviation of control-point jitter, in glyph units (glyph height = 1).
    sigma: f32,
}

impl Pen<'_> {
    /// A control point near `(x, y)`.
    fn p(&mut self, x: f32, y: f32) -> P {
        let dx = self.sigma * normal(self.rng);
        let dy = self.sigma * normal(self.rng);
        p(x + dx, y + dy)
    }

    /// A length near `v` (relative jitter `rel`).
    fn len(&mut self, v: f32, rel: f32) -> f32 {
        v * (1.0 + rel * normal(self.rng)).clamp(0.6, 1.4)
    }

    /// Uniform sample in `[lo, hi)`.
    fn uni(&mut self, lo: f32, hi: f32) -> f32 {
        self.rng.gen_range(lo..hi)
    }

    /// `true` with probability `prob`.
    fn chance(&mut self, prob: f64) -> bool {
        self.rng.gen_bool(prob)
    }
}

// ---------------------------------------------------------------------------------------------
// Glyphs (unit box: x in ~[0.15, 0.85], y in [0, 1], y down)
// ---------------------------------------------------------------------------------------------

/// Builds the jittered skeleton of `digit` as polylines in glyph units.
fn glyph(digit: u8, pen: &mut Pen) -> Vec<Stroke> {
    match digit {
        0 => glyph_0(pen),
        1 => glyph_1(pen),
        2 => glyph_2(pen),
        3 => glyph_3(pen),
        4 => glyph_4(pen),
        5 => glyph_5(pen),
        6 => glyph_6(pen),
        7 => glyph_7(pen),
        8 => glyph_8(pen),
        _ => glyph_9(pen),
    }
}

fn glyph_0(pen: &mut Pen) -> Vec<Stroke> {
    let c = pen.p(0.5, 0.5);
    let rx = pen.len(0.27, 0.15);
    let ry = pen.len(0.47, 0.04);
    let start = pen.uni(-120.0, -60.0);
    let overlap = pen.uni(0.0, 30.0);
    let mut s = Vec::new();
    extend(&mut s, arc(c, rx, ry, start, start - 360.0 - overlap));
    vec![s]
}

fn glyph_1(pen: &mut Pen) -> Vec<Stroke> {
    let top = pen.p(0.53, 0.02);
    let bot = pen.p(0.47, 0.98);
    let mut s = Vec::new();
    if pen.chance(0.4) {
        s.push(pen.p(0.36, 0.2));
    }
    s.push(top);
    s.push(bot);
    let mut strokes = vec![s];
    if pen.chance(0.15) {
        strokes.push(vec![pen.p(0.3, 0.98), pen.p(0.66, 0.98)]);
    }
    strokes
}

fn glyph_2(pen: &mut Pen) -> Vec<Stroke> {
    let a = pen.p(0.2, 0.24);
    let b = pen.p(0.76, 0.3);
    let corner = pen.p(0.18, 0.96);
    let end = pen.p(0.84, 0.96);
    let mut s = Vec::new();
    extend(&mut s, cubic(a, pen.p(0.24, -0.04), pen.p(0.8, -0.04), b));
    extend(&mut s, cubic(b, pen.p(0.74, 0.54), pen.p(0.42, 0.72), corner));
    if pen.chance(0.3) {
        extend(&mut s, quad(corner, pen.p(0.5, 0.86), end));
    } else {
        s.push(end);
    }
    vec![s]
}

fn glyph_3(pen: &mut Pen) -> Vec<Stroke> {
    let a = pen.p(0.2, 0.14);
    let b = pen.p(0.72, 0.26);
    let m = pen.p(0.42, 0.47);
    let d = pen.p(0.78, 0.73);
    let e = pen.p(0.18, 0.86);
    let mut s = Vec::new();
    extend(&mut s, cubic(a, pen.p(0.34, -0.04), pen.p(0.84, -0.02), b));
    extend(&mut s, cubic(b, pen.p(0.66, 0.42), pen.p(0.52, 0.47), m));
    extend(&mut s, cubic(m, pen.p(0.74, 0.45), pen.p(0.84, 0.6), d));
    extend(&mut s, cubic(d, pen.p(0.72, 1.0), pen.p(0.32, 1.02), e));
    vec![s]
}

fn glyph_4(pen: &mut Pen) -> Vec<Stroke> {
    if pen.chance(0.5) {
        // Closed (printed) 4: diagonal from the top of the stem, bar, stem.
        let top = pen.p(0.62, 0.02);
        let left = pen.p(0.16, 0.66);
        let right = pen.p(0.84, 0.66);
        let bot = pen.p(0.62, 0.98);
        vec![vec![top, left, right], vec![top, bot]]
    } else {
        // Open (handwritten) 4: an L shape and a separate stem.
        let a = pen.p(0.24, 0.04);
        let corner = pen.p(0.2, 0.6);
        let right = pen.p(0.84, 0.6);
        let stem_top = pen.p(0.66, 0.12);
        let stem_bot = pen.p(0.64, 0.98);
        vec![vec![a, corner, right], vec![stem_top, stem_bot]]
    }
}

fn glyph_5(pen: &mut Pen) -> Vec<Stroke> {
    let tr = pen.p(0.78, 0.04);
    let tl = pen.p(0.3, 0.04);
    let ml = pen.p(0.26, 0.46);
    let d = pen.p(0.8, 0.68);
    let e = pen.p(0.18, 0.86);
    let mut body = Vec::new();
    extend(&mut body, [tl, ml]);
    extend(&mut body, cubic(ml, pen.p(0.42, 0.34), pen.p(0.84, 0.36), d));
    extend(&mut body, cubic(d, pen.p(0.76, 1.0), pen.p(0.34, 1.02), e));
    if pen.chance(0.5) {
        // One continuous stroke starting at the top right.
        let mut s = vec![tr];
        extend(&mut s, body);
        vec![s]
    } else {
        // Body first, top bar added as a separate stroke.
        let bar_start = pen.p(0.3, 0.04);
        vec![body, vec![bar_start, tr]]
    }
}

fn glyph_6(pen: &mut Pen) -> Vec<Stroke> {
    let c = pen.p(0.5, 0.7);
    let rx = pen.len(0.26, 0.12);
    let ry = pen.len(0.27, 0.1);
    let left = p(c.x - rx, c.y);
    let start = pen.p(0.72, 0.04);
    let mut s = Vec::new();
    extend(&mut s, cubic(start, pen.p(0.46, 0.1), pen.p(0.24, 0.36), left));
    extend(&mut s, arc(c, rx, ry, 180.0, -180.0));
    vec![s]
}

fn glyph_7(pen: &mut Pen) -> Vec<Stroke> {
    let a = pen.p(0.18, 0.05);
    let b = pen.p(0.82, 0.04);
    let c = pen.p(0.42, 0.98);
    let mut s = Vec::new();
    if pen.chance(0.25) {
        s.push(pen.p(0.17, 0.16));
    }
    s.push(a);
    extend(&mut s, quad(b, pen.p(0.62, 0.5), c));
    let mut strokes = vec![s];
    if pen.chance(0.25) {
        strokes.push(vec![pen.p(0.44, 0.52), pen.p(0.78, 0.5)]);
    }
    strokes
}

fn glyph_8(pen: &mut Pen) -> Vec<Stroke> {
    let top_c = pen.p(0.5, 0.25);
    let top_rx = pen.len(0.21, 0.12);
    let top_ry = pen.len(0.22, 0.08);
    let bot_rx = pen.len(0.27, 0.1);
    let bot_ry = pen.len(0.26, 0.06);
    let shift = pen.uni(-0.05, 0.05);
    let bot_c = p(top_c.x + shift, top_c.y + top_ry + bot_ry - 0.02);
    let mut upper = Vec::new();
    extend(&mut upper, arc(top_c, top_rx, top_ry, 90.0, 450.0));
    let mut lower = Vec::new();
    extend(&mut lower, arc(bot_c, bot_rx, bot_ry, -90.0, 270.0));
    vec![upper, lower]
}

fn glyph_9(pen: &mut Pen) -> Vec<Stroke> {
    let c = pen.p(0.48, 0.3);
    let rx = pen.len(0.25, 0.12);
    let ry = pen.len(0.26, 0.08);
    let right = p(c.x + rx, c.y);
    let mut s = Vec::new();
    extend(&mut s, arc(c, rx, ry, 0.0, -360.0));
    match pen.rng.gen_range(0..3) {
        0 => s.push(pen.p(0.66, 0.98)),
        1 => extend(&mut s, quad(right, pen.p(0.74, 0.75), pen.p(0.56, 0.98))),
        _ => extend(&mut s, cubic(right, pen.p(0.74, 0.78), pen.p(0.64, 0.98), pen.p(0.46, 0.96))),
    }
    vec![s]
}

// ---------------------------------------------------------------------------------------------
// Sample synthesis
// ---------------------------------------------------------------------------------------------

/// Glyph height in pixels before random scaling (MNIST digits fit a 20×20 box).
const BASE_HEIGHT: f32 = 18.0;

/// Renders one sample of class `label` into `out` (784 bytes, row-major).
fn render_sample(label: u8, rng: &mut ChaCha8Rng, out: &mut [u8]) {
    // 1. Jittered skeleton.
    let mut pen = Pen { rng, sigma: 0.035 };
    let mut strokes = glyph(label, &mut pen);
    let rng = pen.rng;

    // 2. Smooth warp: one low-frequency sinusoid per axis.
    let warp: [(f32, f32, f32, f32); 2] = std::array::from_fn(|_| {
        (
            rng.gen_range(0.0..0.035),
            rng.gen_range(-1.5..1.5),
            rng.gen_range(-1.5..1.5),
            rng.gen_range(0.0..std::f32::consts::TAU),
        )
    });

    // 3. Affine map glyph -> pixels: translate(center + t) · rotate · shear · scale.
    let angle = rng.gen_range(-17.0f32..17.0).to_radians();
    let scale = rng.gen_range(0.85f32..1.12) * BASE_HEIGHT;
    let sx = scale * rng.gen_range(0.85f32..1.15);
    let sy = scale;
    let shear = rng.gen_range(-0.25f32..0.25);
    let tx = rng.gen_range(-3.0f32..3.0);
    let ty = rng.gen_range(-3.0f32..3.0);
    let center = (IMAGE_SIZE as f32 - 1.0) / 2.0;
    let (sin, cos) = angle.sin_cos();
    // [x'; y'] = R · [[1, shear], [0, 1]] · diag(sx, sy) · [x - 0.5; y - 0.5]
    let m00 = cos * sx;
    let m01 = cos * shear * sy - sin * sy;
    let m10 = sin * sx;
    let m11 = sin * shear * sy + cos * sy;
    let ox = center + tx;
    let oy = center + ty;

    for stroke in &mut strokes {
        for q in stroke.iter_mut() {
            let wx = warp[0].0 * (TWO_PI * (warp[0].1 * q.x + warp[0].2 * q.y) + warp[0].3).sin();
            let wy = warp[1].0 * (TWO_PI * (warp[1].1 * q.x + warp[1].2 * q.y) + warp[1].3).sin();
            let (gx, gy) = (q.x + wx - 0.5, q.y + wy - 0.5);
            *q = p(ox + m00 * gx + m01 * gy, oy + m10 * gx + m11 * gy);
        }
    }

    // 4. Anti-aliased rendering.
    let radius = rng.gen_range(0.85f32..1.7);
    let mut canvas = [0f32; PIXELS];
    for stroke in &strokes {
        if let [only] = stroke.as_slice() {
            draw_segment(&mut canvas, *only, *only, radius);
        }
        for w in stroke.windows(2) {
            draw_segment(&mut canvas, w[0], w[1], radius);
        }
    }

    // 5. Photometric variation.
    if rng.gen_bool(0.5) {
        let sigma = rng.gen_range(0.3f32..0.7);
        blur(&mut canvas, sigma);
    }
    let gain = rng.gen_range(1.2f32..1.8);
    let peak = rng.gen_range(200.0f32..255.0);
    let noise = rng.gen_range(0.0f32..10.0) * 6f32.sqrt();
    for (o, &v) in out.iter_mut().zip(canvas.iter()) {
        // Triangular noise with unit variance from one u32: (u1 + u2 - 1) * sqrt(6).
        let bits: u32 = rng.r#gen();
        let u1 = (bits & 0xFFFF) as f32 / 65535.0;
        let u2 = (bits >> 16) as f32 / 65535.0;
        let value = (v * gain).min(1.0) * peak + noise * (u1 + u2 - 1.0);
        *o = value.round().clamp(0.0, 255.0) as u8;
    }
}

const TWO_PI: f32 = std::f32::consts::TAU;

/// Draws segment `a`–`b` (pixel coordinates) with pen radius `r` into `canvas`, keeping the
/// maximum coverage per pixel.
fn draw_segment(canvas: &mut [f32; PIXELS], a: P, b: P, r: f32) {
    let reach = r + 0.5;
    let max = (IMAGE_SIZE - 1) as f32;
    let x0 = (a.x.min(b.x) - reach).floor().max(0.0);
    let x1 = (a.x.max(b.x) + reach).ceil().min(max);
    let y0 = (a.y.min(b.y) - reach).floor().max(0.0);
    let y1 = (a.y.max(b.y) + reach).ceil().min(max);
    if x0 > x1 || y0 > y1 {
        return; // entirely outside the image
    }
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let inv = if len2 > 1e-12 { 1.0 / len2 } else { 0.0 };
    for yi in y0 as usize..=y1 as usize {
        let py = yi as f32 - a.y;
        let row = &mut canvas[yi * IMAGE_SIZE..(yi + 1) * IMAGE_SIZE];
        for (xi, cell) in row.iter_mut().enumerate().take(x1 as usize + 1).skip(x0 as usize) {
            let px = xi as f32 - a.x;
            let t = ((px * dx + py * dy) * inv).clamp(0.0, 1.0);
            let (ex, ey) = (px - t * dx, py - t * dy);
            let d = (ex * ex + ey * ey).sqrt();
            let cov = (reach - d).clamp(0.0, 1.0);
            if cov > *cell {
                *cell = cov;
            }
        }
    }
}

/// Separable gaussian blur (5 taps, edges clamped).
fn blur(canvas: &mut [f32; PIXELS], sigma: f32) {
    let mut k = [0f32; 5];
    for (i, w) in k.iter_mut().enumerate() {
        let x = i as f32 - 2.0;
        *w = (-x * x / (2.0 * sigma * sigma)).exp();
    }
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|w| *w /= sum);
    let n = IMAGE_SIZE as isize;
    let clampi = |i: isize| i.clamp(0, n - 1) as usize;
    let mut tmp = [0f32; PIXELS];
    for y in 0..IMAGE_SIZE {
        for x in 0..IMAGE_SIZE {
            let mut acc = 0.0;
            for (j, w) in k.iter().enumerate() {
                acc += w * canvas[y * IMAGE_SIZE + clampi(x as isize + j as isize - 2)];
            }
            tmp[y * IMAGE_SIZE + x] = acc;
        }
    }
    for y in 0..IMAGE_SIZE {
        for x in 0..IMAGE_SIZE {
            let mut acc = 0.0;
            for (j, w) in k.iter().enumerate() {
                acc += w * tmp[clampi(y as isize + j as isize - 2) * IMAGE_SIZE + x];
            }
            canvas[y * IMAGE_SIZE + x] = acc;
        }
    }
}

// ---- fastestimator datasets -------------------------------------------------------------------

/// Loader options (see [`load_data`]): the split sizes and seed of a [`SyntheticDigitsConfig`]
/// (default 20 000 / 4 000 / 4 000, seed 42) and FE's keys.
///
/// ```
/// use fastestimator::dataset::data::synthetic_digits::SyntheticDigits;
/// use fastestimator::dataset::Dataset;
/// let (train, eval, test) = SyntheticDigits::new().sizes(20, 10, 10).seed(1).image_key("image").load()?;
/// assert_eq!((train.len(), eval.len(), test.len()), (20, 10, 10));
/// assert!(train.get(0)?.contains_key("image"));
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SyntheticDigits {
    config: SyntheticDigitsConfig,
    image_key: String,
    label_key: String,
}

impl Default for SyntheticDigits {
    fn default() -> Self {
        SyntheticDigits { config: SyntheticDigitsConfig::default(), image_key: "x".into(), label_key: "y".into() }
    }
}

image_label_keys!(SyntheticDigits);

impl From<SyntheticDigitsConfig> for SyntheticDigits {
    fn from(config: SyntheticDigitsConfig) -> Self {
        SyntheticDigits { config, ..Default::default() }
    }
}

impl SyntheticDigits {
    /// The number of train, eval and test samples.
    pub fn sizes(mut self, train: usize, eval: usize, test: usize) -> Self {
        (self.config.train_size, self.config.eval_size, self.config.test_size) = (train, eval, test);
        self
    }

    /// The seed shared by the splits: the same seed gives the same bytes.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// `(train, eval, test)`: images `u8` `[28, 28]` and labels `i64` under the loader's keys.
    pub fn load(&self) -> crate::Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
        let c = &self.config;
        if let Some(n) = [c.train_size, c.eval_size, c.test_size].into_iter().find(|n| n.checked_mul(PIXELS).is_none())
        {
            let reason = format!("{n} images of 28×28 do not fit in memory");
            return Err(crate::error::FeError::param("SyntheticDigits", "sizes", reason));
        }
        let (train, eval, test) = load_arrays(c);
        let make = |d: DigitArrays| {
            NumpyDataset::new([
                (self.image_key.as_str(), crate::Value::U8(d.images.into_dyn())),
                (self.label_key.as_str(), crate::Value::I64(d.labels.into_dyn())),
            ])
        };
        Ok((make(train)?, make(eval)?, make(test)?))
    }
}

/// The generated digits as `(train, eval, test)` datasets with keys `x` (`u8`, 28×28) and `y`
/// (`i64`), drop-in replacements for MNIST that need no download ([`SyntheticDigits`] sets the
/// keys).
///
/// ```
/// use fastestimator::dataset::data::synthetic_digits::{load_data, SyntheticDigitsConfig};
/// use fastestimator::dataset::Dataset;
/// let cfg = SyntheticDigitsConfig { train_size: 20, eval_size: 10, test_size: 10, seed: 1 };
/// let (train, eval, test) = load_data(&cfg).unwrap();
/// assert_eq!((train.len(), eval.len(), test.len()), (20, 10, 10));
/// ```
pub fn load_data(cfg: &SyntheticDigitsConfig) -> crate::Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
    SyntheticDigits::from(*cfg).load()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_ranges() {
        let d = generate(57, 1, 0);
        assert_eq!(d.images.shape(), &[57, 28, 28]);
        assert_eq!(d.labels.shape(), &[57]);
        assert!(d.labels.iter().all(|&l| (0..=9).contains(&l)));
        let empty = generate(0, 1, 0);
        assert_eq!(empty.images.shape(), &[0, 28, 28]);
        assert_eq!(empty.labels.len(), 0);
    }

    #[test]
    fn deterministic_per_seed() {
        let a = generate(200, 7, STREAM_TRAIN);
        let b = generate(200, 7, STREAM_TRAIN);
        assert_eq!(a, b);
        let c = generate(200, 8, STREAM_TRAIN);
        assert_ne!(a.images, c.images);
        let d = generate(200, 7, STREAM_EVAL);
        assert_ne!(a.images, d.images);
    }

    #[test]
    fn labels_are_balanced() {
        let d = generate(1003, 3, STREAM_TEST);
        let mut counts = [0usize; 10];
        for &l in &d.labels {
            counts[l as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c == 100 || c == 101), "{counts:?}");
        assert_eq!(counts.iter().sum::<usize>(), 1003);
        // Shuffled, not in i % 10 order.
        let ordered = (0..1003).all(|i| d.labels[i] == (i % 10) as i64);
        assert!(!ordered);
    }

    #[test]
    fn independent_of_thread_count() {
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| generate(300, 11, STREAM_TRAIN))
        };
        assert_eq!(run(1), run(2));
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn looks_like_mnist() {
        let d = generate(500, 42, STREAM_TRAIN);
        let n = d.images.len() as f64;
        let mean = d.images.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let dark = d.images.iter().filter(|&&v| v < 30).count() as f64 / n;
        let bright = d.images.iter().filter(|&&v| v > 128).count() as f64 / n;
        // MNIST: mean ~33, ~81% exactly 0, ~15% above 128.
        assert!((15.0..60.0).contains(&mean), "mean {mean}");
        assert!(dark > 0.7, "dark fraction {dark}");
        assert!((0.06..0.3).contains(&bright), "bright fraction {bright}");
        // Every image has ink, and borders are mostly empty.
        for img in d.images.outer_iter() {
            assert!(img.iter().filter(|&&v| v > 128).count() > 20);
        }
    }

    #[test]
    fn ascii_art_shape() {
        let d = generate(1, 0, 0);
        let art = ascii_art(d.images.index_axis(ndarray::Axis(0), 0));
        let lines: Vec<_> = art.lines().collect();
        assert_eq!(lines.len(), 28);
        assert!(lines.iter().all(|l| l.chars().count() == 56));
        assert!(art.chars().any(|c| !c.is_whitespace()));
    }

    /// Prints ten samples of every digit for visual inspection; run with
    /// `cargo test --lib synthetic_digits::tests::show_samples -- --nocapture`.
    #[test]
    fn show_samples() {
        let d = generate(1000, 42, STREAM_TRAIN);
        for digit in 0..10i64 {
            let idx: Vec<usize> = (0..1000).filter(|&i| d.labels[i] == digit).take(10).collect();
            assert_eq!(idx.len(), 10, "digit {digit}");
            println!("===== digit {digit} =====");
            let arts: Vec<Vec<String>> = idx
                .iter()
                .map(|&i| {
                    ascii_art(d.images.index_axis(ndarray::Axis(0), i))
                        .lines()
                        .map(|l| l.chars().step_by(2).collect())
                        .collect()
                })
                .collect();
            for row in 0..IMAGE_SIZE {
                let line: Vec<&str> = arts.iter().map(|a| a[row].as_str()).collect();
                println!("{}", line.join("|"));
            }
        }
    }
}
