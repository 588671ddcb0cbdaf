//! Hyperparameter search on FE's tabular DNN (apphub `tabular/dnn`) with the real Breast Cancer
//! Wisconsin data: a [`GridSearch`] over the learning rate and the batch size, evaluated by
//! worker processes side by side, then a [`GoldenSection`] search over the number of epochs at
//! the best learning rate and batch size. Each trial trains from the same seed and reports the
//! eval accuracy and cross-entropy of its last epoch; the grid keeps the best accuracy, the
//! golden-section search the lowest cross-entropy. Both searches are drawn (a heatmap and a
//! line), as PNG and interactive HTML, and recorded in the experiment history.
//!
//! The searches save into `--save_dir` after every trial: run the same command again after an
//! interruption and they continue where they stopped, evaluating nothing twice.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example search_lr -- --offline
//! ./fe cargo run --release -p fastestimator --example search_lr -- --n_jobs 1 --save_dir /tmp/search_lr
//! ```
//!
//! The data is read from `<root_dir>/breast_cancer/breast_cancer.csv` (default root
//! `~/fastestimator_data`; downloaded where the internet is reachable, see the tabular example).

use std::path::PathBuf;

use clap::Parser;
use fastestimator as fe;
use fe::dataset::data::breast_cancer::BreastCancer;
use fe::search::{visualize_search, BestMode, GoldenSection, GridSearch, Params, SearchPlotOptions};

#[allow(dead_code)]
#[path = "tabular.rs"]
mod tabular;

/// The search's options.
#[derive(Parser, Debug)]
#[command(
    rename_all = "snake_case",
    about = "Grid search of the tabular DNN's learning rate and batch size, then a golden-section search of its epochs"
)]
struct Args {
    /// The folder holding `breast_cancer/breast_cancer.csv` (default `~/fastestimator_data`).
    #[arg(long)]
    root_dir: Option<PathBuf>,
    /// Never download the CSV.
    #[arg(long)]
    offline: bool,
    /// Where the searches save (`grid_search.json`, `golden_section_search.json`), the trials'
    /// best models and the plots (default: `fe_search_lr` in the temporary folder).
    #[arg(long)]
    save_dir: Option<PathBuf>,
    /// The learning rates of the grid.
    #[arg(long, num_args = 1.., default_values_t = [1e-4, 1e-3, 1e-2, 1e-1])]
    lr: Vec<f64>,
    /// The batch sizes of the grid.
    #[arg(long, num_args = 1.., default_values_t = [16, 32, 64])]
    batch_size: Vec<usize>,
    /// Grid points evaluated at once, each by a worker process.
    #[arg(long, default_value_t = 2)]
    n_jobs: usize,
    /// Training epochs of each grid point.
    #[arg(long, default_value_t = 8)]
    epochs: usize,
    /// The golden-section search's range of epochs is [1, max_epochs].
    #[arg(long, default_value_t = 40)]
    max_epochs: usize,
    /// Iterations of the golden-section search.
    #[arg(long, default_value_t = 5)]
    max_iter: usize,
    /// Seed of the split, the model and the pipeline (the same for every trial).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Train the DNN with `lr`, `batch_size` and `epochs`; the eval accuracy and cross-entropy of
/// the last epoch.
fn train(
    loader: &BreastCancer,
    args: &Args,
    lr: f64,
    batch_size: usize,
    epochs: usize,
    model_dir: PathBuf,
) -> fe::Result<[(&'static str, f64); 2]> {
    fe::enable_deterministic(args.seed);
    let data = tabular::prepare_data(loader, args.seed)?;
    let mut estimator = tabular::get_estimator(data, epochs, batch_size, 0, &model_dir)?;
    for model in estimator.network().models() {
        model.set_lr(lr)?;
    }
    // The trials' own lines stay out of the search's output (the history still records them).
    let summary = fe::output::with_sink(fe::output::silent, || estimator.fit())?;
    let last = |key: &str| summary.last(fe::Mode::Eval, key).unwrap_or(f64::NAN);
    Ok([("accuracy", last("accuracy")), ("ce", last("ce"))])
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> fe::Result<()> {
    let mut loader = BreastCancer::new().download(!args.offline);
    if let Some(root) = &args.root_dir {
        loader = loader.root_dir(root);
    }
    let save_dir = args.save_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("fe_search_lr"));
    let models = save_dir.join("models");
    let start = std::time::Instant::now();

    // 1. Learning rate × batch size, `n_jobs` trials at a time.
    let mut grid = GridSearch::new(|p: &Params, idx| {
        train(&loader, args, p.f64("lr")?, p.usize("batch_size")?, args.epochs, models.join(format!("grid_{idx}")))
    })
    .param("lr", args.lr.iter().copied())
    .param("batch_size", args.batch_size.iter().copied())
    .best_mode(BestMode::Max)
    .optimize_field("accuracy")
    .n_jobs(args.n_jobs);
    grid.fit(Some(&save_dir))?;
    let best = grid.get_best_results(None, None)?;
    fe::output::log(&format!(
        "Best of the grid: {}, result: {} ({:.1} s)",
        best.params_with_idx(),
        best.result,
        start.elapsed().as_secs_f64()
    ));
    let (lr, batch_size) = (best.params.f64("lr")?, best.params.usize("batch_size")?);

    // 2. Epochs at that learning rate and batch size (sequential: each point depends on the last).
    let golden_start = std::time::Instant::now();
    let mut golden =
        GoldenSection::new("epochs", 1.0, args.max_epochs as f64, args.max_iter, BestMode::Min, |p: &Params, idx| {
            train(&loader, args, lr, batch_size, p.usize("epochs")?, models.join(format!("golden_{idx}")))
        })?
        .optimize_field("ce");
    golden.fit(Some(&save_dir))?;
    let best_epochs = golden.get_best_results(None, None)?;
    fe::output::log(&format!(
        "Best number of epochs at lr {lr}, batch size {batch_size}: {}, result: {} ({:.1} s)",
        best_epochs.params_with_idx(),
        best_epochs.result,
        golden_start.elapsed().as_secs_f64()
    ));

    // 3. The plots: a heatmap of the grid, a line of the epochs.
    let plots = save_dir.join("plots");
    let grid_files = visualize_search(
        grid.state(),
        &plots,
        &SearchPlotOptions::new().title("Tabular DNN: learning rate × batch size"),
    )?;
    let golden_files = visualize_search(
        golden.state(),
        &plots,
        &SearchPlotOptions::new().title("Tabular DNN: epochs (golden section)"),
    )?;
    for path in [grid_files.png, grid_files.html, golden_files.png, golden_files.html] {
        fe::output::log(&format!("Plot: {}", path.display()));
    }
    fe::output::log(&format!("Total: {:.1} s", start.elapsed().as_secs_f64()));
    Ok(())
}
