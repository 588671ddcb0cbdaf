//! FE's cifar10_fast (apphub `image_classification/cifar10_fast`), line for line: ResNet9 with
//! davidcpage's recipe (Normalize with the CIFAR mean and std, PadIfNeeded 40×40, RandomCrop
//! 32×32, Sometimes(HorizontalFlip), CoarseDropout with one hole, ChannelTranspose, Onehot with
//! label smoothing 0.2), Adam at batch 512 under FE's `lr_schedule` (a linear warm-up to 0.04
//! over 490 steps, then a linear decay to 0 at step 2352), Accuracy, BestModelSaver on accuracy;
//! fit, then test.
//!
//! Data: real ciFAIR-10 when its files are in `~/fastestimator_data/ciFAIR10` (or with `--data
//! real`, which downloads them where the internet is reachable; eval is half of its test set and
//! test the other half, as in FE); otherwise embedded generated images: 32×32 colour pictures of
//! ten shapes (disk, ring, square, frame, triangle, plus, cross, bars, stripes, diamond), each
//! in a colour around its class hue (the hues of neighbouring classes are 36° apart, the jitter
//! 15°), on a random shaded background, with position, size and rotation jitter and pixel noise.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example cifar10_fast            # generated, ~7 min
//! ./fe cargo run --release -p fastestimator --example cifar10_fast -- --data real --epochs 24
//! ./fe cargo run --release -p fastestimator --example cifar10_fast -- --help
//! ```

use std::f64::consts::PI;
use std::path::PathBuf;

use fastestimator as fe;
use fe::architecture::ResNet9;
use fe::dataset::data::cifair10::Cifair10;
use fe::dataset::NumpyDataset;
use fe::op::numpy::meta::Sometimes;
use fe::op::numpy::multivariate::{HorizontalFlip, PadIfNeeded, RandomCrop};
use fe::op::numpy::univariate::{ChannelTranspose, CoarseDropout};
use fe::op::numpy::{Normalize, Onehot};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::op::Configure;
use fe::trace::adapt::LRScheduler;
use fe::trace::io::{BestModelSaver, SaveBestMode};
use fe::trace::metric::Accuracy;
use fe::util::{seeded_rng, FeRng};
use fe::Value;
use ndarray::{Array2, Array4};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Training epochs (FE trains ciFAIR-10 for 24).
    epochs: usize,
    /// Batch size.
    batch_size: usize,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
    /// Where BestModelSaver writes (default: a new temporary folder).
    save_dir: Option<PathBuf>,
    /// Print the training loss every N steps.
    log_steps: u64,
    /// `auto` (ciFAIR-10 when its files are present), `real` or `synthetic`.
    data: String,
    /// The data root holding `ciFAIR10/` (default `~/fastestimator_data`).
    data_dir: Option<PathBuf>,
    /// Sizes of the generated data set: [train, eval, test].
    sizes: [usize; 3],
    /// Seed of the data, the model and the pipeline.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 6,
            batch_size: 512,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            save_dir: None,
            log_steps: 4,
            data: "auto".into(),
            data_dir: None,
            sizes: [2048, 512, 512],
            seed: 42,
        }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `lr_schedule`: a linear warm-up to 0.04 over 490 steps (5 epochs of ciFAIR-10's 98
/// steps at batch 512), then a linear decay reaching 0 at step 2352 (24 epochs). As in FE the
/// constants are steps, whatever the data: a shorter run (the generated data) trains inside the
/// warm-up, with the rate rising from 8e-5.
fn lr_schedule(step: u64) -> f64 {
    let step = step as f64;
    let lr = if step <= 490.0 { step / 490.0 * 0.4 } else { ((2352.0 - step) / 1862.0 * 0.4).max(0.0) };
    lr * 0.1
}

/// FE's `get_estimator`: the whole recipe from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    // step 1: prepare dataset
    let (train_data, eval_data, test_data) = load(&args)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .test_data(test_data)
        .batch_size(args.batch_size)
        .ops(vec![
            Box::new(Normalize::new("x", "x").stats(&[0.4914, 0.4822, 0.4465], &[0.2471, 0.2435, 0.2616])),
            Box::new(PadIfNeeded::new(40, 40)?.image_in("x").image_out("x").mode("train")),
            Box::new(RandomCrop::new(32, 32)?.image_in("x").image_out("x").mode("train")),
            Box::new(Sometimes::new(Box::new(HorizontalFlip::new().image_in("x").image_out("x").mode("train")), 0.5)?),
            Box::new(CoarseDropout::new("x", "x").max_holes(1).mode("train")),
            Box::new(ChannelTranspose::new("x", "x")),
            Box::new(Onehot::new("y", "y", 10)?.label_smoothing(0.2).mode("train")),
        ])
        .build()?;

    // step 2: prepare network
    let model = fe::build(|p| ResNet9::new(p, [3, 32, 32], 10), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;

    // step 3: prepare estimator
    let save_dir = match &args.save_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("fe_cifar10_fast_")
            .tempdir()
            .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?
            .keep(),
    };
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(BestModelSaver::new(&model, &save_dir).metric("accuracy").save_best_mode(SaveBestMode::Max)),
        Box::new(LRScheduler::by_step(&model, lr_schedule)),
    ];
    let mut estimator = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(traces)
        .log_steps(args.log_steps)
        .experiment_name("cifar10_fast")
        .build()?;
    estimator.set_steps_per_epoch(args.train_steps_per_epoch, args.eval_steps_per_epoch);
    Ok(estimator)
}

