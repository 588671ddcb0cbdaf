//! The targets of a multivariate op (image, masks, boxes, keypoints) and how one [`Geometry`]
//! is applied to all of them.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::error::{FeError, Result};
use crate::op::numpy::imgproc::{map_any_image, map_image, BorderMode, Geometry, Interpolation};
use crate::op::OpIo;
use crate::util::option_strings;
use crate::value::Value;

/// How bounding-box coordinates are written (albumentations' formats).
///
/// Parses from FE's strings `"pascal_voc"`, `"coco"`, `"albumentations"`, `"yolo"` (and prints as them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BboxFormat {
    /// `[x_min, y_min, x_max, y_max]` in pixels.
    #[default]
    PascalVoc,
    /// `[x_min, y_min, width, height]` in pixels.
    Coco,
    /// `[x_min, y_min, x_max, y_max]` as fractions of the image size.
    Albumentations,
    /// `[x_center, y_center, width, height]` as fractions of the image size.
    Yolo,
}

option_strings!(BboxFormat, "BboxParams", "format", {
    BboxFormat::PascalVoc => "pascal_voc",
    BboxFormat::Coco => "coco",
    BboxFormat::Albumentations => "albumentations",
    BboxFormat::Yolo => "yolo",
});

/// Bounding-box settings (albumentations' `BboxParams`): the format, and when a box that
/// partly leaves the image is dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BboxParams {
    /// The coordinate format.
    pub format: BboxFormat,
    /// Boxes whose clipped area is below this many square pixels are dropped (default 0).
    pub min_area: f64,
    /// Boxes keeping less than this fraction of their area inside the image are dropped
    /// (default 0).
    pub min_visibility: f64,
}

impl Default for BboxParams {
    fn default() -> Self {
        BboxParams { format: BboxFormat::PascalVoc, min_area: 0.0, min_visibility: 0.0 }
    }
}

impl BboxParams {
    /// Boxes in `format`, none dropped unless they leave the image entirely.
    pub fn new(format: BboxFormat) -> Self {
        BboxParams { format, ..Default::default() }
    }

    /// Drop boxes smaller than `min_area` square pixels after clipping.
    pub fn min_area(mut self, min_area: f64) -> Self {
        self.min_area = min_area;
        self
    }

    /// Drop boxes keeping less than `min_visibility` of their area.
    pub fn min_visibility(mut self, min_visibility: f64) -> Self {
        self.min_visibility = min_visibility;
        self
    }
}

/// Keypoint settings (albumentations' `KeypointParams`, `xy` format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeypointParams {
    /// Drop keypoints that leave the image (default true).
    pub remove_invisible: bool,
}

impl Default for KeypointParams {
    fn default() -> Self {
        KeypointParams { remove_invisible: true }
    }
}

/// An input key and the output key it is written to (the input's by default).
#[derive(Debug, Clone, Default)]
struct Slot {
    input: Option<String>,
    output: Option<String>,
}

impl Slot {
    fn keys(&self) -> Option<(String, String)> {
        self.input.as_ref().map(|i| (i.clone(), self.output.clone().unwrap_or_else(|| i.clone())))
    }
}

/// The keys, parameters and resampling settings shared by every multivariate op.
pub(crate) struct MultiVariate {
    pub io: OpIo,
    image: Slot,
    mask: Slot,
    masks: Slot,
    bbox: Slot,
    keypoints: Slot,
    pub bbox_params: BboxParams,
    pub keypoint_params: KeypointParams,
    pub interpolation: Interpolation,
    pub border_mode: BorderMode,
    pub value: f32,
    pub mask_value: f32,
    /// Whether the op can move boxes and keypoints (not for dense distortions).
    points: (bool, bool),
    name: &'static str,
}

/// Which target a slot setter addresses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Image,
    Mask,
    Masks,
    Bbox,
    Keypoints,
}

impl MultiVariate {
    /// No targets yet; `points` says whether (boxes, keypoints) can be transformed.
    pub fn new(name: &'static str, points: (bool, bool)) -> Self {
        MultiVariate {
            io: OpIo::new((), ()),
            image: Slot::default(),
            mask: Slot::default(),
            masks: Slot::default(),
            bbox: Slot::default(),
            keypoints: Slot::default(),
            bbox_params: BboxParams::default(),
            keypoint_params: KeypointParams::default(),
            interpolation: Interpolation::Linear,
            border_mode: BorderMode::Reflect101,
            value: 0.0,
            mask_value: 0.0,
            points,
            name,
        }
    }

