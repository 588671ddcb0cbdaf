//! The Traceability report through a real Estimator: LeNet on generated digits, fit then test,
//! and the page checked as a browser would get it (well-formed, self-contained, complete).

use fastestimator as fe;
use fe::trace::io::Traceability;
use fe::trace::metric::Accuracy;
use fe::trace::xai::LabelTracker;
use fe::trace::Trace;

use crate::report::{network, pipeline};

fn page(path: &std::path::Path) -> String {
    let html = std::fs::read_to_string(path).unwrap();
    for attr in ["src=\"http", "href=\"http", "src='http", "href='http", "url(http", "@import"] {
        assert!(!html.contains(attr), "the page loads {attr}…");
    }
    let doc = roxmltree::Document::parse(html.trim_start_matches("<!DOCTYPE html>")).expect("well-formed");
    assert!(doc.descendants().all(|n| !n.has_tag_name("script")));
    assert!(doc.descendants().any(|n| n.has_tag_name("svg")), "the key-flow diagram");
    html
}

#[test]
fn traceability_reports_the_whole_run_after_fit_and_again_after_test() {
    let dir = tempfile::tempdir().unwrap();
    let traces: Vec<Box<dyn Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(Traceability::new(dir.path()).extra("data version", "digits v3")),
        Box::new(LabelTracker::new("y", "sample_ce")),
    ];
    let mut est = fe::Estimator::builder(pipeline(64), network(), 2)
        .traces(traces)
        .experiment_name("digits trace")
        .hyperparameter("learning_rate", 1e-3)
        .silent()
        .no_history()
        .build()
        .unwrap();
    let fit = est.fit().unwrap();
    let path = dir.path().join("digits_trace_traceability.html");
    let html = page(&path);
    for text in [
        "digits trace — Traceability",
        "data version",
        "digits v3",
        "learning_rate",
        "NumpyDataset",
        "ExpandDims",
        "Minmax",
        "ModelOp",
        "UpdateOp",
        "LabelTracker",
        "trainable parameters",
        "libtorch",
    ] {
        assert!(html.contains(text), "the page lacks {text:?}");
    }
    // The hand-over of y_pred from the model to the loss is an arc of the diagram.
    let arc = regex::Regex::new(r"<title>y_pred: ModelOp\([^)]*\) → CrossEntropy</title>").unwrap();
    assert!(arc.is_match(&html), "no y_pred arc from the ModelOp to the loss");
    // The final metrics, including what the Logger records at the very end (the page is written
    // after it): the eval accuracy and the total time.
    let accuracy = fit.last(fe::Mode::Eval, "accuracy").unwrap();
    assert!(html.contains(&format!("<td>{}</td>", fe::summary::LogValue::F64(accuracy))), "eval accuracy");
    assert!(html.contains("<td>total_time(sec)</td>"), "the Logger's end-of-run values are in");
    // The curves and the LabelTracker's plot, inline.
    assert!(html.matches("data:image/png;base64,").count() >= 2);
    assert!(html.contains("sample_ce_by_y"));
    assert!(!html.contains("<td>test</td><td>accuracy</td>"), "no test yet");

    let test = est.test().unwrap();
    let html = page(&path);
    let accuracy = test.last(fe::Mode::Test, "accuracy").unwrap();
    assert!(html.contains("<td>test</td><td>accuracy</td>"), "the test results join the page");
    assert!(html.contains(&format!("<td>{}</td>", fe::summary::LogValue::F64(accuracy))), "test accuracy");
    if let Some(out) = std::env::var_os("FE_REPORT_KEEP") {
        std::fs::create_dir_all(&out).unwrap();
        std::fs::copy(&path, std::path::Path::new(&out).join("traceability.html")).unwrap();
    }
}

#[test]
fn an_unwritable_save_dir_fails_at_build_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a_file");
    std::fs::write(&file, b"not a folder").unwrap();
    let traces: Vec<Box<dyn Trace>> = vec![Box::new(Traceability::new(file.join("reports")))];
    let err =
        fe::Estimator::builder(pipeline(32), network(), 1).traces(traces).silent().build().map(|_| ()).unwrap_err();
    assert!(matches!(&err, fe::FeError::Io { path, .. } if path.ends_with("reports")), "{err}");
}
