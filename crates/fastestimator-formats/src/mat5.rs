//! A minimal reader (and writer, for tests) of MATLAB MAT-files, level 5 (what MATLAB writes
//! with `-v6` and `-v7`; `-v7.3` files are HDF5 and are not covered). This is the format of
//! SVHN's cropped-digit files `train_32x32.mat` and `test_32x32.mat`.
//!
//! Layout:
//!
//! ```text
//! 128-byte header   116 bytes text, 8 bytes subsystem offset, u16 version 0x0100, 2 bytes
//!                   endian indicator "IM" (little-endian file) or "MI" (big-endian)
//! data elements     tag (u32 type, u32 byte count) + data padded to 8 bytes; a "small" element
//!                   packs type and count into one u32 and its data into the next 4 bytes
//!   miCOMPRESSED    zlib stream holding one complete data element (not padded)
//!   miMATRIX        sub-elements: array flags (class in the low byte, complex / logical bits),
//!                   dimensions (i32), name (i8), real part, [imaginary part]
//! ```
//!
//! Numeric arrays (double, single, 8- to 64-bit integers, logical) are read; MATLAB often stores
//! a double array in a smaller integer type, which is converted back. Arrays are column-major in
//! the file; [`MatArray::data`] holds them in standard (row-major) layout with the same shape.
//! Other classes (cell, struct, char, sparse, object) and complex arrays are listed in
//! [`MatFile::skipped`] and not decoded.

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use thiserror::Error;

use crate::limits::{read_limited, MAX_DECOMPRESSED_BYTES};

/// Size of the fixed file header.
pub const HEADER_LEN: usize = 128;

/// Largest array (in bytes of its decoded elements) accepted: 4 GiB.
pub const MAX_ARRAY_BYTES: u64 = 4 << 30;

/// Largest number of dimensions accepted.
pub const MAX_DIMS: usize = 32;

const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// The MATLAB class of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatClass {
    /// `double`
    Double,
    /// `single`
    Single,
    /// `int8`
    Int8,
    /// `uint8`
    Uint8,
    /// `int16`
    Int16,
    /// `uint16`
    Uint16,
    /// `int32`
    Int32,
    /// `uint32`
    Uint32,
    /// `int64`
    Int64,
    /// `uint64`
    Uint64,
    /// Any other class, by its code (cell 1, struct 2, object 3, char 4, sparse 5, ...).
    Other(u8),
}

impl MatClass {
    fn from_code(code: u8) -> MatClass {
        match code {
            6 => MatClass::Double,
            7 => MatClass::Single,
            8 => MatClass::Int8,
            9 => MatClass::Uint8,
            10 => MatClass::Int16,
            11 => MatClass::Uint16,
            12 => MatClass::Int32,
            13 => MatClass::Uint32,
            14 => MatClass::Int64,
            15 => MatClass::Uint64,
            other => MatClass::Other(other),
        }
    }

    fn code(self) -> u8 {
        match self {
            MatClass::Double => 6,
            MatClass::Single => 7,
            MatClass::Int8 => 8,
            MatClass::Uint8 => 9,
            MatClass::Int16 => 10,
            MatClass::Uint16 => 11,
            MatClass::Int32 => 12,
            MatClass::Uint32 => 13,
            MatClass::Int64 => 14,
            MatClass::Uint64 => 15,
            MatClass::Other(c) => c,
        }
    }
}

/// The decoded elements of a numeric array, in standard layout.
#[derive(Debug, Clone, PartialEq)]
pub enum MatData {
    /// `uint8` and `logical` arrays.
    U8(ArrayD<u8>),
    /// Every other integer class, widened to `i64`.
    Int(ArrayD<i64>),
    /// `double` and `single` arrays.
    Float(ArrayD<f64>),
}

impl MatData {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            MatData::U8(a) => a.shape(),
            MatData::Int(a) => a.shape(),
            MatData::Float(a) => a.shape(),
        }
    }

    /// The elements as `f64` (exact except for 64-bit integers beyond 2^53).
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            MatData::U8(a) => a.mapv(f64::from),
            MatData::Int(a) => a.mapv(|v| v as f64),
            MatData::Float(a) => a.clone(),
        }
    }
}

/// One named numeric array.
#[derive(Debug, Clone, PartialEq)]
pub struct MatArray {
    /// The variable name.
    pub name: String,
    /// The MATLAB class.
    pub class: MatClass,
    /// Whether the logical flag is set.
    pub logical: bool,
    /// The elements; `data.shape()` equals the MATLAB dimensions.
    pub data: MatData,
}

