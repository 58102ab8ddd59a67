//! FILE record layout.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{FileTimes, MftFile};
use crate::evtx::filetime;

/// Size of one FILE record.
pub const RECORD_SIZE: usize = 1024;
const ROOT: u64 = 5;
const FIRST_USER_ENTRY: u64 = 64;
/// The update sequence number written at the end of every sector.
const USN: u16 = 0x0001;
/// Resident data must fit in the record with the other attributes.
const MAX_RESIDENT: usize = 600;
const CLUSTER: u64 = 4096;

/// NTFS system files in entries 0..=11 (entry 5 is the root directory).
const SYSTEM_FILES: [(&str, bool); 12] = [
    ("$MFT", false),
    ("$MFTMirr", false),
    ("$LogFile", false),
    ("$Volume", false),
    ("$AttrDef", false),
    (".", true),
    ("$Bitmap", false),
    ("$Boot", false),
    ("$BadClus", false),
    ("$Secure", false),
    ("$UpCase", false),
    ("$Extend", true),
];

pub(crate) struct MftWriter {
    records: BTreeMap<u64, Vec<u8>>,
    dirs: BTreeMap<String, u64>,
    next: u64,
    next_cluster: u64,
}

impl MftWriter {
    pub(crate) fn write(files: &[MftFile]) -> Vec<u8> {
        // The volume was formatted (system files created) well before any file of the case.
        let epoch = files
            .iter()
            .map(|f| f.si.created.min(f.fn_times.created))
            .min()
            .unwrap_or(Timestamp::UNIX_EPOCH)
            - jiff::SignedDuration::from_hours(24 * 365);
        let mut w = MftWriter {
            records: BTreeMap::new(),
            dirs: BTreeMap::new(),
            next: FIRST_USER_ENTRY,
            next_cluster: 1000,
        };
        for (entry, (name, dir)) in SYSTEM_FILES.iter().enumerate() {
            let times = FileTimes::all(epoch);
            let record = w.record(entry as u64, ROOT, name, times, times, &[], *dir);
            w.records.insert(entry as u64, record);
        }
        w.dirs.insert(String::new(), ROOT);
        for file in files {
            let path = file.path.trim_start_matches("C:").trim_start_matches('\\');
            let (parent_path, name) = path.rsplit_once('\\').unwrap_or(("", path));
            let parent = w.directory(parent_path, file.si.created.min(file.fn_times.created));
            let entry = w.next;
            w.next += 1;
            let mut record = w.record(
                entry,
                parent,
                name,
                file.si,
                file.fn_times,
                &file.content,
                file.dir,
            );
            if file.deleted {
                record[22] &= !0x1; // the entry is free: what deletion leaves
            }
            w.records.insert(entry, record);
            if file.dir {
                w.dirs.insert(path.to_ascii_lowercase(), entry);
            }
        }
        let count = w.next;
        let mut out = vec![0u8; count as usize * RECORD_SIZE];
        for (entry, record) in w.records {
            let at = entry as usize * RECORD_SIZE;
            out[at..at + RECORD_SIZE].copy_from_slice(&record);
        }
        out
    }

    /// The entry of directory `path`, created (with its parents) when missing.
    fn directory(&mut self, path: &str, t: Timestamp) -> u64 {
        if let Some(&entry) = self.dirs.get(&path.to_ascii_lowercase()) {
            return entry;
        }
        let (parent_path, name) = path.rsplit_once('\\').unwrap_or(("", path));
        let parent = self.directory(parent_path, t);
        let entry = self.next;
        self.next += 1;
        let times = FileTimes::all(t);
        let record = self.record(entry, parent, name, times, times, &[], true);
        self.records.insert(entry, record);
        self.dirs.insert(path.to_ascii_lowercase(), entry);
        entry
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        entry: u64,
        parent: u64,
        name: &str,
        si: FileTimes,
        fn_times: FileTimes,
        content: &[u8],
        dir: bool,
    ) -> Vec<u8> {
        let mut r = vec![0u8; RECORD_SIZE];
        r[0..4].copy_from_slice(b"FILE");
        put16(&mut r, 4, 0x30); // update sequence array offset
        put16(&mut r, 6, 3); // USN + one entry per 512-byte sector
        put16(&mut r, 16, 1); // sequence number
        put16(&mut r, 18, 1); // hard links
        put16(&mut r, 20, 0x38); // first attribute
        put16(&mut r, 22, if dir { 0x3 } else { 0x1 }); // in use (+ directory)
        put32(&mut r, 28, RECORD_SIZE as u32);
        put32(&mut r, 44, entry as u32);
        let mut attrs = Vec::new();
        attrs.extend(resident(0x10, 0, &standard_information(si, dir), false));
        attrs.extend(resident(
            0x30,
            1,
            &file_name(parent, name, fn_times, content.len() as u64, dir),
            true,
        ));
        if !dir {
            if content.len() <= MAX_RESIDENT {
                attrs.extend(resident(0x80, 2, content, false));
            } else {
                attrs.extend(self.non_resident_data(2, content.len() as u64));
            }
        }
        attrs.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        attrs.extend_from_slice(&[0; 4]);
        r[0x38..0x38 + attrs.len()].copy_from_slice(&attrs);
        put32(&mut r, 24, (0x38 + attrs.len()) as u32); // bytes in use
        put16(&mut r, 40, 3); // next attribute id
                              // Fixups: the last two bytes of each sector move into the update sequence array and
                              // are replaced by the USN (a torn write then shows as a mismatch).
        put16(&mut r, 0x30, USN);
        for sector in 0..2 {
            let end = sector * 512 + 510;
            let original = [r[end], r[end + 1]];
            r[0x32 + sector * 2..0x34 + sector * 2].copy_from_slice(&original);
            put16(&mut r, end, USN);
        }
        r
    }

