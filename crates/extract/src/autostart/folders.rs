//! Autostart folders (VOLUME locations: the Startup folders): every file in them, from the
//! collected tree and from the $MFT, merged by Windows path. The $MFT adds the file's times
//! and keeps entries of files deleted since; the collected copy adds a shortcut's contents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use konseki_model::{AutostartEntry, AutostartFile, FileEntry, Provenance, ShortcutInfo, Warning};

use super::defs::{HiveKind, Location};
use super::program_of;
use crate::discover::{decoded_file_name, drive_of};
use crate::image_path::WindowsPaths;
use crate::scope::Scope;

/// A folder's own settings file, not an entry.
const FOLDER_SETTINGS: &str = "desktop.ini";

/// The folder patterns of the VOLUME locations, as components (`*` = a profile).
pub fn folder_patterns(locations: &[Location]) -> Vec<Vec<String>> {
    locations
        .iter()
        .filter(|l| l.hive == HiveKind::Volume)
        .flat_map(|l| l.keys.iter().map(|k| components(k)))
        .collect()
}

fn components(path: &str) -> Vec<String> {
    path.split('\\')
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether the folders holding a file (outermost first, any case) end with `pattern`; the
/// components `*` stood for (the profile), and the folder path from the pattern's start.
fn matches(folders: &[String], pattern: &[String]) -> Option<(Option<String>, String)> {
    let start = folders.len().checked_sub(pattern.len())?;
    let tail = &folders[start..];
    let fits = tail
        .iter()
        .zip(pattern)
        .all(|(f, p)| p == "*" || f.eq_ignore_ascii_case(p));
    fits.then(|| {
        let user = tail
            .iter()
            .zip(pattern)
            .find(|(_, p)| *p == "*")
            .map(|(f, _)| f.clone());
        (user, tail.join("\\"))
    })
}

/// Whether a pattern can end at a folder of this name: compared before a whole path is, as
/// every file of a mounted volume (and every entry of its $MFT) is asked.
fn may_end_at(pattern: &[String], folder: &str) -> bool {
    pattern
        .last()
        .is_some_and(|last| last == "*" || last.eq_ignore_ascii_case(folder))
}

/// Whether a collected file lies in one of the folders: the walk keeps only those.
pub fn in_autostart_folder(scope: &Scope, path: &Path, patterns: &[Vec<String>]) -> bool {
    let Some(parent) = path.parent().and_then(decoded_file_name) else {
        return false;
    };
    if !patterns.iter().any(|p| may_end_at(p, &parent)) {
        return false;
    }
    let folders = folder_names(scope, path);
    patterns.iter().any(|p| matches(&folders, p).is_some())
}

/// The folders holding `path`, outermost first, from the root it was found under.
fn folder_names(scope: &Scope, path: &Path) -> Vec<String> {
    let mut names: Vec<String> = scope
        .ancestors(path)
        .filter_map(decoded_file_name)
        .collect();
    names.reverse();
    names
}

/// One file seen in a folder, before merging.
struct Seen<'a> {
    location: &'a Location,
    user: Option<String>,
    windows_path: String,
    collected: Option<PathBuf>,
    mft: Option<&'a FileEntry>,
    /// The collected copy when there is one, else the $MFT entry.
    source: Provenance,
}

