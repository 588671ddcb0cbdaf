//! `GeneratorDataset`: samples drawn from a generator.

use std::sync::Mutex;

use super::Dataset;
use crate::error::{FeError, Result};
use crate::value::Sample;

type Generator = Box<dyn Iterator<Item = std::result::Result<Sample, String>> + Send>;

/// A dataset that pulls each sample from a generator (FE's `GeneratorDataset(generator,
/// samples_per_epoch)`): the index is ignored and the next item is taken. The Pipeline reads such
/// a dataset from one worker, so the order of draws, and hence every result, is deterministic.
///
/// ```
/// use fastestimator::dataset::{Dataset, GeneratorDataset};
/// use fastestimator::{Sample, Value};
/// let ds = GeneratorDataset::new((0i64..).map(|i| Ok(Sample::from([("x".to_string(), Value::from(i))]))), 10);
/// assert_eq!(ds.len(), 10);
/// assert_eq!(ds.get(5).unwrap()["x"], Value::from(0i64));
/// ```
pub struct GeneratorDataset {
    generator: Mutex<Generator>,
    samples_per_epoch: usize,
}

impl GeneratorDataset {
    /// Wrap a generator; an epoch has `samples_per_epoch` samples.
    pub fn new<I>(generator: I, samples_per_epoch: usize) -> Self
    where
        I: Iterator<Item = std::result::Result<Sample, String>> + Send + 'static,
    {
        GeneratorDataset { generator: Mutex::new(Box::new(generator)), samples_per_epoch }
    }
}

impl Dataset for GeneratorDataset {
    fn len(&self) -> usize {
        self.samples_per_epoch
    }

    fn get(&self, _index: usize) -> Result<Sample> {
        let mut generator = self.generator.lock().map_err(|_| FeError::Worker("generator lock poisoned".into()))?;
        match generator.next() {
            Some(Ok(sample)) => Ok(sample),
            Some(Err(reason)) => Err(FeError::User { context: "GeneratorDataset".into(), reason }),
            None => {
                Err(FeError::User { context: "GeneratorDataset".into(), reason: "the generator is exhausted".into() })
            }
        }
    }

    fn sequential(&self) -> bool {
        true
    }
}
