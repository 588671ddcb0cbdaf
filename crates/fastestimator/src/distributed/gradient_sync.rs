//! [`GradientSync`]: gradient averaging that overlaps the backward pass (DDP's `Reducer`
//! behaviour, on c10d's all-reduce).
//!
//! Each trainable parameter gets an autograd hook. During a backward pass the hook copies the
//! parameter's gradient into its bucket (DDP's layout: filled in reverse parameter order, which
//! is roughly the order backward produces gradients; the first bucket holds at most 1 MiB, the
//! others at most `FE_BUCKET_CAP_MB`, default 25 MiB), and a full bucket starts its
//! all-reduce at once on Gloo's threads while backward computes the layers below. After backward,
//! [`GradientSync::finish`] waits for what is still in flight and writes the means into the
//! gradients.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tch::Tensor;

use super::ffi;
use super::process_group::{Owned, ProcessGroup, BUCKET_BYTES};
use crate::error::{FeError, Result};

/// The first bucket (the last layers' gradients, ready first) holds at most 1 MiB, as in DDP,
/// so communication starts early in the backward pass.
const FIRST_BUCKET_BYTES: i64 = 1 << 20;

/// The bucket cap: `FE_BUCKET_CAP_MB` (DDP's `bucket_cap_mb`), 25 MiB by default.
fn bucket_bytes() -> Result<i64> {
    match std::env::var("FE_BUCKET_CAP_MB") {
        Err(_) => Ok(BUCKET_BYTES as i64),
        Ok(v) => match v.trim().parse::<f64>() {
            Ok(mb) if mb > 0.0 && mb.is_finite() => Ok(((mb * (1u64 << 20) as f64) as i64).max(1)),
            _ => Err(FeError::DistributedEnv {
                var: "FE_BUCKET_CAP_MB".into(),
                value: v,
                reason: "must be a positive number of MiB".into(),
            }),
        },
    }
}

/// Totals over every [`GradientSync::finish`] of the process (see [`overlap_totals`]).
static STEPS: AtomicU64 = AtomicU64::new(0);
static BACKWARD_NS: AtomicU64 = AtomicU64::new(0);
static TAIL_NS: AtomicU64 = AtomicU64::new(0);

/// How much of the gradient all-reduce the backward pass hid, over every synchronised backward
/// pass of this process so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OverlapTotals {
    /// Backward passes whose gradients were averaged.
    pub steps: u64,
    /// Time spent in those backward passes (with the all-reduces of full buckets running
    /// alongside).
    pub backward: Duration,
    /// Time spent after them waiting for the all-reduces still in flight: the communication
    /// that backward did not hide.
    pub exposed: Duration,
}

/// The totals so far (all zero in a single-process run).
pub fn overlap_totals() -> OverlapTotals {
    OverlapTotals {
        steps: STEPS.load(Ordering::Relaxed),
        backward: Duration::from_nanos(BACKWARD_NS.load(Ordering::Relaxed)),
        exposed: Duration::from_nanos(TAIL_NS.load(Ordering::Relaxed)),
    }
}

/// Averages one model's gradients across the ranks while its backward pass runs.
pub struct GradientSync {
    group: Arc<ProcessGroup>,
    overlap: Owned,
    params: usize,
}

impl std::fmt::Debug for GradientSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GradientSync").field("params", &self.params).finish()
    }
}

impl GradientSync {
    /// Hook `params` (a model's trainable variables, in the order its gradients are returned).
    pub fn new(group: Arc<ProcessGroup>, params: &[Tensor]) -> Result<GradientSync> {
        let ptrs = ffi::tensor_ptrs(params);
        let mut out = std::ptr::null_mut();
        // SAFETY: live tensors and group; the shim keeps its own references to the tensors.
        let cap = bucket_bytes()?;
        let first = cap.min(FIRST_BUCKET_BYTES);
        let rc = unsafe { ffi::fe_c10d_overlap_new(group.group.ptr, ptrs.as_ptr(), ptrs.len(), first, cap, &mut out) };
        group.check("register gradient hooks", rc)?;
        Ok(GradientSync { group, overlap: Owned { ptr: out, free: ffi::fe_c10d_overlap_free }, params: params.len() })
    }

    /// Start collecting gradients: call right before the backward pass.
    pub fn arm(&self) -> Result<()> {
        // SAFETY: a live overlap object.
        let rc = unsafe { ffi::fe_c10d_overlap_arm(self.overlap.ptr) };
        self.group.check("all_reduce", rc)
    }

    /// After the backward pass: wait for the all-reduces and set each gradient in `grads` (one
    /// per parameter, in the same order) to its mean over the ranks. Buckets go out in the same
    /// order on every rank; a parameter that got no gradient here counts as zeros, and its
    /// gradient becomes the mean when another rank had one.
    pub fn finish(&self, grads: &[Tensor]) -> Result<()> {
        let ptrs = ffi::tensor_ptrs(grads);
        let mut stats = [0i64; 2];
        // SAFETY: live tensors; `stats` has room for the two numbers the shim writes.
        let rc = unsafe {
            ffi::fe_c10d_overlap_finish(
                self.overlap.ptr,
                ptrs.as_ptr(),
                ptrs.len(),
                self.group.world_size() as i32,
                stats.as_mut_ptr(),
            )
        };
        self.group.check("all_reduce", rc)?;
        STEPS.fetch_add(1, Ordering::Relaxed);
        BACKWARD_NS.fetch_add(stats[0].max(0) as u64, Ordering::Relaxed);
        TAIL_NS.fetch_add(stats[1].max(0) as u64, Ordering::Relaxed);
        Ok(())
    }
}
