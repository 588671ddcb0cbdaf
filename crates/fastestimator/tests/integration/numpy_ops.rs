//! The pipeline op library inside real pipelines: determinism across worker counts, RemoveIf
//! with and without replacement, meta ops, benchmark output and construction errors.

use fastestimator as fe;
use fe::dataset::NumpyDataset;
use fe::op::numpy::meta::{OneOf, Repeat, Sometimes};
use fe::op::numpy::multivariate::{BboxParams, HorizontalFlip, PadIfNeeded, RandomCrop, Rotate, ShiftScaleRotate};
use fe::op::numpy::univariate::{
    Brightness, ChannelTranspose, CoarseDropout, GaussianNoise, HueSaturationValue, Normalize, RUA,
};
use fe::op::numpy::{Batch, LambdaOp, NumpyOp, RemoveIf};
use fe::{Mode, Value};
use ndarray::{ArrayD, IxDyn};
use rand::Rng;

/// `n` generated 32×32×3 images with a label, a box and a keypoint each.
fn images(n: usize) -> NumpyDataset {
    let mut rng = fe::util::seeded_rng(11, &[]);
    let x = ArrayD::from_shape_fn(IxDyn(&[n, 32, 32, 3]), |_| rng.gen::<u8>());
    let y = ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] % 10) as i64);
    let bbox = ArrayD::from_shape_fn(IxDyn(&[n, 1, 5]), |i| [4.0, 6.0, 20.0, 24.0, 1.0][i[2]]);
    let kp = ArrayD::from_shape_fn(IxDyn(&[n, 1, 2]), |i| [10.0, 12.0][i[2]]);
    NumpyDataset::new([("x", Value::U8(x)), ("y", Value::I64(y)), ("bbox", Value::F64(bbox)), ("kp", Value::F64(kp))])
        .unwrap()
}

fn random_chain() -> Vec<Box<dyn NumpyOp>> {
    vec![
        Box::new(PadIfNeeded::new(40, 40).unwrap().image_in("x").bbox_in("bbox").keypoints_in("kp")),
        Box::new(RandomCrop::new(32, 32).unwrap().image_in("x").bbox_in("bbox").keypoints_in("kp")),
        Box::new(
            Sometimes::new(Box::new(HorizontalFlip::new().image_in("x").bbox_in("bbox").keypoints_in("kp")), 0.5)
                .unwrap(),
        ),
        Box::new(
            ShiftScaleRotate::new()
                .image_in("x")
                .bbox_in("bbox")
                .keypoints_in("kp")
                .bbox_params(BboxParams::default().min_visibility(0.2)),
        ),
        Box::new(CoarseDropout::new("x", "x").max_holes(1)),
        Box::new(
            OneOf::new(
                vec![Box::new(Brightness::new("x", "x")), Box::new(HueSaturationValue::new("x", "x"))],
                Some(vec![0.3, 0.7]),
            )
            .unwrap(),
        ),
        Box::new(RUA::new("x", "x").unwrap()),
        Box::new(GaussianNoise::new("x", "x")),
        Box::new(Normalize::new("x", "x")),
        Box::new(ChannelTranspose::new("x", "x")),
        Box::new(Batch::new(8).unwrap().pad_value(-1.0)),
    ]
}

fn epoch(ops: Vec<Box<dyn NumpyOp>>, workers: usize, n: usize, steps: Option<usize>) -> Vec<fe::Sample> {
    let p = fe::Pipeline::builder().train_data(images(n)).ops(ops).seed(5).num_process(workers).build().unwrap();
    p.loader(Mode::Train, 2, "", steps).unwrap().collect::<fe::Result<Vec<_>>>().unwrap()
}

