//! The experiment history: every fit() and test() lands in a real SQLite database, several
//! processes record at once without losing a run, a killed run shows as unfinished, and a
//! broken database never stops training.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fastestimator as fe;
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::output::{self, Channel};
use fe::summary::history::{HistoryQuery, HistoryReader, RunStatus};
use fe::trace::metric::Accuracy;

use crate::training::{digits_pipeline, lenet_network};

/// A tiny LeNet run (train, eval and test data) recorded into `db`.
fn small_estimator(db: &Path, epochs: usize, log_steps: u64) -> fe::Estimator {
    let pipeline = digits_pipeline(32, 16, 16, 16, Some(1));
    let (network, _model) = lenet_network("adam");
    fe::Estimator::builder(pipeline, network, epochs)
        .traces(vec![Box::new(Accuracy::new("y", "y_pred"))])
        .log_steps(log_steps)
        .experiment_name("history_test")
        .hyperparameter("lr", 1e-3)
        .hyperparameter("optimizer", "adam")
        .history_db(db)
        .build()
        .unwrap()
}

fn quiet<R>(f: impl FnOnce() -> R) -> R {
    output::with_sink(output::silent, f)
}

#[test]
fn fit_and_test_are_recorded_with_their_descriptions_log_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested").join("history.db");
    let mut est = small_estimator(&db, 1, 1);
    let summary = quiet(|| est.fit()).unwrap();
    assert_eq!(summary.name, "history_test");
    quiet(|| est.test()).unwrap();

    let reader = HistoryReader::open(&db).unwrap();
    let all = HistoryQuery {
        args: true,
        features: true,
        hyperparameters: true,
        datasets: true,
        pipeline: true,
        network: true,
        traces: true,
        metrics: true,
        ..Default::default()
    };
    let table = reader.runs(&all).unwrap();
    assert_eq!(table.rows.len(), 2, "{table:?}");
    assert_eq!(table.column("kind").unwrap(), ["test", "fit"]);
    assert_eq!(table.column("status").unwrap(), ["Completed", "Completed"]);
    assert_eq!(table.column("experiment").unwrap(), ["history_test", "history_test"]);
    let fit_row = |col: &str| table.column(col).unwrap()[1].to_string();
    assert!(fit_row("hyperparameters").contains("lr=0.001"), "{}", fit_row("hyperparameters"));
    assert!(fit_row("hyperparameters").contains("optimizer=\"adam\""));
    let datasets = fit_row("datasets");
    assert!(datasets.contains("(train, 32)") && datasets.contains("(eval, 16)"), "{datasets}");
    assert!(
        fit_row("pipeline").contains("ExpandDims") && fit_row("pipeline").contains("Minmax"),
        "{}",
        fit_row("pipeline")
    );
    assert!(
        fit_row("network").contains("ModelOp") && fit_row("network").contains("UpdateOp"),
        "{}",
        fit_row("network")
    );
    assert!(fit_row("traces").contains("Accuracy") && fit_row("traces").contains("Logger"), "{}", fit_row("traces"));
    let metrics = fit_row("metrics");
    assert!(metrics.contains("eval accuracy: ") && metrics.contains("train ce: "), "{metrics}");
    let eval_acc = summary.last(fe::Mode::Eval, "accuracy").unwrap();
    assert!(metrics.contains(&format!("eval accuracy: {eval_acc}")), "{metrics} vs {eval_acc}");
    assert!(!fit_row("train_end").is_empty());

    let pk: i64 = fit_row("pk").parse().unwrap();
    let log = reader.log(pk).unwrap().unwrap();
    assert!(log.contains("FastEstimator-Train: step: 1; ce: "), "{log}");
    assert!(log.contains("FastEstimator-Finish: step: 2;"), "{log}");
    assert_eq!(reader.error(pk).unwrap(), None);
}