/// The arrays of a MAT-file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MatFile {
    /// The header's descriptive text (trailing spaces removed).
    pub header_text: String,
    /// The numeric arrays, in file order.
    pub arrays: Vec<MatArray>,
    /// Arrays that were not decoded: (name, class, why).
    pub skipped: Vec<(String, MatClass, String)>,
}

impl MatFile {
    /// The array named `name`, if present.
    pub fn get(&self, name: &str) -> Option<&MatArray> {
        self.arrays.iter().find(|a| a.name == name)
    }
}

/// Errors produced while reading MAT-files.
#[derive(Debug, Error)]
pub enum MatError {
    /// The input is shorter than the 128-byte header.
    #[error("MAT-file too short for its 128-byte header ({0} bytes)")]
    TooShort(usize),
    /// The header does not describe a level-5 MAT-file.
    #[error("not a level-5 MAT-file: {0}")]
    BadHeader(String),
    /// A data element is malformed.
    #[error("data element at byte {offset}: {reason}")]
    Element {
        /// Offset of the element (within the file, or within the decompressed stream of a
        /// compressed element, see `reason`).
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A compressed element cannot be decompressed.
    #[error("compressed element at byte {offset}: {source}")]
    Zlib {
        /// Offset of the compressed element.
        offset: usize,
        /// The zlib error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a file failed.
    #[error("cannot read MAT-file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is invalid.
    #[error("invalid MAT-file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: Box<MatError>,
    },
}

#[derive(Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    fn u16(self, b: &[u8]) -> u16 {
        if self.big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        }
    }
}

/// One data element: its type and a slice of its payload.
struct Element<'a> {
    kind: u32,
    data: &'a [u8],
}

/// Read the element starting at `pos`; returns it and the position of the next one.
fn read_element(buf: &[u8], pos: usize, e: Endian, base: usize) -> Result<(Element<'_>, usize), MatError> {
    let err = |reason: String| MatError::Element { offset: base + pos, reason };
    let tag = buf.get(pos..pos + 8).ok_or_else(|| err(format!("truncated tag ({} bytes left)", buf.len() - pos)))?;
    let first = e.u32(&tag[..4]);
    if first >> 16 != 0 {
        // Small data element: count in the high 16 bits, type in the low 16, data in 4 bytes.
        let count = (first >> 16) as usize;
        if count > 4 {
            return Err(err(format!("small element claims {count} bytes (at most 4)")));
        }
        return Ok((Element { kind: first & 0xffff, data: &tag[4..4 + count] }, pos + 8));
    }
    let count = e.u32(&tag[4..]) as usize;
    let start = pos + 8;
    let end = start
        .checked_add(count)
        .filter(|&end| end <= buf.len())
        .ok_or_else(|| err(format!("declares {count} bytes but only {} remain", buf.len() - start)))?;
    let next = if first == MI_COMPRESSED { end } else { end.div_ceil(8).saturating_mul(8).min(buf.len().max(end)) };
    Ok((Element { kind: first, data: &buf[start..end] }, next))
}

/// Parse a whole MAT-file.
pub fn parse_mat5(bytes: &[u8]) -> Result<MatFile, MatError> {
    if bytes.len() < HEADER_LEN {
        return Err(MatError::TooShort(bytes.len()));
    }
    let endian = match &bytes[126..128] {
        b"IM" => Endian { big: false },
        b"MI" => Endian { big: true },
        other => return Err(MatError::BadHeader(format!("endian indicator {other:?} is neither \"IM\" nor \"MI\""))),
    };
    let version = endian.u16(&bytes[124..126]);
    if version != 0x0100 {
        return Err(MatError::BadHeader(format!("version 0x{version:04x} (expected 0x0100)")));
    }
    let header_text = String::from_utf8_lossy(&bytes[..116]).trim_end_matches([' ', '\0']).to_string();
    if header_text.starts_with("MATLAB 7.3") {
        return Err(MatError::BadHeader("MATLAB 7.3 files are HDF5, not level 5".into()));
    }
    let mut file = MatFile { header_text, ..MatFile::default() };
    let mut pos = HEADER_LEN;
    while pos < bytes.len() {
        let offset = pos;
        let (element, next) = read_element(bytes, pos, endian, 0)?;
        pos = next;
        match element.kind {
            MI_MATRIX => read_matrix(element.data, endian, offset + 8, &mut file)?,
            MI_COMPRESSED => {
                let inner = read_limited(flate2::read::ZlibDecoder::new(element.data), MAX_DECOMPRESSED_BYTES)
                    .map_err(|source| MatError::Zlib { offset, source })?;
                let (element, _) = read_element(&inner, 0, endian, 0).map_err(|e| match e {
                    MatError::Element { offset: o, reason } => MatError::Element {
                        offset,
                        reason: format!("in the decompressed stream at byte {o}: {reason}"),
                    },
                    other => other,
                })?;
                if element.kind != MI_MATRIX {
                    return Err(MatError::Element {
                        offset,
                        reason: format!("compressed element holds type {} instead of miMATRIX", element.kind),
                    });
                }
                read_matrix(element.data, endian, 8, &mut file).map_err(|e| match e {
                    MatError::Element { offset: o, reason } => MatError::Element {
                        offset,
                        reason: format!("in the decompressed stream at byte {o}: {reason}"),
                    },
                    other => other,
                })?;
            }
            other => {
                return Err(MatError::Element { offset, reason: format!("unexpected top-level element type {other}") })
            }
        }
    }
    Ok(file)
}

