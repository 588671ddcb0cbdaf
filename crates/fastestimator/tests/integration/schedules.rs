//! Schedulers on everything FE schedules: datasets, batch size, pipeline ops, network ops,
//! optimizers and traces; planning at every signature epoch.

use std::sync::Arc;

use fastestimator as fe;
use fe::dataset::Dataset;
use fe::network::{OptimizerArg, OptimizerSpec};
use fe::op::numpy::{LambdaOp, NumpyOp, ScheduledOp};
use fe::op::tensor::{CrossEntropy, ModelOp, ScheduledTensorOp, TensorOp, UpdateOp};
use fe::schedule::{EpochScheduler, RepeatScheduler, Schedule};
use fe::trace::metric::Accuracy;
use fe::trace::{ScheduledTrace, Trace};
use fe::{FeError, Mode, Value};

use crate::common::column_dataset;
use crate::training::{digits_pipeline, lenet_network};

#[test]
fn case_21_epochs_with_data_follow_dataset_schedules() {
    let ds: Arc<dyn Dataset> = Arc::new(column_dataset(8));
    let p = fe::Pipeline::builder()
        .train_data(column_dataset(8))
        .data_schedule(Mode::Eval, "", EpochScheduler::new(vec![(1, Some(ds)), (3, None)]).unwrap())
        .batch_size(2)
        .build()
        .unwrap();
    let with_eval: Vec<usize> = (1..=5).filter(|&e| p.get_modes_at(e).contains(&Mode::Eval)).collect();
    assert_eq!(with_eval, [1, 2]);
    let with_train: Vec<usize> = (1..=5).filter(|&e| p.get_modes_at(e).contains(&Mode::Train)).collect();
    assert_eq!(with_train, [1, 2, 3, 4, 5]);
    assert!(matches!(p.loader(Mode::Eval, 3, "", None).err(), Some(FeError::NoData { .. })));
}

#[test]
fn scheduled_batch_size_and_ops_change_by_epoch() {
    let plus = |k: i64| -> Box<dyn NumpyOp> {
        Box::new(LambdaOp::new("x", "x", move |v| match &v[0] {
            Value::I64(a) => Ok(vec![Value::I64(a + k)]),
            _ => Err("x must be i64".into()),
        }))
    };
    let p = fe::Pipeline::builder()
        .train_data(column_dataset(8))
        .batch_size_schedule(RepeatScheduler::new(vec![Some(2), Some(4)]).unwrap())
        .ops(vec![Box::new(ScheduledOp::epochs(vec![(1, Some(plus(100))), (2, Some(plus(200))), (3, None)]).unwrap())])
        .build()
        .unwrap();
    let first = |epoch| p.loader(Mode::Train, epoch, "", None).unwrap().collect::<fe::Result<Vec<_>>>().unwrap();
    let (e1, e2, e3) = (first(1), first(2), first(3));
    assert_eq!((e1.len(), e2.len(), e3.len()), (4, 2, 4));
    let min =
        |b: &Vec<fe::Sample>| b.iter().flat_map(|s| s["x"].to_f64().unwrap().into_iter()).fold(f64::MAX, f64::min);
    assert_eq!((min(&e1), min(&e2), min(&e3)), (100.0, 200.0, 0.0));
    assert_eq!(p.change_epochs(10), [1, 2, 3]);
}

#[test]
fn a_scheduled_op_missing_a_key_fails_at_planning_for_its_epoch() {
    let bad: Box<dyn NumpyOp> = Box::new(LambdaOp::new("nope", "x", Ok));
    let pipeline = fe::Pipeline::builder()
        .train_data(column_dataset(8))
        .batch_size(4)
        .ops(vec![Box::new(ScheduledOp::epochs(vec![(1, None), (3, Some(bad))]).unwrap())])
        .build()
        .unwrap();
    let log: crate::common::Log = Default::default();
    let network = fe::Network::new(vec![Box::new(crate::common::RecordingOp::new("A", "x", "a", &log))]).unwrap();
    let mut est = fe::Estimator::builder(pipeline, network, 4).silent().build().unwrap();
    let err = est.fit().unwrap_err();
    assert!(matches!(&err, FeError::MissingKey { key, epoch: 3, .. } if key == "nope"), "{err}");
    assert!(log.lock().unwrap().is_empty(), "planning must fail before any batch");
}

#[test]
fn scheduled_optimizer_network_op_and_trace() {
    let sgd = OptimizerSpec::Sgd { lr: 0.05, momentum: 0.0, nesterov: false, weight_decay: 0.0 };
    let adam = OptimizerSpec::from_name("adam").unwrap();
    let opts = OptimizerArg::Scheduled(Schedule::Epoch(
        EpochScheduler::new(vec![(1, Some(sgd.clone())), (2, Some(adam.clone()))]).unwrap(),
    ));
    let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), opts).unwrap();
    assert_eq!(model.optimizer_spec(), Some(sgd));
    let ce =
        |logits: bool| -> Box<dyn TensorOp> { Box::new(CrossEntropy::new(["y_pred", "y"], "ce").from_logits(logits)) };
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(ScheduledTensorOp::epochs(vec![(1, Some(ce(false))), (3, Some(ce(false)))]).unwrap()),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    let late_accuracy: Box<dyn Trace> = Box::new(
        ScheduledTrace::epochs(vec![(1, None), (2, Some(Box::new(Accuracy::new("y", "y_pred")) as Box<dyn Trace>))])
            .unwrap(),
    );
    let mut est = fe::Estimator::builder(digits_pipeline(64, 32, 0, 16, None), network, 3)
        .traces(vec![late_accuracy])
        .silent()
        .build()
        .unwrap();
    let summary = est.fit().unwrap();
    assert_eq!(model.optimizer_spec(), Some(adam), "epochs 2+ use Adam");
    let acc_epochs: Vec<u64> = summary.get(Mode::Eval, "accuracy").unwrap().keys().copied().collect();
    assert_eq!(acc_epochs, [8, 12], "accuracy only from epoch 2 (steps 8 and 12)");
    let _ = lenet_network;
}
