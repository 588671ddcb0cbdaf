// A thin C ABI over PyTorch's distributed engine (c10d), compiled by build.rs against the
// libtorch that tch links. Rust owns the objects through opaque pointers; every function catches
// C++ exceptions and reports them through fe_c10d_last_error() instead of unwinding into Rust.
//
// Tensors arrive as `at::Tensor*`, which is what tch's `C_tensor` pointer is.

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/generated/variable_factories.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef FE_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "guarded.h"

namespace {

struct Store {
  c10::intrusive_ptr<c10d::Store> inner;
};

struct Group {
  c10::intrusive_ptr<c10d::Backend> inner;
};

using fe_shim::guarded;

std::vector<at::Tensor> tensors_of(at::Tensor** tensors, size_t n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(*tensors[i]);
  return out;
}

// Start one collective per tensor (so they pipeline on Gloo's worker threads), then wait for all.
template <typename Launch>
void each_then_wait(at::Tensor** tensors, size_t n, Launch&& launch) {
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  works.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<at::Tensor> one{*tensors[i]};
    works.push_back(launch(one));
  }
  for (auto& w : works) w->wait();
}

// Gradient averaging that overlaps backward (what DDP's Reducer does, on the same collectives):
// every trainable parameter gets a hook that fires as soon as autograd has its gradient; the
// hook copies it into its bucket, and a bucket whose gradients are all in starts its all-reduce
// on Gloo's threads while backward goes on with the layers below. `finish` waits for the buckets
// and writes the averages into the gradients the backward pass returned.
struct Overlap {
  c10::intrusive_ptr<c10d::Backend> pg;
  std::vector<at::Tensor> params;
  struct Bucket {
    std::vector<size_t> members;
    at::Tensor flat;
    size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;
  std::vector<int64_t> offset_of;
  std::vector<bool> got;
  // Buckets start strictly in index order, the same on every rank (collectives are matched by
  // the order they are issued in): a full bucket waits for the ones before it.
  size_t next_launch = 0;
  std::mutex mu;
  bool armed = false;
  std::string error;
  std::chrono::steady_clock::time_point armed_at;

  void launch(Bucket& b) {
    std::vector<at::Tensor> one{b.flat};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp::SUM;
    b.work = pg->allreduce(one, opts);
  }

  void ready(size_t i, const at::Tensor& grad) {
    std::lock_guard<std::mutex> lock(mu);
    if (!armed || got[i] || !grad.defined()) return;
    try {
      auto& b = buckets[bucket_of[i]];
      b.flat.narrow(0, offset_of[i], params[i].numel()).copy_(grad.reshape({-1}));
      got[i] = true;
      --b.pending;
      while (next_launch < buckets.size() && buckets[next_launch].pending == 0) launch(buckets[next_launch++]);
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
    }
  }
};

}  // namespace

extern "C" {

const char* fe_c10d_last_error() { return fe_shim::last_error.c_str(); }

int fe_c10d_store_new(const char* host, uint16_t port, int is_server, int num_workers, int64_t timeout_ms,
                      void** out) {
  return guarded([&] {
    c10d::TCPStoreOptions opts;
    opts.port = port;
    opts.isServer = is_server != 0;
    if (num_workers > 0) opts.numWorkers = static_cast<size_t>(num_workers);
    opts.waitWorkers = false;
    opts.timeout = std::chrono::milliseconds(timeout_ms);
    auto store = c10::make_intrusive<c10d::TCPStore>(std::string(host), opts);
    *out = new Store{store};
  });
}

int fe_c10d_store_clone(void* store, void** out) {
  return guarded([&] { *out = new Store{static_cast<Store*>(store)->inner->clone()}; });
}

void fe_c10d_store_free(void* store) { delete static_cast<Store*>(store); }

int fe_c10d_store_add(void* store, const char* key, int64_t value, int64_t* out) {
  return guarded([&] { *out = static_cast<Store*>(store)->inner->add(std::string(key), value); });
}

// interface: bind Gloo to this network interface when not empty; otherwise to `hostname` when
// not empty; otherwise to this machine's default address.
int fe_c10d_gloo_new(void* store, const char* prefix, int rank, int size, int64_t timeout_ms, const char* interface,
                     const char* hostname, void** out) {
  return guarded([&] {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>(std::string(prefix), static_cast<Store*>(store)->inner);
    auto opts = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeout_ms));
    if (std::strlen(interface) > 0) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(std::string(interface)));
    } else if (std::strlen(hostname) > 0) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(std::string(hostname)));
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    opts->threads = 2;
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, size, opts);
    *out = new Group{pg};
  });
}

