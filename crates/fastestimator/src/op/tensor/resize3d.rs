//! `Resize3D`: resize volumes.

use tch::Tensor;

use super::{NetState, TensorOp};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::util::option_strings;

/// How [`Resize3D`] interpolates.
///
/// Parses from FE's strings `"nearest"`, `"area"`, `"trilinear"` (and prints as them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeMode {
    /// Nearest neighbour (FE's default; right for masks).
    Nearest,
    /// Average over the covered area (adaptive average pooling; for downsampling images).
    Area,
    /// Trilinear interpolation.
    Trilinear,
}

option_strings!(ResizeMode, "Resize3D", "resize_mode", {
    ResizeMode::Nearest => "nearest",
    ResizeMode::Area => "area",
    ResizeMode::Trilinear => "trilinear",
});

/// Resize `[batch, channels, D, H, W]` volumes to `output_shape = [D, H, W]` (multi-io).
pub struct Resize3D {
    io: OpIo,
    output_shape: [i64; 3],
    mode: ResizeMode,
}
impl_has_io!(Resize3D);

impl Resize3D {
    /// Resize to `output_shape` with nearest-neighbour interpolation.
    pub fn new(inputs: impl Into<Keys>, outputs: impl Into<Keys>, output_shape: [i64; 3]) -> Self {
        Resize3D { io: OpIo::new(inputs, outputs), output_shape, mode: ResizeMode::Nearest }
    }
    /// Choose the interpolation.
    pub fn resize_mode(mut self, mode: ResizeMode) -> Self {
        self.mode = mode;
        self
    }
}

impl TensorOp for Resize3D {
    fn name(&self) -> String {
        "Resize3D".into()
    }

    fn forward(&mut self, data: Vec<Tensor>, _state: &mut NetState) -> Result<Vec<Tensor>> {
        if self.output_shape.iter().any(|&d| d < 1) {
            return Err(FeError::param(
                "Resize3D",
                "output_shape",
                format!("{:?} must be positive", self.output_shape),
            ));
        }
        data.iter()
            .zip(&self.io.inputs)
            .map(|(t, k)| {
                if t.dim() != 5 {
                    return Err(FeError::UnexpectedShape {
                        op: "Resize3D".into(),
                        key: k.clone(),
                        expected: "[batch, channels, D, H, W]".into(),
                        got: t.size(),
                    });
                }
                let kind = t.kind();
                let x = t.to_kind(tch::Kind::Float);
                let out = match self.mode {
                    ResizeMode::Nearest => x.upsample_nearest3d(self.output_shape, None, None, None),
                    ResizeMode::Area => x.adaptive_avg_pool3d(self.output_shape),
                    ResizeMode::Trilinear => x.upsample_trilinear3d(self.output_shape, false, None, None, None),
                };
                Ok(if self.mode == ResizeMode::Nearest { out.to_kind(kind) } else { out })
            })
            .collect()
    }
}
