//! The TensorBoard trace's event files, read back with the `tensorboard` package's own reader:
//! scalars, weight and gradient histograms, and hyperparameters.

use std::path::Path;
use std::sync::{Arc, Mutex};

use fastestimator as fe;
use fe::summary::System;
use fe::trace::io::{Frequency, HParamValue, TensorBoard};
use fe::trace::{Data, Trace};
use fe::Mode;
use tch::Tensor;

use crate::training::{digits_pipeline, lenet_network};

/// The venv's python with the `tensorboard` package (installed into it when missing).
fn python() -> String {
    let python = std::env::var("FE_PYTHON").unwrap_or_else(|_| "python".into());
    let have = std::process::Command::new(&python).args(["-c", "import tensorboard"]).status();
    if !have.is_ok_and(|s| s.success()) {
        let status = std::process::Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "tensorboard"])
            .status()
            .expect("python with pip is on PATH (./fe puts the venv's python there)");
        assert!(status.success(), "installing tensorboard into the venv failed");
    }
    python
}

/// Run a python `script` on `dir` (its `sys.argv[1]`) and parse the JSON it prints.
fn read_back(script: &str, dir: &Path) -> serde_json::Value {
    let output = std::process::Command::new(python()).args(["-c", script, dir.to_str().unwrap()]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Writes real event files, then reads the scalars back.
#[test]
fn tensorboard_files_read_back_with_tensorboard() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = digits_pipeline(96, 32, 0, 16, None);
    let (network, _) = lenet_network("adam");
    let mut est = fe::Estimator::builder(pipeline, network, 2)
        .traces(vec![Box::new(fe::trace::metric::Accuracy::new("y", "y_pred")), Box::new(TensorBoard::new(dir.path()))])
        .log_steps(3)
        .build()
        .unwrap();
    let summary = est.fit().unwrap();
    let script = r#"
import sys, glob, json
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
out = {}
for mode in ("train", "eval"):
    acc = EventAccumulator(glob.glob(sys.argv[1] + "/" + mode)[0]); acc.Reload()
    out[mode] = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
print(json.dumps(out))
"#;
    let read = read_back(script, dir.path());
    // Train loss at steps 1, 3 and 6 (log steps), eval accuracy at the end of each epoch (steps 6, 12).
    let ce: Vec<(u64, f64)> = read["train"]["ce"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let want = summary.get(Mode::Train, "ce").unwrap();
    assert_eq!(ce.iter().map(|p| p.0).collect::<Vec<_>>(), want.keys().copied().collect::<Vec<_>>());
    for (step, value) in &ce {
        assert!((value - want[step].as_f64().unwrap()).abs() < 1e-6);
    }
    let acc = read["eval"]["accuracy"].as_array().unwrap();
    assert_eq!(acc.len(), 2);
    assert_eq!(acc[1][0].as_u64(), Some(12));
    assert!((acc[1][1].as_f64().unwrap() - summary.last(Mode::Eval, "accuracy").unwrap()).abs() < 1e-6);
}

/// Every histogram of the train event files: tag → [step, min, max, num, sum, sum_squares,
/// total of the bucket counts, whether the bucket limits ascend].
const HISTOGRAMS: &str = r#"
import sys, json
from tensorboard.backend.event_processing import event_accumulator as ea
acc = ea.EventAccumulator(sys.argv[1] + "/train", size_guidance={ea.HISTOGRAMS: 0}); acc.Reload()
out = {}
for tag in acc.Tags()["histograms"]:
    out[tag] = [[e.step, h.min, h.max, h.num, h.sum, h.sum_squares, sum(h.bucket),
                 all(a < b for a, b in zip(h.bucket_limit, h.bucket_limit[1:])) and len(h.bucket) == len(h.bucket_limit)]
                for e in acc.Histograms(tag) for h in [e.histogram_value]]
print(json.dumps(out))
"#;

/// What a test trace saw at the end of a training epoch: the global step, the model's trainable
/// variables and its last gradients, by name.
type Seen = Arc<Mutex<Vec<(u64, Vec<(String, Tensor)>, Vec<(String, Tensor)>)>>>;

/// Copies the model's weights and last gradients at the end of every training epoch.
struct Snapshot {
    io: fe::op::OpIo,
    model: fe::Model,
    seen: Seen,
}

impl fe::op::HasIo for Snapshot {
    fn io(&self) -> &fe::op::OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut fe::op::OpIo {
        &mut self.io
    }
}

impl Trace for Snapshot {
    fn name(&self) -> String {
        "Snapshot".into()
    }

    fn on_epoch_end(&mut self, _data: &mut Data, system: &mut System) -> fe::Result<()> {
        if system.mode == Mode::Train {
            let vars = self.model.named_trainable_variables();
            let grads = self.model.last_gradients();
            let grads = vars.iter().zip(&grads).map(|((n, _), g)| (n.clone(), g.detach().copy())).collect();
            let vars = vars.into_iter().map(|(n, v)| (n, v.detach().copy())).collect();
            self.seen.lock().unwrap().push((system.global_step, vars, grads));
        }
        Ok(())
    }
}

/// Checks one histogram row `[step, min, max, num, sum, sum_squares, bucket total, ascending]`
/// against the tensor it was written from.
fn assert_histogram_of(row: &serde_json::Value, step: u64, t: &Tensor, what: &str) {
    let values: Vec<f64> = Vec::try_from(&t.to_kind(tch::Kind::Double).reshape([-1])).unwrap();
    let close = |got: &serde_json::Value, want: f64, field: &str| {
        let got = got.as_f64().unwrap();
        assert!((got - want).abs() <= 1e-4 * want.abs().max(1e-3), "{what} at step {step}: {field} {got} != {want}");
    };
    assert_eq!(row[0].as_u64(), Some(step), "{what}: step");
    close(&row[1], values.iter().copied().fold(f64::INFINITY, f64::min), "min");
    close(&row[2], values.iter().copied().fold(f64::NEG_INFINITY, f64::max), "max");
    assert_eq!(row[3].as_f64(), Some(values.len() as f64), "{what}: num is the element count");
    close(&row[4], values.iter().sum(), "sum");
    close(&row[5], values.iter().map(|v| v * v).sum(), "sum_squares");
    assert_eq!(row[6].as_f64(), Some(values.len() as f64), "{what}: the buckets hold every value");
    assert_eq!(row[7].as_bool(), Some(true), "{what}: bucket limits ascend, one per bucket");
}

/// Weights and gradients every epoch, and hyperparameters: all read back by TensorBoard.
#[test]
fn tensorboard_weight_and_gradient_histograms_and_hparams_read_back() {
    // The run's log dir sits in a folder of runs, as TensorBoard's HParams plugin expects.
    let runs = tempfile::tempdir().unwrap();
    let log_dir = runs.path().join("run1");
    let (network, model) = lenet_network("adam");
    let seen = Seen::default();
    let snapshot = Snapshot { io: fe::op::OpIo::new((), ()), model: model.clone(), seen: seen.clone() };
    let tb = TensorBoard::new(&log_dir)
        .weight_histogram_freq(Frequency::Epochs(1))
        .write_gradients(true)
        .hparams([("lr", HParamValue::from(1e-3)), ("optimizer", "adam".into()), ("batch_size", 16.into())])
        .hparams([("augment", HParamValue::Bool(false))]);
    let mut est = fe::Estimator::builder(digits_pipeline(96, 32, 0, 16, None), network, 2)
        .traces(vec![Box::new(snapshot), Box::new(tb)])
        .build()
        .unwrap();
    est.fit().unwrap();
    let read = read_back(HISTOGRAMS, &log_dir);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [6, 12], "two epochs of six steps");
    let names: Vec<&String> = seen[0].1.iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 10, "LeNet: five layers, weight and bias each");
    assert!(names.iter().any(|n| n.as_str() == "conv1.weight"), "{names:?}");
    let tag = |name: &str| format!("{}_{}", model.name(), name.replace('.', "/"));
    let mut want_tags: Vec<String> = names.iter().flat_map(|n| [tag(n), format!("{}/grad", tag(n))]).collect();
    want_tags.sort();
    let mut tags: Vec<String> = read.as_object().unwrap().keys().cloned().collect();
    tags.sort();
    assert_eq!(tags, want_tags, "a histogram per variable and per gradient");
    for (epoch, (step, vars, grads)) in seen.iter().enumerate() {
        assert_eq!(grads.len(), vars.len(), "every variable got a gradient");
        for ((name, var), (_, grad)) in vars.iter().zip(grads) {
            assert_histogram_of(&read[tag(name)][epoch], *step, var, name);
            assert_histogram_of(&read[format!("{}/grad", tag(name))][epoch], *step, grad, name);
            assert!(grad.abs().sum(tch::Kind::Double).double_value(&[]) > 0.0, "{name}: a real gradient");
        }
    }
    // The final weights are the ones written at the last epoch.
    let final_vars = model.variables();
    for (name, var) in &seen[1].1 {
        let now = &final_vars.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(now.equal(var), "{name}: unchanged after the last epoch");
    }
    assert!(read.as_object().unwrap().values().all(|rows| rows.as_array().unwrap().len() == 2));

    let hparams = r#"
import os, sys, json
from tensorboard import context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins import base_plugin
from tensorboard.plugins.hparams import backend_context, metadata
acc = EventAccumulator(sys.argv[1]); acc.Reload()
content = acc.PluginTagToContent("hparams")
start = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
end = metadata.parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG])
out = {"hparams": {k: [v.WhichOneof("kind"), getattr(v, v.WhichOneof("kind"))] for k, v in start.hparams.items()},
       "start": start.start_time_secs, "end": end.end_time_secs, "status": end.status}
