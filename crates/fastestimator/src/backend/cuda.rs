//! Making CUDA visible to tch.
//!
//! The PyPI torch wheel ships `libtorch_cuda.so`, and torch-sys asks the linker for it, but
//! Rust links shared libraries with `--as-needed`. No Rust code calls into that library
//! directly (CUDA kernels register themselves from its static initialisers), so the linker drops
//! it, and `tch::Cuda::is_available()` is then false even on a GPU machine. We load it at run
//! time instead, only where an NVIDIA driver is present, so CPU-only machines never pay the cost
//! of mapping the CUDA libraries.

use std::sync::OnceLock;

/// Load libtorch's CUDA backend if this machine has an NVIDIA driver and `FE_DEVICE` is not
/// `cpu`. Returns whether CUDA is usable afterwards. Safe to call many times.
pub fn load_cuda() -> bool {
    static LOADED: OnceLock<bool> = OnceLock::new();
    *LOADED.get_or_init(|| {
        if std::env::var("FE_DEVICE").is_ok_and(|d| d.eq_ignore_ascii_case("cpu")) {
            return false;
        }
        let driver = ["/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/nvidia0"]
            .iter()
            .any(|p| std::path::Path::new(p).exists());
        if driver && !tch::Cuda::is_available() {
            for lib in [c"libtorch_cuda.so", c"libtorch_cuda_cu.so"] {
                // SAFETY: dlopen with a valid NUL-terminated name; the handle is deliberately
                // never closed, since the library must stay loaded for the process lifetime.
                let handle = unsafe { libc::dlopen(lib.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
                if !handle.is_null() {
                    tracing::debug!("loaded {:?} for CUDA", lib);
                }
            }
        }
        tch::Cuda::is_available()
    })
}