#[test]
fn a_chain_of_random_ops_is_byte_identical_for_1_2_and_8_workers() {
    let one = epoch(random_chain(), 1, 60, None);
    assert_eq!(one.len(), 8);
    assert_eq!(one[0]["x"].shape(), &[8, 3, 32, 32]);
    assert_eq!(one, epoch(random_chain(), 2, 60, None));
    assert_eq!(one, epoch(random_chain(), 8, 60, None));
    // The augmentation really is random: another epoch gives other pixels for the same images.
    let p = fe::Pipeline::builder().train_data(images(8)).ops(random_chain()).seed(5).build().unwrap();
    let e1 = p.get_results(Mode::Train, 1, 1).unwrap();
    let e2 = p.get_results(Mode::Train, 2, 1).unwrap();
    assert_eq!(e1[0]["y"], e2[0]["y"]);
    assert_ne!(e1[0]["x"], e2[0]["x"]);
}

/// Marks samples whose label is 0 or 1 with a random draw, then removes them.
fn filtering_chain(replacement: bool, per_batch: bool) -> Vec<Box<dyn NumpyOp>> {
    let mark = LambdaOp::random("y", "coin", |v, rng| {
        let y = v[0].to_f64().unwrap().sum();
        Ok(vec![Value::from(i64::from(y < 2.0 && rng.gen_bool(0.9)))])
    });
    let remove = RemoveIf::new("coin", |v: &[Value]| Ok(v[0].to_f64().unwrap().sum() > 0.0)).replacement(replacement);
    if per_batch {
        vec![Box::new(mark), Box::new(Batch::new(4).unwrap()), Box::new(remove)]
    } else {
        vec![Box::new(mark), Box::new(remove), Box::new(Batch::new(4).unwrap())]
    }
}

fn labels(batches: &[fe::Sample]) -> Vec<i64> {
    batches.iter().flat_map(|b| b["y"].to_f64().unwrap().iter().map(|&v| v as i64).collect::<Vec<_>>()).collect()
}

#[test]
fn remove_if_per_sample_with_and_without_replacement() {
    // Without replacement the epoch shortens: about 18% of 100 samples are dropped.
    let short = epoch(filtering_chain(false, false), 1, 100, None);
    let kept = labels(&short);
    assert!(kept.len() < 100 && kept.len() > 60, "{}", kept.len());
    assert!(short[..short.len() - 1].iter().all(|b| b["y"].shape() == [4]), "full batches until the last");
    assert_eq!(short, epoch(filtering_chain(false, false), 2, 100, None));
    assert_eq!(short, epoch(filtering_chain(false, false), 8, 100, None));
    // With replacement the epoch keeps its 25 batches of 4.
    let full = epoch(filtering_chain(true, false), 1, 100, None);
    assert_eq!(full.len(), 25);
    assert_eq!(labels(&full).len(), 100);
    assert_eq!(full, epoch(filtering_chain(true, false), 2, 100, None));
    assert_eq!(full, epoch(filtering_chain(true, false), 8, 100, None));
    // Removed samples are mostly labels 0 and 1.
    let low = |v: &[i64]| v.iter().filter(|&&y| y < 2).count();
    assert!(low(&kept) < 10 && low(&labels(&full)) < 10);
    // steps_per_epoch is honoured with replacement.
    assert_eq!(epoch(filtering_chain(true, false), 3, 100, Some(40)).len(), 40);
}

#[test]
fn remove_if_per_batch_with_and_without_replacement() {
    let short = epoch(filtering_chain(false, true), 1, 100, None);
    assert!(short.len() < 25 && !short.is_empty(), "{}", short.len());
    assert!(short.iter().all(|b| b["coin"].to_f64().unwrap().sum() == 0.0));
    assert_eq!(short, epoch(filtering_chain(false, true), 2, 100, None));
    let full = epoch(filtering_chain(true, true), 1, 100, None);
    assert_eq!(full.len(), 25);
    assert!(full.iter().all(|b| b["coin"].to_f64().unwrap().sum() == 0.0));
    assert_eq!(full, epoch(filtering_chain(true, true), 8, 100, None));
    // get_results (single thread) agrees with the threaded loader.
    let p = fe::Pipeline::builder().train_data(images(100)).ops(filtering_chain(true, true)).seed(5).build().unwrap();
    let first = p.get_results(Mode::Train, 1, 3).unwrap();
    assert_eq!(first.len(), 3);
}

