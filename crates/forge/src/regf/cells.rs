//! Cell allocation and layout. Offsets are relative to the first hive bin (file offset 4096),
//! which is index 0 of `bins`. Cells never cross a bin boundary; the tail of a bin is one free
//! cell.

use jiff::Timestamp;

use super::key::{RegData, RegKey};
use super::LH_MAX;
use crate::evtx::filetime;

const BASE_BLOCK_SIZE: usize = 4096;
const BIN_SIZE: usize = 4096;
const BIN_HEADER_SIZE: usize = 32;
/// Largest data stored in one cell; larger values use a db cell with segments (spec: "Big data").
const BIG_DATA_SEGMENT: usize = 16344;
const NONE: u32 = 0xFFFF_FFFF;
/// nk flags: KEY_HIVE_ENTRY | KEY_NO_DELETE for the root, KEY_COMP_NAME for ASCII names.
const KEY_HIVE_ENTRY: u16 = 0x0004;
const KEY_NO_DELETE: u16 = 0x0008;
const KEY_COMP_NAME: u16 = 0x0020;
/// vk flag: the name is ASCII.
const VALUE_COMP_NAME: u16 = 0x0001;

pub(crate) struct HiveWriter {
    bins: Vec<u8>,
    bin_start: usize,
    bin_size: usize,
    security: u32,
    security_refs: u32,
    newest: Timestamp,
}

impl HiveWriter {
    pub(crate) fn write(root: &RegKey) -> Vec<u8> {
        let mut w = HiveWriter {
            bins: Vec::new(),
            bin_start: 0,
            bin_size: 0,
            security: 0,
            security_refs: 0,
            newest: root.last_written,
        };
        w.new_bin(BIN_SIZE);
        let root_offset = w.key(root, NONE, true);
        let refs = w.security_refs;
        w.put_u32(w.security as usize + 16, refs);
        w.close_bin();
        w.base_block(root_offset)
    }

