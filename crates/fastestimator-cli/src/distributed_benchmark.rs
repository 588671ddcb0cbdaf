//! `fastestimator distributed-benchmark`: the same training job on 1 process and on 2 processes
//! (c10d, Gloo on 127.0.0.1), one libtorch thread each, in alternating rounds: throughput, the
//! gradient all-reduce time per step, and the share of it that the backward pass hides.
//!
//! The command runs itself as the job (`--worker`): once plainly, once under the launcher.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use comfy_table::Table;
use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::distributed::{Launcher, NprocPerNode};
use fe::op::numpy::{ExpandDims, Minmax};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use tch::nn;

use crate::rounds::median_of_ratios;

/// Settings of `fastestimator distributed-benchmark`.
#[derive(clap::Args, Debug)]
pub struct DistributedBenchmarkArgs {
    /// Alternating rounds (each runs 1 process, then 2).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Training steps per run (global batches).
    #[arg(long, default_value_t = 150)]
    steps: usize,
    /// Global batch size (each of the 2 processes runs half).
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// `mlp` (784-1024-1024-10, 1.9 M parameters: the all-reduce matters) or `lenet`.
    #[arg(long, default_value = "mlp")]
    model: String,
    /// Gradient bucket cap in MiB (DDP's bucket_cap_mb; sets FE_BUCKET_CAP_MB for the runs).
    #[arg(long, default_value_t = 25.0)]
    bucket_cap_mb: f64,
    /// Internal: run one rank of the job and write its figures to this file.
    #[arg(long, hide = true)]
    worker: Option<PathBuf>,
}

/// What one run measured (rank 0's view).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Figures {
    world: usize,
    steps: u64,
    train_secs: f64,
    /// Per synchronised backward pass: its time, and the wait after it.
    backward_ms: f64,
    exposed_ms: f64,
    /// One blocking all-reduce of the model's gradients, alone.
    allreduce_ms: f64,
}

/// Run the benchmark (or, with `--worker`, one rank of it).
pub fn run(args: &DistributedBenchmarkArgs) -> fe::Result<()> {
    let bad = |name: &str, why: &str| Err(fe::FeError::param("distributed-benchmark", name, why));
    if args.rounds == 0 {
        return bad("rounds", "must be at least 1");
    }
    if args.steps == 0 {
        return bad("steps", "must be at least 1");
    }
    if args.batch_size < 2 || !args.batch_size.is_multiple_of(2) {
        return bad("batch_size", "must be even (it is split over 2 processes)");
    }
    if !(args.bucket_cap_mb > 0.0 && args.bucket_cap_mb.is_finite()) {
        return bad("bucket_cap_mb", "must be a positive number of MiB");
    }
    if let Some(out) = &args.worker {
        return worker(args, out);
    }
    // The launched ranks inherit this process's environment.
    std::env::set_var("FE_BUCKET_CAP_MB", args.bucket_cap_mb.to_string());
    let exe = std::env::current_exe().map_err(|e| fe::FeError::Worker(format!("cannot find this program: {e}")))?;
    let dir = tempfile::tempdir().map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?;
    let common = vec![
        "distributed-benchmark".to_string(),
        "--steps".into(),
        args.steps.to_string(),
        "--batch-size".into(),
        args.batch_size.to_string(),
        "--model".into(),
        args.model.clone(),
    ];
    let mut table = Table::new();
    table.set_header(vec![
        "round",
        "processes",
        "samples/s",
        "ms/step",
        "backward ms/step",
        "all-reduce ms/step",
        "exposed ms/step",
        "hidden behind backward",
    ]);
    let mut ratios = Vec::new();
    for round in 1..=args.rounds {
        let one_path = dir.path().join(format!("one_{round}.json"));
        let mut one_args = common.clone();
        one_args.extend(["--worker".into(), one_path.display().to_string()]);
        let status = Command::new(&exe)
            .args(&one_args)
            .env("FE_BUCKET_CAP_MB", args.bucket_cap_mb.to_string())
            .env("OMP_NUM_THREADS", "1")
            .env_remove("WORLD_SIZE")
            .status()
            .map_err(|e| fe::FeError::Worker(format!("cannot start the 1-process run: {e}")))?;
        if !status.success() {
            return Err(fe::FeError::Worker(format!("the 1-process run failed: {status}")));
        }
        let two_path = dir.path().join(format!("two_{round}.json"));
        let mut two_args = common.clone();
        two_args.extend(["--worker".into(), two_path.display().to_string()]);
        Launcher::new(&exe, two_args).nproc_per_node(NprocPerNode::Count(2)).master("127.0.0.1", free_port()?).run()?;
        let (one, two) = (read(&one_path)?, read(&two_path)?);
        let rate = |f: &Figures| f.steps as f64 * args.batch_size as f64 / f.train_secs;
        ratios.push(rate(&two) / rate(&one));
        for f in [&one, &two] {
            let comm = |v: f64| if f.world > 1 { format!("{v:.2}") } else { "-".into() };
            let hidden = if f.world > 1 && f.allreduce_ms > 0.0 {
                format!("{:.0} %", (100.0 * (1.0 - f.exposed_ms / f.allreduce_ms)).clamp(0.0, 100.0))
            } else {
                "-".into()
            };
            table.add_row(vec![
                round.to_string(),
                f.world.to_string(),
                format!("{:.0}", rate(f)),
                format!("{:.2}", 1e3 * f.train_secs / f.steps as f64),
                comm(f.backward_ms),
                comm(f.allreduce_ms),
                comm(f.exposed_ms),
                hidden,
            ]);
        }
    }
    fe::output::log(&format!(
        "Data-parallel training, {} model, global batch {}, {} steps per run, buckets of {} MiB, 1 libtorch thread per process:",
        args.model, args.batch_size, args.steps, args.bucket_cap_mb
    ));
    fe::output::log(&table.to_string());
    fe::output::log(&format!("2 processes / 1 process, samples/s: {}", median_of_ratios(&ratios)));
    Ok(())
}

