//! Data-parallel training: the MNIST LeNet recipe, unchanged, on one process or several.
//!
//! Nothing in the job knows how many processes run it. Started on its own it trains on one
//! process; started by a launcher it joins the others (PyTorch's c10d, Gloo on CPU), each rank
//! reads its share of every batch, gradients are averaged, metrics are reduced, and only rank 0
//! prints and writes files.
//!
//! ```text
//! ./fe cargo build --release -p fastestimator -p fastestimator-cli --example data_parallel --bin fastestimator && eval "$(./fe env)"
//! target/release/examples/data_parallel                                     # one process
//! target/release/fastestimator launch --nproc-per-node 2 -- target/release/examples/data_parallel
//! torchrun --no-python --nproc-per-node 2 target/release/examples/data_parallel
//! ```
//!
//! `--report DIR` makes every rank write `DIR/rank<R>.json` (its weights, its history and the
//! steps it ran): the tests compare those between 1, 2 and 3 processes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Parser;
use fastestimator as fe;
use fe::architecture::LeNet;
use fe::dataset::data::synthetic_digits::{self, SyntheticDigitsConfig};
use fe::dataset::BatchDataset;
use fe::op::numpy::{ExpandDims, Minmax, NumpyOp, RemoveIf};
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::op::{HasIo, OpIo};
use fe::summary::System;
use fe::trace::adapt::EarlyStopping;
use fe::trace::io::{BestModelSaver, RestoreWizard};
use fe::trace::metric::{Accuracy, F1Score};
use fe::trace::{Data, Trace};
use fe::util::Mode;
use fe::Value;

/// The job's settings.
#[derive(Parser, Debug)]
struct Args {
    /// Training epochs.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Global batch size (each of N processes runs batch_size / N).
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Training samples.
    #[arg(long, default_value_t = 640)]
    train_size: usize,
    /// Evaluation samples.
    #[arg(long, default_value_t = 160)]
    eval_size: usize,
    /// Test samples (0: no test after training).
    #[arg(long, default_value_t = 0)]
    test_size: usize,
    /// Stop when the eval loss has not improved by this much for `--patience` epochs.
    #[arg(long)]
    min_delta: Option<f64>,
    /// Epochs without improvement that EarlyStopping waits (with `--min-delta`).
    #[arg(long, default_value_t = 0)]
    patience: usize,
    /// Drop every sample of digit 3 (RemoveIf without replacement): epochs of filtered batches.
    #[arg(long)]
    filter: bool,
    /// Train on a grouped dataset (a BatchDataset whose items are whole batches, half from each
    /// half of the training data).
    #[arg(long)]
    grouped: bool,
    /// Seed for data, shuffling and initialisation.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The optimizer (`adam`, `sgd`, ...).
    #[arg(long, default_value = "adam")]
    optimizer: String,
    /// Print train progress every N steps.
    #[arg(long, default_value_t = 5)]
    log_steps: u64,
    /// Checkpoint after every epoch into this folder, and resume from it.
    #[arg(long)]
    restore_dir: Option<PathBuf>,
    /// Keep the best model (lowest eval loss) here, and load it at the end (BestModelSaver,
    /// which runs on rank 0 alone).
    #[arg(long)]
    save_best: Option<PathBuf>,
    /// Every rank writes `rank<R>.json` here after training.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Simulate a lost machine: this rank kills itself (SIGKILL) ...
    #[arg(long)]
    crash_rank: Option<usize>,
    /// ... at this global training step.
    #[arg(long)]
    crash_step: Option<u64>,
}

/// Counts the batches this rank ran in each mode, and kills the process at `crash` (rank, step).
struct StepCounter {
    io: OpIo,
    steps: BTreeMap<String, usize>,
    crash: Option<(usize, u64)>,
}

impl HasIo for StepCounter {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl Trace for StepCounter {
    fn name(&self) -> String {
        "StepCounter".into()
    }

