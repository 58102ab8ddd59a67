//! An NTFS volume read in place with the `ntfs` crate: directories listed from their indexes,
//! a file's data mapped once to where its clusters lie on the volume (its data runs, through an
//! attribute list when the file is fragmented), then read at offsets by any thread without a
//! lock. Nothing is copied out of the image.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ntfs::attribute_value::NtfsAttributeValue;
use ntfs::structured_values::{NtfsAttributeList, NtfsFileNamespace};
use ntfs::{Ntfs, NtfsAttributeFlags, NtfsAttributeType, NtfsFile};

use crate::read_at::{Cursor, ReadAt};

/// The root directory's file record (NTFS reserves records 0-15; `.` is 5).
const ROOT: u64 = 5;

/// A directory entry.
#[derive(Debug, Clone)]
pub struct DirEntry {
    pub name: String,
    pub record: u64,
    pub is_dir: bool,
}

/// What a file record says of its file.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta {
    pub is_dir: bool,
    /// The unnamed data stream's length (0 for a directory).
    pub len: u64,
    /// $STANDARD_INFORMATION's modification time.
    pub modified: Option<SystemTime>,
}

pub struct NtfsVolume {
    ntfs: Ntfs,
    bytes: Arc<dyn ReadAt>,
    /// Listings already read, by directory record.
    listings: Mutex<HashMap<u64, Arc<Vec<DirEntry>>>>,
}

impl NtfsVolume {
    /// Reads the boot sector and the upcase table (which name lookups need).
    pub fn open(bytes: Arc<dyn ReadAt>) -> io::Result<NtfsVolume> {
        guarded(|| NtfsVolume::open_unguarded(bytes))
    }

    fn open_unguarded(bytes: Arc<dyn ReadAt>) -> io::Result<NtfsVolume> {
        let mut cursor = Cursor::new(bytes.clone());
        let mut ntfs = Ntfs::new(&mut cursor).map_err(invalid)?;
        ntfs.read_upcase_table(&mut cursor).map_err(invalid)?;
        Ok(NtfsVolume {
            ntfs,
            bytes,
            listings: Mutex::new(HashMap::new()),
        })
    }

    fn cursor(&self) -> Cursor {
        Cursor::new(self.bytes.clone())
    }

    /// The file record at `path` (components from the root, any case), if there is one.
    pub fn find(&self, path: &[String]) -> io::Result<Option<u64>> {
        guarded(|| self.find_unguarded(path))
    }

    fn find_unguarded(&self, path: &[String]) -> io::Result<Option<u64>> {
        let mut record = ROOT;
        for name in path {
            let listing = self.list(record)?;
            match listing.iter().find(|e| e.name.eq_ignore_ascii_case(name)) {
                Some(entry) => record = entry.record,
                None => return Ok(None),
            }
        }
        Ok(Some(record))
    }

    /// The entries of the directory at `record`: long (Win32 or POSIX) names, each once.
    pub fn list(&self, record: u64) -> io::Result<Arc<Vec<DirEntry>>> {
        guarded(|| self.list_unguarded(record))
    }

    fn list_unguarded(&self, record: u64) -> io::Result<Arc<Vec<DirEntry>>> {
        if let Some(listing) = self
            .listings
            .lock()
            .ok()
            .and_then(|l| l.get(&record).cloned())
        {
            return Ok(listing);
        }
        let mut fs = self.cursor();
        let file = self.ntfs.file(&mut fs, record).map_err(invalid)?;
        let index = file.directory_index(&mut fs).map_err(invalid)?;
        let mut entries = index.entries();
        let mut listing = Vec::new();
        while let Some(entry) = entries.next(&mut fs) {
            let entry = entry.map_err(invalid)?;
            let Some(key) = entry.key() else { continue };
            let name = key.map_err(invalid)?;
            if name.namespace() == NtfsFileNamespace::Dos {
                continue;
            }
            let record = entry.file_reference().file_record_number();
            // `.` (the root lists itself) and the system files' own folder are not content.
            if record == ROOT {
                continue;
            }
            listing.push(DirEntry {
                name: name.name().to_string_lossy(),
                record,
                is_dir: name.is_directory(),
            });
        }
        let listing = Arc::new(listing);
        if let Ok(mut cache) = self.listings.lock() {
            cache.insert(record, listing.clone());
        }
        Ok(listing)
    }

    pub fn meta(&self, record: u64) -> io::Result<FileMeta> {
        guarded(|| self.meta_unguarded(record))
    }

    fn meta_unguarded(&self, record: u64) -> io::Result<FileMeta> {
        let mut fs = self.cursor();
        let file = self.ntfs.file(&mut fs, record).map_err(invalid)?;
        let modified = file.info().ok().and_then(|info| {
            let ticks = info.modification_time().nt_timestamp();
            // FILETIME: 100 ns since 1601-01-01; the Unix epoch is 11,644,473,600 s later.
            let unix = (ticks / 10_000_000).checked_sub(11_644_473_600)?;
            SystemTime::UNIX_EPOCH
                .checked_add(Duration::new(unix, (ticks % 10_000_000) as u32 * 100))
        });
        let len = if file.is_directory() {
            0
        } else {
            match file.data(&mut fs, "") {
                Some(item) => item
                    .map_err(invalid)?
                    .to_attribute()
                    .map_err(invalid)?
                    .value_length(),
                None => 0,
            }
        };
        Ok(FileMeta {
            is_dir: file.is_directory(),
            len,
            modified,
        })
    }