# What the HParams plugin itself makes of the folder of runs.
runs = os.path.dirname(sys.argv[1])
mux = plugin_event_multiplexer.EventMultiplexer(); mux.AddRunsFromDirectory(runs); mux.Reload()
tb = base_plugin.TBContext(logdir=runs, multiplexer=mux, data_provider=data_provider.MultiplexerDataProvider(mux, runs))
plugin, rc = backend_context.Context(tb), context.RequestContext()
exp = plugin.experiment_from_metadata(rc, "", True, plugin.hparams_metadata(rc, ""), plugin.hparams_from_data_provider(rc, "", 0))
out["plugin_hparams"] = sorted(h.name for h in exp.hparam_infos)
out["plugin_metrics"] = sorted([m.name.group, m.name.tag] for m in exp.metric_infos)
print(json.dumps(out))
"#;
    let read = read_back(hparams, &log_dir);
    let h = &read["hparams"];
    assert_eq!(h.as_object().unwrap().len(), 4);
    assert_eq!(h["lr"], serde_json::json!(["number_value", 1e-3]));
    assert_eq!(h["optimizer"], serde_json::json!(["string_value", "adam"]));
    assert_eq!(h["batch_size"], serde_json::json!(["number_value", 16.0]));
    assert_eq!(h["augment"], serde_json::json!(["bool_value", false]));
    assert_eq!(read["status"].as_i64(), Some(1), "STATUS_SUCCESS");
    assert!(read["start"].as_f64().unwrap() > 1.6e9 && read["end"].as_f64() >= read["start"].as_f64());
    assert_eq!(read["plugin_hparams"], serde_json::json!(["augment", "batch_size", "lr", "optimizer"]));
    let metrics = read["plugin_metrics"].as_array().unwrap();
    for (group, tag) in [("train", "ce"), ("eval", "ce")] {
        assert!(metrics.contains(&serde_json::json!([group, tag])), "{group}/{tag} is a metric of run1: {metrics:?}");
    }
}