    fn on_batch_end(&mut self, _data: &mut Data, system: &mut System) -> fe::Result<()> {
        *self.steps.entry(system.mode.to_string()).or_default() += 1;
        if let Some((rank, step)) = self.crash {
            if system.mode == Mode::Train && fe::distributed::rank() == rank && system.global_step == step {
                // SAFETY: sends SIGKILL to this very process, as a lost machine would end.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            }
        }
        Ok(())
    }
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("data_parallel (rank {}): {e}", fe::distributed::rank());
        std::process::exit(1);
    }
}

fn run(args: Args) -> fe::Result<()> {
    fe::enable_deterministic(args.seed);
    let cfg = SyntheticDigitsConfig {
        train_size: args.train_size,
        eval_size: args.eval_size,
        test_size: args.test_size,
        seed: args.seed,
    };
    let (train, eval, test) = synthetic_digits::load_data(&cfg)?;
    let mut pipeline = if args.grouped {
        // Each item: half a batch from each half of the training data.
        let mut first = train;
        let second = first.split(0.5, Some(args.seed), None)?;
        let half = args.batch_size / 2;
        let items = BatchDataset::new(
            vec![std::sync::Arc::new(first), std::sync::Arc::new(second)],
            vec![half, args.batch_size - half],
        )?;
        fe::Pipeline::builder().train_data(items)
    } else {
        fe::Pipeline::builder().train_data(train)
    };
    pipeline = pipeline.eval_data(eval);
    if args.test_size > 0 {
        pipeline = pipeline.test_data(test);
    }
    let mut ops: Vec<Box<dyn NumpyOp>> = Vec::new();
    if args.filter {
        let is_three = |v: &[Value]| Ok(v[0].to_f64().ok_or("numeric label")?.sum() == 3.0);
        ops.push(Box::new(RemoveIf::new("y", is_three).replacement(false)));
    }
    ops.push(Box::new(ExpandDims::new("x", "x").axis(0)));
    ops.push(Box::new(Minmax::new("x", "x")));
    let pipeline = pipeline.batch_size(args.batch_size).ops(ops).num_process(1).build()?;
    let model = fe::build(|p| LeNet::new(p, [1, 28, 28], 10), args.optimizer.as_str())?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    let counter = StepCounter {
        io: OpIo::new((), ()).with_default_mode("train,eval,test"),
        steps: BTreeMap::new(),
        crash: args.crash_rank.zip(args.crash_step),
    };
    let mut traces: Vec<Box<dyn Trace>> =
        vec![Box::new(Accuracy::new("y", "y_pred")), Box::new(F1Score::new("y", "y_pred")), Box::new(counter)];
    if let Some(delta) = args.min_delta {
        traces.push(Box::new(EarlyStopping::new("ce").min_delta(delta).patience(args.patience)));
    }
    if let Some(dir) = &args.save_best {
        traces.push(Box::new(BestModelSaver::new(&model, dir).load_best_final(true)));
    }
    if let Some(dir) = &args.restore_dir {
        traces.push(Box::new(RestoreWizard::new(dir, 1)?));
    }
    let mut estimator = fe::Estimator::builder(pipeline, network, args.epochs)
        .traces(traces)
        .log_steps(args.log_steps)
        .no_history()
        .build()?;
    let mut summary = estimator.fit()?;
    if args.test_size > 0 {
        summary.history.extend(estimator.test()?.history);
    }
    if let Some(dir) = &args.report {
        let counter = estimator.traces().iter().find_map(|t| t.downcast_ref::<StepCounter>());
        let weights: BTreeMap<String, Vec<f32>> = model
            .variables()
            .into_iter()
            .map(|(name, t)| {
                Ok((name, Vec::<f32>::try_from(t.flatten(0, -1)).map_err(|e| fe::FeError::torch("weights", e))?))
            })
            .collect::<fe::Result<_>>()?;
        let report = serde_json::json!({
            "rank": fe::distributed::rank(),
            "world_size": fe::distributed::world_size(),
            "steps": counter.map(|c| c.steps.clone()).unwrap_or_default(),
            "history": summary.history,
            "weights": weights,
        });
        std::fs::create_dir_all(dir).map_err(|e| fe::FeError::io("cannot create", dir, e))?;
        let path = dir.join(format!("rank{}.json", fe::distributed::rank()));
        std::fs::write(&path, report.to_string()).map_err(|e| fe::FeError::io("cannot write", &path, e))?;
    }
    Ok(())
}
