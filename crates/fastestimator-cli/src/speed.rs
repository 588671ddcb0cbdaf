//! `fastestimator speed`: the Estimator in a user's own program against a hand-written tch loop
//! and a plain PyTorch eager loop (as users write it, and with `torch.channels_last`), side by
//! side, in alternating rounds.
//!
//! Every contender is its own process, started fresh each round: `speed_estimator` and
//! `speed_hand_loop` are example programs built the way a user builds one (no allocator or
//! setting of their own), and `speed_torch.py` runs on the `.venv`'s torch. This tool's own
//! allocator therefore touches none of them. Each prints one `SPEED {json}` line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;
use fastestimator as fe;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};

/// Options of `fastestimator speed`.
#[derive(Args, Debug)]
pub struct SpeedArgs {
    /// Rounds; each runs every contender once, in an order that rotates from round to round.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// The model: `lenet` (FE's MNIST recipe: 28×28×1 digits, batch 32) or `resnet` (a small
    /// ResNet on 32×32×3 images, batch 128).
    #[arg(long, default_value = "lenet", value_parser = ["lenet", "resnet", "resnet9"])]
    model: String,
    /// `cpu` (default) or `cuda`: where every contender trains.
    #[arg(long, default_value = "cpu", value_parser = ["cpu", "cuda"])]
    device: String,
    /// Mixed precision for every contender (float16 autocast; CUDA only).
    #[arg(long)]
    amp: bool,
    /// Training steps per run (default 625 for LeNet, 50 for the ResNet).
    #[arg(long)]
    steps: Option<usize>,
    /// Batch size (default 32 for LeNet, 128 for the ResNet).
    #[arg(long)]
    batch_size: Option<usize>,
    /// libtorch threads for every contender (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// The Python that runs the PyTorch loop (default: `.venv/bin/python`, else `python3`).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Leave out the PyTorch loops (both the NCHW one and the channels_last one).
    #[arg(long)]
    no_torch: bool,
}

/// One run's figures, as its `SPEED` line gives them.
type Figures = BTreeMap<String, f64>;

/// The PyTorch loop runs twice a round: as a user writes it (NCHW, PyTorch's default), and with
/// model and images in `torch.channels_last`, the layout the Estimator uses on the CPU.
const CONTENDERS: [&str; 4] = ["estimator", "hand loop", "pytorch", "pytorch channels-last"];

/// The PyTorch loop's script, relative to the repository root.
const SCRIPT_IN_CHECKOUT: &str = "crates/fastestimator-cli/python/speed_torch.py";

/// Run the benchmark and print its figures.
pub fn run(args: &SpeedArgs) -> fe::Result<()> {
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let resnet = args.model.starts_with("resnet");
    let steps = args.steps.unwrap_or(if resnet { 50 } else { 625 });
    let batch_size = args.batch_size.unwrap_or(if resnet { 128 } else { 32 });
    for (param, value) in [("rounds", args.rounds), ("steps", steps), ("batch_size", batch_size)] {
        if value == 0 {
            return Err(fe::FeError::param("speed", param, "must be at least 1"));
        }
    }
    let examples = examples_dir()?;
    let data = write_data(resnet, steps * batch_size)?;
    let python = args.python.clone().unwrap_or_else(|| {
        let venv = PathBuf::from(".venv/bin/python");
        if venv.exists() {
            venv
        } else {
            PathBuf::from("python3")
        }
    });
    // The script beside the sources this binary was built from, or, for a binary carried to
    // another machine, the one in the checkout it runs from.
    let script =
        [Path::new(env!("CARGO_MANIFEST_DIR")).join("python/speed_torch.py"), PathBuf::from(SCRIPT_IN_CHECKOUT)]
            .into_iter()
            .find(|p| p.exists())
            .unwrap_or_else(|| PathBuf::from(SCRIPT_IN_CHECKOUT));
    let contenders: Vec<&str> =
        CONTENDERS.iter().copied().filter(|c| !(args.no_torch && c.starts_with("pytorch"))).collect();
    println!(
        "fastestimator speed: {}, Adam, batch {batch_size}, {steps} steps, libtorch threads {threads}, {} rounds, \
         device {}{}",
        match args.model.as_str() {
            "resnet" => "small ResNet on 32x32x3",
            "resnet9" => "FE's ResNet9 on 32x32x3",
            _ => "LeNet on 28x28 digits",
        },
        args.rounds,
        args.device,
        if args.amp { ", mixed precision" } else { "" },
    );
    // oneDNN picks other convolution kernels, and gains or loses from the layout, with the
    // processor's vector extensions, so the figures say which processor they come from.
    println!("processor: {}", describe_cpu(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default()));
    let mut common = vec![
        "--device".to_string(),
        args.device.clone(),
        "--steps".into(),
        steps.to_string(),
        "--batch-size".into(),
        batch_size.to_string(),
        "--threads".into(),
        threads.to_string(),
        "--model".into(),
        args.model.clone(),
        "--data".into(),
        data.path().display().to_string(),
    ];
    if args.amp {
        common.push("--amp".into());
    }
    let mut rounds: Vec<BTreeMap<&str, Figures>> = Vec::new();
    for round in 0..args.rounds {
        let mut results = BTreeMap::new();
        for k in 0..contenders.len() {
            let who = contenders[(round + k) % contenders.len()];
            let mut cmd = match who {
                "estimator" => Command::new(examples.join("speed_estimator")),
                "hand loop" => Command::new(examples.join("speed_hand_loop")),
                _ => {
                    let mut c = Command::new(&python);
                    c.arg(&script);
                    if who == "pytorch channels-last" {
                        c.arg("--channels-last");
                    }
                    c
                }
            };
            cmd.args(&common);
            if args.device == "cpu" {
                cmd.env("FE_DEVICE", "cpu");
            }
            results.insert(who, run_one(who, &mut cmd)?);
        }
        let line: Vec<String> =
            contenders.iter().map(|c| format!("{c} {} steps/s", rate(results[c]["steps_per_sec"]))).collect();
        println!("round {}: {}", round + 1, line.join(" | "));
        rounds.push(results);
    }
    print_summary(&rounds, &contenders);
    Ok(())
}

