//! [`EventWriter`]: the TensorBoard event file itself.
//!
//! An event file is a sequence of records `len:u64 | masked_crc32c(len):u32 | data | masked_crc32c(data):u32`,
//! each holding a protobuf-encoded `Event { wall_time=1 double, step=2 int64, file_version=3 string,
//! summary=5 }` with `Summary { value=1 repeated Value }` and `Value { tag=1, simple_value=2 float,
//! image=4, histo=5, tensor=8, metadata=9 }`. The scalar and image values are encoded here
//! (`Image { height=1, width=2, colorspace=3, encoded_image_string=4 }`); histograms and
//! hyperparameters in their own files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::proto::{field_bytes, field_float, field_varint};
use crate::error::{FeError, Result};

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

/// One `Summary.Value`: its tag and the rest of its fields, already encoded.
pub(super) struct SummaryValue {
    pub(super) tag: String,
    pub(super) body: Vec<u8>,
}

fn encode_event(wall_time: f64, step: i64, file_version: Option<&str>, values: &[SummaryValue]) -> Vec<u8> {
    let mut ev = Vec::new();
    super::proto::field_double(1, wall_time, &mut ev);
    field_varint(2, step as u64, &mut ev);
    if let Some(v) = file_version {
        field_bytes(3, v.as_bytes(), &mut ev);
    }
    if !values.is_empty() {
        let mut summary = Vec::new();
        for v in values {
            let mut value = Vec::with_capacity(v.tag.len() + v.body.len() + 4);
            field_bytes(1, v.tag.as_bytes(), &mut value);
            value.extend_from_slice(&v.body);
            field_bytes(1, &value, &mut summary);
        }
        field_bytes(5, &summary, &mut ev);
    }
    ev
}

/// Seconds since the Unix epoch (TensorBoard's wall time).
pub(super) fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
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
        let now = now();
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

    /// Write one event at `step` holding `values`.
    pub(super) fn write_values(&mut self, step: i64, values: &[SummaryValue]) -> Result<()> {
        self.write_record(&encode_event(now(), step, None, values))
    }

    /// Write scalars at `step`.
    pub fn add_scalars(&mut self, step: i64, scalars: &[(String, f32)]) -> Result<()> {
        let values: Vec<SummaryValue> = scalars
            .iter()
            .map(|(tag, x)| {
                let mut body = Vec::with_capacity(5);
                field_float(2, *x, &mut body);
                SummaryValue { tag: tag.clone(), body }
            })
            .collect();
        self.write_values(step, &values)
    }

    /// Write one image (PNG-encoded here) at `step`.
    pub fn add_image(&mut self, step: i64, tag: &str, image: &tch::Tensor) -> Result<()> {
        let png = super::super::image_saver::encode_image_png(image, tag)?;
        let decoded = image::load_from_memory(&png).map_err(|e| FeError::InvalidValue {
            consumer: "TensorBoard".into(),
            key: tag.into(),
            reason: e.to_string(),
        })?;
        let channels = if decoded.color().channel_count() == 1 { 1 } else { 3 };
        let mut img = Vec::with_capacity(png.len() + 16);
        field_varint(1, u64::from(decoded.height()), &mut img);
        field_varint(2, u64::from(decoded.width()), &mut img);
        field_varint(3, channels, &mut img);
        field_bytes(4, &png, &mut img);
        let mut body = Vec::with_capacity(img.len() + 4);
        field_bytes(4, &img, &mut body);
        self.write_values(step, &[SummaryValue { tag: tag.to_string(), body }])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}
