//! [`ProcessGroup`]: this process's connection to the other ranks, on PyTorch's own c10d engine
//! (a `TCPStore` for rendezvous, `ProcessGroupGloo` for the collectives).
//!
//! Every rank runs the same collectives in the same order. When one fails (a peer died, or a
//! timeout), the error names the ranks that stopped answering: each rank bumps a heartbeat
//! counter in the store every half second from a thread of its own, and a failed collective
//! reads the counters twice, two seconds apart.

use std::ffi::{c_void, CString};
use std::time::Duration;

use tch::{Device, Kind, Tensor};

use super::env::DistributedEnv;
use super::ffi;
use crate::error::{clean_torch_text, FeError, Result};

/// How long a collective may wait for its peers before failing, unless `FE_DIST_TIMEOUT`
/// (seconds) says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Gradients are all-reduced in buckets of at most this many bytes (DDP's default cap).
pub(super) const BUCKET_BYTES: usize = 25 << 20;

/// Which of c10d's backends carries the collectives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommBackend {
    /// Gloo: TCP between processes, for CPU and CUDA tensors (always built in).
    Gloo,
    /// NCCL: GPU to GPU, one GPU per rank (the `nccl` cargo feature).
    Nccl,
}

impl CommBackend {
    /// `FE_DIST_BACKEND` (`gloo` or `nccl`) when set; otherwise NCCL when this build has it and
    /// a GPU is visible, else Gloo.
    pub fn from_env() -> Result<CommBackend> {
        match std::env::var("FE_DIST_BACKEND").ok().as_deref().map(str::trim) {
            None | Some("") => Ok(if cfg!(feature = "nccl") && tch::Cuda::is_available() {
                CommBackend::Nccl
            } else {
                CommBackend::Gloo
            }),
            Some(v) if v.eq_ignore_ascii_case("gloo") => Ok(CommBackend::Gloo),
            Some(v) if v.eq_ignore_ascii_case("nccl") => Ok(CommBackend::Nccl),
            Some(v) => Err(FeError::DistributedEnv {
                var: "FE_DIST_BACKEND".into(),
                value: v.into(),
                reason: "must be gloo or nccl".into(),
            }),
        }
    }
}

/// An owned pointer to a shim object, freed with `free`.
pub(super) struct Owned {
    pub(super) ptr: *mut c_void,
    pub(super) free: unsafe extern "C" fn(*mut c_void),
}

// SAFETY: the shim's objects (a TCPStore client, a ProcessGroupGloo) are internally synchronised
// by c10d; every use from Rust goes through `&ProcessGroup`, whose collectives are issued from
// one thread at a time by the training loop.
unsafe impl Send for Owned {}
unsafe impl Sync for Owned {}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from the matching `_new`/`_clone` and is freed once.
        unsafe { (self.free)(self.ptr) }
    }
}

/// A group of processes that train one model together (torch.distributed's process group).
///
/// Made once per process by [`super::init`] from the launcher's environment; the Estimator uses
/// it for sharding, gradient averaging and metric reduction. A custom trace reduces its own
/// accumulators with [`ProcessGroup::sum_f64`], [`ProcessGroup::sum_i64`] or
/// [`ProcessGroup::gather_f64`] (see [`super::current`]).
pub struct ProcessGroup {
    rank: usize,
    world_size: usize,
    backend: CommBackend,
    /// Where the helpers' small tensors live: the CPU for Gloo, this rank's GPU for NCCL.
    device: Device,
    /// The rank whose process hosts the store (`None` when the launcher's agent does).
    store_host: Option<usize>,
    store: Owned,
    pub(super) group: Owned,
}

impl std::fmt::Debug for ProcessGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessGroup").field("rank", &self.rank).field("world_size", &self.world_size).finish()
    }
}

