//! $MFT writer: 1024-byte FILE records with update-sequence fixups, $STANDARD_INFORMATION and
//! $FILE_NAME with independent timestamps (so SI/FN timestomp checks can be tested), resident
//! $DATA for small content and non-resident $DATA (a data run) for large files.
//!
//! References: Microsoft "File Record Segment Header", "Attribute Record Header",
//! "STANDARD_INFORMATION", "FILE_NAME" (MS NTFS documentation), Brian Carrier, "File System
//! Forensic Analysis" ch. 13 (fixups, data runs). Directory index attributes are not written:
//! paths are rebuilt from $FILE_NAME parent references, as the `mft` crate does.

mod record;

use jiff::Timestamp;

pub use record::RECORD_SIZE;

/// The four NTFS timestamps of one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileTimes {
    /// Created.
    pub created: Timestamp,
    /// Content last modified.
    pub modified: Timestamp,
    /// MFT record last modified.
    pub mft_modified: Timestamp,
    /// Last accessed.
    pub accessed: Timestamp,
}

impl FileTimes {
    /// All four times the same.
    pub fn all(t: Timestamp) -> FileTimes {
        FileTimes {
            created: t,
            modified: t,
            mft_modified: t,
            accessed: t,
        }
    }
}

/// One file (or directory) on the volume.
#[derive(Debug, Clone, PartialEq)]
pub struct MftFile {
    /// Path from the volume root, `\`-separated (`tmp\test.txt`); a leading `C:\` is ignored.
    pub path: String,
    /// $STANDARD_INFORMATION times (what Explorer shows; easy to forge).
    pub si: FileTimes,
    /// $FILE_NAME times (set by the kernel; hard to forge).
    pub fn_times: FileTimes,
    /// Content; written resident when it fits in the record.
    pub content: Vec<u8>,
    /// A directory.
    pub dir: bool,
    /// Deleted: the record is written with its in-use flag cleared.
    pub deleted: bool,
}

impl MftFile {
    /// A file whose SI and FN times are all `t`.
    pub fn new(path: &str, t: Timestamp, content: &[u8]) -> MftFile {
        MftFile {
            path: path.to_string(),
            si: FileTimes::all(t),
            fn_times: FileTimes::all(t),
            content: content.to_vec(),
            dir: false,
            deleted: false,
        }
    }
}

/// Writes an $MFT holding the NTFS system files (entries 0–15, root directory at 5) and `files`
/// (from entry 64, missing parent directories created).
pub fn write_mft(files: &[MftFile]) -> Vec<u8> {
    record::MftWriter::write(files)
}
