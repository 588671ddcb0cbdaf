//! libsvm text, plain and bzip2 (USPS), with USPS's 256 features.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = fastestimator_formats::libsvm::parse_libsvm_maybe_bzip2(data, 256) {
        assert_eq!(parsed.features.nrows(), parsed.labels.len());
    }
});
