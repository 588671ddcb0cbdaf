//! `fastestimator history`: the experiment history that every `fit()` and `test()` records
//! (FE's `fastestimator history`, with its `sql`, `clear` and `settings` sub-commands, plus
//! `log` and `error` to read one run's captured log or error).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use fastestimator as fe;
use fe::summary::history::{default_history_path, HistoryQuery, HistoryReader, HistoryTable};

/// Options of `fastestimator history`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    /// The database (default: ~/fastestimator_data/history.db, or $FE_HISTORY_DB).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Print CSV instead of a table.
    #[arg(long, global = true)]
    csv: bool,
    #[command(subcommand)]
    action: Option<HistoryAction>,
    #[command(flatten)]
    list: ListArgs,
}

/// The columns of the run list.
#[derive(Args, Debug, Default)]
struct ListArgs {
    /// How many of the newest runs to show.
    #[arg(long, default_value_t = 15)]
    limit: usize,
    /// Show the command-line arguments.
    #[arg(long)]
    args: bool,
    /// Show only runs that did not complete, with their errors.
    #[arg(long)]
    errors: bool,
    /// Show the features in use (Deterministic, MixedPrecision).
    #[arg(long)]
    features: bool,
    /// Show the hyperparameters.
    #[arg(long)]
    hyperparameters: bool,
    /// Show the datasets.
    #[arg(long)]
    datasets: bool,
    /// Show the pipeline ops.
    #[arg(long)]
    pipeline: bool,
    /// Show the network ops.
    #[arg(long)]
    network: bool,
    /// Show the traces.
    #[arg(long)]
    traces: bool,
    /// Show the final metrics.
    #[arg(long)]
    metrics: bool,
}

#[derive(Subcommand, Debug)]
enum HistoryAction {
    /// Run an SQL query against the database (tables: history, features, hyperparameters,
    /// datasets, pipeline, network, traces, errors, logs, metrics, settings).
    Sql {
        /// The query, e.g. "SELECT experiment, status FROM history".
        query: Vec<String>,
    },
    /// Keep only the newest runs, deleting the rest.
    Clear {
        /// How many runs to keep.
        #[arg(default_value_t = 20)]
        keep: u64,
    },
    /// Show or change the retention settings, applied when each run ends.
    Settings {
        /// How many runs to keep.
        #[arg(long)]
        keep: Option<u64>,
        /// How many runs keep their captured log (at most --keep).
        #[arg(long)]
        keep_logs: Option<u64>,
    },
    /// Print the captured log of a run (its pk, as the list shows it).
    Log {
        /// The run's pk.
        pk: i64,
    },
    /// Print the error that ended a run.
    Error {
        /// The run's pk.
        pk: i64,
    },
}

/// Run `fastestimator history`, writing to standard output.
pub fn run(args: &HistoryArgs) -> Result<(), Box<dyn std::error::Error>> {
    run_to(args, &mut std::io::stdout().lock())
}

fn run_to(args: &HistoryArgs, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let path = args.db.clone().unwrap_or_else(default_history_path);
    // A database named on the command line must exist: a typo would otherwise create an empty one.
    if args.db.is_some() && !path.exists() {
        return Err(format!(
            "no history database at {} (runs record into {} by default)",
            path.display(),
            default_history_path().display()
        )
        .into());
    }
    let reader = HistoryReader::open(&path)?;
    match &args.action {
        None => {
            let l = &args.list;
            let query = HistoryQuery {
                limit: l.limit,
                args: l.args,
                errors: l.errors,
                features: l.features,
                hyperparameters: l.hyperparameters,
                datasets: l.datasets,
                pipeline: l.pipeline,
                network: l.network,
                traces: l.traces,
                metrics: l.metrics,
            };
            print_table(&reader.runs(&query)?, args.csv, out)?;
        }
        Some(HistoryAction::Sql { query }) => print_table(&reader.sql(&query.join(" "))?, args.csv, out)?,
        Some(HistoryAction::Clear { keep }) => {
            let deleted = reader.delete(*keep)?;
            writeln!(out, "deleted {deleted} run(s); kept the newest {keep}")?;
        }
        Some(HistoryAction::Settings { keep, keep_logs }) => {
            let s = if keep.is_some() || keep_logs.is_some() {
                reader.update_settings(*keep, *keep_logs)?
            } else {
                reader.settings()?
            };
            let table = HistoryTable {
                columns: vec!["n_keep".into(), "n_keep_logs".into()],
                rows: vec![vec![s.n_keep.to_string(), s.n_keep_logs.to_string()]],
            };
            print_table(&table, args.csv, out)?;
        }
        Some(HistoryAction::Log { pk }) => match reader.log(*pk)? {
            Some(log) => write!(out, "{log}")?,
            None => {
                return Err(format!("run {pk} has no log in {} (deleted, or kept logs exceeded)", path.display()).into())
            }
        },
        Some(HistoryAction::Error { pk }) => match reader.error(*pk)? {
            Some((kind, message)) => writeln!(out, "{kind}: {message}")?,
            None => writeln!(out, "run {pk} has no recorded error")?,
        },
    }
    Ok(())
}

