//! `fastestimator logs`: compare runs from their logs (FE's `fastestimator logs`). Reads FE
//! console logs (captured stdout) from folders or files and writes the charts as PNG, SVG and
//! a self-contained interactive HTML page.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use fastestimator as fe;
use fe::summary::{parse_log_dir, parse_log_file, visualize_logs, LogPlotOptions, Summary};

/// Options of `fastestimator logs`.
#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Log folders and/or log files.
    #[arg(required = true, value_name = "DIR|FILE")]
    paths: Vec<PathBuf>,
    /// The extension of the log files read from a folder.
    #[arg(long, default_value = ".txt", value_name = "EXT")]
    extension: String,
    /// Also read log files in sub-folders.
    #[arg(long)]
    recursive: bool,
    /// Metrics to leave out (`epoch` always is).
    #[arg(long, num_args = 1.., value_name = "METRIC", conflicts_with = "include")]
    ignore: Vec<String>,
    /// Only these metrics.
    #[arg(long, num_args = 1.., value_name = "METRIC")]
    include: Vec<String>,
    /// The σ of the Gaussian smoothing of each line, in points (0: none).
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    smooth: f64,
    /// Clean up metric names for the chart titles (`max_accuracy` → `Max Accuracy`).
    #[arg(long, alias = "pretty_names")]
    pretty_names: bool,
    /// Average runs whose names (file names without extension) give the same match of REGEX
    /// (its first group, if any) into a line with a ±std band; `_n` groups `name_1`, `name_2`.
    #[arg(long, alias = "group_by", value_name = "REGEX|_n")]
    group_by: Option<String>,
    /// Write the charts into DIR; `--save` alone writes them beside the (first) logs. Without
    /// `--save` they go into the current directory.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    save: Option<Option<PathBuf>>,
}

/// Run `fastestimator logs`, printing the files written.
pub fn run(args: &LogsArgs) -> fe::Result<()> {
    run_to(args, &mut std::io::stdout().lock())
}

/// Run `fastestimator logs`, writing the paths of the files it wrote to `out`.
pub fn run_to(args: &LogsArgs, out: &mut impl Write) -> fe::Result<()> {
    let runs = read_logs(args)?;
    let mut options = LogPlotOptions::new()
        .smooth_factor(args.smooth)
        .pretty_names(args.pretty_names)
        .ignore_metrics(args.ignore.iter().cloned())
        .include_metrics(args.include.iter().cloned());
    if let Some(pattern) = &args.group_by {
        options = options.group_by(pattern.clone());
    }
    let files = visualize_logs(&runs, save_dir(args), &options)?;
    for path in [&files.png, &files.svg, &files.html] {
        writeln!(out, "{}", path.display()).map_err(|e| fe::FeError::io("cannot write to", "stdout", e))?;
    }
    Ok(())
}

/// Every run named on the command line: each file, and each log file in each folder.
fn read_logs(args: &LogsArgs) -> fe::Result<Vec<Summary>> {
    let mut runs = Vec::new();
    for path in &args.paths {
        if path.is_dir() {
            let found = parse_log_dir(path, &args.extension, args.recursive)?;
            if found.is_empty() {
                return Err(fe::FeError::InvalidValue {
                    consumer: "fastestimator logs".into(),
                    key: path.display().to_string(),
                    reason: format!(
                        "no log files ending in {} in this folder{}",
                        args.extension,
                        if args.recursive { " or below it" } else { " (--recursive searches sub-folders)" }
                    ),
                });
            }
            runs.extend(found);
        } else {
            runs.push(parse_log_file(path)?);
        }
    }
    Ok(runs)
}

/// Where the charts go: `--save DIR`, the (first) log folder for a bare `--save`, else the
/// current directory.
fn save_dir(args: &LogsArgs) -> PathBuf {
    let first = args.paths.first().map(PathBuf::as_path).unwrap_or(Path::new("."));
    chart_dir(&args.save, first)
}

