//! FE's DCGAN apphub recipe: a generator and a discriminator trained together on digits, with
//! two models, two optimizers and two UpdateOps in one Network (no hand-written loop). The two
//! trailing UpdateOps are deferred, so both updates of a step see the weights from before it.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example dcgan -- --out dcgan_digits.png
//! ./fe cargo run --release -p fastestimator --example dcgan -- --help
//! ```

use std::path::PathBuf;

use fastestimator as fe;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::network::{FeModel, OptimizerSpec};
use fe::op::numpy::{ExpandDims, LambdaOp, Normalize};
use fe::op::tensor::{LambdaOp as TensorLambda, ModelOp, UpdateOp};
use fe::op::{HasIo, OpIo};
use fe::summary::System;
use fe::trace::{Data, Trace};
use fe::Value;
use rand_distr::{Distribution, StandardNormal};
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

const LATENT: i64 = 64;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Training epochs.
    epochs: usize,
    /// Training samples.
    samples: usize,
    /// Batch size.
    batch_size: usize,
    /// Where to write the PNG grid of generated digits.
    out: PathBuf,
    /// Seed.
    seed: u64,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 15,
            samples: 12_000,
            batch_size: 64,
            out: "dcgan_digits.png".into(),
            seed: 42,
            train_steps_per_epoch: None,
        }
    }
}

/// At the end of training, writes a grid of 64 digits from the generator (FE's apphub draws
/// them after `fit()`).
struct SampleGrid {
    io: OpIo,
    generator: fe::Model,
    out: PathBuf,
}

impl HasIo for SampleGrid {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl Trace for SampleGrid {
    fn name(&self) -> String {
        "SampleGrid".into()
    }

    /// It writes a file: in a job on several processes only rank 0 runs it.
    fn writes_files(&self) -> bool {
        true
    }

    fn on_end(&mut self, _data: &mut Data, _system: &mut System) -> fe::Result<()> {
        let z = Tensor::randn([64, LATENT], (Kind::Float, self.generator.device()));
        let samples = tch::no_grad(|| self.generator.forward("z", &z, false))?;
        save_grid(&samples, &self.out)?;
        fe::output::log(&format!("FastEstimator-DCGAN: saved 64 generated digits to {}", self.out.display()));
        Ok(())
    }
}

/// z [batch, LATENT] → image [batch, 1, 28, 28] in [-1, 1].
#[derive(Debug)]
struct Generator {
    fc: nn::Linear,
    bn0: nn::BatchNorm,
    up1: nn::ConvTranspose2D,
    bn1: nn::BatchNorm,
    up2: nn::ConvTranspose2D,
}

impl Generator {
    fn new(p: &nn::Path) -> Self {
        let up = nn::ConvTransposeConfig { stride: 2, padding: 1, ..Default::default() };
        Generator {
            fc: nn::linear(p / "fc", LATENT, 128 * 7 * 7, Default::default()),
            bn0: nn::batch_norm1d(p / "bn0", 128 * 7 * 7, Default::default()),
            up1: nn::conv_transpose2d(p / "up1", 128, 64, 4, up),
            bn1: nn::batch_norm2d(p / "bn1", 64, Default::default()),
            up2: nn::conv_transpose2d(p / "up2", 64, 1, 4, up),
        }
    }
}

impl ModuleT for Generator {
    fn forward_t(&self, z: &Tensor, train: bool) -> Tensor {
        z.apply(&self.fc)
            .apply_t(&self.bn0, train)
            .leaky_relu()
            .view([-1, 128, 7, 7])
            .apply(&self.up1)
            .apply_t(&self.bn1, train)
            .leaky_relu()
            .apply(&self.up2)
            .tanh()
    }
}
impl FeModel for Generator {
    fn input_shape(&self) -> Option<Vec<i64>> {
        Some(vec![LATENT])
    }
}

/// image → one logit (real vs generated): FE's DCGAN discriminator (strided convolutions,
/// leaky ReLU, dropout 0.3, no batch norm), at half width for CPU training.
#[derive(Debug)]
struct Discriminator {
    c1: nn::Conv2D,
    c2: nn::Conv2D,
    fc: nn::Linear,
}

impl Discriminator {
    fn new(p: &nn::Path) -> Self {
        let down = nn::ConvConfig { stride: 2, padding: 2, ..Default::default() };
        Discriminator {
            c1: nn::conv2d(p / "c1", 1, 32, 5, down),
            c2: nn::conv2d(p / "c2", 32, 64, 5, down),
            fc: nn::linear(p / "fc", 64 * 7 * 7, 1, Default::default()),
        }
    }
}

impl ModuleT for Discriminator {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        x.apply(&self.c1)
            .leaky_relu()
            .dropout(0.3, train)
            .apply(&self.c2)
            .leaky_relu()
            .dropout(0.3, train)
            .flatten(1, -1)
            .apply(&self.fc)
    }
}
impl FeModel for Discriminator {
    fn input_shape(&self) -> Option<Vec<i64>> {
        Some(vec![1, 28, 28])
    }
}

