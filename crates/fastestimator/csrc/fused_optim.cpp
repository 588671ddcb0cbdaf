// A C ABI over libtorch's fused optimizer kernels (`_fused_adam_`, `_fused_adamw_`), which tch
// does not expose. One call updates every parameter in one pass over its memory, instead of a
// dozen tensor ops per parameter dispatched from Rust.
//
// Every function catches C++ exceptions and reports them through fe_optim_last_error().

#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "guarded.h"

namespace {

using fe_shim::guarded;

// The kernels walk each tensor's memory in order, so every tensor of a parameter must be laid out
// as the parameter is. A gradient that is not (autograd may return another layout) is copied into
// the parameter's layout; optimizer state is created in it, so a mismatch there is a bug.
at::Tensor in_layout_of(const at::Tensor& param, const at::Tensor& t, const char* what) {
  if (t.sizes() != param.sizes()) {
    throw std::runtime_error(std::string(what) + " has shape " + c10::str(t.sizes()) + ", the parameter " +
                             c10::str(param.sizes()));
  }
  if (t.strides() == param.strides()) return t;
  return at::empty_like(param).copy_(t);
}

}  // namespace

extern "C" {

const char* fe_optim_last_error() { return fe_shim::last_error.c_str(); }

// One Adam (decoupled == 0) or AdamW (decoupled != 0) step over n parameters, as torch.optim's
// fused Adam: `step` is the step number after this update (1 on the first step).
int fe_optim_fused_adam(at::Tensor** params, at::Tensor** grads, at::Tensor** exp_avgs, at::Tensor** exp_avg_sqs,
                        size_t n, int64_t step, double lr, double beta1, double beta2, double weight_decay,
                        double eps, int decoupled) {
  return guarded([&] {
    std::vector<at::Tensor> p, g, m, v;
    p.reserve(n);
    g.reserve(n);
    m.reserve(n);
    v.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const at::Tensor& param = *params[i];
      if (!param.is_non_overlapping_and_dense()) {
        throw std::runtime_error("parameter " + std::to_string(i) + " is not dense in memory");
      }
      p.push_back(param);
      g.push_back(in_layout_of(param, *grads[i], "the gradient"));
      for (auto [state, out] : {std::pair{exp_avgs[i], &m}, std::pair{exp_avg_sqs[i], &v}}) {
        if (state->strides() != param.strides() || state->sizes() != param.sizes()) {
          throw std::runtime_error("optimizer state " + std::to_string(i) + " is not laid out as its parameter");
        }
        out->push_back(*state);
      }
    }
    if (n == 0) return;
    auto steps = at::full({}, static_cast<double>(step), p[0].options().dtype(at::kFloat));
    std::vector<at::Tensor> step_list(n, steps);
    if (decoupled != 0) {
      at::_fused_adamw_(p, g, m, v, {}, step_list, lr, beta1, beta2, weight_decay, eps, false, false);
    } else {
      at::_fused_adam_(p, g, m, v, {}, step_list, lr, beta1, beta2, weight_decay, eps, false, false);
    }
  });
}

}  // extern "C"
