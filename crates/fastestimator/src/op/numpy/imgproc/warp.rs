//! Spatial resampling: affine maps, dense displacement maps and tile moves, with OpenCV's
//! border modes, applied identically to images and masks.

use super::{BorderMode, Image, Interpolation, Pixel};

/// A 2-D affine map in pixel-centre coordinates: `x' = a x + b y + c`, `y' = d x + e y + f`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AffineMap(pub [f64; 6]);

impl AffineMap {
    /// The identity map.
    pub const IDENTITY: AffineMap = AffineMap([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);

    /// Shift by `(tx, ty)`.
    pub fn translation(tx: f64, ty: f64) -> Self {
        AffineMap([1.0, 0.0, tx, 0.0, 1.0, ty])
    }

    /// Scale about the origin.
    pub fn scaling(sx: f64, sy: f64) -> Self {
        AffineMap([sx, 0.0, 0.0, 0.0, sy, 0.0])
    }

    /// OpenCV's `getRotationMatrix2D(center, angle, scale)`: a positive angle turns the image
    /// counter-clockwise as displayed (y pointing down).
    pub fn rotation(degrees: f64, cx: f64, cy: f64, scale: f64) -> Self {
        let t = degrees.to_radians();
        let (alpha, beta) = (scale * t.cos(), scale * t.sin());
        AffineMap([alpha, beta, (1.0 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1.0 - alpha) * cy])
    }

    /// Resizing `(h, w)` to `(out_h, out_w)` with pixel centres aligned as in OpenCV's `resize`.
    pub fn resize(h: usize, w: usize, out_h: usize, out_w: usize) -> Self {
        let (sx, sy) = (out_w as f64 / w as f64, out_h as f64 / h as f64);
        AffineMap([sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5])
    }

    /// The map sending three source points to three destination points (OpenCV's
    /// `getAffineTransform`), if the source points are not collinear.
    pub fn from_points(src: [(f64, f64); 3], dst: [(f64, f64); 3]) -> Option<Self> {
        let det3 = |m: [[f64; 3]; 3]| {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        };
        let a = [[src[0].0, src[0].1, 1.0], [src[1].0, src[1].1, 1.0], [src[2].0, src[2].1, 1.0]];
        let det = det3(a);
        if det.abs() < 1e-12 {
            return None;
        }
        let solve = |rhs: [f64; 3]| {
            let col = |k: usize| {
                let mut m = a;
                for (row, r) in m.iter_mut().zip(rhs) {
                    row[k] = r;
                }
                det3(m) / det
            };
            [col(0), col(1), col(2)]
        };
        let [p, q, r] = solve([dst[0].0, dst[1].0, dst[2].0]);
        let [s, t, u] = solve([dst[0].1, dst[1].1, dst[2].1]);
        Some(AffineMap([p, q, r, s, t, u]))
    }

    /// `self` followed by `next`.
    pub fn then(&self, next: &AffineMap) -> AffineMap {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = next.0;
        AffineMap([
            a2 * a + b2 * d,
            a2 * b + b2 * e,
            a2 * c + b2 * f + c2,
            d2 * a + e2 * d,
            d2 * b + e2 * e,
            d2 * c + e2 * f + f2,
        ])
    }

    /// The inverse map, if the map is invertible.
    pub fn inverse(&self) -> Option<AffineMap> {
        let [a, b, c, d, e, f] = self.0;
        let det = a * e - b * d;
        if !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Some(AffineMap([ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)]))
    }

    /// Map a point.
    #[inline]
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + b * y + c, d * x + e * y + f)
    }

    fn is_integral(&self) -> bool {
        self.0.iter().all(|v| (v - v.round()).abs() < 1e-9)
    }
}

/// The source index for coordinate `i` along an axis of length `n`, or `None` for the constant
/// border.
#[inline]
pub(crate) fn border_index(i: isize, n: usize, mode: BorderMode) -> Option<usize> {
    let n_i = n as isize;
    if (0..n_i).contains(&i) {
        return Some(i as usize);
    }
    Some(match mode {
        BorderMode::Constant => return None,
        BorderMode::Replicate => i.clamp(0, n_i - 1) as usize,
        BorderMode::Wrap => i.rem_euclid(n_i) as usize,
        BorderMode::Reflect => {
            let j = i.rem_euclid(2 * n_i);
            (if j >= n_i { 2 * n_i - 1 - j } else { j }) as usize
        }
        BorderMode::Reflect101 => {
            if n == 1 {
                return Some(0);
            }
            let period = 2 * n_i - 2;
            let j = i.rem_euclid(period);
            (if j >= n_i { period - j } else { j }) as usize
        }
    })
}

