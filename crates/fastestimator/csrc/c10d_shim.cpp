// A thin C ABI over PyTorch's distributed engine (c10d), compiled by build.rs against the
// libtorch that tch links. Rust owns the objects through opaque pointers; every function catches
// C++ exceptions and reports them through fe_c10d_last_error() instead of unwinding into Rust.
//
// Tensors arrive as `at::Tensor*`, which is what tch's `C_tensor` pointer is.

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace {

thread_local std::string last_error;

struct Store {
  c10::intrusive_ptr<c10d::Store> inner;
};

struct Group {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> inner;
};

template <typename F>
int guarded(F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return 1;
}

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

}  // namespace

extern "C" {

const char* fe_c10d_last_error() { return last_error.c_str(); }

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

void fe_c10d_group_free(void* group) { delete static_cast<Group*>(group); }

int fe_c10d_all_reduce_sum(void* group, at::Tensor** tensors, size_t n) {
  return guarded([&] {
    auto& pg = static_cast<Group*>(group)->inner;
    each_then_wait(tensors, n, [&](std::vector<at::Tensor>& one) {
      c10d::AllreduceOptions opts;
      opts.reduceOp = c10d::ReduceOp::SUM;
      return pg->allreduce(one, opts);
    });
  });
}

int fe_c10d_all_reduce_max(void* group, at::Tensor** tensors, size_t n) {
  return guarded([&] {
    auto& pg = static_cast<Group*>(group)->inner;
    each_then_wait(tensors, n, [&](std::vector<at::Tensor>& one) {
      c10d::AllreduceOptions opts;
      opts.reduceOp = c10d::ReduceOp::MAX;
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

}  // extern "C"
