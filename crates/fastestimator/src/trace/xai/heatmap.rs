//! Drawing maps over images: the jet colour map, resizing, blending, the picture grid the XAI
//! traces write, and its PNG encoding.

use tch::{Kind, Tensor};

use crate::error::{FeError, Result};

/// Each grid cell is scaled up (nearest neighbour) to at least this many pixels a side, so a
/// 28x28 or 32x32 input is readable in a report.
const MIN_CELL: i64 = 128;
/// White space between grid cells, in pixels.
const GUTTER: i64 = 4;

/// `images` as RGB in [0, 1], `[batch, 3, height, width]`: channel-first (`[N, C, H, W]`,
/// C = 1 or 3), channel-last (`[N, H, W, C]`) or grey (`[N, H, W]`); each image stretched to
/// its own value range, as a display does. `key` names the images in errors.
pub(crate) fn to_rgb(images: &Tensor, key: &str, op: &str) -> Result<Tensor> {
    let x = images.detach().to_device(tch::Device::Cpu).to_kind(Kind::Float);
    let size = x.size();
    let x = match size[..] {
        [_, _, _] => x.unsqueeze(1),
        [_, c, _, _] if c == 1 || c == 3 => x,
        [_, _, _, c] if c == 1 || c == 3 => x.permute([0, 3, 1, 2]),
        _ => {
            return Err(FeError::unexpected_shape(
                op,
                key,
                "images [batch, 1|3, H, W], [batch, H, W, 1|3] or [batch, H, W]",
                &size,
            ))
        }
    };
    let x = if x.size()[1] == 1 { x.repeat([1, 3, 1, 1]) } else { x };
    Ok(stretch(&x))
}

/// Each sample of `t` (`[batch, ...]`) scaled to [0, 1] by its own minimum and maximum; a
/// constant sample becomes zeros.
pub(crate) fn stretch(t: &Tensor) -> Tensor {
    let n = t.size()[0];
    let flat = t.reshape([n, -1]);
    let lo = flat.amin([1i64].as_slice(), true);
    let span = flat.amax([1i64].as_slice(), true) - &lo;
    let span = span.clamp_min(1e-12);
    ((flat - lo) / span).reshape(t.size())
}

/// Maps `[batch, h, w]` resized (bilinear) to `height x width` and stretched to [0, 1].
pub(crate) fn fit_maps(maps: &Tensor, height: i64, width: i64) -> Tensor {
    let maps = maps.detach().to_device(tch::Device::Cpu).to_kind(Kind::Float).unsqueeze(1);
    let resized = if maps.size()[2..] == [height, width] {
        maps
    } else {
        maps.upsample_bilinear2d([height, width], false, None, None)
    };
    stretch(&resized.squeeze_dim(1))
}

/// OpenCV's JET colour map of values in [0, 1] (`[batch, h, w]`): `[batch, 3, h, w]` RGB.
pub(crate) fn jet(maps: &Tensor) -> Tensor {
    let v = maps.clamp(0.0, 1.0) * 4.0;
    let channel = |centre: f64| (-(&v - centre).abs() + 1.5).clamp(0.0, 1.0);
    Tensor::stack(&[channel(3.0), channel(2.0), channel(1.0)], 1)
}

/// The heat map of `maps` (fitted to the images) blended over RGB `images`: 55 % image, 45 %
/// colour, so both the input and the map stay visible.
pub(crate) fn overlay(rgb: &Tensor, maps: &Tensor) -> Tensor {
    let size = rgb.size();
    let heat = jet(&fit_maps(maps, size[2], size[3]));
    rgb * 0.55 + heat * 0.45
}

