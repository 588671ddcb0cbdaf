//! `fe::distributed::Launcher` with real processes: each rank gets torchrun's variables, and a
//! failing rank stops the others.

use std::time::{Duration, Instant};

use fastestimator as fe;
use fe::distributed::{Launcher, NprocPerNode};

#[test]
fn every_rank_gets_its_place_in_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "echo \"$RANK $LOCAL_RANK $WORLD_SIZE $LOCAL_WORLD_SIZE $GROUP_RANK $MASTER_ADDR:$MASTER_PORT\" > {}/rank_$RANK",
        dir.path().display()
    );
    Launcher::new("sh", ["-c", script.as_str()])
        .nproc_per_node(NprocPerNode::Count(3))
        .nnodes(2)
        .node_rank(1)
        .master("127.0.0.1", 29555)
        .run()
        .unwrap();
    for (local, rank) in (3..6).enumerate() {
        let line = std::fs::read_to_string(dir.path().join(format!("rank_{rank}"))).unwrap();
        assert_eq!(line.trim(), format!("{rank} {local} 6 3 1 127.0.0.1:29555"));
    }
    assert!(!dir.path().join("rank_0").exists(), "node 0's ranks run on node 0");
}

#[test]
fn a_failing_rank_stops_the_others_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let pids = tempfile::tempdir().unwrap();
    // Every rank notes its pid; rank 1 fails once the others have, and they would finish after
    // a minute.
    let p = pids.path().display();
    let script = format!(
        "echo $$ > {p}/$RANK.tmp && mv {p}/$RANK.tmp {p}/$RANK; if [ \"$RANK\" = 1 ]; then \
         while [ ! -f {p}/0 ] || [ ! -f {p}/2 ]; do sleep 0.05; done; exit 3; fi; \
         sleep 60; touch {}/finished_$RANK",
        dir.path().display()
    );
    let started = Instant::now();
    let err = Launcher::new("sh", ["-c", script.as_str()])
        .nproc_per_node(NprocPerNode::Count(3))
        .grace(Duration::from_secs(2))
        .run()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30), "the others were stopped, not awaited");
    assert!(
        matches!(&err, fe::FeError::RankFailed { rank: 1, status, .. } if status == "exited with status 3"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no other rank finished");
    for rank in [0, 2] {
        let pid: i32 = std::fs::read_to_string(pids.path().join(rank.to_string())).unwrap().trim().parse().unwrap();
        // SAFETY: signal 0 only asks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        assert!(!alive, "rank {rank} (pid {pid}) still runs after the launcher returned");
    }
}

#[test]
fn a_program_that_cannot_start_is_an_error_naming_it() {
    let err = Launcher::new("/nonexistent/job", Vec::<String>::new())
        .nproc_per_node(NprocPerNode::Count(2))
        .run()
        .unwrap_err();
    assert!(matches!(&err, fe::FeError::RankFailed { rank: 0, command, .. } if command == "/nonexistent/job"), "{err}");
    assert!(err.to_string().contains("could not start"), "{err}");
}

#[test]
fn a_job_reads_its_place_from_the_launchers_variables() {
    // The same variables, read back by the library (as a job under torchrun or `launch` does).
    let vars = Launcher::new("job", ["x"]).nproc_per_node(NprocPerNode::Count(2)).env_for(1);
    let env =
        fe::distributed::DistributedEnv::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap();
    assert_eq!((env.rank, env.local_rank, env.world_size, env.master_port), (1, 1, 2, 29500));
}
