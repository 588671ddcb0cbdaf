// A C ABI over libtorch's fused optimizer kernels (`_fused_adam_`, `_fused_adamw_`,
// `_fused_sgd_`), which tch does not expose. One call updates every parameter in one pass over its
// memory, instead of several tensor ops per parameter dispatched from Rust.
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

// The kernels' tensor lists, checked: each parameter dense, each state tensor laid out as its
// parameter, each gradient in its parameter's layout (copied there when it is not).
struct Lists {
  std::vector<at::Tensor> params, grads;
  std::vector<std::vector<at::Tensor>> states;
};

Lists lists(at::Tensor** params, at::Tensor** grads, const std::vector<at::Tensor**>& states, size_t n) {
  Lists l;
  l.params.reserve(n);
  l.grads.reserve(n);
  l.states.resize(states.size());
  for (auto& s : l.states) s.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const at::Tensor& param = *params[i];
    if (!param.is_non_overlapping_and_dense()) {
      throw std::runtime_error("parameter " + std::to_string(i) + " is not dense in memory");
    }
    l.params.push_back(param);
    l.grads.push_back(in_layout_of(param, *grads[i], "the gradient"));
    for (size_t j = 0; j < states.size(); ++j) {
      const at::Tensor& state = *states[j][i];
      if (state.strides() != param.strides() || state.sizes() != param.sizes()) {
        throw std::runtime_error("optimizer state " + std::to_string(i) + " is not laid out as its parameter");
      }
      l.states[j].push_back(state);
    }
  }
  return l;
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
    Lists l = lists(params, grads, {exp_avgs, exp_avg_sqs}, n);
    if (n == 0) return;
    auto steps = at::full({}, static_cast<double>(step), l.params[0].options().dtype(at::kFloat));
    std::vector<at::Tensor> step_list(n, steps);
    auto& [p, g, states] = l;
    if (decoupled != 0) {
      at::_fused_adamw_(p, g, states[0], states[1], {}, step_list, lr, beta1, beta2, weight_decay, eps, false, false);
    } else {
      at::_fused_adam_(p, g, states[0], states[1], {}, step_list, lr, beta1, beta2, weight_decay, eps, false, false);
    }
  });
}

// One SGD step over n parameters, as torch.optim's fused SGD (no dampening). `momentum_buffers` is
// read only when momentum != 0; on the first step the kernel sets each buffer to its gradient.
int fe_optim_fused_sgd(at::Tensor** params, at::Tensor** grads, at::Tensor** momentum_buffers, size_t n, double lr,
                       double momentum, double weight_decay, int nesterov, int first_step) {
  return guarded([&] {
    std::vector<at::Tensor**> state_lists;
    if (momentum != 0.0) state_lists.push_back(momentum_buffers);
    Lists l = lists(params, grads, state_lists, n);
    if (n == 0) return;
    std::vector<at::Tensor> no_buffers;
    at::_fused_sgd_(l.params, l.grads, momentum != 0.0 ? l.states[0] : no_buffers, weight_decay, momentum, lr, 0.0,
                    nesterov != 0, false, first_step != 0);
  });
}

}  // extern "C"
