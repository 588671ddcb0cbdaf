//! Histogram tools on 8-bit levels: equalisation (OpenCV's and PIL's), auto-contrast, CLAHE.

/// The 256-bin histogram of `levels`.
pub(crate) fn histogram(levels: impl Iterator<Item = u8>) -> [u32; 256] {
    let mut h = [0u32; 256];
    for v in levels {
        h[v as usize] += 1;
    }
    h
}

/// OpenCV's `equalizeHist` lookup table.
pub(crate) fn equalize_lut(hist: &[u32; 256]) -> [u8; 256] {
    let mut lut = [0u8; 256];
    let total: u64 = hist.iter().map(|&v| u64::from(v)).sum();
    let Some(first) = hist.iter().position(|&v| v > 0) else {
        return std::array::from_fn(|i| i as u8);
    };
    if u64::from(hist[first]) == total {
        return std::array::from_fn(|i| i as u8);
    }
    let scale = 255.0 / (total - u64::from(hist[first])) as f64;
    let mut sum = 0u64;
    for i in first + 1..256 {
        sum += u64::from(hist[i]);
        lut[i] = (sum as f64 * scale).round().clamp(0.0, 255.0) as u8;
    }
    lut
}

/// PIL's `ImageOps.autocontrast` lookup table (no cutoff): stretch `[lo, hi]` to `[0, 255]`.
pub(crate) fn autocontrast_lut(hist: &[u32; 256]) -> [u8; 256] {
    let lo = hist.iter().position(|&v| v > 0);
    let hi = hist.iter().rposition(|&v| v > 0);
    match (lo, hi) {
        (Some(lo), Some(hi)) if hi > lo => {
            let scale = 255.0 / (hi - lo) as f64;
            let offset = -(lo as f64) * scale;
            std::array::from_fn(|i| ((i as f64) * scale + offset + 1e-9).clamp(0.0, 255.0) as u8)
        }
        _ => std::array::from_fn(|i| i as u8),
    }
}

fn clip_histogram(hist: &mut [u32; 256], limit: u32) {
    let mut excess = 0u32;
    for v in hist.iter_mut() {
        if *v > limit {
            excess += *v - limit;
            *v = limit;
        }
    }
    let batch = excess / 256;
    let residual = (excess - batch * 256) as usize;
    for v in hist.iter_mut() {
        *v += batch;
    }
    if let Some(step) = 256usize.checked_div(residual) {
        for i in (0..256).step_by(step.max(1)).take(residual) {
            hist[i] += 1;
        }
    }
}

/// Contrast-limited adaptive histogram equalisation of an `h × w` plane of levels, in place
/// (OpenCV's algorithm: clipped per-tile equalisation, bilinear blend between tiles).
pub(crate) fn clahe(levels: &mut [u8], h: usize, w: usize, clip_limit: f64, grid: (usize, usize)) {
    let (gy, gx) = (grid.0.clamp(1, h), grid.1.clamp(1, w));
    let (th, tw) = (h.div_ceil(gy), w.div_ceil(gx));
    let mut luts = vec![[0u8; 256]; gy * gx];
    for ty in 0..gy {
        for tx in 0..gx {
            let (y0, y1) = (ty * th, ((ty + 1) * th).min(h));
            let (x0, x1) = (tx * tw, ((tx + 1) * tw).min(w));
            let area = (y1.saturating_sub(y0) * x1.saturating_sub(x0)).max(1);
            let mut hist =
                histogram((y0..y1).flat_map(|y| (x0..x1).map(move |x| (y, x))).map(|(y, x)| levels[y * w + x]));
            if clip_limit > 0.0 {
                let limit = ((clip_limit * area as f64 / 256.0) as u32).max(1);
                clip_histogram(&mut hist, limit);
            }
            let scale = 255.0 / area as f64;
            let mut sum = 0u64;
            for (i, &v) in hist.iter().enumerate() {
                sum += u64::from(v);
                luts[ty * gx + tx][i] = (sum as f64 * scale).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    for y in 0..h {
        let fy = (y as f64 + 0.5) / th as f64 - 0.5;
        let ty1 = fy.floor().clamp(0.0, (gy - 1) as f64) as usize;
        let ty2 = (ty1 + 1).min(gy - 1);
        let wy = (fy - ty1 as f64).clamp(0.0, 1.0);
        for x in 0..w {
            let fx = (x as f64 + 0.5) / tw as f64 - 0.5;
            let tx1 = fx.floor().clamp(0.0, (gx - 1) as f64) as usize;
            let tx2 = (tx1 + 1).min(gx - 1);
            let wx = (fx - tx1 as f64).clamp(0.0, 1.0);
            let v = levels[y * w + x] as usize;
            let l = |ty: usize, tx: usize| f64::from(luts[ty * gx + tx][v]);
            let top = l(ty1, tx1) * (1.0 - wx) + l(ty1, tx2) * wx;
            let bottom = l(ty2, tx1) * (1.0 - wx) + l(ty2, tx2) * wx;
            levels[y * w + x] = (top * (1.0 - wy) + bottom * wy).round().clamp(0.0, 255.0) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equalize_spreads_levels_and_keeps_constants() {
        let h = histogram([10u8, 10, 20, 30].into_iter());
        let lut = equalize_lut(&h);
        assert_eq!((lut[10], lut[20], lut[30]), (0, 128, 255));
        let flat = histogram([7u8; 9].into_iter());
        assert_eq!(equalize_lut(&flat)[7], 7);
    }

    #[test]
    fn autocontrast_stretches_the_range() {
        let lut = autocontrast_lut(&histogram([50u8, 100, 150].into_iter()));
        assert_eq!((lut[50], lut[100], lut[150]), (0, 127, 255));
    }

    #[test]
    fn clahe_keeps_a_constant_image_constant_per_tile() {
        let mut levels = vec![100u8; 64 * 64];
        clahe(&mut levels, 64, 64, 4.0, (8, 8));
        assert!(levels.iter().all(|&v| v == levels[0]));
    }
}
