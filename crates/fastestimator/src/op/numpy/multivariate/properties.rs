//! Property tests of the geometric ops: output shapes, binary masks, keypoints and boxes that
//! move with the pixels, and flips that undo themselves.

use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

use super::*;
use crate::op::numpy::{NumpyOp, OpState};
use crate::util::Mode;
use crate::value::Value;

/// Attach the standard targets: image "x", mask "m", boxes "b", keypoints "k".
macro_rules! all_targets {
    ($op:expr) => {
        Box::new($op.image_in("x").mask_in("m").bbox_in("b").keypoints_in("k")) as Box<dyn NumpyOp>
    };
}

/// Image, mask and keypoints only (for ops that cannot move boxes).
macro_rules! no_boxes {
    ($op:expr) => {
        Box::new($op.image_in("x").mask_in("m").keypoints_in("k")) as Box<dyn NumpyOp>
    };
}

/// Image and mask only (dense distortions).
macro_rules! pixels_only {
    ($op:expr) => {
        Box::new($op.image_in("x").mask_in("m")) as Box<dyn NumpyOp>
    };
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    Same,
    Swapped,
    SameOrSwapped,
    Exactly(usize, usize),
    /// RandomScale: both sides scaled by one factor in [lo, hi] and truncated.
    Scaled(f64, f64),
}

/// Whether an op moves pixels by whole positions (then outputs are exact).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Exact,
    Interpolating,
}

struct Case {
    op: Box<dyn NumpyOp>,
    shape: Shape,
    kind: Kind,
    boxes: bool,
    points: bool,
}

fn case(op: Box<dyn NumpyOp>, shape: Shape, kind: Kind) -> Case {
    Case { op, shape, kind, boxes: true, points: true }
}

/// Every geometric op, configured for an `h × w` image (`h, w >= 8`), none shrinking the image
/// by more than a factor of about 1.3 so that interpolated keypoint checks stay meaningful.
fn ops_for(h: usize, w: usize) -> Vec<Case> {
    use BorderMode::Constant;
    use Kind::*;
    let longest = 2 * h.max(w);
    let smallest = 2 * h.min(w);
    let scale = smallest as f64 / h.min(w) as f64;
    vec![
        case(all_targets!(HorizontalFlip::new()), Shape::Same, Exact),
        case(all_targets!(VerticalFlip::new()), Shape::Same, Exact),
        case(all_targets!(Flip::new()), Shape::Same, Exact),
        case(all_targets!(Transpose::new()), Shape::Swapped, Exact),
        case(all_targets!(RandomRotate90::new()), Shape::SameOrSwapped, Exact),
        case(all_targets!(Crop::new(1, 2, w - 1, h - 2).unwrap()), Shape::Exactly(h - 4, w - 2), Exact),
        case(all_targets!(CenterCrop::new(h - 3, w - 1).unwrap()), Shape::Exactly(h - 3, w - 1), Exact),
        case(all_targets!(RandomCrop::new(h / 2 + 1, w / 2 + 1).unwrap()), Shape::Exactly(h / 2 + 1, w / 2 + 1), Exact),
        case(all_targets!(PadIfNeeded::new(h + 3, w + 6).unwrap()), Shape::Exactly(h + 3, w + 6), Exact),
        case(all_targets!(PadIfNeeded::new(h + 5, w).unwrap().border_mode(Constant)), Shape::Exactly(h + 5, w), Exact),
        case(all_targets!(Rotate::new().limit(60.0).border_mode(Constant)), Shape::Same, Interpolating),
        case(all_targets!(ShiftScaleRotate::new().border_mode(Constant)), Shape::Same, Interpolating),
        case(
            all_targets!(Affine::new().rotate(30.0).scale_range(0.9, 1.3).shear(10.0).translate_percent(-0.1, 0.1)),
            Shape::Same,
            Interpolating,
        ),
        case(all_targets!(Resize::new(h + h / 2, w + 3).unwrap()), Shape::Exactly(h + h / 2, w + 3), Interpolating),
        case(
            all_targets!(LongestMaxSize::new(longest).unwrap()),
            Shape::Exactly(
                (h as f64 * longest as f64 / h.max(w) as f64).round() as usize,
                (w as f64 * longest as f64 / h.max(w) as f64).round() as usize,
            ),
            Interpolating,
        ),
        case(
            all_targets!(SmallestMaxSize::new(smallest).unwrap()),
            Shape::Exactly((h as f64 * scale).round() as usize, (w as f64 * scale).round() as usize),
            Interpolating,
        ),
        case(all_targets!(RandomScale::new().scale_limit(0.2)), Shape::Scaled(0.8, 1.2), Interpolating),
        case(all_targets!(RandomResizedCrop::new(h, w).unwrap().scale(0.5, 1.0)), Shape::Exactly(h, w), Interpolating),
        case(
            all_targets!(RandomSizedCrop::new((h.min(w) * 3 / 4, h.min(w)), h, w).unwrap()),
            Shape::Exactly(h, w),
            Interpolating,
        ),
        Case {
            op: no_boxes!(RandomGridShuffle::new(2, 3).unwrap()),
            shape: Shape::Same,
            kind: Exact,
            boxes: false,
            points: true,
        },
        Case {
            op: pixels_only!(ElasticTransform::new().border_mode(Constant)),
            shape: Shape::Same,
            kind: Interpolating,
            boxes: false,
            points: false,
        },
        Case {
            op: pixels_only!(GridDistortion::new().border_mode(Constant)),
            shape: Shape::Same,
            kind: Interpolating,
            boxes: false,
            points: false,
        },
    ]
}

