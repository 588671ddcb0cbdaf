//! Hyperparameter search end to end: a search killed with SIGKILL resumes without evaluating a
//! point twice and ends as an uninterrupted one; a parallel grid search (worker processes) gives
//! the sequential result, and a crashed worker is an error naming its point while the other
//! results are kept; every trial is recorded in the experiment history under the search's name.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fastestimator as fe;
use fe::search::{BestMode, GridSearch, Params, SearchState};
use fe::summary::history::{HistoryQuery, HistoryReader};

use crate::training::{digits_pipeline, lenet_network};

/// `dir|n_jobs|hang_at|crash_at`: what the child search does.
const CHILD_ENV: &str = "FE_SEARCH_TEST";

/// The search the child runs: a grid a∈{1,2,3} × b∈{4,5,6}, each evaluation appended to
/// `<dir>/evaluations.txt` when it ends. At `hang_at` the evaluation never ends; at `crash_at`
/// the (worker) process aborts.
fn run_child(spec: &str) {
    let parts: Vec<&str> = spec.split('|').collect();
    let dir = Path::new(parts[0]);
    let n_jobs: usize = parts[1].parse().unwrap();
    let hang_at: usize = parts[2].parse().unwrap();
    let crash_at: usize = parts[3].parse().unwrap();
    let log = dir.join("evaluations.txt");
    let mut search = GridSearch::new(|p: &Params, idx| {
        let (a, b) = (p.f64("a")?, p.f64("b")?);
        if idx == hang_at {
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        if idx == crash_at {
            std::process::abort();
        }
        std::thread::sleep(Duration::from_millis(30));
        // Workers run at once: append with one O_APPEND write, so no line is lost to a race.
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        std::io::Write::write_all(&mut file, format!("{a} {b}\n").as_bytes()).unwrap();
        Ok([("sum", a + b), ("ratio", a / b)])
    })
    .param("a", [1, 2, 3])
    .param("b", [4, 5, 6])
    .best_mode(BestMode::Max)
    .optimize_field("sum")
    .n_jobs(n_jobs);
    let outcome = search.fit(Some(dir));
    if let Err(e) = outcome {
        std::fs::write(dir.join("error.txt"), e.to_string()).unwrap();
    }
}

/// Runs only when a test starts this binary as a child (and in the child's workers).
#[test]
fn search_child() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        run_child(&spec);
    }
}

/// Run the child search; kill it (SIGKILL) once a line satisfies `kill_when`. Returns whether
/// it ended on its own.
fn child(dir: &Path, n_jobs: usize, hang_at: usize, crash_at: usize, kill_when: Option<&dyn Fn(&str) -> bool>) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    let spec = format!("{}|{n_jobs}|{hang_at}|{crash_at}", dir.display());
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "search::search_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, spec)
        .env_remove(fe::search::WORKER_ENV)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(proc.stdout.take().unwrap());
    for line in out.lines() {
        let line = line.unwrap();
        if kill_when.is_some_and(|f| f(&line)) {
            proc.kill().unwrap();
            proc.wait().unwrap();
            return false;
        }
    }
    proc.wait().unwrap().success()
}

fn evaluations(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("evaluations.txt")).unwrap_or_default();
    text.lines().map(str::to_string).collect()
}

fn saved(dir: &Path) -> SearchState {
    SearchState::load_file(dir.join("grid_search.json")).unwrap()
}

fn assert_each_point_once(dir: &Path) {
    let mut evals = evaluations(dir);
    assert_eq!(evals.len(), 9, "{evals:?}");
    evals.sort();
    evals.dedup();
    assert_eq!(evals.len(), 9, "a point was evaluated twice");
}

#[test]
fn a_killed_search_resumes_without_repeating_an_evaluation() {
    let root = tempfile::tempdir().unwrap();
    let reference = root.path().join("reference");
    assert!(child(&reference, 1, 0, 0, None));
    let expected = saved(&reference);
    assert_eq!(expected.trials.len(), 9);
    assert_each_point_once(&reference);

    // Killed while evaluating the fifth point, after four were evaluated and saved.
    let dir = root.path().join("killed");
    let fourth = |l: &str| l.starts_with("FastEstimator-Search: Evaluated") && l.contains("'search_idx': 4}");
    assert!(!child(&dir, 1, 5, 0, Some(&fourth)));
    assert_eq!(evaluations(&dir).len(), 4);
    assert_eq!(saved(&dir).trials.len(), 4);
    assert!(child(&dir, 1, 0, 0, None));
    assert_each_point_once(&dir);
    assert_eq!(saved(&dir), expected);
    let best = fe::search::Search::new("grid_search", |_: &Params, _| Ok(0.0));
    let mut best = best;
    fe::output::with_sink(fe::output::silent, || best.load(&dir, false)).unwrap();
    let top = best.get_best_results(None, None).unwrap();
    assert_eq!((top.params.to_string(), top.search_idx), ("{'a': 3, 'b': 6}".to_string(), 9));
}