#ifdef FE_WITH_NCCL
// NCCL on this process's current CUDA device (one GPU per rank).
int fe_c10d_nccl_new(void* store, const char* prefix, int rank, int size, int64_t timeout_ms, void** out) {
  return guarded([&] {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>(std::string(prefix), static_cast<Store*>(store)->inner);
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = std::chrono::milliseconds(timeout_ms);
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, rank, size, opts);
    *out = new Group{pg};
  });
}
#endif

void fe_c10d_group_free(void* group) { delete static_cast<Group*>(group); }

// op: 0 sums, 1 takes the maximum.
int fe_c10d_all_reduce(void* group, at::Tensor** tensors, size_t n, int op) {
  return guarded([&] {
    auto& pg = static_cast<Group*>(group)->inner;
    each_then_wait(tensors, n, [&](std::vector<at::Tensor>& one) {
      c10d::AllreduceOptions opts;
      opts.reduceOp = op == 1 ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
      return pg->allreduce(one, opts);
    });
  });
}

int fe_c10d_broadcast(void* group, at::Tensor** tensors, size_t n, int root) {
  return guarded([&] {
    auto& pg = static_cast<Group*>(group)->inner;
    each_then_wait(tensors, n, [&](std::vector<at::Tensor>& one) {
      c10d::BroadcastOptions opts;
      opts.rootRank = root;
      return pg->broadcast(one, opts);
    });
  });
}

int fe_c10d_barrier(void* group) {
  return guarded([&] { static_cast<Group*>(group)->inner->barrier()->wait(); });
}

// Hooks on `params` (a model's trainable variables, in the order its gradients come back), with
// buckets filled in reverse order, as gradients become ready: the first bucket holds at most
// `first_bucket_bytes` (so its all-reduce starts early), the others at most `bucket_bytes`.
int fe_c10d_overlap_new(void* group, at::Tensor** params, size_t n, int64_t first_bucket_bytes,
                        int64_t bucket_bytes, void** out) {
  return guarded([&] {
    auto ov = std::make_shared<Overlap>();
    ov->pg = static_cast<Group*>(group)->inner;
    ov->params = tensors_of(params, n);
    ov->bucket_of.assign(n, 0);
    ov->offset_of.assign(n, 0);
    ov->got.assign(n, false);
    std::vector<int64_t> sizes;
    for (size_t k = n; k-- > 0;) {
      auto& p = ov->params[k];
      int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
      int64_t cap = ov->buckets.size() == 1 ? first_bucket_bytes : bucket_bytes;
      bool fits = !ov->buckets.empty() && sizes.back() + bytes <= cap &&
                  ov->buckets.back().flat.scalar_type() == p.scalar_type() &&
                  ov->buckets.back().flat.device() == p.device();
      if (!fits) {
        Overlap::Bucket b;
        b.flat = at::empty({0}, p.options().requires_grad(false));
        ov->buckets.push_back(b);
        sizes.push_back(0);
      }
      auto& b = ov->buckets.back();
      ov->bucket_of[k] = ov->buckets.size() - 1;
      ov->offset_of[k] = sizes.back() / static_cast<int64_t>(p.element_size());
      b.members.push_back(k);
      sizes.back() += bytes;
    }
    for (size_t j = 0; j < ov->buckets.size(); ++j) {
      auto& b = ov->buckets[j];
      auto& first = ov->params[b.members.front()];
      b.flat = at::zeros({sizes[j] / static_cast<int64_t>(first.element_size())}, first.options().requires_grad(false));
    }
    std::weak_ptr<Overlap> weak = ov;
    for (size_t k = 0; k < n; ++k) {
      ov->params[k].register_hook([weak, k](const at::Tensor& grad) {
        if (auto ov = weak.lock()) ov->ready(k, grad);
      });
    }
    *out = new std::shared_ptr<Overlap>(ov);
  });
}

