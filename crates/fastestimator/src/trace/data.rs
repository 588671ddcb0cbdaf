//! [`Data`]: what a trace sees in one event.

use indexmap::IndexMap;
use tch::Tensor;

use crate::summary::LogValue;
use crate::value::TensorMap;

/// The data of one trace event (FE's `Data`): values written with log (printed and recorded),
/// the batch with predictions (plus values written without log), and per-instance logs.
#[derive(Debug, Default)]
pub struct Data {
    logs: IndexMap<String, LogValue>,
    batch: TensorMap,
    per_instance: IndexMap<String, Vec<f64>>,
}

impl Data {
    /// Event data around a batch.
    pub fn new(batch: TensorMap) -> Self {
        Data { logs: IndexMap::new(), batch, per_instance: IndexMap::new() }
    }

    /// The batch tensor (or prediction) under `key`.
    pub fn tensor(&self, key: &str) -> Option<&Tensor> {
        self.batch.get(key)
    }

    /// The batch and predictions.
    pub fn batch(&self) -> &TensorMap {
        &self.batch
    }

    /// Mutable access to the batch (the Network writes its predictions here).
    pub fn batch_mut(&mut self) -> &mut TensorMap {
        &mut self.batch
    }

    /// A value written with log in this event.
    pub fn log(&self, key: &str) -> Option<&LogValue> {
        self.logs.get(key)
    }

    /// Whether `key` exists in any of the maps (logs first, then the batch, then per-instance).
    pub fn contains(&self, key: &str) -> bool {
        self.logs.contains_key(key) || self.batch.contains_key(key) || self.per_instance.contains_key(key)
    }

    /// Write a value that the Logger prints and the Summary records.
    pub fn write_with_log(&mut self, key: impl Into<String>, value: impl Into<LogValue>) {
        self.logs.insert(key.into(), value.into());
    }

    /// Write a tensor that only later traces of the same event see.
    pub fn write_without_log(&mut self, key: impl Into<String>, value: Tensor) {
        self.batch.insert(key.into(), value);
    }

    /// Write one value per instance of the batch (for per-instance logging).
    pub fn write_per_instance_log(&mut self, key: impl Into<String>, values: Vec<f64>) {
        self.per_instance.insert(key.into(), values);
    }

    /// Everything written with log (FE's `read_logs`).
    pub fn read_logs(&self) -> &IndexMap<String, LogValue> {
        &self.logs
    }

    /// Everything written per instance.
    pub fn read_per_instance_logs(&self) -> &IndexMap<String, Vec<f64>> {
        &self.per_instance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fe_data_facts() {
        let mut batch = TensorMap::new();
        for (k, v) in [("a", 0i64), ("b", 1), ("c", 2)] {
            batch.insert(k.into(), Tensor::from(v));
        }
        let mut d = Data::new(batch);
        d.write_with_log("d", 3i64);
        assert_eq!(d.read_logs().len(), 1);
        assert_eq!(d.log("d"), Some(&LogValue::Int(3)));
        d.write_without_log("e", Tensor::from(5i64));
        assert_eq!(d.read_logs().len(), 1);
        assert!(d.contains("e"));
        d.write_with_log("a", 4i64);
        let keys: Vec<&String> = d.read_logs().keys().collect();
        assert_eq!(keys, ["d", "a"]);
        assert_eq!(d.log("a"), Some(&LogValue::Int(4)));
    }
}