/// Where a command's charts go: `--save DIR`; for a bare `--save`, the folder `input` is (a
/// folder) or is in (a file); without `--save`, the current directory.
pub(crate) fn chart_dir(save: &Option<Option<PathBuf>>, input: &Path) -> PathBuf {
    match save {
        Some(Some(dir)) => dir.clone(),
        Some(None) => {
            let dir = if input.is_dir() { input } else { input.parent().unwrap_or(Path::new(".")) };
            if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir.to_path_buf()
            }
        }
        None => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        logs: LogsArgs,
    }

    fn parse(args: &[&str]) -> LogsArgs {
        Cli::try_parse_from(std::iter::once("logs").chain(args.iter().copied())).unwrap().logs
    }

    /// Three runs of FE's log format: two repeats of `a` and one `b`.
    fn write_logs(dir: &Path) {
        for (name, scale) in [("a_1", 1.0), ("a_2", 1.2), ("b_1", 0.7)] {
            let mut text = String::from("FastEstimator-Start: step: 1; logging_interval: 10; num_device: 0;\n");
            for step in (10..=50).step_by(10) {
                let ce = scale * 2.0 / f64::from(step);
                text.push_str(&format!("FastEstimator-Train: step: {step}; ce: {ce}; steps/sec: 50.0;\n"));
            }
            for (epoch, step) in [(1, 25), (2, 50)] {
                let acc = 0.5 + 0.1 * f64::from(epoch) * scale;
                text.push_str(&format!(
                    "FastEstimator-Eval: step: {step}; epoch: {epoch}; ce: {}; accuracy: {acc};\n",
                    scale
                ));
            }
            std::fs::write(dir.join(format!("{name}.txt")), text).unwrap();
        }
        std::fs::write(dir.join("notes.md"), "not a log").unwrap();
    }

    fn run_lines(args: &LogsArgs) -> Vec<PathBuf> {
        let mut out = Vec::new();
        run_to(args, &mut out).unwrap();
        String::from_utf8(out).unwrap().lines().map(PathBuf::from).collect()
    }

    #[test]
    fn writes_png_svg_and_html_into_the_save_folder() {
        let logs = tempfile::tempdir().unwrap();
        write_logs(logs.path());
        let out_dir = logs.path().join("charts");
        let args = parse(&[
            logs.path().to_str().unwrap(),
            "--smooth",
            "0",
            "--pretty-names",
            "--group-by",
            "_n",
            "--ignore",
            "steps/sec",
            "--save",
            out_dir.to_str().unwrap(),
        ]);
        let files = run_lines(&args);
        let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["logs.png", "logs.svg", "logs.html"]);
        assert!(files.iter().all(|p| p.starts_with(&out_dir) && p.is_file()));
        let html = std::fs::read_to_string(&files[2]).unwrap();
        // a_1 and a_2 average into `a`; b_1, alone in its group, keeps its name.
        assert!(html.contains("\"a (train)\"") && html.contains("\"b_1 (eval)\""), "grouped by _n");
        assert!(html.contains("\"Accuracy\"") && !html.contains("steps/sec"));
        let svg = std::fs::read_to_string(&files[1]).unwrap();
        assert!(svg.contains("a (train)") && svg.contains("b_1 (eval)"));
        assert!(std::fs::read(&files[0]).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn bare_save_writes_beside_the_logs() {
        let logs = tempfile::tempdir().unwrap();
        write_logs(logs.path());
        let file = logs.path().join("b_1.txt");
        let args = parse(&[file.to_str().unwrap(), "--include", "ce", "--save"]);
        assert_eq!(save_dir(&args), logs.path());
        let files = run_lines(&args);
        assert!(files.iter().all(|p| p.parent() == Some(logs.path())));
        let html = std::fs::read_to_string(&files[2]).unwrap();
        assert!(html.contains("\"ce\"") && !html.contains("\"accuracy\""));
        assert_eq!(save_dir(&parse(&["x"])), PathBuf::from("."));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let logs = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        let err = run_to(&parse(&[logs.path().to_str().unwrap()]), &mut out).unwrap_err();
        assert!(err.to_string().contains("no log files ending in .txt"), "{err}");
        let err = run_to(&parse(&[logs.path().join("missing.txt").to_str().unwrap()]), &mut out).unwrap_err();
        assert!(err.to_string().contains("missing.txt"), "{err}");
        write_logs(logs.path());
        let err = run_to(&parse(&[logs.path().to_str().unwrap(), "--smooth=-1"]), &mut out).unwrap_err();
        assert!(err.to_string().contains("smooth_factor"), "{err}");
        let err = run_to(&parse(&[logs.path().to_str().unwrap(), "--group-by", "("]), &mut out).unwrap_err();
        assert!(err.to_string().contains("regular expression"), "{err}");
        assert!(Cli::try_parse_from(["logs", "x", "--ignore", "a", "--include", "b"]).is_err());
        assert!(out.is_empty());
    }
}
