//! TestReport, LabelTracker and InstanceTracker through a real Estimator: LeNet on generated
//! digits, a report of passing and failing tests, and tracker plots of the per-sample loss.

use std::sync::{Arc, Mutex};

use fastestimator as fe;
use fe::dataset::data::synthetic_digits::{load_data, SyntheticDigitsConfig};
use fe::dataset::{Dataset, NumpyDataset};
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::op::{Configure, OpIo};
use fe::summary::System;
use fe::trace::io::{TestCase, TestReport};
use fe::trace::metric::Accuracy;
use fe::trace::xai::{InstanceTracker, LabelTracker};
use fe::trace::{Data, Trace};
use fe::{Mode, Value};
use serde_json::json;
use tch::{Kind, Tensor};

use crate::training::lenet_network;

fn with_ids(mut ds: NumpyDataset) -> NumpyDataset {
    let n = ds.len();
    ds.set_column("id", Value::I64(ndarray::Array1::from_iter(0..n as i64).into_dyn())).unwrap();
    ds
}

pub(crate) fn pipeline(test: usize) -> fe::Pipeline {
    let cfg = SyntheticDigitsConfig { train_size: 600, eval_size: 60, test_size: test, seed: 3 };
    let (tr, ev, te) = load_data(&cfg).unwrap();
    fe::Pipeline::builder()
        .train_data(tr)
        .eval_data(with_ids(ev))
        .test_data(with_ids(te))
        .batch_size(32)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
        .build()
        .unwrap()
}

/// LeNet's network plus the per-sample cross-entropy outside training.
pub(crate) fn network() -> fe::Network {
    let (net, model) = lenet_network("adam");
    drop(net);
    fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "sample_ce").average_loss(false).mode("!train")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap()
}

fn ids_of(t: &Tensor) -> Vec<i64> {
    Vec::<i64>::try_from(t.to_kind(Kind::Int64).reshape([-1])).unwrap()
}

/// Records the titles of the run's figures at the end (after the trackers, whose outputs it
/// takes as inputs).
struct Figures {
    io: OpIo,
    seen: Arc<Mutex<Vec<String>>>,
}
impl fe::op::HasIo for Figures {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}
impl Trace for Figures {
    fn name(&self) -> String {
        "Figures".into()
    }
    fn on_end(&mut self, _data: &mut Data, system: &mut System) -> fe::Result<()> {
        *self.seen.lock().unwrap() = system.figures.iter().map(|f| f.title.clone()).collect();
        Ok(())
    }
}

