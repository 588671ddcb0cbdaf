//! `ChannelDropout`: fill random channels with a constant.

use rand::seq::index::sample;

use super::{each_image, randint};
use crate::error::{FeError, Result};
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Fill `U{channel_drop_range}` randomly chosen channels with `fill_value` (albumentations'
/// `ChannelDropout`; defaults (1, 1) and 0). The image needs more channels than are dropped;
/// `fill_value` is on the image's own scale.
pub struct ChannelDropout {
    io: OpIo,
    channel_drop_range: (usize, usize),
    fill_value: f32,
}
impl_has_io!(ChannelDropout);

impl ChannelDropout {
    /// Drop one channel, fill with 0.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ChannelDropout { io: OpIo::new(inputs, outputs), channel_drop_range: (1, 1), fill_value: 0.0 }
    }

    /// How many channels to drop (`1 <= lo <= hi`).
    pub fn channel_drop_range(mut self, lo: usize, hi: usize) -> Self {
        if lo < 1 || lo > hi {
            self.io.reject("channel_drop_range", format!("({lo}, {hi}) must satisfy 1 <= low <= high"));
        }
        self.channel_drop_range = (lo, hi);
        self
    }

    /// The fill value.
    pub fn fill_value(mut self, v: f32) -> Self {
        self.fill_value = v;
        self
    }
}

impl NumpyOp for ChannelDropout {
    fn name(&self) -> String {
        "ChannelDropout".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let n = randint(rng, self.channel_drop_range.0 as i64, self.channel_drop_range.1 as i64) as usize;
        let mut chosen: Option<Vec<usize>> = None;
        each_image("ChannelDropout", &self.io, data, &[], |fi, key| {
            let c = fi.img.c;
            if c == 1 {
                return Err(FeError::unexpected_shape(
                    "ChannelDropout",
                    key,
                    "an image with 2 or more channels (ChannelDropout is not defined for one)",
                    &fi.img.shape(),
                ));
            }
            if n >= c {
                return Err(FeError::unexpected_shape(
                    "ChannelDropout",
                    key,
                    format!("an image with more than {n} channels (to drop {n})"),
                    &fi.img.shape(),
                ));
            }
            let drop = chosen.get_or_insert_with(|| sample(rng, c, n).into_vec()).clone();
            for p in fi.img.data.chunks_exact_mut(c) {
                for &ch in &drop {
                    p[ch] = self.fill_value;
                }
            }
            Ok(())
        })
    }
}
