//! Bounds-checked little-endian reads, UTF-16 text and FILETIMEs: what every binary format
//! reader of konseki needs (EVTX chunks, Prefetch, hives, shortcuts, `.job` files). Every
//! read returns `None` past the end instead of panicking: the bytes are evidence, shaped by
//! whoever wrote them.

use jiff::Timestamp;

/// The `u16` at `at`, if the bytes reach that far.
pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// The `u32` at `at`, if the bytes reach that far.
pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The `u64` at `at`, if the bytes reach that far.
pub fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// UTF-16LE text up to the first NUL, unpaired surrogates replaced. ASCII, by far the most
/// common text in these formats, takes a fast path.
pub fn utf16_until_nul(bytes: &[u8]) -> String {
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

/// Single-byte text up to the first NUL; bytes above 0x7F read as Latin-1 (these formats do
/// not record their code page).
pub fn ansi_until_nul(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| char::from(b))
        .collect()
}

/// A little-endian GUID (the first three fields little-endian, the last eight bytes as they
/// are) as `{0df2cfeb-5293-41e9-a45e-733720c2e1fa}`; `None` when fewer than 16 bytes.
pub fn guid(b: &[u8]) -> Option<String> {
    use std::fmt::Write;
    const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let b = b.get(..16)?;
    let mut out = String::with_capacity(38);
    out.push('{');
    for (i, &at) in ORDER.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{:02x}", b[at]);
    }
    out.push('}');
    Some(out)
}

/// A FILETIME (100 ns intervals since 1601-01-01 UTC) as a timestamp; `None` outside the
/// representable range. Zero is 1601-01-01: use [`filetime_set`] where zero means "not set".
///
/// Read for every event record: 64-bit arithmetic only (an `i128` nanosecond count costs a
/// 128-bit division per call).
pub fn filetime(raw: u64) -> Option<Timestamp> {
    const UNIX_EPOCH_SECONDS: i64 = 11_644_473_600;
    const PER_SECOND: u64 = 10_000_000;
    let seconds = i64::try_from(raw / PER_SECOND).ok()? - UNIX_EPOCH_SECONDS;
    let nanoseconds = (raw % PER_SECOND) as i32 * 100;
    Timestamp::new(seconds, nanoseconds).ok()
}

/// A FILETIME where zero means "not set" (key times, shortcut target times).
pub fn filetime_set(raw: u64) -> Option<Timestamp> {
    (raw != 0).then(|| filetime(raw)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_convert_exactly_on_both_sides_of_1970() {
        let by_nanoseconds = |raw: u64| {
            Timestamp::from_nanosecond((i128::from(raw) - 116_444_736_000_000_000) * 100).ok()
        };
        let epoch = 116_444_736_000_000_000;
        for raw in [
            0,
            1,
            epoch - 10_000_001,
            epoch - 1,
            epoch,
            epoch + 1,
            133_000_000_000_000_123, // 2022
            2_650_467_743_999_999_999,
            2_650_467_744_000_000_000, // past jiff's range
            u64::MAX,
        ] {
            assert_eq!(filetime(raw), by_nanoseconds(raw), "{raw}");
        }
        assert_eq!(
            filetime(epoch - 1).unwrap().to_string(),
            "1969-12-31T23:59:59.9999999Z"
        );
    }

    #[test]
    fn reads_stop_at_the_end_instead_of_panicking() {
        let b = [1, 2, 3, 4, 5];
        assert_eq!(u16_at(&b, 0), Some(0x0201));
        assert_eq!(u32_at(&b, 1), Some(0x0504_0302));
        assert_eq!(u32_at(&b, 2), None);
        assert_eq!(u64_at(&b, usize::MAX), None);
    }

    #[test]
    fn text_stops_at_nul_and_survives_bad_surrogates() {
        assert_eq!(utf16_until_nul(b"a\0b\0\0\0c\0"), "ab");
        assert_eq!(utf16_until_nul(&[0x3d, 0xd8, b'x', 0]), "\u{fffd}x");
        assert_eq!(utf16_until_nul(&[0xe9, 0]), "é");
        assert_eq!(ansi_until_nul(b"C:\\x\0junk"), "C:\\x");
    }

    #[test]
    fn guids_read_their_mixed_byte_order() {
        let b = [
            0xeb, 0xcf, 0xf2, 0x0d, 0x93, 0x52, 0xe9, 0x41, 0xa4, 0x5e, 0x73, 0x37, 0x20, 0xc2,
            0xe1, 0xfa,
        ];
        assert_eq!(
            guid(&b).as_deref(),
            Some("{0df2cfeb-5293-41e9-a45e-733720c2e1fa}")
        );
        assert_eq!(guid(&b[..15]), None);
    }

    #[test]
    fn filetimes_are_utc_and_zero_can_mean_unset() {
        assert_eq!(
            filetime(132_223_104_000_000_000).unwrap().to_string(),
            "2020-01-01T00:00:00Z"
        );
        assert_eq!(filetime_set(0), None);
        assert!(filetime(0).is_some());
        assert_eq!(filetime(u64::MAX), None);
    }
}
