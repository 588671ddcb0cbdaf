//! The speed benchmark's baseline: a hand-written tch training loop with the same data, model
//! (LeNet or the small ResNet), loss, optimizer (Adam, lr 1e-3) and batch size as `speed_estimator`, built the same
//! way. The data is scaled once up front and batches are index-selected from one tensor, the
//! least work a training loop can do; the gap to it is the framework's overhead.

#[path = "speed/common.rs"]
mod common;

use std::time::{Duration, Instant};

use clap::Parser;
use fastestimator as fe;
use fe::architecture::{LeNet, ResNet9};
use tch::nn::{self, ModuleT, OptimizerConfig};
use tch::{Kind, Tensor};

fn main() {
    common::exit_on_error(run(common::SpeedArgs::parse()));
}

fn run(args: common::SpeedArgs) -> fe::Result<()> {
    tch::set_num_threads(args.threads.unwrap_or_else(num_cpus::get).max(1) as i32);
    tch::manual_seed(42);
    let (images, labels) = args.load()?;
    let n = labels.len() as i64;
    let (Some(x), Some(y)) =
        (fe::backend::to_tensor(&fe::Value::from(images)), fe::backend::to_tensor(&fe::Value::from(labels.into_dyn())))
    else {
        return Err(fe::FeError::param("speed_hand_loop", "data", "images and labels must be numeric"));
    };
    let device = args.tch_device();
    let x = if args.colour() { x.permute([0, 3, 1, 2]) } else { x.reshape([n, 1, 28, 28]) }.to_kind(Kind::Float);
    let (lo, hi) = (x.amin([1, 2, 3], true), x.amax([1, 2, 3], true));
    let x = ((&x - &lo) / (hi - &lo).clamp_min(1e-7)).to_device(device);
    let y = y.to_device(device);
    let vs = nn::VarStore::new(device);
    let net: Box<dyn ModuleT> = match args.model.as_str() {
        "resnet" => Box::new(common::small_resnet(&vs.root())),
        "resnet9" => Box::new(ResNet9::new(&vs.root(), [3, 32, 32], 10)),
        _ => Box::new(LeNet::new(&vs.root(), [1, 28, 28], 10)),
    };
    // The layout the Estimator's `fe::build` gives the same model (channels-last on the CPU),
    // so that the two loops run the same kernels and their gap is the framework's overhead.
    if fe::model::MemoryFormat::Auto.channels_last_on(device) {
        fe::model::to_channels_last(&vs);
    }
    let mut opt = nn::Adam::default().build(&vs, 1e-3).map_err(|e| fe::FeError::torch("Adam", e))?;
    let bs = args.batch_size as i64;
    let (mut compute, mut optimizer) = (Duration::ZERO, Duration::ZERO);
    let mut first_step = None;
    let perm = Tensor::randperm(n, (Kind::Int64, device));
    let start = Instant::now();
    for s in 0..args.steps as i64 {
        let t0 = Instant::now();
        let idx = perm.narrow(0, s * bs, bs);
        let (xb, yb) = (x.index_select(0, &idx), y.index_select(0, &idx));
        // Under --amp: float16 autocast, the loss in float32 (no loss scaling: the least work).
        let p = tch::autocast(args.amp, || net.forward_t(&xb, true)).to_kind(Kind::Float).clamp(1e-7, 1.0 - 1e-7);
        let loss = -p.log().gather(1, &yb.unsqueeze(1), false).mean(Kind::Float);
        opt.zero_grad();
        loss.backward();
        let t1 = Instant::now();
        opt.step();
        let t2 = Instant::now();
        compute += t1 - t0;
        optimizer += t2 - t1;
        if first_step.is_none() {
            first_step = Some((common::seconds_since_process_start(), common::minor_page_faults()));
        }
        if (s + 1) % 100 == 0 {
            println!("step {}: ce = {:.4}", s + 1, loss.double_value(&[]));
        }
    }
    args.synchronize();
    let elapsed = start.elapsed();
    let steps = args.steps as u64;
    common::report(&[
        ("steps_per_sec", steps as f64 / elapsed.as_secs_f64()),
        ("first_step_s", first_step.map_or(0.0, |f| f.0)),
        ("page_faults_per_step", common::faults_per_step(first_step.map_or(0.0, |f| f.1), steps)),
        ("peak_rss_mib", common::peak_rss_mib()),
        ("step_us", common::us_per_step(elapsed, steps)),
        ("data_wait_us", 0.0),
        ("forward_backward_us", common::us_per_step(compute, steps)),
        ("optimizer_us", common::us_per_step(optimizer, steps)),
        ("traces_us", 0.0),
        ("other_us", common::us_per_step(elapsed.saturating_sub(compute + optimizer), steps)),
    ]);
    Ok(())
}
