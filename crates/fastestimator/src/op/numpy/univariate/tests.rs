//! Tests shared by the image-only augmentation ops: every op keeps shape and dtype on `u8` and
//! float images, is deterministic per sample, stays in range, and meets its defining fact.

use ndarray::{ArrayD, IxDyn};

use super::*;
use crate::op::numpy::{NumpyOp, OpState};
use crate::util::Mode;
use crate::value::Value;

fn state(position: u64) -> OpState<'static> {
    OpState::new(Mode::Train, 1, "", 42, position, 3)
}

fn run(op: &dyn NumpyOp, v: Value, position: u64) -> crate::Result<Value> {
    op.forward(vec![v], &mut state(position)).map(|mut o| o.remove(0))
}

fn rgb_u8(h: usize, w: usize) -> Value {
    Value::U8(ArrayD::from_shape_fn(IxDyn(&[h, w, 3]), |i| ((i[0] * 37 + i[1] * 11 + i[2] * 71) % 256) as u8))
}

fn gray_u8(h: usize, w: usize) -> Value {
    Value::U8(ArrayD::from_shape_fn(IxDyn(&[h, w]), |i| ((i[0] * 29 + i[1] * 13) % 256) as u8))
}

fn rgb_f32(h: usize, w: usize) -> Value {
    Value::F32(ArrayD::from_shape_fn(IxDyn(&[h, w, 3]), |i| ((i[0] * 37 + i[1] * 11 + i[2] * 71) % 256) as f32 / 255.0))
}

fn constant(h: usize, w: usize, c: usize, v: u8) -> Value {
    Value::U8(ArrayD::from_elem(IxDyn(&[h, w, c]), v))
}

/// Every image-only op with its accepted channel counts.
fn all_ops() -> Vec<(Box<dyn NumpyOp>, &'static [usize])> {
    let any: &'static [usize] = &[1, 3];
    let rgb: &'static [usize] = &[3];
    vec![
        (Box::new(AutoContrast::new("x", "x")), any),
        (Box::new(Brightness::new("x", "x")), any),
        (Box::new(Color::new("x", "x")), any),
        (Box::new(Contrast::new("x", "x")), any),
        (Box::new(Sharpness::new("x", "x")), any),
        (Box::new(Equalize::new("x", "x")), any),
        (Box::new(Equalize::new("x", "x").by_channels(false)), any),
        (Box::new(Posterize::new("x", "x")), any),
        (Box::new(Solarize::new("x", "x")), any),
        (Box::new(Rotate::new("x", "x")), any),
        (Box::new(Identity::new("x", "x")), any),
        (Box::new(ShearX::new("x", "x")), any),
        (Box::new(ShearY::new("x", "x")), any),
        (Box::new(TranslateX::new("x", "x")), any),
        (Box::new(TranslateY::new("x", "x")), any),
        (Box::new(RandomShapes::new("x", "x")), any),
        (Box::new(InvertImg::new("x", "x")), any),
        (Box::new(ToGray::new("x", "x")), any),
        (Box::new(ToSepia::new("x", "x")), rgb),
        (Box::new(ChannelDropout::new("x", "x")), rgb),
        (Box::new(ChannelShuffle::new("x", "x")), any),
        (Box::new(CoarseDropout::new("x", "x")), any),
        (Box::new(Blur::new("x", "x")), any),
        (Box::new(GaussianBlur::new("x", "x").blur_limit(7)), any),
        (Box::new(MedianBlur::new("x", "x")), any),
        (Box::new(MotionBlur::new("x", "x")), any),
        (Box::new(GaussianNoise::new("x", "x")), any),
        (Box::new(MultiplicativeNoise::new("x", "x").per_channel(true).elementwise(true)), any),
        (Box::new(RandomBrightnessContrast::new("x", "x")), any),
        (Box::new(RandomBrightnessContrast::new("x", "x").brightness_by_max(false)), any),
        (Box::new(RandomGamma::new("x", "x")), any),
        (Box::new(HueSaturationValue::new("x", "x")), any),
        (Box::new(RGBShift::new("x", "x")), rgb),
        (Box::new(ColorJitter::new("x", "x")), any),
        (Box::new(CLAHE::new("x", "x").tile_grid_size(4, 4)), any),
        (Box::new(Downscale::new("x", "x")), any),
        (Box::new(RUA::new("x", "x").unwrap()), any),
    ]
}

