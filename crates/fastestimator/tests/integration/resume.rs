//! Exact resume: a run killed with SIGKILL at any point, restarted, ends with the same weights
//! and the same logged metrics as an uninterrupted run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fastestimator as fe;
use fe::architecture::LeNet;
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::trace::io::{BestModelSaver, CSVLogger, RestoreWizard};
use fe::trace::metric::Accuracy;
use fe::util::BestMode;

use crate::training::digits_pipeline;

const CHILD_ENV: &str = "FE_RESUME_TEST_DIR";
const TIMING_KEYS: [&str; 5] = ["steps/sec", "epoch_time(sec)", "total_time(sec)", "logging_interval", "num_device"];

/// The training run the child process performs: 3 epochs of LeNet with a RestoreWizard.
fn run_training(dir: &Path) {
    fe::enable_deterministic(7);
    let pipeline = digits_pipeline(320, 64, 0, 32, Some(2));
    let model = fe::build_named(|p| LeNet::new(p, [1, 28, 28], 10), "adam", "lenet").unwrap();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    let mut est = fe::Estimator::builder(pipeline, network, 3)
        .traces(vec![
            Box::new(Accuracy::new("y", "y_pred")),
            Box::new(BestModelSaver::new(&model, dir.join("best")).metric("accuracy").save_best_mode(BestMode::Max)),
            Box::new(CSVLogger::new(dir.join("log.csv"))),
            Box::new(RestoreWizard::new(dir.join("ckpt"), 1).unwrap()),
        ])
        .log_steps(5)
        .build()
        .unwrap();
    let mut summary = est.fit().unwrap();
    for keys in summary.history.values_mut() {
        keys.retain(|k, _| !TIMING_KEYS.contains(&k.as_str()));
    }
    std::fs::write(dir.join("summary.json"), serde_json::to_vec_pretty(&summary).unwrap()).unwrap();
    fe::backend::save_model(&model, dir, Some("final"), true).unwrap();
}

/// Runs only when the parent test starts this binary as a child.
#[test]
fn resume_child() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        run_training(Path::new(&dir));
    }
}

/// Start the child; kill it (SIGKILL) once a line satisfies `kill_when`, or let it finish.
fn child(dir: &Path, crash: Option<&str>, kill_when: Option<&dyn Fn(&str) -> bool>) -> bool {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", "resume::resume_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(c) = crash {
        cmd.env("FE_RESTORE_WIZARD_CRASH", c);
    }
    let mut proc = cmd.spawn().unwrap();
    let out = BufReader::new(proc.stdout.take().unwrap());
    for line in out.lines() {
        let line = line.unwrap();
        if kill_when.is_some_and(|f| f(&line)) {
            proc.kill().unwrap();
            proc.wait().unwrap();
            return false;
        }
    }
    proc.wait().unwrap().success()
}

fn results(dir: &Path) -> (String, Vec<(String, tch::Tensor)>) {
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let weights = tch::Tensor::read_safetensors(dir.join("final.safetensors")).unwrap();
    (summary, weights)
}

fn assert_same(reference: &(String, Vec<(String, tch::Tensor)>), dir: &Path, scenario: &str) {
    let (summary, weights) = results(dir);
    assert_eq!(summary, reference.0, "{scenario}: logged metrics differ");
    let mut a = reference.1.iter().map(|(k, t)| (k.clone(), t.shallow_clone())).collect::<Vec<_>>();
    let mut b = weights;
    a.sort_by(|x, y| x.0.cmp(&y.0));
    b.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(a.len(), b.len());
    for ((ka, ta), (kb, tb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb);
        assert!(ta.equal(tb), "{scenario}: weight {ka} differs");
    }
}

