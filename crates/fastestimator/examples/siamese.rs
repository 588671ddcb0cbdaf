//! FE's one-shot learning job (apphub `one_shot_learning/siamese_network`, `siamese_torch.py`),
//! line for line: a Siamese network (two weight-sharing conv branches, the absolute difference
//! of their embeddings, a sigmoid similarity) trained on pairs of the same or different
//! characters, with FE's layer-wise L2 regularization, its learning-rate decay, Accuracy, the
//! N-way one-shot accuracy, BestModelSaver and EarlyStopping on it, with FE's job command line
//! (`fe::cli`).
//!
//! Data: Omniglot when `images_background/` and `images_evaluation/` (or their zips) are in
//! `~/fastestimator_data/Omniglot` (or with `--data real`, which downloads them where the
//! internet is reachable), at 105×105 as in FE; otherwise embedded generated glyph alphabets
//! (each character a few random strokes, each of its 20 drawings the strokes redrawn with a
//! shaky hand), written as Omniglot's `<alphabet>/<character>/<n>.png` files and read by the
//! same loader, at 65×65 (the smallest size the network's four convolutions and three poolings
//! take) so that a CPU trains it in minutes.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example siamese
//! ./fe cargo run --release -p fastestimator --example siamese -- --data real
//! ./fe cargo run --release -p fastestimator --example siamese -- --help
//! ```

use std::path::{Path, PathBuf};

use fastestimator as fe;
use fe::dataset::data::omniglot::{self, Omniglot};
use fe::dataset::{write_png, SiameseDirDataset};
use fe::model::FeModel;
use fe::op::numpy::meta::Sometimes;
use fe::op::numpy::multivariate::ShiftScaleRotate;
use fe::op::numpy::univariate::{ColorFlag, ReadImage, Reshape};
use fe::op::numpy::Minmax;
use fe::op::tensor::loss::CrossEntropyForm;
use fe::op::tensor::{CrossEntropy, LambdaOp, ModelOp, UpdateOp};
use fe::op::{Configure, HasIo, OpIo};
use fe::summary::System;
use fe::trace::adapt::{EarlyStopping, LRScheduler};
use fe::trace::io::BestModelSaver;
use fe::trace::metric::Accuracy;
use fe::trace::{Data, Trace};
use fe::util::BestMode;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::{nn, Tensor};

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Most epochs (early stopping may end sooner; default 200 on Omniglot as FE, 5 on the
    /// generated glyphs).
    epochs: Option<usize>,
    /// Batch size.
    batch_size: usize,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
    /// N of the N-way one-shot trials.
    one_shot_n: usize,
    /// One-shot trials per evaluation (default 400 on Omniglot as FE, 100 on the generated
    /// glyphs).
    one_shot_trials: Option<usize>,
    /// `auto` (Omniglot when present), `real` or `synthetic`.
    data: String,
    /// The data root holding `Omniglot/` (default `~/fastestimator_data`).
    data_dir: Option<PathBuf>,
    /// Generated alphabets: [background (training) alphabets, evaluation alphabets, characters
    /// per alphabet].
    alphabets: [usize; 3],
    /// Where BestModelSaver writes (default: a new temporary folder).
    save_dir: Option<PathBuf>,
    /// Seed for the generated glyphs, the pairs, shuffling and initialisation.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: None,
            batch_size: 128,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            one_shot_n: 20,
            one_shot_trials: None,
            data: "auto".into(),
            data_dir: None,
            alphabets: [6, 5, 8],
            save_dir: None,
            seed: 42,
        }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's learning rate: 1e-4, decayed by 1 % per epoch.
fn lr_schedule(epoch: u64) -> f64 {
    0.0001 * 0.99f64.powi(epoch as i32)
}

