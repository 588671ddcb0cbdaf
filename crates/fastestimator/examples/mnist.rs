//! FE's MNIST recipe (apphub `mnist`), line for line: LeNet, Adam, batch 32, 2 epochs, the
//! learning rate on FE's cosine decay (3 750-step cycle from 1e-3), with FE's job command line
//! (`fe::cli`).
//!
//! Data: real MNIST when its IDX files are in `~/fastestimator_data/MNIST` (or with `--data
//! real`, which downloads them where the internet is reachable); otherwise the embedded
//! generated digits.
//!
//! ```text
//! ./fe mnist                                  # embedded digits, 2 epochs, then test
//! ./fe mnist --data real                      # real MNIST
//! ./fe mnist train --epochs 1 --model linear  # a linear softmax model, for comparison
//! ./fe mnist --help                           # every hyperparameter with its default
//! ```

use std::path::PathBuf;

use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::{mnist, synthetic_digits};
use fe::dataset::NumpyDataset;
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::schedule::cosine_decay;
use fe::trace::adapt::LRScheduler;
use fe::trace::io::BestModelSaver;
use fe::trace::metric::Accuracy;
use fe::util::BestMode;
use tch::nn;

/// The job's hyperparameters (`--name value` on the command line).
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
    /// Print train progress every N steps.
    log_steps: u64,
    /// `lenet`, or `linear` (a linear softmax model, for comparison).
    model: String,
    /// `auto` (real MNIST when present), `real` or `synthetic`.
    data: String,
    /// Where BestModelSaver writes (default: a new temporary folder).
    save_dir: Option<PathBuf>,
    /// Sizes of the embedded dataset: [train, eval, test].
    sizes: Option<[usize; 3]>,
    /// Seed for data, shuffling and initialisation.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 2,
            batch_size: 32,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            log_steps: 100,
            model: "lenet".into(),
            data: "auto".into(),
            save_dir: None,
            sizes: None,
            seed: 42,
        }
    }
}

fn load(args: &Hyperparameters) -> fe::Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
    let use_real = match args.data.as_str() {
        "real" => true,
        "synthetic" => false,
        "auto" => mnist::Mnist::new().files_present(),
        other => {
            return Err(fe::FeError::param("mnist", "data", format!("expects auto, real or synthetic, got {other:?}")))
        }
    };
    if use_real {
        let (train, mut eval) = mnist::load_data(None)?;
        let test = eval.split(0.5, Some(args.seed), None)?;
        println!("Data: real MNIST from {}", mnist::default_root_dir().display());
        Ok((train, eval, test))
    } else {
        let mut cfg = synthetic_digits::SyntheticDigitsConfig { seed: args.seed, ..Default::default() };
        if let Some(s) = &args.sizes {
            (cfg.train_size, cfg.eval_size, cfg.test_size) = (s[0], s[1], s[2]);
        }
        println!(
            "Data: embedded synthetic digits ({} train / {} eval / {} test; no MNIST files in {})",
            cfg.train_size,
            cfg.eval_size,
            cfg.test_size,
            mnist::default_root_dir().display()
        );
        synthetic_digits::load_data(&cfg)
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `get_estimator`: the whole recipe from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    let (train_data, eval_data, test_data) = load(&args)?;

    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .test_data(test_data)
        .batch_size(args.batch_size)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
        .build()?;

    let model = match args.model.as_str() {
        "lenet" => fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam")?,
        "linear" => fe::build(
            |p| {
                nn::seq_t()
                    .add_fn(|x| x.flatten(1, -1))
                    .add(nn::linear(p / "fc", 784, 10, Default::default()))
                    .add_fn(|x| x.softmax(-1, tch::Kind::Float))
            },
            "adam",
        )?,
        other => return Err(fe::FeError::param("mnist", "model", format!("expects lenet or linear, got {other:?}"))),
    };
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;

    let save_dir = match &args.save_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("fe_mnist_")
            .tempdir()
            .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?
            .keep(),
    };
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(BestModelSaver::new(&model, &save_dir).metric("accuracy").save_best_mode(BestMode::Max)),
        // FE: `lr_fn=lambda step: cosine_decay(step, cycle_length=3750, init_lr=1e-3)`, with FE's
        // defaults min_lr=1e-6, start=1.
        Box::new(LRScheduler::by_step(&model, |step| cosine_decay(step, 3750, 1e-3, 1e-6, 1, 1.0, false))),
    ];
    let mut builder = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(traces)
        .log_steps(args.log_steps)
        .experiment_name("mnist");
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    if let Some(n) = args.eval_steps_per_epoch {
        builder = builder.eval_steps_per_epoch(n);
    }
    builder.build()
}
