//! Adapt and IO traces: FE's facts (§8 cases 15–18) and real files.

use fastestimator as fe;
use fe::summary::{LogValue, System};
use fe::trace::adapt::{EarlyStopping, LRScheduler, ReduceLROnPlateau};
use fe::trace::io::{CSVLogger, ModelSaver};
use fe::trace::{Data, Trace};
use fe::util::BestMode;
use fe::Mode;

use crate::training::{digits_pipeline, lenet_network};

fn epoch_end_with(trace: &mut dyn Trace, system: &mut System, key: &str, value: f64) -> Data {
    let mut data = Data::default();
    data.write_with_log(key, value);
    trace.on_epoch_end(&mut data, system).unwrap();
    data
}

#[test]
fn case_15_early_stopping() {
    let mut sys = System::standalone();
    let mut es = EarlyStopping::new("loss");
    es.on_begin(&mut Data::default(), &mut sys).unwrap();
    assert_eq!(es.best(), f64::INFINITY);
    let mut es_max = EarlyStopping::new("loss").compare(BestMode::Max);
    es_max.on_begin(&mut Data::default(), &mut sys).unwrap();
    assert_eq!(es_max.best(), f64::NEG_INFINITY);
    let mut es_base = EarlyStopping::new("loss").baseline(5.0);
    es_base.on_begin(&mut Data::default(), &mut sys).unwrap();
    assert_eq!(es_base.best(), 5.0);

    // best 2, epoch 3, loss 10, patience 0 → stop; best value 2 at epoch 2.
    es.set_progress(2.0, 0);
    sys.epoch_idx = 3;
    epoch_end_with(&mut es, &mut sys, "loss", 10.0);
    assert!(sys.stop_training);

    // greater, min_delta 1, best 7, current 10 → best 10, wait 0.
    let mut es = EarlyStopping::new("acc").compare(BestMode::Max).min_delta(1.0);
    es.set_progress(7.0, 3);
    let mut sys = System::standalone();
    epoch_end_with(&mut es, &mut sys, "acc", 10.0);
    assert_eq!((es.best(), es.wait()), (10.0, 0));
    assert!(!sys.stop_training);
}

#[test]
fn case_16_reduce_lr_on_plateau() {
    let (network, model) = lenet_network("adam");
    let mut r = ReduceLROnPlateau::new(&model);
    r.bind(&network).unwrap();
    r.set_progress(5.0, 11);
    let mut sys = System::standalone();
    let data = epoch_end_with(&mut r, &mut sys, "ce", 10.0);
    assert!((model.lr().unwrap() - 1e-4).abs() < 1e-12);
    assert!(matches!(data.log(&format!("{}_lr", model.name())), Some(LogValue::F64(x)) if (x - 1e-4).abs() < 1e-12));
    r.set_progress(12.0, 3);
    epoch_end_with(&mut r, &mut sys, "ce", 10.0);
    assert_eq!(r.progress(), (10.0, 0));
}

#[test]
fn case_17_lr_scheduler() {
    let cosine = |t: u64| fe::schedule::cosine_decay(t, 3750, 1e-3, 1e-6, 1, 1.0, false);
    let (_, model) = lenet_network("adam");
    let mut by_epoch = LRScheduler::by_epoch(&model, cosine);
    let mut sys = System::standalone();
    sys.epoch_idx = 3;
    by_epoch.on_epoch_begin(&mut Data::default(), &mut sys).unwrap();
    assert!((model.lr().unwrap() - 0.0009999973).abs() < 2e-9);

    let (_, model) = lenet_network("adam");
    let mut by_step = LRScheduler::by_step(&model, cosine);
    sys.global_step = 3;
    by_step.on_batch_begin(&mut Data::default(), &mut sys).unwrap();
    assert!((model.lr().unwrap() - 0.0009999973).abs() < 2e-9);
    sys.global_step = 100;
    let mut data = Data::default();
    by_step.on_batch_end(&mut data, &mut sys).unwrap();
    let logged = data.log(&format!("{}_lr", model.name())).and_then(LogValue::as_f64).unwrap();
    assert!((logged - 0.001).abs() < 1e-5);
}

