//! A raw pre-scan of one chunk: record headers, and each record's EventID read straight from its
//! template substitution array, without building the record. The `evtx` crate builds every
//! record's content while iterating a chunk; most chunks of a Security or Sysmon log hold no
//! record konseki wants, and this scan lets the reader skip building them.
//!
//! Layout (libevtx "EVTX format"; checked against `corpus/evtx`): record = `2A 2A 00 00`, u32
//! size, u64 id, u64 FILETIME, BinXML, u32 size copy. A templated record's BinXML starts
//! `0F 01 01 00` (fragment header), `0C` (template instance), u8, u32 template id, u32
//! definition offset; the definition (u32 next, GUID, u32 size, body) is inline when the offset
//! points just past itself; then u32 value count, `count × {u16 size, u8 type, u8 0}`, values.
//! In Windows' System template the EventID is value 3, a UInt16 (`docs/formats.md`, "EVTX").

use konseki_bytes::{u16_at, u32_at, u64_at};

/// What the scan learned about one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawRecord {
    /// Offset of the record in the chunk.
    pub offset: u32,
    /// Size of the record, header and trailing size copy included.
    pub size: u32,
    /// The header's record id (`EventRecordID`).
    pub record_id: u64,
    /// The header's write time (FILETIME).
    pub filetime: u64,
    /// The EventID, when the record has the standard template layout.
    pub event_id: Option<u16>,
}

const CHUNK_HEADER_SIZE: usize = 0x200;
const RECORD_HEADER_SIZE: usize = 24;
const VALUE_TYPE_UINT16: u8 = 0x06;

/// Scans the records of a chunk. `None` when anything looks damaged: the caller then lets the
/// `evtx` crate read the chunk, which reports damage precisely.
pub(crate) fn scan_chunk(chunk: &[u8], free_space_offset: u32) -> Option<Vec<RawRecord>> {
    let end = usize::try_from(free_space_offset).ok()?.min(chunk.len());
    let mut at = CHUNK_HEADER_SIZE;
    let mut records = Vec::with_capacity(128);
    while at + RECORD_HEADER_SIZE <= end {
        if chunk.get(at..at + 4)? != [0x2a, 0x2a, 0, 0] {
            return None;
        }
        let size = u32_at(chunk, at + 4)? as usize;
        if size < RECORD_HEADER_SIZE + 4
            || at + size > end
            || u32_at(chunk, at + size - 4)? as usize != size
        {
            return None;
        }
        records.push(RawRecord {
            offset: at as u32,
            size: size as u32,
            record_id: u64_at(chunk, at + 8)?,
            filetime: u64_at(chunk, at + 16)?,
            event_id: templated_event_id(chunk, at + RECORD_HEADER_SIZE, at + size - 4),
        });
        at += size;
    }
    Some(records)
}

/// The EventID in substitution value 3, when the record is a template instance of that shape.
pub(crate) fn templated_event_id(chunk: &[u8], start: usize, end: usize) -> Option<u16> {
    if chunk.get(start..start + 5)? != [0x0f, 0x01, 0x01, 0x00, 0x0c] {
        return None;
    }
    let mut at = start + 5 + 1 + 4; // token, unknown byte, template id
    let definition = u32_at(chunk, at)? as usize;
    at += 4;
    if definition == at {
        let size = u32_at(chunk, at + 20)? as usize; // after next-offset and GUID
        at = at.checked_add(24 + size)?;
    }
    let count = u32_at(chunk, at)? as usize;
    at += 4;
    if count <= 3 || at + count * 4 > end {
        return None;
    }
    let descriptor = |i: usize| -> Option<(usize, u8)> {
        let d = at + i * 4;
        Some((u16_at(chunk, d)? as usize, *chunk.get(d + 2)?))
    };
    let (size, value_type) = descriptor(3)?;
    if value_type != VALUE_TYPE_UINT16 || size != 2 {
        return None;
    }
    let skip: usize = (0..3)
        .map(|i| descriptor(i).map(|(s, _)| s))
        .sum::<Option<usize>>()?;
    let value = at + count * 4 + skip;
    if value + 2 > end {
        return None;
    }
    u16_at(chunk, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_or_empty_chunks_do_not_panic() {
        assert_eq!(scan_chunk(&[], 0x200), Some(vec![]));
        let mut chunk = vec![0u8; 0x10000];
        chunk[0x200..0x204].copy_from_slice(&[0x2a, 0x2a, 0, 0]);
        chunk[0x204..0x208].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(scan_chunk(&chunk, 0x1000), None);
        assert_eq!(templated_event_id(&chunk, 0x300, 0x400), None);
    }
}
