//! FE's UNet lung segmentation (apphub `semantic_segmentation/unet`), line for line: UNet with a
//! sigmoid output, Adam at 1e-4, binary cross entropy, batch 4, Sometimes(HorizontalFlip) and
//! Sometimes(Rotate ±10°) on image and mask together, Minmax, Dice, BestModelSaver on Dice.
//!
//! Data: the Montgomery County chest X-rays when their files are in
//! `~/fastestimator_data/Montgomery` (or with `--data real`, which downloads them where the
//! internet is reachable): each image's left and right lung masks are added into one mask,
//! image and mask are resized to 512×512 as in FE, and a fifth of the images is split off for
//! eval. Otherwise embedded generated images: grayscale "chest" pictures of `image_size` pixels
//! with one or two smooth dark blobs (ellipses with wavy outlines, one on each side) on a shaded
//! background, with faint blob-like distractors and noise; the mask marks the blobs.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example unet              # generated, 64×64
//! ./fe cargo run --release -p fastestimator --example unet -- --data real
//! ./fe cargo run --release -p fastestimator --example unet -- --help
//! ```

use std::f64::consts::PI;
use std::path::PathBuf;
use std::sync::Arc;

use fastestimator as fe;
use fe::architecture::UNet;
use fe::dataset::data::montgomery::Montgomery;
use fe::dataset::{Dataset, NumpyDataset};
use fe::network::OptimizerSpec;
use fe::op::numpy::meta::Sometimes;
use fe::op::numpy::multivariate::{BorderMode, HorizontalFlip, Resize, Rotate};
use fe::op::numpy::univariate::{ColorFlag, ReadImage, Reshape};
use fe::op::numpy::{Delete, LambdaOp, Minmax, NumpyOp};
use fe::op::tensor::loss::CrossEntropyForm;
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::op::Configure;
use fe::trace::io::BestModelSaver;
use fe::trace::metric::Dice;
use fe::util::BestMode;
use fe::util::{seeded_rng, FeRng};
use fe::Value;
use ndarray::Array3;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Training epochs.
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
    /// The data root holding `Montgomery/` (default `~/fastestimator_data`).
    data_dir: Option<PathBuf>,
    /// `auto` (Montgomery when its files are present), `real` or `synthetic`.
    data: String,
    /// Image side the model sees, a multiple of 16 (default: 512 on Montgomery, as FE; 64 on
    /// generated images).
    image_size: Option<usize>,
    /// Number of generated images (a fifth of them is eval).
    samples: usize,
    /// Seed of the data, the model and the pipeline.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 12,
            batch_size: 4,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            save_dir: None,
            log_steps: 20,
            data_dir: None,
            data: "auto".into(),
            image_size: None,
            samples: 60,
            seed: 42,
        }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `get_estimator`: the whole job from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    // step 1
    let (train_data, eval_data, size, mut ops) = load(&args)?;
    let side = size as isize;
    ops.extend::<[Box<dyn NumpyOp>; 6]>([
        Box::new(Sometimes::new(Box::new(HorizontalFlip::new().image_in("image").mask_in("mask").mode("train")), 0.5)?),
        Box::new(Sometimes::new(
            Box::new(
                Rotate::new()
                    .limit(10.0)
                    .border_mode(BorderMode::Constant)
                    .image_in("image")
                    .mask_in("mask")
                    .mode("train"),
            ),
            0.5,
        )?),
        Box::new(Minmax::new("image", "image")),
        Box::new(Minmax::new("mask", "mask").mode("!infer")),
        Box::new(Reshape::new("image", "image", &[1, side, side])?),
        Box::new(Reshape::new("mask", "mask", &[1, side, side])?.mode("!infer")),
    ]);
    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .batch_size(args.batch_size)
        .ops(ops)
        .build()?;

    // step 2
    let adam = OptimizerSpec::Adam { lr: 1e-4, beta1: 0.9, beta2: 0.999, weight_decay: 0.0 };
    let model = fe::build_named(|p| UNet::new(p, [1, size as i64, size as i64], 1), adam, "lung_segmentation")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "image", "pred_segment")),
        Box::new(CrossEntropy::new(["pred_segment", "mask"], "loss").form(CrossEntropyForm::Binary)),
        Box::new(UpdateOp::new(&model, "loss")),
    ])?;

    // step 3
    let save_dir = match &args.save_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("fe_unet_")
            .tempdir()
            .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?
            .keep(),
    };
    let traces: Vec<Box<dyn fe::trace::Trace>> = vec![
        Box::new(Dice::new("mask", "pred_segment")),
        Box::new(BestModelSaver::new(&model, &save_dir).metric("Dice").save_best_mode(BestMode::Max)),
    ];
    let mut estimator = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(traces)
        .log_steps(args.log_steps)
        .experiment_name("unet")
        .build()?;
    estimator.set_steps_per_epoch(args.train_steps_per_epoch, args.eval_steps_per_epoch);
    Ok(estimator)
}

