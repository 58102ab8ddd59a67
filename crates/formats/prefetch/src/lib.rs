//! Windows Prefetch files (`*.pf`, SCCA format versions 17, 23, 26, 30 and 31), the execution
//! evidence Windows keeps per program: executable name, path hash, run count, the last (up to
//! eight) run times, the files it loaded and the volumes they lie on.
//!
//! Windows 10 and later compress prefetch files (`MAM\x04`: u32 uncompressed size, then an
//! Xpress-Huffman stream, MS-XCA §2.2.4), decompressed here by a table-driven decoder of our
//! own ([`xpress`]), tested against the `xpress-huffman` crate on every corpus file.
//!
//! Layout (libscca, "Windows Prefetch File (PF) format"; checked against `sccainfo` on every
//! file of the corpus): an 84-byte header (version, `SCCA`, file size, executable name as 30
//! UTF-16 characters, hash), then the file information whose size — hence where the run count
//! lies — depends on the version, and for version 30 on the build: 2016-era files keep it at
//! 0xD0 like version 26, later ones at 0xC8 (`docs/formats.md`, "Prefetch"). The metrics array, which follows
//! the file information, says which.
//!
//! ```no_run
//! let pf = konseki_prefetch::read_prefetch("PSEXESVC.EXE-AD70946C.pf".as_ref()).unwrap();
//! println!("{} ran {} times, last {:?}", pf.executable, pf.run_count, pf.last_runs.first());
//! ```
#![deny(missing_docs)]

pub mod xpress;

use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use konseki_bytes::{filetime, u32_at, u64_at, utf16_until_nul};

/// Prefetch files are a few kB to ~2 MB; larger input is not a prefetch file.
pub const MAX_SIZE: u64 = 16 * 1024 * 1024;

/// One prefetch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefetch {
    /// The file read.
    pub path: PathBuf,
    /// Format version (17 XP, 23 Vista/7, 26 8.x, 30 10/11, 31 11).
    pub version: u32,
    /// Stored MAM-compressed.
    pub compressed: bool,
    /// Executable name as recorded (upper case, at most 29 characters).
    pub executable: String,
    /// The path hash, as in the file name (`AD70946C`).
    pub hash: String,
    /// How many times the program ran (as counted by the prefetcher).
    pub run_count: u32,
    /// The last run times, as stored (most recent first; up to 8 from version 26 on, 1 before).
    pub last_runs: Vec<Timestamp>,
    /// Files loaded in the first seconds of a run (`\VOLUME{…}\WINDOWS\SYSTEM32\CMD.EXE`).
    pub files: Vec<String>,
    /// Volumes those files lie on.
    pub volumes: Vec<Volume>,
}

/// A volume a prefetch file refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Device path (`\VOLUME{01d1217a9c4c6779-8c9f49ec}` or `\DEVICE\HARDDISKVOLUME2`).
    pub device_path: String,
    /// Volume serial number.
    pub serial: u32,
    /// Volume creation time.
    pub created: Option<Timestamp>,
}

/// Why a file could not be read as a prefetch file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrefetchError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a prefetch file, or too damaged to read.
    #[error("{path}: not a readable prefetch file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Reads the prefetch file at `path` (opened read-only).
pub fn read_prefetch(path: &Path) -> Result<Prefetch, PrefetchError> {
    let mut data = Vec::new();
    konseki_source::open(path)
        .and_then(|f| f.take(MAX_SIZE + 1).read_to_end(&mut data))
        .map_err(|source| PrefetchError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    parse(path, &data)
}

/// Parses a prefetch file already in memory.
pub fn parse(path: &Path, data: &[u8]) -> Result<Prefetch, PrefetchError> {
    let invalid = |reason: &str| PrefetchError::Invalid {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if data.len() as u64 > MAX_SIZE {
        return Err(invalid("larger than any prefetch file"));
    }
    let (scca, compressed) = if data.starts_with(b"MAM\x04") {
        let size = u32_at(data, 4).ok_or_else(|| invalid("truncated MAM header"))? as usize;
        if size as u64 > MAX_SIZE {
            return Err(invalid("MAM header announces an implausible size"));
        }
        let plain = xpress::decompress(&data[8..], size)
            .map_err(|e| invalid(&format!("MAM decompression failed: {e}")))?;
        (plain, true)
    } else {
        (data.to_vec(), false)
    };
    let d = scca.as_slice();
    if d.get(4..8) != Some(b"SCCA") {
        return Err(invalid("no SCCA signature"));
    }
    let version = u32_at(d, 0).ok_or_else(|| invalid("truncated header"))?;
    let executable = d
        .get(0x10..0x4c)
        .map(utf16_until_nul)
        .ok_or_else(|| invalid("truncated header"))?;
    let hash = u32_at(d, 0x4c).ok_or_else(|| invalid("truncated header"))?;
    let metrics_offset = u32_at(d, 0x54).ok_or_else(|| invalid("truncated file information"))?;
    // Offsets of the last run time(s) and the run count, by version (libscca).
    let (runs_at, runs, count_at) = match version {
        17 => (0x78, 1, 0x90),
        23 => (0x80, 1, 0x98),
        26 => (0x80, 8, 0xd0),
        // The file information ends where the metrics array starts: 0x130 when it is as long as
        // version 26's (2016-era builds), 0x128 when 8 bytes shorter.
        30 | 31 if metrics_offset >= 0x130 => (0x80, 8, 0xd0),
        30 | 31 => (0x80, 8, 0xc8),
        _ => return Err(invalid(&format!("unknown format version {version}"))),
    };
    let run_count = u32_at(d, count_at).ok_or_else(|| invalid("truncated file information"))?;
    let last_runs = (0..runs)
        .filter_map(|i| u64_at(d, runs_at + 8 * i))
        .filter(|&t| t != 0)
        .filter_map(filetime)
        .collect();
    let files = u32_at(d, 0x64)
        .zip(u32_at(d, 0x68))
        .and_then(|(at, size)| d.get(at as usize..(at as usize).checked_add(size as usize)?))
        .map(|strings| {
            strings
                .chunks(2)
                .collect::<Vec<_>>()
                .split(|u| *u == [0, 0])
                .map(|units| utf16_until_nul(&units.concat()))
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Prefetch {
        path: path.to_path_buf(),
        version,
        compressed,
        executable,
        hash: format!("{hash:08X}"),
        run_count,
        last_runs,
        files,
        volumes: volumes(d, version),
    })
}

/// The volumes information: an array of fixed-size entries whose device path offsets are
/// relative to the array's start.
fn volumes(d: &[u8], version: u32) -> Vec<Volume> {
    let entry_size = match version {
        17 => 40,
        23 | 26 => 104,
        _ => 96,
    };
    let (Some(start), Some(count)) = (u32_at(d, 0x6c), u32_at(d, 0x70)) else {
        return Vec::new();
    };
    let start = start as usize;
    (0..count.min(64) as usize)
        .filter_map(|i| {
            let entry = start.checked_add(i * entry_size)?;
            let path_at = start.checked_add(u32_at(d, entry)? as usize)?;
            let chars = u32_at(d, entry + 4)? as usize;
            let path = d.get(path_at..path_at.checked_add(chars.checked_mul(2)?)?)?;
            Some(Volume {
                device_path: utf16_until_nul(path),
                created: u64_at(d, entry + 8).and_then(filetime),
                serial: u32_at(d, entry + 16)?,
            })
        })
        .collect()
}
