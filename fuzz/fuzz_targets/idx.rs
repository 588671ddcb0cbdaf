//! IDX (MNIST) parser, plain and gzip.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(array) = fastestimator_formats::idx::parse_idx(data) {
        // The declared shape must describe exactly the data returned.
        assert_eq!(array.shape.iter().product::<usize>(), array.to_f64().len());
    }
});
