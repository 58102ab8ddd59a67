//! Minimal PE32+ images (x64) with an import table and, for DLLs, an export table: enough for a
//! reader to tell a service program (imports `StartServiceCtrlDispatcherW`…) from a plain one.
//! The code is a single `ret`; the images are for reading, not for running.
//!
//! Layout (PE/COFF specification, "Optional Header", "The .idata Section", "The .edata
//! Section"): DOS header with `e_lfanew` = 0x40, `PE\0\0`, COFF header, PE32+ optional header with
//! 16 data directories, one section header; the one section (`.rdata`, RVA 0x1000, file offset
//! 0x200) holds the code byte, the import directory and its lookup tables, names, and the export
//! directory.

/// What to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeImage {
    /// A DLL (IMAGE_FILE_DLL) rather than an executable.
    pub dll: bool,
    /// `(library, functions)` imported by name, in order.
    pub imports: Vec<(String, Vec<String>)>,
    /// Functions exported by name (all pointing at the one `ret`).
    pub exports: Vec<String>,
}

impl PeImage {
    /// An image importing `functions`, each written `LIBRARY!Function`.
    pub fn importing(functions: &[&str]) -> PeImage {
        let mut image = PeImage::default();
        for entry in functions {
            let (library, function) = entry.split_once('!').unwrap_or(("KERNEL32.dll", entry));
            match image.imports.iter_mut().find(|(l, _)| l == library) {
                Some((_, list)) => list.push(function.to_string()),
                None => image
                    .imports
                    .push((library.to_string(), vec![function.to_string()])),
            }
        }
        image
    }
}

const FILE_ALIGNMENT: u32 = 0x200;
const SECTION_ALIGNMENT: u32 = 0x1000;
const SECTION_RVA: u32 = 0x1000;
const IMAGE_BASE: u64 = 0x1_4000_0000;

/// Builds the section's bytes, laid out from its RVA, and records where each table went.
struct Section {
    bytes: Vec<u8>,
}

impl Section {
    fn rva(&self) -> u32 {
        SECTION_RVA + self.bytes.len() as u32
    }

    fn align(&mut self, to: usize) {
        while !self.bytes.len().is_multiple_of(to) {
            self.bytes.push(0);
        }
    }