    fn slot(&mut self, t: Target) -> &mut Slot {
        match t {
            Target::Image => &mut self.image,
            Target::Mask => &mut self.mask,
            Target::Masks => &mut self.masks,
            Target::Bbox => &mut self.bbox,
            Target::Keypoints => &mut self.keypoints,
        }
    }

    /// Set an input (`output == false`) or output key.
    pub fn set(&mut self, t: Target, key: &str, output: bool) {
        let slot = self.slot(t);
        if output {
            slot.output = Some(key.to_string());
        } else {
            slot.input = Some(key.to_string());
        }
        let (boxes, points) = self.points;
        if matches!(t, Target::Bbox) && !boxes {
            self.io.reject("bbox_in", format!("{} does not transform bounding boxes", self.name));
        }
        if matches!(t, Target::Keypoints) && !points {
            self.io.reject("keypoints_in", format!("{} does not transform keypoints", self.name));
        }
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let pairs: Vec<(String, String)> = [&self.image, &self.mask, &self.masks, &self.bbox, &self.keypoints]
            .iter()
            .filter_map(|s| s.keys())
            .collect();
        self.io.inputs = pairs.iter().map(|(i, _)| i.clone()).collect();
        self.io.outputs = pairs.into_iter().map(|(_, o)| o).collect();
        let dangling = [&self.image, &self.mask, &self.masks, &self.bbox, &self.keypoints]
            .iter()
            .any(|s| s.input.is_none() && s.output.is_some());
        if dangling {
            self.io.reject("outputs", "an *_out key was given without its *_in key");
        }
    }

    /// Apply the geometry drawn by `plan(height, width)` to every target.
    pub fn run(&self, data: Vec<Value>, plan: impl FnOnce(usize, usize) -> Result<Geometry>) -> Result<Vec<Value>> {
        let name = self.name;
        if data.is_empty() {
            return Err(FeError::param(name, "image_in", "no image, mask, bbox or keypoint keys were given"));
        }
        let mut values = data.into_iter();
        let mut keys = self.io.inputs.iter();
        let mut take = |slot: &Slot| slot.input.as_ref().map(|_| (values.next(), keys.next()));
        let image = take(&self.image);
        let mask = take(&self.mask);
        let masks = take(&self.masks);
        let bbox = take(&self.bbox);
        let keypoints = take(&self.keypoints);
        let dims = |v: &Value, key: &str, first: usize| -> Result<(usize, usize)> {
            let shape = v.shape();
            let what = if first == 0 { "an HW or HWC image" } else { "stacked masks N×H×W[×C]" };
            if v.dtype() == crate::value::DType::Str {
                return Err(FeError::unexpected_dtype(name, key, format!("{what} of numbers"), v.dtype()));
            }
            if !(first + 2..=first + 3).contains(&shape.len()) {
                return Err(FeError::unexpected_shape(name, key, what, shape));
            }
            if shape[first] == 0 || shape[first + 1] == 0 {
                return Err(FeError::unexpected_shape(name, key, format!("{what} that is not empty"), shape));
            }
            Ok((shape[first], shape[first + 1]))
        };
        let (h, w) = match (&image, &mask, &masks) {
            (Some((Some(v), Some(k))), _, _) => dims(v, k, 0)?,
            (_, Some((Some(v), Some(k))), _) => dims(v, k, 0)?,
            (_, _, Some((Some(v), Some(k)))) => dims(v, k, 1)?,
            _ => return Err(FeError::param(name, "image_in", "needs an image or a mask to know the image size")),
        };
        let geometry = plan(h, w)?;
        let (oh, ow) = geometry.out_size();
        let mut out = Vec::with_capacity(self.io.inputs.len());
        let check = |key: &str, shape: &[usize], first: usize| -> Result<()> {
            if shape.len() < first + 2 || shape[first..first + 2] != [h, w] {
                let expected = if first == 0 { format!("{h}×{w}[×C]") } else { format!("N×{h}×{w}[×C]") };
                return Err(FeError::unexpected_shape(
                    name,
                    key,
                    format!("{expected}, the image's height×width"),
                    shape,
                ));
            }
            Ok(())
        };
        if let Some((Some(v), Some(key))) = image {
            check(key, v.shape(), 0)?;
            let (interp, border, fill) = (self.interpolation, self.border_mode, self.value);
            out.push(map_image!(v, name, key, |img| Ok::<_, FeError>(geometry.apply(&img, interp, border, fill))));
        }
        let mask_value = self.mask_value;
        let warp_mask = |v: Value, key: &str| -> Result<Value> {
            Ok(map_any_image!(v, name, key, |img| Ok::<_, FeError>(geometry.apply(
                &img,
                Interpolation::Nearest,
                self.border_mode,
                mask_value
            ))))
        };
        if let Some((Some(v), Some(key))) = mask {
            check(key, v.shape(), 0)?;
            out.push(warp_mask(v, key)?);
        }
        if let Some((Some(v), Some(key))) = masks {
            check(key, v.shape(), 1)?;
            let n = v.shape()[0];
            let parts: Vec<Value> = (0..n).map(|i| warp_mask(v.index_first(i), key)).collect::<Result<_>>()?;
            out.push(if parts.is_empty() {
                let mut shape = v.shape().to_vec();
                shape[1] = oh;
                shape[2] = ow;
                crate::value::map_value!(v, a => ArrayD::from_elem(IxDyn(&shape), a.first().cloned().unwrap_or_default()))
            } else {
                Value::stack(key, &parts)?
            });
        }
        if let Some((Some(v), Some(key))) = bbox {
            out.push(self.move_boxes(v, key, &geometry, (h, w), (oh, ow))?);
        }
        if let Some((Some(v), Some(key))) = keypoints {
            out.push(self.move_keypoints(v, key, &geometry, (oh, ow))?);
        }
        Ok(out)
    }

