//! The images opened in this run, each volume at a path under its image's own path:
//! `disk.E01/partition2/Windows/System32/config/SYSTEM` is the file `Windows\System32\config\SYSTEM`
//! of the image's second partition. Every citation of such a file thus names its container
//! chain (image → partition → file), and every path-based reader reads it unchanged.
//!
//! The table is process-wide, as the file system is: paths are how konseki's readers name
//! what they read, whatever holds it. An image is opened once; it stays open until the run ends.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::image::{self, Image, ImageKind};
use crate::layout::{self, Table, VolumeKind};
use crate::ntfs_volume::NtfsVolume;

/// An image opened, and what it holds.
pub struct Mounted {
    pub image: PathBuf,
    pub kind: ImageKind,
    pub table: Table,
    pub volumes: Vec<MountedVolume>,
    /// Partitions past the disk's end, volumes that could not be opened.
    pub problems: Vec<String>,
    pub stored_md5: Option<String>,
    pub stored_sha1: Option<String>,
}

/// A volume of an image, at `path` (the image's path and the volume's name).
pub struct MountedVolume {
    pub path: PathBuf,
    pub offset: u64,
    pub size: u64,
    pub kind: VolumeKind,
    pub(crate) ntfs: Option<Arc<NtfsVolume>>,
}

impl MountedVolume {
    /// Whether its files can be listed and read.
    pub fn readable(&self) -> bool {
        self.ntfs.is_some()
    }
}

static MOUNTS: RwLock<Vec<Arc<Mounted>>> = RwLock::new(Vec::new());

/// Opens the image at `path` as `kind` and its volumes (once per run: a second call returns
/// the first's).
pub fn mount(path: &Path, kind: ImageKind) -> io::Result<Arc<Mounted>> {
    if let Some(m) = mounted(path) {
        return Ok(m);
    }
    let Image {
        kind,
        disk,
        stored_md5,
        stored_sha1,
    } = image::open(path, kind)?;
    let (table, slots, mut problems) = layout::volumes(&disk)?;
    let mut volumes = Vec::new();
    for slot in slots {
        let ntfs = match slot.kind {
            VolumeKind::Ntfs => match NtfsVolume::open(slot.bytes.clone()) {
                Ok(v) => Some(Arc::new(v)),
                Err(e) => {
                    problems.push(format!("{}: cannot be read as NTFS: {e}", slot.name));
                    None
                }
            },
            _ => None,
        };
        volumes.push(MountedVolume {
            path: path.join(&slot.name),
            offset: slot.offset,
            size: slot.size,
            kind: slot.kind,
            ntfs,
        });
    }
    let m = Arc::new(Mounted {
        image: path.to_path_buf(),
        kind,
        table,
        volumes,
        problems,
        stored_md5,
        stored_sha1,
    });
    if let Ok(mut table) = MOUNTS.write() {
        table.push(m.clone());
    }
    Ok(m)
}

/// Every image opened in this run, in the order they were opened.
pub fn mounted_images() -> Vec<Arc<Mounted>> {
    MOUNTS.read().map(|m| m.clone()).unwrap_or_default()
}

fn mounted(path: &Path) -> Option<Arc<Mounted>> {
    MOUNTS
        .read()
        .ok()?
        .iter()
        .find(|m| m.image == path)
        .cloned()
}

/// Where a path lies, when it is not a file of the host's own file system.
pub(crate) enum Inside {
    /// An image's own path: it lists its volumes.
    Image(Arc<Mounted>),
    /// A path in a volume: the volume, and the components below its root.
    Volume(Arc<NtfsVolume>, Vec<String>),
    /// A volume not readable (BitLocker, another file system): listed, holding nothing.
    Unreadable,
}

pub(crate) fn inside(path: &Path) -> Option<Inside> {
    let mounts = MOUNTS.read().ok()?;
    if mounts.is_empty() {
        return None;
    }
    for m in mounts.iter() {
        if path == m.image {
            return Some(Inside::Image(m.clone()));
        }
        let Ok(rest) = path.strip_prefix(&m.image) else {
            continue;
        };
        let mut parts = rest.components();
        let Some(Component::Normal(first)) = parts.next() else {
            continue;
        };
        let volume = m
            .volumes
            .iter()
            .find(|v| v.path.file_name() == Some(first))?;
        let Some(ntfs) = &volume.ntfs else {
            return Some(Inside::Unreadable);
        };
        let names = parts
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        return Some(Inside::Volume(ntfs.clone(), names));
    }
    None
}
