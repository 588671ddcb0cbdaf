//! MATLAB level-5 MAT-files (SVHN), including zlib-compressed elements.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = fastestimator_formats::mat5::parse_mat5(data) {
        for array in &file.arrays {
            let n: usize = array.data.shape().iter().product();
            assert_eq!(n, array.data.to_f64().len());
        }
    }
});