impl ProcessGroup {
    /// Connect to the other ranks of `env`: rank 0 (or the launcher's agent, under torchrun)
    /// hosts the store at `MASTER_ADDR:MASTER_PORT`, every rank connects, and Gloo builds its mesh.
    /// A port already in use, an unreachable master or a world that never fills up within
    /// `timeout` is an error naming the variable.
    pub fn connect(env: &DistributedEnv, timeout: Duration, backend: CommBackend) -> Result<ProcessGroup> {
        if backend == CommBackend::Nccl && !cfg!(feature = "nccl") {
            return Err(FeError::DistributedSetting {
                setting: "backend".into(),
                reason: "NCCL was asked for (FE_DIST_BACKEND=nccl), but this build of fastestimator lacks the \
                         `nccl` cargo feature; rebuild with `--features nccl`, or use Gloo"
                    .into(),
            });
        }
        let timeout_ms = timeout.as_millis().min(i64::MAX as u128) as i64;
        let is_server = env.rank == 0 && !env.agent_store;
        let host = c_string("MASTER_ADDR", &env.master_addr)?;
        let mut store = std::ptr::null_mut();
        // SAFETY: valid C strings and an out-pointer; the shim catches every C++ exception.
        let rc = unsafe {
            ffi::fe_c10d_store_new(
                host.as_ptr(),
                env.master_port,
                is_server as i32,
                env.world_size as i32,
                timeout_ms,
                &mut store,
            )
        };
        if rc != 0 {
            let reason = clean_torch_text(&ffi::last_error());
            let endpoint = format!("{}:{}", env.master_addr, env.master_port);
            return Err(if is_server && (reason.contains("EADDRINUSE") || reason.contains("in use")) {
                FeError::DistributedEnv {
                    var: "MASTER_PORT".into(),
                    value: env.master_port.to_string(),
                    reason: "the port is already in use on this machine; choose a free one".into(),
                }
            } else {
                FeError::Collective {
                    op: format!("connect to the store at {endpoint} (MASTER_ADDR:MASTER_PORT)"),
                    rank: env.rank,
                    world_size: env.world_size,
                    lost_ranks: Vec::new(),
                    reason,
                }
            });
        }
        let store = Owned { ptr: store, free: ffi::fe_c10d_store_free };
        let restart = std::env::var("TORCHELASTIC_RESTART_COUNT").unwrap_or_else(|_| "0".into());
        let prefix = format!("fe/{restart}/");
        claim_rank(&store, &prefix, env)?;
        let interface = c_string("GLOO_SOCKET_IFNAME", &std::env::var("GLOO_SOCKET_IFNAME").unwrap_or_default())?;
        let loopback = env.master_addr.starts_with("127.") || env.master_addr == "localhost";
        let hostname = c_string("MASTER_ADDR", if loopback { "127.0.0.1" } else { "" })?;
        let mut group = std::ptr::null_mut();
        let rc = match backend {
            CommBackend::Gloo => {
                let gloo_prefix = c_string("TORCHELASTIC_RESTART_COUNT", &format!("{prefix}gloo/"))?;
                // SAFETY: as above; `store.ptr` is a live store.
                unsafe {
                    ffi::fe_c10d_gloo_new(
                        store.ptr,
                        gloo_prefix.as_ptr(),
                        env.rank as i32,
                        env.world_size as i32,
                        timeout_ms,
                        interface.as_ptr(),
                        hostname.as_ptr(),
                        &mut group,
                    )
                }
            }
            // SAFETY: `store` is the live store made above, freed only when it is dropped.
            CommBackend::Nccl => unsafe {
                ffi::nccl_new(store.ptr, &format!("{prefix}nccl/"), env, timeout_ms, &mut group)?
            },
        };
        if rc != 0 {
            let mut reason = clean_torch_text(&ffi::last_error());
            if reason.to_lowercase().contains("timeout") || reason.to_lowercase().contains("timed out") {
                reason.push_str(&format!(" (are all WORLD_SIZE={} processes started?)", env.world_size));
            }
            return Err(FeError::Collective {
                op: format!("set up {backend:?}"),
                rank: env.rank,
                world_size: env.world_size,
                lost_ranks: Vec::new(),
                reason,
            });
        }
        let group = Owned { ptr: group, free: ffi::fe_c10d_group_free };
        let device = match backend {
            CommBackend::Gloo => Device::Cpu,
            CommBackend::Nccl => Device::Cuda(env.local_rank),
        };
        let pg = ProcessGroup {
            rank: env.rank,
            world_size: env.world_size,
            backend,
            device,
            store_host: (!env.agent_store).then_some(0),
            store,
            group,
        };
        pg.start_heartbeat()?;
        Ok(pg)
    }

    /// This process's global rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of processes in the job.
    pub fn world_size(&self) -> usize {
        self.world_size
    }

    /// The backend carrying the collectives.
    pub fn backend(&self) -> CommBackend {
        self.backend
    }

    /// Where tensors given to this group's collectives must live for the small helpers
    /// (`sum_f64`, ...): the CPU for Gloo, this rank's GPU for NCCL.
    pub fn device(&self) -> Device {
        self.device
    }

