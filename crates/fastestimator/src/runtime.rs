//! Run-wide state: the deterministic seed, libtorch's thread count, the lock around libtorch's
//! global generator, the count behind automatic model names, and the hyperparameter-search trial
//! being evaluated. It sits below everything else, so any layer may read it; `lib.rs` only
//! re-exports its public functions.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

static SEED_SET: AtomicBool = AtomicBool::new(false);
static SEED: AtomicU64 = AtomicU64::new(0);
static THREADS_SET: AtomicBool = AtomicBool::new(false);

/// Models built with an automatic name since the process started or since the last
/// [`enable_deterministic`] (FE's `fe.fe_build_count`).
static BUILD_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The index of the next automatically named model (`model`, `model1`, ...), counted from the
/// start of the process or from the last [`enable_deterministic`].
pub(crate) fn next_model_index() -> usize {
    BUILD_COUNT.fetch_add(1, Ordering::SeqCst)
}

/// Serialises use of libtorch's global generator where we seed it (model construction, the
/// per-epoch reseed), so models built on different threads still get their seeded weights.
pub(crate) fn torch_rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The trial of a hyperparameter search (`fe::search`) that the current thread is evaluating:
/// the search's name, the trial's `search_idx` and its parameters. While a search runs its
/// evaluation function, an Estimator built and fitted inside records its run into the experiment
/// history under the search's name, with these parameters as hyperparameters (when the user gave
/// no experiment name or hyperparameter of that name).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchTrial {
    /// The search's name (`grid_search`, `golden_section_search`, ...).
    pub search: String,
    /// The trial's index in the search, from 1.
    pub search_idx: usize,
    /// The trial's parameters, in order.
    pub params: Vec<(String, serde_json::Value)>,
}

thread_local! {
    static SEARCH_TRIAL: std::cell::RefCell<Option<SearchTrial>> = const { std::cell::RefCell::new(None) };
}

/// The search trial the current thread is evaluating, if any (see [`SearchTrial`]).
pub fn current_search_trial() -> Option<SearchTrial> {
    SEARCH_TRIAL.with(|t| t.borrow().clone())
}

/// Run `f` as the evaluation of `trial` on this thread; the previous trial (normally none) is
/// restored afterwards, also when `f` panics. Like FE's Search, it also starts automatic model
/// names again at `model` (FE resets `fe_build_count` per trial).
pub fn with_search_trial<R>(trial: SearchTrial, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<SearchTrial>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SEARCH_TRIAL.with(|t| *t.borrow_mut() = previous);
        }
    }
    BUILD_COUNT.store(0, Ordering::SeqCst);
    let _restore = Restore(SEARCH_TRIAL.with(|t| t.borrow_mut().replace(trial)));
    f()
}

/// Make every run reproducible (FE's `fe.enable_deterministic(seed)`): seeds libtorch, and
/// becomes the default seed of pipelines, dataset splits and model initialisation. The same seed
/// gives the same numbers whatever the number of pipeline workers.
///
/// It also starts a new recipe: automatic model names begin again at `model`, and since initial
/// weights derive from the seed and the model's name, the same recipe gives the same weights
/// even when another job ran earlier in the same process (a test binary, a search, a notebook).
pub fn enable_deterministic(seed: u64) {
    BUILD_COUNT.store(0, Ordering::SeqCst);
    SEED.store(seed, Ordering::SeqCst);
    SEED_SET.store(true, Ordering::SeqCst);
    tch::manual_seed(seed as i64);
}

/// The seed set by [`enable_deterministic`], if any.
pub fn deterministic_seed() -> Option<u64> {
    SEED_SET.load(Ordering::SeqCst).then(|| SEED.load(Ordering::SeqCst))
}

/// Set libtorch's intra-op thread count explicitly (call before `Estimator::build` to override
/// the default, which is one thread per core).
pub fn set_num_threads(n: usize) {
    tch::set_num_threads(n.max(1) as i32);
    THREADS_SET.store(true, Ordering::SeqCst);
}

/// Give libtorch one thread per core unless the user chose a number. Pipeline workers default to
/// half the cores, and mostly sleep on their bounded queues once ahead.
pub(crate) fn configure_threads() {
    tune_allocator();
    if !THREADS_SET.swap(true, Ordering::SeqCst) {
        tch::set_num_threads(default_threads() as i32);
    }
}

/// libtorch's intra-op threads: `OMP_NUM_THREADS` when set (torchrun and `fastestimator
/// launch` set it), otherwise this machine's cores shared among the processes on it
/// (`LOCAL_WORLD_SIZE`), so several ranks on one machine do not oversubscribe its cores.
fn default_threads() -> usize {
    let from_env = |var: &str| std::env::var(var).ok().and_then(|v| v.trim().parse::<usize>().ok()).filter(|&n| n > 0);
    from_env("OMP_NUM_THREADS")
        .unwrap_or_else(|| num_cpus::get().max(1) / from_env("LOCAL_WORLD_SIZE").unwrap_or(1))
        .max(1)
}

/// Keep glibc's `malloc` from mapping and unmapping libtorch's large per-step buffers.
///
/// By default glibc serves blocks above a *dynamic* threshold (128 KiB, growing to 32 MiB as
/// freed blocks are seen) with `mmap`, and gives the heap top back to the system whenever 128
/// KiB are free. A training step allocates and frees the same activation and gradient buffers
/// every step, so whether they stay in the heap or are mapped, zeroed by the kernel and unmapped
/// each time depends on the order of the first few frees: the same program ran at two speeds
/// from one run to the next. Fixing the mmap threshold at 64 MiB and the trim threshold at 128
/// MiB keeps those buffers in the heap, for a steady speed and no page-fault storm; memory
/// freed at the end of a run is reused rather than returned.
///
/// It runs when the program starts (a constructor in `.init_array`), so every program that
/// links fastestimator gets it, and again, harmlessly, when an Estimator or Pipeline is built.
/// It leaves glibc alone when the user set `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`
/// or `MALLOC_TOP_PAD_` themselves, or set `FE_SYSTEM_MALLOC=1`; a program with its own global
/// allocator (mimalloc, jemalloc) is unaffected, since glibc's settings do not concern it.
pub fn tune_allocator() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        let user_set = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "FE_SYSTEM_MALLOC"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        if !user_set {
            set_malloc_thresholds();
        }
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_malloc_thresholds() {
    // SAFETY: mallopt only changes glibc's allocation parameters; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_malloc_thresholds() {}

/// Runs [`tune_allocator`] as the program starts, before `main`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[link_section = ".init_array"]
static TUNE_ALLOCATOR_AT_START: extern "C" fn() = {
    extern "C" fn tune_at_start() {
        tune_allocator();
    }
    tune_at_start
};