    fn rows(&self, v: &Value, key: &str, min_cols: usize, what: &str) -> Result<(Vec<Vec<f64>>, bool)> {
        let name = self.name;
        let a = v.to_f64().ok_or_else(|| FeError::unexpected_dtype(name, key, format!("numeric {what}"), v.dtype()))?;
        let rows: Vec<Vec<f64>> = match a.ndim() {
            1 if a.is_empty() => Vec::new(),
            2 if a.shape()[1] >= min_cols => a.axis_iter(Axis(0)).map(|r| r.iter().copied().collect()).collect(),
            2 if a.shape()[0] == 0 => Vec::new(),
            _ => {
                return Err(FeError::unexpected_shape(name, key, format!("{what} of shape N×{min_cols}+"), a.shape()));
            }
        };
        Ok((rows, matches!(v, Value::F32(_))))
    }

    fn to_value(rows: Vec<Vec<f64>>, cols: usize, f32_out: bool) -> Value {
        let n = rows.len();
        let flat: Vec<f64> = rows.into_iter().flatten().collect();
        let a = ArrayD::from_shape_vec(IxDyn(&[n, cols]), flat).expect("rows have equal length");
        if f32_out {
            Value::F32(a.mapv(|x| x as f32))
        } else {
            Value::F64(a)
        }
    }

