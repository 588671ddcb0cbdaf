//! Data-parallel training on real processes talking over c10d (Gloo on 127.0.0.1): the
//! `data_parallel` example job run on 1, 2 and 3 processes, killed and resumed, and broken on
//! purpose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fastestimator as fe;
use fe::distributed::{Launcher, NprocPerNode};
use serde_json::Value as Json;

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The `data_parallel` job as one shell command: its output goes to `out/rank<R>.log`.
fn job_command(out: &Path, args: &[&str]) -> String {
    let exe = crate::robustness::example("data_parallel");
    assert!(exe.exists(), "{} is missing: `cargo test` builds the examples", exe.display());
    let report = out.join("report");
    format!(
        "FE_PROGRESS=0 exec {} --report {} {} > {}/rank${{RANK:-0}}.log 2>&1",
        exe.display(),
        report.display(),
        args.join(" "),
        out.display()
    )
}

/// Run the job on `n` processes with the launcher.
fn launch(n: usize, out: &Path, args: &[&str]) -> fe::Result<()> {
    std::fs::create_dir_all(out).unwrap();
    let cmd = job_command(out, args);
    Launcher::new("sh", ["-c", cmd.as_str()])
        .nproc_per_node(NprocPerNode::Count(n))
        .master("127.0.0.1", free_port())
        .grace(Duration::from_secs(2))
        .run()
}

/// Run the job as one plain process (no launcher, no distributed environment).
fn single(out: &Path, args: &[&str]) {
    std::fs::create_dir_all(out).unwrap();
    let status = Command::new("sh").args(["-c", &job_command(out, args)]).status().unwrap();
    assert!(status.success(), "single-process run failed:\n{}", log(out, 0));
}

fn log(out: &Path, rank: usize) -> String {
    std::fs::read_to_string(out.join(format!("rank{rank}.log"))).unwrap_or_default()
}