fn read(path: &Path) -> fe::Result<Figures> {
    let text = std::fs::read_to_string(path).map_err(|e| fe::FeError::io("cannot read", path, e))?;
    serde_json::from_str(&text).map_err(|e| fe::FeError::Worker(format!("{}: {e}", path.display())))
}

fn free_port() -> fe::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| fe::FeError::Worker(format!("cannot find a free port: {e}")))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| fe::FeError::Worker(format!("cannot find a free port: {e}")))
}

/// One rank: train, then time a blocking all-reduce of the same gradients; rank 0 writes.
fn worker(args: &DistributedBenchmarkArgs, out: &Path) -> fe::Result<()> {
    fe::enable_deterministic(1);
    let cfg = SyntheticDigitsConfig {
        train_size: (args.steps * args.batch_size).min(20_000),
        eval_size: 0,
        test_size: 0,
        seed: 1,
    };
    let (train, _, _) = synthetic_digits::load_data(&cfg)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .batch_size(args.batch_size)
        .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
        .num_process(1)
        .build()?;
    let model = match args.model.as_str() {
        "lenet" => fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam")?,
        "mlp" => fe::build(
            |p| {
                nn::seq_t()
                    .add_fn(|x| x.flatten(1, -1))
                    .add(nn::linear(p / "fc1", 784, 1024, Default::default()))
                    .add_fn(|x| x.relu())
                    .add(nn::linear(p / "fc2", 1024, 1024, Default::default()))
                    .add_fn(|x| x.relu())
                    .add(nn::linear(p / "fc3", 1024, 10, Default::default()))
                    .add_fn(|x| x.softmax(-1, tch::Kind::Float))
            },
            "adam",
        )?,
        other => {
            return Err(fe::FeError::param(
                "distributed-benchmark",
                "model",
                format!("expects mlp or lenet, got {other:?}"),
            ))
        }
    };
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let mut estimator =
        fe::Estimator::builder(pipeline, network, 1).train_steps_per_epoch(args.steps).silent().no_history().build()?;
    let before = fe::distributed::overlap_totals();
    let summary = estimator.fit()?;
    let after = fe::distributed::overlap_totals();
    let synced = (after.steps - before.steps).max(1) as f64;
    let per_step = |d: std::time::Duration| 1e3 * d.as_secs_f64() / synced;
    let allreduce_ms = match fe::distributed::current() {
        None => 0.0,
        Some(group) => {
            let grads: Vec<tch::Tensor> = model.trainable_variables().iter().map(|v| v.detach().zeros_like()).collect();
            let mut times: Vec<f64> = (0..20)
                .map(|_| {
                    // Start together, so the time is the all-reduce's and not the other rank's lag.
                    group.barrier()?;
                    let t = Instant::now();
                    group.average_gradients(&grads).map(|_| 1e3 * t.elapsed().as_secs_f64())
                })
                .collect::<fe::Result<_>>()?;
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        }
    };
    if fe::distributed::is_main_process() {
        let figures = Figures {
            world: fe::distributed::world_size(),
            steps: summary.train_steps,
            train_secs: summary.train_time.as_secs_f64(),
            backward_ms: per_step(after.backward - before.backward),
            exposed_ms: per_step(after.exposed - before.exposed),
            allreduce_ms,
        };
        let text = serde_json::to_string(&figures).map_err(|e| fe::FeError::Worker(e.to_string()))?;
        std::fs::write(out, text).map_err(|e| fe::FeError::io("cannot write", out, e))?;
    }
    Ok(())
}