/// Entries for every file in the VOLUME locations: `collected` are files of the tree (found
/// by the walk), `mft` the $MFT's entries. Unreadable shortcuts become warnings.
pub fn read_folder_entries(
    scope: &Scope,
    collected: &[PathBuf],
    mft: &[FileEntry],
    locations: &[Location],
    paths: &WindowsPaths,
    warnings: &mut Vec<Warning>,
) -> Vec<AutostartEntry> {
    // Exact folders before profile patterns: `Documents and Settings\All Users\…\Startup`
    // is the common folder, not the profile `*` of a user's.
    let mut volume: Vec<(&Location, Vec<String>)> = locations
        .iter()
        .filter(|l| l.hive == HiveKind::Volume)
        .flat_map(|l| l.keys.iter().map(move |k| (l, components(k))))
        .collect();
    volume.sort_by_key(|(_, p)| p.iter().filter(|c| *c == "*").count());
    let find = |folders: &[String]| {
        volume.iter().find_map(|(l, pattern)| {
            matches(folders, pattern).map(|(user, folder)| (*l, user, folder))
        })
    };
    let mut seen: BTreeMap<String, Seen<'_>> = BTreeMap::new();
    for file in collected {
        let Some(name) = decoded_file_name(file) else {
            continue;
        };
        if name.eq_ignore_ascii_case(FOLDER_SETTINGS) {
            continue;
        }
        if let Some((location, user, folder)) = find(&folder_names(scope, file)) {
            let windows_path = format!("{}\\{folder}\\{name}", drive_of(scope, file));
            seen.entry(windows_path.to_lowercase())
                .or_insert_with(|| Seen {
                    location,
                    user,
                    windows_path,
                    collected: Some(file.clone()),
                    mft: None,
                    source: Provenance::File {
                        file: Arc::from(file.as_path()),
                    },
                });
        }
    }
    let folder_named = |path: &str| {
        let parent = path.rsplit('\\').nth(1).unwrap_or_default();
        volume.iter().any(|(_, p)| may_end_at(p, parent))
    };
    for entry in mft.iter().filter(|e| !e.is_dir && folder_named(&e.path)) {
        let mut parts: Vec<String> = entry.path.split('\\').map(str::to_string).collect();
        let Some(name) = parts.pop() else { continue };
        if name.eq_ignore_ascii_case(FOLDER_SETTINGS) || parts.len() < 2 {
            continue;
        }
        // Anchored at the volume's root: `C:` then the pattern, nothing between.
        if let Some((location, user, folder)) = find(&parts[1..]) {
            if folder.split('\\').count() != parts.len() - 1 {
                continue;
            }
            let slot = seen
                .entry(entry.path.to_lowercase())
                .or_insert_with(|| Seen {
                    location,
                    user,
                    windows_path: entry.path.clone(),
                    collected: None,
                    mft: None,
                    source: entry.source.clone(),
                });
            // A live entry wins over a deleted one of the same name.
            if slot.mft.is_none_or(|old| !old.in_use && entry.in_use) {
                slot.mft = Some(entry);
            }
        }
    }
    seen.into_values()
        .map(|s| entry_of(s, paths, warnings))
        .collect()
}

fn entry_of(s: Seen<'_>, paths: &WindowsPaths, warnings: &mut Vec<Warning>) -> AutostartEntry {
    let name = s
        .windows_path
        .rsplit('\\')
        .next()
        .unwrap_or_default()
        .to_string();
    let is_link = name.to_ascii_lowercase().ends_with(".lnk");
    let shortcut =
        s.collected.as_deref().filter(|_| is_link).and_then(
            |file| match konseki_lnk::read_shortcut(file) {
                Ok(link) => Some(link),
                Err(e) => {
                    warnings.push(Warning {
                        file: file.to_path_buf(),
                        offset: None,
                        message: format!("shortcut in an autostart folder unreadable: {e}"),
                    });
                    None
                }
            },
        );
    let (command, program) = match &shortcut {
        Some(link) => {
            let target = link
                .target
                .as_deref()
                .map(|t| expand_profile(t, s.user.as_deref(), &s.windows_path));
            (
                link.command_line(),
                target.and_then(|t| program_of(&t, paths)),
            )
        }
        None => (s.windows_path.clone(), Some(s.windows_path.clone())),
    };
    let copy_modified = s
        .collected
        .as_ref()
        .and_then(|c| konseki_source::metadata(c).ok()?.modified)
        .and_then(|t| konseki_model::Timestamp::try_from(t).ok());
    let size = s
        .mft
        .and_then(|m| m.size)
        .or_else(|| Some(konseki_source::metadata(s.collected.as_ref()?).ok()?.len));
    AutostartEntry {
        location: s.location.id.clone(),
        title: s.location.title.clone(),
        attack: s.location.attack.clone(),
        user: s.user,
        name,
        command,
        program,
        enabled: None,
        key_last_written: None,
        times: s.location.times.clone(),
        changed_by: None,
        changed_at: None,
        file: Some(AutostartFile {
            path: s.windows_path,
            collected: s.collected,
            size,
            in_use: s.mft.is_none_or(|m| m.in_use),
            si: s.mft.and_then(|m| m.si),
            fn_times: s.mft.and_then(|m| m.fn_times),
            copy_modified,
            shortcut: shortcut.map(|l| shortcut_info(&l)),
        }),
        not_default: None,
        shadows: None,
        stands_in_for: None,
        source: s.source,
    }
}

