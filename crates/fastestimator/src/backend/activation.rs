//! Activations with parameters that tch does not expose, through the C++ shim
//! (`csrc/activation.cpp`), so they run as libtorch's own fused kernels.

use std::os::raw::{c_char, c_int, c_void};

use tch::{TchError, Tensor};

extern "C" {
    fn fe_activation_last_error() -> *const c_char;
    fn fe_leaky_relu(x: *const c_void, negative_slope: f64, out: *mut *mut c_void) -> c_int;
}

/// Leaky ReLU with any slope: `x` where `x ≥ 0`, `negative_slope · x` elsewhere (PyTorch's
/// `F.leaky_relu(x, negative_slope)`).
///
/// tch's own `Tensor::leaky_relu` has libtorch's default slope, 0.01, fixed. The same function
/// written as tensor ops, `x.maximum(&(x * slope))`, runs four kernels forward and backward where
/// this runs one each way: on ResNet9's activations it takes about a seventh of the time.
///
/// # Panics
/// Where libtorch refuses the input (an integer tensor, say), as tch's own ops do; inside a
/// [`crate::Network`] or a model's forward pass that becomes a typed error.
/// [`f_leaky_relu`] returns the error instead.
///
/// ```
/// use fastestimator as fe;
/// let x = tch::Tensor::from_slice(&[-2.0f32, 0.0, 3.0]);
/// let y = fe::backend::leaky_relu(&x, 0.1);
/// assert_eq!(Vec::<f32>::try_from(&y).unwrap(), [-0.2, 0.0, 3.0]);
/// ```
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Tensor {
    match f_leaky_relu(x, negative_slope) {
        Ok(y) => y,
        // tch's own infallible ops panic with the error's debug form, which the guards read.
        Err(e) => panic!("{e:?}"),
    }
}

/// [`leaky_relu`], returning libtorch's error instead of panicking.
pub fn f_leaky_relu(x: &Tensor, negative_slope: f64) -> Result<Tensor, TchError> {
    let mut out: *mut c_void = std::ptr::null_mut();
    // SAFETY: `x` is a live `at::Tensor*` for the call; on success the shim stores a new
    // `at::Tensor*` in `out`, whose ownership passes to the returned tch tensor. The shim catches
    // every C++ exception.
    let rc = unsafe { fe_leaky_relu(x.as_ptr().cast(), negative_slope, &mut out) };
    if rc != 0 || out.is_null() {
        // SAFETY: a thread-local, NUL-terminated message that lives until the next failing call on
        // this thread; it is copied at once.
        let message = unsafe { std::ffi::CStr::from_ptr(fe_activation_last_error()) };
        return Err(TchError::Torch(message.to_string_lossy().into_owned()));
    }
    // SAFETY: `out` is a new, owned `at::Tensor*` (see above).
    Ok(unsafe { Tensor::from_ptr(out.cast()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    #[test]
    fn matches_the_tensor_op_form_forward_and_backward() {
        tch::manual_seed(0);
        let x = Tensor::randn([4, 3, 5, 5], (Kind::Float, tch::Device::Cpu)).set_requires_grad(true);
        let fused = leaky_relu(&x, 0.1);
        let by_ops = x.maximum(&(&x * 0.1));
        assert_eq!(fused.size(), [4, 3, 5, 5]);
        assert!(fused.allclose(&by_ops, 0.0, 0.0, false));
        let upstream = Tensor::randn([4, 3, 5, 5], (Kind::Float, tch::Device::Cpu));
        let g_fused = Tensor::run_backward(&[&fused * &upstream], &[&x], true, false).remove(0);
        let g_ops = Tensor::run_backward(&[&by_ops * &upstream], &[&x], true, false).remove(0);
        assert!(g_fused.allclose(&g_ops, 1e-7, 1e-7, false));
    }

    #[test]
    fn keeps_a_channels_last_layout() {
        let x = Tensor::randn([2, 4, 3, 3], (Kind::Float, tch::Device::Cpu))
            .contiguous()
            .permute([0, 2, 3, 1])
            .contiguous()
            .permute([0, 3, 1, 2]);
        assert_eq!(leaky_relu(&x, 0.2).stride(), x.stride());
    }

    #[test]
    fn an_integer_tensor_is_an_error_not_a_crash() {
        let x = Tensor::from_slice(&[1i64, -2]);
        let err = f_leaky_relu(&x, 0.1).unwrap_err().to_string();
        assert!(err.to_lowercase().contains("leaky") || err.contains("Long"), "{err}");
    }
}
