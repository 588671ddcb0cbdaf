//! FE's job command line (`fastestimator train|test|run`) for a Rust job: one call,
//! [`main`], turns a `get_estimator(hyperparameters)` function into a program that takes
//!
//! ```text
//! my_job [train|test|run] [--hyperparameters h.json] [--warmup true|false] [--summary NAME]
//!        [--<hyperparameter> <value> ...]
//! my_job --help
//! ```
//!
//! - `train` builds the Estimator and calls `fit()`; `test` calls `test()`; `run` (the default
//!   when no command is given) fits when the pipeline has training data and then tests when it
//!   has test data, as FE's `fastestimator run`.
//! - The hyperparameters are a struct with `Default`, `Serialize` and `Deserialize`: its fields
//!   are the names, its `Default` the defaults. `--hyperparameters` reads a JSON object, and
//!   `--name value` overrides one (`-` and `_` are the same; values are JSON where they parse,
//!   text otherwise). An unknown name, or a value of the wrong type, is an error that names it
//!   and the closest known name. The values are recorded into the experiment history.
//! - `--summary NAME` names the experiment; `--warmup false` skips the warmup step.
//!
//! ```
//! use fastestimator as fe;
//! use fe::architecture::LeNet;
//! use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
//! use fe::op::numpy::{ExpandDims, Minmax};
//! use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Hyperparameters {
//!     epochs: usize,
//!     batch_size: usize,
//!     train_steps_per_epoch: Option<usize>,
//! }
//!
//! impl Default for Hyperparameters {
//!     fn default() -> Self {
//!         Hyperparameters { epochs: 2, batch_size: 32, train_steps_per_epoch: None }
//!     }
//! }
//!
//! /// FE's `get_estimator`: the whole job from its hyperparameters.
//! fn get_estimator(hp: Hyperparameters) -> fe::Result<fe::Estimator> {
//!     let cfg = SyntheticDigitsConfig { train_size: 64, eval_size: 0, test_size: 0, seed: 1 };
//!     let (train, _, _) = synthetic_digits::load_data(&cfg)?;
//!     let pipeline = fe::Pipeline::builder()
//!         .train_data(train)
//!         .batch_size(hp.batch_size)
//!         .ops(vec![Box::new(ExpandDims::new("x", "x").axis(0)), Box::new(Minmax::new("x", "x"))])
//!         .build()?;
//!     let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), "adam")?;
//!     let network = fe::Network::new(vec![
//!         Box::new(ModelOp::new(&model, "x", "y_pred")),
//!         Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
//!         Box::new(UpdateOp::new(&model, "ce")),
//!     ])?;
//!     let mut builder = fe::Estimator::builder(pipeline, network, hp.epochs).silent().no_history();
//!     if let Some(n) = hp.train_steps_per_epoch {
//!         builder = builder.train_steps_per_epoch(n);
//!     }
//!     builder.build()
//! }
//!
//! // A job's `main` is `fe::cli::main(get_estimator)`; here the same command line is given
//! // explicitly: `train --epochs 1 --train_steps_per_epoch 2 --batch-size 16`.
//! let args = ["train", "--epochs", "1", "--train_steps_per_epoch", "2", "--batch-size", "16"];
//! let args = fe::cli::JobArgs::parse(args.map(String::from)).unwrap();
//! let result = fe::cli::run(&args, get_estimator).unwrap();
//! assert_eq!(result.train.unwrap().train_steps, 2);
//! assert!(result.test.is_none());
//! ```

mod hyperparameters;

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{FeError, Result};
use crate::estimator::Estimator;
use crate::summary::Summary;
use crate::util::Mode;

/// What a job does, FE's `fastestimator train|test|run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobCommand {
    /// `fit()`.
    Train,
    /// `test()`.
    Test,
    /// `fit()` when there is training data, then `test()` when there is test data.
    Run,
}