/// A monitored metric that nothing wrote is a `MissingMetric` naming the trace, the metric, the
/// mode and epoch, and what was written; a state that does not fit is a `State` error.
#[test]
fn a_monitored_metric_not_written_is_a_missing_metric_error() {
    let (network, model) = lenet_network("adam");
    let dir = tempfile::tempdir().unwrap();
    let mut saver = fe::trace::io::BestModelSaver::new(&model, dir.path()).metric("accuracy");
    saver.bind(&network).unwrap();
    let mut plateau = ReduceLROnPlateau::new(&model);
    plateau.bind(&network).unwrap();
    let traces: [(&mut dyn Trace, &str); 3] =
        [(&mut EarlyStopping::new("acc"), "acc"), (&mut plateau, "ce"), (&mut saver, "accuracy")];
    for (trace, want) in traces {
        let mut sys = System::standalone();
        sys.mode = Mode::Eval;
        sys.epoch_idx = 4;
        let mut data = Data::default();
        data.write_with_log("loss", 1.0);
        let err = trace.on_epoch_end(&mut data, &mut sys).unwrap_err();
        let msg = err.to_string();
        match &err {
            fe::FeError::MissingMetric { trace: name, metric, mode, epoch, written } => {
                assert_eq!((name.as_str(), metric.as_str()), (trace.name().as_str(), want), "{msg}");
                assert_eq!((mode.as_str(), *epoch), ("eval", 4), "{msg}");
                assert_eq!(written, &["loss"], "{msg}");
            }
            other => panic!("expected MissingMetric, got {other}"),
        }
        assert!(msg.contains(&trace.name()) && msg.contains(want) && msg.contains("epoch 4"), "{msg}");
    }

    let mut es = EarlyStopping::new("loss");
    let err = es.load_state(&serde_json::json!({"best": "high"})).unwrap_err();
    assert!(matches!(&err, fe::FeError::State { owner, .. } if owner == "EarlyStopping"), "{err}");
}

/// BestModelSaver, as FE's: a NaN metric is never an improvement, and a best that is infinite
/// survives its saved state (JSON has no infinity), so a resumed run compares as the first did.
#[test]
fn best_model_saver_skips_nan_and_keeps_an_infinite_best_across_its_state() {
    let (network, model) = lenet_network("adam");
    let dir = tempfile::tempdir().unwrap();
    let mut saver = fe::trace::io::BestModelSaver::new(&model, dir.path()).metric("ce");
    saver.bind(&network).unwrap();
    let mut sys = System::standalone();
    sys.mode = Mode::Eval;
    let mut epoch_with = |saver: &mut fe::trace::io::BestModelSaver, ce: f64| {
        let mut data = Data::default();
        data.write_with_log("ce", ce);
        saver.on_epoch_end(&mut data, &mut sys).unwrap();
        data.log("since_best_ce").and_then(LogValue::as_f64).unwrap()
    };
    assert_eq!(epoch_with(&mut saver, f64::NAN), 1.0);
    assert_eq!(saver.best(), None);
    assert!(!saver.path().exists(), "a NaN metric saved weights");
    assert_eq!(epoch_with(&mut saver, f64::INFINITY), 0.0);
    assert_eq!(saver.best(), Some(f64::INFINITY));

    let state = saver.state();
    let mut resumed = fe::trace::io::BestModelSaver::new(&model, dir.path()).metric("ce");
    resumed.load_state(&state).unwrap();
    assert_eq!(resumed.best(), Some(f64::INFINITY), "state {state}");
    assert_eq!(epoch_with(&mut resumed, f64::INFINITY), 1.0, "inf does not improve on inf");
    assert_eq!(epoch_with(&mut resumed, 2.0), 0.0);
    // A state saved before non-finite values were spelled out (a plain number, or null) loads.
    resumed.load_state(&serde_json::json!([0.5, 3, null])).unwrap();
    assert_eq!(resumed.best(), Some(0.5));
}