/// Read and parse a MAT-file; errors name the file.
pub fn read_mat5_file(path: &Path) -> Result<MatFile, MatError> {
    let bytes = std::fs::read(path).map_err(|source| MatError::Io { path: path.to_path_buf(), source })?;
    parse_mat5(&bytes).map_err(|e| MatError::File { path: path.to_path_buf(), source: Box::new(e) })
}

/// Decode the body of a miMATRIX element (`base` is its offset, for messages).
fn read_matrix(body: &[u8], e: Endian, base: usize, file: &mut MatFile) -> Result<(), MatError> {
    if body.is_empty() {
        // An empty miMATRIX is legal (an empty placeholder); nothing to record.
        return Ok(());
    }
    let err = |pos: usize, reason: String| MatError::Element { offset: base + pos, reason };
    let (flags, pos) = read_element(body, 0, e, base)?;
    if flags.kind != MI_UINT32 || flags.data.len() != 8 {
        return Err(err(
            0,
            format!("array flags must be 2 × miUINT32, found type {} of {} bytes", flags.kind, flags.data.len()),
        ));
    }
    let word = e.u32(&flags.data[..4]);
    let class = MatClass::from_code((word & 0xff) as u8);
    let complex = word & 0x0800 != 0;
    let logical = word & 0x0200 != 0;

    let dims_pos = pos;
    let (dims, pos) = read_element(body, pos, e, base)?;
    if dims.kind != MI_INT32 || !dims.data.len().is_multiple_of(4) || dims.data.len() < 8 {
        return Err(err(
            dims_pos,
            format!("dimensions must be ≥ 2 × miINT32, found type {} of {} bytes", dims.kind, dims.data.len()),
        ));
    }
    if dims.data.len() / 4 > MAX_DIMS {
        return Err(err(dims_pos, format!("{} dimensions (at most {MAX_DIMS})", dims.data.len() / 4)));
    }
    let mut shape = Vec::with_capacity(dims.data.len() / 4);
    for c in dims.data.chunks_exact(4) {
        let d = e.u32(c) as i32;
        if d < 0 {
            return Err(err(dims_pos, format!("negative dimension {d}")));
        }
        shape.push(d as usize);
    }

    let name_pos = pos;
    let (name, pos) = read_element(body, pos, e, base)?;
    if name.kind != MI_INT8 && name.kind != MI_UINT8 {
        return Err(err(name_pos, format!("array name must be miINT8, found type {}", name.kind)));
    }
    let name = String::from_utf8_lossy(name.data).into_owned();

    let numeric = !matches!(class, MatClass::Other(_));
    if !numeric || complex {
        let why = if complex { "complex arrays are not supported" } else { "only numeric arrays are decoded" };
        file.skipped.push((name, class, why.to_string()));
        return Ok(());
    }

    let count = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| n.saturating_mul(8) <= MAX_ARRAY_BYTES)
        .ok_or_else(|| err(dims_pos, format!("dimensions {shape:?} are too large")))?;
    let count = count as usize;
    let real_pos = pos;
    let (real, _) = read_element(body, pos, e, base)?;
    let size = match real.kind {
        MI_INT8 | MI_UINT8 => 1,
        MI_INT16 | MI_UINT16 => 2,
        MI_INT32 | MI_UINT32 | MI_SINGLE => 4,
        MI_DOUBLE | MI_INT64 | MI_UINT64 => 8,
        other => return Err(err(real_pos, format!("unsupported numeric storage type {other}"))),
    };
    if real.data.len() != count * size {
        return Err(err(
            real_pos,
            format!(
                "array {name:?} of dimensions {shape:?} needs {} bytes of type {}, found {}",
                count * size,
                real.kind,
                real.data.len()
            ),
        ));
    }
    let fortran = IxDyn(&shape).f();
    let shape_err = |e: ndarray::ShapeError| err(real_pos, format!("internal shape error: {e}"));
    let data = match class {
        MatClass::Uint8 if real.kind == MI_UINT8 => {
            MatData::U8(ArrayD::from_shape_vec(fortran, real.data.to_vec()).map_err(shape_err)?)
        }
        MatClass::Double | MatClass::Single => {
            let values = decode_f64(real.kind, real.data, e);
            MatData::Float(ArrayD::from_shape_vec(fortran, values).map_err(shape_err)?)
        }
        _ => {
            let values = decode_i64(real.kind, real.data, e).ok_or_else(|| {
                err(
                    real_pos,
                    format!("array {name:?}: integer storage holds a value that does not fit in i64, or floats"),
                )
            })?;
            if class == MatClass::Uint8 || logical {
                let bytes: Option<Vec<u8>> = values.iter().map(|&v| u8::try_from(v).ok()).collect();
                let bytes = bytes.ok_or_else(|| err(real_pos, format!("array {name:?}: uint8 value out of range")))?;
                MatData::U8(ArrayD::from_shape_vec(fortran, bytes).map_err(shape_err)?)
            } else {
                MatData::Int(ArrayD::from_shape_vec(fortran, values).map_err(shape_err)?)
            }
        }
    };
    let data = match data {
        MatData::U8(a) => MatData::U8(a.as_standard_layout().into_owned()),
        MatData::Int(a) => MatData::Int(a.as_standard_layout().into_owned()),
        MatData::Float(a) => MatData::Float(a.as_standard_layout().into_owned()),
    };
    file.arrays.push(MatArray { name, class, logical, data });
    Ok(())
}

