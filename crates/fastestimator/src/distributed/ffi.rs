//! The C ABI of `csrc/c10d_shim.cpp` (compiled by build.rs). Every function returns 0 on success
//! and otherwise leaves c10d's message in `fe_c10d_last_error`.

use std::os::raw::{c_char, c_int, c_void};

use tch::Tensor;

/// What the shim sees as `at::Tensor*`: tch's tensor pointer.
pub(super) type TensorPtr = *mut c_void;

extern "C" {
    pub(super) fn fe_c10d_last_error() -> *const c_char;
    pub(super) fn fe_c10d_store_new(
        host: *const c_char,
        port: u16,
        is_server: c_int,
        num_workers: c_int,
        timeout_ms: i64,
        out: *mut *mut c_void,
    ) -> c_int;
    pub(super) fn fe_c10d_store_clone(store: *mut c_void, out: *mut *mut c_void) -> c_int;
    pub(super) fn fe_c10d_store_free(store: *mut c_void);
    pub(super) fn fe_c10d_store_add(store: *mut c_void, key: *const c_char, value: i64, out: *mut i64) -> c_int;
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fe_c10d_gloo_new(
        store: *mut c_void,
        prefix: *const c_char,
        rank: c_int,
        size: c_int,
        timeout_ms: i64,
        interface: *const c_char,
        hostname: *const c_char,
        out: *mut *mut c_void,
    ) -> c_int;
    pub(super) fn fe_c10d_group_free(group: *mut c_void);
    /// `op`: 0 sums, 1 takes the maximum.
    pub(super) fn fe_c10d_all_reduce(group: *mut c_void, tensors: *const TensorPtr, n: usize, op: c_int) -> c_int;
    pub(super) fn fe_c10d_broadcast(group: *mut c_void, tensors: *const TensorPtr, n: usize, root: c_int) -> c_int;
    pub(super) fn fe_c10d_barrier(group: *mut c_void) -> c_int;
    pub(super) fn fe_c10d_overlap_new(
        group: *mut c_void,
        params: *const TensorPtr,
        n: usize,
        first_bucket_bytes: i64,
        bucket_bytes: i64,
        out: *mut *mut c_void,
    ) -> c_int;
    pub(super) fn fe_c10d_overlap_free(overlap: *mut c_void);
    pub(super) fn fe_c10d_overlap_arm(overlap: *mut c_void) -> c_int;
    pub(super) fn fe_c10d_overlap_finish(
        overlap: *mut c_void,
        grads: *const TensorPtr,
        n: usize,
        world: c_int,
        stats: *mut i64,
    ) -> c_int;
}

#[cfg(feature = "nccl")]
extern "C" {
    fn fe_c10d_nccl_new(
        store: *mut c_void,
        prefix: *const c_char,
        rank: c_int,
        size: c_int,
        timeout_ms: i64,
        out: *mut *mut c_void,
    ) -> c_int;
}

/// Make an NCCL process group on `store`, a live shim store (the `nccl` feature); returns the
/// shim's status.
///
/// # Safety
/// `store` must point to a store made by the shim that is still alive (not yet freed).
#[cfg(feature = "nccl")]
pub(super) unsafe fn nccl_new(
    store: *mut c_void,
    prefix: &str,
    env: &super::DistributedEnv,
    timeout_ms: i64,
    out: &mut *mut c_void,
) -> crate::error::Result<c_int> {
    let prefix = std::ffi::CString::new(prefix).map_err(|_| crate::error::FeError::DistributedSetting {
        setting: "backend".into(),
        reason: "store prefix holds a NUL byte".into(),
    })?;
    // SAFETY: a live store, a C string and an out-pointer; the shim catches C++ exceptions.
    Ok(unsafe { fe_c10d_nccl_new(store, prefix.as_ptr(), env.rank as c_int, env.world_size as c_int, timeout_ms, out) })
}

/// The stand-in without the `nccl` feature: never reached, since
/// [`super::ProcessGroup::connect`] refuses NCCL first with an error that says how to get it.
///
/// # Safety
/// As for the real one: `store` must point to a live shim store (this stand-in never reads it).
#[cfg(not(feature = "nccl"))]
pub(super) unsafe fn nccl_new(
    _store: *mut c_void,
    _prefix: &str,
    _env: &super::DistributedEnv,
    _timeout_ms: i64,
    _out: &mut *mut c_void,
) -> crate::error::Result<c_int> {
    Err(crate::error::FeError::DistributedSetting {
        setting: "backend".into(),
        reason: "this build lacks the `nccl` cargo feature".into(),
    })
}

/// The shim's last error on this thread.
pub(super) fn last_error() -> String {
    // SAFETY: the shim returns a pointer to a thread-local, NUL-terminated string that lives
    // until the next failing call on this thread; it is copied at once.
    unsafe { std::ffi::CStr::from_ptr(fe_c10d_last_error()) }.to_string_lossy().into_owned()
}

/// The `at::Tensor*` behind each tch tensor, for one call.
pub(super) fn tensor_ptrs(tensors: &[Tensor]) -> Vec<TensorPtr> {
    tensors.iter().map(|t| t.as_ptr() as TensorPtr).collect()
}