    /// `values` as a tensor on the group's device.
    fn scratch<T: tch::kind::Element>(&self, values: &[T]) -> Tensor {
        Tensor::from_slice(values).to_device(self.device)
    }

    /// Copy a helper's result back into `values`.
    fn read_back<T: tch::kind::Element>(t: &Tensor, values: &mut [T], what: &str) -> Result<()> {
        t.to_device(Device::Cpu).f_copy_data(values, values.len()).map_err(|e| FeError::torch(what.to_string(), e))
    }

    /// Sum `tensors` element-wise across ranks, in place (each must be dense and contiguous).
    pub fn all_reduce_sum(&self, tensors: &[Tensor]) -> Result<()> {
        self.all_reduce(tensors, 0)
    }

    /// The element-wise maximum of `tensors` across ranks, in place.
    pub fn all_reduce_max(&self, tensors: &[Tensor]) -> Result<()> {
        self.all_reduce(tensors, 1)
    }

    fn all_reduce(&self, tensors: &[Tensor], op: i32) -> Result<()> {
        let ptrs = ffi::tensor_ptrs(tensors);
        // SAFETY: the pointers are live tch tensors for the duration of the call.
        let rc = unsafe { ffi::fe_c10d_all_reduce(self.group.ptr, ptrs.as_ptr(), ptrs.len(), op) };
        self.check("all_reduce", rc)
    }

    /// Overwrite `tensors` on every rank with rank `root`'s values.
    pub fn broadcast(&self, tensors: &[Tensor], root: usize) -> Result<()> {
        let ptrs = ffi::tensor_ptrs(tensors);
        // SAFETY: as in `all_reduce_sum`.
        let rc = unsafe { ffi::fe_c10d_broadcast(self.group.ptr, ptrs.as_ptr(), ptrs.len(), root as i32) };
        self.check("broadcast", rc)
    }

    /// Wait until every rank gets here.
    pub fn barrier(&self) -> Result<()> {
        // SAFETY: a live group.
        let rc = unsafe { ffi::fe_c10d_barrier(self.group.ptr) };
        self.check("barrier", rc)
    }

    /// Sum `values` across ranks, in place (a custom trace's counts and sums).
    pub fn sum_f64(&self, values: &mut [f64]) -> Result<()> {
        let t = self.scratch(values);
        self.all_reduce_sum(std::slice::from_ref(&t))?;
        Self::read_back(&t, values, "sum_f64")
    }

    /// Sum `values` across ranks, in place, exactly.
    pub fn sum_i64(&self, values: &mut [i64]) -> Result<()> {
        let t = self.scratch(values);
        self.all_reduce_sum(std::slice::from_ref(&t))?;
        Self::read_back(&t, values, "sum_i64")
    }

    /// The maximum of `values` across ranks, in place.
    pub fn max_f64(&self, values: &mut [f64]) -> Result<()> {
        let t = self.scratch(values);
        self.all_reduce_max(std::slice::from_ref(&t))?;
        Self::read_back(&t, values, "max_f64")
    }

    /// Every rank's `values`, concatenated in rank order (score lists, per-sample values). The
    /// ranks may hold different numbers of values.
    pub fn gather_f64(&self, values: &[f64]) -> Result<Vec<f64>> {
        let mut lengths = vec![0i64; self.world_size];
        lengths[self.rank] = values.len() as i64;
        self.sum_i64(&mut lengths)?;
        let offset: usize = lengths[..self.rank].iter().map(|&n| n as usize).sum();
        let total: usize = lengths.iter().map(|&n| n as usize).sum();
        // Each rank writes its values into its own segment of zeros; the sum is the concatenation.
        let mut all = vec![0.0; total];
        all[offset..offset + values.len()].copy_from_slice(values);
        self.sum_f64(&mut all)?;
        Ok(all)
    }

