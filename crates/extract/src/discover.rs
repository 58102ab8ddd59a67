//! Evidence discovery: walk the given paths, recognise artifacts by signature (not by name),
//! pair hives with their transaction logs (names compared case-insensitively).
//!
//! Works on a mounted volume, a KAPE target tree (`C/Windows/System32/config/SYSTEM`), a
//! Velociraptor collection (`C%3A/…` names), a loose folder of renamed files, or single files.

use std::io::Read;
use std::path::{Path, PathBuf};

use konseki_model::{ArtifactKind, FoundArtifact, Warning};
use konseki_registry::BaseBlock;
use konseki_source::Kind;

use crate::autostart::folders::in_autostart_folder;
use crate::containers::Container;
use crate::scope::Scope;

/// Directory depth limit: a collection is never deeper; a symlink loop or a hostile tree must not
/// make the walk endless.
const MAX_DEPTH: usize = 32;

/// Links leading out of a root that are each named in a warning; more are counted in one.
const LINK_WARNINGS: usize = 20;

/// What the walk found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Recognised artifacts.
    pub artifacts: Vec<FoundArtifact>,
    /// Files in autostart folders (Startup), whatever their content.
    pub folder_files: Vec<PathBuf>,
    /// Paths that could not be read, and links not followed.
    pub warnings: Vec<Warning>,
    /// The roots walked: nothing above them is read or interpreted.
    pub scope: Scope,
}