/// The folder holding the example programs, next to this binary (`target/release/examples`).
fn examples_dir() -> fe::Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| fe::FeError::io("cannot locate", "fastestimator", e))?;
    let dir = exe.parent().map(|p| p.join("examples")).unwrap_or_default();
    for program in ["speed_estimator", "speed_hand_loop"] {
        if !dir.join(program).exists() {
            return Err(fe::FeError::param(
                "speed",
                "programs",
                format!(
                    "{} is missing; build the programs first: cargo build --release -p fastestimator --examples",
                    dir.join(program).display()
                ),
            ));
        }
    }
    Ok(dir)
}

/// The data every contender reads, as raw files: `x.u8` (images) and `y.i64` (labels). LeNet
/// gets the embedded digits; the ResNet gets seeded random 32×32×3 images with labels.
fn write_data(resnet: bool, samples: usize) -> fe::Result<tempfile::TempDir> {
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))?;
    let (x, labels): (Vec<u8>, Vec<i64>) = if resnet {
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        let x = (0..samples * 32 * 32 * 3).map(|_| rng.gen()).collect();
        (x, (0..samples).map(|_| rng.gen_range(0..10)).collect())
    } else {
        let cfg = SyntheticDigitsConfig { train_size: samples, eval_size: 0, test_size: 0, seed: 42 };
        let (train, _, _) = synthetic_digits::load_arrays(&cfg);
        (train.images.iter().copied().collect(), train.labels.to_vec())
    };
    let y: Vec<u8> = labels.iter().flat_map(|v| v.to_le_bytes()).collect();
    for (name, bytes) in [("x.u8", x), ("y.i64", y)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).map_err(|e| fe::FeError::io("cannot write", &path, e))?;
    }
    Ok(dir)
}

/// Run one contender and read its `SPEED` line.
fn run_one(who: &str, cmd: &mut Command) -> fe::Result<Figures> {
    let out = cmd.output().map_err(|e| fe::FeError::io("cannot run", format!("{cmd:?}"), e))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failed = || fe::FeError::User {
        context: format!("fastestimator speed: the {who} run"),
        reason: format!(
            "failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or(""),
            stdout.lines().last().unwrap_or("")
        ),
    };
    if !out.status.success() {
        return Err(failed());
    }
    let json = stdout.lines().find_map(|l| l.strip_prefix("SPEED ")).ok_or_else(failed)?;
    serde_json::from_str(json).map_err(|_| failed())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The processor's model name and its widest vector extensions, from `/proc/cpuinfo`'s text
/// (`"unknown"` where it says nothing).
fn describe_cpu(cpuinfo: &str) -> String {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_string())
        })
    };
    let model = field("model name").unwrap_or_else(|| "unknown".into());
    let flags = field("flags").unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let extensions: Vec<&str> = [("avx2", "AVX2"), ("avx512f", "AVX-512"), ("amx_tile", "AMX")]
        .into_iter()
        .filter(|(flag, _)| has(flag))
        .map(|(_, name)| name)
        .collect();
    let cores = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let mut parts = vec![model, format!("{cores} logical core{}", if cores == 1 { "" } else { "s" })];
    parts.extend(extensions.into_iter().map(String::from));
    parts.join(", ")
}

