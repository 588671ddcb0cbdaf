//! The restricted pickle reader for CIFAR python batches (ciFAIR).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = fastestimator_formats::pickle::parse_cifar_pickle(data) {
        // Decoded data never exceeds what the input could hold.
        assert!(batch.data.len() <= data.len());
    }
});