/// Build an `out_h × out_w` image whose pixel `(x, y)` samples `src` at `coord(x, y)`.
#[allow(clippy::too_many_arguments)]
fn sample<T: Pixel>(
    src: &Image<T>,
    out_h: usize,
    out_w: usize,
    interp: Interpolation,
    border: BorderMode,
    fill: f32,
    coord: impl Fn(usize, usize) -> (f64, f64),
) -> Image<T> {
    let c = src.c;
    let fill_t = T::from_f32(fill);
    let mut data = Vec::with_capacity(out_h * out_w * c);
    for y in 0..out_h {
        for x in 0..out_w {
            let (sx, sy) = coord(x, y);
            if !(sx.is_finite() && sy.is_finite()) {
                data.extend(std::iter::repeat_n(fill_t, c));
                continue;
            }
            match interp {
                Interpolation::Nearest => {
                    let (ix, iy) = (sx.round() as isize, sy.round() as isize);
                    match (border_index(ix, src.w, border), border_index(iy, src.h, border)) {
                        (Some(ix), Some(iy)) => {
                            let o = (iy * src.w + ix) * c;
                            data.extend_from_slice(&src.data[o..o + c]);
                        }
                        _ => data.extend(std::iter::repeat_n(fill_t, c)),
                    }
                }
                Interpolation::Linear => {
                    let (x0, y0) = (sx.floor(), sy.floor());
                    let (fx, fy) = ((sx - x0) as f32, (sy - y0) as f32);
                    let (x0, y0) = (x0 as isize, y0 as isize);
                    let xs = [border_index(x0, src.w, border), border_index(x0 + 1, src.w, border)];
                    let ys = [border_index(y0, src.h, border), border_index(y0 + 1, src.h, border)];
                    let weights = [(1.0 - fx) * (1.0 - fy), fx * (1.0 - fy), (1.0 - fx) * fy, fx * fy];
                    let offsets = [(ys[0], xs[0]), (ys[0], xs[1]), (ys[1], xs[0]), (ys[1], xs[1])]
                        .map(|(yy, xx)| yy.zip(xx).map(|(yy, xx)| (yy * src.w + xx) * c));
                    for ch in 0..c {
                        let mut v = 0.0f32;
                        for (w, o) in weights.iter().zip(&offsets) {
                            if *w != 0.0 {
                                v += w * o.map_or(fill, |o| src.data[o + ch].to_f32());
                            }
                        }
                        data.push(T::from_f32(v));
                    }
                }
            }
        }
    }
    Image { h: out_h, w: out_w, c, data, rank2: src.rank2 }
}

/// Resample `src` through the affine map `m` (source → destination coordinates).
pub(crate) fn warp_affine<T: Pixel>(
    src: &Image<T>,
    m: &AffineMap,
    out_h: usize,
    out_w: usize,
    interp: Interpolation,
    border: BorderMode,
    fill: f32,
) -> Image<T> {
    let Some(inv) = m.inverse() else {
        return Image::filled(out_h, out_w, src.c, T::from_f32(fill), src.rank2);
    };
    if inv.is_integral() {
        return warp_integral(src, &inv, out_h, out_w, border, fill);
    }
    let [a, b, c, d, e, f] = inv.0;
    sample(src, out_h, out_w, interp, border, fill, |x, y| {
        let (x, y) = (x as f64, y as f64);
        (a * x + b * y + c, d * x + e * y + f)
    })
}

