//! `fastestimator pipeline-benchmark`: the CIFAR-10 augmentation chain, Rust pipeline against
//! albumentations + numpy in Python, plus the data-wait share of a training loop fed by it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Args;
use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::NumpyDataset;
use fe::op::numpy::meta::Sometimes;
use fe::op::numpy::multivariate::{HorizontalFlip, PadIfNeeded, RandomCrop};
use fe::op::numpy::univariate::{ChannelTranspose, CoarseDropout, Normalize};
use fe::op::numpy::{Batch, NumpyOp};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::{Mode, Value};
use ndarray::{ArrayD, IxDyn};
use rand::Rng;

/// Options of `fastestimator pipeline-benchmark`.
#[derive(Args, Debug)]
pub struct PipelineBenchmarkArgs {
    /// Generated 32×32×3 images per epoch.
    #[arg(long, default_value_t = 20000)]
    samples: usize,
    /// Batch size.
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Measured rounds; the best round of each configuration is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Python interpreter with albumentations (default: target/albu-venv/bin/python, created
    /// with `pip install albumentations` when missing unless --no-install is given).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Do not create the Python environment; skip the comparison if it is missing.
    #[arg(long)]
    no_install: bool,
    /// Skip the training-loop (data wait) measurement.
    #[arg(long)]
    no_training: bool,
    /// Also print FE's per-op breakdown (`Pipeline::benchmark`) for one worker.
    #[arg(long)]
    breakdown: bool,
}

fn chain(batch_size: usize) -> fe::Result<Vec<Box<dyn NumpyOp>>> {
    Ok(vec![
        Box::new(PadIfNeeded::new(40, 40)?.image_in("x")),
        Box::new(RandomCrop::new(32, 32)?.image_in("x")),
        Box::new(Sometimes::new(Box::new(HorizontalFlip::new().image_in("x")), 0.5)?),
        Box::new(CoarseDropout::new("x", "x").max_holes(1)),
        Box::new(Normalize::new("x", "x")),
        Box::new(ChannelTranspose::new("x", "x")),
        Box::new(Batch::new(batch_size)?),
    ])
}

fn cifar_like(n: usize) -> fe::Result<NumpyDataset> {
    let mut rng = fe::util::seeded_rng(2024, &[]);
    let x = ArrayD::from_shape_fn(IxDyn(&[n, 32, 32, 3]), |_| rng.gen::<u8>());
    let y = ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] % 10) as i64);
    NumpyDataset::new([("x", Value::U8(x)), ("y", Value::I64(y))])
}

/// CPU time (user + system) used so far by this process, all threads, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    if ok {
        secs(usage.ru_utime) + secs(usage.ru_stime)
    } else {
        f64::NAN
    }
}

/// Throughput of one configuration: per wall-clock second and per CPU second.
#[derive(Clone, Copy, Default)]
struct Rate {
    wall: f64,
    cpu: f64,
}

/// One epoch through the pipeline alone.
fn rust_epoch(ds: &NumpyDataset, args: &PipelineBenchmarkArgs, workers: usize) -> fe::Result<Rate> {
    let pipeline = fe::Pipeline::builder()
        .train_data(ds.clone())
        .ops(chain(args.batch_size)?)
        .num_process(workers)
        .seed(1)
        .build()?;
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let mut samples = 0;
    for batch in pipeline.loader(Mode::Train, 1, "", None)? {
        samples += batch?["y"].len();
    }
    let n = samples as f64;
    Ok(Rate { wall: n / start.elapsed().as_secs_f64(), cpu: n / (cpu_seconds() - cpu) })
}

const PYTHON_CHAIN: &str = r#"
import sys, time
import numpy as np
import cv2
import albumentations as A

n, batch_size, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(2024)
x = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
y = np.arange(n) % 10
major = int(A.__version__.split(".")[0])
if major >= 2:
    dropout = A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(8, 8), hole_width_range=(8, 8), fill=0, p=1.0)
else:
    dropout = A.CoarseDropout(max_holes=1, max_height=8, max_width=8, fill_value=0, p=1.0)
pad = A.PadIfNeeded(min_height=40, min_width=40, border_mode=cv2.BORDER_REFLECT_101, p=1.0)
crop = A.RandomCrop(height=32, width=32, p=1.0)
flip = A.HorizontalFlip(p=0.5)
norm = A.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), max_pixel_value=255.0, p=1.0)
best, best_cpu = 0.0, 0.0
for _ in range(rounds):
    order = rng.permutation(n)
    start, cpu = time.perf_counter(), time.process_time()
    for b in range(0, n, batch_size):
        xs, ys = [], []
        for i in order[b:b + batch_size]:
            img = x[i]
            for op in (pad, crop, flip, dropout, norm):
                img = op(image=img)["image"]
            xs.append(np.ascontiguousarray(img.transpose(2, 0, 1)))
            ys.append(y[i])
        batch = {"x": np.stack(xs), "y": np.stack(ys)}
    best = max(best, n / (time.perf_counter() - start))
    best_cpu = max(best_cpu, n / (time.process_time() - cpu))
print("albumentations", A.__version__)
print("samples/sec", best)
print("samples/cpu-sec", best_cpu)
"#;