/// `(train, eval, test)`: ciFAIR-10 (eval split in half for test, as FE does) or generated shapes.
fn load(args: &Hyperparameters) -> fe::Result<(NumpyDataset, NumpyDataset, NumpyDataset)> {
    let mut loader = Cifair10::new();
    if let Some(root) = &args.data_dir {
        loader = loader.root_dir(root);
    }
    let real = match args.data.as_str() {
        "real" => Some(loader.clone().load()?),
        "synthetic" => None,
        "auto" => match loader.clone().download(false).load() {
            Ok(data) => Some(data),
            Err(fe::FeError::MissingData { .. }) => None,
            Err(e) => return Err(e),
        },
        other => {
            return Err(fe::FeError::param(
                "cifar10_fast",
                "data",
                format!("expects auto, real or synthetic, got {other:?}"),
            ))
        }
    };
    if let Some((train, mut eval)) = real {
        let test = eval.split(0.5, Some(args.seed), None)?;
        fe::output::log(&format!("Data: ciFAIR-10 from {}", loader.dir().display()));
        return Ok((train, eval, test));
    }
    let [n_train, n_eval, n_test] = args.sizes;
    fe::output::log(&format!(
        "Data: generated shapes ({n_train} train / {n_eval} eval / {n_test} test; no ciFAIR-10 files in {})",
        loader.dir().display()
    ));
    Ok((shapes(n_train, args.seed, 0)?, shapes(n_eval, args.seed, 1)?, shapes(n_test, args.seed, 2)?))
}

/// Side of a generated image.
const SIZE: usize = 32;

/// `n` generated images `x` (`u8` `[n, 32, 32, 3]`, as ciFAIR-10's) with labels `y` (`[n, 1]`),
/// ten balanced classes in a shuffled order. Sample `i` depends only on `(seed, split, i)`.
fn shapes(n: usize, seed: u64, split: u64) -> fe::Result<NumpyDataset> {
    let mut labels: Vec<usize> = (0..n).map(|i| i % 10).collect();
    labels.shuffle(&mut seeded_rng(seed, &[split, u64::MAX]));
    let mut pixels = vec![0u8; n * SIZE * SIZE * 3];
    pixels.par_chunks_mut(SIZE * SIZE * 3).zip(labels.par_iter()).enumerate().for_each(|(i, (out, &label))| {
        render(label, &mut seeded_rng(seed, &[split, i as u64]), out);
    });
    let x = Array4::from_shape_vec((n, SIZE, SIZE, 3), pixels).expect("n images of 32×32×3");
    let y = Array2::from_shape_vec((n, 1), labels.into_iter().map(|l| l as i64).collect()).expect("n labels");
    NumpyDataset::new([("x", Value::U8(x.into_dyn())), ("y", Value::I64(y.into_dyn()))])
}