fn report(out: &Path, rank: usize) -> Json {
    let path = out.join("report").join(format!("rank{rank}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), log(out, rank)));
    serde_json::from_str(&text).unwrap()
}

fn weights(report: &Json) -> BTreeMap<String, Vec<f64>> {
    serde_json::from_value(report["weights"].clone()).unwrap()
}

fn max_weight_diff(a: &Json, b: &Json) -> f64 {
    let (a, b) = (weights(a), weights(b));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    a.iter().flat_map(|(k, va)| va.iter().zip(&b[k]).map(|(x, y)| (x - y).abs())).fold(0.0, f64::max)
}

/// Every logged number of `a` (mode → key → step → value) next to `b`'s, timings left out.
fn logged(report: &Json) -> BTreeMap<String, Json> {
    let mut out = BTreeMap::new();
    for (mode, keys) in report["history"].as_object().unwrap() {
        for (key, steps) in keys.as_object().unwrap() {
            if key.contains("time") || key.contains("steps/sec") {
                continue;
            }
            for (step, value) in steps.as_object().unwrap() {
                out.insert(format!("{mode}/{key}/{step}"), value.clone());
            }
        }
    }
    out
}

/// The numbers inside a logged value (a scalar or an array).
fn numbers(value: &Json) -> Vec<f64> {
    match value {
        Json::Number(n) => vec![n.as_f64().unwrap()],
        Json::Array(items) => items.iter().flat_map(numbers).collect(),
        Json::Object(map) => {
            map.iter().filter(|(k, _)| k.as_str() != "dim" && k.as_str() != "v").flat_map(|(_, v)| numbers(v)).collect()
        }
        _ => Vec::new(),
    }
}

/// Assert every logged metric of `a` equals `b`'s within `tol` (relative to 1 + |value|).
fn assert_same_logs(a: &Json, b: &Json, tol: f64, only: &str) {
    let (la, lb) = (logged(a), logged(b));
    let keys_a: Vec<&String> = la.keys().filter(|k| k.starts_with(only)).collect();
    let keys_b: Vec<&String> = lb.keys().filter(|k| k.starts_with(only)).collect();
    assert_eq!(keys_a, keys_b, "the same metrics are logged at the same steps");
    assert!(!keys_a.is_empty());
    for key in keys_a {
        let (x, y) = (numbers(&la[key]), numbers(&lb[key]));
        assert_eq!(x.len(), y.len(), "{key}");
        for (x, y) in x.iter().zip(&y) {
            assert!((x - y).abs() <= tol * (1.0 + x.abs()), "{key}: {x} vs {y}");
        }
    }
}

#[test]
fn two_processes_train_exactly_as_one_process_with_the_same_global_batch() {
    let dir = tempfile::tempdir().unwrap();
    let args =
        ["--optimizer", "sgd", "--batch-size", "32", "--train-size", "640", "--eval-size", "160", "--test-size", "96"];
    single(&dir.path().join("one"), &args);
    let two = dir.path().join("two");
    launch(2, &two, &args).unwrap_or_else(|e| panic!("{e}\n{}\n{}", log(&two, 0), log(&two, 1)));
    let (one, r0, r1) = (report(&dir.path().join("one"), 0), report(&two, 0), report(&two, 1));
    assert_eq!(r0["world_size"], 2);
    // 2 epochs of 640 / 32 = 20 steps, eval 160 / 32 = 5 steps, on every rank.
    for r in [&one, &r0, &r1] {
        assert_eq!(r["steps"]["train"], 40);
        assert_eq!(r["steps"]["eval"], 10);
        assert_eq!(r["steps"]["test"], 3);
    }
    assert_eq!(max_weight_diff(&r0, &r1), 0.0, "the ranks hold the same weights, bit for bit");
    let diff = max_weight_diff(&one, &r0);
    assert!(diff < 1e-5, "2 processes drifted {diff} from 1 process");
    // Every logged metric (train loss at each log step, eval and test loss, accuracy, F1 per
    // class).
    assert!(logged(&one).keys().any(|k| k.starts_with("test/accuracy")));
    assert_same_logs(&one, &r0, 1e-5, "");
    assert_same_logs(&one, &r1, 1e-5, "");
    // Rank 0 prints; rank 1 prints nothing.
    assert!(log(&two, 0).contains("FastEstimator-Finish"), "{}", log(&two, 0));
    assert_eq!(log(&two, 1).trim(), "", "rank 1 printed");
}

#[test]
fn three_processes_with_uneven_data_give_exact_metrics_and_equal_steps() {
    let dir = tempfile::tempdir().unwrap();
    // 155 eval samples in batches of 30: the last batch holds 5, split 2/2/1 over 3 ranks.
    let args = ["--optimizer", "sgd", "--batch-size", "30", "--train-size", "630", "--eval-size", "155"];
    single(&dir.path().join("one"), &args);
    let three = dir.path().join("three");
    launch(3, &three, &args).unwrap_or_else(|e| panic!("{e}\n{}", log(&three, 0)));
    let one = report(&dir.path().join("one"), 0);
    for rank in 0..3 {
        let r = report(&three, rank);
        assert_eq!(r["steps"]["train"], 42, "rank {rank}");
        assert_eq!(r["steps"]["eval"], 12, "rank {rank}");
        assert!(max_weight_diff(&one, &r) < 1e-5);
        // Eval metrics count each sample once: they equal the single-process ones.
        assert_same_logs(&one, &r, 1e-6, "eval/");
    }
    // 620 training samples: the last global batch of 20 is padded to 21, so every rank still
    // runs 21 steps per epoch, each of 10 samples.
    let padded = dir.path().join("padded");
    launch(3, &padded, &["--batch-size", "30", "--train-size", "620", "--eval-size", "40", "--epochs", "1"]).unwrap();
    for rank in 0..3 {
        assert_eq!(report(&padded, rank)["steps"]["train"], 21, "rank {rank}");
    }
}

#[test]
fn filtering_and_grouped_epochs_are_sharded_exactly() {
    for kind in ["--filter", "--grouped"] {
        let dir = tempfile::tempdir().unwrap();
        let args = ["--optimizer", "sgd", "--epochs", "2", "--train-size", "320", "--eval-size", "96", kind];
        single(&dir.path().join("one"), &args);
        let two = dir.path().join("two");
        launch(2, &two, &args).unwrap_or_else(|e| panic!("{kind}: {e}\n{}", log(&two, 0)));
        let one = report(&dir.path().join("one"), 0);
        for rank in 0..2 {
            let r = report(&two, rank);
            assert_eq!(r["steps"], one["steps"], "{kind}: rank {rank} runs the single process's steps");
            let diff = max_weight_diff(&one, &r);
            assert!(diff < 1e-5, "{kind}: rank {rank} drifted {diff}");
            assert_same_logs(&one, &r, 1e-6, "eval/");
        }
    }
}

#[test]
fn early_stopping_stops_every_rank_at_the_same_epoch() {
    let dir = tempfile::tempdir().unwrap();
    // No improvement can reach 10: EarlyStopping stops after epoch 2 (patience 1) of 5.
    let args = ["--epochs", "5", "--train-size", "160", "--eval-size", "64", "--min-delta", "10", "--patience", "1"];
    launch(2, dir.path(), &args).unwrap_or_else(|e| panic!("{e}\n{}", log(dir.path(), 0)));
    for rank in 0..2 {
        assert_eq!(report(dir.path(), rank)["steps"]["train"], 10, "rank {rank}: 2 epochs of 5 steps");
    }
}

#[test]
fn a_batch_size_that_does_not_divide_over_the_processes_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = launch(3, dir.path(), &["--batch-size", "32"]).unwrap_err();
    assert!(matches!(err, fe::FeError::RankFailed { .. }), "{err}");
    let text = log(dir.path(), 0);
    assert!(text.contains("batch_size") && text.contains("32") && text.contains("3 processes"), "{text}");
    // Two eval samples cannot give each of 3 processes one.
    let dir = tempfile::tempdir().unwrap();
    let err = launch(3, dir.path(), &["--batch-size", "30", "--eval-size", "2"]).unwrap_err();
    assert!(matches!(err, fe::FeError::RankFailed { .. }), "{err}");
    let text = log(dir.path(), 0);
    assert!(text.contains("eval data") && text.contains("2 samples"), "{text}");
}

#[test]
fn the_two_model_gan_with_deferred_updates_trains_on_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = crate::robustness::example("dcgan");
    let grid = dir.path().join("grid.png");
    let cmd = format!(
        "FE_PROGRESS=0 exec {} --epochs 2 --samples 128 --batch_size 32 --train_steps_per_epoch 3 --out {} > {}/rank$RANK.log 2>&1",
        exe.display(),
        grid.display(),
        dir.path().display()
    );
    Launcher::new("sh", ["-c", cmd.as_str()])
        .nproc_per_node(NprocPerNode::Count(2))
        .master("127.0.0.1", free_port())
        .run()
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", log(dir.path(), 0), log(dir.path(), 1)));
    let out = log(dir.path(), 0);
    assert!(out.contains("FastEstimator-Finish: step: 6;"), "{out}");
    assert!(out.contains("gloss") && out.contains("dloss"), "{out}");
    assert!(image::open(&grid).is_ok(), "rank 0 wrote the sample grid");
    assert_eq!(log(dir.path(), 1).trim(), "", "rank 1 printed");
}