/// FE's `get_estimator`: the whole job from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    // step 1. prepare pipeline
    let data = load(&args)?;
    let (train_data, mut eval_data, mut one_shot_data) = (data.train, data.eval, data.one_shot);
    let test_data = eval_data.split(0.5, Some(args.seed))?;
    // The one-shot trials draw from the eval characters (the same split of a second copy).
    let _ = one_shot_data.split(0.5, Some(args.seed))?;
    let size = data.image_size as isize;
    let augment = |key: &str| -> fe::Result<Box<dyn fe::op::numpy::NumpyOp>> {
        let op = ShiftScaleRotate::new()
            .image_in(key)
            .image_out(key)
            .shift_limit(0.05)
            .scale_limit(0.2)
            .rotate_limit(10.0)
            .mode("train");
        Ok(Box::new(Sometimes::new(Box::new(op), 0.89)?))
    };
    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .test_data(test_data)
        .batch_size(args.batch_size)
        .ops(vec![
            Box::new(ReadImage::new("x_a", "x_a").color_flag(ColorFlag::Grayscale)),
            Box::new(ReadImage::new("x_b", "x_b").color_flag(ColorFlag::Grayscale)),
            augment("x_a")?,
            augment("x_b")?,
            Box::new(Minmax::new("x_a", "x_a")),
            Box::new(Minmax::new("x_b", "x_b")),
            Box::new(Reshape::new("x_a", "x_a", &[1, size, size])?),
            Box::new(Reshape::new("x_b", "x_b", &[1, size, size])?),
            // One score per pair: the label as `[1]`, like the prediction.
            Box::new(Reshape::new("y", "y", &[1])?),
        ])
        .build()?;

    // step 2. prepare model
    let image_size = data.image_size as i64;
    let model = fe::build_named(|p| SiameseNetwork::new(p, image_size), "adam", "siamese_net")?;
    let regularized = model.clone();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, ["x_a", "x_b"], "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "loss").form(CrossEntropyForm::Binary)),
        Box::new(
            LambdaOp::new("loss", "loss", move |v| Ok(vec![&v[0] + l2_regularization(&regularized)])).mode("train"),
        ),
        Box::new(UpdateOp::new(&model, "loss")),
    ])?;

    // step 3. prepare estimator
    let save_dir = match &args.save_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("fe_siamese_")
            .tempdir()
            .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?
            .keep(),
    };
    let trials = args.one_shot_trials.unwrap_or(if data.real { 400 } else { 100 });
    let traces: Vec<Box<dyn Trace>> = vec![
        Box::new(LRScheduler::by_epoch(&model, lr_schedule)),
        Box::new(Accuracy::new("y", "y_pred")),
        Box::new(OneShotAccuracy {
            io: OpIo::new((), "one_shot_accuracy").with_default_mode("eval,test"),
            dataset: one_shot_data,
            model: model.clone(),
            n: args.one_shot_n,
            trials,
            image_size,
            seed: args.seed,
        }),
        Box::new(BestModelSaver::new(&model, &save_dir).metric("one_shot_accuracy").save_best_mode(BestMode::Max)),
        Box::new(EarlyStopping::new("one_shot_accuracy").patience(20).compare(BestMode::Max).mode("eval")),
    ];
    let epochs = args.epochs.unwrap_or(if data.real { 200 } else { 5 });
    let mut builder = fe::Estimator::builder(pipeline, network, epochs).traces(traces).experiment_name("siamese");
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    if let Some(n) = args.eval_steps_per_epoch {
        builder = builder.eval_steps_per_epoch(n);
    }
    builder.build()
}

/// FE's `L2Regularization` op: 0.01 × the squared convolution weights plus 0.0001 × the squared
/// `fc1` weights.
fn l2_regularization(model: &fe::Model) -> Tensor {
    let terms: Vec<Tensor> = model
        .named_trainable_variables()
        .into_iter()
        .filter_map(|(name, var)| {
            let beta = match name.as_str() {
                "conv1.weight" | "conv2.weight" | "conv3.weight" | "conv4.weight" => 0.01,
                "fc1.weight" => 0.0001,
                _ => return None,
            };
            Some(var.square().sum(tch::Kind::Float) * beta)
        })
        .collect();
    Tensor::stack(&terms, 0).sum(tch::Kind::Float)
}

/// FE's `SiameseNetwork`: conv 64@10 → pool → conv 128@7 → pool → conv 128@4 → pool →
/// conv 256@4 → dense 4096 (sigmoid) per branch; then |a − b| → dense 1 → sigmoid. FE's
/// initialisation: conv weights N(0, 0.01), dense weights N(0, 0.2), biases N(0.5, 0.01).
#[derive(Debug)]
struct SiameseNetwork {
    conv1: nn::Conv2D,
    conv2: nn::Conv2D,
    conv3: nn::Conv2D,
    conv4: nn::Conv2D,
    fc1: nn::Linear,
    fc2: nn::Linear,
    image_size: i64,
}

