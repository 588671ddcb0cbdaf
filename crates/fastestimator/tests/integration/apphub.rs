//! The apphub smoke test, as FE's nightly CI runs its apphub: every example job, through its
//! command line (`fe::cli`), for 2 epochs of 2 training and 2 evaluation steps at batch 8.

use std::path::{Path, PathBuf};
use std::process::Command;

/// FE's nightly settings.
const NIGHTLY: [&str; 8] =
    ["--epochs", "2", "--batch_size", "8", "--train_steps_per_epoch", "2", "--eval_steps_per_epoch", "2"];

/// An example program `cargo test` built beside this test binary.
fn example(name: &str) -> PathBuf {
    let path = crate::robustness::example(name);
    assert!(path.exists(), "{} is missing: `cargo test` builds the examples", path.display());
    path
}

/// Run a job with the nightly settings (minus any `skip`ped ones) and `extra` arguments; returns
/// its output.
fn smoke(name: &str, skip: &[&str], extra: &[&str]) -> String {
    let mut args: Vec<&str> = Vec::new();
    for pair in NIGHTLY.chunks(2) {
        if !skip.contains(&pair[0]) {
            args.extend(pair);
        }
    }
    args.extend(extra);
    let out = Command::new(example(name)).args(&args).env("FE_PROGRESS", "0").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{name} {args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("FastEstimator-Finish: step: 4;"), "{name}: 2 epochs of 2 steps expected:\n{stdout}");
    stdout
}

#[test]
fn mnist_job_runs_with_fe_nightly_settings() {
    let out = smoke("mnist", &[], &["--sizes", "[64, 32, 32]", "--data", "synthetic"]);
    assert!(out.contains("FastEstimator-Eval: step: 4; epoch: 2;"), "{out}");
    assert!(out.contains("FastEstimator-Test: step: 4;"), "{out}");
}

#[test]
fn dcgan_job_runs_with_fe_nightly_settings() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.png");
    let out = smoke("dcgan", &["--eval_steps_per_epoch"], &["--samples", "64", "--out", grid.to_str().unwrap()]);
    assert!(out.contains("FastEstimator-DCGAN: saved 64 generated digits"), "{out}");
    assert!(image::open(&grid).is_ok());
}

#[test]
fn lr_schedule_job_runs_with_fe_nightly_settings() {
    smoke("lr_schedule", &[], &[]);
}

#[test]
fn progressive_resize_job_runs_with_fe_nightly_settings() {
    let out = smoke("progressive_resize", &["--batch_size"], &[]);
    assert!(out.contains("FastEstimator-ShapeLogger: epoch 1: batch x [64, 14, 14, 1]"), "{out}");
}

#[test]
fn tabular_job_runs_with_fe_nightly_settings() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("breast_cancer")).unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sklearn/breast_cancer.csv");
    std::fs::copy(csv, root.path().join("breast_cancer/breast_cancer.csv")).unwrap();
    let out = smoke("tabular", &[], &["--root_dir", root.path().to_str().unwrap(), "--offline"]);
    assert!(out.contains("FastEstimator-Test: step: 4;"), "{out}");
}

#[test]
fn cifar10_fast_job_runs_with_fe_nightly_settings() {
    let root = tempfile::tempdir().unwrap();
    let out = smoke("cifar10_fast", &[], &["--sizes", "[32, 16, 16]", "--data_dir", root.path().to_str().unwrap()]);
    assert!(out.contains("Data: generated shapes (32 train / 16 eval / 16 test"), "{out}");
    assert!(out.contains("FastEstimator-Eval: step: 4; epoch: 2;"), "{out}");
    assert!(out.contains("FastEstimator-Test: step: 4;"), "{out}");
}

#[test]
fn unet_job_runs_with_fe_nightly_settings() {
    let root = tempfile::tempdir().unwrap();
    let extra = ["--samples", "20", "--image_size", "16", "--data_dir", root.path().to_str().unwrap()];
    let out = smoke("unet", &[], &extra);
    assert!(out.contains("Data: generated 16×16 blob images (16 train / 4 eval"), "{out}");
    assert!(out.contains("FastEstimator-Eval: step: 4; epoch: 2; Dice: "), "{out}");
}

