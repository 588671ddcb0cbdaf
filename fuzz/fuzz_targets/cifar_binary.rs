//! CIFAR-10 / CIFAR-100 binary batches.
#![no_main]
use fastestimator_formats::cifar::{parse_cifar_binary, CifarVariant};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for variant in [CifarVariant::Cifar10, CifarVariant::Cifar100] {
        if let Ok(batch) = parse_cifar_binary(data, variant) {
            assert_eq!(batch.images.shape()[0], batch.labels.len());
            assert_eq!(batch.labels.len() * variant.record_len(), data.len());
        }
    }
});