fn decode_f64(kind: u32, data: &[u8], e: Endian) -> Vec<f64> {
    let u64_of = |c: &[u8]| {
        let a = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
        if e.big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    };
    match kind {
        MI_DOUBLE => data.chunks_exact(8).map(|c| f64::from_bits(u64_of(c))).collect(),
        MI_SINGLE => data.chunks_exact(4).map(|c| f64::from(f32::from_bits(e.u32(c)))).collect(),
        MI_UINT64 => data.chunks_exact(8).map(|c| u64_of(c) as f64).collect(),
        MI_INT64 => data.chunks_exact(8).map(|c| u64_of(c) as i64 as f64).collect(),
        _ => decode_i64(kind, data, e).unwrap_or_default().into_iter().map(|v| v as f64).collect(),
    }
}

/// Integer storage as i64; `None` for float storage or a u64 above i64::MAX.
fn decode_i64(kind: u32, data: &[u8], e: Endian) -> Option<Vec<i64>> {
    let u64_of = |c: &[u8]| {
        let a = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
        if e.big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    };
    Some(match kind {
        MI_INT8 => data.iter().map(|&b| i64::from(b as i8)).collect(),
        MI_UINT8 => data.iter().map(|&b| i64::from(b)).collect(),
        MI_INT16 => data.chunks_exact(2).map(|c| i64::from(e.u16(c) as i16)).collect(),
        MI_UINT16 => data.chunks_exact(2).map(|c| i64::from(e.u16(c))).collect(),
        MI_INT32 => data.chunks_exact(4).map(|c| i64::from(e.u32(c) as i32)).collect(),
        MI_UINT32 => data.chunks_exact(4).map(|c| i64::from(e.u32(c))).collect(),
        MI_INT64 => data.chunks_exact(8).map(|c| u64_of(c) as i64).collect(),
        MI_UINT64 => data.chunks_exact(8).map(|c| i64::try_from(u64_of(c)).ok()).collect::<Option<Vec<_>>>()?,
        _ => return None,
    })
}

/// How [`write_mat5`] stores an array's elements.
#[derive(Debug, Clone, PartialEq)]
pub enum MatWriteData {
    /// `uint8` elements (class uint8).
    U8(Vec<u8>),
    /// `double` elements stored as miDOUBLE (class double).
    F64(Vec<f64>),
    /// `double`-class elements stored compactly as miUINT8, as MATLAB does for small integers.
    F64AsU8(Vec<u8>),
}