#[test]
fn a_job_with_any_rank_killed_mid_epoch_resumes_bit_exact_on_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    // With a BestModelSaver, which runs on rank 0 alone and loads the best weights at the end:
    // every rank still restores the same trace list, and leaves fit with the same weights.
    let best = dir.path().join("best");
    let best_s = best.display().to_string();
    let base =
        ["--epochs", "3", "--train-size", "320", "--eval-size", "64", "--batch-size", "32", "--save-best", &best_s];
    // The uninterrupted run, with its own checkpoints.
    let whole = dir.path().join("whole");
    let whole_ckpt = dir.path().join("whole_ckpt");
    let mut args: Vec<&str> = base.to_vec();
    let whole_ckpt_s = whole_ckpt.display().to_string();
    args.extend(["--restore-dir", &whole_ckpt_s]);
    launch(2, &whole, &args).unwrap();
    // The same job; one rank is SIGKILLed at step 25 (epoch 3 of 10 steps each), then both
    // restart. Rank 1 first, then rank 0 (the store's host and the one that saves).
    for lost in [1usize, 0] {
        let ckpt = dir.path().join(format!("ckpt{lost}"));
        let ckpt_s = ckpt.display().to_string();
        let lost_s = lost.to_string();
        let mut killed: Vec<&str> = base.to_vec();
        killed.extend(["--restore-dir", &ckpt_s, "--crash-rank", &lost_s, "--crash-step", "25"]);
        let first = dir.path().join(format!("first{lost}"));
        let err = launch(2, &first, &killed).unwrap_err();
        assert!(
            matches!(&err, fe::FeError::RankFailed { rank, status, .. } if *rank == lost && status.contains("signal 9")),
            "{err}\n{}",
            log(&first, 0)
        );
        let resumed = dir.path().join(format!("resumed{lost}"));
        let mut again: Vec<&str> = base.to_vec();
        again.extend(["--restore-dir", &ckpt_s]);
        launch(2, &resumed, &again).unwrap_or_else(|e| panic!("{e}\n{}", log(&resumed, 0)));
        assert!(log(&resumed, 0).contains("RestoreWizard: Restored"), "{}", log(&resumed, 0));
        for rank in 0..2 {
            let (a, b) = (report(&whole, rank), report(&resumed, rank));
            assert_eq!(
                max_weight_diff(&a, &b),
                0.0,
                "rank {rank} lost {lost}: resumed weights equal the uninterrupted run's"
            );
        }
        // The resumed run's epoch-3 metrics equal the uninterrupted run's, bit for bit.
        let (a, b) = (logged(&report(&whole, 0)), logged(&report(&resumed, 0)));
        for (key, value) in b.iter().filter(|(k, _)| k.starts_with("eval/")) {
            assert_eq!(Some(value), a.get(key), "{key}");
        }
    }
}