/// Draw one picture of class `label` into `out` (`32×32×3`, row-major).
fn render(label: usize, rng: &mut FeRng, out: &mut [u8]) {
    let hue = label as f64 * 36.0 + Normal::new(0.0, 15.0).expect("finite").sample(rng);
    let fg = hsv_to_rgb(hue, rng.gen_range(0.55..1.0), rng.gen_range(0.6..1.0));
    let bg: [f64; 3] = std::array::from_fn(|_| rng.gen_range(0.0..0.6));
    let gradient: [[f64; 2]; 3] = std::array::from_fn(|_| [rng.gen_range(-0.2..0.2), rng.gen_range(-0.2..0.2)]);
    let centre = [16.0 + rng.gen_range(-4.0..4.0), 16.0 + rng.gen_range(-4.0..4.0)];
    let radius = rng.gen_range(7.0..11.0);
    let (sin, cos) = rng.gen_range(-PI / 12.0..PI / 12.0).sin_cos();
    let noise = Normal::new(0.0, 0.06).expect("finite");
    for (k, px) in out.chunks_exact_mut(3).enumerate() {
        let (row, col) = ((k / SIZE) as f64 + 0.5, (k % SIZE) as f64 + 0.5);
        let (dx, dy) = (col - centre[0], row - centre[1]);
        let local = [(cos * dx + sin * dy) / radius, (-sin * dx + cos * dy) / radius];
        let alpha = (0.5 - sdf(label, local) * radius).clamp(0.0, 1.0);
        let (u, v) = (col / SIZE as f64 - 0.5, row / SIZE as f64 - 0.5);
        for c in 0..3 {
            let back = bg[c] + gradient[c][0] * u + gradient[c][1] * v;
            let value = back * (1.0 - alpha) + fg[c] * alpha + noise.sample(rng);
            px[c] = (value * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Signed distance (in units of the shape's radius; negative inside) from `p` to the outline of
/// class `label`'s shape. Every shape is symmetric under a horizontal flip, FE's augmentation.
fn sdf(label: usize, [x, y]: [f64; 2]) -> f64 {
    let len = |x: f64, y: f64| x.hypot(y);
    let rect = |x: f64, y: f64, hx: f64, hy: f64| {
        let (dx, dy) = (x.abs() - hx, y.abs() - hy);
        len(dx.max(0.0), dy.max(0.0)) + dx.max(dy).min(0.0)
    };
    let plus = |x: f64, y: f64| rect(x, y, 1.0, 0.28).min(rect(x, y, 0.28, 1.0));
    let bars = |x: f64, y: f64| {
        let nearest = [-0.66, 0.0, 0.66].iter().map(|b| (y - b).abs() - 0.17).fold(f64::INFINITY, f64::min);
        (x.abs() - 1.0).max(nearest)
    };
    match label {
        0 => len(x, y) - 1.0,
        1 => (len(x, y) - 0.75).abs() - 0.22,
        2 => rect(x, y, 0.8, 0.8),
        3 => rect(x, y, 0.78, 0.78).abs() - 0.18,
        4 => triangle(x, y),
        5 => plus(x, y),
        6 => plus((x + y) * std::f64::consts::FRAC_1_SQRT_2, (y - x) * std::f64::consts::FRAC_1_SQRT_2),
        7 => bars(x, y),
        8 => bars(y, x),
        _ => (x.abs() + y.abs() - 1.0) * std::f64::consts::FRAC_1_SQRT_2,
    }
}

/// Signed distance to an equilateral triangle of circumradius ~1, apex up (image `y` down).
fn triangle(x: f64, y: f64) -> f64 {
    let k = 3f64.sqrt();
    let (mut px, mut py) = (x.abs() - 0.87, -y - 0.87 / k);
    if px + k * py > 0.0 {
        (px, py) = ((px - k * py) / 2.0, (-k * px - py) / 2.0);
    }
    px -= px.clamp(-1.74, 0.0);
    -px.hypot(py) * py.signum()
}

/// HSV (hue in degrees) to RGB in [0, 1].
fn hsv_to_rgb(hue: f64, s: f64, v: f64) -> [f64; 3] {
    let h = hue.rem_euclid(360.0) / 60.0;
    let c = v * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r + m, g + m, b + m]
}