    fn put_u16(&mut self, at: usize, v: u16) {
        self.bins[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u32(&mut self, at: usize, v: u32) {
        self.bins[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.bins[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn new_bin(&mut self, size: usize) {
        self.bin_start = self.bins.len();
        self.bin_size = size;
        self.bins.resize(self.bin_start + BIN_HEADER_SIZE, 0);
        let at = self.bin_start;
        self.put(at, b"hbin");
        self.put_u32(at + 4, at as u32);
        self.put_u32(at + 8, size as u32);
    }

    fn close_bin(&mut self) {
        let end = self.bin_start + self.bin_size;
        let free = end - self.bins.len();
        if free > 0 {
            let at = self.bins.len();
            self.bins.resize(end, 0);
            self.put_u32(at, free as u32); // positive size: a free cell
        }
    }

    /// Allocates a cell for `len` bytes of content; returns its offset (the size field).
    fn alloc(&mut self, len: usize) -> usize {
        let size = (len + 4).div_ceil(8) * 8;
        if self.bins.len() + size > self.bin_start + self.bin_size {
            self.close_bin();
            self.new_bin((size + BIN_HEADER_SIZE).div_ceil(BIN_SIZE) * BIN_SIZE);
        }
        let at = self.bins.len();
        self.bins.resize(at + size, 0);
        self.put_u32(at, (-(size as i32)) as u32); // negative size: allocated
        at
    }

    fn cell(&mut self, content: &[u8]) -> usize {
        let at = self.alloc(content.len());
        self.put(at + 4, content);
        at
    }

    /// One security descriptor shared by every key: self-relative, NULL DACL.
    fn security_cell(&mut self) -> u32 {
        let descriptor = [
            1u8, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let at = self.alloc(20 + descriptor.len());
        self.put(at + 4, b"sk");
        self.put_u32(at + 8, at as u32); // flink: itself (the only sk)
        self.put_u32(at + 12, at as u32); // blink
        self.put_u32(at + 20, descriptor.len() as u32);
        self.put(at + 24, &descriptor);
        at as u32
    }

    fn key(&mut self, key: &RegKey, parent: u32, root: bool) -> u32 {
        self.newest = self.newest.max(key.last_written);
        let (name, ascii) = encode_name(&key.name);
        let nk = self.alloc(76 + name.len());
        let c = nk + 4;
        self.put(c, b"nk");
        let mut flags = if ascii { KEY_COMP_NAME } else { 0 };
        if root {
            flags |= KEY_HIVE_ENTRY | KEY_NO_DELETE;
        }
        self.put_u16(c + 2, flags);
        self.put(c + 4, &filetime(key.last_written).to_le_bytes());
        self.put_u32(c + 16, parent);
        self.put_u32(c + 32, NONE); // volatile subkey list
        self.put_u32(c + 48, NONE); // class name
        self.put_u16(c + 72, name.len() as u16);
        self.put(c + 76, &name);
        if root {
            // The root is the first cell of the first bin, as Windows writes it: notatin starts
            // there rather than at the base block's root offset. The shared sk cell follows.
            self.security = self.security_cell();
        }

        let mut children: Vec<&RegKey> = key.subkeys.iter().collect();
        children.sort_by_key(|k| k.name.to_uppercase());
        let offsets: Vec<(u32, u32)> = children
            .iter()
            .map(|child| (self.key(child, nk as u32, false), lh_hash(&child.name)))
            .collect();
        let list = self.subkey_list(&offsets);
        let values: Vec<u32> = key.values.iter().map(|(n, d)| self.value(n, d)).collect();
        let value_list = if values.is_empty() {
            NONE
        } else {
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            self.cell(&bytes) as u32
        };
        let max = |it: &mut dyn Iterator<Item = usize>| it.max().unwrap_or(0) as u32;
        let max_subkey_name = max(&mut children.iter().map(|k| k.name.encode_utf16().count() * 2));
        let max_value_name = max(&mut key.values.iter().map(|(n, _)| n.encode_utf16().count() * 2));
        let max_value_data = max(&mut key.values.iter().map(|(_, d)| d.bytes().len()));
        self.put_u32(c + 20, children.len() as u32);
        self.put_u32(c + 28, list);
        self.put_u32(c + 36, values.len() as u32);
        self.put_u32(c + 40, value_list);
        self.put_u32(c + 44, self.security);
        self.put_u32(c + 52, max_subkey_name);
        self.put_u32(c + 60, max_value_name);
        self.put_u32(c + 64, max_value_data);
        self.security_refs += 1;
        nk as u32
    }

    /// lh list(s) of `(offset, hash)` entries; an ri cell over several lh lists when large.
    fn subkey_list(&mut self, entries: &[(u32, u32)]) -> u32 {
        if entries.is_empty() {
            return NONE;
        }
        let lh = |w: &mut HiveWriter, part: &[(u32, u32)]| {
            let mut bytes = b"lh".to_vec();
            bytes.extend_from_slice(&(part.len() as u16).to_le_bytes());
            for (offset, hash) in part {
                bytes.extend_from_slice(&offset.to_le_bytes());
                bytes.extend_from_slice(&hash.to_le_bytes());
            }
            w.cell(&bytes) as u32
        };
        if entries.len() <= LH_MAX {
            return lh(self, entries);
        }
        let lists: Vec<u32> = entries.chunks(LH_MAX).map(|part| lh(self, part)).collect();
        let mut bytes = b"ri".to_vec();
        bytes.extend_from_slice(&(lists.len() as u16).to_le_bytes());
        for l in lists {
            bytes.extend_from_slice(&l.to_le_bytes());
        }
        self.cell(&bytes) as u32
    }

    fn value(&mut self, name: &str, data: &RegData) -> u32 {
        let bytes = data.bytes();
        let (size_field, offset_field) = if bytes.len() <= 4 {
            // Resident data: stored in the offset field, size with the high bit set.
            let mut inline = [0u8; 4];
            inline[..bytes.len()].copy_from_slice(&bytes);
            (bytes.len() as u32 | 0x8000_0000, u32::from_le_bytes(inline))
        } else if bytes.len() <= BIG_DATA_SEGMENT {
            (bytes.len() as u32, self.cell(&bytes) as u32)
        } else {
            let segments: Vec<u32> = bytes
                .chunks(BIG_DATA_SEGMENT)
                .map(|s| self.cell(s) as u32)
                .collect();
            let list: Vec<u8> = segments.iter().flat_map(|s| s.to_le_bytes()).collect();
            let list = self.cell(&list) as u32;
            let mut db = b"db".to_vec();
            db.extend_from_slice(&(segments.len() as u16).to_le_bytes());
            db.extend_from_slice(&list.to_le_bytes());
            (bytes.len() as u32, self.cell(&db) as u32)
        };
        let (name_bytes, ascii) = encode_name(name);
        let mut vk = b"vk".to_vec();
        vk.extend_from_slice(&(name_bytes.len() as u16).to_le_bytes());
        vk.extend_from_slice(&size_field.to_le_bytes());
        vk.extend_from_slice(&offset_field.to_le_bytes());
        vk.extend_from_slice(&data.type_code().to_le_bytes());
        vk.extend_from_slice(&(if ascii { VALUE_COMP_NAME } else { 0 }).to_le_bytes());
        vk.extend_from_slice(&[0, 0]);
        vk.extend_from_slice(&name_bytes);
        self.cell(&vk) as u32
    }

    fn base_block(self, root: u32) -> Vec<u8> {
        let mut b = vec![0u8; BASE_BLOCK_SIZE];
        let put =
            |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        b[0..4].copy_from_slice(b"regf");
        put(&mut b, 4, 1);
        put(&mut b, 8, 1);
        b[12..20].copy_from_slice(&filetime(self.newest).to_le_bytes());
        put(&mut b, 20, 1); // major version
        put(&mut b, 24, 5); // minor version (big data needs ≥ 4)
        put(&mut b, 28, 0); // primary file
        put(&mut b, 32, 1); // direct memory load
        put(&mut b, 36, root);
        put(&mut b, 40, self.bins.len() as u32);
        put(&mut b, 44, 1);
        let checksum = checksum(&b);
        put(&mut b, 508, checksum);
        b.extend_from_slice(&self.bins);
        b
    }
}

/// XOR of the first 127 dwords; 0 and 0xFFFFFFFF are avoided (spec: "Base block").
fn checksum(block: &[u8]) -> u32 {
    let x = block[..508].chunks_exact(4).fold(0u32, |acc, d| {
        acc ^ u32::from_le_bytes([d[0], d[1], d[2], d[3]])
    });
    match x {
        0 => 1,
        0xFFFF_FFFF => 0xFFFF_FFFE,
        other => other,
    }
}

/// ASCII names are stored as bytes (with the COMP_NAME flag), others as UTF-16LE.
fn encode_name(name: &str) -> (Vec<u8>, bool) {
    if name.is_ascii() {
        (name.as_bytes().to_vec(), true)
    } else {
        (
            name.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            false,
        )
    }
}

/// lh hash: `hash = hash * 37 + upper-case code unit` (spec: "Hash leaf").
fn lh_hash(name: &str) -> u32 {
    name.to_uppercase()
        .encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(37).wrapping_add(u32::from(c)))
}