/// Start one rank of a `world`-process job by hand (no launcher to stop the others).
fn spawn_rank(rank: usize, world: usize, port: u16, out: &Path, extra: &[&str]) -> std::process::Child {
    std::fs::create_dir_all(out).unwrap();
    Command::new("sh")
        .args(["-c", &job_command(out, extra)])
        .env("RANK", rank.to_string())
        .env("LOCAL_RANK", rank.to_string())
        .env("WORLD_SIZE", world.to_string())
        .env("LOCAL_WORLD_SIZE", world.to_string())
        .env("MASTER_ADDR", "127.0.0.1")
        .env("MASTER_PORT", port.to_string())
        .env("OMP_NUM_THREADS", "1")
        .env("FE_DIST_TIMEOUT", "20")
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn when_a_rank_dies_the_others_stop_with_an_error_naming_it() {
    for lost in [1usize, 0] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let lost_s = lost.to_string();
        let args = ["--epochs", "2", "--crash-rank", lost_s.as_str(), "--crash-step", "5"];
        let started = Instant::now();
        let mut ranks: Vec<_> = (0..2).map(|r| spawn_rank(r, 2, port, dir.path(), &args)).collect();
        let survivor = 1 - lost;
        let status = ranks[survivor].wait().unwrap();
        let _ = ranks[lost].wait();
        let took = started.elapsed();
        let text = log(dir.path(), survivor);
        assert!(!status.success(), "rank {survivor} went on without rank {lost}");
        assert!(took < Duration::from_secs(60), "rank {survivor} took {took:?} to notice");
        assert!(text.contains(&format!("because rank {lost} was lost")), "rank {survivor} said:\n{text}");
    }
}

#[test]
fn a_port_in_use_and_a_world_that_never_fills_are_errors_naming_the_variable() {
    // Something else holds the port rank 0 would host the store on.
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let status = spawn_rank(0, 2, port, dir.path(), &[]).wait().unwrap();
    assert!(!status.success());
    let text = log(dir.path(), 0);
    assert!(text.contains("MASTER_PORT") && text.contains("in use"), "{text}");
    drop(taken);

    // WORLD_SIZE=3, but only two processes come: they fail within the timeout, saying so.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let started = Instant::now();
    let mut ranks: Vec<_> = (0..2).map(|r| spawn_rank(r, 3, port, dir.path(), &[])).collect();
    for r in ranks.iter_mut() {
        assert!(!r.wait().unwrap().success());
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    let text = log(dir.path(), 0);
    assert!(text.contains("WORLD_SIZE=3"), "{text}");
}

#[test]
fn asking_for_nccl_without_the_feature_or_for_an_unknown_backend_is_a_clear_error() {
    for (backend, expected) in [("nccl", "`nccl` cargo feature"), ("mpi", "FE_DIST_BACKEND")] {
        let dir = tempfile::tempdir().unwrap();
        let cmd = job_command(dir.path(), &[]);
        let status = Command::new("sh")
            .args(["-c", &cmd])
            .env("RANK", "0")
            .env("WORLD_SIZE", "2")
            .env("MASTER_ADDR", "127.0.0.1")
            .env("MASTER_PORT", free_port().to_string())
            .env("FE_DIST_BACKEND", backend)
            .status()
            .unwrap();
        assert!(!status.success());
        let text = log(dir.path(), 0);
        if cfg!(not(feature = "nccl")) || backend != "nccl" {
            assert!(text.contains(expected), "{backend}: {text}");
        }
    }
}

#[test]
fn a_world_of_one_asked_for_by_backend_trains_exactly_as_a_plain_process() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--epochs", "1", "--train-size", "160", "--eval-size", "64"];
    single(&dir.path().join("plain"), &args);
    let group = dir.path().join("group");
    std::fs::create_dir_all(&group).unwrap();
    let status = Command::new("sh")
        .args(["-c", &job_command(&group, &args)])
        .env("RANK", "0")
        .env("WORLD_SIZE", "1")
        .env("MASTER_ADDR", "127.0.0.1")
        .env("MASTER_PORT", free_port().to_string())
        .env("FE_DIST_BACKEND", "gloo")
        .status()
        .unwrap();
    assert!(status.success(), "{}", log(&group, 0));
    let (plain, one) = (report(&dir.path().join("plain"), 0), report(&group, 0));
    assert_eq!(one["world_size"], 1);
    assert_eq!(max_weight_diff(&plain, &one), 0.0, "a group of one changes nothing");
    assert_same_logs(&plain, &one, 0.0, "eval/");
}