#[test]
fn a_failed_run_is_recorded_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let model = fe::build(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam").unwrap();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "label"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    let mut est =
        fe::Estimator::builder(digits_pipeline(32, 0, 0, 16, Some(1)), network, 1).history_db(&db).build().unwrap();
    let err = quiet(|| est.fit()).unwrap_err();
    assert!(matches!(err, fe::FeError::MissingKey { .. }), "{err}");

    let reader = HistoryReader::open(&db).unwrap();
    let table = reader.runs(&HistoryQuery { errors: true, ..Default::default() }).unwrap();
    assert_eq!(table.column("status").unwrap(), ["Failed"]);
    assert_eq!(table.column("error").unwrap(), ["MissingKey"]);
    assert!(table.column("message").unwrap()[0].contains("label"), "{table:?}");
}

/// Runs `f` and returns the Notice lines it emitted.
fn notices(f: impl FnOnce()) -> Vec<String> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    output::with_sink(
        move |c, l| {
            if c == Channel::Notice {
                sink.lock().unwrap().push(l.to_string())
            }
        },
        f,
    );
    let lines = lines.lock().unwrap().clone();
    lines
}

#[test]
fn a_corrupt_database_warns_once_and_training_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let garbage = b"this is not a sqlite database, just some bytes that a crash left behind....".repeat(20);
    std::fs::write(&db, &garbage).unwrap();
    let warnings = notices(|| {
        for _ in 0..2 {
            let mut est = small_estimator(&db, 1, 0);
            est.fit().unwrap();
        }
    });
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("without experiment history") && warnings[0].contains("history.db"), "{warnings:?}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage, "the damaged file must be left as it was");
    let err = HistoryReader::open(&db).err().unwrap();
    assert!(matches!(err, fe::FeError::History { .. }), "{err}");
}

#[test]
fn a_database_from_a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    HistoryReader::open(&db).unwrap().sql("UPDATE settings SET schema_version = 99").unwrap();
    let warnings = notices(|| small_estimator(&db, 1, 0).fit().map(|_| ()).unwrap());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("schema version is 99"), "{warnings:?}");
    let err = HistoryReader::open(&db).err().unwrap().to_string();
    assert!(err.contains("newer fastestimator-rs"), "{err}");
    // Nothing was added: the newer schema is read with plain SQLite.
    let conn = rusqlite_count(&db);
    assert_eq!(conn, 0);
}

/// The number of runs in `db`, read without the library's version check.
fn rusqlite_count(db: &Path) -> i64 {
    let out = Command::new("python3")
        .args(["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from history').fetchone()[0])"])
        .arg(db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn retention_keeps_the_newest_runs_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let settings = HistoryReader::open(&db).unwrap().update_settings(Some(2), Some(5)).unwrap();
    assert_eq!((settings.n_keep, settings.n_keep_logs), (2, 2), "n_keep_logs is capped at n_keep");
    HistoryReader::open(&db).unwrap().update_settings(None, Some(1)).unwrap();
    for _ in 0..3 {
        quiet(|| small_estimator(&db, 1, 1).fit()).unwrap();
    }
    let reader = HistoryReader::open(&db).unwrap();
    let pks: Vec<i64> = reader
        .runs(&HistoryQuery::default())
        .unwrap()
        .column("pk")
        .unwrap()
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pks, [3, 2]);
    assert!(reader.log(3).unwrap().is_some_and(|l| l.contains("FastEstimator-Train")));
    assert_eq!(reader.log(2).unwrap(), None, "only the newest run keeps its log");
    assert_eq!(reader.delete(1).unwrap(), 1);
    assert_eq!(reader.sql("SELECT pk FROM history").unwrap().rows, [["3"]]);
    assert_eq!(reader.sql("SELECT count(*) FROM datasets").unwrap().rows, [["3"]], "children go with their run");
}

const CHILD_DB: &str = "FE_HISTORY_TEST_CHILD_DB";
const CHILD_EPOCHS: &str = "FE_HISTORY_TEST_CHILD_EPOCHS";

/// Runs only as a child of the tests below: `fit()` three times (or once, long) into the
/// parent's database.
#[test]
fn history_child() {
    let Ok(db) = std::env::var(CHILD_DB) else { return };
    let epochs: usize = std::env::var(CHILD_EPOCHS).ok().and_then(|e| e.parse().ok()).unwrap_or(1);
    fe::runtime::set_num_threads(1);
    let runs = if epochs > 1 { 1 } else { 3 };
    for _ in 0..runs {
        let mut est = small_estimator(Path::new(&db), epochs, 1);
        est.fit().unwrap();
    }
}