/// `%USERPROFILE%`, `%APPDATA%`, `%LOCALAPPDATA%`, `%TEMP%`/`%TMP%` of the folder's user
/// (the profile holding the shortcut); other variables are left to the image-path expansion.
fn expand_profile(target: &str, user: Option<&str>, link_path: &str) -> String {
    let Some(user) = user else {
        return target.to_string();
    };
    let lower = link_path.to_ascii_lowercase();
    let root = if lower.contains("\\documents and settings\\") {
        "Documents and Settings"
    } else {
        "Users"
    };
    let drive = link_path.get(..2).unwrap_or("C:");
    let profile = format!("{drive}\\{root}\\{user}");
    let mut out = target.to_string();
    for (variable, value) in [
        ("%userprofile%", profile.clone()),
        ("%appdata%", format!("{profile}\\AppData\\Roaming")),
        ("%localappdata%", format!("{profile}\\AppData\\Local")),
        ("%temp%", format!("{profile}\\AppData\\Local\\Temp")),
        ("%tmp%", format!("{profile}\\AppData\\Local\\Temp")),
    ] {
        if let Some(at) = out.to_ascii_lowercase().find(variable) {
            out.replace_range(at..at + variable.len(), &value);
        }
    }
    out
}

fn shortcut_info(link: &konseki_lnk::Shortcut) -> ShortcutInfo {
    ShortcutInfo {
        target: link.target.clone(),
        target_from: link.target_source.map(|s| {
            match s {
                konseki_lnk::TargetSource::LinkInfo => "LinkInfo",
                konseki_lnk::TargetSource::IdList => "ID list",
                konseki_lnk::TargetSource::Environment => "environment block",
                konseki_lnk::TargetSource::RelativePath => "relative path",
            }
            .to_string()
        }),
        arguments: link.arguments.clone(),
        working_dir: link.working_dir.clone(),
        description: link.description.clone(),
        icon_location: link.icon_location.clone(),
        target_created: link.target_created,
        target_modified: link.target_modified,
        target_accessed: link.target_accessed,
        target_size: link.target_size,
        machine_id: link.machine_id.clone(),
        volume_serial: link
            .volume
            .as_ref()
            .map(|v| format!("{:04X}-{:04X}", v.serial >> 16, v.serial & 0xffff)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_match_from_the_end_with_the_profile_captured() {
        let pattern = components(
            "Users\\*\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup",
        );
        let folders: Vec<String> = "case C Users Bob AppData Roaming Microsoft Windows"
            .split(' ')
            .chain(["Start Menu", "Programs", "STARTUP"])
            .map(str::to_string)
            .collect();
        let (user, folder) = matches(&folders, &pattern).unwrap();
        assert_eq!(user.as_deref(), Some("Bob"));
        assert!(folder.starts_with("Users\\Bob\\AppData"), "{folder}");
        assert!(matches(&folders[..folders.len() - 1], &pattern).is_none());
    }

    #[test]
    fn profile_variables_expand_to_the_folders_user() {
        assert_eq!(
            expand_profile(
                "%LOCALAPPDATA%\\Temp\\a.exe",
                Some("bob"),
                "C:\\Users\\bob\\AppData\\Roaming\\x.lnk"
            ),
            "C:\\Users\\bob\\AppData\\Local\\Temp\\a.exe"
        );
        assert_eq!(
            expand_profile("%TEMP%\\a.exe", None, "C:\\x.lnk"),
            "%TEMP%\\a.exe"
        );
    }
}