/// torchrun, which comes with the project's torch (.venv/bin, on PATH through ./fe).
fn torchrun() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let torchrun = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("torchrun")).find(|p| p.exists()))
        .unwrap_or_else(|| root.join(".venv/bin/torchrun"));
    assert!(torchrun.exists(), "torchrun is missing: the README's set-up installs torch into .venv");
    torchrun
}

#[test]
fn torchrun_starts_the_job_unchanged() {
    let torchrun = torchrun();
    let dir = tempfile::tempdir().unwrap();
    let args = ["--optimizer", "sgd", "--epochs", "1", "--train-size", "320", "--eval-size", "64"];
    let port = free_port().to_string();
    let cmd = job_command(dir.path(), &args);
    let status = Command::new(&torchrun)
        .args(["--no-python", "--nproc-per-node", "2", "--master-port", &port, "sh", "-c", &cmd])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "torchrun failed:\n{}\n{}", log(dir.path(), 0), log(dir.path(), 1));
    let (r0, r1) = (report(dir.path(), 0), report(dir.path(), 1));
    assert_eq!(r0["world_size"], 2);
    assert_eq!(max_weight_diff(&r0, &r1), 0.0);
    let one = dir.path().join("one");
    single(&one, &args);
    assert!(max_weight_diff(&report(&one, 0), &r0) < 1e-5);
}

#[test]
fn torchrun_on_two_nodes_over_loopback() {
    let torchrun = torchrun();
    let dir = tempfile::tempdir().unwrap();
    let args = ["--optimizer", "sgd", "--epochs", "1", "--train-size", "320", "--eval-size", "64"];
    let port = free_port().to_string();
    let cmd = job_command(dir.path(), &args);
    let nodes: Vec<_> = (0..2)
        .map(|node| {
            Command::new(&torchrun)
                .args(["--no-python", "--nnodes", "2", "--node-rank", &node.to_string(), "--nproc-per-node", "1"])
                .args(["--master-addr", "127.0.0.1", "--master-port", &port, "sh", "-c", &cmd])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut node in nodes {
        assert!(node.wait().unwrap().success(), "{}\n{}", log(dir.path(), 0), log(dir.path(), 1));
    }
    let (r0, r1) = (report(dir.path(), 0), report(dir.path(), 1));
    assert_eq!((r0["world_size"].as_u64(), r1["world_size"].as_u64()), (Some(2), Some(2)));
    assert_eq!(max_weight_diff(&r0, &r1), 0.0);
}

#[test]
fn two_nodes_on_loopback_train_as_one_job() {
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("nodes");
    std::fs::create_dir_all(&out).unwrap();
    let port = free_port();
    let args = ["--optimizer", "sgd", "--epochs", "1", "--train-size", "320", "--eval-size", "64"];
    let cmd = job_command(&out, &args);
    let nodes: Vec<_> = (0..2)
        .map(|node| {
            let cmd = cmd.clone();
            std::thread::spawn(move || {
                Launcher::new("sh", ["-c", cmd.as_str()])
                    .nproc_per_node(NprocPerNode::Count(1))
                    .nnodes(2)
                    .node_rank(node)
                    .master("127.0.0.1", port)
                    .run()
            })
        })
        .collect();
    for node in nodes {
        node.join().unwrap().unwrap_or_else(|e| panic!("{e}\n{}", log(&out, 0)));
    }
    let (r0, r1) = (report(&out, 0), report(&out, 1));
    assert_eq!((r0["world_size"].as_u64(), r1["world_size"].as_u64()), (Some(2), Some(2)));
    assert_eq!(max_weight_diff(&r0, &r1), 0.0);
    let one = dir.path().join("one");
    single(&one, &args);
    assert!(max_weight_diff(&report(&one, 0), &r0) < 1e-5);
}
