//! Interpretation on a CIFAR-like job: ResNet9 trained on generated 32×32 pictures of ten shapes
//! (the `cifar10_fast` data, no download), then explained on a few test images with Saliency
//! (vanilla gradients, SmoothGrad, integrated gradients), GradCAM (from `layer2`, 8×8) and
//! EigenCAM; the per-class loss over epochs (LabelTracker) and the hardest and easiest eval
//! images' loss (InstanceTracker); a Traceability report of the whole run and a TestReport of
//! test cases against the trained model, all written to `--out`.
//!
//! The network runs ResNet9 with its `layer2` exposed (`ModelOp::intermediate_layers`); in test
//! mode it also picks each image's predicted score (`Argmax`, `Gather`) and differentiates it
//! with respect to that layer (`GradientOp`), which is what GradCAM draws.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example xai_cifar                 # ~5 min on 2 cores
//! ./fe cargo run --release -p fastestimator --example xai_cifar -- --out /tmp/xai --epochs 2
//! ```

use std::path::PathBuf;

use fastestimator as fe;
use fe::architecture::ResNet9;
use fe::dataset::data::synthetic_shapes::{SyntheticShapes, CLASS_NAMES};
use fe::op::numpy::univariate::ChannelTranspose;
use fe::op::numpy::Normalize;
use fe::op::tensor::{Argmax, CrossEntropy, Gather, GradientOp, ModelOp, UpdateOp};
use fe::op::Configure;
use fe::trace::io::{TestCase, TestReport, Traceability};
use fe::trace::metric::Accuracy;
use fe::trace::xai::{EigenCAM, GradCAM, InstanceTracker, LabelTracker, Saliency};
use fe::Value;
use ndarray::Array1;
use tch::Kind;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Training epochs.
    epochs: usize,
    /// Batch size.
    batch_size: usize,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
    /// Print the training loss every N steps.
    log_steps: u64,
    /// Sizes of the generated data set: [train, eval, test].
    sizes: [usize; 3],
    /// How many test images to explain.
    samples: usize,
    /// Where the pictures and reports go (default: `xai_cifar_out` in the working folder).
    out: PathBuf,
    /// Seed of the data, the model and the pipeline.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 4,
            batch_size: 128,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            log_steps: 8,
            sizes: [2048, 256, 256],
            samples: 6,
            out: PathBuf::from("xai_cifar_out"),
            seed: 42,
        }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// The job: data, network, traces.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    let [n_train, n_eval, n_test] = args.sizes;
    // Each eval and test image carries its index as "id", so the trackers and the test report
    // can name it.
    let with_ids = |mut data: fe::dataset::NumpyDataset, n: usize| -> fe::Result<_> {
        data.set_column("id", Value::I64(Array1::from_iter(0..n as i64).into_dyn()))?;
        Ok(data)
    };
    let (train, eval, test) = SyntheticShapes::new().sizes(n_train, n_eval, n_test).seed(args.seed).load()?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .eval_data(with_ids(eval, n_eval)?)
        .test_data(with_ids(test, n_test)?)
        .batch_size(args.batch_size)
        .ops(vec![
            Box::new(Normalize::new("x", "x").stats(&[0.4914, 0.4822, 0.4465], &[0.2471, 0.2435, 0.2616])),
            Box::new(ChannelTranspose::new("x", "x")),
        ])
        .build()?;

    let model = fe::build(|p| ResNet9::new(p, [3, 32, 32], 10), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred").intermediate_layers(&["layer2"], &["layer2"])),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "sample_ce").average_loss(false).mode("eval")),
        Box::new(Argmax::new("y_pred", "y_class").axis(-1).mode("test")),
        Box::new(Gather::new("y_pred", "y_score", "y_class").mode("test")),
        Box::new(GradientOp::new("y_score", "layer2", "grads").mode("test")),
    ])?;

    let names = CLASS_NAMES.iter().enumerate().map(|(i, n)| (n.to_string(), i as i64));
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(
            Saliency::new(&model, "x", "y_pred")
                .label_mapping(names.clone())
                .samples(args.samples)
                .smoothing(16)
                .integrating(32)
                .mode("test")
                .save_dir(&args.out),
        ),
        Box::new(
            GradCAM::new("x", "grads")
                .activations("layer2")
                .labels("y")
                .preds("y_pred")
                .label_mapping(names.clone())
                .n_samples(Some(args.samples))
                .mode("test")
                .save_dir(&args.out),
        ),
        Box::new(
            EigenCAM::new("x", "layer2")
                .n_components(2)
                .labels("y")
                .preds("y_pred")
                .label_mapping(names.clone())
                .n_samples(Some(args.samples))
                .mode("test")
                .save_dir(&args.out),
        ),
        Box::new(LabelTracker::new("y", "sample_ce").label_mapping(names.clone()).save_dir(&args.out)),
        Box::new(InstanceTracker::new("id", "sample_ce").n_max_to_keep(3).n_min_to_keep(2).save_dir(&args.out)),
        Box::new(
            TestReport::new(
                [
                    TestCase::aggregate("test accuracy is above 50%", "accuracy", |v| v[0].as_f64() > Some(0.5)),
                    TestCase::per_instance("each test image is classified correctly", ["y", "y_pred"], |t| {
                        let right = t[1].argmax(-1, false).eq_tensor(&t[0].reshape([-1]).to_kind(Kind::Int64));
                        Vec::<bool>::try_from(right).unwrap_or_default()
                    })
                    .fail_threshold(n_test / 10)
                    .show("x"),
                ],
                &args.out,
            )
            .test_title("xai_cifar")
            .data_id("id"),
        ),
        Box::new(
            Traceability::new(&args.out)
                .extra("data", "generated shapes (fe::dataset::data::synthetic_shapes)")
                .pdf(true),
        ),
    ];
    let mut estimator = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(traces)
        .log_steps(args.log_steps)
        .experiment_name("xai_cifar")
        .build()?;
    estimator.set_steps_per_epoch(args.train_steps_per_epoch, args.eval_steps_per_epoch);
    Ok(estimator)
}