/// A rate with three significant digits, so that ResNet9's 0.3 steps/s reads as 0.312.
fn rate(v: f64) -> String {
    let decimals = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else if v >= 1.0 {
        2
    } else {
        3
    };
    format!("{v:.decimals$}")
}

fn print_summary(rounds: &[BTreeMap<&str, Figures>], contenders: &[&str]) {
    let column = |who: &str, key: &str| -> Vec<f64> { rounds.iter().map(|r| r[who][key]).collect() };
    let ratios = |a: &str, b: &str| -> Vec<f64> {
        rounds.iter().map(|r| r[a]["steps_per_sec"] / r[b]["steps_per_sec"]).collect()
    };
    println!();
    println!("steps/s (median of rounds): {}", {
        let v: Vec<String> =
            contenders.iter().map(|c| format!("{c} {}", rate(median(column(c, "steps_per_sec"))))).collect();
        v.join(" | ")
    });
    for other in contenders.iter().skip(1) {
        println!("estimator / {other:<22}: {}", crate::rounds::median_of_ratios(&ratios("estimator", other)));
    }
    // The machine's own speed drifts between runs; the hand loop, run in the same rounds, shows
    // how much. The per-round ratio to it is the program's own variation, with the drift removed.
    for who in contenders {
        if let Some((lo, hi, pct)) = crate::rounds::spread(&column(who, "steps_per_sec")) {
            println!(
                "stability, {who:<23}: {} to {} steps/s over {} runs ({pct:.1}% spread)",
                rate(lo),
                rate(hi),
                rounds.len()
            );
        }
    }
    if contenders.contains(&"hand loop") {
        if let Some((lo, hi, pct)) = crate::rounds::spread(&ratios("estimator", "hand loop")) {
            let who = "estimator / hand loop";
            println!("stability, {who:<23}: {lo:.2} to {hi:.2} over the rounds ({pct:.1}% spread)");
        }
    }
    println!();
    println!("per step, microseconds (median of rounds):");
    println!("{:<22}{:>12}{:>12}{:>12}", "part", "estimator", "hand loop", "overhead");
    for (label, key) in [
        ("waiting for data", "data_wait_us"),
        ("ops (fwd+loss+bwd)", "forward_backward_us"),
        ("optimizer step", "optimizer_us"),
        ("traces and logging", "traces_us"),
        ("other (dispatch etc.)", "other_us"),
        ("whole step", "step_us"),
    ] {
        let (e, h) = (median(column("estimator", key)), median(column("hand loop", key)));
        println!("{label:<22}{e:>12.0}{h:>12.0}{:>12.0}", e - h);
    }
    println!();
    for c in contenders {
        let faults = column(c, "page_faults_per_step");
        let (lo, hi, _) = crate::rounds::spread(&faults).unwrap_or((0.0, 0.0, 0.0));
        println!(
            "{c:<22} peak RSS {:>7.0} MiB, first training step {:.2} s after process start, \
             page faults per step {:.1} ({lo:.1} to {hi:.1})",
            median(column(c, "peak_rss_mib")),
            median(column(c, "first_step_s")),
            median(faults),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_processor_is_named_with_its_vector_extensions() {
        let info = "processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: fpu avx2 avx512f amx_tile\n\n\
                    processor\t: 1\nmodel name\t: Some Xeon\nflags\t\t: fpu avx2 avx512f amx_tile\n";
        assert_eq!(super::describe_cpu(info), "Some Xeon, 2 logical cores, AVX2, AVX-512, AMX");
        let older = "processor : 0\nmodel name : Old\nflags : fpu avx2 avx512vl\n";
        assert_eq!(super::describe_cpu(older), "Old, 1 logical core, AVX2");
        assert_eq!(super::describe_cpu(""), "unknown, 0 logical cores");
    }
}
