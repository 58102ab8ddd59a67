//! Disk images, containers and archives, told by their signature (the images' and volumes'
//! signatures are `konseki_source`'s, which opens them). What konseki cannot open (a BitLocker
//! volume, a ZIP, an image inside an image) is named in a warning with how to read it, rather
//! than skipped in silence ("no evidence found" about an E01 would read as "nothing there").

use konseki_source::{ImageKind, VolumeKind};

/// A container konseki recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    /// Expert Witness Format (`EVF\x09\x0d\x0a\xff\x00`; EWF2 `EVF2\r\n\x81\x00`).
    Ewf,
    /// VHDX (`vhdxfile`).
    Vhdx,
    /// VHD (footer copy `conectix` at the start of a dynamic VHD).
    Vhd,
    /// A BitLocker volume (`-FVE-FS-` at offset 3).
    BitLocker,
    /// A raw NTFS volume (`NTFS    ` at offset 3).
    NtfsVolume,
    /// A raw disk with a partition table (boot signature `55 AA` at 510), named like an image.
    PartitionedDisk,
    /// A ZIP archive (`PK\x03\x04`), named `.zip`.
    Zip,
}

impl Container {
    /// The container `head` (a file's first 512 bytes) starts, for a file named `name`. ZIPs
    /// and bare partition tables are named only when the file is called so (`.zip`; `.dd`,
    /// `.raw`, `.img`, `.001`) or was given by the examiner: documents are ZIPs too, and `55 AA`
    /// at 510 occurs by chance.
    pub(crate) fn of(head: &[u8], name: &str, given: bool) -> Option<Container> {
        let name = name.to_ascii_lowercase();
        let at =
            |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
        match konseki_source::container_of(head) {
            Some(ImageKind::Ewf) => return Some(Container::Ewf),
            Some(ImageKind::Vhdx) => return Some(Container::Vhdx),
            Some(ImageKind::Vhd) => return Some(Container::Vhd),
            Some(ImageKind::Raw) | None => {}
        }
        match konseki_source::boot_sector_kind(head) {
            Some(VolumeKind::BitLocker) => return Some(Container::BitLocker),
            // `$Boot` (a mounted volume's, or KAPE's copy of it) is the volume's boot sector alone.
            Some(VolumeKind::Ntfs) if name != "$boot" => return Some(Container::NtfsVolume),
            _ => {}
        }
        let image_name = [".dd", ".raw", ".img", ".001", ".bin"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if at(510, &[0x55, 0xAA]) && (given || image_name) {
            return Some(Container::PartitionedDisk);
        }
        if at(0, b"PK\x03\x04") && (given || name.ends_with(".zip")) {
            return Some(Container::Zip);
        }
        None
    }

    /// The image konseki opens it as; `None` for what it does not open (BitLocker, ZIP).
    pub(crate) fn image_kind(self) -> Option<ImageKind> {
        match self {
            Container::Ewf => Some(ImageKind::Ewf),
            Container::Vhdx => Some(ImageKind::Vhdx),
            Container::Vhd => Some(ImageKind::Vhd),
            Container::NtfsVolume | Container::PartitionedDisk => Some(ImageKind::Raw),
            Container::BitLocker | Container::Zip => None,
        }
    }

    /// What it is, and how to read it where konseki cannot open it (a BitLocker volume, a
    /// ZIP, or an image found inside another image).
    pub(crate) fn advice(self) -> &'static str {
        match self {
            Container::Ewf => "an EWF (E01) disk image: copy it out of the image that holds it and give konseki the copy, or mount it read-only (`ewfmount IMAGE.E01 /mnt/ewf`, then the Windows volume with `mount -o ro,loop,offset=…`) and scan the mount point",
            Container::Vhdx | Container::Vhd => "a VHD/VHDX container (KAPE's `--vhdx` output is one): copy it out of the image that holds it and give konseki the copy, or attach it read-only (`qemu-nbd --read-only`, or Windows' `Mount-DiskImage -Access ReadOnly`) and scan the mounted volume",
            Container::BitLocker => "a BitLocker-encrypted volume (-FVE-FS-): decrypt it first (e.g. `dislocker` with the recovery key), mount the result read-only and scan it",
            Container::NtfsVolume => "a raw NTFS volume image: copy it out of the image that holds it and give konseki the copy, or mount it read-only (`mount -o ro,loop,noexec IMAGE /mnt/vol`) and scan the mount point",
            Container::PartitionedDisk => "a raw disk image with a partition table: copy it out of the image that holds it and give konseki the copy, or attach it read-only (`losetup -r -P`), mount the Windows partition read-only and scan it",
            Container::Zip => "a ZIP archive (a Velociraptor or KAPE collection?): konseki does not read archives yet; extract it outside the evidence folder and scan the extracted folder",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_told_by_signature_and_zips_by_name_too() {
        let mut ntfs = vec![0u8; 512];
        ntfs[3..11].copy_from_slice(b"NTFS    ");
        assert_eq!(
            Container::of(&ntfs, "x", false),
            Some(Container::NtfsVolume)
        );
        assert_eq!(Container::of(&ntfs, "$Boot", false), None);
        assert_eq!(
            Container::of(b"EVF\x09\x0d\x0a\xff\x00rest", "a.E01", false),
            Some(Container::Ewf)
        );
        assert_eq!(Container::of(b"PK\x03\x04", "report.docx", false), None);
        assert_eq!(
            Container::of(b"PK\x03\x04", "Collection-WS01.zip", false),
            Some(Container::Zip)
        );
        let mut mbr = vec![0u8; 512];
        mbr[510..].copy_from_slice(&[0x55, 0xAA]);
        assert_eq!(Container::of(&mbr, "notes.txt", false), None);
        assert_eq!(
            Container::of(&mbr, "disk.dd", false),
            Some(Container::PartitionedDisk)
        );
    }
}