/// A dark image with a bright 5×5 blob centred on `(ky, kx)`, the matching binary mask, the
/// blob's box and its centre as a keypoint.
fn blob(h: usize, w: usize, c: usize, ky: usize, kx: usize) -> (Value, Value, Value, Value) {
    let inside = |y: usize, x: usize| y.abs_diff(ky) <= 2 && x.abs_diff(kx) <= 2;
    let img = ArrayD::from_shape_fn(IxDyn(&[h, w, c]), |i| if inside(i[0], i[1]) { 255u8 } else { 0 });
    let mask = ArrayD::from_shape_fn(IxDyn(&[h, w]), |i| u8::from(inside(i[0], i[1])));
    let (x0, y0) = (kx as f64 - 2.0, ky as f64 - 2.0);
    let bbox = ArrayD::from_shape_vec(IxDyn(&[1, 5]), vec![x0, y0, x0 + 5.0, y0 + 5.0, 7.0]).unwrap();
    let kp = ArrayD::from_shape_vec(IxDyn(&[1, 3]), vec![kx as f64, ky as f64, 3.0]).unwrap();
    (Value::U8(img), Value::U8(mask), Value::F64(bbox), Value::F64(kp))
}

fn run(op: &dyn NumpyOp, inputs: Vec<Value>, seed: u64) -> Vec<Value> {
    let mut st = OpState::new(Mode::Train, 1, "", seed, 0, 0);
    op.forward(inputs, &mut st).unwrap_or_else(|e| panic!("{}: {e}", op.name()))
}

fn inputs_for(c: &Case, img: Value, mask: Value, bbox: Value, kp: Value) -> Vec<Value> {
    let mut v = vec![img, mask];
    if c.boxes {
        v.push(bbox);
    }
    if c.points {
        v.push(kp);
    }
    v
}

fn u8_at(v: &Value, y: usize, x: usize) -> u8 {
    let Value::U8(a) = v else { panic!("expected u8") };
    a[[y, x, 0].get(..a.ndim()).unwrap()]
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    let a = v.to_f64().unwrap();
    if a.is_empty() {
        return Vec::new();
    }
    a.outer_iter().map(|r| r.iter().copied().collect()).collect()
}

