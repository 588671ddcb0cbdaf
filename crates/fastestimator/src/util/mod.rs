//! Small shared rules: modes, dataset ids, key names and seeded randomness (FE's `fe.util`).

mod ds_id;
mod keys;
mod mode;
mod rng;

pub use ds_id::DsIdFilter;
pub use keys::{check_ds_id, check_key, closest_key, missing_key};
pub use mode::{Mode, ModeSet};
pub use rng::{derive_seed, seeded_rng, FeRng};