/// The Python interpreter to use, creating `target/albu-venv` when allowed.
fn python(args: &PipelineBenchmarkArgs) -> Result<PathBuf, String> {
    if let Some(p) = &args.python {
        return Ok(p.clone());
    }
    let venv = Path::new("target/albu-venv");
    let py = venv.join("bin/python");
    let ready = |p: &Path| {
        Command::new(p).args(["-c", "import albumentations, cv2, numpy"]).output().is_ok_and(|o| o.status.success())
    };
    if ready(&py) {
        return Ok(py);
    }
    if args.no_install {
        return Err(format!("{} has no albumentations (--no-install given)", py.display()));
    }
    println!("Creating {} with albumentations for the comparison (once)...", venv.display());
    let ok = Command::new("python3").args(["-m", "venv"]).arg(venv).status().is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "albumentations"])
            .status()
            .is_ok_and(|s| s.success());
    if ok && ready(&py) {
        Ok(py)
    } else {
        Err("could not install albumentations with pip".into())
    }
}

fn python_chain(args: &PipelineBenchmarkArgs) -> Result<(Rate, String), String> {
    let py = python(args)?;
    let script = std::env::temp_dir().join(format!("fe_albumentations_chain_{}.py", std::process::id()));
    std::fs::write(&script, PYTHON_CHAIN).map_err(|e| e.to_string())?;
    let out = Command::new(&py)
        .arg(&script)
        .args([args.samples.to_string(), args.batch_size.to_string(), args.rounds.to_string()])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", py.display()));
    let _ = std::fs::remove_file(&script);
    let out = out?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).map(String::from);
    let number = |key: &str| value(key).and_then(|v| v.parse().ok()).ok_or(format!("no {key} in the Python output"));
    let rate = Rate { wall: number("samples/sec")?, cpu: number("samples/cpu-sec")? };
    Ok((rate, value("albumentations").unwrap_or_default()))
}

/// LeNet on 3×32×32 fed by the chain: the share of training time spent waiting for data.
fn training_wait(ds: &NumpyDataset, args: &PipelineBenchmarkArgs) -> fe::Result<(f64, f64)> {
    let pipeline =
        fe::Pipeline::builder().train_data(ds.clone()).ops(chain(args.batch_size)?).num_process(1).seed(1).build()?;
    let model = fe::build(|p| LeNet::new(p, [3, 32, 32], 10), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let mut est = fe::Estimator::builder(pipeline, network, 1).silent().build()?;
    let summary = est.fit()?;
    let secs = summary.train_time.as_secs_f64();
    let rate = (summary.train_steps as usize * args.batch_size) as f64 / secs;
    Ok((rate, summary.data_wait.as_secs_f64() / secs))
}

/// Run the benchmark and print its figures.
pub fn run(args: &PipelineBenchmarkArgs) -> fe::Result<()> {
    if args.batch_size == 0 || args.samples < args.batch_size || args.rounds == 0 {
        return Err(fe::FeError::param(
            "pipeline-benchmark",
            "samples/batch_size/rounds",
            "need samples >= batch_size >= 1",
        ));
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "fastestimator pipeline-benchmark: {} generated 32x32x3 u8 images, batch {}, {} rounds (best kept), {cores} cores",
        args.samples, args.batch_size, args.rounds
    );
    println!("chain: PadIfNeeded(40,40) -> RandomCrop(32,32) -> Sometimes(HorizontalFlip) -> CoarseDropout(1 hole, 8x8) -> Normalize -> ChannelTranspose -> Batch");
    let ds = cifar_like(args.samples)?;
    if args.breakdown {
        let pipeline = fe::Pipeline::builder()
            .train_data(ds.clone())
            .ops(chain(args.batch_size)?)
            .num_process(1)
            .seed(1)
            .build()?;
        let steps = args.samples / args.batch_size;
        pipeline.benchmark(Mode::Train, 1, steps, (steps / 4).max(1), true)?;
    }
    let mut best = [Rate::default(); 2];
    let mut round_ratios = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        let one = rust_epoch(&ds, args, 1)?;
        let two = rust_epoch(&ds, args, 2)?;
        round_ratios.push(two.wall / one.wall);
        println!(
            "round {round}: 1 worker {:.0} samples/s ({:.0} per CPU-second) | 2 workers {:.0} samples/s ({:.0} per CPU-second)",
            one.wall, one.cpu, two.wall, two.cpu
        );
        for (b, r) in best.iter_mut().zip([one, two]) {
            b.wall = b.wall.max(r.wall);
            b.cpu = b.cpu.max(r.cpu);
        }
    }
    println!("fe pipeline, 1 worker   : {:.0} samples/s, {:.0} samples per CPU-second", best[0].wall, best[0].cpu);
    println!("fe pipeline, 2 workers  : {:.0} samples/s, {:.0} samples per CPU-second", best[1].wall, best[1].cpu);
    println!(
        "2 workers / 1 worker    : {:.2}x wall clock ({} cores, shared with anything else running); CPU cost per sample {:.2}x",
        best[1].wall / best[0].wall,
        cores,
        best[0].cpu / best[1].cpu
    );
    println!("2 workers / 1 worker    : {}", crate::rounds::median_of_ratios(&round_ratios));
    match python_chain(args) {
        Ok((rate, version)) => {
            println!(
                "albumentations {version} + numpy, 1 process: {:.0} samples/s, {:.0} samples per CPU-second",
                rate.wall, rate.cpu
            );
            println!(
                "fe (1 worker) / Python (1 process): {:.2}x wall clock, {:.2}x per CPU-second (per core)",
                best[0].wall / rate.wall,
                best[0].cpu / rate.cpu
            );
        }
        Err(e) => println!("Python comparison skipped: {}", e.trim()),
    }
    if !args.no_training {
        let (rate, wait) = training_wait(&ds, args)?;
        println!(
            "training LeNet(3x32x32) on this pipeline (1 worker): {rate:.0} samples/s, waited for data {:.2}% of training time",
            100.0 * wait
        );
    }
    Ok(())
}
