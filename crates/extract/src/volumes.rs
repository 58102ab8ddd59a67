//! A host's volumes: where each drive's tree lies in its collection, found once per host from
//! its artifacts and handed to every reader that looks up a Windows path (`C:\…`) in it.
//!
//! A volume tree is known from where the artifacts were found: the directory named like a drive
//! (`C`, `C:`, Velociraptor's `C%3A`) above them, or the directory holding `Windows\System32`
//! (a mounted volume, a KAPE target tree without the drive folder).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use konseki_model::FoundArtifact;

use crate::discover::{decoded_file_name, drive_letter};
use crate::scope::Scope;

/// Volume trees by drive letter (`C:`); a letter can have several trees (two collections of
/// one host under one root).
#[derive(Debug, Default, Clone)]
pub struct Volumes {
    roots: BTreeMap<String, Vec<PathBuf>>,
}

impl Volumes {
    /// The volumes above `artifacts`, within `scope`.
    pub fn of(scope: &Scope, artifacts: &[FoundArtifact]) -> Volumes {
        Volumes {
            roots: volume_roots(scope, artifacts),
        }
    }

    /// No volume tree found (loose files).
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The trees of drive `letter` (`C:`).
    pub fn roots_of(&self, letter: &str) -> &[PathBuf] {
        self.roots.get(letter).map_or(&[], Vec::as_slice)
    }
}

/// Volume trees by drive letter (`C:`), from where the artifacts were found. Each directory
/// above an artifact, up to the root it was found under (never above: the examiner's own
/// folders are not evidence), is looked at once, however many artifacts lie below it.
fn volume_roots(scope: &Scope, artifacts: &[FoundArtifact]) -> BTreeMap<String, Vec<PathBuf>> {
    let mut roots: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut seen: HashMap<PathBuf, Option<(String, PathBuf)>> = HashMap::new();
    for artifact in artifacts {
        let mut root = None;
        for dir in scope.ancestors(&artifact.path) {
            let found = seen
                .entry(dir.to_path_buf())
                .or_insert_with(|| volume_at(dir));
            if found.is_some() {
                root = found.clone();
                break;
            }
        }
        if let Some((letter, dir)) = root {
            let dirs = roots.entry(letter).or_default();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    roots
}

/// `dir` as a volume root: named like a drive, or holding `Windows\System32`.
pub(crate) fn volume_at(dir: &Path) -> Option<(String, PathBuf)> {
    if let Some(letter) = decoded_file_name(dir).as_deref().and_then(drive_letter) {
        return Some((letter, dir.to_path_buf()));
    }
    holds_windows(dir).then(|| ("C:".to_string(), dir.to_path_buf()))
}

/// Whether `dir` holds `Windows\System32` (any case): a system volume's root.
pub(crate) fn holds_windows(dir: &Path) -> bool {
    lookup(dir, "Windows").is_some_and(|windows| lookup(&windows, "System32").is_some())
}

/// A directory entry named `name` in any case (Velociraptor's `%XX` escapes decoded).
fn lookup(dir: &Path, name: &str) -> Option<PathBuf> {
    konseki_source::read_dir(dir)
        .ok()?
        .into_iter()
        .find_map(|(path, kind)| {
            if kind == konseki_source::Kind::Link {
                return None; // not followed: it could lead out of the evidence
            }
            decoded_file_name(&path)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                .then_some(path)
        })
}
