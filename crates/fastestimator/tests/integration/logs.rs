//! Reading logs back (`fe::summary::parse_log_*`), averaging repeated runs, and our own Logger's
//! output parsed back into the Summary its run returned.

use std::path::PathBuf;

use fastestimator as fe;
use fe::summary::{average_summaries, group_summaries, parse_log_dir, parse_log_file, parse_log_text, LogValue};
use fe::Mode;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs")
}

#[test]
fn fastestimators_own_log_parses_with_its_quirks() {
    let s = parse_log_file(fixtures().join("mnist_1.txt")).unwrap();
    assert_eq!(s.name, "mnist_1");
    let ce = s.get(Mode::Train, "ce").unwrap();
    assert_eq!(ce.keys().copied().collect::<Vec<_>>(), vec![1, 100]);
    assert_eq!(ce[&100], LogValue::F64(0.32775605));
    assert_eq!(s.last(Mode::Train, "steps/sec"), Some(76.05));
    assert_eq!(s.get(Mode::Train, "epoch").unwrap()[&3750], LogValue::Int(2));
    assert_eq!(s.last(Mode::Train, "total_time(sec)"), Some(57.84), "the Finish line is train");
    assert_eq!(s.last(Mode::Train, "model_lr"), Some(0.001));
    assert!(s.get(Mode::Train, "logging_interval").is_none(), "the Start line is not parsed");
    let acc = s.get(Mode::Eval, "accuracy").unwrap();
    assert_eq!(acc[&1875], LogValue::F64(0.9874));
    assert_eq!(acc[&3750], LogValue::F64(0.9891));
    assert_eq!(s.last(Mode::Test, "accuracy"), Some(0.9894));
    assert_eq!(s.get(Mode::Test, "calibration_error").unwrap()[&3750], LogValue::ValWithError(0.0101, 0.0125, 0.0149));
    assert_eq!(
        s.get(Mode::Test, "f1_score").unwrap()[&3750],
        LogValue::Array(ndarray::arr1(&[0.99, 0.98, 0.97]).into_dyn())
    );
    // Eval Progress, the banner, TensorFlow's noise and BestModelSaver's message are ignored.
    assert_eq!(s.history.len(), 3);
    assert!(s.history.values().all(|keys| !keys.keys().any(|k| k.contains("Progress") || k.contains("Saved"))));
}

#[test]
fn a_directory_parses_by_extension_recursively_or_not() {
    let names = |recursive| -> Vec<String> {
        parse_log_dir(fixtures(), ".txt", recursive).unwrap().into_iter().map(|s| s.name).collect()
    };
    assert_eq!(names(false), vec!["mnist_1", "mnist_2"]);
    assert_eq!(names(true), vec!["mnist_1", "mnist_2", "other_run"]);
    let err = parse_log_file(fixtures().join("missing.txt")).unwrap_err();
    assert!(matches!(err, fe::FeError::Io { .. }) && err.to_string().contains("missing.txt"), "{err}");
}

#[test]
fn repeated_runs_average_into_mean_plus_minus_std() {
    let runs = parse_log_dir(fixtures(), "txt", false).unwrap();
    let mean = average_summaries("mnist", &runs);
    let LogValue::ValWithError(low, mid, high) = mean.get(Mode::Eval, "accuracy").unwrap()[&3750] else {
        panic!("not averaged")
    };
    // mean of 0.9891 and 0.9901; population std 0.0005
    assert!((mid - 0.9896).abs() < 1e-12 && (high - mid - 0.0005).abs() < 1e-9 && (mid - low - 0.0005).abs() < 1e-9);
    // A step only one run has keeps that run's value with no spread ("None" is text, so run 2
    // has no ce at step 1875); arrays are left out.
    assert_eq!(
        mean.get(Mode::Eval, "ce").unwrap()[&1875],
        LogValue::ValWithError(0.042314235, 0.042314235, 0.042314235)
    );
    assert!(mean.get(Mode::Test, "f1_score").is_none());
}

#[test]
fn group_by_averages_runs_that_share_a_name() {
    let runs = parse_log_dir(fixtures(), "txt", true).unwrap();
    let grouped = group_summaries(runs.clone(), "_n").unwrap();
    let names: Vec<&str> = grouped.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["mnist", "other_run"]);
    assert!(matches!(grouped[0].get(Mode::Eval, "accuracy").unwrap()[&3750], LogValue::ValWithError(..)));
    assert_eq!(grouped[1].history, runs[2].history, "a run alone stays as it was");
    let by_regex = group_summaries(runs.clone(), "^(mnist)").unwrap();
    assert_eq!(by_regex.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["mnist", "other_run"]);
    let err = group_summaries(runs, "(unclosed").unwrap_err();
    assert!(matches!(err, fe::FeError::InvalidParameter { .. }), "{err}");
}

#[test]
fn our_logger_output_parses_back_into_the_summary_of_the_run() {
    use std::sync::{Arc, Mutex};
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&lines);
    let summary = fe::output::with_sink(
        move |_, l| sink.lock().unwrap().push(l.to_string()),
        || {
            let pipeline = crate::training::digits_pipeline(64, 32, 0, 16, Some(1));
            let (network, _) = crate::training::lenet_network("adam");
            let traces: Vec<Box<dyn fe::trace::Trace>> =
                vec![Box::new(fe::trace::metric::Accuracy::new("y", "y_pred"))];
            let mut est = fe::Estimator::builder(pipeline, network, 2).traces(traces).log_steps(1).build().unwrap();
            est.fit().unwrap()
        },
    );
    let text = lines.lock().unwrap().join("\n");
    let parsed = parse_log_text("run", &text);
    for (mode, key) in [(Mode::Train, "ce"), (Mode::Eval, "ce"), (Mode::Eval, "accuracy")] {
        let ours = summary.get(mode, key).unwrap();
        let back = parsed.get(mode, key).unwrap_or_else(|| panic!("{mode} {key} not parsed from:\n{text}"));
        assert_eq!(ours.keys().collect::<Vec<_>>(), back.keys().collect::<Vec<_>>(), "{mode} {key}");
        for (step, v) in ours {
            let (a, b) = (v.as_f64().unwrap(), back[step].as_f64().unwrap());
            assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "{mode} {key} step {step}: {a} vs {b}");
        }
    }
}
