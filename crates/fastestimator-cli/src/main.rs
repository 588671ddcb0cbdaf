//! The `fastestimator` command-line tool.
//!
//! `fastestimator benchmark` measures the Estimator's LeNet training throughput against a
//! minimal hand-written tch loop on the same data, model, optimizer and batch size.
//! `fastestimator pipeline-benchmark` measures the pipeline op library on FE's CIFAR-10
//! augmentation chain against albumentations in Python. `fastestimator plot` draws a saved
//! hyperparameter search. `fastestimator launch` runs a job as N processes, as torchrun does.

mod benchmark;
mod distributed_benchmark;
mod history;
mod launch;
mod logs;
mod pipeline_benchmark;
mod plot;
mod rounds;
mod speed;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: pipeline workers allocate and free many short-lived
/// arrays, and glibc's heap trimming and arena locks make two workers scale poorly (see the
/// README's pipeline figures). A program using fastestimator can make the same choice.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "fastestimator", version, about = "FastEstimator in Rust: tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Estimator vs. a hand-written tch loop: LeNet training throughput and data-wait share.
    Benchmark(benchmark::BenchmarkArgs),
    /// The CIFAR-10 augmentation chain: samples/s with 1 and 2 workers, against albumentations.
    PipelineBenchmark(pipeline_benchmark::PipelineBenchmarkArgs),
    /// The Estimator in a user's program vs. a hand-written tch loop and a PyTorch eager loop.
    Speed(speed::SpeedArgs),
    /// The experiment history: every fit() and test() recorded (list, sql, clear, settings, log).
    History(history::HistoryArgs),
    /// Compare runs from their logs: metric-vs-step charts as PNG, SVG and interactive HTML.
    Logs(logs::LogsArgs),
    /// Draw a saved hyperparameter search: FE's chart (line, heatmap or parallel coordinates)
    /// as PNG and interactive HTML.
    Plot(plot::PlotArgs),
    /// Run a job as N processes with torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, ...);
    /// when one fails, stop the others. `--nproc-per-node auto`: one per GPU.
    Launch(launch::LaunchArgs),
    /// Data-parallel training on 1 vs 2 processes (c10d, Gloo): throughput, the gradient
    /// all-reduce time per step, and how much of it backward hides.
    DistributedBenchmark(distributed_benchmark::DistributedBenchmarkArgs),
}

fn main() {
    let cli = Cli::parse();
    let result: Result<(), Box<dyn std::error::Error>> = match cli.command {
        Command::Benchmark(args) => benchmark::run(&args).map_err(Into::into),
        Command::PipelineBenchmark(args) => pipeline_benchmark::run(&args).map_err(Into::into),
        Command::Speed(args) => speed::run(&args).map_err(Into::into),
        Command::History(args) => history::run(&args),
        Command::Logs(args) => logs::run(&args).map_err(Into::into),
        Command::Plot(args) => plot::run(&args).map_err(Into::into),
        Command::Launch(args) => launch::run(&args).map_err(Into::into),
        Command::DistributedBenchmark(args) => distributed_benchmark::run(&args).map_err(Into::into),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
