//! [`Loader`]: the iterator over one epoch's batches, fed by worker threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver};

use crate::error::{FeError, Result};

/// A message from an order-preserving stream (used when ops can filter samples).
pub(crate) enum StreamMsg<T> {
    /// The next batch (or the error that stopped the epoch).
    Item(Result<T>),
    /// The epoch ended early (samples were filtered without replacement).
    End,
}

/// An epoch's batches, in order. Dropping it stops the workers.
pub struct Loader<T: Send + 'static> {
    receivers: Vec<Receiver<Result<T>>>,
    stream: Option<Receiver<StreamMsg<T>>>,
    next: usize,
    steps: usize,
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl<T: Send + 'static> Loader<T> {
    /// Start `workers` threads; worker `w` produces steps `w, w + workers, ...` with `make`, each
    /// keeping up to `prefetch` finished batches queued.
    pub(crate) fn spawn<F>(steps: usize, workers: usize, prefetch: usize, make: F) -> Result<Self>
    where
        F: Fn(usize) -> Result<T> + Send + Sync + 'static,
    {
        let workers = workers.clamp(1, steps.max(1));
        let make = Arc::new(make);
        let stop = Arc::new(AtomicBool::new(false));
        let mut receivers = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) = bounded(prefetch.max(1));
            let make = Arc::clone(&make);
            let stop = Arc::clone(&stop);
            let handle = std::thread::Builder::new()
                .name(format!("fe-pipeline-{w}"))
                .spawn(move || {
                    for step in (w..steps).step_by(workers) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let item = make(step);
                        let failed = item.is_err();
                        if tx.send(item).is_err() || failed {
                            break;
                        }
                    }
                })
                .map_err(|e| FeError::Worker(format!("cannot start a pipeline thread: {e}")))?;
            receivers.push(rx);
            handles.push(handle);
        }
        Ok(Loader { receivers, stream: None, next: 0, steps, stop, handles })
    }

    /// A loader fed by one ordered stream of batches, which may end before `max_steps`
    /// (`StreamMsg::End`). `handles` are the threads feeding it; `stop` asks them to finish.
    pub(crate) fn from_stream(
        max_steps: usize,
        stream: Receiver<StreamMsg<T>>,
        stop: Arc<AtomicBool>,
        handles: Vec<JoinHandle<()>>,
    ) -> Self {
        Loader { receivers: Vec::new(), stream: Some(stream), next: 0, steps: max_steps, stop, handles }
    }

    /// Number of batches in the epoch. When ops filter samples without replacement this is an
    /// upper bound: the epoch may end earlier.
    pub fn steps(&self) -> usize {
        self.steps
    }
}

impl<T: Send + 'static> Iterator for Loader<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.steps {
            return None;
        }
        if let Some(stream) = &self.stream {
            self.next += 1;
            return match stream.recv() {
                Ok(StreamMsg::Item(item)) => Some(item),
                Ok(StreamMsg::End) => {
                    self.next = self.steps;
                    None
                }
                Err(_) => Some(Err(FeError::Worker("a pipeline worker stopped unexpectedly".into()))),
            };
        }
        let rx = &self.receivers[self.next % self.receivers.len()];
        self.next += 1;
        Some(rx.recv().unwrap_or_else(|_| Err(FeError::Worker("a pipeline worker stopped unexpectedly".into()))))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.steps - self.next;
        (left, Some(left))
    }
}

impl<T: Send + 'static> Drop for Loader<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Unblock workers waiting on a full queue, then wait for them.
        self.receivers.clear();
        self.stream = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
