// A C ABI over libtorch activations whose parameters tch 0.24 does not expose. tch's
// `leaky_relu` takes no slope (it is fixed at libtorch's default, 0.01); the alternative in tensor
// ops, max(x, slope * x), runs several kernels forward and backward where libtorch's
// `leaky_relu` runs one each way (about 7x the time on ResNet9's activations).
//
// Every function catches C++ exceptions and reports them through fe_activation_last_error().

#include <ATen/ATen.h>

#include "guarded.h"

extern "C" {

const char* fe_activation_last_error() { return fe_shim::last_error.c_str(); }

// `at::leaky_relu(x, negative_slope)`, recorded by autograd as libtorch's own op. On success
// `*out` is a new tensor that the caller owns (tch frees it with `delete`).
int fe_leaky_relu(const at::Tensor* x, double negative_slope, at::Tensor** out) {
  return fe_shim::guarded([&] { *out = new at::Tensor(at::leaky_relu(*x, negative_slope)); });
}

}  // extern "C"
