//! FE's behaviour-defining cases (FE_REFERENCE.md §8) that issue 2 covers.

use fastestimator as fe;
use fe::dataset::{Dataset, NumpyDataset};
use fe::op::numpy::{Batch, LambdaOp};
use fe::op::tensor::{CrossEntropy, NetState, TensorOp};
use fe::op::Configure;
use fe::summary::System;
use fe::trace::metric::Accuracy;
use fe::trace::{Data, Trace};
use fe::{Mode, Value};
use ndarray::array;
use tch::Tensor;

use crate::common::column_dataset;

fn t2(rows: &[&[f32]]) -> Tensor {
    let cols = rows[0].len() as i64;
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_slice(&flat).reshape([rows.len() as i64, cols])
}

fn accuracy_of(acc: Accuracy, y: Tensor, pred: Tensor) -> f64 {
    let mut acc = acc;
    let mut sys = system_for_tests();
    let mut data = Data::default();
    acc.on_epoch_begin(&mut data, &mut sys).unwrap();
    let mut batch = fe::network::TensorMap::new();
    batch.insert("y".into(), y);
    batch.insert("y_pred".into(), pred);
    let mut data = Data::new(batch);
    acc.on_batch_end(&mut data, &mut sys).unwrap();
    let mut data = Data::default();
    acc.on_epoch_end(&mut data, &mut sys).unwrap();
    data.log("accuracy").and_then(|v| v.as_f64()).unwrap()
}

fn system_for_tests() -> System {
    System::standalone()
}

#[test]
fn case_1_accuracy_one_hot_labels() {
    let y = t2(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0]]);
    let pred = t2(&[&[1.0, 2.0, 3.0], &[0.2, 0.5, 0.3]]);
    assert_eq!(accuracy_of(Accuracy::new("y", "y_pred"), y, pred), 0.5);
}

#[test]
fn case_2_accuracy_index_labels() {
    let y = Tensor::from_slice(&[0i64, 1]);
    let pred = t2(&[&[1.0, 2.0, 3.0], &[0.2, 0.5, 0.3]]);
    assert_eq!(accuracy_of(Accuracy::new("y", "y_pred"), y, pred), 0.5);
}

#[test]
fn case_3_accuracy_binary_and_from_logits() {
    let y = Tensor::from_slice(&[0i64, 1]);
    assert_eq!(accuracy_of(Accuracy::new("y", "y_pred"), y.shallow_clone(), t2(&[&[0.3], &[0.6]])), 1.0);
    assert_eq!(accuracy_of(Accuracy::new("y", "y_pred").from_logits(true), y, t2(&[&[-1.0], &[1.0]])), 1.0);
}

fn ce(op: CrossEntropy, pred: Tensor, y: Tensor) -> f64 {
    let mut op = op;
    let mut st = NetState::new(Mode::Train, 1);
    op.forward(vec![pred, y], &mut st).unwrap()[0].double_value(&[])
}

#[test]
fn case_24_cross_entropy_numbers() {
    let probs = || t2(&[&[0.1, 0.8, 0.1], &[0.9, 0.05, 0.05], &[0.1, 0.2, 0.7]]);
    let binary_tf =
        ce(CrossEntropy::new(["p", "y"], "ce"), t2(&[&[1.0], &[3.0], &[4.5]]), t2(&[&[1.0], &[2.0], &[4.0]]));
    assert!((binary_tf - -20.444319).abs() < 1e-4, "{binary_tf}");
    let categorical =
        ce(CrossEntropy::new(["p", "y"], "ce"), probs(), t2(&[&[0.0, 1.0, 0.0], &[1.0, 0.0, 0.0], &[0.0, 0.0, 1.0]]));
    assert!((categorical - 0.22839302).abs() < 1e-6, "{categorical}");
    let sparse = ce(CrossEntropy::new(["p", "y"], "ce"), probs(), Tensor::from_slice(&[0i64, 1, 0]).reshape([3, 1]));
    assert!((sparse - 2.5336342).abs() < 1e-6, "{sparse}");
    let binary_torch = ce(
        CrossEntropy::new(["p", "y"], "ce"),
        t2(&[&[0.9], &[0.3], &[0.8], &[0.1]]),
        t2(&[&[1.0], &[0.0], &[1.0], &[0.0]]),
    );
    assert!((binary_torch - 0.1976349).abs() < 1e-6, "{binary_torch}");
}

#[test]
fn cross_entropy_from_logits_matches_probabilities() {
    let logits = t2(&[&[1.0, 2.0, 0.5], &[0.1, -1.0, 2.0]]);
    let y = Tensor::from_slice(&[1i64, 2]);
    let a = ce(CrossEntropy::new(["p", "y"], "ce").from_logits(true), logits.shallow_clone(), y.shallow_clone());
    let b = ce(CrossEntropy::new(["p", "y"], "ce"), logits.softmax(-1, tch::Kind::Float), y);
    assert!((a - b).abs() < 1e-5);
}

