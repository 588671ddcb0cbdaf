//! Small shared rules: modes, dataset ids, key names, seeded randomness and FE's string options
//! (FE's `fe.util`).

mod ds_id;
pub(crate) mod json_f64;
mod keys;
mod mode;
mod options;
mod rng;

pub use ds_id::DsIdFilter;
pub(crate) use keys::union_keys;
pub use keys::{check_ds_id, check_key, closest_key, missing_key};
pub use mode::{Mode, ModeSet};
pub(crate) use options::option_strings;
pub use options::BestMode;
pub use rng::{derive_seed, seeded_rng, FeRng};