/// A parsed job command line.
#[derive(Debug, Clone, PartialEq)]
pub struct JobArgs {
    /// The command (default [`JobCommand::Run`]).
    pub command: JobCommand,
    /// `--hyperparameters`: a JSON file of hyperparameters.
    pub hyperparameters: Option<PathBuf>,
    /// `--warmup`: run the warmup step before training (default true).
    pub warmup: bool,
    /// `--summary`: the experiment's name.
    pub summary: Option<String>,
    /// `--name value` overrides, in order.
    pub overrides: Vec<(String, String)>,
    /// `--help` or `-h` was given.
    pub help: bool,
}

impl JobArgs {
    /// Parse the arguments after the program name.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<JobArgs> {
        let mut args = args.into_iter().peekable();
        let command = match args.peek().map(String::as_str) {
            Some("train") => Some(JobCommand::Train),
            Some("test") => Some(JobCommand::Test),
            Some("run") => Some(JobCommand::Run),
            _ => None,
        };
        if command.is_some() {
            args.next();
        }
        let mut parsed = JobArgs {
            command: command.unwrap_or(JobCommand::Run),
            hyperparameters: None,
            warmup: true,
            summary: None,
            overrides: Vec::new(),
            help: false,
        };
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                parsed.help = true;
                continue;
            }
            let Some(flag) = arg.strip_prefix("--").filter(|f| !f.is_empty()) else {
                return Err(FeError::param("cli", arg.clone(), "expected --name value (or train, test, run first)"));
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                // A flag with no value (last, or followed by another flag) means `true`.
                None => match args.next_if(|next| !next.starts_with("--")) {
                    Some(v) => (flag.to_string(), v),
                    None => (flag.to_string(), "true".to_string()),
                },
            };
            match name.replace('-', "_").as_str() {
                "hyperparameters" => parsed.hyperparameters = Some(PathBuf::from(value)),
                "summary" => parsed.summary = Some(value),
                "warmup" => {
                    parsed.warmup = match value.to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => {
                            return Err(FeError::param(
                                "cli",
                                "warmup",
                                format!("expects true or false, got {value:?}"),
                            ))
                        }
                    }
                }
                _ => parsed.overrides.push((name, value)),
            }
        }
        Ok(parsed)
    }
}

/// What a job run returned: the history of `fit()` and of `test()`, for those that ran.
#[derive(Debug, Default)]
pub struct JobResult {
    /// The history `fit()` returned.
    pub train: Option<Summary>,
    /// The history `test()` returned.
    pub test: Option<Summary>,
}

/// The `--help` text: usage, options, and the job's hyperparameters with their defaults.
pub fn help<H: Serialize + Default>(program: &str) -> Result<String> {
    let mut text = format!(
        "Usage: {program} [train|test|run] [OPTIONS] [--<hyperparameter> <value> ...]\n\n\
         Commands (default: run):\n  train  fit()\n  test   test()\n  run    fit() if there is training data, then \
         test() if there is test data\n\nOptions:\n  --hyperparameters <FILE>  a JSON object of hyperparameters\n  \
         --warmup <true|false>     run the warmup step before training (default true)\n  --summary <NAME>          \
         the experiment's name\n  -h, --help                this text\n\nHyperparameters (defaults):\n"
    );
    for (name, value) in hyperparameters::defaults::<H>()? {
        text.push_str(&format!("  --{name} <{value}>\n"));
    }
    Ok(text)
}

/// Run a job with the arguments after the program name: resolve the hyperparameters, build the
/// Estimator with `get_estimator`, record the hyperparameters and name, and train and/or test.
/// `--help` is answered by [`help`] rather than here.
pub fn run<H, F>(args: &JobArgs, get_estimator: F) -> Result<JobResult>
where
    H: Serialize + DeserializeOwned + Default,
    F: FnOnce(H) -> Result<Estimator>,
{
    let (hp, recorded) = resolve_hyperparameters::<H>(args)?;
    run_resolved(args, hp, recorded, get_estimator)
}