/// Walks `roots` and recognises artifacts; files in the folders `autostart_folders` (from
/// [`crate::autostart::folders::folder_patterns`]) are kept whatever they hold. Paths that do
/// not exist or cannot be read are warnings.
///
/// A root given as a symbolic link is followed; links inside a root are not (a link can lead
/// out of the evidence, onto the examiner's own files, or back into the tree): each one that
/// leads outside is named in a warning, those inside are counted in one.
pub fn discover(roots: &[PathBuf], autostart_folders: &[Vec<String>]) -> Discovered {
    let mut files = Vec::new();
    let scope = Scope::new(roots);
    let mut found = Discovered::default();
    for root in roots {
        let mut walk = Walk {
            root,
            root_real: root.canonicalize().ok(),
            files: &mut files,
            warnings: &mut found.warnings,
            links_inside: 0,
            links_outside: 0,
        };
        walk.enter(root, 0);
        walk.finish();
    }
    files.sort();
    files.dedup();
    let mut logs = Vec::new();
    // Files inside the images found are walked as they are met, after the image's own place.
    let mut queue = std::collections::VecDeque::from(files);
    while let Some(path) = queue.pop_front() {
        if in_autostart_folder(&scope, &path, autostart_folders) {
            found.folder_files.push(path.clone());
        }
        let sniffed = sniff_head(&path);
        if let Ok((None, head)) = &sniffed {
            let name = decoded_file_name(&path).unwrap_or_default();
            if let Some(container) = Container::of(head, &name, roots.contains(&path)) {
                let mut inner = Vec::new();
                open_container(&path, container, &mut inner, &mut found.warnings);
                inner.sort();
                for file in inner.into_iter().rev() {
                    queue.push_front(file);
                }
            }
        }
        match sniffed.map(|(kind, _)| kind) {
            Ok(Some(ArtifactKind::HiveLog)) => logs.push(path),
            // A mounted volume shows `$MFTMirr` beside `$MFT`: its FILE records are the first
            // four of the $MFT only, and read as one it would claim a volume's coverage.
            Ok(Some(ArtifactKind::Mft)) if is_mft_mirror(&path) => {}
            Ok(Some(kind)) => found.artifacts.push(FoundArtifact {
                kind,
                role: (kind == ArtifactKind::Hive)
                    .then(|| hive_role(&path))
                    .flatten(),
                path,
                logs: Vec::new(),
            }),
            Ok(None) => {}
            Err(e) => found.warnings.push(Warning {
                file: path,
                offset: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    for hive in found
        .artifacts
        .iter_mut()
        .filter(|a| a.kind == ArtifactKind::Hive)
    {
        hive.logs = logs
            .iter()
            .filter(|l| is_log_of(l, &hive.path))
            .cloned()
            .collect();
    }
    // A hive given as a file brings its transaction logs from beside it, exactly as when its
    // folder is scanned: the logs are part of the hive's state (the one read outside a root).
    for hive in found
        .artifacts
        .iter_mut()
        .filter(|a| a.kind == ArtifactKind::Hive && a.logs.is_empty() && roots.contains(&a.path))
    {
        hive.logs = sibling_logs(&hive.path);
    }
    found.scope = scope;
    found
}

/// Opens a disk image or volume found (or names it in a warning with how to read it, when
/// konseki cannot) and walks its readable volumes into `files`.
fn open_container(
    path: &Path,
    container: Container,
    files: &mut Vec<PathBuf>,
    warnings: &mut Vec<Warning>,
) {
    let mut warn = |message: String| {
        warnings.push(Warning {
            file: path.to_path_buf(),
            offset: None,
            message,
        })
    };
    let Some(kind) = container.image_kind() else {
        return warn(format!("not read: {}", container.advice()));
    };
    if konseki_source::in_image(path) {
        return warn(format!(
            "not read: an image inside an image is not opened yet ({})",
            container.advice()
        ));
    }
    let mounted = match konseki_source::mount(path, kind) {
        Ok(m) => m,
        Err(e) => return warn(format!("cannot be opened as a {}: {e}", kind.label())),
    };
    for problem in &mounted.problems {
        warn(problem.clone());
    }
    for volume in &mounted.volumes {
        match &volume.kind {
            // Data volumes are listed, not read: a Windows host's evidence is on its system
            // volume, and a data disk's files say nothing of its services.
            _ if volume.readable() && !crate::volumes::holds_windows(&volume.path) => {
                warnings.push(Warning {
                    file: volume.path.clone(),
                    offset: None,
                    message: format!(
                        "{} volume of {} bytes at offset {} holds no Windows folder: not read (not a system volume)",
                        volume.kind.label(),
                        volume.size,
                        volume.offset
                    ),
                })
            }
            _ if volume.readable() => {
                let mut walk = Walk {
                    root: &volume.path,
                    root_real: None,
                    files: &mut *files,
                    warnings: &mut *warnings,
                    links_inside: 0,
                    links_outside: 0,
                };
                walk.enter(&volume.path, 0);
            }
            konseki_source::VolumeKind::BitLocker => warnings.push(Warning {
                file: volume.path.clone(),
                offset: None,
                message: format!("not read: {}", Container::BitLocker.advice()),
            }),
            _ => {}
        }
    }
}

/// The transaction logs beside a hive (`SYSTEM.LOG1`, `system.log2`…), recognised by signature.
fn sibling_logs(hive: &Path) -> Vec<PathBuf> {
    let Some(dir) = hive.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    }) else {
        return Vec::new();
    };
    let Ok(entries) = konseki_source::read_dir(dir) else {
        return Vec::new();
    };
    let mut logs: Vec<PathBuf> = entries
        .into_iter()
        .filter(|(_, kind)| *kind == konseki_source::Kind::File)
        .filter_map(|(path, _)| Some(hive.with_file_name(path.file_name()?)))
        .filter(|log| is_log_of(log, hive))
        .filter(|log| matches!(sniff(log), Ok(Some(ArtifactKind::HiveLog))))
        .collect();
    logs.sort();
    logs
}

/// One root's walk.
struct Walk<'a> {
    root: &'a Path,
    /// The root with its links resolved, to tell where a link inside it leads.
    root_real: Option<PathBuf>,
    files: &'a mut Vec<PathBuf>,
    warnings: &'a mut Vec<Warning>,
    links_inside: usize,
    links_outside: usize,
}

impl Walk<'_> {
    fn warn(&mut self, path: &Path, message: String) {
        self.warnings.push(Warning {
            file: path.to_path_buf(),
            offset: None,
            message,
        });
    }

    fn enter(&mut self, path: &Path, depth: usize) {
        // The root itself is followed when it is a link; nothing below it is.
        let meta = if depth == 0 {
            konseki_source::metadata(path)
        } else {
            konseki_source::symlink_metadata(path)
        };
        let meta = match meta {
            Ok(m) => m,
            Err(e) => return self.warn(path, format!("cannot access: {e}")),
        };
        if meta.kind == Kind::Link {
            return self.link(path);
        }
        if meta.kind == Kind::File {
            self.files.push(path.to_path_buf());
        } else if meta.kind == Kind::Dir {
            if depth >= MAX_DEPTH {
                return self.warn(
                    path,
                    format!("folder more than {MAX_DEPTH} levels deep: not read"),
                );
            }
            let entries = match konseki_source::read_dir(path) {
                Ok(entries) => entries,
                Err(e) => return self.warn(path, format!("cannot list directory: {e}")),
            };
            for (entry, _) in entries {
                self.enter(&entry, depth + 1);
            }
        }
    }

    fn link(&mut self, path: &Path) {
        let target = std::fs::canonicalize(path);
        let inside = match (&target, &self.root_real) {
            (Ok(t), Some(root)) => t.starts_with(root),
            _ => false,
        };
        if inside {
            self.links_inside += 1;
            return;
        }
        self.links_outside += 1;
        if self.links_outside <= LINK_WARNINGS {
            let to = match &target {
                Ok(t) => format!("to {}", t.display()),
                Err(e) => format!("whose target cannot be resolved ({e})"),
            };
            self.warn(
                path,
                format!(
                    "symbolic link {to} leads outside the evidence root {}: not followed",
                    self.root.display()
                ),
            );
        }
    }

    fn finish(&mut self) {
        if self.links_outside > LINK_WARNINGS {
            let more = self.links_outside - LINK_WARNINGS;
            self.warn(
                self.root,
                format!("{more} more symbolic links leading outside this root: not followed"),
            );
        }
        if self.links_inside > 0 {
            let n = self.links_inside;
            self.warn(
                self.root,
                format!(
                    "{n} symbolic link(s) inside this root not followed: their targets are read where they lie"
                ),
            );
        }
    }
}