fn print_table(table: &HistoryTable, csv: bool, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    if csv {
        let mut writer = ::csv::Writer::from_writer(out);
        writer.write_record(&table.columns)?;
        for row in &table.rows {
            writer.write_record(row)?;
        }
        writer.flush()?;
        return Ok(());
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(&table.columns);
    // On a terminal, wrap cells to its width; into a pipe or file, keep every row on one line.
    if t.width().is_some() {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    }
    for row in &table.rows {
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use fe::summary::history::{HistoryRecorder, RunRecord, RunStatus};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        history: HistoryArgs,
    }

    fn run_cli(args: &[&str]) -> String {
        let cli = Cli::try_parse_from(std::iter::once("history").chain(args.iter().copied())).unwrap();
        let mut out = Vec::new();
        run_to(&cli.history, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_missing_database_named_on_the_command_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nope.db");
        let cli = Cli::try_parse_from(["history", "--db", db.to_str().unwrap()]).unwrap();
        let err = run_to(&cli.history, &mut Vec::new()).unwrap_err().to_string();
        assert!(err.contains("no history database at") && err.contains("nope.db"), "{err}");
        assert!(!db.exists(), "nothing is created");
        assert!(Cli::try_parse_from(["history", "--limit", "x"]).is_err());
    }

    #[test]
    fn lists_queries_and_trims_recorded_runs() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("h.db");
        let db_arg = db.to_str().unwrap();
        for (name, status) in [("first", RunStatus::Completed), ("second", RunStatus::Failed)] {
            let record = RunRecord {
                file: "job".into(),
                experiment: Some(name.into()),
                kind: "fit".into(),
                pipeline: vec!["Minmax".into()],
                ..Default::default()
            };
            let recorder = HistoryRecorder::start(&db, &record).unwrap();
            fe::output::with_tap(recorder.log_tap(), || {
                fe::output::with_sink(fe::output::silent, || fe::output::log(&format!("hello from {name}")))
            });
            let error = (status == RunStatus::Failed).then(|| ("Torch".to_string(), "boom".to_string()));
            recorder.finish(status, error, None).unwrap();
        }
        let list = run_cli(&["--db", db_arg, "--pipeline"]);
        assert!(list.contains("first") && list.contains("second") && list.contains("Minmax"), "{list}");
        let errors = run_cli(&["--db", db_arg, "--errors", "--csv"]);
        let lines: Vec<&str> = errors.lines().collect();
        assert_eq!(lines.len(), 2, "{errors}");
        assert!(lines[1].contains("second") && lines[1].contains("Torch") && lines[1].contains("boom"), "{errors}");
        assert_eq!(run_cli(&["log", "1", "--db", db_arg]), "hello from first\n");
        assert_eq!(run_cli(&["error", "2", "--db", db_arg]), "Torch: boom\n");
        let sql =
            run_cli(&["sql", "SELECT", "experiment", "FROM", "history", "ORDER", "BY", "pk", "--db", db_arg, "--csv"]);
        assert_eq!(sql, "experiment\nfirst\nsecond\n");
        let settings = run_cli(&["settings", "--keep", "10", "--keep-logs", "3", "--db", db_arg, "--csv"]);
        assert_eq!(settings, "n_keep,n_keep_logs\n10,3\n");
        assert_eq!(run_cli(&["clear", "1", "--db", db_arg]), "deleted 1 run(s); kept the newest 1\n");
        assert_eq!(
            run_cli(&["sql", "SELECT experiment FROM history", "--db", db_arg, "--csv"]),
            "experiment\nsecond\n"
        );
    }
}