impl SiameseNetwork {
    /// For square grayscale images of `image_size` (105 in FE; at least 65).
    fn new(vs: &nn::Path, image_size: i64) -> SiameseNetwork {
        let side = ((((image_size - 9) / 2 - 6) / 2 - 3) / 2) - 3;
        assert!(side >= 1, "SiameseNetwork needs images of at least 65x65, got {image_size}");
        let bias = nn::Init::Randn { mean: 0.5, stdev: 0.01 };
        let conv = |p: nn::Path, cin, cout, k| {
            let config = nn::ConvConfig {
                ws_init: nn::Init::Randn { mean: 0.0, stdev: 0.01 },
                bs_init: bias,
                ..Default::default()
            };
            nn::conv2d(p, cin, cout, k, config)
        };
        let linear = |p: nn::Path, cin, cout| {
            let config = nn::LinearConfig {
                ws_init: nn::Init::Randn { mean: 0.0, stdev: 0.2 },
                bs_init: Some(bias),
                bias: true,
            };
            nn::linear(p, cin, cout, config)
        };
        SiameseNetwork {
            conv1: conv(vs / "conv1", 1, 64, 10),
            conv2: conv(vs / "conv2", 64, 128, 7),
            conv3: conv(vs / "conv3", 128, 128, 4),
            conv4: conv(vs / "conv4", 128, 256, 4),
            fc1: linear(vs / "fc1", 256 * side * side, 4096),
            fc2: linear(vs / "fc2", 4096, 1),
            image_size,
        }
    }

    fn branch(&self, x: &Tensor) -> Tensor {
        let x = x.apply(&self.conv1).max_pool2d_default(2).relu();
        let x = x.apply(&self.conv2).max_pool2d_default(2).relu();
        let x = x.apply(&self.conv3).max_pool2d_default(2).relu();
        let x = x.apply(&self.conv4).relu();
        x.flatten(1, -1).apply(&self.fc1).sigmoid()
    }
}

impl nn::ModuleT for SiameseNetwork {
    /// One input: both images stacked on a leading axis, `[2, batch, 1, H, W]`.
    fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
        (self.branch(&xs.get(0)) - self.branch(&xs.get(1))).abs().apply(&self.fc2).sigmoid()
    }
}

impl FeModel for SiameseNetwork {
    fn forward_inputs(&self, xs: &[Tensor], _train: bool) -> Result<Tensor, String> {
        let [a, b] = xs else { return Err(format!("SiameseNetwork takes two images, got {} inputs", xs.len())) };
        for x in [a, b] {
            if x.size()[1..] != [1, self.image_size, self.image_size] {
                return Err(format!(
                    "SiameseNetwork expects [batch, 1, {0}, {0}], got {1:?}",
                    self.image_size,
                    x.size()
                ));
            }
        }
        Ok((self.branch(a) - self.branch(b)).abs().apply(&self.fc2).sigmoid())
    }
}

/// FE's `OneShotAccuracy` trace: in each of `trials` N-way trials, one drawing is compared with
/// another drawing of its character and with drawings of N − 1 other characters; the trial
/// counts when the model rates the true pair the most similar (and its scores are not all
/// alike).
struct OneShotAccuracy {
    io: OpIo,
    dataset: SiameseDirDataset,
    model: fe::Model,
    n: usize,
    trials: usize,
    image_size: i64,
    seed: u64,
}

