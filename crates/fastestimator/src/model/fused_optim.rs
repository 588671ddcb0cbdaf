//! Adam, AdamW and SGD through libtorch's fused kernels (`csrc/fused_optim.cpp`): one call
//! updates every parameter in a single pass over its memory, where the tensor-op form dispatches
//! several ops, and allocates temporaries, per parameter.

use std::os::raw::{c_char, c_int, c_void};

use tch::{Kind, Tensor};

extern "C" {
    fn fe_optim_last_error() -> *const c_char;
    #[allow(clippy::too_many_arguments)]
    fn fe_optim_fused_adam(
        params: *const *mut c_void,
        grads: *const *mut c_void,
        exp_avgs: *const *mut c_void,
        exp_avg_sqs: *const *mut c_void,
        n: usize,
        step: i64,
        lr: f64,
        beta1: f64,
        beta2: f64,
        weight_decay: f64,
        eps: f64,
        decoupled: c_int,
    ) -> c_int;
    #[allow(clippy::too_many_arguments)]
    fn fe_optim_fused_sgd(
        params: *const *mut c_void,
        grads: *const *mut c_void,
        momentum_buffers: *const *mut c_void,
        n: usize,
        lr: f64,
        momentum: f64,
        weight_decay: f64,
        nesterov: c_int,
        first_step: c_int,
    ) -> c_int;
}

/// Adam's settings for one step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamStep {
    /// The step number after this update (1 on the first).
    pub step: i64,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub weight_decay: f64,
    pub eps: f64,
    /// AdamW's decoupled weight decay rather than Adam's L2 penalty.
    pub decoupled: bool,
}

/// SGD's settings for one step (torch's SGD without dampening).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SgdStep {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    /// The optimizer's first step: each momentum buffer becomes its gradient.
    pub first_step: bool,
}

/// Whether the fused kernel takes these parameters: all of one floating dtype on one device, as
/// libtorch's multi-tensor kernels require.
pub(crate) fn supports(params: &[&Tensor]) -> bool {
    let Some(first) = params.first() else { return true };
    let (kind, device) = (first.kind(), first.device());
    matches!(kind, Kind::Float | Kind::Double | Kind::Half | Kind::BFloat16)
        && params.iter().all(|p| p.kind() == kind && p.device() == device)
}

/// One fused step. Each parameter's moments must be laid out as the parameter (they are made with
/// `zeros_like`); a gradient in another layout is copied into the parameter's first.
pub(crate) fn fused_adam(
    params: &[&Tensor],
    grads: &[&Tensor],
    exp_avgs: &[&Tensor],
    exp_avg_sqs: &[&Tensor],
    s: AdamStep,
) -> Result<(), String> {
    let n = params.len();
    if grads.len() != n || exp_avgs.len() != n || exp_avg_sqs.len() != n {
        return Err(format!(
            "{n} parameters, {} gradients, {} and {} moments",
            grads.len(),
            exp_avgs.len(),
            exp_avg_sqs.len()
        ));
    }
    let (p, g, m, v) = (ptrs(params), ptrs(grads), ptrs(exp_avgs), ptrs(exp_avg_sqs));
    // SAFETY: every pointer is a live `at::Tensor*` owned by the borrowed tch tensors for the whole
    // call, and each list holds `n` of them; the shim catches every C++ exception.
    check(unsafe {
        fe_optim_fused_adam(
            p.as_ptr(),
            g.as_ptr(),
            m.as_ptr(),
            v.as_ptr(),
            n,
            s.step,
            s.lr,
            s.beta1,
            s.beta2,
            s.weight_decay,
            s.eps,
            c_int::from(s.decoupled),
        )
    })
}

/// One fused SGD step. The momentum buffers (one per parameter, laid out as it) are read only
/// with momentum; a gradient in another layout is copied into the parameter's first.
pub(crate) fn fused_sgd(
    params: &[&Tensor],
    grads: &[&Tensor],
    momentum_buffers: &[&Tensor],
    s: SgdStep,
) -> Result<(), String> {
    let n = params.len();
    if grads.len() != n || momentum_buffers.len() != n {
        return Err(format!("{n} parameters, {} gradients, {} momentum buffers", grads.len(), momentum_buffers.len()));
    }
    let (p, g, b) = (ptrs(params), ptrs(grads), ptrs(momentum_buffers));
    // SAFETY: as in `fused_adam`.
    check(unsafe {
        fe_optim_fused_sgd(
            p.as_ptr(),
            g.as_ptr(),
            b.as_ptr(),
            n,
            s.lr,
            s.momentum,
            s.weight_decay,
            c_int::from(s.nesterov),
            c_int::from(s.first_step),
        )
    })
}

/// The `at::Tensor*` behind each tch tensor, for one call.
fn ptrs(tensors: &[&Tensor]) -> Vec<*mut c_void> {
    tensors.iter().map(|t| t.as_ptr() as *mut c_void).collect()
}

/// The shim's status as a result, with its message on failure.
fn check(rc: c_int) -> Result<(), String> {
    if rc == 0 {
        return Ok(());
    }
    // SAFETY: the shim returns a pointer to a thread-local, NUL-terminated string that lives until
    // the next failing call on this thread; it is copied at once.
    Err(unsafe { std::ffi::CStr::from_ptr(fe_optim_last_error()) }.to_string_lossy().into_owned())
}
