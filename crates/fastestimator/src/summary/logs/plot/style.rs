//! How series look, shared by the PNG/SVG and the HTML page: FE's colours, one dash pattern per
//! mode, the marker of a one-step series, and the marker that tells datasets (`acc|ds1`) apart.

use crate::util::Mode;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// FE's `get_colors`: seaborn's colour-blind palette for up to 10 colours, evenly spaced hues
/// (lightness 0.6, saturation 0.95) beyond.
pub(crate) fn colors(n: usize) -> Vec<Rgb> {
    const PALETTE: [Rgb; 10] = [
        [1, 115, 178],
        [222, 143, 5],
        [2, 158, 115],
        [213, 94, 0],
        [204, 120, 188],
        [202, 145, 97],
        [251, 175, 228],
        [148, 148, 148],
        [236, 225, 51],
        [86, 180, 233],
    ];
    if n <= PALETTE.len() {
        return PALETTE[..n].to_vec();
    }
    (0..n)
        .map(|i| {
            let h = (i as f64 + 0.01) / n as f64;
            hls_to_rgb(h.fract(), 0.6, 0.95).map(|c| (256.0 * c).clamp(0.0, 255.0) as u8)
        })
        .collect()
}

/// Python's `colorsys.hls_to_rgb`.
fn hls_to_rgb(h: f64, l: f64, s: f64) -> [f64; 3] {
    let m2 = if l <= 0.5 { l * (1.0 + s) } else { l + s - l * s };
    let m1 = 2.0 * l - m2;
    let v = |hue: f64| {
        let hue = hue.rem_euclid(1.0);
        if hue < 1.0 / 6.0 {
            m1 + (m2 - m1) * hue * 6.0
        } else if hue < 0.5 {
            m2
        } else if hue < 2.0 / 3.0 {
            m1 + (m2 - m1) * (2.0 / 3.0 - hue) * 6.0
        } else {
            m1
        }
    };
    [v(h + 1.0 / 3.0), v(h), v(h - 1.0 / 3.0)]
}

/// The colour offset of a mode when a single experiment is drawn: FE then colours by mode.
pub(crate) fn mode_offset(mode: Mode) -> usize {
    match mode {
        Mode::Train => 0,
        Mode::Eval => 1,
        Mode::Test => 2,
        Mode::Infer => 3,
    }
}

/// The dash pattern (on, off, ... in pixels at line width 2) of a mode's lines, as FE's: train
/// solid, eval dashed, test dotted, infer dash-dot.
pub(crate) fn dash_pattern(mode: Mode) -> &'static [f64] {
    match mode {
        Mode::Train => &[],
        Mode::Eval => &[9.0, 5.0],
        Mode::Test => &[2.5, 3.5],
        Mode::Infer => &[9.0, 4.0, 2.5, 4.0],
    }
}

/// Cut a polyline (pixel coordinates) into the pieces a dash pattern draws.
pub(crate) fn dash_segments(points: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    if pattern.is_empty() || pattern.iter().sum::<f64>() <= 0.0 {
        return vec![points.to_vec()];
    }
    let mut pieces = Vec::new();
    let (mut index, mut left) = (0usize, pattern[0]);
    let mut current: Vec<(f64, f64)> = points.first().map(|&p| vec![p]).unwrap_or_default();
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        let length = (x1 - x0).hypot(y1 - y0);
        let mut done = 0.0;
        while length - done > left {
            done += left;
            let t = done / length;
            let p = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            if index % 2 == 0 {
                current.push(p);
                pieces.push(std::mem::take(&mut current));
            } else {
                current = vec![p];
            }
            index = (index + 1) % pattern.len();
            left = pattern[index];
        }
        left -= length - done;
        if index % 2 == 0 {
            current.push((x1, y1));
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

/// The marker of a series with a single step, by mode (FE: circle, diamond, square, hexagram):
/// the outline of radius `r` around the origin, or `None` for a circle.
pub(crate) fn point_marker(mode: Mode, r: f64) -> Option<Vec<(f64, f64)>> {
    let polar = |n: usize, radius: &dyn Fn(usize) -> f64, turn: f64| -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let a = turn + i as f64 * std::f64::consts::TAU / n as f64;
                (radius(i) * a.cos(), radius(i) * a.sin())
            })
            .collect()
    };
    match mode {
        Mode::Train => None,
        Mode::Eval => Some(polar(4, &|_| r * 1.3, 0.0)),
        Mode::Test => Some(polar(4, &|_| r * 1.2, std::f64::consts::FRAC_PI_4)),
        Mode::Infer => Some(polar(12, &|i| if i % 2 == 0 { r * 1.3 } else { r * 0.75 }, -std::f64::consts::FRAC_PI_2)),
    }
}

