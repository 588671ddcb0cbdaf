//! Same seed, same numbers, whatever the number of pipeline workers.

use fastestimator as fe;
use fe::op::numpy::{NumpyOp, OpState};
use fe::op::{HasIo, OpIo};
use fe::{Mode, Value};
use rand::Rng;

use crate::common::column_dataset;
use crate::training::{digits_pipeline, lenet_network};

/// Adds per-sample uniform noise drawn from the op's RNG.
struct Jitter {
    io: OpIo,
}

impl HasIo for Jitter {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl NumpyOp for Jitter {
    fn name(&self) -> String {
        "Jitter".into()
    }
    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> fe::Result<Vec<Value>> {
        let x = data[0].to_f32().unwrap();
        let noise: f32 = state.rng().gen_range(0.0..1.0);
        Ok(vec![Value::F32(x + noise)])
    }
}

fn batches(workers: usize) -> Vec<fe::Sample> {
    let p = fe::Pipeline::builder()
        .train_data(column_dataset(50))
        .batch_size(4)
        .seed(9)
        .num_process(workers)
        .ops(vec![Box::new(Jitter { io: OpIo::new("x", "x") })])
        .build()
        .unwrap();
    p.loader(Mode::Train, 2, "", Some(20)).unwrap().collect::<fe::Result<Vec<_>>>().unwrap()
}

#[test]
fn random_ops_and_shuffling_ignore_the_worker_count() {
    let one = batches(1);
    assert_eq!(one.len(), 20);
    assert_eq!(one, batches(2));
    assert_eq!(one, batches(8));
    // The train data is shuffled, and differently per epoch.
    let first: Vec<f32> = one.iter().flat_map(|b| b["y"].to_f32().unwrap().into_iter()).collect();
    assert_ne!(first[..10], (0..10).map(|i| (i - 49) as f32).collect::<Vec<_>>()[..]);
}

fn train_weights(workers: usize, init: &std::path::Path) -> Vec<(String, tch::Tensor)> {
    let pipeline = digits_pipeline(320, 0, 0, 32, Some(workers));
    let (network, model) = lenet_network("adam");
    // Same starting weights for both runs (torch's global RNG is shared by parallel tests).
    fe::backend::load_model(&model, init, false).unwrap();
    let mut est = fe::Estimator::builder(pipeline, network, 1).silent().build().unwrap();
    est.fit().unwrap();
    model.variables()
}

#[test]
fn training_is_bit_identical_with_one_or_three_workers() {
    let dir = tempfile::tempdir().unwrap();
    let (_, init_model) = lenet_network("adam");
    let init = fe::backend::save_model(&init_model, dir.path(), Some("init"), false).unwrap();
    let a = train_weights(1, &init);
    let b = train_weights(3, &init);
    assert_eq!(a.len(), b.len());
    for ((na, ta), (nb, tb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(ta.equal(tb), "variable {na} differs");
    }
}
