//! A disk's volumes: an MBR or GPT partition table (read with `bootsector`), or one bare
//! volume; each volume told by its boot sector (NTFS, BitLocker, other).

use std::io;
use std::sync::Arc;

use crate::read_at::{ReadAt, Slice};

/// What a volume's boot sector says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeKind {
    Ntfs,
    /// `-FVE-FS-`: encrypted; its files cannot be read before it is decrypted.
    BitLocker,
    /// FAT, exFAT, ReFS, a Linux file system, or nothing known: not read.
    Other(String),
}

impl VolumeKind {
    pub fn label(&self) -> &str {
        match self {
            VolumeKind::Ntfs => "NTFS",
            VolumeKind::BitLocker => "BitLocker (encrypted: decrypt first)",
            VolumeKind::Other(what) => what,
        }
    }
}

/// The partition table a disk has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// No table: the image is one volume.
    None,
    Mbr,
    Gpt,
}

impl Table {
    pub fn label(self) -> &'static str {
        match self {
            Table::None => "no partition table (one volume)",
            Table::Mbr => "MBR partition table",
            Table::Gpt => "GPT partition table",
        }
    }
}

/// A volume of a disk.
pub struct Slot {
    /// `volume` for a bare volume, `partitionN` (1-based, in table order) otherwise: the path
    /// component its files are found under.
    pub name: String,
    pub offset: u64,
    pub size: u64,
    pub kind: VolumeKind,
    pub bytes: Arc<dyn ReadAt>,
}

/// The disk's table and volumes; a partition that lies past the disk's end is a problem named
/// in the second list (and read as far as the disk goes, when that holds its boot sector).
pub fn volumes(disk: &Arc<dyn ReadAt>) -> io::Result<(Table, Vec<Slot>, Vec<String>)> {
    let mut head = [0u8; 512];
    let read = disk.read_at(0, &mut head)?;
    if read < 512 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{read} bytes: too short to be a disk or a volume"),
        ));
    }
    if let Some(kind) = boot_sector_kind(&head) {
        let slot = Slot {
            name: "volume".into(),
            offset: 0,
            size: disk.size(),
            kind,
            bytes: disk.clone(),
        };
        return Ok((Table::None, vec![slot], Vec::new()));
    }
    let partitions =
        bootsector::list_partitions(Pio(disk.as_ref()), &bootsector::Options::default()).map_err(
            |e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("no volume boot sector and no partition table ({e})"),
                )
            },
        )?;
    let table = if partitions
        .iter()
        .any(|p| matches!(p.attributes, bootsector::Attributes::GPT { .. }))
    {
        Table::Gpt
    } else {
        Table::Mbr
    };
    let mut slots = Vec::new();
    let mut problems = Vec::new();
    for (i, p) in partitions.iter().enumerate() {
        let name = format!("partition{}", i + 1);
        let end = p.first_byte.saturating_add(p.len);
        if end > disk.size() {
            problems.push(format!(
                "{name} ({} bytes at offset {}) ends past the disk's end ({} bytes): the table is wrong or the image is truncated",
                p.len,
                p.first_byte,
                disk.size()
            ));
        }
        let bytes: Arc<dyn ReadAt> = Arc::new(Slice::new(disk.clone(), p.first_byte, p.len));
        let mut boot = [0u8; 512];
        let kind = match bytes.read_exact_at(0, &mut boot) {
            Ok(()) => boot_sector_kind(&boot).unwrap_or_else(|| VolumeKind::Other(describe(&boot))),
            Err(_) => VolumeKind::Other("unreadable (outside the image)".into()),
        };
        slots.push(Slot {
            name,
            offset: p.first_byte,
            size: bytes.size(),
            kind,
            bytes,
        });
    }
    Ok((table, slots, problems))
}

/// NTFS or BitLocker, by the OEM id at offset 3 of a volume's boot sector.
pub fn boot_sector_kind(boot: &[u8]) -> Option<VolumeKind> {
    match boot.get(3..11)? {
        b"NTFS    " => Some(VolumeKind::Ntfs),
        b"-FVE-FS-" => Some(VolumeKind::BitLocker),
        _ => None,
    }
}

/// What another boot sector looks like, for the examiner.
fn describe(boot: &[u8]) -> String {
    let oem = &boot[3..11];
    if oem == b"EXFAT   " {
        "exFAT".into()
    } else if oem == b"ReFS\0\0\0\0" {
        "ReFS (not read)".into()
    } else if boot.get(0x52..0x5a) == Some(b"FAT32   ")
        || boot.get(0x36..0x3e).is_some_and(|t| t.starts_with(b"FAT"))
    {
        "FAT".into()
    } else if boot.iter().all(|&b| b == 0) {
        "empty (zeros)".into()
    } else {
        "unknown file system".into()
    }
}

/// `bootsector` reads through `positioned-io`'s trait.
struct Pio<'a>(&'a dyn ReadAt);

impl positioned_io2::ReadAt for Pio<'_> {
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_at(pos, buf)
    }
}
