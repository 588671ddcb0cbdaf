//! Learning-rate scheduling and early stopping (FE's advanced tutorial t07 in miniature): LeNet
//! on the embedded digits with a per-step cosine-decay learning rate, stopped early once eval
//! accuracy stops improving.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example lr_schedule
//! ```

use clap::Parser;
use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::schedule::cosine_decay;
use fe::trace::adapt::{Compare, EarlyStopping, LRScheduler};
use fe::trace::metric::Accuracy;

#[derive(Parser, Debug)]
#[command(about = "LeNet with a per-step cosine-decay learning rate and early stopping, on the embedded digits")]
struct Args {
    /// Most epochs to train (early stopping usually ends sooner).
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Seed of the data, the model and the pipeline.
    #[arg(long, default_value_t = 3)]
    seed: u64,
}

fn main() -> fe::Result<()> {
    let args = Args::parse();
    fe::enable_deterministic(args.seed);
    let cfg = SyntheticDigitsConfig { train_size: 3000, eval_size: 1000, test_size: 0, seed: args.seed };
    let (train, eval, _) = synthetic_digits::load_data(&cfg)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .eval_data(eval)
        .batch_size(32)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
        .build()?;
    let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let steps_per_epoch = 94;
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(LRScheduler::by_step(&model, move |step| {
            cosine_decay(step, 2 * steps_per_epoch, 1e-3, 1e-5, 1, 2.0, false)
        })),
        Box::new(EarlyStopping::new("accuracy").compare(Compare::Max).min_delta(0.002).patience(1)),
    ];
    let mut estimator = fe::Estimator::builder(pipeline, network, args.epochs).traces(traces).log_steps(94).build()?;
    estimator.fit()?;
    Ok(())
}
