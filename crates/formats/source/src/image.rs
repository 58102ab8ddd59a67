//! Disk images and containers, told by their signature, opened read-only and read in place:
//! EWF (`.E01` and its segments, with `ewf`), VHD (`vhd`), VHDX (`vhdx-core`; not `vhdx` 0.1,
//! which opens the file read-write and replays its log into it) and raw images (`dd`).

use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::read_at::{DiskFile, Locked, ReadAt};

/// The container a disk image comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// Expert Witness Format (`EVF\x09\x0d\x0a\xff\x00`; EWF2 `EVF2\r\n\x81\x00`).
    Ewf,
    /// VHDX (`vhdxfile`).
    Vhdx,
    /// VHD (`conectix`: the footer's copy at the start of a dynamic VHD, or the footer at the
    /// end of a fixed one).
    Vhd,
    /// The disk's or the volume's bytes as they are.
    Raw,
}

impl ImageKind {
    pub fn label(self) -> &'static str {
        match self {
            ImageKind::Ewf => "EWF (E01) image",
            ImageKind::Vhdx => "VHDX container",
            ImageKind::Vhd => "VHD container",
            ImageKind::Raw => "raw image",
        }
    }
}

/// An image opened: its kind, the disk's bytes, and the hashes its acquisition stored.
pub struct Image {
    pub kind: ImageKind,
    pub disk: Arc<dyn ReadAt>,
    /// MD5 and SHA-1 of the media as the EWF acquisition recorded them (hex), if it did.
    pub stored_md5: Option<String>,
    pub stored_sha1: Option<String>,
}

/// The container `head` (the file's first bytes) starts, if any.
pub fn container_of(head: &[u8]) -> Option<ImageKind> {
    if head.starts_with(b"EVF\x09\x0d\x0a\xff\x00") || head.starts_with(b"EVF2\r\n\x81\x00") {
        Some(ImageKind::Ewf)
    } else if head.starts_with(b"vhdxfile") {
        Some(ImageKind::Vhdx)
    } else if head.starts_with(b"conectix") {
        Some(ImageKind::Vhd)
    } else {
        None
    }
}

/// Opens the image at `path` as `kind` (a raw image when the signature says nothing; a fixed
/// VHD's footer is at its end, so a raw image ending in `conectix`'s footer is a VHD).
pub fn open(path: &Path, kind: ImageKind) -> io::Result<Image> {
    let image = |kind, disk: Arc<dyn ReadAt>| Image {
        kind,
        disk,
        stored_md5: None,
        stored_sha1: None,
    };
    match kind {
        ImageKind::Ewf => {
            let reader = ewf::EwfReader::open(path).map_err(|e| bad(format!("EWF: {e}")))?;
            // A truncated E01 opens without error and fails on every read: say so now.
            if reader.chunk_count() == 0 || reader.total_size() == 0 {
                return Err(bad(
                    "EWF: no chunk of media data (a truncated or incomplete E01, or a segment missing)".into(),
                ));
            }
            let hashes = reader.stored_hashes();
            Ok(Image {
                stored_md5: hashes.md5.map(|h| hex(&h)),
                stored_sha1: hashes.sha1.map(|h| hex(&h)),
                ..image(ImageKind::Ewf, Arc::new(Ewf(reader)))
            })
        }
        ImageKind::Vhdx => {
            let reader = vhdx::VhdxReader::open(path).map_err(|e| bad(format!("VHDX: {e}")))?;
            let size = reader.virtual_disk_size();
            Ok(image(ImageKind::Vhdx, Arc::new(Locked::new(reader, size))))
        }
        ImageKind::Vhd => {
            let reader = vhd::VhdReader::open(path).map_err(|e| bad(format!("VHD: {e}")))?;
            let size = reader.virtual_disk_size();
            Ok(image(ImageKind::Vhd, Arc::new(Locked::new(reader, size))))
        }
        ImageKind::Raw => Ok(image(ImageKind::Raw, Arc::new(DiskFile::open(path)?))),
    }
}

/// `ewf`'s reader serves positioned reads from any thread (its `read_at(&self)`).
struct Ewf(ewf::EwfReader);

impl ReadAt for Ewf {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.0.total_size() {
            return Ok(0);
        }
        self.0
            .read_at(buf, offset)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("EWF: {e}")))
    }

    fn size(&self) -> u64 {
        self.0.total_size()
    }
}

fn bad(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
