//! Parser and writer for the IDX file format, the container used by MNIST.
//!
//! An IDX file is a tiny header followed by a dense big-endian array:
//!
//! ```text
//! byte 0-1   0x00 0x00                magic
//! byte 2     type code                0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//! byte 3     rank                     number of dimensions
//! rank × u32 big-endian dimension sizes
//! data       product(dims) elements, big-endian, row-major
//! ```
//!
//! Files are often distributed gzip-compressed (`*.gz`); [`parse_idx`] detects the gzip magic
//! (`1f 8b`) and decompresses transparently.
//!
//! The parser is defensive: a corrupt header can never make it allocate more than the data that is
//! actually present (plain input) or more than the size the header declares, capped at
//! [`MAX_DATA_BYTES`] (gzip input, where the buffer grows only as decompressed bytes arrive).
//! Every malformed input yields a typed [`IdxError`] instead of a panic.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use ndarray::{ArrayD, IxDyn};
use thiserror::Error;

/// Largest number of dimensions accepted in a header.
///
/// The format allows up to 255, but no real data set uses more than a handful; a larger rank is
/// treated as a sign of corruption.
pub const MAX_RANK: usize = 16;

/// Largest payload (in bytes) accepted: 4 GiB.
///
/// A header that declares more data than this is rejected with [`IdxError::SizeOverflow`] before
/// anything is allocated.
pub const MAX_DATA_BYTES: u64 = 1 << 32;

/// The two magic bytes that start a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Size of the fixed part of the header (magic, type code, rank).
const FIXED_HEADER_LEN: usize = 4;

/// Errors produced while reading or writing IDX data.
#[derive(Debug, Error)]
pub enum IdxError {
    /// The input ended before the header was complete.
    #[error("IDX header too short: needed {needed} bytes, got {got}")]
    TooShort {
        /// Number of header bytes required.
        needed: usize,
        /// Number of bytes actually available.
        got: usize,
    },
    /// The first two bytes are not `00 00`.
    #[error("bad IDX magic: expected 00 00, found {:02x} {:02x}", found[0], found[1])]
    BadMagic {
        /// The two bytes found at the start of the input.
        found: [u8; 2],
    },
    /// The type byte is not one of the six codes defined by the format.
    #[error("unknown IDX data type code 0x{0:02x}")]
    UnknownType(u8),
    /// The rank is zero or larger than [`MAX_RANK`].
    #[error("unsupported IDX rank {rank} (expected 1..={max})")]
    BadRank {
        /// Rank found in the header.
        rank: usize,
        /// Largest accepted rank.
        max: usize,
    },
    /// The declared size overflows or exceeds [`MAX_DATA_BYTES`].
    #[error("IDX shape {shape:?} of {dtype} is too large (limit {limit} bytes)")]
    SizeOverflow {
        /// Shape declared in the header.
        shape: Vec<usize>,
        /// Element type declared in the header.
        dtype: IdxType,
        /// The byte limit that was exceeded.
        limit: u64,
    },
    /// Fewer data bytes are present than the header declares.
    #[error("truncated IDX data: expected {expected} bytes, got {got}")]
    Truncated {
        /// Number of data bytes declared by the header.
        expected: usize,
        /// Number of data bytes present.
        got: usize,
    },
    /// More bytes follow the data than the header declares.
    #[error("{extra} trailing byte(s) after IDX data of {expected} bytes")]
    TrailingBytes {
        /// Number of data bytes declared by the header.
        expected: usize,
        /// Number of unexpected extra bytes.
        extra: u64,
    },
    /// The input starts like gzip but cannot be decompressed.
    #[error("gzip decompression failed: {0}")]
    Gzip(#[source] io::Error),
    /// Reading the (uncompressed) input stream failed.
    #[error("error reading IDX data: {0}")]
    Read(#[source] io::Error),
    /// A shape and a data buffer passed to a writer do not agree, or the shape cannot be encoded.
    #[error("cannot encode IDX: {0}")]
    Encode(String),
    /// Reading a file failed.
    #[error("cannot read IDX file {path}: {source}")]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying IO error.
        #[source]
        source: io::Error,
    },
    /// A file was read but its content is not valid IDX.
    #[error("invalid IDX file {path}: {source}")]
    File {
        /// The file being parsed.
        path: PathBuf,
        /// What is wrong with its content.
        #[source]
        source: Box<IdxError>,
    },
}

/// Element type of an IDX array, as encoded by the header's type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdxType {
    /// `0x08`: unsigned byte.
    U8,
    /// `0x09`: signed byte.
    I8,
    /// `0x0B`: 16-bit signed integer, big-endian.
    I16,
    /// `0x0C`: 32-bit signed integer, big-endian.
    I32,
    /// `0x0D`: 32-bit IEEE float, big-endian.
    F32,
    /// `0x0E`: 64-bit IEEE float, big-endian.
    F64,
}