#[test]
fn every_op_keeps_shape_and_dtype_is_deterministic_and_stays_in_range() {
    for (op, channels) in all_ops() {
        let name = op.name();
        let mut inputs = vec![rgb_u8(17, 23), rgb_f32(17, 23)];
        if channels.contains(&1) {
            inputs.push(gray_u8(17, 23));
        }
        for x in inputs {
            let a = run(op.as_ref(), x.clone(), 1).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(a.shape(), x.shape(), "{name} changed the shape");
            assert_eq!(a.dtype(), x.dtype(), "{name} changed the dtype");
            assert_eq!(a, run(op.as_ref(), x.clone(), 1).unwrap(), "{name} is not deterministic");
            if let Value::F32(f) = &a {
                assert!(f.iter().all(|v| (0.0..=1.0).contains(v)), "{name} left [0, 1]");
            }
        }
    }
}

#[test]
fn random_ops_differ_between_samples() {
    let x = rgb_u8(64, 64);
    for (op, _) in all_ops() {
        let name = op.name();
        // These have no randomness with their default parameters.
        if [
            "AutoContrast",
            "Equalize",
            "Identity",
            "InvertImg",
            "ToGray",
            "ToSepia",
            "Posterize",
            "Solarize",
            "Downscale",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        let outs: Vec<Value> = (0..6).map(|p| run(op.as_ref(), x.clone(), p).unwrap()).collect();
        assert!(outs.iter().any(|o| *o != outs[0]), "{name} gave the same output for 6 samples");
    }
}

#[test]
fn wrong_rank_and_channels_are_shape_errors() {
    for (op, channels) in all_ops() {
        let name = op.name();
        let rank1 = Value::from(vec![1u8, 2, 3]);
        if name != "Identity" {
            assert!(
                matches!(run(op.as_ref(), rank1, 0), Err(crate::FeError::UnexpectedShape { ref got, .. }) if got == &[3]),
                "{name} accepted a 1-D value"
            );
        }
        if !channels.contains(&1) {
            let err = run(op.as_ref(), gray_u8(8, 8), 0).unwrap_err();
            assert!(
                matches!(err, crate::FeError::UnexpectedShape { ref got, .. } if got == &[8, 8])
                    && err.to_string().contains(&name),
                "{name}: {err}"
            );
        }
    }
    let text = Value::from("a path");
    assert!(run(&Brightness::new("x", "x"), text, 0).is_err());
}

#[test]
fn defining_facts() {
    let x = rgb_u8(12, 12);
    let invert = InvertImg::new("x", "x");
    assert_eq!(run(&invert, run(&invert, x.clone(), 0).unwrap(), 0).unwrap(), x);
    let Value::U8(g) = run(&ToGray::new("x", "x"), x.clone(), 0).unwrap() else { panic!() };
    assert!(g.outer_iter().all(|row| row.outer_iter().all(|p| p[0] == p[1] && p[1] == p[2])));
    // Zero-strength settings are the identity.
    for op in [
        Box::new(Brightness::new("x", "x").limit(0.0)) as Box<dyn NumpyOp>,
        Box::new(Contrast::new("x", "x").limit(0.0)),
        Box::new(Color::new("x", "x").limit(0.0)),
        Box::new(Sharpness::new("x", "x").limit(0.0)),
        Box::new(RandomGamma::new("x", "x").gamma_limit(100.0, 100.0)),
        Box::new(RGBShift::new("x", "x").shift_limits(0.0, 0.0, 0.0)),
        Box::new(MultiplicativeNoise::new("x", "x").multiplier(1.0, 1.0)),
        Box::new(Rotate::new("x", "x").limit(0.0)),
        Box::new(TranslateX::new("x", "x").shift_limit(0.0)),
        Box::new(ShearY::new("x", "x").shear_coef(0.0)),
        Box::new(CoarseDropout::new("x", "x").max_holes(0)),
    ] {
        assert_eq!(run(op.as_ref(), x.clone(), 0).unwrap(), x, "{}", op.name());
    }
    for op in [
        Box::new(HueSaturationValue::new("x", "x").hue_shift_limit(0.0).sat_shift_limit(0.0).val_shift_limit(0.0))
            as Box<dyn NumpyOp>,
        Box::new(ColorJitter::new("x", "x").brightness(0.0).contrast(0.0).saturation(0.0).hue(0.0)),
    ] {
        let (Value::U8(a), Value::U8(b)) = (run(op.as_ref(), x.clone(), 0).unwrap(), x.clone()) else { panic!() };
        assert!(a.iter().zip(b.iter()).all(|(p, q)| p.abs_diff(*q) <= 1), "{}", op.name());
    }
    // Smoothing keeps a constant image constant.
    let flat = constant(9, 9, 3, 77);
    for op in [
        Box::new(Blur::new("x", "x")) as Box<dyn NumpyOp>,
        Box::new(GaussianBlur::new("x", "x").blur_limit(5)),
        Box::new(MedianBlur::new("x", "x")),
        Box::new(MotionBlur::new("x", "x")),
        Box::new(Downscale::new("x", "x")),
    ] {
        assert_eq!(run(op.as_ref(), flat.clone(), 0).unwrap(), flat, "{}", op.name());
    }
    // A channel shuffle keeps each pixel's values; a dropout zeroes exactly one channel.
    let Value::U8(s) = run(&ChannelShuffle::new("x", "x"), x.clone(), 0).unwrap() else { panic!() };
    let Value::U8(orig) = &x else { panic!() };
    let (s, orig) = (s.as_slice().unwrap(), orig.as_slice().unwrap());
    for (p, q) in s.chunks_exact(3).zip(orig.chunks_exact(3)) {
        let (mut p, mut q) = (p.to_vec(), q.to_vec());
        p.sort_unstable();
        q.sort_unstable();
        assert_eq!(p, q);
    }
    let Value::U8(d) = run(&ChannelDropout::new("x", "x"), constant(4, 4, 3, 9), 0).unwrap() else { panic!() };
    assert_eq!(d.iter().filter(|&&v| v == 0).count(), 16);
    // Gaussian noise has roughly the requested spread.
    let Value::U8(n) = run(&GaussianNoise::new("x", "x").var_limit(100.0, 100.0), constant(64, 64, 1, 128), 0).unwrap()
    else {
        panic!()
    };
    let var = n.iter().map(|&v| (f64::from(v) - 128.0).powi(2)).sum::<f64>() / n.len() as f64;
    assert!((70.0..130.0).contains(&var), "{var}");
}

#[test]
fn rua_levels_scale_every_default_op() {
    // Level 0 makes the ranged ops the identity.
    let x = rgb_u8(16, 16);
    for mut op in [
        Box::new(Rotate::new("x", "x").limit(90.0)) as Box<dyn NumpyOp>,
        Box::new(Brightness::new("x", "x").limit(0.9)),
        Box::new(Contrast::new("x", "x").limit(0.9)),
        Box::new(Color::new("x", "x").limit(0.9)),
        Box::new(Sharpness::new("x", "x").limit(0.9)),
        Box::new(ShearX::new("x", "x").shear_coef(0.5)),
        Box::new(TranslateY::new("x", "x").shift_limit(0.33)),
        Box::new(Posterize::new("x", "x").num_bits(7)),
        Box::new(Solarize::new("x", "x").threshold(256.0)),
        Box::new(RandomShapes::new("x", "x")),
    ] {
        op.set_rua_level(0.0).unwrap();
        for p in 0..4 {
            assert_eq!(run(op.as_ref(), x.clone(), p).unwrap(), x, "{} at level 0", op.name());
        }
        assert!(op.set_rua_level(1.5).is_err());
    }
}