    /// The unnamed data stream of the file at `record`, readable at offsets (a directory is
    /// an error: it has none).
    pub fn data(&self, record: u64) -> io::Result<Arc<dyn ReadAt>> {
        guarded(|| self.data_unguarded(record))
    }

    fn data_unguarded(&self, record: u64) -> io::Result<Arc<dyn ReadAt>> {
        let mut fs = self.cursor();
        let file = self.ntfs.file(&mut fs, record).map_err(invalid)?;
        if file.is_directory() {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "a directory"));
        }
        let Some(item) = file.data(&mut fs, "") else {
            return Ok(Arc::new(Vec::new()));
        };
        let item = item.map_err(invalid)?;
        let attribute = item.to_attribute().map_err(invalid)?;
        let flags = attribute.flags();
        if flags.contains(NtfsAttributeFlags::COMPRESSED) {
            return Err(unsupported("an NTFS-compressed file: not read yet (decompress it with the volume mounted, e.g. `ntfscat`)"));
        }
        if flags.contains(NtfsAttributeFlags::ENCRYPTED) {
            return Err(unsupported(
                "an EFS-encrypted file: it cannot be read without the user's key",
            ));
        }
        match attribute.value(&mut fs).map_err(invalid)? {
            NtfsAttributeValue::Resident(value) => {
                let mut bytes = Vec::new();
                NtfsAttributeValue::Resident(value)
                    .attach(&mut fs)
                    .read_to_end(&mut bytes)?;
                Ok(Arc::new(bytes))
            }
            NtfsAttributeValue::NonResident(value) => {
                let mut runs = Vec::new();
                for run in value.data_runs() {
                    let run = run.map_err(invalid)?;
                    runs.push((
                        run.data_position().value().map(u64::from),
                        run.allocated_size(),
                    ));
                }
                Ok(Arc::new(Extents::new(
                    self.bytes.clone(),
                    value.len(),
                    runs,
                )))
            }
            NtfsAttributeValue::AttributeListNonResident(value) => {
                let runs = self.listed_runs(&file)?;
                Ok(Arc::new(Extents::new(
                    self.bytes.clone(),
                    value.len(),
                    runs,
                )))
            }
        }
    }

    /// The data runs of a fragmented file's unnamed data stream, fragment after fragment, from
    /// the records its attribute list names.
    fn listed_runs(&self, file: &NtfsFile<'_>) -> io::Result<Vec<(Option<u64>, u64)>> {
        let mut fs = self.cursor();
        let mut runs = Vec::new();
        for attribute in file.attributes_raw() {
            let attribute = attribute.map_err(invalid)?;
            if attribute.ty().map_err(invalid)? != NtfsAttributeType::AttributeList {
                continue;
            }
            let list: NtfsAttributeList = attribute.structured_value(&mut fs).map_err(invalid)?;
            let mut entries = list.entries();
            while let Some(entry) = entries.next(&mut fs) {
                let entry = entry.map_err(invalid)?;
                if entry.ty().map_err(invalid)? != NtfsAttributeType::Data
                    || entry.name_length() != 0
                {
                    continue;
                }
                let holder = entry.to_file(&self.ntfs, &mut fs).map_err(invalid)?;
                let fragment = entry.to_attribute(&holder).map_err(invalid)?;
                if let NtfsAttributeValue::NonResident(value) =
                    fragment.value(&mut fs).map_err(invalid)?
                {
                    for run in value.data_runs() {
                        let run = run.map_err(invalid)?;
                        runs.push((
                            run.data_position().value().map(u64::from),
                            run.allocated_size(),
                        ));
                    }
                }
            }
        }
        Ok(runs)
    }
}

/// A file's data as extents of the volume: `(where on the volume, or sparse; length)`, in the
/// file's order; past the last extent (or a sparse one) it reads zeros up to its length.
struct Extents {
    volume: Arc<dyn ReadAt>,
    len: u64,
    /// (offset in the file, offset on the volume or None when sparse, length)
    extents: Vec<(u64, Option<u64>, u64)>,
}

impl Extents {
    fn new(volume: Arc<dyn ReadAt>, len: u64, runs: Vec<(Option<u64>, u64)>) -> Extents {
        let mut at = 0;
        let extents = runs
            .into_iter()
            .map(|(position, size)| {
                let extent = (at, position, size);
                at += size;
                extent
            })
            .collect();
        Extents {
            volume,
            len,
            extents,
        }
    }
}

impl ReadAt for Extents {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.len - offset).unwrap_or(usize::MAX));
        let index = self
            .extents
            .partition_point(|&(start, _, _)| start <= offset);
        let Some(&(start, position, size)) = index.checked_sub(1).and_then(|i| self.extents.get(i))
        else {
            buf[..want].fill(0);
            return Ok(want);
        };
        let inside = offset - start;
        if inside >= size {
            // Past the last run: nothing allocated there.
            buf[..want].fill(0);
            return Ok(want);
        }
        let n = want.min(usize::try_from(size - inside).unwrap_or(usize::MAX));
        match position {
            Some(position) => self.volume.read_at(position + inside, &mut buf[..n]),
            None => {
                buf[..n].fill(0);
                Ok(n)
            }
        }
    }

    fn size(&self) -> u64 {
        self.len
    }
}

/// Runs a call into the `ntfs` crate over attacker-controlled structures: a panic inside it
/// is damage in the evidence, an error naming it, never the end of the run.
fn guarded<T>(call: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|_| {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "NTFS: damaged structures (the reader gave up on them)",
        ))
    })
}

fn invalid(e: ntfs::NtfsError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("NTFS: {e}"))
}

fn unsupported(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, what.to_string())
}