#[test]
fn model_saver_keeps_the_newest_files_and_csv_logger_writes_rows() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = digits_pipeline(64, 32, 0, 16, None);
    let (network, model) = lenet_network("adam");
    let csv_path = dir.path().join("logs/run.csv");
    let mut est = fe::Estimator::builder(pipeline, network, 3)
        .traces(vec![
            Box::new(ModelSaver::new(&model, dir.path().join("models")).max_to_keep(2)),
            Box::new(CSVLogger::new(&csv_path)),
        ])
        .log_steps(2)
        .build()
        .unwrap();
    est.fit().unwrap();
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("models"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let name = model.name();
    assert_eq!(files, [format!("{name}_epoch_2.safetensors"), format!("{name}_epoch_3.safetensors")]);

    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..3], ["mode", "step", "epoch"]);
    assert!(header.contains(&"ce".to_string()));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let eval_rows = rows.iter().filter(|r| &r[0] == "eval").count();
    assert_eq!(eval_rows, 3, "one eval row per epoch");
    assert!(rows.iter().any(|r| &r[0] == "train" && &r[1] == "1"), "a row at train step 1");

    let err = fe::Estimator::builder(digits_pipeline(64, 0, 0, 16, None), lenet_network("adam").0, 1)
        .traces(vec![Box::new(ModelSaver::new(&model, dir.path()).max_to_keep(0))])
        .build()
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("max_to_keep"), "{err}");
}

struct Keyed {
    io: fe::op::OpIo,
    name: &'static str,
}

impl fe::op::HasIo for Keyed {
    fn io(&self) -> &fe::op::OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut fe::op::OpIo {
        &mut self.io
    }
}

impl Trace for Keyed {
    fn name(&self) -> String {
        self.name.into()
    }
}

fn keyed(name: &'static str, inputs: &[&str], outputs: &[&str]) -> Keyed {
    Keyed { io: fe::op::OpIo::new(inputs.to_vec(), outputs.to_vec()), name }
}

#[test]
fn trace_sorting_follows_fe_rules() {
    use fe::trace::sort_traces;
    let star = keyed("star", &["*"], &[]);
    let b = keyed("b", &["a_out"], &["b_out"]);
    let a = keyed("a", &["x"], &["a_out"]);
    let free = keyed("free", &[], &["f"]);
    let traces: Vec<&dyn Trace> = vec![&star, &b, &a, &free];
    let available = vec!["x".to_string()];
    let order = sort_traces(&traces, Some(&available)).unwrap();
    let names: Vec<String> = order.iter().map(|&i| traces[i].name()).collect();
    assert_eq!(names, ["free", "a", "b", "star"]);

    let c1 = keyed("c1", &["k2"], &["k1"]);
    let c2 = keyed("c2", &["k1"], &["k2"]);
    let err = sort_traces(&[&c1 as &dyn Trace, &c2], Some(&available)).unwrap_err().to_string();
    assert!(err.contains("cycle") && err.contains("c1") && err.contains("c2"), "{err}");
    let lost = keyed("lost", &["ghost"], &[]);
    let err = sort_traces(&[&lost as &dyn Trace], Some(&available)).unwrap_err().to_string();
    assert!(err.contains("unsatisfiable") && err.contains("lost") && err.contains("ghost"), "{err}");
}

#[test]
fn per_dataset_metrics_are_written_as_key_pipe_ds_id() {
    use fe::dataset::data::synthetic_digits::{load_data, SyntheticDigitsConfig};
    use fe::op::numpy::{ExpandDims, Minmax};
    use std::sync::Arc;
    let (train, a, b) =
        load_data(&SyntheticDigitsConfig { train_size: 64, eval_size: 32, test_size: 16, seed: 2 }).unwrap();
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .data_map(Mode::Eval, vec![("ds1", Arc::new(a) as Arc<dyn fe::dataset::Dataset>), ("ds2", Arc::new(b) as _)])
        .batch_size(16)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
        .build()
        .unwrap();
    let (network, _) = lenet_network("adam");
    let mut est = fe::Estimator::builder(pipeline, network, 1)
        .traces(vec![Box::new(fe::trace::metric::Accuracy::new("y", "y_pred"))])
        .silent()
        .build()
        .unwrap();
    let summary = est.fit().unwrap();
    for key in ["accuracy", "accuracy|ds1", "accuracy|ds2", "ce", "ce|ds1", "ce|ds2"] {
        assert!(summary.get(Mode::Eval, key).is_some(), "missing {key}");
    }
}
