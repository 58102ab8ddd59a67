//! Where konseki's readers get their bytes. A path names a file on the examiner's disk, or a
//! file inside a disk image opened with [`mount`] (`disk.E01/partition2/Windows/…`): the same
//! calls ([`open`], [`read_dir`], [`metadata`], [`read`]) serve both, so every format reader and
//! the discovery walk read images in place, without mounting them or copying files out.
//!
//! Evidence is only ever opened read-only.

mod image;
mod layout;
mod mount;
mod ntfs_volume;
mod read_at;

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use image::{container_of, ImageKind};
pub use layout::{boot_sector_kind, Table, VolumeKind};
pub use mount::{mount, mounted_images, Mounted, MountedVolume};
pub use read_at::{Cursor, ReadAt};

use mount::{inside, Inside};

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A symbolic link (on the examiner's disk; never followed below a root).
    Link,
    Other,
}

/// What [`metadata`] tells.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    pub kind: Kind,
    pub len: u64,
    /// Last modified: the file system's time, NTFS `$STANDARD_INFORMATION` inside images.
    pub modified: Option<SystemTime>,
}

/// An open file: on disk, or inside an image.
pub enum Reader {
    Disk(std::fs::File),
    Image(Cursor),
}

impl Reader {
    /// The file's length.
    pub fn len(&self) -> io::Result<u64> {
        match self {
            Reader::Disk(f) => Ok(f.metadata()?.len()),
            Reader::Image(c) => Ok(c.size()),
        }
    }

    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Reader::Disk(f) => f.read(buf),
            Reader::Image(c) => c.read(buf),
        }
    }
}

impl Seek for Reader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Reader::Disk(f) => f.seek(to),
            Reader::Image(c) => c.seek(to),
        }
    }
}

/// Opens a file read-only.
pub fn open(path: &Path) -> io::Result<Reader> {
    match inside(path) {
        None => Ok(Reader::Disk(std::fs::File::open(path)?)),
        Some(Inside::Volume(volume, names)) => {
            let record = volume.find(&names)?.ok_or_else(|| not_found(path))?;
            Ok(Reader::Image(Cursor::new(volume.data(record)?)))
        }
        Some(Inside::Image(_) | Inside::Unreadable) => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "an image's volume, not a file",
        )),
    }
}

/// A whole file.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut reader = open(path)?;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What `path` is; a link on the examiner's disk is followed.
pub fn metadata(path: &Path) -> io::Result<Meta> {
    meta(path, true)
}

/// What `path` is; a link on the examiner's disk is the link.
pub fn symlink_metadata(path: &Path) -> io::Result<Meta> {
    meta(path, false)
}

fn meta(path: &Path, follow: bool) -> io::Result<Meta> {
    match inside(path) {
        None => {
            let m = if follow {
                std::fs::metadata(path)?
            } else {
                std::fs::symlink_metadata(path)?
            };
            Ok(Meta {
                kind: kind_of(m.file_type()),
                len: m.len(),
                modified: m.modified().ok(),
            })
        }
        Some(Inside::Volume(volume, names)) => {
            let record = volume.find(&names)?.ok_or_else(|| not_found(path))?;
            let m = volume.meta(record)?;
            Ok(Meta {
                kind: if m.is_dir { Kind::Dir } else { Kind::File },
                len: m.len,
                modified: m.modified,
            })
        }
        Some(Inside::Image(_) | Inside::Unreadable) => Ok(Meta {
            kind: Kind::Dir,
            len: 0,
            modified: None,
        }),
    }
}

/// The entries of a directory (links are listed as links, not followed).
pub fn read_dir(path: &Path) -> io::Result<Vec<(PathBuf, Kind)>> {
    match inside(path) {
        None => std::fs::read_dir(path)?
            .map(|e| {
                let e = e?;
                Ok((e.path(), kind_of(e.file_type()?)))
            })
            .collect(),
        Some(Inside::Image(m)) => Ok(m
            .volumes
            .iter()
            .map(|v| (v.path.clone(), Kind::Dir))
            .collect()),
        Some(Inside::Unreadable) => Ok(Vec::new()),
        Some(Inside::Volume(volume, names)) => {
            let record = volume.find(&names)?.ok_or_else(|| not_found(path))?;
            Ok(volume
                .list(record)?
                .iter()
                .map(|e| {
                    let kind = if e.is_dir { Kind::Dir } else { Kind::File };
                    (path.join(&e.name), kind)
                })
                .collect())
        }
    }
}

/// Whether `path` is a file or folder inside an image opened with [`mount`].
pub fn in_image(path: &Path) -> bool {
    inside(path).is_some()
}

fn kind_of(t: std::fs::FileType) -> Kind {
    if t.is_symlink() {
        Kind::Link
    } else if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file in the image", path.display()),
    )
}
