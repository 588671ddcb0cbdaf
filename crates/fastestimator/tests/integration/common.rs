//! Shared helpers: tiny datasets, models and a recording trace.

use std::sync::{Arc, Mutex};

use fastestimator as fe;
use fe::dataset::NumpyDataset;
use fe::op::tensor::{NetState, TensorOp};
use fe::op::{HasIo, OpIo};
use fe::summary::System;
use fe::trace::{Data, Trace};
use fe::Value;
use ndarray::Array2;
use tch::Tensor;

/// x = [[0], [1], ..., [n-1]] (i64), y = [[-(n-1)], ..., [0]].
pub fn column_dataset(n: i64) -> NumpyDataset {
    let x = Array2::from_shape_fn((n as usize, 1), |(i, _)| i as i64).into_dyn();
    let y = Array2::from_shape_fn((n as usize, 1), |(i, _)| i as i64 - (n - 1)).into_dyn();
    NumpyDataset::new([("x", Value::I64(x)), ("y", Value::I64(y))]).unwrap()
}

pub type Log = Arc<Mutex<Vec<String>>>;

/// A trace that records every event it sees.
pub struct Recorder {
    io: OpIo,
    tag: String,
    log: Log,
}

impl Recorder {
    pub fn new(tag: &str, log: &Log) -> Self {
        Recorder { io: OpIo::new((), ()), tag: tag.into(), log: Arc::clone(log) }
    }
    pub fn needing(tag: &str, key: &str, log: &Log) -> Self {
        Recorder { io: OpIo::new(key, ()), tag: tag.into(), log: Arc::clone(log) }
    }
    fn push(&self, event: &str) {
        self.log.lock().unwrap().push(format!("{event} {}", self.tag));
    }
}

impl HasIo for Recorder {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl Trace for Recorder {
    fn name(&self) -> String {
        format!("Recorder({})", self.tag)
    }
    fn on_begin(&mut self, _: &mut Data, _: &mut System) -> fe::Result<()> {
        self.push("on_begin");
        Ok(())
    }
    fn on_epoch_begin(&mut self, _: &mut Data, _: &mut System) -> fe::Result<()> {
        self.push("on_epoch_begin");
        Ok(())
    }
    fn on_batch_begin(&mut self, _: &mut Data, _: &mut System) -> fe::Result<()> {
        self.push("on_batch_begin");
        Ok(())
    }
    fn on_batch_end(&mut self, _: &mut Data, _: &mut System) -> fe::Result<()> {
        self.push("on_batch_end");
        Ok(())
    }
    fn on_epoch_end(&mut self, _: &mut Data, _: &mut System) -> fe::Result<()> {
        self.push("on_epoch_end");
        Ok(())
    }
    fn on_end(&mut self, _: &mut Data, _: &mut System) -> fe::Result<()> {
        self.push("on_end");
        Ok(())
    }
}

/// A TensorOp that records its calls and copies its input.
pub struct RecordingOp {
    io: OpIo,
    tag: String,
    log: Log,
}

impl RecordingOp {
    pub fn new(tag: &str, input: &str, output: &str, log: &Log) -> Self {
        RecordingOp { io: OpIo::new(input, output), tag: tag.into(), log: Arc::clone(log) }
    }
}

impl HasIo for RecordingOp {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl TensorOp for RecordingOp {
    fn name(&self) -> String {
        format!("RecordingOp({})", self.tag)
    }
    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> fe::Result<Vec<Tensor>> {
        self.log.lock().unwrap().push(format!("op {}", self.tag));
        Ok(vec![data[0].shallow_clone()])
    }
}