    /// A non-resident $DATA attribute whose one data run points at clusters never written.
    fn non_resident_data(&mut self, id: u16, size: u64) -> Vec<u8> {
        let clusters = size.div_ceil(CLUSTER).max(1);
        let lcn = self.next_cluster;
        self.next_cluster += clusters;
        // Run list: header nibbles = bytes of offset (high) and length (low); then a 0 terminator.
        let mut runs = vec![0x32];
        runs.extend_from_slice(&(clusters as u16).to_le_bytes());
        runs.extend_from_slice(&(lcn as u32).to_le_bytes()[..3]);
        runs.push(0);
        while !runs.len().is_multiple_of(8) {
            runs.push(0);
        }
        let mut a = vec![0u8; 0x40];
        put32(&mut a, 0, 0x80);
        put32(&mut a, 4, (0x40 + runs.len()) as u32);
        a[8] = 1; // non-resident
        put16(&mut a, 10, 0x40); // name offset (no name)
        put16(&mut a, 14, id);
        put64(&mut a, 16, 0); // first VCN
        put64(&mut a, 24, clusters - 1); // last VCN
        put16(&mut a, 32, 0x40); // run list offset
        put64(&mut a, 40, clusters * CLUSTER); // allocated
        put64(&mut a, 48, size); // real size
        put64(&mut a, 56, size); // initialised
        a.extend_from_slice(&runs);
        a
    }
}

fn resident(type_code: u32, id: u16, content: &[u8], indexed: bool) -> Vec<u8> {
    let length = (0x18 + content.len()).div_ceil(8) * 8;
    let mut a = vec![0u8; length];
    put32(&mut a, 0, type_code);
    put32(&mut a, 4, length as u32);
    put16(&mut a, 10, 0x18); // name offset (no name)
    put16(&mut a, 14, id);
    put32(&mut a, 16, content.len() as u32);
    put16(&mut a, 20, 0x18);
    a[22] = u8::from(indexed);
    a[0x18..0x18 + content.len()].copy_from_slice(content);
    a
}

fn times(out: &mut Vec<u8>, t: FileTimes) {
    for time in [t.created, t.modified, t.mft_modified, t.accessed] {
        out.extend_from_slice(&filetime(time).to_le_bytes());
    }
}

fn standard_information(t: FileTimes, dir: bool) -> Vec<u8> {
    let mut c = Vec::with_capacity(72);
    times(&mut c, t);
    let attributes: u32 = if dir { 0x10 } else { 0x20 }; // DIRECTORY / ARCHIVE
    c.extend_from_slice(&attributes.to_le_bytes());
    c.resize(72, 0); // versions, class id, owner id, security id, quota, USN
    c
}

fn file_name(parent: u64, name: &str, t: FileTimes, size: u64, dir: bool) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(&(parent | (1u64 << 48)).to_le_bytes()); // reference: entry + sequence 1
    times(&mut c, t);
    let allocated = size.div_ceil(CLUSTER) * CLUSTER;
    c.extend_from_slice(&allocated.to_le_bytes());
    c.extend_from_slice(&size.to_le_bytes());
    let flags: u32 = if dir { 0x1000_0000 } else { 0x20 };
    c.extend_from_slice(&flags.to_le_bytes());
    c.extend_from_slice(&0u32.to_le_bytes()); // reparse tag
    let units: Vec<u16> = name.encode_utf16().collect();
    c.push(units.len() as u8);
    c.push(3); // namespace: Win32 and DOS
    for u in units {
        c.extend_from_slice(&u.to_le_bytes());
    }
    c
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
