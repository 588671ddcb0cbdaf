//! The library's glibc settings (`fe::runtime::tune_allocator`): every program that links
//! fastestimator keeps large per-step buffers in the heap instead of mapping and unmapping them,
//! from the first instruction of `main`, without calling anything.

use std::process::Command;

const PROBE_ENV: &str = "FE_TEST_ALLOCATOR_PROBE";

/// Whether glibc served a fresh 48 MiB block with `mmap`: such a chunk has the IS_MMAPPED bit
/// (0x2) in the size word just before the pointer. glibc's dynamic threshold never exceeds 32
/// MiB, so by default the block is always mapped; the library's threshold is 64 MiB, so with it
/// the block comes from the heap (which grows to hold it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn large_block_is_mmapped() -> bool {
    // SAFETY: the block is allocated, its glibc chunk header read, and freed.
    unsafe {
        // Start from a trimmed heap, so the block cannot come from free memory left at its top
        // by whatever ran before (libtorch's start-up): only the threshold decides.
        libc::malloc_trim(0);
        let p = libc::malloc(48 << 20);
        assert!(!p.is_null());
        // The header lies outside the allocation as the compiler sees it: hide the address from
        // the optimiser and read it as plain memory.
        let header = std::hint::black_box(p as usize - std::mem::size_of::<usize>()) as *const usize;
        let mmapped = std::ptr::read_volatile(header) & 0x2 != 0;
        libc::free(p);
        mmapped
    }
}

/// Runs only as a child of the test below: reports, before touching the library, how glibc
/// served a large block.
#[test]
fn probe_child() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    println!("MMAPPED={}", large_block_is_mmapped());
}

fn probe(extra_env: Option<(&str, &str)>) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "allocator::probe_child", "--nocapture", "--test-threads", "1"]).env(PROBE_ENV, "1");
    for var in ["FE_SYSTEM_MALLOC", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"] {
        cmd.env_remove(var);
    }
    if let Some((k, v)) = extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    stdout
        .split("MMAPPED=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .unwrap_or_else(|| stdout.clone())
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn large_buffers_stay_in_the_heap_from_the_start_unless_the_user_opts_out() {
    assert_eq!(probe(None), "false", "the library's setting applies before main, with no call");
    assert_eq!(probe(Some(("FE_SYSTEM_MALLOC", "1"))), "true", "FE_SYSTEM_MALLOC=1 keeps glibc's default");
    assert_eq!(
        probe(Some(("MALLOC_MMAP_THRESHOLD_", "1048576"))),
        "true",
        "a threshold the user set wins over the library's"
    );
}
