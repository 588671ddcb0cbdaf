//! One voice: every line the library prints goes through `fe::output`, so an application can
//! capture, silence or redirect it, while the default output stays FE's.

use std::process::Command;
use std::sync::{Arc, Mutex};

use fastestimator as fe;
use fe::output::{self, Channel};

use crate::training::{digits_pipeline, lenet_network};

/// A 1-epoch LeNet run that logs every 5 steps.
fn small_fit() {
    let pipeline = digits_pipeline(64, 32, 0, 16, Some(1));
    let (network, model) = lenet_network("adam");
    let dir = tempfile::tempdir().unwrap();
    let saver = fe::trace::io::BestModelSaver::new(&model, dir.path()).metric("ce");
    let mut est =
        fe::Estimator::builder(pipeline, network, 1).traces(vec![Box::new(saver)]).log_steps(5).build().unwrap();
    est.fit().unwrap();
}

#[test]
fn a_scoped_sink_receives_every_line_of_a_run() {
    let lines = Arc::new(Mutex::new(Vec::<(Channel, String)>::new()));
    let sink = Arc::clone(&lines);
    output::with_sink(move |c, l| sink.lock().unwrap().push((c, l.to_string())), small_fit);
    let lines = lines.lock().unwrap();
    let text: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert!(lines.iter().all(|(c, _)| *c == Channel::Log));
    assert!(text[0].starts_with("FastEstimator-Start: step: 1; logging_interval: 5;"), "{text:?}");
    assert!(text.iter().any(|l| l.starts_with("FastEstimator-Train: step: 1; ce: ")), "{text:?}");
    assert!(text.iter().any(|l| l.starts_with("FastEstimator-BestModelSaver: Saved model to ")), "{text:?}");
    assert!(text.iter().any(|l| l.starts_with("FastEstimator-Eval: step: 4; epoch: 1; ce: ")), "{text:?}");
    assert!(text.last().unwrap().starts_with("FastEstimator-Finish: step: 4; "), "{text:?}");
}

const CHILD_ENV: &str = "FE_OUTPUT_TEST_MODE";

/// Runs only as a child of the test below: the same run with the default or a silent sink.
#[test]
fn output_child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else { return };
    if mode == "silent" {
        output::set_sink(output::silent);
    }
    small_fit();
}

fn child_stdout(mode: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "output::output_child", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, mode)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_silent_sink_silences_the_library_and_the_default_prints_fe_lines() {
    let loud = child_stdout("default");
    // (The test harness prints `test output::output_child ... ` just before the first line.)
    assert!(loud.contains("FastEstimator-Start: step: 1;"), "{loud}");
    assert!(loud.lines().any(|l| l.starts_with("FastEstimator-Finish: step: 4;")), "{loud}");
    let quiet = child_stdout("silent");
    assert!(!quiet.contains("FastEstimator-"), "{quiet}");
}