/// Train and eval data, the image side, and the ops that turn a sample into `image` and `mask`
/// of that side (`u8`, `H×W`): for Montgomery FE's reading, mask combination and resizing; for
/// generated data, nothing (they are made at that size).
type Loaded = (Arc<dyn Dataset>, Arc<dyn Dataset>, usize, Vec<Box<dyn NumpyOp>>);

fn load(args: &Hyperparameters) -> fe::Result<Loaded> {
    let mut loader = Montgomery::new();
    if let Some(root) = &args.data_dir {
        loader = loader.root_dir(root);
    }
    let real = match args.data.as_str() {
        "real" => Some(loader.clone().load()?),
        "synthetic" => None,
        "auto" => match loader.clone().download(false).load() {
            Ok(csv) => Some(csv),
            Err(fe::FeError::MissingData { .. }) => None,
            Err(e) => return Err(e),
        },
        other => {
            return Err(fe::FeError::param("unet", "data", format!("expects auto, real or synthetic, got {other:?}")))
        }
    };
    let size = args.image_size.unwrap_or(if real.is_some() { 512 } else { 64 });
    if size == 0 || !size.is_multiple_of(16) {
        return Err(fe::FeError::param("unet", "image_size", format!("{size} is not a positive multiple of 16")));
    }
    if let Some(mut csv) = real {
        let eval = csv.split(0.2, Some(args.seed), None)?;
        fe::output::log(&format!(
            "Data: Montgomery from {} ({} train / {} eval)",
            loader.dir().display(),
            csv.len(),
            eval.len()
        ));
        let parent = csv.parent_path().to_path_buf();
        let read = |key: &str| ReadImage::new(key, key).parent_path(&parent).color_flag(ColorFlag::Grayscale);
        let ops: Vec<Box<dyn NumpyOp>> = vec![
            Box::new(read("image")),
            Box::new(read("mask_left").mode("!infer")),
            Box::new(read("mask_right").mode("!infer")),
            Box::new(LambdaOp::new(["mask_left", "mask_right"], "mask", combine_left_right_mask).mode("!infer")),
            Box::new(Delete::new(["mask_left", "mask_right"]).mode("!infer")),
            Box::new(Resize::new(size, size)?.image_in("image")),
            Box::new(Resize::new(size, size)?.image_in("mask").mode("!infer")),
        ];
        return Ok((Arc::new(csv), Arc::new(eval), size, ops));
    }
    let mut train = blobs(args.samples, size, args.seed)?;
    let eval = train.split(0.2, Some(args.seed), None)?;
    fe::output::log(&format!(
        "Data: generated {size}×{size} blob images ({} train / {} eval; no Montgomery files in {})",
        train.len(),
        eval.len(),
        loader.dir().display()
    ));
    Ok((Arc::new(train), Arc::new(eval), size, Vec::new()))
}

/// FE's `CombineLeftRightMask`: the sum of the two lung masks.
fn combine_left_right_mask(masks: Vec<Value>) -> Result<Vec<Value>, String> {
    match (&masks[0], &masks[1]) {
        (Value::U8(left), Value::U8(right)) if left.shape() == right.shape() => {
            let mut sum = left.clone();
            sum.zip_mut_with(right, |a, &b| *a = a.saturating_add(b));
            Ok(vec![Value::U8(sum)])
        }
        (l, r) => Err(format!("expected two u8 masks of one shape, got {:?} and {:?}", l.shape(), r.shape())),
    }
}