/// A step frequency writes weights after those steps only; no gradients or hparams unless asked.
#[test]
fn tensorboard_step_histograms_without_gradients() {
    let dir = tempfile::tempdir().unwrap();
    let (network, model) = lenet_network("sgd");
    let tb = TensorBoard::new(dir.path()).weight_histogram_freq("4s".parse().unwrap());
    let mut est = fe::Estimator::builder(digits_pipeline(96, 0, 0, 16, None), network, 2)
        .traces(vec![Box::new(tb)])
        .build()
        .unwrap();
    est.fit().unwrap();
    let read = read_back(HISTOGRAMS, dir.path());
    let tags = read.as_object().unwrap();
    assert_eq!(tags.len(), model.named_trainable_variables().len(), "{:?}", tags.keys());
    assert!(tags.keys().all(|t| !t.ends_with("/grad")), "no gradients unless asked");
    for rows in tags.values() {
        let steps: Vec<u64> = rows.as_array().unwrap().iter().map(|r| r[0].as_u64().unwrap()).collect();
        assert_eq!(steps, [4, 8, 12]);
    }
    // The last one (step 12, the end of training) holds the final weights.
    for (name, var) in model.named_trainable_variables() {
        let rows = &read[format!("{}_{}", model.name(), name.replace('.', "/"))];
        assert_histogram_of(&rows[2], 12, &var, &name);
    }
    let root_events = std::fs::read_dir(dir.path()).unwrap().filter(|e| e.as_ref().unwrap().path().is_file()).count();
    assert_eq!(root_events, 0, "no hparams file without hparams");
    assert!(!model.last_gradients().iter().any(Tensor::defined), "gradients are not kept");
}

/// A zero frequency is refused when the Estimator is built; FE's bad strings do not parse.
#[test]
fn tensorboard_bad_histogram_frequency_is_an_error() {
    for freq in [Frequency::Epochs(0), Frequency::Steps(0)] {
        let err = fe::Estimator::builder(digits_pipeline(32, 0, 0, 16, None), lenet_network("adam").0, 1)
            .traces(vec![Box::new(TensorBoard::new("unused").weight_histogram_freq(freq))])
            .build()
            .err()
            .expect("a zero frequency is refused");
        assert!(matches!(err, fe::FeError::InvalidParameter { .. }), "{err:?}");
        assert!(err.to_string().contains("weight_histogram_freq"), "{err}");
    }
    for bad in ["0e", "0s", "", "e5", "3x", "-1s", "epochs"] {
        assert!(bad.parse::<Frequency>().is_err(), "{bad:?} parses");
    }
    assert_eq!("12s".parse::<Frequency>().unwrap(), Frequency::Steps(12));
    assert_eq!("e".parse::<Frequency>().unwrap(), Frequency::Epochs(1));
}
