//! The `fastestimator` command-line tool.
//!
//! `fastestimator benchmark` measures the Estimator's LeNet training throughput against a
//! minimal hand-written tch loop on the same data, model, optimizer and batch size.
//! `fastestimator pipeline-benchmark` measures the pipeline op library on FE's CIFAR-10
//! augmentation chain against albumentations in Python.

mod benchmark;
mod pipeline_benchmark;
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
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Benchmark(args) => benchmark::run(&args),
        Command::PipelineBenchmark(args) => pipeline_benchmark::run(&args),
        Command::Speed(args) => speed::run(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