fn config() -> ProptestConfig {
    // 24 cases keep the suite fast; PROPTEST_CASES=1000 runs a deeper search.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn output_shapes_follow_the_rule(h in 8usize..40, w in 8usize..40, c in prop::sample::select(vec![1usize, 3]), seed in 0u64..1000) {
        for case in ops_for(h, w) {
            let (img, mask, bbox, kp) = blob(h, w, c, h / 2, w / 2);
            let out = run(case.op.as_ref(), inputs_for(&case, img, mask, bbox, kp), seed);
            let (oh, ow) = (out[0].shape()[0], out[0].shape()[1]);
            let name = case.op.name();
            match case.shape {
                Shape::Same => prop_assert_eq!((oh, ow), (h, w), "{}", name),
                Shape::Swapped => prop_assert_eq!((oh, ow), (w, h), "{}", name),
                Shape::SameOrSwapped => prop_assert!((oh, ow) == (h, w) || (oh, ow) == (w, h), "{}", name),
                Shape::Exactly(eh, ew) => prop_assert_eq!((oh, ow), (eh, ew), "{}", name),
                Shape::Scaled(lo, hi) => {
                    prop_assert!(oh >= (h as f64 * lo) as usize && oh <= (h as f64 * hi) as usize, "{}", name);
                    prop_assert!(ow >= (w as f64 * lo) as usize && ow <= (w as f64 * hi) as usize, "{}", name);
                }
            }
            prop_assert_eq!(out[0].shape().get(2).copied(), Some(c), "{} keeps the channels", name);
            prop_assert_eq!(&out[1].shape()[..2], &[oh, ow][..], "{}: mask follows the image", name);
        }
    }

    #[test]
    fn masks_stay_binary(h in 8usize..32, w in 8usize..32, ky in 2usize..6, kx in 2usize..6, seed in 0u64..1000) {
        for case in ops_for(h, w) {
            let (img, mask, bbox, kp) = blob(h, w, 1, ky, kx);
            let out = run(case.op.as_ref(), inputs_for(&case, img, mask, bbox, kp), seed);
            let Value::U8(m) = &out[1] else { panic!() };
            prop_assert!(m.iter().all(|&v| v <= 1), "{} produced a non-binary mask", case.op.name());
        }
    }

    #[test]
    fn keypoints_and_boxes_move_with_the_pixels(h in 10usize..36, w in 10usize..36, fy in 0.0f64..1.0, fx in 0.0f64..1.0, seed in 0u64..1000) {
        let (ky, kx) = (2 + ((h - 5) as f64 * fy) as usize, 2 + ((w - 5) as f64 * fx) as usize);
        for case in ops_for(h, w).into_iter().filter(|c| c.points) {
            let name = case.op.name();
            let (img, mask, bbox, kp) = blob(h, w, 1, ky, kx);
            let out = run(case.op.as_ref(), inputs_for(&case, img, mask, bbox, kp), seed);
            let (oh, ow) = (out[0].shape()[0], out[0].shape()[1]);
            let points = rows(out.last().unwrap());
            for p in &points {
                prop_assert_eq!(p[2], 3.0, "{}: extra keypoint columns travel unchanged", name);
                let (px, py) = (p[0].round(), p[1].round());
                if px < 0.0 || py < 0.0 || px >= ow as f64 || py >= oh as f64 {
                    continue;
                }
                let (px, py) = (px as usize, py as usize);
                match case.kind {
                    Kind::Exact => {
                        prop_assert_eq!(u8_at(&out[0], py, px), 255, "{}: keypoint off its pixel", name);
                        prop_assert_eq!(u8_at(&out[1], py, px), 1, "{}: keypoint off its mask pixel", name);
                    }
                    Kind::Interpolating => {
                        prop_assert!(u8_at(&out[0], py, px) >= 128, "{}: keypoint ({}, {}) is dark", name, p[0], p[1]);
                    }
                }
            }
            if case.boxes {
                let boxes = rows(&out[2]);
                prop_assert!(boxes.len() <= 1);
                if let (Some(b), Some(p)) = (boxes.first(), points.first()) {
                    prop_assert_eq!(b[4], 7.0, "{}: labels travel with their box", name);
                    prop_assert!(b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= ow as f64 && b[3] <= oh as f64, "{}: box leaves the image", name);
                    // The keypoint (the blob's centre, in edge coordinates and clipped like
                    // the box) stays inside the blob's box.
                    let (ex, ey) = ((p[0] + 0.5).clamp(0.0, ow as f64), (p[1] + 0.5).clamp(0.0, oh as f64));
                    prop_assert!(b[0] - 1e-6 <= ex && ex <= b[2] + 1e-6, "{}: box {:?} vs point {:?}", name, b, p);
                    prop_assert!(b[1] - 1e-6 <= ey && ey <= b[3] + 1e-6, "{}: box {:?} vs point {:?}", name, b, p);
                }
            }
        }
    }

    #[test]
    fn flips_and_transpose_are_involutions(h in 1usize..24, w in 1usize..24, c in prop::sample::select(vec![1usize, 3]), seed in 0u64..1000) {
        let img = Value::U8(ArrayD::from_shape_fn(IxDyn(&[h, w, c]), |i| ((i[0] * 31 + i[1] * 7 + i[2] * 3) % 256) as u8));
        let mask = Value::I64(ArrayD::from_shape_fn(IxDyn(&[h, w]), |i| ((i[0] + i[1]) % 3) as i64));
        let bbox = Value::F64(ArrayD::from_shape_vec(IxDyn(&[1, 4]), vec![0.0, 0.0, w as f64, h as f64]).unwrap());
        let kp = Value::F64(ArrayD::from_shape_vec(IxDyn(&[1, 2]), vec![(w - 1) as f64, 0.0]).unwrap());
        let ops: Vec<Box<dyn NumpyOp>> = vec![
            all_targets!(HorizontalFlip::new()),
            all_targets!(VerticalFlip::new()),
            all_targets!(Transpose::new()),
        ];
        for op in ops {
            let input = vec![img.clone(), mask.clone(), bbox.clone(), kp.clone()];
            let once = run(op.as_ref(), input.clone(), seed);
            let twice = run(op.as_ref(), once, seed);
            prop_assert_eq!(&twice, &input, "{} twice is not the identity", op.name());
        }
    }
}

