//! The few protobuf encoding rules the event files need, written by hand: varints,
//! length-delimited fields, 64-bit doubles and packed repeated doubles.

/// Append `v` as a base-128 varint.
pub(super) fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Append a length-delimited field (strings, bytes, embedded messages, packed values).
pub(super) fn field_bytes(field: u32, bytes: &[u8], out: &mut Vec<u8>) {
    varint(u64::from(field << 3 | 2), out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// Append a varint field (integers, bools, enums).
pub(super) fn field_varint(field: u32, v: u64, out: &mut Vec<u8>) {
    varint(u64::from(field << 3), out);
    varint(v, out);
}

/// Append a `double` field (wire type 1, little-endian).
pub(super) fn field_double(field: u32, v: f64, out: &mut Vec<u8>) {
    varint(u64::from(field << 3 | 1), out);
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a `float` field (wire type 5, little-endian).
pub(super) fn field_float(field: u32, v: f32, out: &mut Vec<u8>) {
    varint(u64::from(field << 3 | 5), out);
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a packed `repeated double` field.
pub(super) fn field_packed_doubles(field: u32, values: &[f64], out: &mut Vec<u8>) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    field_bytes(field, &bytes, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_protobuf_does() {
        let mut out = Vec::new();
        varint(300, &mut out);
        assert_eq!(out, [0xAC, 0x02]);
        out.clear();
        field_varint(2, 1, &mut out);
        field_bytes(1, b"ab", &mut out);
        field_double(1, 1.0, &mut out);
        field_float(2, 1.0, &mut out);
        assert_eq!(out, [0x10, 1, 0x0A, 2, b'a', b'b', 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x15, 0, 0, 0x80, 0x3F]);
        out.clear();
        field_packed_doubles(6, &[0.0], &mut out);
        assert_eq!(out, [0x32, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
