//! Run-wide state: the deterministic seed, libtorch's thread count, the lock around libtorch's
//! global generator, and the count behind automatic model names. It sits below everything else,
//! so any layer may read it; `lib.rs` only re-exports its public functions.

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
    if !THREADS_SET.swap(true, Ordering::SeqCst) {
        tch::set_num_threads(num_cpus::get().max(1) as i32);
    }
}
