//! The regf base block (first 4096 bytes of a hive or log), read just far enough to judge
//! dirtiness and the log format before notatin parses the file.
//!
//! Reference: Maxim Suhanov, "Windows registry file format specification", sections
//! "Base block" and "Transaction log files" (new format: log entries with signature `HvLE`
//! from offset 512; old format: a dirty vector `DIRT` at offset 512).

use konseki_bytes::u32_at;

/// The fields of a base block konseki needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseBlock {
    /// Primary sequence number (offset 4).
    pub primary_sequence: u32,
    /// Secondary sequence number (offset 8); differs from the primary when a write was cut short.
    pub secondary_sequence: u32,
    /// File type (offset 28): 0 primary file, 1/2 old-format log, 6 new-format log.
    pub file_type: u32,
    /// Hive bins data size (offset 40): the bytes of hive bins after the 4096-byte base block.
    pub hive_bins_size: u32,
    /// The last characters of the hive's own path as Windows opened it (offset 48, 64 bytes of
    /// UTF-16LE, e.g. `\??\C:\Users\tony\ntuser.dat`); a transaction log repeats its hive's.
    pub file_name: String,
}

impl BaseBlock {
    /// Reads a base block; `None` when the bytes do not start with `regf` or are too short.
    pub fn parse(bytes: &[u8]) -> Option<BaseBlock> {
        if bytes.get(0..4)? != b"regf" {
            return None;
        }
        Some(BaseBlock {
            primary_sequence: u32_at(bytes, 4)?,
            secondary_sequence: u32_at(bytes, 8)?,
            file_type: u32_at(bytes, 28)?,
            hive_bins_size: u32_at(bytes, 40).unwrap_or(0),
            file_name: bytes
                .get(48..112)
                .map(|name| {
                    let units: Vec<u16> = name
                        .chunks_exact(2)
                        .map(|u| u16::from_le_bytes([u[0], u[1]]))
                        .take_while(|&u| u != 0)
                        .collect();
                    String::from_utf16_lossy(&units)
                })
                .unwrap_or_default(),
        })
    }

    /// The hive was not written out completely: it needs its transaction logs.
    pub fn is_dirty(&self) -> bool {
        self.primary_sequence != self.secondary_sequence
    }
}

/// The format of a transaction log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Windows 8.1+ log entries (`HvLE`): notatin replays them.
    New,
    /// Vista/7 dirty-vector log (`DIRT`): notatin does not replay these.
    Old,
    /// Empty, or neither signature.
    Unusable,
}

/// Judges a transaction log from its first bytes (at least 516).
pub fn sniff_log(bytes: &[u8]) -> LogFormat {
    if BaseBlock::parse(bytes).is_none() {
        return LogFormat::Unusable;
    }
    match bytes.get(512..516) {
        Some(b"HvLE") => LogFormat::New,
        Some(b"DIRT") => LogFormat::Old,
        _ => LogFormat::Unusable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_regf_and_short_input() {
        assert_eq!(BaseBlock::parse(b"MZ\x90\0"), None);
        assert_eq!(BaseBlock::parse(b"regf\x01\0"), None);
        assert_eq!(sniff_log(b""), LogFormat::Unusable);
    }

    #[test]
    fn dirty_when_sequences_differ() {
        let mut bytes = vec![0u8; 1024];
        bytes[0..4].copy_from_slice(b"regf");
        bytes[4] = 5;
        bytes[8] = 4;
        bytes[512..516].copy_from_slice(b"HvLE");
        assert!(BaseBlock::parse(&bytes).unwrap().is_dirty());
        assert_eq!(sniff_log(&bytes), LogFormat::New);
        bytes[512..516].copy_from_slice(b"DIRT");
        assert_eq!(sniff_log(&bytes), LogFormat::Old);
    }
}