#[test]
fn report_and_trackers_through_a_real_estimator() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let plots = dir.path().join("plots");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let cases = vec![
        TestCase::aggregate("accuracy is a probability", "accuracy", |v| {
            v[0].as_f64().is_some_and(|a| (0.0..=1.0).contains(&a))
        }),
        TestCase::aggregate("accuracy above 100%", "accuracy", |v| v[0].as_f64() > Some(1.0)),
        TestCase::per_instance("ids not ending in 3", "id", |t| ids_of(t[0]).iter().map(|i| i % 10 != 3).collect())
            .show("x"),
        TestCase::per_instance("mostly right", ["y", "y_pred"], |t| {
            let right = t[1].argmax(-1, false).eq_tensor(&t[0].reshape([-1]).to_kind(Kind::Int64));
            Vec::<bool>::try_from(right).unwrap()
        })
        .fail_threshold(100),
    ];
    let report = TestReport::new(cases, &reports).test_title("Digits v1").data_id("id");
    let traces: Vec<Box<dyn Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(report),
        Box::new(LabelTracker::new("y", "sample_ce").save_dir(&plots)),
        Box::new(
            InstanceTracker::new("id", "sample_ce")
                .n_max_to_keep(3)
                .n_min_to_keep(2)
                .list_to_keep([7])
                .save_dir(&plots),
        ),
        Box::new(Figures {
            io: OpIo::new(vec!["sample_ce_by_y", "sample_ce_by_id"], ()).with_default_mode("eval"),
            seen: seen.clone(),
        }),
    ];
    let mut est = fe::Estimator::builder(pipeline(100), network(), 2).traces(traces).silent().build().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    fe::output::with_sink(move |_, l| sink.lock().unwrap().push(l.to_string()), || est.fit()).unwrap();
    assert_eq!(*seen.lock().unwrap(), ["sample_ce_by_y", "sample_ce_by_id"]);
    for png in ["sample_ce_by_y.png", "sample_ce_by_id.png"] {
        let bytes = std::fs::read(plots.join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
    }
    assert!(!reports.join("digits_v1_TestReport.json").exists(), "the report runs in test mode only");

    let sink = lines.clone();
    let summary = fe::output::with_sink(move |_, l| sink.lock().unwrap().push(l.to_string()), || est.test()).unwrap();
    let accuracy = summary.last(Mode::Test, "accuracy").unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("digits_v1_TestReport.json")).unwrap()).unwrap();
    assert_eq!(json["title"], "Digits v1");
    assert_eq!(json["summary"], json!({"total": 4, "passed": 2, "failed": 2}));
    let tests = json["tests"].as_array().unwrap();
    assert_eq!((tests[0]["passed"].clone(), tests[1]["passed"].clone()), (json!(true), json!(false)));
    assert!((tests[0]["inputs"]["accuracy"].as_f64().unwrap() - accuracy).abs() < 1e-9);
    assert_eq!(tests[2]["passed"], false);
    assert_eq!(tests[2]["fail_id"], json!([3, 13, 23, 33, 43, 53, 63, 73, 83, 93]));
    assert_eq!(tests[2]["fail_number"], 10);
    assert_eq!(tests[3]["passed"], true);
    let wrong = tests[3]["fail_number"].as_u64().unwrap() as f64;
    assert!((wrong - (1.0 - accuracy) * 100.0).abs() < 1e-6, "{wrong} wrong at accuracy {accuracy}");
    assert_eq!(tests[3]["fail_id"].as_array().unwrap().len(), wrong as usize);

    let html = std::fs::read_to_string(reports.join("digits_v1_TestReport.html")).unwrap();
    assert!(html.contains(&fe::summary::LogValue::F64(accuracy).to_string()), "the accuracy is shown");
    assert_eq!(html.matches("<img src=\"data:image/png;base64,").count(), 10, "one image per failing id");
    for attr in ["src=\"http", "href=\"http", "src='http", "href='http"] {
        assert!(!html.contains(attr), "{attr}");
    }
    let doc = roxmltree::Document::parse(html.trim_start_matches("<!DOCTYPE html>")).expect("well-formed");
    for tag in ["html", "head", "body", "main", "table"] {
        assert!(doc.descendants().any(|n| n.has_tag_name(tag)), "{tag}");
    }
    assert!(doc.descendants().all(|n| !n.has_tag_name("script")));
    let badges = doc.descendants().filter(|n| n.attribute("class") == Some("badge fail")).count();
    assert!(badges >= 4, "{badges} fail badges (summary table and headings)");
    if let Some(out) = std::env::var_os("FE_REPORT_KEEP") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        for (from, to) in [
            (reports.join("digits_v1_TestReport.html"), "report.html"),
            (plots.join("sample_ce_by_y.png"), "by_y.png"),
            (plots.join("sample_ce_by_id.png"), "by_id.png"),
        ] {
            std::fs::copy(from, out.join(to)).unwrap();
        }
    }
    let lines = lines.lock().unwrap();
    assert!(lines.iter().any(|l| l.starts_with("FastEstimator-TestReport: Report written to ")), "{lines:?}");
}

#[test]
fn report_errors_through_a_real_estimator_are_typed() {
    // A per-instance case naming a key nothing produces: caught at planning.
    let dir = tempfile::tempdir().unwrap();
    let case = TestCase::per_instance("needs y_prd", "y_prd", |_| vec![]);
    let report = TestReport::new([case], dir.path()).test_title("t");
    let mut est =
        fe::Estimator::builder(pipeline(40), network(), 1).traces(vec![Box::new(report)]).silent().build().unwrap();
    let err = est.test().unwrap_err();
    assert!(matches!(&err, fe::FeError::MissingKey { key, .. } if key == "y_prd"), "{err}");

    // A criteria giving one result per batch instead of one per instance.
    let case = TestCase::per_instance("one bool", "y", |_| vec![true]);
    let report = TestReport::new([case], dir.path()).test_title("t");
    let mut est =
        fe::Estimator::builder(pipeline(40), network(), 1).traces(vec![Box::new(report)]).silent().build().unwrap();
    let err = est.test().unwrap_err();
    assert!(matches!(err, fe::FeError::LengthMismatch { expected: 32, got: 1, .. }), "{err}");

    // A save_path that cannot be created: found when the Estimator is built.
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let case = TestCase::aggregate("acc", "accuracy", |_| true);
    let report = TestReport::new([case], file.join("reports"));
    let traces: Vec<Box<dyn Trace>> = vec![Box::new(Accuracy::new("y", "y_pred")), Box::new(report)];
    let err =
        fe::Estimator::builder(pipeline(40), network(), 1).traces(traces).silent().build().map(|_| ()).unwrap_err();
    assert!(matches!(&err, fe::FeError::Io { path, .. } if path.ends_with("reports")), "{err}");
}
