//! Host boundaries: which of the discovered files belong to one machine.
//!
//! A collection of one machine is a folder: a KAPE target folder (`HOST/C/Windows/…`), a
//! Velociraptor collection (`Collection-HOST…/uploads/auto/C%3A/…`), a mounted volume (the
//! folder holding `Windows\System32`). Its host folder is the folder above its drive folders
//! (the collector's own `uploads`, `auto`, `ntfs` levels skipped), or the volume itself, never
//! above the root the examiner gave. Every file below one host folder is that host's; files in
//! no volume tree are loose, taken together as one host (what their logs record is reported by
//! correlation, not assumed).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use konseki_model::{FoundArtifact, Warning};

use crate::discover::{decoded_file_name, drive_letter};
use crate::scope::Scope;
use crate::volumes::{holds_windows, volume_at};

/// Folder levels a collector puts between its collection folder and the drive folders
/// (Velociraptor: `uploads/auto/C%3A`, `uploads/ntfs/%5C%5C.%5CC%3A`).
const COLLECTOR_LEVELS: [&str; 4] = ["uploads", "auto", "ntfs", "lazy_ntfs"];

/// One host's files.
#[derive(Debug, Default)]
pub struct HostFiles {
    /// The collection folder; `None` for loose files.
    pub folder: Option<PathBuf>,
    /// Its recognised artifacts.
    pub artifacts: Vec<FoundArtifact>,
    /// Its files in autostart folders.
    pub folder_files: Vec<PathBuf>,
    /// Warnings about its paths.
    pub warnings: Vec<Warning>,
}

/// Splits what discovery found into hosts: collections in path order, then the loose files.
/// Warnings go to the host whose folder holds their path; those under no host's folder go to
/// the only host when there is one, else they are returned apart (the case's).
pub fn split_hosts(
    scope: &Scope,
    artifacts: Vec<FoundArtifact>,
    folder_files: Vec<PathBuf>,
    warnings: Vec<Warning>,
) -> (Vec<HostFiles>, Vec<Warning>) {
    let mut finder = HostFinder {
        scope,
        volumes: HashMap::new(),
        system: HashMap::new(),
    };
    let mut hosts: BTreeMap<Option<PathBuf>, HostFiles> = BTreeMap::new();
    for artifact in artifacts {
        let folder = finder.host_folder(&artifact.path);
        hosts_entry(&mut hosts, folder).artifacts.push(artifact);
    }
    for file in folder_files {
        let folder = finder.host_folder(&file);
        hosts_entry(&mut hosts, folder).folder_files.push(file);
    }
    let mut parts: Vec<HostFiles> = Vec::with_capacity(hosts.len());
    // Collections first (in path order), loose files last.
    let loose = hosts.remove(&None);
    parts.extend(hosts.into_values());
    parts.extend(loose);
    let mut case = Vec::new();
    for warning in warnings {
        let owner = parts.iter().position(|p| {
            p.folder
                .as_ref()
                .is_some_and(|f| warning.file.starts_with(f))
        });
        match owner {
            Some(i) => parts[i].warnings.push(warning),
            None if parts.len() == 1 => parts[0].warnings.push(warning),
            None => case.push(warning),
        }
    }
    (parts, case)
}

fn hosts_entry(
    hosts: &mut BTreeMap<Option<PathBuf>, HostFiles>,
    folder: Option<PathBuf>,
) -> &mut HostFiles {
    hosts.entry(folder.clone()).or_insert_with(|| HostFiles {
        folder,
        ..HostFiles::default()
    })
}

/// Finds host folders, each folder looked at once.
struct HostFinder<'a> {
    scope: &'a Scope,
    /// Folder → whether it is a volume root (drive-named, or holding `Windows\System32`).
    volumes: HashMap<PathBuf, Option<bool>>,
    /// Folder → whether it holds `Windows\System32`.
    system: HashMap<PathBuf, bool>,
}

impl HostFinder<'_> {
    /// The host folder of `path`: above its volume root within the scope. Of the volume roots
    /// above it, the nearest that holds `Windows\System32` (so that a host folder named like a
    /// drive, `CASE\A\C\Windows`, stays the host's, not a drive `A:`), else the outermost (so
    /// that a folder inside a volume that happens to be named like a drive, `C:\Users\x\D`,
    /// does not make a host of its own).
    fn host_folder(&mut self, path: &Path) -> Option<PathBuf> {
        let above: Vec<&Path> = self.scope.ancestors(path).collect();
        let volumes: Vec<(usize, bool)> = above
            .iter()
            .enumerate()
            .filter_map(|(i, dir)| self.volume(dir).map(|named| (i, named)))
            .collect();
        let (index, drive_named) = volumes
            .iter()
            .copied()
            .find(|&(i, named)| !named || self.system_volume(above[i]))
            .or(volumes.last().copied())?;
        let volume = above[index];
        if !drive_named {
            return Some(volume.to_path_buf());
        }
        // The drive folder's parent, past the collector's own levels, within the scope.
        let mut host = volume;
        for dir in &above[index + 1..] {
            host = dir;
            let collector_level = decoded_file_name(dir)
                .is_some_and(|n| COLLECTOR_LEVELS.iter().any(|l| n.eq_ignore_ascii_case(l)));
            if !collector_level {
                break;
            }
        }
        Some(host.to_path_buf())
    }

    /// Whether `dir` holds `Windows\System32`, each folder looked at once.
    fn system_volume(&mut self, dir: &Path) -> bool {
        *self
            .system
            .entry(dir.to_path_buf())
            .or_insert_with(|| holds_windows(dir))
    }

    /// Whether `dir` is a volume root, and whether it is one by its drive-like name.
    fn volume(&mut self, dir: &Path) -> Option<bool> {
        *self.volumes.entry(dir.to_path_buf()).or_insert_with(|| {
            volume_at(dir).map(|_| {
                decoded_file_name(dir)
                    .as_deref()
                    .and_then(drive_letter)
                    .is_some()
            })
        })
    }
}