impl IdxType {
    /// Decodes a header type byte, or returns `None` for an unknown code.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x08 => Some(Self::U8),
            0x09 => Some(Self::I8),
            0x0B => Some(Self::I16),
            0x0C => Some(Self::I32),
            0x0D => Some(Self::F32),
            0x0E => Some(Self::F64),
            _ => None,
        }
    }

    /// The header type byte of this element type.
    pub fn code(self) -> u8 {
        match self {
            Self::U8 => 0x08,
            Self::I8 => 0x09,
            Self::I16 => 0x0B,
            Self::I32 => 0x0C,
            Self::F32 => 0x0D,
            Self::F64 => 0x0E,
        }
    }

    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::I16 => 2,
            Self::I32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// Short lowercase name (`"u8"`, `"f32"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::U8 => "u8",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }
}

impl fmt::Display for IdxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The typed payload of an IDX file; each variant keeps the file's native element type.
#[derive(Debug, Clone, PartialEq)]
pub enum IdxData {
    /// Unsigned bytes (`0x08`), e.g. MNIST images and labels.
    U8(ArrayD<u8>),
    /// Signed bytes (`0x09`).
    I8(ArrayD<i8>),
    /// 16-bit integers (`0x0B`).
    I16(ArrayD<i16>),
    /// 32-bit integers (`0x0C`).
    I32(ArrayD<i32>),
    /// 32-bit floats (`0x0D`).
    F32(ArrayD<f32>),
    /// 64-bit floats (`0x0E`).
    F64(ArrayD<f64>),
}

/// A parsed IDX array: its shape and its typed data (whose shape equals `shape`).
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// Dimension sizes, outermost first.
    pub shape: Vec<usize>,
    /// The elements, in the file's element type.
    pub data: IdxData,
}

impl IdxArray {
    /// Element type of the data.
    pub fn dtype(&self) -> IdxType {
        match &self.data {
            IdxData::U8(_) => IdxType::U8,
            IdxData::I8(_) => IdxType::I8,
            IdxData::I16(_) => IdxType::I16,
            IdxData::I32(_) => IdxType::I32,
            IdxData::F32(_) => IdxType::F32,
            IdxData::F64(_) => IdxType::F64,
        }
    }

    /// Borrows the data if it is `u8`.
    pub fn as_u8(&self) -> Option<&ArrayD<u8>> {
        match &self.data {
            IdxData::U8(a) => Some(a),
            _ => None,
        }
    }

    /// Takes the data if it is `u8`; `None` for any other element type.
    pub fn into_u8(self) -> Option<ArrayD<u8>> {
        match self.data {
            IdxData::U8(a) => Some(a),
            _ => None,
        }
    }