#[test]
fn a_parallel_grid_search_gives_the_sequential_result() {
    let root = tempfile::tempdir().unwrap();
    let sequential = root.path().join("sequential");
    assert!(child(&sequential, 1, 0, 0, None));
    let parallel = root.path().join("parallel");
    assert!(child(&parallel, 3, 0, 0, None));
    assert_eq!(saved(&parallel), saved(&sequential));
    assert_each_point_once(&parallel);
    assert!(!parallel.join("error.txt").exists());
    // Each worker's output is kept beside the save.
    assert!(parallel.join("grid_search_workers/trial_9.log").is_file());

    // A worker that crashes: an error naming its point; the results that came in are saved,
    // and a restart evaluates only what is missing.
    let crashed = root.path().join("crashed");
    assert!(child(&crashed, 2, 0, 5, None));
    let error = std::fs::read_to_string(crashed.join("error.txt")).unwrap();
    assert!(error.contains("{'a': 2, 'b': 5, 'search_idx': 5}") && error.contains("signal 6"), "{error}");
    let kept = saved(&crashed);
    assert!(kept.trials.len() >= 4 && kept.trials.iter().all(|t| t.search_idx != 5), "{kept:?}");
    let before = evaluations(&crashed).len();
    assert_eq!(before, kept.trials.len());
    assert!(child(&crashed, 2, 0, 0, None));
    assert_each_point_once(&crashed);
    let resumed = saved(&crashed);
    assert_eq!(resumed.trials.len(), 9);
    let points =
        |s: &SearchState| s.trials.iter().map(|t| (t.params.to_string(), t.result.clone())).collect::<Vec<_>>();
    let mut got = points(&resumed);
    let mut want = points(&saved(&sequential));
    got.sort_by(|a, b| a.0.cmp(&b.0));
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
}

#[test]
fn every_trial_is_recorded_in_the_history_under_the_search_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut search = GridSearch::new(|p: &Params, _| {
        let (network, _model) = lenet_network(p.str("optimizer")?);
        let mut est = fe::Estimator::builder(digits_pipeline(32, 16, 0, 16, Some(1)), network, 1)
            .hyperparameter("note", "mine")
            .history_db(&db)
            .build()?;
        let summary = est.fit()?;
        Ok(summary.last(fe::Mode::Eval, "ce").unwrap_or(f64::NAN))
    })
    .param("optimizer", ["adam", "sgd"])
    .name("optimizer_search")
    .best_mode(BestMode::Min);
    fe::output::with_sink(fe::output::silent, || search.fit(None)).unwrap();
    assert_eq!(search.get_search_summary().len(), 2);

    let reader = HistoryReader::open(&db).unwrap();
    let table = reader.runs(&HistoryQuery { hyperparameters: true, ..Default::default() }).unwrap();
    assert_eq!(table.column("experiment").unwrap(), ["optimizer_search", "optimizer_search"]);
    let hps = table.column("hyperparameters").unwrap();
    // Newest first.
    assert!(hps[0].contains("optimizer=\"sgd\"") && hps[0].contains("search_idx=2"), "{hps:?}");
    assert!(hps[1].contains("optimizer=\"adam\"") && hps[1].contains("search_idx=1"), "{hps:?}");
    assert!(hps.iter().all(|h| h.contains("note=\"mine\"")), "{hps:?}");
    assert_eq!(table.column("status").unwrap(), ["Completed", "Completed"]);
}

#[test]
fn the_search_lr_example_runs_both_searches_and_draws_them() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data/breast_cancer");
    std::fs::create_dir_all(&data).unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sklearn/breast_cancer.csv");
    std::fs::copy(csv, data.join("breast_cancer.csv")).unwrap();
    let save = root.path().join("out");
    let data_root = root.path().join("data");
    let args = [
        "--root_dir",
        data_root.to_str().unwrap(),
        "--offline",
        "--save_dir",
        save.to_str().unwrap(),
        "--epochs",
        "1",
        "--max_epochs",
        "3",
        "--max_iter",
        "1",
        "--n_jobs",
        "2",
        "--lr",
        "0.001",
        "0.01",
        "--batch_size",
        "32",
        "64",
    ];
    let out = Command::new(crate::robustness::example("search_lr"))
        .args(args)
        .env("FE_HISTORY_DB", root.path().join("history.db"))
        .env_remove(fe::search::WORKER_ENV)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let evaluated = stdout.lines().filter(|l| l.starts_with("FastEstimator-Search: Evaluated {'lr': ")).count();
    assert_eq!(evaluated, 4, "{stdout}");
    assert!(
        stdout.contains("Best of the grid: {'lr': ") && stdout.contains("Golden Section Search Finished"),
        "{stdout}"
    );
    assert_eq!(saved(&save).trials.len(), 4);
    for file in ["grid_search.png", "grid_search.html", "golden_section_search.png", "golden_section_search.html"] {
        assert!(save.join("plots").join(file).is_file(), "{file}");
    }
}
