//! Autostart entries in the registry, read by the location definitions ([`defs`]): every
//! user's NTUSER.DAT, the SOFTWARE hive, every control set of the SYSTEM hive.
//!
//! Which hive is which is told by its content ([`crate::hives`]); an export of a user's
//! `Software` key alone has the `Software\` of the definitions dropped.

pub mod changes;
pub mod defs;
pub mod folders;

use std::path::Path;
use std::sync::Arc;

use konseki_model::{AutostartEntry, Provenance};
use konseki_registry::{Data, Hive, Key};

use crate::hive_role::HiveRole;
use crate::image_path::{normalize_image_path, WindowsPaths};
use defs::{HiveKind, Location, Read};

/// Entries read at most per location key: a crafted hive must not make the report endless.
const MAX_PER_KEY: usize = 10_000;

/// Every entry of `locations` in the hive.
pub fn read_autostarts(
    hive: &mut Hive,
    path: &Path,
    role: &HiveRole,
    locations: &[Location],
    paths: &WindowsPaths,
) -> Vec<AutostartEntry> {
    let file: Arc<Path> = Arc::from(path);
    let control_sets: Vec<String> = match role {
        HiveRole::System => hive
            .key("")
            .map(|root| {
                hive.subkeys(&root)
                    .into_iter()
                    .map(|k| k.name)
                    .filter(|n| n.to_ascii_lowercase().starts_with("controlset"))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let (kind, user, rooted) = match role {
        HiveRole::System => (HiveKind::System, None, false),
        HiveRole::Software => (HiveKind::Software, None, false),
        HiveRole::User {
            user,
            rooted_at_software,
        } => (HiveKind::Ntuser, Some(user.clone()), *rooted_at_software),
        HiveRole::UserClasses { user } => (HiveKind::UsrClass, Some(user.clone()), false),
        HiveRole::Amcache | HiveRole::Other => return Vec::new(),
    };
    let mut out = Vec::new();
    for location in locations
        .iter()
        .filter(|l| l.hive == kind && !l.changes_only)
    {
        for key_path in location
            .keys
            .iter()
            .flat_map(|t| key_paths(t, &control_sets, rooted))
        {
            let Some(key) = hive.key(&key_path) else {
                continue;
            };
            for (name, holder, value, command) in entries(hive, &key, &location.read) {
                let not_default = location.differs_from_default(&value, &command);
                let source = Provenance::registry_key(file.clone(), holder.path, Some(value));
                let mut entry = entry(location, name, command, source, paths);
                entry.user = user.clone();
                entry.key_last_written = holder.last_written;
                entry.not_default = not_default;
                out.push(entry);
            }
        }
    }
    // The locations whose definitions say Task Manager records their entries' state.
    let approved: Vec<&str> = locations
        .iter()
        .filter(|l| l.startup_approved)
        .map(|l| l.id.as_str())
        .collect();
    mark_startup_approved(hive, rooted, &approved, &mut out);
    out
}

/// The key paths a definition's key `template` names in this hive: one per control set for
/// SYSTEM keys, without the leading `Software\` in an export rooted there (none outside it).
fn key_paths(template: &str, control_sets: &[String], rooted: bool) -> Vec<String> {
    if template.contains("{ControlSet}") {
        control_sets
            .iter()
            .map(|cs| template.replace("{ControlSet}", cs))
            .collect()
    } else if rooted {
        match template.split_once('\\') {
            Some((first, rest)) if first.eq_ignore_ascii_case("Software") => vec![rest.to_string()],
            _ => Vec::new(), // outside HKCU\Software: not in this export
        }
    } else {
        vec![template.to_string()]
    }
}

/// An entry of `location` named `name` that runs `command`, read from `source`; who it
/// belongs to and its times are set by the caller.
pub(crate) fn entry(
    location: &Location,
    name: String,
    command: String,
    source: Provenance,
    paths: &WindowsPaths,
) -> AutostartEntry {
    let program = (!location.folder_value)
        .then(|| program_of(&command, paths))
        .flatten();
    AutostartEntry {
        location: location.id.clone(),
        title: location.title.clone(),
        attack: location.attack.clone(),
        user: None,
        name,
        program,
        enabled: None,
        key_last_written: None,
        times: location.times.clone(),
        changed_by: None,
        changed_at: None,
        file: None,
        not_default: None,
        shadows: None,
        stands_in_for: location.overrides.clone(),
        source,
        command,
    }
}

/// (entry name, key holding the value, value name, command) for each entry of a key.
fn entries(hive: &mut Hive, key: &Key, read: &Read) -> Vec<(String, Key, String, String)> {
    let text = |data: &Data| match data {
        Data::MultiSz(items) => Some(items.join(" ")),
        other => other.as_text(),
    };
    let mut out = Vec::new();
    match read {
        Read::Values => {
            for v in key.values.iter().take(MAX_PER_KEY) {
                if let Some(command) = text(&v.data).filter(|c| !c.trim().is_empty()) {
                    out.push((v.name.clone(), key.clone(), v.name.clone(), command));
                }
            }
        }
        Read::Named(names) => {
            for name in names {
                if let Some(command) = key
                    .value(name)
                    .and_then(text)
                    .filter(|c| !c.trim().is_empty())
                {
                    out.push((name.clone(), key.clone(), name.clone(), command));
                }
            }
        }
        Read::SubkeyValue(name) => {
            for sub in hive.subkeys(key).into_iter().take(MAX_PER_KEY) {
                if let Some(command) = sub
                    .value(name)
                    .and_then(text)
                    .filter(|c| !c.trim().is_empty())
                {
                    out.push((sub.name.clone(), sub.clone(), name.clone(), command));
                }
            }
        }
        Read::SubkeyPathValue(path, name) => {
            for sub in hive.subkeys(key).into_iter().take(MAX_PER_KEY) {
                let Some(holder) = hive.key(&format!("{}\\{path}", sub.path)) else {
                    continue;
                };
                if let Some(command) = holder
                    .value(name)
                    .and_then(text)
                    .filter(|c| !c.trim().is_empty())
                {
                    out.push((
                        format!("{}\\{path}", sub.name),
                        holder,
                        name.clone(),
                        command,
                    ));
                }
            }
        }
        Read::Files => {} // folders of the file system: see `folders`
        Read::SubkeyValues => {
            for sub in hive.subkeys(key).into_iter().take(MAX_PER_KEY) {
                for v in sub.values.iter().filter(|v| !v.name.is_empty()) {
                    if let Some(command) = text(&v.data).filter(|c| !c.trim().is_empty()) {
                        out.push((
                            format!("{}\\{}", sub.name, v.name),
                            sub.clone(),
                            v.name.clone(),
                            command,
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The program a command starts, expanded with the evidence's folders; `None` when the command
/// names no program (a bare DLL list, `explorer.exe` without a path is kept as named).
pub(crate) fn program_of(command: &str, paths: &WindowsPaths) -> Option<String> {
    let exe = normalize_image_path(command, paths, false, "").executable;
    (!exe.trim().is_empty()).then_some(exe)
}

/// Task Manager's startup list records each Run value's state under
/// `Explorer\StartupApproved\Run` (and `Run32` for the 32-bit view): binary data whose first
/// byte is even when enabled, odd when disabled.
fn mark_startup_approved(
    hive: &mut Hive,
    rooted: bool,
    locations: &[&str],
    entries: &mut [AutostartEntry],
) {
    let base = if rooted {
        "Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved"
    } else {
        "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved"
    };
    let machine = "Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved";
    for e in entries
        .iter_mut()
        .filter(|e| locations.contains(&e.location.as_str()))
    {
        let Provenance::RegistryKey { at, .. } = &e.source else {
            continue;
        };
        let (key, value) = (&at.key, &at.value);
        let list = if key.to_ascii_lowercase().contains("wow6432node") {
            "Run32"
        } else {
            "Run"
        };
        let approved = [base, machine]
            .iter()
            .find_map(|b| hive.key(&format!("{b}\\{list}")));
        let state = approved
            .as_ref()
            .and_then(|k| k.value(value.as_deref().unwrap_or_default()))
            .and_then(|d| match d {
                Data::Binary(b) => b.first().map(|flag| flag % 2 == 0),
                _ => None,
            });
        e.enabled = state;
    }
}

/// Per-user entries whose location `overrides` a machine-wide key (UsrClass.dat's COM classes
/// over SOFTWARE's `Classes`): the machine's value is recorded in `shadows`, since Windows uses
/// the user's in its place.
pub fn mark_shadowed(software: &mut Hive, entries: &mut [AutostartEntry], locations: &[Location]) {
    for e in entries.iter_mut() {
        let Provenance::RegistryKey { at, .. } = &e.source else {
            continue;
        };
        let (key, value) = (&at.key, &at.value);
        let Some(prefix) = locations
            .iter()
            .find(|l| l.id == e.location)
            .and_then(|l| l.overrides.as_deref())
        else {
            continue;
        };
        let machine = software.key(&format!("{prefix}\\{key}")).and_then(|k| {
            k.value(value.as_deref().unwrap_or_default())
                .and_then(Data::as_text)
        });
        e.shadows = machine.filter(|m| !m.trim().is_empty());
    }
}