fn bce_with_logits(logits: &Tensor, target: f64) -> Tensor {
    let t = logits.full_like(target);
    logits.binary_cross_entropy_with_logits::<Tensor>(&t, None, None, tch::Reduction::Mean)
}

/// Write `images` ([n, 1, 28, 28] in [-1, 1]) as a square grid PNG.
fn save_grid(images: &Tensor, path: &std::path::Path) -> fe::Result<()> {
    let n = images.size()[0];
    let side = (n as f64).sqrt().ceil() as u32;
    let pixels = ((images.to_device(tch::Device::Cpu).to_kind(Kind::Float) + 1.0) * 127.5)
        .clamp(0.0, 255.0)
        .to_kind(Kind::Uint8);
    let mut buf = vec![0u8; (n * 28 * 28) as usize];
    let len = buf.len();
    pixels.reshape([-1]).copy_data(&mut buf, len);
    let pad = 2u32;
    let cell = 28 + pad;
    let mut grid = image::GrayImage::new(side * cell + pad, side * cell + pad);
    for k in 0..n as u32 {
        let (gx, gy) = ((k % side) * cell + pad, (k / side) * cell + pad);
        for y in 0..28u32 {
            for x in 0..28u32 {
                let v = buf[(k * 784 + y * 28 + x) as usize];
                grid.put_pixel(gx + x, gy + y, image::Luma([v]));
            }
        }
    }
    let scaled =
        image::imageops::resize(&grid, grid.width() * 3, grid.height() * 3, image::imageops::FilterType::Nearest);
    let tmp = path.with_extension("png.tmp");
    scaled
        .save_with_format(&tmp, image::ImageFormat::Png)
        .map_err(|e| fe::FeError::io("cannot write", &tmp, std::io::Error::other(e.to_string())))?;
    std::fs::rename(&tmp, path).map_err(|e| fe::FeError::io("cannot rename into", path, e))
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `get_estimator`: both models, their losses and updates, from the hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    let cfg = SyntheticDigitsConfig { train_size: args.samples, eval_size: 0, test_size: 0, seed: args.seed };
    let (train, _, _) = synthetic_digits::load_data(&cfg)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train)
        .batch_size(args.batch_size)
        .ops(vec![
            Box::new(ExpandDims::new("x", "x").axis(0)),
            Box::new(Normalize::new("x", "x").stats(&[0.5], &[0.5]).max_pixel_value(255.0)),
            Box::new(LambdaOp::random((), "z", |_, rng| {
                let z: Vec<f32> = (0..LATENT).map(|_| StandardNormal.sample(rng)).collect();
                Ok(vec![Value::from(z)])
            })),
        ])
        .build()?;

    let adam = |lr| OptimizerSpec::Adam { lr, beta1: 0.5, beta2: 0.999, weight_decay: 0.0 };
    let gen = fe::build_named(Generator::new, adam(2e-4), "generator")?;
    let disc = fe::build_named(Discriminator::new, adam(2e-4), "discriminator")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&gen, "z", "x_fake")),
        Box::new(ModelOp::new(&disc, "x_fake", "fake_score")),
        Box::new(ModelOp::new(&disc, "x", "true_score")),
        Box::new(TensorLambda::new("fake_score", "gloss", |v| Ok(vec![bce_with_logits(&v[0], 1.0)]))),
        Box::new(TensorLambda::new(["true_score", "fake_score"], "dloss", |v| {
            Ok(vec![bce_with_logits(&v[0], 0.9) + bce_with_logits(&v[1], 0.0)])
        })),
        Box::new(UpdateOp::new(&gen, "gloss")),
        Box::new(UpdateOp::new(&disc, "dloss")),
    ])?;
    let grid = SampleGrid { io: OpIo::new((), ()).with_default_mode("train"), generator: gen, out: args.out };
    let mut builder = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(vec![Box::new(grid)])
        .log_steps(50)
        .experiment_name("dcgan");
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    builder.build()
}