#[test]
fn case_19_get_results() {
    let unbatched = fe::Pipeline::builder().train_data(column_dataset(100)).build().unwrap();
    let r = unbatched.get_results(Mode::Train, 1, 1).unwrap();
    assert_eq!(r[0]["x"], Value::I64(array![0i64].into_dyn()));
    assert_eq!(r[0]["y"], Value::I64(array![-99i64].into_dyn()));

    let plus_one = || {
        LambdaOp::new("x", "y", |v: Vec<Value>| match &v[0] {
            Value::I64(a) => Ok(vec![Value::I64(a + 1)]),
            _ => Err("x must be i64".to_string()),
        })
    };
    let p = fe::Pipeline::builder()
        .train_data(column_dataset(100))
        .ops(vec![Box::new(plus_one()), Box::new(Batch::new(1).unwrap().mode("train"))])
        .build()
        .unwrap();
    let r = p.get_results(Mode::Train, 1, 1).unwrap();
    assert_eq!(r[0]["x"], Value::I64(array![[0i64]].into_dyn()));
    assert_eq!(r[0]["y"], Value::I64(array![[1i64]].into_dyn()));

    let p = fe::Pipeline::builder()
        .train_data(column_dataset(100))
        .eval_data(column_dataset(100))
        .ops(vec![
            Box::new(plus_one()),
            Box::new(Batch::new(2).unwrap().mode("train")),
            Box::new(Batch::new(1).unwrap().mode("eval")),
        ])
        .build()
        .unwrap();
    let train = p.get_results(Mode::Train, 1, 1).unwrap();
    assert_eq!(train[0]["x"], Value::I64(array![[0i64], [1]].into_dyn()));
    assert_eq!(train[0]["y"], Value::I64(array![[1i64], [2]].into_dyn()));
    let eval = p.get_results(Mode::Eval, 1, 1).unwrap();
    assert_eq!(eval[0]["x"], Value::I64(array![[0i64]].into_dyn()));
    assert_eq!(eval[0]["y"], Value::I64(array![[1i64]].into_dyn()));
}

#[test]
fn pipeline_transform_adds_a_batch_axis() {
    let p = fe::Pipeline::builder().train_data(column_dataset(10)).batch_size(4).build().unwrap();
    let sample = column_dataset(10).get(3).unwrap();
    let out = p.transform(sample, Mode::Train, 1, "").unwrap();
    assert_eq!(out["x"], Value::I64(array![[3i64]].into_dyn()));
}

#[test]
fn pipeline_missing_mode_is_an_error() {
    let p = fe::Pipeline::builder().train_data(column_dataset(10)).build().unwrap();
    let err = p.get_results(Mode::Eval, 1, 1).unwrap_err().to_string();
    assert!(err.contains("Pipeline has no data for mode 'eval'"), "{err}");
}

fn clz_dataset() -> NumpyDataset {
    let x: Vec<i64> = (0..100).collect();
    let clz: Vec<i64> = (0..100).map(|i| i % 4).collect();
    NumpyDataset::new([("x", Value::from(x)), ("clz", Value::from(clz))]).unwrap()
}

fn xs(ds: &NumpyDataset) -> Vec<i64> {
    match ds.column("x").unwrap() {
        Value::I64(a) => a.iter().copied().collect(),
        _ => unreachable!(),
    }
}

#[test]
fn case_26_split() {
    let mut ds = clz_dataset();
    let part = ds.split(0.3, None, None).unwrap();
    assert_eq!((ds.len(), part.len()), (70, 30));
    let (a, b) = (xs(&ds), xs(&part));
    assert!(a.iter().all(|x| !b.contains(x)));

    let (mut d1, mut d2) = (clz_dataset(), clz_dataset());
    assert_eq!(xs(&d1.split(0.3, Some(42), None).unwrap()), xs(&d2.split(0.3, Some(42), None).unwrap()));

    let mut ds = clz_dataset();
    let part = ds.split(0.4, Some(1), Some("clz")).unwrap();
    assert_eq!((ds.len(), part.len()), (60, 40));
    let count = |d: &NumpyDataset, c: i64| xs(d).iter().filter(|&&x| x % 4 == c).count();
    for c in 0..4 {
        assert_eq!(count(&ds, c), 15);
        assert_eq!(count(&part, c), 10);
    }
}

#[test]
fn split_by_count_and_several_at_once() {
    let mut ds = clz_dataset();
    let parts = ds.split_many(&[10usize.into(), 0.2.into()], Some(3), None).unwrap();
    assert_eq!((parts[0].len(), parts[1].len(), ds.len()), (10, 20, 70));
    assert!(ds.split(200usize, Some(0), None).is_err());
}
