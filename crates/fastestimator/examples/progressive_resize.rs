//! Progressive resizing (FE's scheduler tutorial): train on small images with large batches
//! first, then on full-size images with smaller batches, using a scheduled `Resize` op and a
//! scheduled batch size. The model is fully convolutional, so it takes either size.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example progressive_resize
//! ```

use clap::Parser;
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

#[derive(Parser, Debug)]
#[command(about = "Progressive resizing: 14x14 images in batches of 64 for two epochs, then 28x28 in batches of 32")]
struct Args {
    /// Epochs to train (the switch to full size happens at epoch 3).
    #[arg(long, default_value_t = 4)]
    epochs: usize,
    /// Seed of the data, the model and the pipeline.
    #[arg(long, default_value_t = 5)]
    seed: u64,
}

fn main() -> fe::Result<()> {
    let args = Args::parse();
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
    let mut estimator = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(vec![
            Box::new(Accuracy::new("y", "y_pred")),
            Box::new(ShapeLogger { io: OpIo::new("x", ()).with_default_mode("train") }),
        ])
        .log_steps(50)
        .build()?;
    estimator.fit()?;
    Ok(())
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
