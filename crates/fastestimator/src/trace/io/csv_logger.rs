//! `CSVLogger`: every logged value as CSV rows.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{FeError, Result};
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{from_state, to_state, Data, Trace};
use crate::util::Mode;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Rows {
    columns: Vec<String>,
    rows: Vec<IndexMap<String, String>>,
}

/// Writes the logged values of every mode to `filename`: one row per train log step and per
/// epoch end, with columns `mode, step, epoch, <keys>` (FE's `CSVLogger`). With
/// `instance_id_key`, per-instance values become rows with an `instance_id` column. The file is
/// rewritten atomically at each epoch end, so it is always complete.
pub struct CSVLogger {
    io: OpIo,
    filename: PathBuf,
    monitor_names: Option<Vec<String>>,
    instance_id_key: Option<String>,
    rows: Rows,
}
impl_has_io!(CSVLogger);

impl CSVLogger {
    /// Log every key to `filename`.
    pub fn new(filename: impl AsRef<Path>) -> Self {
        CSVLogger {
            io: OpIo::new("*", ()),
            filename: filename.as_ref().to_path_buf(),
            monitor_names: None,
            instance_id_key: None,
            rows: Rows::default(),
        }
    }
    /// Log only these keys.
    pub fn monitor_names(mut self, keys: &[&str]) -> Self {
        self.monitor_names = Some(keys.iter().map(|s| s.to_string()).collect());
        self
    }
    /// Also write per-instance rows, identified by the batch key `key`.
    pub fn instance_id_key(mut self, key: &str) -> Self {
        self.instance_id_key = Some(key.to_string());
        self
    }

    fn wanted(&self, key: &str) -> bool {
        self.monitor_names.as_ref().is_none_or(|m| m.iter().any(|k| k == key || k == "*"))
    }

    fn add_row(&mut self, mut row: IndexMap<String, String>) {
        for k in row.keys() {
            if !self.rows.columns.contains(k) {
                self.rows.columns.push(k.clone());
            }
        }
        row.sort_by(|a, _, b, _| a.cmp(b));
        self.rows.rows.push(row);
    }

    fn record(&mut self, data: &Data, system: &System, epoch: Option<usize>, include_logs: bool) {
        let mut row = IndexMap::new();
        row.insert("mode".to_string(), system.mode.to_string());
        row.insert("step".to_string(), system.global_step.to_string());
        row.insert("epoch".to_string(), epoch.map(|e| e.to_string()).unwrap_or_default());
        let mut any = false;
        for (k, v) in data.read_logs().iter().filter(|_| include_logs) {
            if self.wanted(k) {
                row.insert(k.clone(), v.to_string().replace('\n', " "));
                any = true;
            }
        }
        if any {
            self.add_row(row);
        }
        if let Some(id_key) = &self.instance_id_key {
            if let Some(ids) =
                data.tensor(id_key).and_then(|t| Vec::<f64>::try_from(&t.reshape([-1]).to_kind(tch::Kind::Double)).ok())
            {
                let per = data.read_per_instance_logs().clone();
                for (i, id) in ids.iter().enumerate() {
                    let mut row = IndexMap::new();
                    row.insert("mode".to_string(), system.mode.to_string());
                    row.insert("step".to_string(), system.global_step.to_string());
                    row.insert("epoch".to_string(), system.epoch_idx.to_string());
                    row.insert("instance_id".to_string(), id.to_string());
                    for (k, vals) in &per {
                        if let Some(v) = vals.get(i) {
                            row.insert(k.clone(), v.to_string());
                        }
                    }
                    self.add_row(row);
                }
            }
        }
    }

    fn write(&self) -> Result<()> {
        let dir = self.filename.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("CSVLogger: cannot create", dir, e))?;
        let tmp =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| FeError::io("CSVLogger: cannot write into", dir, e))?;
        {
            let mut w = csv::Writer::from_writer(tmp.as_file());
            let mut header = vec!["mode".to_string(), "step".to_string(), "epoch".to_string()];
            if self.rows.columns.iter().any(|c| c == "instance_id") {
                header.push("instance_id".into());
            }
            for c in &self.rows.columns {
                if !header.contains(c) {
                    header.push(c.clone());
                }
            }
            let err = |e: csv::Error| {
                FeError::io("CSVLogger: cannot write", &self.filename, std::io::Error::other(e.to_string()))
            };
            w.write_record(&header).map_err(err)?;
            for row in &self.rows.rows {
                w.write_record(header.iter().map(|c| row.get(c).map(String::as_str).unwrap_or(""))).map_err(err)?;
            }
            w.flush().map_err(|e| FeError::io("CSVLogger: cannot write", &self.filename, e))?;
        }
        tmp.persist(&self.filename)
            .map_err(|e| FeError::io("CSVLogger: cannot rename into", &self.filename, e.error))?;
        Ok(())
    }
}

impl Trace for CSVLogger {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "CSVLogger".into()
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        let log_step = system.mode == Mode::Train && system.is_log_step();
        if log_step || self.instance_id_key.is_some() {
            self.record(data, system, None, log_step);
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.record(data, system, Some(system.epoch_idx), true);
        self.write()
    }

    fn on_end(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.write()
    }

    fn state(&self) -> serde_json::Value {
        to_state(&self.rows)
    }

    fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
        self.rows = from_state("CSVLogger", state)?;
        Ok(())
    }
}