    fn u16(&mut self, v: u16) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u32(&mut self, at: u32, v: u32) {
        let at = (at - SECTION_RVA) as usize;
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u64(&mut self, at: u32, v: u64) {
        let at = (at - SECTION_RVA) as usize;
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    fn text(&mut self, s: &str) -> u32 {
        let rva = self.rva();
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        rva
    }
}

/// The image's bytes.
pub fn write_pe(image: &PeImage) -> Vec<u8> {
    let mut s = Section { bytes: Vec::new() };
    s.bytes.push(0xc3); // ret: the entry point
    s.align(8);

    // Import directory: one descriptor per library and a null one; then per library an import
    // lookup table and an address table (u64 RVAs of hint/name entries, null-terminated).
    let import_dir = s.rva();
    s.bytes
        .resize(s.bytes.len() + 20 * (image.imports.len() + 1), 0);
    let mut tables = Vec::new();
    for (_, functions) in &image.imports {
        let lookup = s.rva();
        s.bytes.resize(s.bytes.len() + 8 * (functions.len() + 1), 0);
        let address = s.rva();
        s.bytes.resize(s.bytes.len() + 8 * (functions.len() + 1), 0);
        tables.push((lookup, address));
    }
    for (i, (library, functions)) in image.imports.iter().enumerate() {
        let (lookup, address) = tables[i];
        let name = s.text(library);
        let descriptor = import_dir + 20 * i as u32;
        s.put_u32(descriptor, lookup); // OriginalFirstThunk
        s.put_u32(descriptor + 12, name);
        s.put_u32(descriptor + 16, address); // FirstThunk
        for (j, function) in functions.iter().enumerate() {
            s.align(2);
            let hint_name = s.rva();
            s.u16(0);
            s.text(function);
            s.put_u64(lookup + 8 * j as u32, u64::from(hint_name));
            s.put_u64(address + 8 * j as u32, u64::from(hint_name));
        }
    }
    let import_size = 20 * (image.imports.len() as u32 + 1);

    // Export directory, names sorted (the loader binary-searches them).
    let mut export = (0, 0);
    if !image.exports.is_empty() {
        let mut names = image.exports.clone();
        names.sort();
        s.align(4);
        let dir = s.rva();
        s.bytes.resize(s.bytes.len() + 40, 0);
        let n = names.len() as u32;
        let functions = s.rva();
        for _ in &names {
            s.u32(SECTION_RVA); // every export is the `ret`
        }
        let name_pointers = s.rva();
        s.bytes.resize(s.bytes.len() + 4 * names.len(), 0);
        let ordinals = s.rva();
        for i in 0..names.len() {
            s.u16(i as u16);
        }
        let module = s.text("forged.dll");
        for (i, name) in names.iter().enumerate() {
            let at = s.text(name);
            s.put_u32(name_pointers + 4 * i as u32, at);
        }
        s.put_u32(dir + 12, module);
        s.put_u32(dir + 16, 1); // ordinal base
        s.put_u32(dir + 20, n);
        s.put_u32(dir + 24, n);
        s.put_u32(dir + 28, functions);
        s.put_u32(dir + 32, name_pointers);
        s.put_u32(dir + 36, ordinals);
        export = (dir, s.rva() - dir);
    }
    let virtual_size = s.bytes.len() as u32;
    s.align(FILE_ALIGNMENT as usize);
    let raw_size = s.bytes.len() as u32;
    let image_size = SECTION_RVA + virtual_size.next_multiple_of(SECTION_ALIGNMENT);

    let mut out = Vec::with_capacity(0x200 + s.bytes.len());
    // DOS header: `MZ`, e_lfanew at 0x3C.
    out.extend_from_slice(b"MZ");
    out.resize(0x3c, 0);
    out.extend_from_slice(&0x40u32.to_le_bytes());
    out.extend_from_slice(b"PE\0\0");
    // COFF header.
    let characteristics: u16 = 0x0002 | 0x0020 | if image.dll { 0x2000 } else { 0 };
    for v in [0x8664u16, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&[0; 12]); // time stamp, symbol table, symbol count
    out.extend_from_slice(&240u16.to_le_bytes());
    out.extend_from_slice(&characteristics.to_le_bytes());
    // Optional header (PE32+).
    let mut h = Vec::with_capacity(240);
    h.extend_from_slice(&0x20bu16.to_le_bytes());
    h.extend_from_slice(&[14, 0]); // linker version
    for v in [raw_size, raw_size, 0, SECTION_RVA, SECTION_RVA] {
        h.extend_from_slice(&v.to_le_bytes()); // code, data, bss sizes, entry, base of code
    }
    h.extend_from_slice(&IMAGE_BASE.to_le_bytes());
    for v in [SECTION_ALIGNMENT, FILE_ALIGNMENT] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    for v in [6u16, 0, 0, 0, 6, 0] {
        h.extend_from_slice(&v.to_le_bytes()); // OS, image, subsystem versions
    }
    for v in [0, image_size, 0x200, 0] {
        h.extend_from_slice(&v.to_le_bytes()); // win32 version, image, headers, checksum
    }
    h.extend_from_slice(&3u16.to_le_bytes()); // console subsystem
    h.extend_from_slice(&0x8160u16.to_le_bytes()); // DllCharacteristics
    for v in [0x10_0000u64, 0x1000, 0x10_0000, 0x1000] {
        h.extend_from_slice(&v.to_le_bytes()); // stack and heap
    }
    h.extend_from_slice(&0u32.to_le_bytes()); // loader flags
    h.extend_from_slice(&16u32.to_le_bytes());
    let mut directories = [(0u32, 0u32); 16];
    directories[0] = export;
    directories[1] = (import_dir, import_size);
    for (rva, size) in directories {
        h.extend_from_slice(&rva.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
    }
    out.extend_from_slice(&h);
    // Section header.
    out.extend_from_slice(b".rdata\0\0");
    for v in [virtual_size, SECTION_RVA, raw_size, FILE_ALIGNMENT, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&[0; 4]); // relocation and line-number counts
    out.extend_from_slice(&0x6000_0060u32.to_le_bytes()); // code | data | execute | read
    out.resize(FILE_ALIGNMENT as usize, 0);
    out.extend_from_slice(&s.bytes);
    out
}
