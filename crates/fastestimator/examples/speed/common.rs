//! What the speed programs share: their arguments and the figures they report.
//!
//! Each program trains LeNet on the embedded digits for a fixed number of steps and prints one
//! line, `SPEED {json}`, that `fastestimator speed` reads.

use std::time::Duration;

use clap::Parser;

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
    /// The model: `lenet` (28×28×1 digits) or `resnet` (a small ResNet on 32×32×3 images).
    #[arg(long, default_value = "lenet")]
    pub model: String,
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

/// Microseconds per step of a total.
pub fn us_per_step(total: Duration, steps: u64) -> f64 {
    total.as_secs_f64() * 1e6 / steps.max(1) as f64
}

/// Print the report line: `SPEED {"steps_per_sec": ..., ...}`.
pub fn report(fields: &[(&str, f64)]) {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v:.6}")).collect();
    println!("SPEED {{{}}}", body.join(", "));
}