void fe_c10d_overlap_free(void* overlap) { delete static_cast<std::shared_ptr<Overlap>*>(overlap); }

// Start watching for gradients (call right before the backward pass).
int fe_c10d_overlap_arm(void* overlap) {
  return guarded([&] {
    auto& ov = **static_cast<std::shared_ptr<Overlap>*>(overlap);
    std::lock_guard<std::mutex> lock(ov.mu);
    for (auto& b : ov.buckets) {
      b.pending = b.members.size();
      b.work.reset();
    }
    std::fill(ov.got.begin(), ov.got.end(), false);
    ov.next_launch = 0;
    ov.error.clear();
    ov.armed = true;
    ov.armed_at = std::chrono::steady_clock::now();
  });
}

// After the backward pass: all-reduce what is left, in bucket order (a parameter without a
// gradient counts as zeros), wait for every bucket and set each `grads[i]` to the mean over the
// `world` ranks (an undefined one only when another rank had a gradient for it). `stats`
// receives {backward_ns, tail_ns}: the time from arming to the end of backward, and the wait
// after it for the all-reduces still in flight (the part of communication not hidden).
int fe_c10d_overlap_finish(void* overlap, at::Tensor** grads, size_t n, int world, int64_t* stats) {
  return guarded([&] {
    auto& ov = **static_cast<std::shared_ptr<Overlap>*>(overlap);
    std::unique_lock<std::mutex> lock(ov.mu);
    ov.armed = false;
    if (!ov.error.empty()) throw std::runtime_error(ov.error);
    TORCH_CHECK(n == ov.params.size(), "expected ", ov.params.size(), " gradients, got ", n);
    auto backward_done = std::chrono::steady_clock::now();
    // The rest, in order: a gradient whose hook did not fire is taken from `grads`, and a
    // parameter without one counts as zeros (another rank may have one).
    for (; ov.next_launch < ov.buckets.size(); ++ov.next_launch) {
      auto& b = ov.buckets[ov.next_launch];
      for (size_t k : b.members) {
        if (ov.got[k]) continue;
        auto slot = b.flat.narrow(0, ov.offset_of[k], ov.params[k].numel());
        if (grads[k]->defined()) {
          slot.copy_(grads[k]->reshape({-1}));
        } else {
          slot.zero_();
        }
      }
      ov.launch(b);
    }
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (auto& b : ov.buckets) works.push_back(b.work);
    lock.unlock();
    for (auto& w : works) w->wait();
    auto done = std::chrono::steady_clock::now();
    stats[0] = std::chrono::duration_cast<std::chrono::nanoseconds>(backward_done - ov.armed_at).count();
    stats[1] = std::chrono::duration_cast<std::chrono::nanoseconds>(done - backward_done).count();
    at::NoGradGuard no_grad;
    for (size_t k = 0; k < n; ++k) {
      at::Tensor& g = *grads[k];
      auto& b = ov.buckets[ov.bucket_of[k]];
      auto mean = b.flat.narrow(0, ov.offset_of[k], ov.params[k].numel()).view(ov.params[k].sizes()).div(world);
      if (g.defined()) {
        g.copy_(mean);
      } else if (mean.ne(0).any().item<bool>()) {
        // No gradient here but one on another rank: take the mean too, so every rank steps
        // alike. (Where no rank had one, the gradient stays undefined, as on one process.)
        g = mean;
      }
    }
  });
}

}  // extern "C"