/// A file's size (0 when it cannot be read), for progress and for reading largest first.
pub(crate) fn file_size(path: &Path) -> u64 {
    konseki_source::metadata(path).map_or(0, |m| m.len)
}

/// `$MFTMirr` (any case, Velociraptor's escapes decoded).
fn is_mft_mirror(path: &Path) -> bool {
    decoded_file_name(path).is_some_and(|n| n.eq_ignore_ascii_case("$MFTMirr"))
}

/// Decides what a file is from its first bytes.
fn sniff(path: &Path) -> std::io::Result<Option<ArtifactKind>> {
    Ok(sniff_head(path)?.0)
}

/// What a file is, and its first 512 bytes (to tell a disk image or another container).
fn sniff_head(path: &Path) -> std::io::Result<(Option<ArtifactKind>, Vec<u8>)> {
    let mut head = Vec::with_capacity(512);
    konseki_source::open(path)?
        .take(512)
        .read_to_end(&mut head)?;
    Ok((kind_of(&head), head))
}

/// The artifact `head` (a file's first bytes) starts.
fn kind_of(head: &[u8]) -> Option<ArtifactKind> {
    if head.starts_with(b"ElfFile\0") {
        return Some(ArtifactKind::EventLog);
    }
    // Task definitions: XML in UTF-16LE with a byte-order mark (what Task Scheduler writes).
    if head.starts_with(&[0xff, 0xfe, b'<', 0])
        || (head.starts_with(b"<?xml") && head.windows(5).any(|w| w == b"<Task"))
    {
        return Some(ArtifactKind::Task);
    }
    // Task Scheduler 1.0 `.job`: product version, format version 1, name offset 0x46.
    if konseki_job::is_job(head) {
        return Some(ArtifactKind::Task);
    }
    // Prefetch: Windows 10+ compress it (`MAM\x04`); older ones start with the version, `SCCA`.
    if head.starts_with(b"MAM\x04") || head.get(4..8) == Some(b"SCCA") {
        return Some(ArtifactKind::Prefetch);
    }
    // A FILE record whose update sequence array sits at 0x30, as in every NTFS $MFT.
    if head.starts_with(b"FILE0\0") {
        return Some(ArtifactKind::Mft);
    }
    BaseBlock::parse(head).map(|base| match base.file_type {
        // 1, 2: old-format log; 6: new-format log (regf specification, "Base block").
        1 | 2 | 6 => ArtifactKind::HiveLog,
        _ => ArtifactKind::Hive,
    })
}