#[test]
fn imdb_job_runs_with_fe_nightly_settings() {
    let root = tempfile::tempdir().unwrap();
    let extra =
        ["--sizes", "[64, 32]", "--max_len", "40", "--max_words", "300", "--root_dir", root.path().to_str().unwrap()];
    let out = smoke("imdb", &[], &extra);
    assert!(out.contains("Data: a generated two-class corpus (64 train / 32 eval reviews"), "{out}");
    assert!(out.contains("FastEstimator-Eval: step: 4; epoch: 2; accuracy: "), "{out}");
}

#[test]
fn language_model_job_runs_with_fe_nightly_settings() {
    let root = tempfile::tempdir().unwrap();
    let extra = [
        "--sizes",
        "[300, 100, 100]",
        "--embedding_dim",
        "16",
        "--rnn_units",
        "32",
        "--data_dir",
        root.path().to_str().unwrap(),
    ];
    let out = smoke("language_model", &[], &extra);
    assert!(out.contains("the generator's own perplexity on the eval text is"), "{out}");
    assert!(out.contains("FastEstimator-Eval: step: 4; epoch: 2; ce: ") && out.contains("perplexity: "), "{out}");
}

#[test]
fn siamese_job_runs_with_fe_nightly_settings() {
    let root = tempfile::tempdir().unwrap();
    let extra = [
        "--alphabets",
        "[2, 4, 3]",
        "--one_shot_n",
        "5",
        "--one_shot_trials",
        "4",
        "--data_dir",
        root.path().to_str().unwrap(),
    ];
    let out = smoke("siamese", &[], &extra);
    assert!(out.contains("Data: generated glyphs (2 training and 4 evaluation alphabets of 3 characters"), "{out}");
    assert!(out.contains("FastEstimator-Eval: step: 4; epoch: 2;") && out.contains("one_shot_accuracy: "), "{out}");
}

#[test]
fn a_job_names_an_unknown_hyperparameter_and_the_closest_one() {
    let out = Command::new(example("lr_schedule")).args(["train", "--epoch", "1"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`epoch`") && err.contains("did you mean \"epochs\""), "{err}");
    let help = Command::new(example("lr_schedule")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--epochs <12>") && help.contains("--seed <3>"), "{help}");
}

#[test]
fn xai_cifar_job_explains_its_test_images() {
    let out_dir = tempfile::tempdir().unwrap();
    let extra = ["--sizes", "[32, 16, 16]", "--samples", "3", "--out", out_dir.path().to_str().unwrap()];
    let out = smoke("xai_cifar", &[], &extra);
    assert!(out.contains("FastEstimator-Test: step: 4;"), "{out}");
    for (name, columns) in [("saliency", 4), ("gradcam", 2), ("eigencam", 3)] {
        let path = out_dir.path().join(format!("{name}_test_epoch_2.png"));
        assert!(out.contains(&format!("saved {name} to {}", path.display())), "{out}");
        // 3 rows of 32 px images scaled 4x, `columns` columns, 4 px gutters.
        let picture = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgb8();
        assert_eq!(picture.dimensions(), (columns * 132 + 4, 3 * 132 + 4), "{name}");
    }
    for plot in ["sample_ce_by_y.png", "sample_ce_by_id.png"] {
        assert!(image::open(out_dir.path().join(plot)).is_ok(), "{plot}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("xai_cifar_TestReport.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["total"], 2, "{report}");
    let page = std::fs::read_to_string(out_dir.path().join("xai_cifar_traceability.html")).unwrap();
    for section in ["Configuration", "Datasets", "Key flow", "Models", "Training curves", "Final metrics", "System"] {
        assert!(page.contains(section), "the Traceability page lacks {section}");
    }
    // The page embeds the trace figures: 3 maps and 2 tracker plots, plus the curves.
    assert!(page.matches("data:image/png;base64,").count() >= 6);
}
