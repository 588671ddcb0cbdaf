//! The speed benchmark's user program: FE's MNIST recipe (LeNet, Adam, batch 32) on the
//! embedded digits, or a small ResNet on 32×32×3 images, built exactly as a user builds a
//! fastestimator program. No allocator or
//! setting is added here that a user's program would not have. `fastestimator speed` runs it
//! beside `speed_hand_loop` and a PyTorch eager loop.

#[path = "speed/common.rs"]
mod common;

use clap::Parser;
use fastestimator as fe;
use fe::architecture::{LeNet, ResNet9};
use fe::dataset::NumpyDataset;
use fe::op::numpy::univariate::ChannelTranspose;
use fe::op::numpy::{ExpandDims, Minmax, NumpyOp};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::op::{HasIo, OpIo};
use fe::summary::System;
use fe::trace::{Data, Trace};

/// Records when the first training step ended, in seconds since the process started, and the
/// process's page faults by then.
struct FirstStep {
    io: OpIo,
    at: std::sync::Arc<std::sync::Mutex<Option<(f64, f64)>>>,
}

impl HasIo for FirstStep {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl Trace for FirstStep {
    fn name(&self) -> String {
        "FirstStep".into()
    }

    fn on_batch_end(&mut self, _data: &mut Data, _system: &mut System) -> fe::Result<()> {
        let mut at = self.at.lock().unwrap_or_else(|e| e.into_inner());
        if at.is_none() {
            *at = Some((common::seconds_since_process_start(), common::minor_page_faults()));
        }
        Ok(())
    }
}

fn main() {
    common::exit_on_error(run(common::SpeedArgs::parse()));
}

fn run(args: common::SpeedArgs) -> fe::Result<()> {
    if let Some(t) = args.threads {
        fe::set_num_threads(t);
    }
    fe::enable_deterministic(42);
    let (images, labels) = args.load()?;
    let train = NumpyDataset::new([("x", fe::Value::from(images)), ("y", fe::Value::from(labels.into_dyn()))])?;
    let ops: Vec<Box<dyn NumpyOp>> = if args.colour() {
        vec![Box::new(ChannelTranspose::new("x", "x")), Box::new(Minmax::new("x", "x"))]
    } else {
        vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))]
    };
    let pipeline = fe::Pipeline::builder().train_data(train).batch_size(args.batch_size).ops(ops).build()?;
    if args.tch_device() == tch::Device::Cpu {
        std::env::set_var("FE_DEVICE", "cpu");
    }
    let options = fe::model::BuildOptions { mixed_precision: args.amp, ..Default::default() };
    let model = match args.model.as_str() {
        "resnet" => fe::model::build_with(common::small_resnet, "adam", options)?,
        "resnet9" => fe::model::build_with(|p| ResNet9::new(p, [3, 32, 32], 10), "adam", options)?,
        _ => fe::model::build_with(|p| LeNet::new(p, [1, 28, 28], 10), "adam", options)?,
    };
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let first = std::sync::Arc::new(std::sync::Mutex::new(None));
    let traces: Vec<Box<dyn Trace>> =
        vec![Box::new(FirstStep { io: OpIo::new((), ()).with_default_mode("train"), at: first.clone() })];
    let mut estimator = fe::Estimator::builder(pipeline, network, 1).traces(traces).log_steps(100).build()?;
    let summary = estimator.fit()?;
    args.synchronize();
    let steps = summary.train_steps;
    let (first_step, faults_at_first_step) = first.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or((0.0, 0.0));
    let profile = &summary.step_profile;
    common::report(&[
        ("steps_per_sec", steps as f64 / summary.train_time.as_secs_f64()),
        ("first_step_s", first_step),
        ("page_faults_per_step", common::faults_per_step(faults_at_first_step, steps as u64)),
        ("peak_rss_mib", common::peak_rss_mib()),
        ("step_us", common::us_per_step(summary.train_time, steps)),
        ("data_wait_us", common::us_per_step(summary.data_wait, steps)),
        ("forward_backward_us", common::us_per_step(profile.ops, steps)),
        ("optimizer_us", common::us_per_step(profile.optimizer, steps)),
        ("traces_us", common::us_per_step(profile.traces, steps)),
        ("other_us", common::us_per_step(profile.other(summary.train_time, summary.data_wait), steps)),
    ]);
    Ok(())
}