/// One picture of `columns` side by side (each `[rows, 3, H, W]` RGB in [0, 1]), one row per
/// sample, on white: `[3, height, width]`.
pub(crate) fn grid(columns: &[Tensor]) -> Tensor {
    let Some(first) = columns.first() else {
        return Tensor::ones([3, 1, 1], (Kind::Float, tch::Device::Cpu));
    };
    let size = first.size();
    let (rows, h, w) = (size[0], size[2], size[3]);
    let scale = (MIN_CELL + h.max(w) - 1) / h.max(w);
    let (ch, cw) = (h * scale, w * scale);
    let cols = columns.len() as i64;
    let canvas = Tensor::ones(
        [3, rows * (ch + GUTTER) + GUTTER, cols * (cw + GUTTER) + GUTTER],
        (Kind::Float, tch::Device::Cpu),
    );
    for (c, column) in columns.iter().enumerate() {
        let big =
            column.repeat_interleave_self_int(scale, Some(2), None).repeat_interleave_self_int(scale, Some(3), None);
        for r in 0..rows {
            let top = GUTTER + r * (ch + GUTTER);
            let left = GUTTER + c as i64 * (cw + GUTTER);
            canvas.narrow(1, top, ch).narrow(2, left, cw).copy_(&big.get(r));
        }
    }
    canvas
}

/// A `[3, H, W]` RGB picture in [0, 1] as PNG bytes.
pub(crate) fn png_bytes(picture: &Tensor, op: &str) -> Result<Vec<u8>> {
    let size = picture.size();
    let bytes = (picture.clamp(0.0, 1.0) * 255.0).round().to_kind(Kind::Uint8).permute([1, 2, 0]).contiguous();
    let raw = Vec::<u8>::try_from(bytes.reshape([-1])).map_err(|e| FeError::torch(op.to_string(), e))?;
    crate::summary::logs::plot::encode_png(&raw, size[2] as u32, size[1] as u32, op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jet_runs_from_blue_through_green_to_red() {
        let v = Tensor::from_slice(&[0.0f32, 0.5, 1.0]).reshape([1, 1, 3]);
        let rgb = Vec::<f32>::try_from(jet(&v).reshape([-1])).expect("vec");
        // r of 0, .5, 1; then g; then b
        assert_eq!(rgb, vec![0.0, 0.5, 0.5, 0.0, 1.0, 0.0, 0.5, 0.5, 0.0]);
    }

    #[test]
    fn images_of_every_layout_become_stretched_rgb() {
        let grey = Tensor::arange(8, (Kind::Float, tch::Device::Cpu)).reshape([2, 2, 2]);
        let rgb = to_rgb(&grey, "x", "T").expect("grey");
        assert_eq!(rgb.size(), [2, 3, 2, 2]);
        assert_eq!(rgb.get(1).max().double_value(&[]), 1.0);
        assert_eq!(rgb.get(1).min().double_value(&[]), 0.0);
        let last = Tensor::rand([2, 5, 5, 3], (Kind::Float, tch::Device::Cpu));
        assert_eq!(to_rgb(&last, "x", "T").expect("HWC").size(), [2, 3, 5, 5]);
        let bad = Tensor::rand([2, 5, 5, 7], (Kind::Float, tch::Device::Cpu));
        assert!(
            matches!(to_rgb(&bad, "x", "T"), Err(FeError::UnexpectedShape { ref key, ref got, .. }) if key == "x" && got == &[2, 5, 5, 7])
        );
    }

    #[test]
    fn a_grid_places_each_column_and_row_and_encodes_as_png() {
        let dark = Tensor::zeros([2, 3, 32, 32], (Kind::Float, tch::Device::Cpu));
        let bright = Tensor::ones([2, 3, 32, 32], (Kind::Float, tch::Device::Cpu));
        let picture = grid(&[dark, bright]);
        assert_eq!(picture.size(), [3, 2 * 132 + 4, 2 * 132 + 4]);
        assert_eq!(picture.get(0).get(10).get(10).double_value(&[]), 0.0, "first column dark");
        assert_eq!(picture.get(0).get(10).get(140).double_value(&[]), 1.0, "second column bright");
        let png = png_bytes(&picture, "T").expect("png");
        let decoded = image::load_from_memory(&png).expect("decodes").to_rgb8();
        assert_eq!(decoded.dimensions(), (268, 268));
    }
}
