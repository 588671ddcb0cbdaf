//! `fastestimator benchmark`: Estimator vs. hand-written loop, side by side in one run.

use std::time::Instant;

use clap::Args;
use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::dataset::Dataset;
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use tch::nn::{self, ModuleT, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// Options of `fastestimator benchmark`.
#[derive(Args, Debug)]
pub struct BenchmarkArgs {
    /// Training samples per measured epoch.
    #[arg(long, default_value_t = 8000)]
    samples: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Measured rounds (each runs the hand-written loop, then the Estimator); the best round of
    /// each is reported.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// libtorch threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Pipeline worker threads (default: the Pipeline's own default).
    #[arg(long)]
    workers: Option<usize>,
}

struct Measure {
    samples_per_sec: f64,
    data_wait_share: f64,
}

/// Run the benchmark and print its figures.
pub fn run(args: &BenchmarkArgs) -> fe::Result<()> {
    if args.batch_size == 0 || args.samples < args.batch_size {
        return Err(fe::FeError::param("benchmark", "samples/batch_size", "need samples >= batch_size >= 1"));
    }
    let threads = args.threads.unwrap_or_else(num_cpus);
    fe::set_num_threads(threads);
    let cfg = SyntheticDigitsConfig { train_size: args.samples, eval_size: 0, test_size: 0, seed: 7 };
    let (train, _, _) = synthetic_digits::load_data(&cfg)?;
    let device = fe::network::default_device();
    println!(
        "fastestimator benchmark: LeNet, Adam, batch {}, {} samples per epoch, device {:?}, libtorch threads {}",
        args.batch_size, args.samples, device, threads
    );
    let steps = args.samples / args.batch_size;
    let mut best_loop: f64 = 0.0;
    let mut best_est: Option<Measure> = None;
    let mut round_ratios = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        let hand = hand_written_loop(&train, args.batch_size, steps, device)?;
        let est = estimator_epoch(train.clone(), args, steps)?;
        round_ratios.push(est.samples_per_sec / hand);
        println!(
            "round {round}: hand-written loop {:.1} samples/s | Estimator {:.1} samples/s (waited for data {:.2}% of training time)",
            hand,
            est.samples_per_sec,
            100.0 * est.data_wait_share
        );
        best_loop = best_loop.max(hand);
        if best_est.as_ref().is_none_or(|b| est.samples_per_sec > b.samples_per_sec) {
            best_est = Some(est);
        }
    }
    let est = best_est.expect("at least one round");
    println!("hand-written tch loop : {best_loop:.1} samples/s");
    println!("fe::Estimator         : {:.1} samples/s", est.samples_per_sec);
    println!("ratio (Estimator/loop): {:.3} of the best rounds", est.samples_per_sec / best_loop);
    println!("ratio (Estimator/loop): {}", crate::rounds::median_of_ratios(&round_ratios));
    println!("data wait (Estimator) : {:.2}% of training time", 100.0 * est.data_wait_share);
    Ok(())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The baseline: data already in one tensor, scaled the way Minmax does, a random permutation
/// per epoch, LeNet forward, cross entropy on probabilities, Adam step.
fn hand_written_loop(
    train: &fe::dataset::NumpyDataset,
    batch_size: usize,
    steps: usize,
    device: Device,
) -> fe::Result<f64> {
    let n = train.len() as i64;
    let x = fe::backend::to_tensor(train.column("x").expect("x")).expect("numeric");
    let y = fe::backend::to_tensor(train.column("y").expect("y")).expect("numeric");
    let x = x.to_kind(Kind::Float).reshape([n, 1, 28, 28]);
    let (lo, hi) = (x.amin([1, 2, 3], true), x.amax([1, 2, 3], true));
    let x = ((&x - &lo) / (hi - &lo).clamp_min(1e-7)).to_device(device);
    let y = y.to_device(device);
    tch::manual_seed(1);
    let vs = nn::VarStore::new(device);
    let net = LeNet::new(&vs.root(), [1, 28, 28], 10);
    // The layout `fe::build` gives the Estimator's model, so both loops run the same kernels.
    if fe::model::MemoryFormat::Auto.channels_last_on(device) {
        fe::model::to_channels_last(&vs);
    }
    let mut opt = nn::Adam::default().build(&vs, 1e-3).map_err(|e| fe::FeError::torch("Adam", e))?;
    let mut step = |idx: &Tensor| {
        let xb = x.index_select(0, idx);
        let yb = y.index_select(0, idx);
        let p = net.forward_t(&xb, true).clamp(1e-7, 1.0 - 1e-7);
        let loss = -p.log().gather(1, &yb.unsqueeze(1), false).mean(Kind::Float);
        opt.zero_grad();
        loss.backward();
        opt.step();
    };
    let perm = Tensor::randperm(n, (Kind::Int64, device));
    for s in 0..3 {
        step(&perm.narrow(0, (s * batch_size) as i64, batch_size as i64));
    }
    let start = Instant::now();
    let perm = Tensor::randperm(n, (Kind::Int64, device));
    for s in 0..steps {
        step(&perm.narrow(0, (s * batch_size) as i64, batch_size as i64));
    }
    if let Device::Cuda(_) = device {
        tch::Cuda::synchronize(0);
    }
    Ok((steps * batch_size) as f64 / start.elapsed().as_secs_f64())
}

/// One training epoch of the Estimator on the same data, with the pipeline doing the work.
fn estimator_epoch(train: fe::dataset::NumpyDataset, args: &BenchmarkArgs, steps: usize) -> fe::Result<Measure> {
    let mut builder = fe::Pipeline::builder()
        .train_data(train)
        .batch_size(args.batch_size)
        .seed(3)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))]);
    if let Some(w) = args.workers {
        builder = builder.num_process(w);
    }
    let pipeline = builder.build()?;
    let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let mut est = fe::Estimator::builder(pipeline, network, 1).train_steps_per_epoch(steps).silent().build()?;
    let summary = est.fit()?;
    let secs = summary.train_time.as_secs_f64();
    Ok(Measure {
        samples_per_sec: (summary.train_steps as usize * args.batch_size) as f64 / secs,
        data_wait_share: summary.data_wait.as_secs_f64() / secs,
    })
}
