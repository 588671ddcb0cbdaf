//! `fastestimator plot`: draw a saved hyperparameter search (FE's `fastestimator plot`). Reads
//! a search's JSON file (what `Search::save` and `fit(save_dir)` write, or FE's own) and writes
//! FE's chart of it as PNG and a self-contained interactive HTML page.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use fastestimator as fe;
use fe::search::{visualize_search, SearchPlotOptions, SearchState};

/// Options of `fastestimator plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// The search's JSON file (`<name>.json`).
    #[arg(value_name = "FILE")]
    path: PathBuf,
    /// Parameters or results to leave out.
    #[arg(long, num_args = 1.., value_name = "KEY")]
    ignore: Vec<String>,
    /// The chart's title (default: the search's name).
    #[arg(long)]
    title: Option<String>,
    /// Write the chart into DIR; `--save` alone writes it beside the file. Without `--save` it
    /// goes into the current directory.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    save: Option<Option<PathBuf>>,
}

/// Run `fastestimator plot`, printing the files written.
pub fn run(args: &PlotArgs) -> fe::Result<()> {
    run_to(args, &mut std::io::stdout().lock())
}

/// Run `fastestimator plot`, writing the paths of the files it wrote to `out`.
pub fn run_to(args: &PlotArgs, out: &mut impl Write) -> fe::Result<()> {
    let mut state = SearchState::load_file(&args.path)?;
    if state.name == "Search" {
        // FE's file without a name: call the chart after the file.
        if let Some(stem) = args.path.file_stem() {
            state.name = stem.to_string_lossy().into_owned();
        }
    }
    let mut options = SearchPlotOptions::new().ignore_keys(args.ignore.iter().cloned());
    if let Some(title) = &args.title {
        options = options.title(title.clone());
    }
    let files = visualize_search(&state, save_dir(args), &options)?;
    for path in [&files.png, &files.html] {
        writeln!(out, "{}", path.display()).map_err(|e| fe::FeError::io("cannot write to", "stdout", e))?;
    }
    Ok(())
}

/// Where the chart goes: `--save DIR`, the file's folder for a bare `--save`, else the current
/// directory.
fn save_dir(args: &PlotArgs) -> PathBuf {
    crate::logs::chart_dir(&args.save, &args.path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::Path;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        plot: PlotArgs,
    }

    fn parse(args: &[&str]) -> PlotArgs {
        Cli::try_parse_from(std::iter::once("plot").chain(args.iter().copied())).unwrap().plot
    }

    /// FE's file of a 2-parameter grid search with two results.
    fn write_search(dir: &Path) -> PathBuf {
        let mut summary = Vec::new();
        let mut idx = 0;
        for lr in [0.001, 0.01, 0.1] {
            for bs in [16, 32] {
                idx += 1;
                let acc = 0.9 - (lr - 0.01f64).abs() - f64::from(bs) / 1000.0;
                summary.push(serde_json::json!({"param": {"lr": lr, "bs": bs, "search_idx": idx}, "result": {"acc": acc, "loss": 1.0 - acc}}));
            }
        }
        let path = dir.join("grid_search.json");
        let body = serde_json::json!({"search_summary": summary, "name": "grid_search", "best_mode": "max"});
        std::fs::write(&path, body.to_string()).unwrap();
        path
    }

    #[test]
    fn draws_png_and_html_beside_the_file_or_into_the_save_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_search(dir.path());
        let mut out = Vec::new();
        run_to(&parse(&[file.to_str().unwrap(), "--save", "--title", "LR × batch", "--ignore", "loss"]), &mut out)
            .unwrap();
        let files: Vec<PathBuf> = String::from_utf8(out).unwrap().lines().map(PathBuf::from).collect();
        assert_eq!(files, [dir.path().join("grid_search.png"), dir.path().join("grid_search.html")]);
        assert!(std::fs::read(&files[0]).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
        let html = std::fs::read_to_string(&files[1]).unwrap();
        assert!(html.contains("LR × batch") && html.contains("results over two parameters") && !html.contains("loss"));

        let charts = dir.path().join("charts");
        let mut out = Vec::new();
        run_to(&parse(&[file.to_str().unwrap(), "--save", charts.to_str().unwrap()]), &mut out).unwrap();
        assert!(charts.join("grid_search.html").is_file());
        assert_eq!(save_dir(&parse(&["x.json"])), PathBuf::from("."));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        let missing = dir.path().join("missing.json");
        let err = run_to(&parse(&[missing.to_str().unwrap()]), &mut out).unwrap_err();
        assert!(err.to_string().contains("missing.json"), "{err}");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"search_summary\": 3}").unwrap();
        let err = run_to(&parse(&[bad.to_str().unwrap()]), &mut out).unwrap_err();
        assert!(err.to_string().contains("search_summary"), "{err}");
        let file = write_search(dir.path());
        let err = run_to(&parse(&[file.to_str().unwrap(), "--ignore", "acc", "loss"]), &mut out).unwrap_err();
        assert!(err.to_string().contains("no result"), "{err}");
        assert!(out.is_empty());
    }
}
