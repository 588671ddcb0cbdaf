//! Bounded reading of decompressed streams.

use std::io::{self, Read};

/// The most bytes any decompressor in this crate produces from one stream: 2 GiB. A
/// compression bomb stops here with an error instead of exhausting memory. The largest real
/// input (SVHN's `train_32x32.mat`, 225 MB of pixels) is far below it.
pub const MAX_DECOMPRESSED_BYTES: u64 = 2 << 30;

/// Read `reader` to its end, failing with [`io::ErrorKind::InvalidData`] once more than `limit`
/// bytes arrive. The buffer grows only as bytes actually arrive.
pub fn read_limited(reader: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("decompressed data exceeds the limit of {limit} bytes"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_limit() {
        assert_eq!(read_limited(&[1u8, 2, 3][..], 3).unwrap(), vec![1, 2, 3]);
        let err = read_limited(&[1u8, 2, 3, 4][..], 3).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
