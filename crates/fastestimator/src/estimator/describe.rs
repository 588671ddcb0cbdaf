//! The run's description for the Traceability report: settings, datasets, the pipeline and
//! network ops, the traces and the models, read from the Estimator before a run starts.

use super::Estimator;
use crate::trace::io::Traceability;
use crate::trace::report::{
    DatasetDescription, KeyDescription, ModelDescription, RunDescription, Stage, StepDescription,
};
use crate::trace::Trace;
use crate::util::Mode;

impl Estimator {
    /// Give every Traceability among `traces` the description of this run.
    pub(super) fn describe_run(&self, traces: &mut [Box<dyn Trace>]) {
        if !traces.iter().any(|t| t.downcast_ref::<Traceability>().is_some()) {
            return;
        }
        let run = self.run_description(traces);
        for trace in traces.iter_mut() {
            if let Some(t) = trace.downcast_mut::<Traceability>() {
                t.set_run_description(run.clone());
            }
        }
    }

    fn run_description(&self, traces: &[Box<dyn Trace>]) -> RunDescription {
        let epoch = self.epoch_idx.max(1);
        let mut datasets = Vec::new();
        let mut data_keys: Vec<String> = Vec::new();
        for (mode, ds_id, ds) in self.pipeline.datasets_at(epoch) {
            let keys = ds
                .get(0)
                .map(|sample| {
                    sample
                        .iter()
                        .map(|(k, v)| KeyDescription {
                            key: k.clone(),
                            dtype: v.dtype().to_string(),
                            shape: v.shape().to_vec(),
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            for k in &keys {
                if !data_keys.contains(&k.key) {
                    data_keys.push(k.key.clone());
                }
            }
            datasets.push(DatasetDescription {
                mode,
                ds_id: ds_id.clone(),
                kind: ds.type_name(),
                len: ds.len(),
                batch_size: self.pipeline.batch_size(mode, epoch, &ds_id).ok().flatten(),
                keys,
            });
        }
        let mut steps = vec![StepDescription {
            stage: Stage::Data,
            name: "datasets".into(),
            inputs: Vec::new(),
            outputs: data_keys,
            modes: crate::trace::report::describe_modes(|m| self.pipeline.get_modes().contains(&m)),
            ds_ids: "all".into(),
        }];
        steps.extend(self.pipeline.op_ios().iter().map(|(name, io)| StepDescription::new(Stage::Pipeline, name, io)));
        steps.extend(self.network.op_ios().iter().map(|(name, io)| StepDescription::new(Stage::Network, name, io)));
        steps.extend(traces.iter().map(|t| StepDescription::new(Stage::Trace, t.name(), t.io())));
        let models = self
            .network
            .models()
            .iter()
            .map(|m| {
                let trainable: Vec<String> = m.named_trainable_variables().into_iter().map(|(n, _)| n).collect();
                ModelDescription {
                    name: m.name(),
                    optimizer: m.optimizer_spec().map(|s| format!("{s:?}")),
                    input_shape: m.input_shape(),
                    tensors: m
                        .variables()
                        .into_iter()
                        .map(|(name, t)| {
                            let is_trainable = trainable.contains(&name);
                            (name, t.size(), is_trainable)
                        })
                        .collect(),
                    trainable_parameters: m.num_parameters(),
                    device: format!("{:?}", m.device()),
                }
            })
            .collect();
        let steps_per_epoch = |n: Option<usize>| n.map_or("the whole dataset".into(), |n| n.to_string());
        let settings = vec![
            ("epochs".to_string(), self.epochs.to_string()),
            ("train steps per epoch".into(), steps_per_epoch(self.train_steps_per_epoch)),
            ("eval steps per epoch".into(), steps_per_epoch(self.eval_steps_per_epoch)),
            ("log steps".into(), self.log_steps.map_or("none".into(), |n| n.to_string())),
            ("pipeline workers".into(), self.pipeline.num_process().to_string()),
            ("pipeline seed".into(), self.pipeline.seed().to_string()),
            (
                "deterministic seed".into(),
                crate::runtime::deterministic_seed().map_or("not set".into(), |s| s.to_string()),
            ),
            ("modes".into(), self.pipeline.get_modes().iter().map(Mode::to_string).collect::<Vec<_>>().join(", ")),
        ];
        RunDescription {
            experiment: self.experiment_name.clone().unwrap_or_else(|| "run".into()),
            settings,
            hyperparameters: self.hyperparameters.clone(),
            datasets,
            steps,
            models,
        }
    }
}