    fn move_boxes(
        &self,
        v: Value,
        key: &str,
        geometry: &Geometry,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
    ) -> Result<Value> {
        let (rows, f32_out) = self.rows(&v, key, 4, "bounding boxes")?;
        let cols = v.shape().get(1).copied().unwrap_or(4).max(4);
        let p = &self.bbox_params;
        let (w, h, ow, oh) = (w as f64, h as f64, ow as f64, oh as f64);
        let mut kept = Vec::with_capacity(rows.len());
        for mut r in rows {
            let (x0, y0, x1, y1) = match p.format {
                BboxFormat::PascalVoc => (r[0], r[1], r[2], r[3]),
                BboxFormat::Coco => (r[0], r[1], r[0] + r[2], r[1] + r[3]),
                BboxFormat::Albumentations => (r[0] * w, r[1] * h, r[2] * w, r[3] * h),
                BboxFormat::Yolo => {
                    ((r[0] - r[2] / 2.0) * w, (r[1] - r[3] / 2.0) * h, (r[0] + r[2] / 2.0) * w, (r[1] + r[3] / 2.0) * h)
                }
            };
            // Corners in pixel-centre coordinates, moved, then back to edges.
            let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)];
            let mut moved = Vec::with_capacity(4);
            for (x, y) in corners {
                let (mx, my) = geometry.map_point(x - 0.5, y - 0.5).ok_or_else(|| {
                    FeError::invalid_value(self.name, key, "this transform cannot move bounding boxes")
                })?;
                moved.push((mx + 0.5, my + 0.5));
            }
            let nx0 = moved.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
            let nx1 = moved.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max);
            let ny0 = moved.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
            let ny1 = moved.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
            let area = (nx1 - nx0).max(0.0) * (ny1 - ny0).max(0.0);
            let (cx0, cy0, cx1, cy1) = (nx0.clamp(0.0, ow), ny0.clamp(0.0, oh), nx1.clamp(0.0, ow), ny1.clamp(0.0, oh));
            let clipped = (cx1 - cx0).max(0.0) * (cy1 - cy0).max(0.0);
            if clipped <= 0.0 || clipped < p.min_area || (area > 0.0 && clipped / area < p.min_visibility) {
                continue;
            }
            let coords = match p.format {
                BboxFormat::PascalVoc => [cx0, cy0, cx1, cy1],
                BboxFormat::Coco => [cx0, cy0, cx1 - cx0, cy1 - cy0],
                BboxFormat::Albumentations => [cx0 / ow, cy0 / oh, cx1 / ow, cy1 / oh],
                BboxFormat::Yolo => {
                    [(cx0 + cx1) / 2.0 / ow, (cy0 + cy1) / 2.0 / oh, (cx1 - cx0) / ow, (cy1 - cy0) / oh]
                }
            };
            r[..4].copy_from_slice(&coords);
            kept.push(r);
        }
        Ok(Self::to_value(kept, cols, f32_out))
    }

    fn move_keypoints(&self, v: Value, key: &str, geometry: &Geometry, (oh, ow): (usize, usize)) -> Result<Value> {
        let (rows, f32_out) = self.rows(&v, key, 2, "keypoints")?;
        let cols = v.shape().get(1).copied().unwrap_or(2).max(2);
        let mut kept = Vec::with_capacity(rows.len());
        for mut r in rows {
            let (x, y) = geometry
                .map_point(r[0], r[1])
                .ok_or_else(|| FeError::invalid_value(self.name, key, "this transform cannot move keypoints"))?;
            let visible = (0.0..ow as f64).contains(&x) && (0.0..oh as f64).contains(&y);
            if self.keypoint_params.remove_invisible && !visible {
                continue;
            }
            r[0] = x;
            r[1] = y;
            kept.push(r);
        }
        Ok(Self::to_value(kept, cols, f32_out))
    }
}

/// Implement `HasIo` and FE's target keyword arguments as builder methods for a type with an
/// `mv: MultiVariate` field.
macro_rules! impl_multivariate {
    ($t:ty) => {
        impl $crate::op::HasIo for $t {
            fn io(&self) -> &$crate::op::OpIo {
                &self.mv.io
            }
            fn io_mut(&mut self) -> &mut $crate::op::OpIo {
                &mut self.mv.io
            }
        }

        impl $t {
            /// The image to transform (also the output key unless `image_out` is set).
            pub fn image_in(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Image, key, false);
                self
            }
            /// Where to write the transformed image.
            pub fn image_out(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Image, key, true);
                self
            }
            /// A mask to transform with the image (nearest-neighbour).
            pub fn mask_in(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Mask, key, false);
                self
            }
            /// Where to write the transformed mask.
            pub fn mask_out(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Mask, key, true);
                self
            }
            /// Several masks stacked on the first axis (`N×H×W[×C]`).
            pub fn masks_in(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Masks, key, false);
                self
            }
            /// Where to write the transformed masks.
            pub fn masks_out(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Masks, key, true);
                self
            }
            /// Bounding boxes (`N×(4+k)`) to move with the image.
            pub fn bbox_in(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Bbox, key, false);
                self
            }
            /// Where to write the moved boxes.
            pub fn bbox_out(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Bbox, key, true);
                self
            }
            /// Keypoints (`N×(2+k)`, `x, y` first) to move with the image.
            pub fn keypoints_in(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Keypoints, key, false);
                self
            }
            /// Where to write the moved keypoints.
            pub fn keypoints_out(mut self, key: &str) -> Self {
                self.mv.set($crate::op::numpy::multivariate::targets::Target::Keypoints, key, true);
                self
            }
            /// The box format and drop thresholds.
            pub fn bbox_params(mut self, params: $crate::op::numpy::multivariate::BboxParams) -> Self {
                self.mv.bbox_params = params;
                self
            }
            /// Keypoint settings.
            pub fn keypoint_params(mut self, params: $crate::op::numpy::multivariate::KeypointParams) -> Self {
                self.mv.keypoint_params = params;
                self
            }
        }
    };
}
pub(crate) use impl_multivariate;