fn spawn_child(db: &Path, epochs: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "history::history_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, db)
        .env(CHILD_EPOCHS, epochs.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn four_processes_record_at_once_without_losing_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let children: Vec<_> = (0..4).map(|_| spawn_child(&db, 1)).collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child failed (a lock error would fail its fit's history)");
    }
    let reader = HistoryReader::open(&db).unwrap();
    let table = reader.runs(&HistoryQuery { limit: 100, ..Default::default() }).unwrap();
    assert_eq!(table.rows.len(), 12, "{table:?}");
    assert!(table.column("status").unwrap().iter().all(|s| *s == "Completed"), "{table:?}");
    for pk in table.column("pk").unwrap() {
        let log = reader.log(pk.parse().unwrap()).unwrap().unwrap();
        assert!(log.contains("FastEstimator-Finish"), "run {pk} lost its log: {log}");
    }
    assert_eq!(reader.sql("SELECT count(DISTINCT pid) FROM history").unwrap().rows, [["4"]]);
}

#[test]
fn a_run_killed_with_sigkill_shows_as_unfinished() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut child = spawn_child(&db, 1000);
    // Wait until the run is recorded and its log holds some train lines.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "the child never logged a training step");
        assert!(child.try_wait().unwrap().is_none(), "the child ended before it was killed");
        let logged = HistoryReader::open(&db)
            .ok()
            .and_then(|r| r.log(1).ok().flatten())
            .is_some_and(|log| log.matches("FastEstimator-Train").count() >= 3);
        if logged {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let reader = HistoryReader::open(&db).unwrap();
    let table = reader.runs(&HistoryQuery::default()).unwrap();
    assert_eq!(table.column("status").unwrap(), [RunStatus::Unfinished.as_str()]);
    assert_eq!(table.column("train_end").unwrap(), [""]);
    assert!(reader.log(1).unwrap().unwrap().contains("FastEstimator-Train: step: 1;"));
}

/// A LeNet run with a RestoreWizard in `wizard`, recorded into `db`.
fn resumable(db: &Path, wizard: &Path, epochs: usize) -> fe::Estimator {
    let model = fe::build_named(|p| fe::architecture::LeNet::new(p, [1, 28, 28], 10), "adam", "resumed_model").unwrap();
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce")),
        Box::new(UpdateOp::new(&model, "ce")),
    ])
    .unwrap();
    fe::Estimator::builder(digits_pipeline(32, 16, 0, 16, Some(1)), network, epochs)
        .traces(vec![Box::new(fe::trace::io::RestoreWizard::new(wizard, 1).unwrap())])
        .log_steps(1)
        .history_db(db)
        .build()
        .unwrap()
}

#[test]
fn a_resumed_run_continues_its_row_with_a_restart_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (db, wizard) = (dir.path().join("history.db"), dir.path().join("wizard"));
    quiet(|| resumable(&db, &wizard, 1).fit()).unwrap();
    // Another run in between, so the resumed one is not simply the newest row.
    quiet(|| small_estimator(&db, 1, 0).fit()).unwrap();
    quiet(|| resumable(&db, &wizard, 2).fit()).unwrap();

    let reader = HistoryReader::open(&db).unwrap();
    let table = reader.runs(&HistoryQuery { metrics: true, ..Default::default() }).unwrap();
    assert_eq!(table.column("pk").unwrap(), ["2", "1"], "{table:?}");
    assert_eq!(table.column("n_restarts").unwrap(), ["0", "1"]);
    assert_eq!(table.column("status").unwrap(), ["Completed", "Completed"]);
    let metrics = table.column("metrics").unwrap()[1];
    assert_eq!(metrics.matches("train ce: ").count(), 1, "the earlier end is replaced: {metrics}");
    let log = reader.log(1).unwrap().unwrap();
    assert!(log.contains("FastEstimator-RestoreWizard: Restored from"), "{log}");
    assert!(log.contains("FastEstimator-Finish: step: 2;") && log.contains("FastEstimator-Finish: step: 4;"), "{log}");
}
