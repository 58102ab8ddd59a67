//! $MFT reader for konseki, over the `mft` crate: one [`FileRecord`] per FILE entry, with its
//! full path (Windows separators), in-use and directory flags, size, and both sets of times:
//! $STANDARD_INFORMATION (what tools show; settable from user mode) and $FILE_NAME (set by the
//! kernel). A damaged entry becomes a warning naming its entry number; reading goes on.
//!
//! ```no_run
//! let summary = konseki_mft::read_mft("$MFT".as_ref(), |record| {
//!     println!("{} {:?}", record.path, record.si.map(|t| t.created));
//! })
//! .unwrap();
//! println!("{} entries in use", summary.in_use);
//! ```
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use mft::attribute::MftAttributeContent;
use mft::MftParser;

/// The four NTFS times of one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    /// Created.
    pub created: Timestamp,
    /// Content modified.
    pub modified: Timestamp,
    /// MFT record modified.
    pub mft_modified: Timestamp,
    /// Accessed.
    pub accessed: Timestamp,
}

/// One FILE entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Entry number.
    pub entry: u64,
    /// Path from the volume root, `\`-separated, without a drive (`tmp\test.txt`).
    pub path: String,
    /// The entry has a `$FILE_NAME`: a file or directory. Reserved records (12-15 on most
    /// volumes) and extension records (attributes of another entry) have none, and no path.
    pub named: bool,
    /// The entry is allocated (not a deleted file's leftover).
    pub in_use: bool,
    /// A directory.
    pub is_dir: bool,
    /// Logical size from $FILE_NAME, when known.
    pub size: Option<u64>,
    /// $STANDARD_INFORMATION times.
    pub si: Option<Times>,
    /// $FILE_NAME times (of the best name: Win32 over DOS).
    pub fn_times: Option<Times>,
}

/// What reading the $MFT established.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MftSummary {
    /// FILE entries read.
    pub entries: u64,
    /// Of which in use.
    pub in_use: u64,
    /// Damaged entries: entry number and reason.
    pub warnings: Vec<(u64, String)>,
}

/// Why the file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MftError {
    /// Not a readable $MFT.
    #[error("{path}: not a readable $MFT: {reason}")]
    NotMft {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        reason: String,
    },
}

/// Reads every FILE entry of `path` (opened read-only) and passes it to `sink`.
pub fn read_mft(path: &Path, mut sink: impl FnMut(FileRecord)) -> Result<MftSummary, MftError> {
    let not_mft = |reason: String| MftError::NotMft {
        path: path.to_path_buf(),
        reason,
    };
    let mut head = [0u8; 4];
    konseki_source::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .map_err(|e| not_mft(e.to_string()))?;
    if &head != b"FILE" {
        return Err(not_mft("no 'FILE' signature at offset 0".into()));
    }
    let reader = konseki_source::open(path).map_err(|e| not_mft(e.to_string()))?;
    let size = reader.len().map_err(|e| not_mft(e.to_string()))?;
    let mut parser = MftParser::from_read_seek(std::io::BufReader::new(reader), Some(size))
        .map_err(|e| not_mft(e.to_string()))?;
    let mut summary = MftSummary::default();
    let count = parser.get_entry_count();
    for number in 0..count {
        let entry = match parser.get_entry(number) {
            Ok(entry) => entry,
            Err(e) => {
                summary.warnings.push((number, e.to_string()));
                continue;
            }
        };
        if &entry.header.signature != b"FILE" {
            continue; // unused (zeroed) record
        }
        summary.entries += 1;
        let in_use = entry.is_allocated();
        summary.in_use += u64::from(in_use);
        let mut si = None;
        let mut size = None;
        for attribute in entry.iter_attributes().filter_map(Result::ok) {
            if let MftAttributeContent::AttrX10(info) = &attribute.data {
                si = Some(Times {
                    created: info.created,
                    modified: info.modified,
                    mft_modified: info.mft_modified,
                    accessed: info.accessed,
                });
            }
        }
        let name = entry.find_best_name_attribute();
        let fn_times = name.as_ref().map(|n| {
            size = Some(n.logical_size);
            Times {
                created: n.created,
                modified: n.modified,
                mft_modified: n.mft_modified,
                accessed: n.accessed,
            }
        });
        let named = name.is_some();
        let path = match parser.get_full_path_for_entry(&entry) {
            Ok(Some(p)) => p.to_string_lossy().replace('/', "\\"),
            Ok(None) => String::new(),
            Err(e) => {
                summary.warnings.push((number, format!("path: {e}")));
                String::new()
            }
        };
        sink(FileRecord {
            entry: number,
            path,
            named,
            in_use,
            is_dir: entry.is_dir(),
            size,
            si,
            fn_times,
        });
    }
    Ok(summary)
}
