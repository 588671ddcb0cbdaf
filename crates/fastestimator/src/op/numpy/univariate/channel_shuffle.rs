//! `ChannelShuffle`: permute channels randomly.

use rand::seq::SliceRandom;

use super::each_image;
use crate::error::Result;
use crate::op::numpy::{NumpyOp, OpState};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::value::Value;

/// Randomly permute the channels (albumentations' `ChannelShuffle`); every input of a call gets
/// the same permutation when they have the same channel count.
pub struct ChannelShuffle {
    io: OpIo,
}
impl_has_io!(ChannelShuffle);

impl ChannelShuffle {
    /// Shuffle `inputs` into `outputs`.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>) -> Self {
        ChannelShuffle { io: OpIo::new(inputs, outputs) }
    }
}

impl NumpyOp for ChannelShuffle {
    fn name(&self) -> String {
        "ChannelShuffle".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let mut perm: Vec<usize> = Vec::new();
        each_image("ChannelShuffle", &self.io, data, &[], |fi, _| {
            let c = fi.img.c;
            if perm.len() != c {
                perm = (0..c).collect();
                perm.shuffle(rng);
            }
            let mut tmp = vec![0.0f32; c];
            for p in fi.img.data.chunks_exact_mut(c) {
                tmp.copy_from_slice(p);
                for (o, &src) in p.iter_mut().zip(&perm) {
                    *o = tmp[src];
                }
            }
            Ok(())
        })
    }
}
