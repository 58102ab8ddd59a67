//! Bounds-checked little-endian reads and UTF-16 text, for the raw chunk readers.

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// UTF-16LE text up to the first NUL, unpaired surrogates replaced (as the `evtx` renderer
/// stops at NUL too). ASCII, by far the most common text in logs, takes a fast path.
pub(crate) fn utf16_until_nul(bytes: &[u8]) -> String {
    let mut ascii = Vec::with_capacity(bytes.len() / 2);
    for unit in bytes.chunks_exact(2) {
        match (unit[0], unit[1]) {
            (0, 0) => break,
            (byte, 0) if byte < 0x80 => ascii.push(byte),
            _ => return utf16_slow(bytes),
        }
    }
    String::from_utf8(ascii).unwrap_or_default()
}

fn utf16_slow(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .take_while(|&u| u != 0);
    let mut out = String::with_capacity(bytes.len() / 2);
    out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    out
}