    /// Converts integer data (`u8`, `i8`, `i16`, `i32`) to `i64`; `None` for float data.
    pub fn to_i64(&self) -> Option<ArrayD<i64>> {
        match &self.data {
            IdxData::U8(a) => Some(a.mapv(i64::from)),
            IdxData::I8(a) => Some(a.mapv(i64::from)),
            IdxData::I16(a) => Some(a.mapv(i64::from)),
            IdxData::I32(a) => Some(a.mapv(i64::from)),
            IdxData::F32(_) | IdxData::F64(_) => None,
        }
    }

    /// Converts any data to `f64` (exact for every IDX element type).
    pub fn to_f64(&self) -> ArrayD<f64> {
        match &self.data {
            IdxData::U8(a) => a.mapv(f64::from),
            IdxData::I8(a) => a.mapv(f64::from),
            IdxData::I16(a) => a.mapv(f64::from),
            IdxData::I32(a) => a.mapv(f64::from),
            IdxData::F32(a) => a.mapv(f64::from),
            IdxData::F64(a) => a.clone(),
        }
    }
}

/// Parses an IDX array from bytes, plain or gzip-compressed (detected by the `1f 8b` magic).
///
/// The input must contain exactly one array: missing data yields [`IdxError::Truncated`] and
/// extra bytes yield [`IdxError::TrailingBytes`].
pub fn parse_idx(bytes: &[u8]) -> Result<IdxArray, IdxError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        let mut decoder = MultiGzDecoder::new(bytes);
        parse_stream(&mut decoder, true)
    } else {
        let mut reader = bytes;
        parse_stream(&mut reader, false)
    }
}

/// Reads and parses an IDX file (plain or gzip-compressed).
///
/// Errors name the file: [`IdxError::Io`] when it cannot be read, [`IdxError::File`] when its
/// content is invalid.
pub fn read_idx_file(path: &Path) -> Result<IdxArray, IdxError> {
    let bytes = std::fs::read(path).map_err(|source| IdxError::Io { path: path.to_path_buf(), source })?;
    parse_idx(&bytes).map_err(|e| IdxError::File { path: path.to_path_buf(), source: Box::new(e) })
}

/// Encodes a `u8` array as an (uncompressed) IDX file.
///
/// `data` is row-major and must hold exactly `shape.iter().product()` elements; the rank must be
/// in `1..=MAX_RANK` and every dimension must fit in a `u32`. Violations return
/// [`IdxError::Encode`].
pub fn write_idx_u8(shape: &[usize], data: &[u8]) -> Result<Vec<u8>, IdxError> {
    if shape.is_empty() || shape.len() > MAX_RANK {
        return Err(IdxError::Encode(format!("rank {} is outside 1..={MAX_RANK}", shape.len())));
    }
    let mut dims = Vec::with_capacity(shape.len());
    for &d in shape {
        let d32 = u32::try_from(d).map_err(|_| IdxError::Encode(format!("dimension {d} does not fit in u32")))?;
        dims.push(d32);
    }
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| IdxError::Encode(format!("shape {shape:?} overflows usize")))?;
    if count != data.len() {
        return Err(IdxError::Encode(format!("shape {shape:?} needs {count} elements but {} were given", data.len())));
    }
    let mut out = Vec::with_capacity(FIXED_HEADER_LEN + 4 * dims.len() + data.len());
    // The rank is at most MAX_RANK (16), so it always fits in the rank byte.
    out.extend_from_slice(&[0, 0, IdxType::U8.code(), dims.len() as u8]);
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    Ok(out)
}

/// Maps a read error to the right variant: [`IdxError::Gzip`] for compressed input,
/// [`IdxError::Read`] otherwise.
fn read_error(e: io::Error, gz: bool) -> IdxError {
    if gz {
        IdxError::Gzip(e)
    } else {
        IdxError::Read(e)
    }
}

/// Reads up to `buf.len()` bytes, returning how many were read before end of input.
fn read_full(reader: &mut dyn Read, buf: &mut [u8], gz: bool) -> Result<usize, IdxError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e, gz)),
        }
    }
    Ok(filled)
}

