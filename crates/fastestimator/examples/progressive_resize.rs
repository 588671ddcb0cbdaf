//! Progressive resizing (FE's scheduler tutorial): train on small images with large batches
//! first, then on full-size images with smaller batches, using a scheduled `Resize` op and a
//! scheduled batch size. The model is fully convolutional, so it takes either size.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example progressive_resize
//! ```

use fastestimator as fe;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::network::FeModel;
use fe::op::numpy::multivariate::Resize;
use fe::op::numpy::{ExpandDims, Minmax, NumpyOp, ScheduledOp};
use fe::op::tensor::{CrossEntropy, ModelOp, Permute, UpdateOp};
use fe::op::{HasIo, OpIo};
use fe::schedule::EpochScheduler;
use fe::summary::System;
use fe::trace::metric::Accuracy;
use fe::trace::{Data, Trace};
use tch::nn::{self, ModuleT};
use tch::Tensor;

/// conv-conv-conv with global average pooling: any input size works.
#[derive(Debug)]
struct FullyConvolutional {
    c1: nn::Conv2D,
    c2: nn::Conv2D,
    c3: nn::Conv2D,
    fc: nn::Linear,
}

impl FullyConvolutional {
    fn new(p: &nn::Path) -> Self {
        let same = nn::ConvConfig { padding: 1, ..Default::default() };
        FullyConvolutional {
            c1: nn::conv2d(p / "c1", 1, 32, 3, same),
            c2: nn::conv2d(p / "c2", 32, 64, 3, same),
            c3: nn::conv2d(p / "c3", 64, 64, 3, same),
            fc: nn::linear(p / "fc", 64, 10, Default::default()),
        }
    }
}

impl ModuleT for FullyConvolutional {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Tensor {
        x.apply(&self.c1)
            .relu()
            .max_pool2d_default(2)
            .apply(&self.c2)
            .relu()
            .max_pool2d_default(2)
            .apply(&self.c3)
            .relu()
            .adaptive_avg_pool2d([1, 1])
            .flatten(1, -1)
            .apply(&self.fc)
            .softmax(-1, tch::Kind::Float)
    }
}
impl FeModel for FullyConvolutional {}

fn resize(side: usize) -> fe::Result<Box<dyn NumpyOp>> {
    Ok(Box::new(Resize::new(side, side)?.image_in("x")))
}

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Epochs to train (the switch to full size happens at epoch 3).
    epochs: usize,
    /// Seed of the data, the model and the pipeline.
    seed: u64,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters { epochs: 4, seed: 5, train_steps_per_epoch: None, eval_steps_per_epoch: None }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `get_estimator`: the whole job from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    let cfg = SyntheticDigitsConfig { train_size: 4000, eval_size: 1000, test_size: 0, seed: args.seed };
    let (train, eval, _) = synthetic_digits::load_data(&cfg)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .eval_data(eval)
        .batch_size_schedule(EpochScheduler::new(vec![(1, Some(64)), (3, Some(32))])?)
        .ops(vec![
            Box::new(ExpandDims::new("x", "x")),
            Box::new(ScheduledOp::epochs(vec![(1, Some(resize(14)?)), (3, Some(resize(28)?))])?),
            Box::new(Minmax::new("x", "x")),
        ])
        .build()?;
    let model = fe::build(FullyConvolutional::new, "adam")?;
    let network = fe::Network::new(vec![
        Box::new(Permute::new("x", "x")),
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let mut builder = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(vec![
            Box::new(Accuracy::new("y", "y_pred")),
            Box::new(ShapeLogger { io: OpIo::new("x", ()).with_default_mode("train") }),
        ])
        .log_steps(50)
        .experiment_name("progressive_resize");
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    if let Some(n) = args.eval_steps_per_epoch {
        builder = builder.eval_steps_per_epoch(n);
    }
    builder.build()
}

/// Prints the batch shape the network sees at the start of each training epoch.
struct ShapeLogger {
    io: OpIo,
}

impl HasIo for ShapeLogger {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl Trace for ShapeLogger {
    fn name(&self) -> String {
        "ShapeLogger".into()
    }

    fn on_batch_begin(&mut self, data: &mut Data, system: &mut System) -> fe::Result<()> {
        if system.batch_idx == 1 {
            if let Some(x) = data.tensor("x") {
                println!("FastEstimator-ShapeLogger: epoch {}: batch x {:?}", system.epoch_idx, x.size());
            }
        }
        Ok(())
    }
}