    /// Replace `grads` with their mean over the ranks, in buckets of at most 25 MiB per dtype
    /// (one all-reduce per bucket, all in flight together). Undefined gradients are skipped.
    pub fn average_gradients(&self, grads: &[Tensor]) -> Result<()> {
        let world = self.world_size as f64;
        let defined: Vec<&Tensor> = grads.iter().filter(|g| g.defined()).collect();
        let mut buckets: Vec<(Kind, Vec<&Tensor>, usize)> = Vec::new();
        for g in defined {
            let (kind, bytes) = (g.kind(), g.numel() * g.kind().elt_size_in_bytes());
            match buckets.iter_mut().rev().find(|(k, _, size)| *k == kind && size + bytes <= BUCKET_BYTES) {
                Some(bucket) => {
                    bucket.1.push(g);
                    bucket.2 += bytes;
                }
                None => buckets.push((kind, vec![g], bytes)),
            }
        }
        let flat: Vec<Tensor> = buckets
            .iter()
            .map(|(_, members, _)| Tensor::cat(&members.iter().map(|g| g.reshape([-1])).collect::<Vec<_>>(), 0))
            .collect();
        self.all_reduce_sum(&flat)?;
        tch::no_grad(|| {
            for ((_, members, _), bucket) in buckets.iter().zip(&flat) {
                let mut offset = 0i64;
                for g in members {
                    let n = g.numel() as i64;
                    let mut g = (*g).shallow_clone();
                    g.copy_(&(bucket.narrow(0, offset, n).view(g.size().as_slice()) / world));
                    offset += n;
                }
            }
        });
        Ok(())
    }

    /// Turn a shim status into a typed error naming the lost ranks.
    pub(super) fn check(&self, op: &str, rc: i32) -> Result<()> {
        if rc == 0 {
            return Ok(());
        }
        let reason = clean_torch_text(&ffi::last_error());
        Err(FeError::Collective {
            op: op.into(),
            rank: self.rank,
            world_size: self.world_size,
            lost_ranks: self.lost_ranks(),
            reason,
        })
    }

    /// The ranks whose heartbeat stopped (or the store's host, when the store is gone).
    fn lost_ranks(&self) -> Vec<usize> {
        let read = || -> Option<Vec<i64>> {
            (0..self.world_size).map(|r| store_add(&self.store, &heartbeat_key(r), 0).ok()).collect()
        };
        let Some(before) = read() else { return self.store_host.into_iter().collect() };
        std::thread::sleep(Duration::from_secs(2));
        let Some(after) = read() else { return self.store_host.into_iter().collect() };
        (0..self.world_size).filter(|&r| r != self.rank && before[r] == after[r]).collect()
    }

    /// A thread that bumps this rank's heartbeat counter every half second, on a store client
    /// of its own, until the process ends.
    fn start_heartbeat(&self) -> Result<()> {
        let mut clone = std::ptr::null_mut();
        // SAFETY: a live store; the clone is owned by the thread.
        let rc = unsafe { ffi::fe_c10d_store_clone(self.store.ptr, &mut clone) };
        self.check("connect a heartbeat to the store", rc)?;
        let store = Owned { ptr: clone, free: ffi::fe_c10d_store_free };
        let key = heartbeat_key(self.rank);
        std::thread::Builder::new()
            .name("fe-heartbeat".into())
            .spawn(move || {
                // Stops when the store is gone (the job is over, or its host died).
                while store_add(&store, &key, 1).is_ok() {
                    std::thread::sleep(Duration::from_millis(500));
                }
            })
            .map_err(|e| FeError::Worker(format!("cannot start the distributed heartbeat thread: {e}")))?;
        Ok(())
    }
}

/// The store key of rank `r`'s heartbeat counter.
fn heartbeat_key(r: usize) -> String {
    format!("fe/heartbeat/{r}")
}

/// Add `value` to the counter `key` in the store and return the new value.
fn store_add(store: &Owned, key: &str, value: i64) -> std::result::Result<i64, String> {
    let key = CString::new(key).map_err(|e| e.to_string())?;
    let mut out = 0i64;
    // SAFETY: a live store, a C string and an out-pointer.
    let rc = unsafe { ffi::fe_c10d_store_add(store.ptr, key.as_ptr(), value, &mut out) };
    if rc == 0 {
        Ok(out)
    } else {
        Err(ffi::last_error())
    }
}

/// Each rank registers its number once: two processes claiming the same `RANK` is an error.
fn claim_rank(store: &Owned, prefix: &str, env: &DistributedEnv) -> Result<()> {
    let claims = store_add(store, &format!("{prefix}rank/{}", env.rank), 1).map_err(|reason| FeError::Collective {
        op: "register with the store".into(),
        rank: env.rank,
        world_size: env.world_size,
        lost_ranks: Vec::new(),
        reason,
    })?;
    if claims > 1 {
        return Err(FeError::DistributedEnv {
            var: "RANK".into(),
            value: env.rank.to_string(),
            reason: "another process of this job already has this rank".into(),
        });
    }
    Ok(())
}

/// `s` as a C string; a NUL byte in it is an error naming the variable it came from.
fn c_string(var: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| FeError::DistributedEnv {
        var: var.into(),
        value: s.into(),
        reason: "holds a NUL byte".into(),
    })
}