#[test]
fn bad_sizes_are_errors_naming_op_and_parameter() {
    let err = Crop::new(5, 5, 5, 9).err().unwrap().to_string();
    assert!(err.contains("Crop") && err.contains("x_max"), "{err}");
    let err = RandomCrop::new(0, 3).err().unwrap().to_string();
    assert!(err.contains("RandomCrop") && err.contains("height"), "{err}");
    let op = RandomCrop::new(40, 40).unwrap().image_in("x");
    let img = Value::U8(ArrayD::zeros(IxDyn(&[32, 32, 3])));
    let mut st = OpState::new(Mode::Train, 1, "", 0, 0, 0);
    let err = op.forward(vec![img], &mut st).unwrap_err();
    assert!(matches!(err, crate::FeError::UnexpectedShape { ref got, .. } if got == &[32, 32, 3]), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("RandomCrop") && msg.contains("at least 40×40"), "{msg}");
    let rank4 = Value::U8(ArrayD::zeros(IxDyn(&[2, 8, 8, 3])));
    let err = HorizontalFlip::new().image_in("x").forward(vec![rank4], &mut st).unwrap_err();
    assert!(matches!(err, crate::FeError::UnexpectedShape { ref got, .. } if got == &[2, 8, 8, 3]), "{err}");
    let text = Value::from("not an image");
    let err = Rotate::new().image_in("x").forward(vec![text], &mut st).unwrap_err();
    assert!(matches!(err, crate::FeError::UnexpectedDType { ref got, .. } if got == "str"), "{err}");
}

#[test]
fn masks_stacked_on_a_first_axis_move_together() {
    let op = HorizontalFlip::new().image_in("x").masks_in("ms");
    let img = Value::U8(ArrayD::from_shape_fn(IxDyn(&[2, 3, 1]), |i| i[1] as u8));
    let masks = Value::U8(ArrayD::from_shape_fn(IxDyn(&[2, 2, 3]), |i| (i[0] * 10 + i[2]) as u8));
    let out = run(&op, vec![img, masks], 0);
    let Value::U8(m) = &out[1] else { panic!() };
    assert_eq!(m.shape(), &[2, 2, 3]);
    assert_eq!((m[[0, 0, 0]], m[[1, 1, 0]]), (2, 12));
}

#[test]
fn bbox_formats_round_trip_through_a_flip() {
    for (format, b) in [
        (BboxFormat::PascalVoc, vec![1.0, 2.0, 4.0, 6.0]),
        (BboxFormat::Coco, vec![1.0, 2.0, 3.0, 4.0]),
        (BboxFormat::Albumentations, vec![0.1, 0.25, 0.4, 0.75]),
        (BboxFormat::Yolo, vec![0.25, 0.5, 0.3, 0.5]),
    ] {
        let op = HorizontalFlip::new().image_in("x").bbox_in("b").bbox_params(BboxParams::new(format));
        let img = Value::U8(ArrayD::zeros(IxDyn(&[8, 10])));
        let boxes = Value::F64(ArrayD::from_shape_vec(IxDyn(&[1, 4]), b.clone()).unwrap());
        let once = run(&op, vec![img.clone(), boxes], 0);
        let twice = run(&op, once, 0);
        let back = rows(&twice[1]).remove(0);
        assert!(back.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-9), "{format:?}: {back:?} vs {b:?}");
    }
}