/// Pixel-exact moves (crop, pad, flips, transposes, quarter turns): an integer inverse map.
fn warp_integral<T: Pixel>(
    src: &Image<T>,
    inv: &AffineMap,
    out_h: usize,
    out_w: usize,
    border: BorderMode,
    fill: f32,
) -> Image<T> {
    let [a, b, c, d, e, f] = inv.0.map(|v| v.round() as isize);
    let ch = src.c;
    let fill_t = T::from_f32(fill);
    let mut data = Vec::with_capacity(out_h * out_w * ch);
    for y in 0..out_h as isize {
        // Rows that read one source row forwards or backwards (crops, pads, shifts, flips):
        // the part inside the image is copied as a run, only the borders are looked up.
        if b == 0 && d == 0 && (a == 1 || a == -1) {
            let Some(sy) = border_index(e * y + f, src.h, border) else {
                data.extend(std::iter::repeat_n(fill_t, out_w * ch));
                continue;
            };
            let row = &src.data[sy * src.w * ch..(sy + 1) * src.w * ch];
            // Output columns whose source column a·x + c lies inside the image.
            let (lo, hi) = if a == 1 { (-c, src.w as isize - c) } else { (c - src.w as isize + 1, c + 1) };
            let (lo, hi) = (lo.clamp(0, out_w as isize), hi.clamp(0, out_w as isize).max(lo.clamp(0, out_w as isize)));
            let push_border = |x: isize, data: &mut Vec<T>| match border_index(a * x + c, src.w, border) {
                Some(sx) => data.extend_from_slice(&row[sx * ch..(sx + 1) * ch]),
                None => data.extend(std::iter::repeat_n(fill_t, ch)),
            };
            for x in 0..lo {
                push_border(x, &mut data);
            }
            if a == 1 {
                let start = ((lo + c) as usize) * ch;
                data.extend_from_slice(&row[start..start + (hi - lo) as usize * ch]);
            } else {
                for x in lo..hi {
                    let sx = (c - x) as usize;
                    data.extend_from_slice(&row[sx * ch..(sx + 1) * ch]);
                }
            }
            for x in hi..out_w as isize {
                push_border(x, &mut data);
            }
            continue;
        }
        for x in 0..out_w as isize {
            let (sx, sy) = (a * x + b * y + c, d * x + e * y + f);
            match (border_index(sx, src.w, border), border_index(sy, src.h, border)) {
                (Some(sx), Some(sy)) => {
                    let o = (sy * src.w + sx) * ch;
                    data.extend_from_slice(&src.data[o..o + ch]);
                }
                _ => data.extend(std::iter::repeat_n(fill_t, ch)),
            }
        }
    }
    Image { h: out_h, w: out_w, c: ch, data, rank2: src.rank2 }
}

/// Resample `src` at per-pixel source coordinates (`map_x[i]`, `map_y[i]` for output pixel `i`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn warp_dense<T: Pixel>(
    src: &Image<T>,
    map_x: &[f32],
    map_y: &[f32],
    out_h: usize,
    out_w: usize,
    interp: Interpolation,
    border: BorderMode,
    fill: f32,
) -> Image<T> {
    sample(src, out_h, out_w, interp, border, fill, |x, y| {
        let i = y * out_w + x;
        (f64::from(map_x[i]), f64::from(map_y[i]))
    })
}

/// Resize with pixel centres aligned (OpenCV's `resize`), replicating edge pixels.
pub(crate) fn resize<T: Pixel>(src: &Image<T>, out_h: usize, out_w: usize, interp: Interpolation) -> Image<T> {
    if out_h == src.h && out_w == src.w {
        return src.clone();
    }
    warp_affine(src, &AffineMap::resize(src.h, src.w, out_h, out_w), out_h, out_w, interp, BorderMode::Replicate, 0.0)
}

/// One tile of a grid shuffle: the `th × tw` block at `(sy, sx)` moves to `(dy, dx)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TileMove {
    pub sy: usize,
    pub sx: usize,
    pub dy: usize,
    pub dx: usize,
    pub th: usize,
    pub tw: usize,
}

/// A spatial transform for one sample, applied identically to the image and its targets.
#[derive(Debug, Clone)]
pub(crate) enum Geometry {
    /// An affine map (source → destination) into an `out_h × out_w` image.
    Affine { m: AffineMap, out_h: usize, out_w: usize },
    /// Per-output-pixel source coordinates (elastic and grid distortions). Points cannot be
    /// mapped through it.
    Dense { map_x: Vec<f32>, map_y: Vec<f32>, out_h: usize, out_w: usize },
    /// Blocks of pixels moved within an `h × w` image.
    Tiles { h: usize, w: usize, moves: Vec<TileMove> },
}

impl Geometry {
    /// The output `(height, width)`.
    pub fn out_size(&self) -> (usize, usize) {
        match self {
            Geometry::Affine { out_h, out_w, .. } | Geometry::Dense { out_h, out_w, .. } => (*out_h, *out_w),
            Geometry::Tiles { h, w, .. } => (*h, *w),
        }
    }

    /// Apply to an image (or mask) of the size the geometry was drawn for.
    pub fn apply<T: Pixel>(&self, img: &Image<T>, interp: Interpolation, border: BorderMode, fill: f32) -> Image<T> {
        match self {
            Geometry::Affine { m, out_h, out_w } => warp_affine(img, m, *out_h, *out_w, interp, border, fill),
            Geometry::Dense { map_x, map_y, out_h, out_w } => {
                warp_dense(img, map_x, map_y, *out_h, *out_w, interp, border, fill)
            }
            Geometry::Tiles { moves, .. } => {
                let mut out = img.clone();
                let c = img.c;
                for t in moves {
                    for r in 0..t.th {
                        let s = ((t.sy + r) * img.w + t.sx) * c;
                        let d = ((t.dy + r) * img.w + t.dx) * c;
                        out.data[d..d + t.tw * c].copy_from_slice(&img.data[s..s + t.tw * c]);
                    }
                }
                out
            }
        }
    }

