//! `RandomGridShuffle`: shuffle the cells of a grid.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;

use super::{impl_multivariate, MultiVariate};
use crate::error::{FeError, Result};
use crate::op::numpy::imgproc::{Geometry, TileMove};
use crate::op::numpy::{NumpyOp, OpState};
use crate::value::Value;

/// Cut the image into a `rows × cols` grid (albumentations' `RandomGridShuffle`, default 3×3;
/// cell edges at `linspace(0, size, n + 1)`) and permute cells of equal size randomly. Masks and
/// keypoints move with their cells; bounding boxes are not supported (a box may be cut apart).
pub struct RandomGridShuffle {
    mv: MultiVariate,
    grid: (usize, usize),
}
impl_multivariate!(RandomGridShuffle);

impl RandomGridShuffle {
    /// A `rows × cols` grid (both at least 1).
    pub fn new(rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(FeError::param("RandomGridShuffle", "grid", "needs at least one cell per axis"));
        }
        Ok(RandomGridShuffle { mv: MultiVariate::new("RandomGridShuffle", (false, true)), grid: (rows, cols) })
    }
}

fn edges(n: usize, parts: usize) -> Vec<usize> {
    (0..=parts).map(|i| i * n / parts).collect()
}

impl NumpyOp for RandomGridShuffle {
    fn name(&self) -> String {
        "RandomGridShuffle".into()
    }

    fn forward(&self, data: Vec<Value>, state: &mut OpState) -> Result<Vec<Value>> {
        let rng = state.rng();
        let key = self.mv.io.inputs.first().cloned().unwrap_or_default();
        let shape = data.first().map(|v| v.shape().to_vec()).unwrap_or_default();
        self.mv.run(data, |h, w| {
            let (rows, cols) = self.grid;
            if rows > h || cols > w {
                return Err(FeError::unexpected_shape(
                    "RandomGridShuffle",
                    &key,
                    format!("an image of at least {rows}×{cols} (height×width) for the {rows}×{cols} grid"),
                    &shape,
                ));
            }
            let (ys, xs) = (edges(h, rows), edges(w, cols));
            let mut groups: BTreeMap<(usize, usize), Vec<(usize, usize)>> = BTreeMap::new();
            for r in 0..rows {
                for c in 0..cols {
                    groups.entry((ys[r + 1] - ys[r], xs[c + 1] - xs[c])).or_default().push((ys[r], xs[c]));
                }
            }
            let mut moves = Vec::with_capacity(rows * cols);
            for ((th, tw), cells) in groups {
                let mut targets = cells.clone();
                targets.shuffle(rng);
                for ((sy, sx), (dy, dx)) in cells.into_iter().zip(targets) {
                    moves.push(TileMove { sy, sx, dy, dx, th, tw });
                }
            }
            Ok(Geometry::Tiles { h, w, moves })
        })
    }
}