/// Write a little-endian level-5 MAT-file holding the given column-major arrays, each element
/// zlib-compressed when `compress` (as `save -v7`) or plain (as `save -v6`). For tests and
/// fuzzing seeds.
pub fn write_mat5(arrays: &[(&str, &[usize], MatWriteData)], compress: bool) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    let mut text = b"MATLAB 5.0 MAT-file, written by fastestimator-formats".to_vec();
    text.resize(116, b' ');
    out.extend_from_slice(&text);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    fn element(kind: u32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(8 + data.len() + 7);
        v.extend_from_slice(&kind.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        while !v.len().is_multiple_of(8) {
            v.push(0);
        }
        v
    }
    for (name, dims, data) in arrays {
        let (class, kind, bytes): (MatClass, u32, Vec<u8>) = match data {
            MatWriteData::U8(v) => (MatClass::Uint8, MI_UINT8, v.clone()),
            MatWriteData::F64(v) => (MatClass::Double, MI_DOUBLE, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            MatWriteData::F64AsU8(v) => (MatClass::Double, MI_UINT8, v.clone()),
        };
        let mut body = Vec::new();
        let mut flags = Vec::new();
        flags.extend_from_slice(&u32::from(class.code()).to_le_bytes());
        flags.extend_from_slice(&0u32.to_le_bytes());
        body.extend(element(MI_UINT32, &flags));
        let dim_bytes: Vec<u8> = dims.iter().flat_map(|&d| (d as i32).to_le_bytes()).collect();
        body.extend(element(MI_INT32, &dim_bytes));
        body.extend(element(MI_INT8, name.as_bytes()));
        body.extend(element(kind, &bytes));
        let matrix = element(MI_MATRIX, &body);
        if compress {
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&matrix).expect("writing to a Vec cannot fail");
            let z = enc.finish().expect("writing to a Vec cannot fail");
            out.extend_from_slice(&MI_COMPRESSED.to_le_bytes());
            out.extend_from_slice(&(z.len() as u32).to_le_bytes());
            out.extend_from_slice(&z);
        } else {
            out.extend(matrix);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Column-major 2×3 matrix [[1,2,3],[4,5,6]] stored as [1,4,2,5,3,6].
    fn sample(compress: bool) -> Vec<u8> {
        write_mat5(
            &[
                ("X", &[2, 3], MatWriteData::U8(vec![1, 4, 2, 5, 3, 6])),
                ("y", &[3, 1], MatWriteData::F64AsU8(vec![10, 1, 2])),
                ("z", &[1, 2], MatWriteData::F64(vec![0.5, -1.5])),
            ],
            compress,
        )
    }

    #[test]
    fn reads_plain_and_compressed() {
        for compress in [false, true] {
            let file = parse_mat5(&sample(compress)).unwrap();
            assert!(file.header_text.starts_with("MATLAB 5.0"));
            let x = file.get("X").unwrap();
            assert_eq!(x.class, MatClass::Uint8);
            let MatData::U8(a) = &x.data else { panic!("{:?}", x.data) };
            assert_eq!(a.shape(), &[2, 3]);
            assert_eq!(a.iter().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
            let y = file.get("y").unwrap();
            assert_eq!(y.class, MatClass::Double);
            assert_eq!(y.data.to_f64().iter().copied().collect::<Vec<_>>(), vec![10.0, 1.0, 2.0]);
            assert_eq!(file.get("z").unwrap().data, MatData::Float(ndarray::arr2(&[[0.5, -1.5]]).into_dyn()));
        }
    }

    #[test]
    fn four_dimensional_arrays_keep_matlab_indexing() {
        // SVHN's X is [32, 32, 3, n]; here [2, 2, 3, 2] with element (i,j,c,n) = i + 2j + 4c + 12n.
        let dims = [2usize, 2, 3, 2];
        let data: Vec<u8> = (0..24).collect();
        let file = parse_mat5(&write_mat5(&[("X", &dims, MatWriteData::U8(data))], true)).unwrap();
        let MatData::U8(a) = &file.arrays[0].data else { panic!() };
        assert_eq!(a.shape(), &dims);
        assert_eq!(a[[1, 0, 2, 1]], 1 + 8 + 12);
        assert_eq!(a[[0, 1, 0, 0]], 2);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(matches!(parse_mat5(&[0; 10]), Err(MatError::TooShort(10))));
        let mut b = sample(false);
        b[126] = b'X';
        assert!(matches!(parse_mat5(&b), Err(MatError::BadHeader(_))));
        let mut b = sample(false);
        b[124] = 2;
        assert!(matches!(parse_mat5(&b), Err(MatError::BadHeader(_))));
        let mut b = sample(false);
        b[..10].copy_from_slice(b"MATLAB 7.3");
        assert!(parse_mat5(&b).unwrap_err().to_string().contains("HDF5"));
    }

    #[test]
    fn rejects_truncated_and_corrupt_elements() {
        let full = sample(false);
        for cut in [HEADER_LEN + 4, HEADER_LEN + 20, full.len() - 9] {
            let err = parse_mat5(&full[..cut]).unwrap_err();
            assert!(matches!(err, MatError::Element { .. }), "{cut}: {err}");
        }
        let full = sample(true);
        let err = parse_mat5(&full[..full.len() - 5]).unwrap_err();
        assert!(matches!(err, MatError::Element { .. } | MatError::Zlib { .. }), "{err}");
        // Corrupt the zlib stream of the first element.
        let mut bad = full.clone();
        bad[HEADER_LEN + 8] ^= 0xff;
        assert!(matches!(parse_mat5(&bad), Err(MatError::Zlib { .. }) | Err(MatError::Element { .. })));
    }

    #[test]
    fn rejects_lying_dimensions_without_allocating() {
        // Claim [65536, 2] for 6 bytes of data.
        let mut b = write_mat5(&[("X", &[2, 3], MatWriteData::U8(vec![0; 6]))], false);
        let dims_at = HEADER_LEN + 8 + 16 + 8;
        b[dims_at..dims_at + 4].copy_from_slice(&65536i32.to_le_bytes());
        b[dims_at + 4..dims_at + 8].copy_from_slice(&2i32.to_le_bytes());
        let err = parse_mat5(&b).unwrap_err().to_string();
        assert!(err.contains("needs") && err.contains("found 6"), "{err}");
        b[dims_at + 4..dims_at + 8].copy_from_slice(&65536i32.to_le_bytes());
        assert!(parse_mat5(&b).unwrap_err().to_string().contains("too large"));
        b[dims_at..dims_at + 4].copy_from_slice(&(-1i32).to_le_bytes());
        assert!(parse_mat5(&b).unwrap_err().to_string().contains("negative"));
    }

    #[test]
    fn big_endian_small_elements_and_skipped_classes() {
        // A big-endian file with one char array (skipped) and one int16 array in a small element.
        let mut out = Vec::new();
        let mut text = b"MATLAB 5.0 MAT-file".to_vec();
        text.resize(116, b' ');
        out.extend_from_slice(&text);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&0x0100u16.to_be_bytes());
        out.extend_from_slice(b"MI");
        let el = |kind: u32, data: &[u8]| {
            let mut v = kind.to_be_bytes().to_vec();
            v.extend_from_slice(&(data.len() as u32).to_be_bytes());
            v.extend_from_slice(data);
            while !v.len().is_multiple_of(8) {
                v.push(0);
            }
            v
        };
        let small = |kind: u32, data: &[u8]| {
            let mut v = (((data.len() as u32) << 16) | kind).to_be_bytes().to_vec();
            let mut d = data.to_vec();
            d.resize(4, 0);
            v.extend_from_slice(&d);
            v
        };
        for (class, name, real) in [(4u32, "s", small(MI_UINT16, &[0, 65])), (10, "k", small(MI_INT16, &[0xff, 0xfe]))]
        {
            let mut body = el(MI_UINT32, &[0, 0, 0, class as u8, 0, 0, 0, 0]);
            body.extend(el(MI_INT32, &[0, 0, 0, 1, 0, 0, 0, 1]));
            body.extend(small(MI_INT8, name.as_bytes()));
            body.extend(real);
            out.extend(el(MI_MATRIX, &body));
        }
        let file = parse_mat5(&out).unwrap();
        assert_eq!(file.skipped.len(), 1);
        assert_eq!(file.skipped[0].1, MatClass::Other(4));
        assert_eq!(file.get("k").unwrap().data, MatData::Int(ndarray::arr2(&[[-2i64]]).into_dyn()));
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train_32x32.mat");
        std::fs::write(&path, b"not a mat file").unwrap();
        let msg = read_mat5_file(&path).unwrap_err().to_string();
        assert!(msg.contains("train_32x32.mat"), "{msg}");
    }
}