/// `n` generated images `image` and their masks `mask` (both `u8` `[n, size, size]`, mask 0 or
/// 255). Sample `i` depends only on `(seed, i)` and `size`.
fn blobs(n: usize, size: usize, seed: u64) -> fe::Result<NumpyDataset> {
    let plane = size * size;
    let mut images = vec![0u8; n * plane];
    let mut masks = vec![0u8; n * plane];
    images.par_chunks_mut(plane).zip(masks.par_chunks_mut(plane)).enumerate().for_each(|(i, (image, mask))| {
        render(size, &mut seeded_rng(seed, &[0x756e_6574, i as u64]), image, mask);
    });
    let images = Array3::from_shape_vec((n, size, size), images).expect("n images");
    let masks = Array3::from_shape_vec((n, size, size), masks).expect("n masks");
    NumpyDataset::new([("image", Value::U8(images.into_dyn())), ("mask", Value::U8(masks.into_dyn()))])
}

/// A blob: an ellipse (centre, semi-axes, angle, in units of the image side) whose radius is
/// modulated by two low-frequency waves, so its outline is smooth but irregular.
struct Blob {
    centre: [f64; 2],
    axes: [f64; 2],
    angle: f64,
    waves: [(f64, f64, f64); 2],
}

impl Blob {
    fn random(rng: &mut FeRng, x: f64) -> Blob {
        let wave = |rng: &mut FeRng, k: f64| (k, rng.gen_range(0.0..0.12), rng.gen_range(0.0..2.0 * PI));
        Blob {
            centre: [x + rng.gen_range(-0.05..0.05), 0.5 + rng.gen_range(-0.08..0.08)],
            axes: [rng.gen_range(0.1..0.17), rng.gen_range(0.18..0.3)],
            angle: rng.gen_range(-0.3..0.3),
            waves: [wave(rng, 2.0), wave(rng, 3.0)],
        }
    }

    /// Whether the point `(u, v)` (fractions of the side) lies inside.
    fn contains(&self, u: f64, v: f64) -> bool {
        let (dx, dy) = (u - self.centre[0], v - self.centre[1]);
        let (s, c) = self.angle.sin_cos();
        let (a, b) = ((c * dx + s * dy) / self.axes[0], (-s * dx + c * dy) / self.axes[1]);
        let theta = b.atan2(a);
        let edge = 1.0 + self.waves.iter().map(|(k, amp, phase)| amp * (k * theta + phase).sin()).sum::<f64>();
        a.hypot(b) < edge
    }
}

/// Draw one image and its mask (`size × size`, row-major).
fn render(size: usize, rng: &mut FeRng, image: &mut [u8], mask: &mut [u8]) {
    let mut blobs = vec![Blob::random(rng, 0.3), Blob::random(rng, 0.7)];
    if rng.gen_bool(0.2) {
        blobs.remove(rng.gen_range(0..2));
    }
    // Faint round distractors, outside the mask, of either sign.
    let spots: Vec<([f64; 2], f64, f64)> = (0..rng.gen_range(1..4))
        .map(|_| ([rng.gen(), rng.gen()], rng.gen_range(0.03..0.08), rng.gen_range(-0.15..0.15)))
        .collect();
    let base = rng.gen_range(0.5..0.75);
    let tilt = [rng.gen_range(-0.15..0.15), rng.gen_range(-0.15..0.15)];
    let depth = rng.gen_range(0.2..0.4);
    let noise = Normal::new(0.0, 0.05).expect("finite");
    for (k, (px, m)) in image.iter_mut().zip(mask.iter_mut()).enumerate() {
        let (u, v) = (((k % size) as f64 + 0.5) / size as f64, ((k / size) as f64 + 0.5) / size as f64);
        let inside = blobs.iter().any(|b| b.contains(u, v));
        *m = if inside { 255 } else { 0 };
        let body = base + tilt[0] * (u - 0.5) + tilt[1] * (v - 0.5) - 0.4 * ((u - 0.5).powi(2) + (v - 0.5).powi(2));
        let spot: f64 = spots
            .iter()
            .map(|(c, r, amp)| amp * (-((u - c[0]).powi(2) + (v - c[1]).powi(2)) / (2.0 * r * r)).exp())
            .sum();
        let value = body + spot - if inside { depth } else { 0.0 } + noise.sample(rng);
        *px = (value * 255.0).round().clamp(0.0, 255.0) as u8;
    }
}
