//! FE's cifar10_fast (apphub `image_classification/cifar10_fast`), line for line: ResNet9 with
//! davidcpage's recipe (Normalize with the CIFAR mean and std, PadIfNeeded 40×40, RandomCrop
//! 32×32, Sometimes(HorizontalFlip), CoarseDropout with one hole, ChannelTranspose, Onehot with
//! label smoothing 0.2), Adam at batch 512 under FE's `lr_schedule` (a linear warm-up to 0.04
//! over 490 steps, then a linear decay to 0 at step 2352), Accuracy, BestModelSaver on accuracy;
//! fit, then test.
//!
//! Data: real ciFAIR-10 when its files are in `~/fastestimator_data/ciFAIR10` (or with `--data
//! real`, which downloads them where the internet is reachable; eval is half of its test set and
//! test the other half, as in FE); otherwise embedded generated images: 32×32 colour pictures of
//! ten shapes (disk, ring, square, frame, triangle, plus, cross, bars, stripes, diamond), each
//! in a colour around its class hue (the hues of neighbouring classes are 36° apart, the jitter
//! 15°), on a random shaded background, with position, size and rotation jitter and pixel noise.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example cifar10_fast            # generated, ~7 min
//! ./fe cargo run --release -p fastestimator --example cifar10_fast -- --data real --epochs 24
//! ./fe cargo run --release -p fastestimator --example cifar10_fast -- --help
//! ```

use std::path::PathBuf;

use fastestimator as fe;
use fe::architecture::ResNet9;
use fe::dataset::data::cifair10::Cifair10;
use fe::dataset::data::synthetic_shapes::SyntheticShapes;
use fe::dataset::NumpyDataset;
use fe::op::numpy::meta::Sometimes;
use fe::op::numpy::multivariate::{HorizontalFlip, PadIfNeeded, RandomCrop};
use fe::op::numpy::univariate::{ChannelTranspose, CoarseDropout};
use fe::op::numpy::{Normalize, Onehot};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::op::Configure;
use fe::trace::adapt::LRScheduler;
use fe::trace::io::BestModelSaver;
use fe::trace::metric::Accuracy;
use fe::util::BestMode;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Training epochs (FE trains ciFAIR-10 for 24).
    epochs: usize,
    /// Batch size.
    batch_size: usize,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
    /// Where BestModelSaver writes (default: a new temporary folder).
    save_dir: Option<PathBuf>,
    /// Print the training loss every N steps.
    log_steps: u64,
    /// `auto` (ciFAIR-10 when its files are present), `real` or `synthetic`.
    data: String,
    /// The data root holding `ciFAIR10/` (default `~/fastestimator_data`).
    data_dir: Option<PathBuf>,
    /// Sizes of the generated data set: [train, eval, test].
    sizes: [usize; 3],
    /// Seed of the data, the model and the pipeline.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 6,
            batch_size: 512,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            save_dir: None,
            log_steps: 4,
            data: "auto".into(),
            data_dir: None,
            sizes: [2048, 512, 512],
            seed: 42,
        }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `lr_schedule`: a linear warm-up to 0.04 over 490 steps (5 epochs of ciFAIR-10's 98
/// steps at batch 512), then a linear decay reaching 0 at step 2352 (24 epochs). As in FE the
/// constants are steps, whatever the data: a shorter run (the generated data) trains inside the
/// warm-up, with the rate rising from 8e-5.
fn lr_schedule(step: u64) -> f64 {
    let step = step as f64;
    let lr = if step <= 490.0 { step / 490.0 * 0.4 } else { ((2352.0 - step) / 1862.0 * 0.4).max(0.0) };
    lr * 0.1
}

/// FE's `get_estimator`: the whole recipe from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    // step 1: prepare dataset
    let (train_data, eval_data, test_data) = load(&args)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .test_data(test_data)
        .batch_size(args.batch_size)
        .ops(vec![
            Box::new(Normalize::new("x", "x").stats(&[0.4914, 0.4822, 0.4465], &[0.2471, 0.2435, 0.2616])),
            Box::new(PadIfNeeded::new(40, 40)?.image_in("x").image_out("x").mode("train")),
            Box::new(RandomCrop::new(32, 32)?.image_in("x").image_out("x").mode("train")),
            Box::new(Sometimes::new(Box::new(HorizontalFlip::new().image_in("x").image_out("x").mode("train")), 0.5)?),
            Box::new(CoarseDropout::new("x", "x").max_holes(1).mode("train")),
            Box::new(ChannelTranspose::new("x", "x")),
            Box::new(Onehot::new("y", "y", 10)?.label_smoothing(0.2).mode("train")),
        ])
        .build()?;

    // step 2: prepare network
    let model = fe::build(|p| ResNet9::new(p, [3, 32, 32], 10), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;

    // step 3: prepare estimator
    let save_dir = match &args.save_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("fe_cifar10_fast_")
            .tempdir()
            .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?
            .keep(),
    };
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(BestModelSaver::new(&model, &save_dir).metric("accuracy").save_best_mode(BestMode::Max)),
        Box::new(LRScheduler::by_step(&model, lr_schedule)),
    ];
    let mut estimator = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(traces)
        .log_steps(args.log_steps)
        .experiment_name("cifar10_fast")
        .build()?;
    estimator.set_steps_per_epoch(args.train_steps_per_epoch, args.eval_steps_per_epoch);
    Ok(estimator)
}

/// `(train, eval, test)`: ciFAIR-10 (eval split in half for test, as FE does) or generated shapes.
fn load(args: &Hyperparameters) -> fe::Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
    let mut loader = Cifair10::new();
    if let Some(root) = &args.data_dir {
        loader = loader.root_dir(root);
    }
    let real = match args.data.as_str() {
        "real" => Some(loader.clone().load()?),
        "synthetic" => None,
        "auto" => match loader.clone().download(false).load() {
            Ok(data) => Some(data),
            Err(fe::FeError::MissingData { .. }) => None,
            Err(e) => return Err(e),
        },
        other => {
            return Err(fe::FeError::param(
                "cifar10_fast",
                "data",
                format!("expects auto, real or synthetic, got {other:?}"),
            ))
        }
    };
    if let Some((train, mut eval)) = real {
        let test = eval.split(0.5, Some(args.seed), None)?;
        fe::output::log(&format!("Data: ciFAIR-10 from {}", loader.dir().display()));
        return Ok((train, eval, test));
    }
    let [n_train, n_eval, n_test] = args.sizes;
    fe::output::log(&format!(
        "Data: generated shapes ({n_train} train / {n_eval} eval / {n_test} test; no ciFAIR-10 files in {})",
        loader.dir().display()
    ));
    SyntheticShapes::new().sizes(n_train, n_eval, n_test).seed(args.seed).load()
}