    /// Where a point (pixel-centre coordinates) lands, or `None` when the geometry cannot map
    /// points.
    pub fn map_point(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match self {
            Geometry::Affine { m, .. } => Some(m.apply(x, y)),
            Geometry::Dense { .. } => None,
            Geometry::Tiles { moves, .. } => {
                let (px, py) = ((x + 0.5).floor(), (y + 0.5).floor());
                let tile = moves.iter().find(|t| {
                    (t.sx as f64..(t.sx + t.tw) as f64).contains(&px)
                        && (t.sy as f64..(t.sy + t.th) as f64).contains(&py)
                });
                Some(tile.map_or((x, y), |t| (x - t.sx as f64 + t.dx as f64, y - t.sy as f64 + t.dy as f64)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(h: usize, w: usize) -> Image<u8> {
        Image { h, w, c: 1, data: (0..(h * w) as u8).collect(), rank2: true }
    }

    #[test]
    fn borders_follow_opencv() {
        let idx = |i, m| border_index(i, 4, m);
        assert_eq!([-2, -1, 4, 5].map(|i| idx(i, BorderMode::Reflect101)), [Some(2), Some(1), Some(2), Some(1)]);
        assert_eq!([-2, -1, 4, 5].map(|i| idx(i, BorderMode::Reflect)), [Some(1), Some(0), Some(3), Some(2)]);
        assert_eq!([-2, 4].map(|i| idx(i, BorderMode::Replicate)), [Some(0), Some(3)]);
        assert_eq!([-1, 4].map(|i| idx(i, BorderMode::Wrap)), [Some(3), Some(0)]);
        assert_eq!(idx(-1, BorderMode::Constant), None);
        assert_eq!(border_index(-3, 1, BorderMode::Reflect101), Some(0));
    }

    #[test]
    fn affine_inverse_and_composition() {
        let m = AffineMap::rotation(30.0, 3.0, 2.0, 1.5).then(&AffineMap::translation(1.0, -2.0));
        let inv = m.inverse().unwrap();
        let (x, y) = inv.apply(m.apply(0.7, -1.3).0, m.apply(0.7, -1.3).1);
        assert!((x - 0.7).abs() < 1e-9 && (y + 1.3).abs() < 1e-9);
    }

    #[test]
    fn three_points_determine_the_map() {
        let m = AffineMap::rotation(20.0, 1.0, 2.0, 0.8).then(&AffineMap::translation(3.0, -1.0));
        let src = [(0.0, 0.0), (5.0, 1.0), (2.0, 7.0)];
        let dst = src.map(|(x, y)| m.apply(x, y));
        let fitted = AffineMap::from_points(src, dst).unwrap();
        assert!(fitted.0.iter().zip(m.0).all(|(a, b)| (a - b).abs() < 1e-9));
    }

    #[test]
    fn integer_maps_move_pixels_exactly() {
        let img = ramp(3, 4);
        // Horizontal flip: x' = 3 - x.
        let flip = AffineMap([-1.0, 0.0, 3.0, 0.0, 1.0, 0.0]);
        let out = warp_affine(&img, &flip, 3, 4, Interpolation::Linear, BorderMode::Constant, 0.0);
        assert_eq!(&out.data[..4], &[3, 2, 1, 0]);
        // A rotation by 90 degrees with a linear sampler is also exact.
        let rot = AffineMap::rotation(90.0, 1.5, 1.5, 1.0);
        let sq = ramp(4, 4);
        let out = warp_affine(&sq, &rot, 4, 4, Interpolation::Linear, BorderMode::Constant, 0.0);
        let again =
            warp_affine(&out, &rot.then(&rot).then(&rot), 4, 4, Interpolation::Linear, BorderMode::Constant, 0.0);
        assert_eq!(again, sq);
    }

    #[test]
    fn resize_keeps_constant_images_constant() {
        let img = Image { h: 5, w: 7, c: 3, data: vec![9.0f32; 105], rank2: false };
        let out = resize(&img, 11, 3, Interpolation::Linear);
        assert_eq!((out.h, out.w, out.c), (11, 3, 3));
        assert!(out.data.iter().all(|&v| (v - 9.0).abs() < 1e-5));
    }
}
