//! Colour conversions on `f32` RGB pixels whose full scale is `max` (255 or 1).

/// Luma with OpenCV's / PIL's weights (ITU-R 601).
#[inline]
pub(crate) fn gray(r: f32, g: f32, b: f32) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// RGB → (hue in degrees [0, 360), saturation [0, 1], value on the same scale as the input).
pub(crate) fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let v = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = v - min;
    let s = if v > 0.0 { delta / v } else { 0.0 };
    let h = if delta <= 0.0 {
        0.0
    } else if v == r {
        60.0 * (g - b) / delta
    } else if v == g {
        120.0 + 60.0 * (b - r) / delta
    } else {
        240.0 + 60.0 * (r - g) / delta
    };
    (h.rem_euclid(360.0), s, v)
}

/// The inverse of [`rgb_to_hsv`].
pub(crate) fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let h = h.rem_euclid(360.0) / 60.0;
    let i = h.floor();
    let f = h - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    match i as i32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(c: f32) -> f32 {
    if c <= 0.003_130_8 {
        12.92 * c
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// sRGB in [0, 1] → CIE L*a*b* (D65), L in [0, 100].
pub(crate) fn rgb_to_lab(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let (r, g, b) = (srgb_to_linear(r), srgb_to_linear(g), srgb_to_linear(b));
    let x = (0.412_453 * r + 0.357_58 * g + 0.180_423 * b) / 0.950_456;
    let y = 0.212_671 * r + 0.715_16 * g + 0.072_169 * b;
    let z = (0.019_334 * r + 0.119_193 * g + 0.950_227 * b) / 1.088_754;
    let f = |t: f32| if t > 0.008_856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
    let l = if y > 0.008_856 { 116.0 * y.cbrt() - 16.0 } else { 903.3 * y };
    (l, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z)))
}

/// The inverse of [`rgb_to_lab`], clamped to [0, 1].
pub(crate) fn lab_to_rgb(l: f32, a: f32, b: f32) -> (f32, f32, f32) {
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let inv = |t: f32| if t > 0.206_893 { t * t * t } else { (t - 16.0 / 116.0) / 7.787 };
    let (x, y, z) = (inv(fx) * 0.950_456, inv(fy), inv(fz) * 1.088_754);
    let r = 3.240_479 * x - 1.537_15 * y - 0.498_535 * z;
    let g = -0.969_256 * x + 1.875_992 * y + 0.041_556 * z;
    let bb = 0.055_648 * x - 0.204_043 * y + 1.057_311 * z;
    let c = |v: f32| linear_to_srgb(v.clamp(0.0, 1.0)).clamp(0.0, 1.0);
    (c(r), c(g), c(bb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsv_and_lab_round_trip() {
        for &(r, g, b) in &[(0.2f32, 0.5, 0.9), (1.0, 0.0, 0.0), (0.3, 0.3, 0.3), (0.0, 0.7, 0.1)] {
            let (h, s, v) = rgb_to_hsv(r, g, b);
            let (r2, g2, b2) = hsv_to_rgb(h, s, v);
            assert!((r - r2).abs() < 1e-5 && (g - g2).abs() < 1e-5 && (b - b2).abs() < 1e-5);
            let (l, a, bb) = rgb_to_lab(r, g, b);
            let (r3, g3, b3) = lab_to_rgb(l, a, bb);
            assert!((r - r3).abs() < 2e-3 && (g - g3).abs() < 2e-3 && (b - b3).abs() < 2e-3, "{r} {g} {b}");
        }
    }
}