/// The job's hyperparameters: `H::default()`, then `--hyperparameters`, then the overrides; also
/// as the JSON object that is recorded into the experiment history.
pub fn resolve_hyperparameters<H>(args: &JobArgs) -> Result<(H, serde_json::Map<String, serde_json::Value>)>
where
    H: Serialize + DeserializeOwned + Default,
{
    hyperparameters::resolve::<H>(args.hyperparameters.as_deref(), &args.overrides)
}

/// [`run`] with hyperparameters already resolved.
fn run_resolved<H, F>(
    args: &JobArgs,
    hp: H,
    recorded: serde_json::Map<String, serde_json::Value>,
    get_estimator: F,
) -> Result<JobResult>
where
    F: FnOnce(H) -> Result<Estimator>,
{
    let mut estimator = get_estimator(hp)?;
    for (name, value) in recorded {
        estimator.set_hyperparameter(name, value);
    }
    if let Some(name) = &args.summary {
        estimator.set_experiment_name(name.clone());
    }
    let modes = estimator.pipeline().get_modes();
    let mut result = JobResult::default();
    let train = match args.command {
        JobCommand::Train => true,
        JobCommand::Test => false,
        JobCommand::Run => modes.contains(&Mode::Train),
    };
    if train {
        result.train = Some(estimator.fit_with(args.warmup)?);
    }
    let test = match args.command {
        JobCommand::Train => false,
        JobCommand::Test => true,
        JobCommand::Run => modes.contains(&Mode::Test),
    };
    if test {
        result.test = Some(estimator.test()?);
    }
    Ok(result)
}

/// The whole program of a job: parse `std::env::args`, answer `--help`, or [`run`]. An error
/// is printed (`error: ...`); the process exits with status 2 for a bad command line (unknown or
/// ill-typed arguments, as command-line tools do) and 1 when the job itself fails.
pub fn main<H, F>(get_estimator: F)
where
    H: Serialize + DeserializeOwned + Default,
    F: FnOnce(H) -> Result<Estimator>,
{
    let fail = |e: FeError, code: i32| -> ! {
        eprintln!("error: {e}");
        std::process::exit(code)
    };
    let mut argv = std::env::args();
    let program = argv
        .next()
        .map(|p| PathBuf::from(&p).file_name().map_or(p.clone(), |f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "job".into());
    let args = JobArgs::parse(argv).unwrap_or_else(|e| fail(e, 2));
    if args.help {
        match help::<H>(&program) {
            Ok(text) => return print!("{text}"),
            Err(e) => fail(e, 1),
        }
    }
    let (hp, recorded) = resolve_hyperparameters::<H>(&args).unwrap_or_else(|e| fail(e, 2));
    if let Err(e) = run_resolved(&args, hp, recorded, get_estimator) {
        fail(e, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<JobArgs> {
        JobArgs::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn fe_command_lines_parse() {
        let a = parse(&["train", "--epochs", "2", "--batch_size=8", "--warmup", "false", "--summary", "exp"]).unwrap();
        assert_eq!(a.command, JobCommand::Train);
        assert_eq!(a.overrides, [("epochs".to_string(), "2".to_string()), ("batch_size".into(), "8".into())]);
        assert!(!a.warmup);
        assert_eq!(a.summary.as_deref(), Some("exp"));
        let a = parse(&["--train-steps-per-epoch", "2", "--verbose"]).unwrap();
        assert_eq!(a.command, JobCommand::Run);
        assert_eq!(a.overrides[1], ("verbose".to_string(), "true".to_string()));
        assert!(parse(&["fit"]).unwrap_err().to_string().contains("train, test, run"));
        assert!(parse(&["--warmup", "maybe"]).is_err());
        assert!(parse(&["test", "-h"]).unwrap().help);
    }
}
