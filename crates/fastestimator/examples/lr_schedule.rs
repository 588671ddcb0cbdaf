//! Learning-rate scheduling and early stopping (FE's advanced tutorial t07 in miniature): LeNet
//! on the embedded digits with a per-step cosine-decay learning rate, stopped early once eval
//! accuracy stops improving.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example lr_schedule
//! ```

use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::schedule::cosine_decay;
use fe::trace::adapt::{EarlyStopping, LRScheduler};
use fe::trace::metric::Accuracy;
use fe::util::BestMode;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Most epochs to train (early stopping usually ends sooner).
    epochs: usize,
    /// Batch size.
    batch_size: usize,
    /// Seed of the data, the model and the pipeline.
    seed: u64,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters { epochs: 12, batch_size: 32, seed: 3, train_steps_per_epoch: None, eval_steps_per_epoch: None }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `get_estimator`: the whole job from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    let cfg = SyntheticDigitsConfig { train_size: 3000, eval_size: 1000, test_size: 0, seed: args.seed };
    let (train, eval, _) = synthetic_digits::load_data(&cfg)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .eval_data(eval)
        .batch_size(args.batch_size)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
        .build()?;
    let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let steps_per_epoch = 3000_u64.div_ceil(args.batch_size.max(1) as u64);
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(LRScheduler::by_step(&model, move |step| {
            cosine_decay(step, 2 * steps_per_epoch, 1e-3, 1e-5, 1, 2.0, false)
        })),
        Box::new(EarlyStopping::new("accuracy").compare(BestMode::Max).min_delta(0.002).patience(1)),
    ];
    let mut builder = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(traces)
        .log_steps(steps_per_epoch)
        .experiment_name("lr_schedule");
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    if let Some(n) = args.eval_steps_per_epoch {
        builder = builder.eval_steps_per_epoch(n);
    }
    builder.build()
}
