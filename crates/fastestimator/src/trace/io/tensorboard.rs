//! `TensorBoard`: write TensorBoard event files (scalars and images), natively.
//!
//! An event file is a sequence of records `len:u64 | masked_crc32c(len):u32 | data | masked_crc32c(data):u32`,
//! each holding a protobuf-encoded `Event`. The few messages needed are encoded by hand here:
//! `Event { wall_time=1 double, step=2 int64, file_version=3 string, summary=5 }`,
//! `Summary { value=1 repeated }`, `Value { tag=1, simple_value=2 float, image=4 }`,
//! `Image { height=1, width=2, colorspace=3, encoded_image_string=4 }`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;

use crate::error::{FeError, Result};
use crate::op::{impl_has_io, OpIo};
use crate::summary::System;
use crate::trace::{Data, Trace};
use crate::util::Mode;

fn crc32c(data: &[u8]) -> u32 {
    const POLY: u32 = 0x82F6_3B78;
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            }
            *slot = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8))
}

fn masked_crc(data: &[u8]) -> u32 {
    let c = crc32c(data);
    (c.rotate_right(15)).wrapping_add(0xA282_EAD8)
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_bytes(field: u32, bytes: &[u8], out: &mut Vec<u8>) {
    varint(u64::from(field << 3 | 2), out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn field_varint(field: u32, v: u64, out: &mut Vec<u8>) {
    varint(u64::from(field << 3), out);
    varint(v, out);
}

/// An encoded summary value.
enum Entry {
    Scalar(String, f32),
    Image(String, u32, u32, u32, Vec<u8>),
}

fn encode_event(wall_time: f64, step: i64, file_version: Option<&str>, values: &[Entry]) -> Vec<u8> {
    let mut ev = Vec::new();
    ev.push(0x09);
    ev.extend_from_slice(&wall_time.to_le_bytes());
    field_varint(2, step as u64, &mut ev);
    if let Some(v) = file_version {
        field_bytes(3, v.as_bytes(), &mut ev);
    }
    if !values.is_empty() {
        let mut summary = Vec::new();
        for entry in values {
            let mut value = Vec::new();
            match entry {
                Entry::Scalar(tag, x) => {
                    field_bytes(1, tag.as_bytes(), &mut value);
                    value.push(0x15);
                    value.extend_from_slice(&x.to_le_bytes());
                }
                Entry::Image(tag, h, w, c, png) => {
                    field_bytes(1, tag.as_bytes(), &mut value);
                    let mut img = Vec::new();
                    field_varint(1, u64::from(*h), &mut img);
                    field_varint(2, u64::from(*w), &mut img);
                    field_varint(3, u64::from(*c), &mut img);
                    field_bytes(4, png, &mut img);
                    field_bytes(4, &img, &mut value);
                }
            }
            field_bytes(1, &value, &mut summary);
        }
        field_bytes(5, &summary, &mut ev);
    }
    ev
}

/// Appends events to one TensorBoard event file.
pub struct EventWriter {
    out: BufWriter<File>,
    path: PathBuf,
}

impl EventWriter {
    /// Create `<dir>/events.out.tfevents.<secs>.fastestimator` and write the version record.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("TensorBoard: cannot create", dir, e))?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let path = dir.join(format!("events.out.tfevents.{}.fastestimator", now as u64));
        let file = File::create(&path).map_err(|e| FeError::io("TensorBoard: cannot write", &path, e))?;
        let mut w = EventWriter { out: BufWriter::new(file), path };
        w.write_record(&encode_event(now, 0, Some("brain.Event:2"), &[]))?;
        Ok(w)
    }

    fn write_record(&mut self, data: &[u8]) -> Result<()> {
        let len = (data.len() as u64).to_le_bytes();
        let mut rec = Vec::with_capacity(data.len() + 16);
        rec.extend_from_slice(&len);
        rec.extend_from_slice(&masked_crc(&len).to_le_bytes());
        rec.extend_from_slice(data);
        rec.extend_from_slice(&masked_crc(data).to_le_bytes());
        self.out.write_all(&rec).map_err(|e| FeError::io("TensorBoard: cannot write", &self.path, e))
    }

    fn now() -> f64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
    }

    /// Write scalars at `step`.
    pub fn add_scalars(&mut self, step: i64, scalars: &[(String, f32)]) -> Result<()> {
        let values: Vec<Entry> = scalars.iter().map(|(k, v)| Entry::Scalar(k.clone(), *v)).collect();
        self.write_record(&encode_event(Self::now(), step, None, &values))
    }

    /// Write one image (PNG-encoded here) at `step`.
    pub fn add_image(&mut self, step: i64, tag: &str, image: &tch::Tensor) -> Result<()> {
        let tmp = tempfile::Builder::new()
            .suffix(".png")
            .tempfile()
            .map_err(|e| FeError::io("TensorBoard: cannot write", std::env::temp_dir(), e))?;
        super::image_saver::save_png(image, tmp.path())?;
        let png = std::fs::read(tmp.path()).map_err(|e| FeError::io("cannot read", tmp.path(), e))?;
        let decoded = image::load_from_memory(&png)
            .map_err(|e| FeError::Format { path: tmp.path().into(), reason: e.to_string() })?;
        let c = if decoded.color().channel_count() == 1 { 1 } else { 3 };
        let entry = Entry::Image(tag.to_string(), decoded.height(), decoded.width(), c, png);
        self.write_record(&encode_event(Self::now(), step, None, &[entry]))
    }

    /// Push buffered events to disk.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| FeError::io("TensorBoard: cannot write", &self.path, e))
    }

    /// The event file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes every logged scalar to TensorBoard event files under `<log_dir>/<mode>/` (train values
/// at each log step and epoch end, eval/test values at epoch end), and the image tensors under
/// `write_images` keys at epoch ends (FE's `TensorBoard`, scalars and images).
pub struct TensorBoard {
    io: OpIo,
    log_dir: PathBuf,
    write_images: Vec<String>,
    writers: IndexMap<Mode, EventWriter>,
}
impl_has_io!(TensorBoard);

impl TensorBoard {
    /// Log into `log_dir`.
    pub fn new(log_dir: impl AsRef<Path>) -> Self {
        TensorBoard {
            io: OpIo::new("*", ()),
            log_dir: log_dir.as_ref().to_path_buf(),
            write_images: Vec::new(),
            writers: IndexMap::new(),
        }
    }
    /// Also write the images under these keys at epoch ends.
    pub fn write_images(mut self, keys: &[&str]) -> Self {
        self.write_images = keys.iter().map(|s| s.to_string()).collect();
        self
    }

    fn writer(&mut self, mode: Mode) -> Result<&mut EventWriter> {
        if !self.writers.contains_key(&mode) {
            let w = EventWriter::create(&self.log_dir.join(mode.as_str()))?;
            self.writers.insert(mode, w);
        }
        Ok(self.writers.get_mut(&mode).expect("inserted above"))
    }

    fn write_logs(&mut self, data: &Data, system: &System) -> Result<()> {
        let scalars: Vec<(String, f32)> =
            data.read_logs().iter().filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x as f32))).collect();
        if scalars.is_empty() {
            return Ok(());
        }
        let step = system.global_step as i64;
        self.writer(system.mode)?.add_scalars(step, &scalars)
    }
}

impl Trace for TensorBoard {
    fn name(&self) -> String {
        "TensorBoard".into()
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        if system.mode == Mode::Train && system.is_log_step() {
            self.write_logs(data, system)?;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.write_logs(data, system)?;
        let step = system.global_step as i64;
        for key in self.write_images.clone() {
            if let Some(t) = data.tensor(&key).map(|t| t.shallow_clone()) {
                let img = if t.dim() == 4 { t.get(0) } else { t };
                self.writer(system.mode)?.add_image(step, &key, &img)?;
            }
        }
        for w in self.writers.values_mut() {
            w.flush()?;
        }
        Ok(())
    }

    fn on_end(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        for w in self.writers.values_mut() {
            w.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}