/// The marker drawn on the lines of the `index`-th dataset id (FE cycles nine: none, four
/// three-armed stars, x, +, asterisk, hash): line segments of size `r` around the origin.
pub(crate) fn ds_marker(index: usize, r: f64) -> Vec<[(f64, f64); 2]> {
    let arms = |angles: &[f64]| -> Vec<[(f64, f64); 2]> {
        angles.iter().map(|a| [(0.0, 0.0), (r * a.to_radians().cos(), r * a.to_radians().sin())]).collect()
    };
    let (h, q) = (r, r * 0.5);
    match index % 9 {
        0 => Vec::new(),
        1 => arms(&[-90.0, 30.0, 150.0]),
        2 => arms(&[90.0, -30.0, 210.0]),
        3 => arms(&[0.0, 120.0, 240.0]),
        4 => arms(&[180.0, 60.0, -60.0]),
        5 => vec![[(-h, -h), (h, h)], [(-h, h), (h, -h)]],
        6 => vec![[(0.0, -h), (0.0, h)], [(-h, 0.0), (h, 0.0)]],
        7 => arms(&[0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0]),
        _ => vec![[(-q, -h), (-q, h)], [(q, -h), (q, h)], [(-h, -q), (h, -q)], [(-h, q), (h, q)]],
    }
}

/// At most 10 evenly spread indices out of `n` points, where dataset markers go (plotly's
/// `maxdisplayed: 10`).
pub(crate) fn marker_indices(n: usize) -> Vec<usize> {
    if n <= 10 {
        return (0..n).collect();
    }
    (0..10).map(|i| i * (n - 1) / 9).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_fe() {
        assert_eq!(colors(2), vec![[1, 115, 178], [222, 143, 5]]);
        let many = colors(12);
        assert_eq!(many.len(), 12);
        // colorsys.hls_to_rgb(0.01/12, 0.6, 0.95) → (0.98, 0.2255, 0.22) → int(256 * c)
        assert_eq!(many[0], [250, 57, 56]);
    }

    #[test]
    fn dashes_cut_a_line_into_pieces() {
        let line = [(0.0, 0.0), (10.0, 0.0), (30.0, 0.0)];
        assert_eq!(dash_segments(&line, &[]), vec![line.to_vec()]);
        let pieces = dash_segments(&line, &[5.0, 5.0]);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0], vec![(0.0, 0.0), (5.0, 0.0)]);
        assert_eq!(pieces[1], vec![(10.0, 0.0), (15.0, 0.0)]);
        assert_eq!(pieces[2], vec![(20.0, 0.0), (25.0, 0.0)]);
    }

    #[test]
    fn markers_have_shapes() {
        assert!(point_marker(Mode::Train, 4.0).is_none());
        assert_eq!(point_marker(Mode::Infer, 4.0).unwrap().len(), 12);
        assert!(ds_marker(0, 4.0).is_empty());
        assert_eq!(ds_marker(1, 4.0).len(), 3);
        assert_eq!(marker_indices(4), vec![0, 1, 2, 3]);
        assert_eq!(marker_indices(100), vec![0, 11, 22, 33, 44, 55, 66, 77, 88, 99]);
    }
}
