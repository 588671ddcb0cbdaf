//! Linear and median filters on `f32` images, with OpenCV's default `BORDER_REFLECT_101`.

use super::{border_index, BorderMode, Image};

/// A normalised 1-D Gaussian kernel; `sigma <= 0` takes OpenCV's default for the size.
pub(crate) fn gaussian_kernel(ksize: usize, sigma: f64) -> Vec<f32> {
    let sigma = if sigma > 0.0 { sigma } else { 0.3 * ((ksize as f64 - 1.0) * 0.5 - 1.0) + 0.8 };
    let half = (ksize as f64 - 1.0) / 2.0;
    let k: Vec<f64> = (0..ksize).map(|i| (-((i as f64 - half).powi(2)) / (2.0 * sigma * sigma)).exp()).collect();
    let sum: f64 = k.iter().sum();
    k.iter().map(|v| (v / sum) as f32).collect()
}

/// Convolve with a separable kernel (`kx` along rows, `ky` along columns).
pub(crate) fn separable(img: &Image<f32>, kx: &[f32], ky: &[f32]) -> Image<f32> {
    let (h, w, c) = (img.h, img.w, img.c);
    let (rx, ry) = ((kx.len() / 2) as isize, (ky.len() / 2) as isize);
    let mut tmp = vec![0.0f32; h * w * c];
    for y in 0..h {
        for x in 0..w {
            for (k, &kv) in kx.iter().enumerate() {
                let sx = border_index(x as isize + k as isize - rx, w, BorderMode::Reflect101).unwrap_or(0);
                let (s, d) = ((y * w + sx) * c, (y * w + x) * c);
                for ch in 0..c {
                    tmp[d + ch] += kv * img.data[s + ch];
                }
            }
        }
    }
    let mut out = vec![0.0f32; h * w * c];
    for y in 0..h {
        for (k, &kv) in ky.iter().enumerate() {
            let sy = border_index(y as isize + k as isize - ry, h, BorderMode::Reflect101).unwrap_or(0);
            let (src, dst) = (&tmp[sy * w * c..(sy + 1) * w * c], &mut out[y * w * c..(y + 1) * w * c]);
            for (d, s) in dst.iter_mut().zip(src) {
                *d += kv * s;
            }
        }
    }
    img.with_data(out)
}

/// Convolve with a square 2-D kernel (`k × k`, row-major).
pub(crate) fn convolve(img: &Image<f32>, kernel: &[f32], k: usize) -> Image<f32> {
    let (h, w, c) = (img.h, img.w, img.c);
    let r = (k / 2) as isize;
    let mut out = vec![0.0f32; h * w * c];
    for y in 0..h {
        for x in 0..w {
            let d = (y * w + x) * c;
            for ky in 0..k {
                let sy = border_index(y as isize + ky as isize - r, h, BorderMode::Reflect101).unwrap_or(0);
                for kx in 0..k {
                    let kv = kernel[ky * k + kx];
                    if kv == 0.0 {
                        continue;
                    }
                    let sx = border_index(x as isize + kx as isize - r, w, BorderMode::Reflect101).unwrap_or(0);
                    let s = (sy * w + sx) * c;
                    for ch in 0..c {
                        out[d + ch] += kv * img.data[s + ch];
                    }
                }
            }
        }
    }
    img.with_data(out)
}

/// Median over a `k × k` window per channel (edges replicated, as OpenCV's `medianBlur`).
pub(crate) fn median(img: &Image<f32>, k: usize) -> Image<f32> {
    let (h, w, c) = (img.h, img.w, img.c);
    let r = (k / 2) as isize;
    let mut out = vec![0.0f32; h * w * c];
    let mut window = Vec::with_capacity(k * k);
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                window.clear();
                for dy in -r..=r {
                    let sy = border_index(y as isize + dy, h, BorderMode::Replicate).unwrap_or(0);
                    for dx in -r..=r {
                        let sx = border_index(x as isize + dx, w, BorderMode::Replicate).unwrap_or(0);
                        window.push(img.data[(sy * w + sx) * c + ch]);
                    }
                }
                let mid = window.len() / 2;
                window.select_nth_unstable_by(mid, f32::total_cmp);
                out[(y * w + x) * c + ch] = window[mid];
            }
        }
    }
    img.with_data(out)
}

/// PIL's `ImageFilter.SMOOTH` (kernel `[[1,1,1],[1,5,1],[1,1,1]] / 13`), which leaves the
/// outermost pixels unchanged; `ImageEnhance.Sharpness` blends against it.
pub(crate) fn pil_smooth(img: &Image<f32>) -> Image<f32> {
    let (h, w, c) = (img.h, img.w, img.c);
    let mut out = img.data.clone();
    if h < 3 || w < 3 {
        return img.with_data(out);
    }
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            for ch in 0..c {
                let mut s = 0.0;
                for dy in 0..3 {
                    for dx in 0..3 {
                        let weight = if dy == 1 && dx == 1 { 5.0 } else { 1.0 };
                        s += weight * img.data[((y + dy - 1) * w + x + dx - 1) * c + ch];
                    }
                }
                out[(y * w + x) * c + ch] = s / 13.0;
            }
        }
    }
    img.with_data(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(h: usize, w: usize, data: Vec<f32>) -> Image<f32> {
        Image { h, w, c: 1, data, rank2: true }
    }

    #[test]
    fn gaussian_kernels_sum_to_one_and_blur_keeps_constants() {
        let k = gaussian_kernel(5, 0.0);
        assert!((k.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let flat = img(4, 6, vec![3.0; 24]);
        assert!(separable(&flat, &k, &k).data.iter().all(|v| (v - 3.0).abs() < 1e-5));
    }

    #[test]
    fn median_removes_salt() {
        let mut data = vec![1.0; 25];
        data[12] = 100.0;
        assert_eq!(median(&img(5, 5, data), 3).data[12], 1.0);
    }
}