/// Parses one IDX array from a byte stream (already decompressed if `gz`).
fn parse_stream(reader: &mut dyn Read, gz: bool) -> Result<IdxArray, IdxError> {
    let mut fixed = [0u8; FIXED_HEADER_LEN];
    let got = read_full(reader, &mut fixed, gz)?;
    if got < 2 {
        return Err(IdxError::TooShort { needed: FIXED_HEADER_LEN, got });
    }
    if fixed[0] != 0 || fixed[1] != 0 {
        return Err(IdxError::BadMagic { found: [fixed[0], fixed[1]] });
    }
    if got < FIXED_HEADER_LEN {
        return Err(IdxError::TooShort { needed: FIXED_HEADER_LEN, got });
    }
    let dtype = IdxType::from_code(fixed[2]).ok_or(IdxError::UnknownType(fixed[2]))?;
    let rank = usize::from(fixed[3]);
    if rank == 0 || rank > MAX_RANK {
        return Err(IdxError::BadRank { rank, max: MAX_RANK });
    }

    let mut dim_bytes = [0u8; 4 * MAX_RANK];
    let dim_bytes = &mut dim_bytes[..4 * rank];
    let got = read_full(reader, dim_bytes, gz)?;
    if got < dim_bytes.len() {
        return Err(IdxError::TooShort { needed: FIXED_HEADER_LEN + dim_bytes.len(), got: FIXED_HEADER_LEN + got });
    }
    let shape: Vec<usize> =
        dim_bytes.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();

    let too_large = || IdxError::SizeOverflow { shape: shape.clone(), dtype, limit: MAX_DATA_BYTES };
    let count = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64)).ok_or_else(too_large)?;
    let n_bytes =
        count.checked_mul(dtype.size_bytes() as u64).filter(|&b| b <= MAX_DATA_BYTES).ok_or_else(too_large)?;
    let n_bytes = usize::try_from(n_bytes).map_err(|_| too_large())?;
    // `count <= n_bytes`, so it fits in usize too.
    let count = count as usize;

    // `take` bounds the read by the declared size; the buffer grows only as bytes actually
    // arrive, so a lying header cannot trigger a huge allocation.
    let mut data = Vec::new();
    reader.take(n_bytes as u64).read_to_end(&mut data).map_err(|e| read_error(e, gz))?;
    if data.len() < n_bytes {
        return Err(IdxError::Truncated { expected: n_bytes, got: data.len() });
    }
    let extra = io::copy(&mut reader.take(MAX_DATA_BYTES), &mut io::sink()).map_err(|e| read_error(e, gz))?;
    if extra > 0 {
        return Err(IdxError::TrailingBytes { expected: n_bytes, extra });
    }

    let dim = IxDyn(&shape);
    debug_assert_eq!(data.len(), count * dtype.size_bytes());
    let shape_err = |e: ndarray::ShapeError| IdxError::Encode(format!("internal shape error: {e}"));
    let data = match dtype {
        IdxType::U8 => IdxData::U8(ArrayD::from_shape_vec(dim, data).map_err(shape_err)?),
        IdxType::I8 => {
            IdxData::I8(ArrayD::from_shape_vec(dim, data.iter().map(|&b| b as i8).collect()).map_err(shape_err)?)
        }
        IdxType::I16 => IdxData::I16(
            ArrayD::from_shape_vec(dim, data.chunks_exact(2).map(|c| i16::from_be_bytes([c[0], c[1]])).collect())
                .map_err(shape_err)?,
        ),
        IdxType::I32 => IdxData::I32(
            ArrayD::from_shape_vec(
                dim,
                data.chunks_exact(4).map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect(),
            )
            .map_err(shape_err)?,
        ),
        IdxType::F32 => IdxData::F32(
            ArrayD::from_shape_vec(
                dim,
                data.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect(),
            )
            .map_err(shape_err)?,
        ),
        IdxType::F64 => IdxData::F64(
            ArrayD::from_shape_vec(
                dim,
                data.chunks_exact(8)
                    .map(|c| f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            )
            .map_err(shape_err)?,
        ),
    };
    Ok(IdxArray { shape, data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn header(code: u8, dims: &[u32]) -> Vec<u8> {
        let mut out = vec![0, 0, code, dims.len() as u8];
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    #[test]
    fn roundtrip_u8_plain_and_gzip() {
        let data: Vec<u8> = (0..24).collect();
        let bytes = write_idx_u8(&[2, 3, 4], &data).unwrap();
        assert_eq!(&bytes[..4], &[0, 0, 8, 3]);
        for input in [bytes.clone(), gzip(&bytes)] {
            let arr = parse_idx(&input).unwrap();
            assert_eq!(arr.shape, vec![2, 3, 4]);
            assert_eq!(arr.dtype(), IdxType::U8);
            let a = arr.as_u8().unwrap();
            assert_eq!(a.shape(), &[2, 3, 4]);
            assert_eq!(a[[1, 2, 3]], 23);
            assert_eq!(a.iter().copied().collect::<Vec<_>>(), data);
        }
    }

    #[test]
    fn parses_other_types_big_endian() {
        let mut b = header(0x0B, &[2]);
        b.extend_from_slice(&(-2i16).to_be_bytes());
        b.extend_from_slice(&300i16.to_be_bytes());
        let arr = parse_idx(&b).unwrap();
        assert_eq!(arr.dtype(), IdxType::I16);
        assert_eq!(arr.to_i64().unwrap().into_raw_vec_and_offset().0, vec![-2, 300]);

        let mut b = header(0x0C, &[1, 2]);
        b.extend_from_slice(&(-70000i32).to_be_bytes());
        b.extend_from_slice(&7i32.to_be_bytes());
        let arr = parse_idx(&b).unwrap();
        assert_eq!(arr.to_i64().unwrap()[[0, 0]], -70000);

        let mut b = header(0x0D, &[1]);
        b.extend_from_slice(&1.5f32.to_be_bytes());
        let arr = parse_idx(&b).unwrap();
        assert_eq!(arr.to_f64()[[0]], 1.5);
        assert!(arr.to_i64().is_none());

        let mut b = header(0x0E, &[1]);
        b.extend_from_slice(&(-0.25f64).to_be_bytes());
        assert_eq!(parse_idx(&b).unwrap().to_f64()[[0]], -0.25);

        let mut b = header(0x09, &[2]);
        b.extend_from_slice(&[0xFF, 0x01]);
        let arr = parse_idx(&b).unwrap();
        assert_eq!(arr.data, IdxData::I8(ArrayD::from_shape_vec(IxDyn(&[2]), vec![-1, 1]).unwrap()));
        assert!(arr.clone().into_u8().is_none());
        assert!(arr.as_u8().is_none());
    }

    #[test]
    fn zero_sized_dimension_is_an_empty_array() {
        let bytes = write_idx_u8(&[0, 28, 28], &[]).unwrap();
        let arr = parse_idx(&bytes).unwrap();
        assert_eq!(arr.shape, vec![0, 28, 28]);
        assert_eq!(arr.as_u8().unwrap().len(), 0);
    }

    #[test]
    fn rejects_short_header() {
        for input in [&[][..], &[0][..], &[0, 0, 8][..]] {
            assert!(matches!(parse_idx(input), Err(IdxError::TooShort { .. })), "{input:?}");
        }
        // Dimensions cut short.
        let b = &header(0x08, &[5, 28, 28])[..9];
        assert!(matches!(parse_idx(b), Err(IdxError::TooShort { needed: 16, got: 9 })));
    }

    #[test]
    fn rejects_bad_magic_type_and_rank() {
        assert!(matches!(parse_idx(&[1, 0, 8, 1, 0, 0, 0, 0]), Err(IdxError::BadMagic { found: [1, 0] })));
        assert!(matches!(parse_idx(&[0, 0, 0x07, 1, 0, 0, 0, 0]), Err(IdxError::UnknownType(7))));
        assert!(matches!(parse_idx(&[0, 0, 8, 0]), Err(IdxError::BadRank { rank: 0, .. })));
        assert!(matches!(parse_idx(&[0, 0, 8, 200]), Err(IdxError::BadRank { rank: 200, .. })));
    }

    #[test]
    fn rejects_absurd_sizes_without_allocating() {
        // Product overflows u64.
        let b = header(0x08, &[u32::MAX, u32::MAX, u32::MAX]);
        assert!(matches!(parse_idx(&b), Err(IdxError::SizeOverflow { .. })));
        // Fits in u64 but exceeds the sane limit.
        let b = header(0x0E, &[u32::MAX, 2]);
        assert!(matches!(parse_idx(&b), Err(IdxError::SizeOverflow { .. })));
        // Declares a large but legal size with no data: truncated, not an OOM.
        let b = header(0x08, &[60_000, 28, 28]);
        assert!(matches!(parse_idx(&b), Err(IdxError::Truncated { expected: 47_040_000, got: 0 })));
    }

    #[test]
    fn rejects_truncated_and_trailing_data() {
        let full = write_idx_u8(&[5, 2, 2], &[7; 20]).unwrap();
        let cut = &full[..full.len() - 3];
        assert!(matches!(parse_idx(cut), Err(IdxError::Truncated { expected: 20, got: 17 })));
        assert!(matches!(parse_idx(&gzip(cut)), Err(IdxError::Truncated { expected: 20, got: 17 })));
        let mut long = full.clone();
        long.extend_from_slice(&[1, 2]);
        assert!(matches!(parse_idx(&long), Err(IdxError::TrailingBytes { expected: 20, extra: 2 })));
        assert!(matches!(parse_idx(&gzip(&long)), Err(IdxError::TrailingBytes { extra: 2, .. })));
    }

    #[test]
    fn rejects_corrupt_gzip() {
        let full = write_idx_u8(&[100], &[3; 100]).unwrap();
        let gz = gzip(&full);
        // Cut the compressed stream in half.
        let err = parse_idx(&gz[..gz.len() / 2]).unwrap_err();
        assert!(matches!(err, IdxError::Gzip(_)), "{err}");
        // Only the magic.
        assert!(matches!(parse_idx(&GZIP_MAGIC), Err(IdxError::Gzip(_))));
    }

    #[test]
    fn writer_validates_input() {
        assert!(matches!(write_idx_u8(&[], &[]), Err(IdxError::Encode(_))));
        assert!(matches!(write_idx_u8(&[2, 2], &[0; 3]), Err(IdxError::Encode(_))));
        assert!(matches!(write_idx_u8(&[1; 17], &[0]), Err(IdxError::Encode(_))));
        assert!(matches!(write_idx_u8(&[usize::MAX, 2], &[]), Err(IdxError::Encode(_))));
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope-idx1-ubyte");
        let err = read_idx_file(&missing).unwrap_err();
        assert!(matches!(err, IdxError::Io { .. }));
        assert!(err.to_string().contains("nope-idx1-ubyte"), "{err}");

        let bad = dir.path().join("bad-idx1-ubyte.gz");
        std::fs::write(&bad, gzip(&[0, 0, 8, 1, 0, 0, 0, 9, 1])).unwrap();
        let err = read_idx_file(&bad).unwrap_err();
        assert!(err.to_string().contains("bad-idx1-ubyte.gz"), "{err}");
        assert!(err.to_string().contains("expected 9 bytes, got 1"), "{err}");

        let good = dir.path().join("good");
        std::fs::write(&good, write_idx_u8(&[3], &[1, 2, 3]).unwrap()).unwrap();
        assert_eq!(read_idx_file(&good).unwrap().shape, vec![3]);
    }
}
