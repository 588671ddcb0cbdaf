//! Estimator behaviour: FE's call order (case 22), trace assembly and monitor names (case 23),
//! planning before compute.

use std::sync::{Arc, Mutex};

use fastestimator as fe;
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::{FeError, Mode};

use crate::common::{column_dataset, Log, Recorder, RecordingOp};
use crate::training::{digits_pipeline, lenet_network};

#[test]
fn case_22_call_order() {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let pipeline = fe::Pipeline::builder().train_data(column_dataset(100)).batch_size(10).build().unwrap();
    let network = fe::Network::new(vec![
        Box::new(RecordingOp::new("A", "x", "a", &log)),
        Box::new(RecordingOp::new("B", "a", "b", &log)),
    ])
    .unwrap();
    let mut est = fe::Estimator::builder(pipeline, network, 1)
        .traces(vec![Box::new(Recorder::new("a", &log)), Box::new(Recorder::new("b", &log))])
        .silent()
        .build()
        .unwrap();
    est.fit_with(false).unwrap();
    let got = log.lock().unwrap().clone();
    let mut want: Vec<String> = vec!["on_begin a", "on_begin b", "on_epoch_begin a", "on_epoch_begin b"]
        .into_iter()
        .map(String::from)
        .collect();
    for _ in 0..10 {
        want.extend(
            ["on_batch_begin a", "on_batch_begin b", "op A", "op B", "on_batch_end a", "on_batch_end b"]
                .map(String::from),
        );
    }
    want.extend(["on_epoch_end a", "on_epoch_end b", "on_end a", "on_end b"].map(String::from));
    assert_eq!(got, want);
}

#[test]
fn case_23_trace_assembly_and_monitor_names() {
    let (pipeline, network, _) = digits_pipeline_and_network(64);
    let mut est = fe::Estimator::builder(pipeline, network, 1).build().unwrap();
    assert_eq!(est.monitor_names(), ["ce"]);
    let fit = est.trace_names(Mode::Train);
    assert_eq!(fit.first().map(String::as_str), Some("TrainEssential"));
    assert_eq!(fit.get(1).map(String::as_str), Some("EvalEssential"));
    assert_eq!(fit.last().map(String::as_str), Some("Logger"));
    let test = est.trace_names(Mode::Test);
    assert_eq!(test.first().map(String::as_str), Some("TestEssential"));

    let (pipeline, network, _) = digits_pipeline_and_network(64);
    let est = fe::Estimator::builder(pipeline, network, 1).monitor_names(&["a", "b"]).build().unwrap();
    assert_eq!(est.monitor_names(), ["a", "b", "ce"]);
}

fn digits_pipeline_and_network(n: usize) -> (fe::Pipeline, fe::Network, fe::Model) {
    let pipeline = digits_pipeline(n, n / 4, 0, 16, None);
    let (network, model) = lenet_network("adam");
    (pipeline, network, model)
}

#[test]
fn a_trace_needing_a_missing_key_fails_before_any_batch() {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let (pipeline, network, _) = digits_pipeline_and_network(64);
    let mut est = fe::Estimator::builder(pipeline, network, 1)
        .traces(vec![Box::new(Recorder::needing("z", "y_prde", &log).mode_str("train"))])
        .silent()
        .build()
        .unwrap();
    let err = est.fit().unwrap_err();
    match &err {
        FeError::MissingKey { key, mode, epoch, closest, .. } => {
            assert_eq!(key, "y_prde");
            assert_eq!(mode, "train");
            assert_eq!(*epoch, 1);
            assert_eq!(closest.as_deref(), Some("y_pred"));
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains("did you mean \"y_pred\""), "{err}");
    assert!(log.lock().unwrap().is_empty(), "no trace event may run before planning succeeds");
}

#[test]
fn a_network_needing_a_missing_key_fails_at_planning() {
    let pipeline = digits_pipeline(64, 16, 0, 16, None);
    let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "image", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    let mut est = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap();
    let before = model.variables();
    let err = est.fit().unwrap_err().to_string();
    assert!(err.contains("\"image\"") && err.contains("mode train"), "{err}");
    let after = model.variables();
    assert!(before.iter().zip(&after).all(|(a, b)| a.1.equal(&b.1)), "no weight may change");
}

#[test]
fn warmup_does_not_update_weights_and_steps_per_epoch_is_exact() {
    let pipeline = digits_pipeline(64, 32, 0, 16, None);
    let (network, model) = lenet_network("sgd");
    let before = model.variables();
    let mut est = fe::Estimator::builder(pipeline, network, 2)
        .train_steps_per_epoch(7)
        .eval_steps_per_epoch(1)
        .silent()
        .build()
        .unwrap();
    let summary = est.fit().unwrap();
    assert_eq!(summary.train_steps, 14, "7 steps per epoch, extended beyond the 4 natural ones");
    let after = model.variables();
    assert!(before.iter().zip(&after).any(|(a, b)| !a.1.equal(&b.1)), "training must change weights");
    assert!(summary.get(Mode::Eval, "ce").is_some_and(|h| h.len() == 2));
}

trait ModeStr {
    fn mode_str(self, m: &str) -> Self;
}
impl<T: fe::op::Configure> ModeStr for T {
    fn mode_str(self, m: &str) -> Self {
        self.mode(m)
    }
}

/// A trace in the list is found by its type (how the Estimator finds the RestoreWizard).
#[test]
fn traces_are_found_by_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(fe::trace::metric::Accuracy::new("y", "y_pred")),
        Box::new(fe::trace::io::RestoreWizard::new(dir.path(), 2).unwrap()),
    ];
    assert!(traces[1].is::<fe::trace::io::RestoreWizard>() && !traces[0].is::<fe::trace::io::RestoreWizard>());
    let wizard = traces.iter().find_map(|t| t.downcast_ref::<fe::trace::io::RestoreWizard>()).unwrap();
    assert_eq!(wizard.directory(), dir.path());
    assert!(traces[1].downcast_mut::<fe::trace::metric::Accuracy>().is_none());
    assert!(traces[0].downcast_mut::<fe::trace::metric::Accuracy>().is_some());
}