#[test]
fn killed_runs_resume_exactly() {
    let root = tempfile::tempdir().unwrap();
    let reference_dir: PathBuf = root.path().join("reference");
    assert!(child(&reference_dir, None, None), "the uninterrupted run must succeed");
    let reference = results(&reference_dir);
    assert!(reference.0.contains("accuracy"));

    // 1. Killed in the middle of epoch 3 (after two complete saves).
    let dir = root.path().join("mid_epoch");
    let mid = |l: &str| l.starts_with("FastEstimator-Train: step: 25;");
    assert!(!child(&dir, None, Some(&mid)));
    assert!(child(&dir, None, None));
    assert_same(&reference, &dir, "killed mid-epoch");

    // 2. Killed right after the first save.
    let dir = root.path().join("after_save");
    let saved = |l: &str| l.starts_with("FastEstimator-RestoreWizard: Saved state");
    assert!(!child(&dir, None, Some(&saved)));
    assert!(child(&dir, None, None));
    assert_same(&reference, &dir, "killed after a save");

    // 3. Crashes in the middle of writing the second save (after one file), then again in the
    //    middle of the first save of the resumed run: each time the last good save is used.
    let dir = root.path().join("mid_save");
    assert!(!child(&dir, Some("2:1"), None), "the crash hook must kill the child");
    let key = std::fs::read_to_string(dir.join("ckpt/key.txt")).unwrap();
    assert_eq!(key.trim(), "A", "the half-written save B must not be referenced");
    assert!(!child(&dir, Some("1:2"), None));
    assert!(child(&dir, None, None));
    assert_same(&reference, &dir, "killed while saving");

    // 4. Killed before the first save: starts over and still matches.
    let dir = root.path().join("early");
    let early = |l: &str| l.starts_with("FastEstimator-Train: step: 5;");
    assert!(!child(&dir, None, Some(&early)));
    assert!(child(&dir, None, None));
    assert_same(&reference, &dir, "killed before any save");
}

/// A one-epoch run of a LeNet named `model_name` with `traces` and a RestoreWizard in `dir`.
fn small_run(dir: &Path, model_name: &str, mut traces: Vec<Box<dyn fe::trace::Trace>>) -> fe::Result<fe::Summary> {
    let model = fe::build_named(|p| LeNet::new(p, [1, 28, 28], 10), "adam", model_name).unwrap();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    traces.push(Box::new(RestoreWizard::new(dir, 1).unwrap()));
    let mut est = fe::Estimator::builder(digits_pipeline(64, 0, 0, 32, None), network, 2)
        .train_steps_per_epoch(1)
        .traces(traces)
        .silent()
        .build()
        .unwrap();
    est.fit()
}

/// A save made with other models or other traces is a `RestoreMismatch` that names the folder
/// and both lists, and a RestoreWizard given among the traces is found (it saves and restores).
#[test]
fn a_save_from_another_run_is_a_restore_mismatch() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ckpt");
    let accuracy = || -> Vec<Box<dyn fe::trace::Trace>> { vec![Box::new(Accuracy::new("y", "y_pred"))] };
    let summary = small_run(&dir, "lenet", accuracy()).unwrap();
    assert_eq!(summary.train_steps, 2);
    assert!(dir.join("key.txt").exists(), "the RestoreWizard among the traces must save");
    // Resuming a finished run restores it and runs no further step.
    assert_eq!(small_run(&dir, "lenet", accuracy()).unwrap().train_steps, 2);

    let err = small_run(&dir, "other", accuracy()).unwrap_err();
    match &err {
        fe::FeError::RestoreMismatch { what, saved, current, .. } => {
            assert_eq!(
                (what.as_str(), saved.as_slice(), current.as_slice()),
                ("models", &["lenet".to_string()][..], &["other".to_string()][..])
            );
        }
        other => panic!("expected RestoreMismatch, got {other}"),
    }
    assert!(err.to_string().contains(&dir.display().to_string()), "{err}");

    let err = small_run(&dir, "lenet", Vec::new()).unwrap_err();
    match &err {
        fe::FeError::RestoreMismatch { what, saved, current, .. } => {
            assert_eq!(what, "traces");
            assert!(saved.iter().any(|t| t == "Accuracy"), "{err}");
            assert!(!current.iter().any(|t| t == "Accuracy"), "{err}");
        }
        other => panic!("expected RestoreMismatch, got {other}"),
    }
}
