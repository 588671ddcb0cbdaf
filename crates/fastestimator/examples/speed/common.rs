//! What the speed programs share: their arguments, their data, the small ResNet, and the
//! figures they report.
//!
//! Each program trains a model for a fixed number of steps on the data `fastestimator speed`
//! wrote (`x.u8`, `y.i64` in `--data`) and prints one line, `SPEED {json}`, that it reads.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use fastestimator as fe;
use tch::nn;

/// Arguments every speed program takes.
#[derive(Parser, Debug)]
pub struct SpeedArgs {
    /// Measured training steps (one epoch).
    #[arg(long, default_value_t = 625)]
    pub steps: usize,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// libtorch threads (default: one per core, as the Estimator chooses).
    #[arg(long)]
    pub threads: Option<usize>,
    /// The model: `lenet` (28×28×1 digits), `resnet` (a small ResNet on 32×32×3 images) or
    /// `resnet9` (FE's ResNet9 on 32×32×3 images).
    #[arg(long, default_value = "lenet")]
    pub model: String,
    /// `cpu` or `cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Mixed precision: float16 autocast (CUDA only).
    #[arg(long)]
    pub amp: bool,
    /// The folder with the data (`x.u8`: images as bytes, `y.i64`: labels).
    #[arg(long)]
    pub data: PathBuf,
}

impl SpeedArgs {
    /// The shape of one image: `[28, 28]` for LeNet's digits, `[32, 32, 3]` (HWC) for the ResNet.
    pub fn image_shape(&self) -> Vec<usize> {
        if self.colour() {
            vec![32, 32, 3]
        } else {
            vec![28, 28]
        }
    }

    /// Whether the model takes 32×32×3 colour images (the ResNets) rather than 28×28 digits.
    pub fn colour(&self) -> bool {
        self.model.starts_with("resnet")
    }

    /// The device to train on. For the CPU, `FE_DEVICE=cpu` keeps the Estimator there too
    /// (the driver sets it); for CUDA, libtorch's CUDA library is loaded first.
    pub fn tch_device(&self) -> tch::Device {
        if self.device == "cuda" && fe::backend::load_cuda() {
            tch::Device::Cuda(0)
        } else {
            tch::Device::Cpu
        }
    }

    /// Wait for the device's queued work (CUDA runs asynchronously), so timings are complete.
    pub fn synchronize(&self) {
        if let tch::Device::Cuda(i) = self.tch_device() {
            tch::Cuda::synchronize(i as i64);
        }
    }

    /// The images (`[n, ...image_shape]`, bytes) and labels the driver wrote.
    pub fn load(&self) -> fe::Result<(ndarray::ArrayD<u8>, ndarray::Array1<i64>)> {
        let read = |name: &str| {
            let path = self.data.join(name);
            std::fs::read(&path).map_err(|e| fe::FeError::io("cannot read", &path, e))
        };
        let labels: Vec<i64> =
            read("y.i64")?.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).collect();
        let mut shape = vec![labels.len()];
        shape.extend(self.image_shape());
        let images = ndarray::ArrayD::from_shape_vec(shape, read("x.u8")?)
            .map_err(|e| fe::FeError::param("speed", "data", e.to_string()))?;
        Ok((images, ndarray::Array1::from(labels)))
    }
}

/// A small ResNet for 32×32×3 images (a conv stem, two residual stages with a downsampling
/// convolution, global average pooling, a linear layer and a softmax), the same layers as
/// `SmallResNet` in `speed_torch.py`.
pub fn small_resnet(p: &nn::Path) -> nn::SequentialT {
    let conv = |p: nn::Path, cin, cout, stride| {
        nn::conv2d(p, cin, cout, 3, nn::ConvConfig { stride, padding: 1, bias: false, ..Default::default() })
    };
    let bn = |p: nn::Path, c| nn::batch_norm2d(p, c, Default::default());
    let block = |p: nn::Path, c: i64| {
        let (c1, b1, c2, b2) =
            (conv(&p / "conv1", c, c, 1), bn(&p / "bn1", c), conv(&p / "conv2", c, c, 1), bn(&p / "bn2", c));
        nn::func_t(move |x, train| {
            let y = x.apply(&c1).apply_t(&b1, train).relu().apply(&c2).apply_t(&b2, train);
            (y + x).relu()
        })
    };
    nn::seq_t()
        .add(conv(p / "stem", 3, 32, 1))
        .add(bn(p / "stem_bn", 32))
        .add_fn(|x| x.relu())
        .add(block(p / "block1", 32))
        .add(conv(p / "down", 32, 64, 2))
        .add(bn(p / "down_bn", 64))
        .add_fn(|x| x.relu())
        .add(block(p / "block2", 64))
        .add_fn(|x| x.adaptive_avg_pool2d([1, 1]).flatten(1, -1))
        .add(nn::linear(p / "fc", 64, 10, Default::default()))
        .add_fn(|x| x.softmax(-1, tch::Kind::Float))
}

/// Seconds since this process started (from `/proc`, 10 ms resolution), so start-up costs such
/// as loading libtorch count.
pub fn seconds_since_process_start() -> f64 {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let stat = read("/proc/self/stat");
    // Field 22 (starttime, in clock ticks after boot) follows the ")" that ends the command name.
    let after_name = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let start_ticks: f64 = after_name.split_whitespace().nth(19).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let uptime: f64 = read("/proc/uptime").split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    uptime - start_ticks / ticks.max(1.0)
}

/// Peak resident memory of this process in MiB (`VmHWM`).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Minor page faults of this process so far (`getrusage`). Counted from the first training step
/// to the end, per step, they show whether the allocator maps fresh memory every step (glibc's
/// default, which made speed bimodal) or reuses it.
pub fn minor_page_faults() -> f64 {
    // SAFETY: getrusage only fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is always valid.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_minflt as f64
}

/// Page faults per step after the first, from the count at the end of the first step.
pub fn faults_per_step(at_first_step: f64, steps: u64) -> f64 {
    (minor_page_faults() - at_first_step) / steps.saturating_sub(1).max(1) as f64
}

/// Microseconds per step of a total.
pub fn us_per_step(total: Duration, steps: u64) -> f64 {
    total.as_secs_f64() * 1e6 / steps.max(1) as f64
}

/// End the program with the error's message (not its debug form) and exit status 1.
pub fn exit_on_error(result: fe::Result<()>) {
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Print the report line: `SPEED {"steps_per_sec": ..., ...}`.
pub fn report(fields: &[(&str, f64)]) {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v:.6}")).collect();
    println!("SPEED {{{}}}", body.join(", "));
}