/// The hive's name from its file name (`SYSTEM`, `SOFTWARE`, `NTUSER.DAT`, …), decoding
/// Velociraptor's `%XX` escapes.
fn hive_role(path: &Path) -> Option<String> {
    let name = decoded_file_name(path)?.to_ascii_uppercase();
    [
        "SYSTEM",
        "SOFTWARE",
        "SAM",
        "SECURITY",
        "NTUSER.DAT",
        "USRCLASS.DAT",
        "AMCACHE.HVE",
    ]
    .into_iter()
    .find(|known| name == *known)
    .map(str::to_string)
}

/// A file name with Velociraptor's `%XX` escapes decoded.
pub(crate) fn decoded_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| name.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The drive letter of the volume an artifact comes from: the first path component that is a
/// drive (`C`, `C:`, Velociraptor's `C%3A`) walking up from the file to the root it was found
/// under; `C:` when none says.
pub fn drive_of(scope: &Scope, path: &Path) -> String {
    scope
        .ancestors(path)
        .filter_map(decoded_file_name)
        .find_map(|name| drive_letter(&name))
        .unwrap_or_else(|| "C:".to_string())
}

/// `C`, `c:` (or a decoded `C%3A`), a device path `\\.\C:` (Velociraptor's `ntfs`
/// accessor) → `C:`; anything else is not a drive.
pub(crate) fn drive_letter(name: &str) -> Option<String> {
    let name = name
        .strip_prefix("\\\\.\\")
        .or_else(|| name.strip_prefix("\\\\?\\"))
        .unwrap_or(name);
    let name = name.strip_suffix(':').unwrap_or(name);
    (name.len() == 1 && name.as_bytes()[0].is_ascii_alphabetic())
        .then(|| format!("{}:", name.to_ascii_uppercase()))
}

/// `SYSTEM.LOG1` belongs to `SYSTEM` in the same directory (any case).
fn is_log_of(log: &Path, hive: &Path) -> bool {
    let (Some(log_name), Some(hive_name)) = (decoded_file_name(log), decoded_file_name(hive))
    else {
        return false;
    };
    log.parent() == hive.parent()
        && log_name
            .to_ascii_lowercase()
            .strip_prefix(&hive_name.to_ascii_lowercase())
            .is_some_and(|ext| matches!(ext, ".log" | ".log1" | ".log2"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velociraptor_names_are_decoded() {
        assert_eq!(
            decoded_file_name(Path::new("x/SYSTEM%2ELOG1")).unwrap(),
            "SYSTEM.LOG1"
        );
        assert_eq!(decoded_file_name(Path::new("C%3A")).unwrap(), "C:");
        assert_eq!(decoded_file_name(Path::new("50%")).unwrap(), "50%");
    }

    #[test]
    fn drive_letters_from_collection_layouts() {
        let scope = Scope::new(&["case".into(), "loose".into(), "/mnt/d".into()]);
        assert_eq!(drive_of(&scope, Path::new("case/C/$MFT")), "C:");
        assert_eq!(drive_of(&scope, Path::new("case/D%3A/$MFT")), "D:");
        assert_eq!(drive_of(&scope, Path::new("loose/$MFT")), "C:");
        // The examiner's own folders above the root say nothing about the evidence.
        assert_eq!(drive_of(&scope, Path::new("/mnt/d/$MFT")), "D:");
        let inner = Scope::new(&["/mnt/d/case".into()]);
        assert_eq!(drive_of(&inner, Path::new("/mnt/d/case/$MFT")), "C:");
    }

    #[test]
    fn logs_pair_case_insensitively_in_the_same_directory() {
        let hive = Path::new("d/transactions_NTUSER.DAT");
        assert!(is_log_of(Path::new("d/transactions_ntuser.dat.log1"), hive));
        assert!(!is_log_of(
            Path::new("e/transactions_ntuser.dat.log1"),
            hive
        ));
        assert!(!is_log_of(Path::new("d/transactions_NTUSER.DAT.bak"), hive));
    }
}
