//! The `fastestimator` command-line tool.
//!
//! `fastestimator benchmark` measures the Estimator's LeNet training throughput against a
//! minimal hand-written tch loop on the same data, model, optimizer and batch size.

mod benchmark;

use clap::{Parser, Subcommand};

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
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Benchmark(args) => benchmark::run(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
