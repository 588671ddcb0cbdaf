//! FE's MNIST recipe (apphub `mnist`), line for line: LeNet, Adam, batch 32, 2 epochs.
//!
//! Data: real MNIST when its IDX files are in `~/fastestimator_data/MNIST` (or with `--real`,
//! which downloads them where the internet is reachable); otherwise the embedded generated digits.
//!
//! ```text
//! ./fe mnist                      # embedded digits, 2 epochs
//! ./fe mnist --real               # real MNIST
//! ./fe mnist --model linear       # a linear softmax model, for comparison
//! ```

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::{mnist, synthetic_digits};
use fe::dataset::NumpyDataset;
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::trace::io::{BestModelSaver, SaveBestMode};
use fe::trace::metric::Accuracy;
use tch::nn;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Arch {
    Lenet,
    Linear,
}

#[derive(Parser, Debug)]
#[command(about = "Train LeNet on MNIST (or the embedded digits) the FastEstimator way")]
struct Args {
    /// Use real MNIST (download it if missing and the internet is reachable).
    #[arg(long)]
    real: bool,
    /// Use the embedded generated digits even if real MNIST is present.
    #[arg(long, conflicts_with = "real")]
    synthetic: bool,
    /// Training epochs.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Cut every training epoch to this many steps.
    #[arg(long)]
    train_steps_per_epoch: Option<usize>,
    /// Print train progress every N steps.
    #[arg(long, default_value_t = 100)]
    log_steps: u64,
    /// Model to train.
    #[arg(long, value_enum, default_value_t = Arch::Lenet)]
    model: Arch,
    /// Where BestModelSaver writes (default: a new temporary folder).
    #[arg(long)]
    save_dir: Option<PathBuf>,
    /// Sizes of the embedded dataset: train, eval, test.
    #[arg(long, num_args = 3, value_names = ["TRAIN", "EVAL", "TEST"])]
    sizes: Option<Vec<usize>>,
    /// Seed for data, shuffling and initialisation.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn load(args: &Args) -> fe::Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
    let use_real = args.real || (!args.synthetic && mnist::files_present(None));
    if use_real {
        let (train, mut eval) = mnist::load_data(None)?;
        let test = eval.split(0.5, Some(args.seed), None)?;
        println!("Data: real MNIST from {}", mnist::default_root().display());
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
            mnist::default_root().display()
        );
        synthetic_digits::load_data(&cfg)
    }
}

fn main() -> fe::Result<()> {
    let args = Args::parse();
    fe::enable_deterministic(args.seed);
    let (train_data, eval_data, test_data) = load(&args)?;

    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .test_data(test_data)
        .batch_size(args.batch_size)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
        .build()?;

    let model = match args.model {
        Arch::Lenet => fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam")?,
        Arch::Linear => fe::build(
            |p| {
                nn::seq_t()
                    .add_fn(|x| x.flatten(1, -1))
                    .add(nn::linear(p / "fc", 784, 10, Default::default()))
                    .add_fn(|x| x.softmax(-1, tch::Kind::Float))
            },
            "adam",
        )?,
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
        Box::new(BestModelSaver::new(&model, &save_dir).metric("accuracy").save_best_mode(SaveBestMode::Max)),
    ];
    let mut builder = fe::Estimator::builder(pipeline, network, args.epochs).traces(traces).log_steps(args.log_steps);
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    let mut estimator = builder.build()?;
    estimator.fit()?;
    estimator.test()?;
    Ok(())
}
