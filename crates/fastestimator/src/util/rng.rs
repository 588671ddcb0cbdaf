//! Deterministic randomness: every stream is derived from the run seed and a few indices, so a
//! result never depends on which thread did the work.

use rand::SeedableRng;

/// The RNG used everywhere in the pipeline (fast, portable, reproducible across platforms).
pub type FeRng = rand_chacha::ChaCha8Rng;

/// Mix a base seed with a list of indices into one 64-bit seed (SplitMix64 finaliser per part).
pub fn derive_seed(seed: u64, parts: &[u64]) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    parts.iter().fold(mix(seed), |acc, &p| mix(acc ^ mix(p)))
}

/// An RNG seeded from [`derive_seed`].
pub fn seeded_rng(seed: u64, parts: &[u64]) -> FeRng {
    FeRng::seed_from_u64(derive_seed(seed, parts))
}
