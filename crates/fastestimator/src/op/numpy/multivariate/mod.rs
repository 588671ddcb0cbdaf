//! Multivariate NumpyOps (FE's `fe.op.numpyop.multivariate`): one random spatial transform
//! applied consistently to an image, its mask(s), bounding boxes and keypoints.
//!
//! Every op is configured with FE's keyword arguments as builder methods: `image_in`,
//! `mask_in`, `masks_in`, `bbox_in`, `keypoints_in` (each output defaults to its input key; set
//! `image_out` etc. to write elsewhere), plus `bbox_params`, `keypoint_params` and `.mode()` /
//! `.ds_id()`. Inputs are read in that order.
//!
//! - **Image**: `HW` or `HWC`, `u8` or float, interpolated (bilinear by default).
//! - **Mask**: `HW` or `HWC` of any numeric dtype, always nearest-neighbour, so a binary mask
//!   stays binary. **Masks**: several masks stacked on a first axis, `N×H×W[×C]`.
//! - **Bounding boxes**: `N×(4+k)` floats (or integers, returned as `f64`); the first four
//!   columns are coordinates in [`BboxParams::format`], the others (labels...) travel with their
//!   box.
//! - **Keypoints**: `N×(2+k)`, `x, y` in pixels (pixel `(row i, col j)` is at `(j, i)`); other
//!   columns travel unchanged (angles and scales are not transformed).
//!
//! **Box rule** (albumentations'): a box is moved by its four corners and replaced by the
//! smallest axis-aligned box around them; it is then clipped to the output image and dropped if
//! the clipped box has no area, an area below `min_area` pixels, or keeps less than
//! `min_visibility` of its unclipped area. Keypoints outside `[0, W) × [0, H)` are dropped when
//! `remove_invisible` is set (the default). So an op may return fewer boxes or keypoints than it
//! received; collate such values with `Batch::pad_value`.
//!
//! Differences from albumentations are documented per op; parameters keep their meaning and
//! range. Transforms that move pixels by whole positions (flips, transposes, crops, pads, quarter
//! turns) are exact for every dtype.

mod affine;
mod crop;
mod elastic_transform;
mod flip;
mod grid_distortion;
mod pad_if_needed;
mod random_grid_shuffle;
mod random_resized_crop;
mod random_rotate90;
mod random_scale;
mod resize;
mod rotate;
mod shift_scale_rotate;
mod targets;

pub use super::imgproc::{BorderMode, Interpolation};
pub use affine::Affine;
pub use crop::{CenterCrop, Crop, RandomCrop};
pub use elastic_transform::ElasticTransform;
pub use flip::{Flip, HorizontalFlip, Transpose, VerticalFlip};
pub use grid_distortion::GridDistortion;
pub use pad_if_needed::PadIfNeeded;
pub use random_grid_shuffle::RandomGridShuffle;
pub use random_resized_crop::{RandomResizedCrop, RandomSizedCrop};
pub use random_rotate90::RandomRotate90;
pub use random_scale::RandomScale;
pub use resize::{LongestMaxSize, Resize, SmallestMaxSize};
pub use rotate::Rotate;
pub use shift_scale_rotate::ShiftScaleRotate;
pub use targets::{BboxFormat, BboxParams, KeypointParams};

pub(crate) use targets::{impl_multivariate, impl_resampling, MultiVariate};

#[cfg(test)]
mod properties;
