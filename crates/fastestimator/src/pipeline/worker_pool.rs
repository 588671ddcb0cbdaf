//! [`WorkerPool`]: the pipeline's one pool of worker threads, delivering numbered units of work
//! in order.
//!
//! Worker `w` of `W` computes units `w, w + W, w + 2W, ...` and queues each result (up to
//! `prefetch` ahead); the consumer reads the workers' queues round-robin, so units arrive in
//! order whatever the timing. A unit's result is `Some(item)`, or `None` when the stream has
//! ended (a filtering epoch that ran out of budget). A worker stops after an error, after
//! `None`, after its last unit, or when the pool is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver};

use crate::error::{FeError, Result};

/// Ordered results of units of work computed on worker threads. Dropping it stops the workers.
pub(crate) struct WorkerPool<T: Send + 'static> {
    receivers: Vec<Receiver<Result<Option<T>>>>,
    next: usize,
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl<T: Send + 'static> WorkerPool<T> {
    /// Start `workers` threads named `{name}-{w}`. `units` bounds the unit numbers (`None`: until
    /// a unit yields `None` or the pool is dropped). `make_worker(w)` runs here, in the calling
    /// thread, and gives worker `w` its function from unit number to result; that function may
    /// keep state of its own between units.
    pub(crate) fn spawn<F>(
        name: &str,
        units: Option<usize>,
        workers: usize,
        prefetch: usize,
        mut make_worker: impl FnMut(usize) -> F,
    ) -> Result<Self>
    where
        F: FnMut(usize) -> Result<Option<T>> + Send + 'static,
    {
        let workers = match units {
            Some(n) => workers.clamp(1, n.max(1)),
            None => workers.max(1),
        };
        let mut pool = WorkerPool {
            receivers: Vec::with_capacity(workers),
            next: 0,
            stop: Arc::new(AtomicBool::new(false)),
            handles: Vec::with_capacity(workers),
        };
        for w in 0..workers {
            pool.start_worker(name, w, workers, units, prefetch, make_worker(w))?;
        }
        Ok(pool)
    }

    /// A pool of one worker that computes units `0, 1, 2, ...` with `work` until it yields
    /// `None` (a stage that must run in order, such as a filtering epoch's batch assembler).
    pub(crate) fn single<F>(name: &str, prefetch: usize, work: F) -> Result<Self>
    where
        F: FnMut(usize) -> Result<Option<T>> + Send + 'static,
    {
        let mut pool =
            WorkerPool { receivers: Vec::new(), next: 0, stop: Arc::new(AtomicBool::new(false)), handles: Vec::new() };
        pool.start_worker(name, 0, 1, None, prefetch, work)?;
        Ok(pool)
    }

    /// Start worker `w` of `workers`.
    fn start_worker<F>(
        &mut self,
        name: &str,
        w: usize,
        workers: usize,
        units: Option<usize>,
        prefetch: usize,
        mut work: F,
    ) -> Result<()>
    where
        F: FnMut(usize) -> Result<Option<T>> + Send + 'static,
    {
        let (tx, rx) = bounded(prefetch.max(1));
        let stop = Arc::clone(&self.stop);
        let handle = std::thread::Builder::new()
            .name(format!("{name}-{w}"))
            .spawn(move || {
                let mut unit = w;
                while units.is_none_or(|n| unit < n) && !stop.load(Ordering::Relaxed) {
                    let item = work(unit);
                    let last = !matches!(item, Ok(Some(_)));
                    if tx.send(item).is_err() || last {
                        break;
                    }
                    unit += workers;
                }
            })
            .map_err(|e| FeError::Worker(format!("cannot start a pipeline thread: {e}")))?;
        self.receivers.push(rx);
        self.handles.push(handle);
        Ok(())
    }

    /// The result of the next unit, in unit order (blocks until it is ready).
    pub(crate) fn next_unit(&mut self) -> Result<Option<T>> {
        let rx = &self.receivers[self.next % self.receivers.len()];
        self.next += 1;
        rx.recv().unwrap_or_else(|_| Err(FeError::Worker("a pipeline worker stopped unexpectedly".into())))
    }
}

impl<T: Send + 'static> Drop for WorkerPool<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Unblock workers waiting on a full queue, then wait for them.
        self.receivers.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_arrive_in_order_for_any_worker_count() {
        for workers in [1, 2, 3, 7] {
            let mut pool = WorkerPool::spawn("test", Some(10), workers, 2, |_| |u: usize| Ok(Some(u * u))).unwrap();
            let got: Vec<usize> = (0..10).map(|_| pool.next_unit().unwrap().unwrap()).collect();
            assert_eq!(got, (0..10).map(|u| u * u).collect::<Vec<_>>());
        }
    }

    #[test]
    fn an_open_stream_ends_when_a_unit_says_so() {
        let mut pool = WorkerPool::spawn("test", None, 1, 2, |_| |u: usize| Ok((u < 3).then_some(u))).unwrap();
        let got: Vec<Option<usize>> = (0..4).map(|_| pool.next_unit().unwrap()).collect();
        assert_eq!(got, vec![Some(0), Some(1), Some(2), None]);
    }

    #[test]
    fn dropping_the_pool_stops_an_endless_stream() {
        let pool = WorkerPool::spawn("test", None, 2, 1, |_| |u: usize| Ok(Some(u))).unwrap();
        drop(pool);
    }
}