impl HasIo for OneShotAccuracy {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl OneShotAccuracy {
    /// The images at `paths` as a `[n, 1, H, W]` batch in [0, 1].
    fn images(&self, paths: &[String]) -> fe::Result<Tensor> {
        let mut batch = Vec::with_capacity(paths.len());
        for path in paths {
            let image = fe::dataset::read_image(Path::new(path), fe::dataset::ImageColor::Gray)?;
            let fe::Value::U8(pixels) = image else { unreachable!("gray images are u8") };
            let pixels: Vec<f32> = pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
            batch.push(Tensor::from_slice(&pixels).reshape([1, 1, self.image_size, self.image_size]));
        }
        Ok(Tensor::cat(&batch, 0))
    }
}

impl Trace for OneShotAccuracy {
    fn name(&self) -> String {
        "OneShotAccuracy".into()
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> fe::Result<()> {
        let mut correct = 0;
        for trial in 0..self.trials {
            let seed = self.seed ^ ((system.epoch_idx as u64) << 32) ^ trial as u64;
            let (left, right) = self.dataset.one_shot_trial(self.n, seed)?;
            let keys = ["x_a".to_string(), "x_b".to_string()];
            let scores = tch::no_grad(|| {
                let xs = [self.images(&left)?, self.images(&right)?];
                self.model.forward_layers(&keys, &xs, false, &[])
            })?
            .0
            .flatten(0, -1);
            if scores.argmax(0, false).int64_value(&[]) == 0 && scores.std(true).double_value(&[]) > 0.01 {
                correct += 1;
            }
        }
        data.write_with_log(self.io.outputs[0].clone(), correct as f64 / self.trials.max(1) as f64);
        Ok(())
    }
}

/// The job's data: Omniglot or the generated glyphs.
struct JobData {
    train: SiameseDirDataset,
    eval: SiameseDirDataset,
    one_shot: SiameseDirDataset,
    image_size: usize,
    real: bool,
}

fn load(args: &Hyperparameters) -> fe::Result<JobData> {
    let mut loader = Omniglot::new().seed(args.seed);
    if let Some(root) = &args.data_dir {
        loader = loader.root_dir(root);
    }
    let present = ["images_background", "images_evaluation"]
        .iter()
        .zip([omniglot::BACKGROUND.name, omniglot::EVALUATION.name])
        .all(|(folder, zip)| loader.dir().join(folder).is_dir() || loader.dir().join(zip).is_file());
    let real = match args.data.as_str() {
        "real" => true,
        "synthetic" => false,
        "auto" => present,
        other => {
            return Err(fe::FeError::param(
                "siamese",
                "data",
                format!("expects auto, real or synthetic, got {other:?}"),
            ))
        }
    };
    if real {
        println!("Data: Omniglot in {}", loader.dir().display());
        let (train, eval) = loader.load()?;
        let one_shot = loader.load()?.1;
        return Ok(JobData { train, eval, one_shot, image_size: 105, real });
    }
    // The pipeline reads the drawings while it runs, so the folder outlives this function.
    let folder = tempfile::Builder::new()
        .prefix("fe_glyphs_")
        .tempdir()
        .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?
        .keep();
    let generated = loader.clone().root_dir(&folder).download(false);
    let [background, evaluation, characters] = args.alphabets;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    for (split, alphabets) in [("images_background", background), ("images_evaluation", evaluation)] {
        write_glyph_alphabets(&generated.dir().join(split), split, alphabets, characters, &mut rng)?;
    }
    println!(
        "Data: generated glyphs ({background} training and {evaluation} evaluation alphabets of {characters} characters, \
         20 drawings each, in {}; no Omniglot files in {})",
        folder.display(),
        loader.dir().display()
    );
    let (train, eval) = generated.load()?;
    let one_shot = generated.load()?.1;
    Ok(JobData { train, eval, one_shot, image_size: GLYPH_SIZE, real })
}

/// Side of the generated drawings.
const GLYPH_SIZE: usize = 65;

/// Write `alphabets` alphabets of `characters` characters, 20 drawings each, as
/// `<root>/<alphabet>/<character>/<n>.png` (black strokes on white, as Omniglot).
fn write_glyph_alphabets(
    root: &Path,
    split: &str,
    alphabets: usize,
    characters: usize,
    rng: &mut ChaCha8Rng,
) -> fe::Result<()> {
    for a in 0..alphabets {
        for c in 0..characters {
            let dir = root.join(format!("{split}_alphabet{a:02}")).join(format!("character{c:02}"));
            std::fs::create_dir_all(&dir).map_err(|e| fe::FeError::io("cannot create", &dir, e))?;
            // A character: 2 to 4 strokes, each through 3 points.
            let strokes: Vec<[(f64, f64); 3]> = (0..rng.gen_range(2..=4))
                .map(|_| std::array::from_fn(|_| (rng.gen_range(0.15..0.85), rng.gen_range(0.15..0.85))))
                .collect();
            for drawing in 0..20 {
                let shaky: Vec<[(f64, f64); 3]> = strokes
                    .iter()
                    .map(|s| s.map(|(x, y)| (x + rng.gen_range(-0.04..0.04), y + rng.gen_range(-0.04..0.04))))
                    .collect();
                let width = rng.gen_range(1.5..2.5);
                let pixels = draw(&shaky, width);
                write_png(&dir.join(format!("{drawing:02}.png")), &pixels.into_dyn())?;
            }
        }
    }
    Ok(())
}

/// Rasterise strokes (each two segments) of `width` pixels, black on white.
fn draw(strokes: &[[(f64, f64); 3]], width: f64) -> Array2<u8> {
    let n = GLYPH_SIZE as f64;
    let segments: Vec<((f64, f64), (f64, f64))> = strokes
        .iter()
        .flat_map(|s| [(s[0], s[1]), (s[1], s[2])])
        .map(|(a, b)| ((a.0 * n, a.1 * n), (b.0 * n, b.1 * n)))
        .collect();
    Array2::from_shape_fn((GLYPH_SIZE, GLYPH_SIZE), |(row, col)| {
        let p = (col as f64 + 0.5, row as f64 + 0.5);
        let near = segments.iter().any(|&(a, b)| distance_to_segment(p, a, b) <= width / 2.0);
        if near {
            0
        } else {
            255
        }
    })
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0) };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - x).powi(2) + (p.1 - y).powi(2)).sqrt()
}