/// Builder methods for ops that resample: interpolation, border mode and fill values.
macro_rules! impl_resampling {
    ($t:ty) => {
        impl $t {
            /// How the image is interpolated (masks always use nearest neighbour).
            pub fn interpolation(mut self, interpolation: $crate::op::numpy::multivariate::Interpolation) -> Self {
                self.mv.interpolation = interpolation;
                self
            }
            /// How pixels beyond the image are filled.
            pub fn border_mode(mut self, border_mode: $crate::op::numpy::multivariate::BorderMode) -> Self {
                self.mv.border_mode = border_mode;
                self
            }
            /// The image fill value for `BorderMode::Constant` (on the image's scale).
            pub fn value(mut self, value: f32) -> Self {
                self.mv.value = value;
                self
            }
            /// The mask fill value for `BorderMode::Constant`.
            pub fn mask_value(mut self, value: f32) -> Self {
                self.mv.mask_value = value;
                self
            }
        }
    };
}
pub(crate) use impl_resampling;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::numpy::imgproc::AffineMap;

    #[test]
    fn keys_follow_fe_order_and_outputs_default_to_inputs() {
        let mut mv = MultiVariate::new("T", (true, true));
        mv.set(Target::Keypoints, "k", false);
        mv.set(Target::Image, "x", false);
        mv.set(Target::Image, "y", true);
        assert_eq!(mv.io.inputs, vec!["x".to_string(), "k".to_string()]);
        assert_eq!(mv.io.outputs, vec!["y".to_string(), "k".to_string()]);
        let mut dense = MultiVariate::new("ElasticTransform", (false, false));
        dense.set(Target::Bbox, "b", false);
        assert!(dense.io.validate("ElasticTransform").unwrap_err().to_string().contains("bbox"));
    }

    #[test]
    fn boxes_are_clipped_and_dropped() {
        let mut mv = MultiVariate::new("T", (true, true));
        mv.set(Target::Bbox, "b", false);
        let shift = Geometry::Affine { m: AffineMap::translation(-5.0, 0.0), out_h: 10, out_w: 10 };
        let boxes = Value::F64(
            ArrayD::from_shape_vec(IxDyn(&[2, 5]), vec![2.0, 2.0, 8.0, 6.0, 7.0, 0.0, 0.0, 4.0, 4.0, 3.0]).unwrap(),
        );
        let out = mv.move_boxes(boxes, "b", &shift, (10, 10), (10, 10)).unwrap();
        // The first box is clipped at x = 0, the second leaves the image and is dropped.
        assert_eq!(out, Value::F64(ArrayD::from_shape_vec(IxDyn(&[1, 5]), vec![0.0, 2.0, 3.0, 6.0, 7.0]).unwrap()));
        mv.bbox_params = BboxParams::default().min_visibility(0.6);
        let boxes = Value::F64(ArrayD::from_shape_vec(IxDyn(&[1, 4]), vec![2.0, 2.0, 8.0, 6.0]).unwrap());
        assert_eq!(mv.move_boxes(boxes, "b", &shift, (10, 10), (10, 10)).unwrap().shape(), &[0, 4]);
    }
}