#[test]
fn removing_everything_with_replacement_is_an_error_not_a_hang() {
    let ops: Vec<Box<dyn NumpyOp>> =
        vec![Box::new(RemoveIf::new("y", |_: &[Value]| Ok(true))), Box::new(Batch::new(4).unwrap())];
    let p = fe::Pipeline::builder().train_data(images(10)).ops(ops).num_process(2).build().unwrap();
    let err = p.loader(Mode::Train, 1, "", None).unwrap().next().unwrap().unwrap_err().to_string();
    assert!(err.contains("RemoveIf"), "{err}");
}

#[test]
fn fe_fact_repeat_inside_a_pipeline() {
    let step = LambdaOp::new("x", ["x", "y"], |v: Vec<Value>| {
        let x = v[0].to_f64().unwrap();
        Ok(vec![Value::F64(&x + 1.0), Value::F64(&x * &x)])
    });
    let ds = NumpyDataset::new([("x", Value::from(vec![1.0f64]))]).unwrap();
    let p = fe::Pipeline::builder()
        .train_data(ds)
        .ops(vec![Box::new(Repeat::new(Box::new(step), 5).unwrap())])
        .build()
        .unwrap();
    let out = p.get_results(Mode::Train, 1, 1).unwrap().remove(0);
    assert_eq!((out["x"].clone(), out["y"].clone()), (Value::from(6.0f64), Value::from(25.0f64)));
}

#[test]
fn bad_parameters_are_reported_at_build_naming_op_and_parameter() {
    let cases: Vec<(Box<dyn NumpyOp>, &str, &str)> = vec![
        (Box::new(Brightness::new("x", "x").limit_range(0.5, -0.5)), "Brightness", "limit"),
        (Box::new(CoarseDropout::new("x", "x").max_holes(1).min_holes(2)), "CoarseDropout", "min_holes"),
        (Box::new(Rotate::new().image_in("x").limit_range(10.0, 5.0)), "Rotate", "limit"),
    ];
    for (op, name, param) in cases {
        let err = fe::Pipeline::builder().train_data(images(4)).ops(vec![op]).build().unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(param), "{err}");
    }
    let err = Sometimes::new(Box::new(Brightness::new("x", "x")), 1.5).err().unwrap().to_string();
    assert!(err.contains("Sometimes") && err.contains("prob"), "{err}");
    assert!(OneOf::new(vec![], None).err().unwrap().to_string().contains("OneOf"));
}

#[test]
fn a_grey_image_where_rgb_is_needed_is_a_clear_runtime_error() {
    let ds = NumpyDataset::new([("x", Value::U8(ArrayD::zeros(IxDyn(&[2, 8, 8, 2]))))]).unwrap();
    let p =
        fe::Pipeline::builder().train_data(ds).ops(vec![Box::new(HueSaturationValue::new("x", "x"))]).build().unwrap();
    let err = p.get_results(Mode::Train, 1, 1).unwrap_err();
    assert!(matches!(err, fe::FeError::UnexpectedShape { ref got, .. } if got == &[8, 8, 2]), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("HueSaturationValue") && msg.contains("channels"), "{msg}");
}

#[test]
fn benchmark_prints_fe_lines_and_a_per_op_table() {
    let p = fe::Pipeline::builder()
        .train_data(images(40))
        .ops(vec![
            Box::new(Sometimes::new(Box::new(Rotate::new().image_in("x")), 0.5).unwrap()),
            Box::new(Batch::new(4).unwrap()),
            Box::new(LambdaOp::new("y", "y", |v: Vec<Value>| Ok(v))),
        ])
        .num_process(1)
        .build()
        .unwrap();
    let reports = p.benchmark(Mode::Train, 1, 10, 5, true).unwrap();
    let r = &reports[0];
    assert_eq!(r.steps, 10);
    assert_eq!(r.steps_per_sec.len(), 2);
    let names: Vec<&str> = r.ops.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Sometimes (Rotate)", "<Collating Batch>", "LambdaOp"]);
    assert_eq!(r.ops[0].visits, 20);
    assert_eq!(r.ops[1].visits, 5);
    let table = r.table();
    assert!(table.starts_with("Op ") && table.contains("ms / Visit") && table.contains("Time (Total)"), "{table}");
}
