//! What an autostart entry's own file and registration add: a Startup folder file's times
//! and shortcut contents as evidence; flags for a file deleted from the folder, $STANDARD_INFORMATION
//! times older than $FILE_NAME's (backdated), a shortcut made on another machine, a per-user COM
//! class replacing the machine's, and one entry holding different values for different users.

use std::collections::BTreeMap;

use konseki_model::{Attention, AutostartEntry, AutostartFile, EvidenceItem, Flag, Provenance};

/// The file and shortcut of an entry in an autostart folder, as evidence items.
pub(crate) fn file_items(entry: &AutostartEntry) -> Vec<EvidenceItem> {
    let Some(file) = &entry.file else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let state = if file.in_use {
        ""
    } else {
        " (deleted: its $MFT entry is free)"
    };
    let times = match (&file.si, &file.fn_times) {
        (Some(si), fn_times) => format!(
            ": $SI created {}, modified {}{}",
            si.created,
            si.modified,
            fn_times
                .as_ref()
                .map(|f| format!("; $FN created {}", f.created))
                .unwrap_or_default()
        ),
        (None, Some(f)) => format!(": $FN created {}", f.created),
        (None, None) => match file.copy_modified {
            Some(t) => format!(
                " (no $MFT in the evidence: the collected copy was last modified {t}, the original's time only if the collector kept it)"
            ),
            None => " (no $MFT in the evidence: its times are unknown)".to_string(),
        },
    };
    items.push(EvidenceItem {
        source: entry.source.clone(),
        time: file
            .si
            .as_ref()
            .map(|t| t.created)
            .or(file.fn_times.as_ref().map(|t| t.created)),
        summary: format!("file {}{state}{times}", file.path).into(),
    });
    if let Some(link) = &file.shortcut {
        let mut text = format!(
            "shortcut: target `{}`{}",
            link.target.as_deref().unwrap_or("?"),
            link.target_from
                .as_deref()
                .map(|f| format!(" (from {f})"))
                .unwrap_or_default()
        );
        if let Some(args) = link.arguments.as_deref().filter(|a| !a.is_empty()) {
            text.push_str(&format!(", arguments `{args}`"));
        }
        if let Some(dir) = &link.working_dir {
            text.push_str(&format!(", working directory `{dir}`"));
        }
        if let (Some(c), Some(m)) = (link.target_created, link.target_modified) {
            text.push_str(&format!(
                "; the target, when the shortcut was made: created {c}, modified {m}, {} bytes",
                link.target_size
            ));
        }
        if let Some(machine) = &link.machine_id {
            text.push_str(&format!("; made on machine `{machine}`"));
        }
        items.push(EvidenceItem {
            source: entry.source.clone(),
            time: None,
            summary: text.into(),
        });
    } else if file.collected.is_none() && file.path.to_ascii_lowercase().ends_with(".lnk") {
        items.push(EvidenceItem {
            source: entry.source.clone(),
            time: None,
            summary: "the shortcut's bytes are not in the collection: its target is unknown".into(),
        });
    }
    items
}

/// Flags on the entry's file and registration.
pub(crate) fn flags(entry: &AutostartEntry, item: &dyn Fn() -> EvidenceItem) -> Vec<Attention> {
    let mut flags = Vec::new();
    if let Some(file) = &entry.file {
        flags.extend(file_flags(file, item));
    }
    if let Some(defaults) = &entry.not_default {
        flags.push(Attention {
            id: Flag::NotDefaultValue,
            reason: format!(
                "`{}` is `{}`, not Windows' default ({defaults})",
                entry.name, entry.command
            ),
            evidence: vec![item()],
        });
    }
    if let Some(machine) = &entry.shadows {
        let clean = |s: &str| s.trim().trim_matches('"').to_ascii_lowercase();
        if clean(machine) != clean(&entry.command) {
            flags.push(Attention {
                id: Flag::ComClassOverridden,
                reason: format!(
                    "the user's registration of this class replaces the machine's (`{machine}`): Windows loads `{}` for this user instead (COM hijacking, T1546.015)",
                    entry.command
                ),
                evidence: vec![item()],
            });
        }
    }
    flags
}

fn file_flags(file: &AutostartFile, item: &dyn Fn() -> EvidenceItem) -> Vec<Attention> {
    let mut flags = Vec::new();
    if !file.in_use {
        flags.push(Attention {
            id: Flag::DeletedAutostartFile,
            reason: format!(
                "`{}` was in the folder and was deleted: its $MFT entry remains; it ran at every logon while it was there",
                file.path
            ),
            evidence: vec![item()],
        });
    }
    if let (Some(si), Some(fname)) = (&file.si, &file.fn_times) {
        if si.created < fname.created {
            flags.push(Attention {
                id: Flag::SiCreatedBeforeFn,
                reason: format!(
                    "$STANDARD_INFORMATION says created {}, before $FILE_NAME's {}: $SI times can be set from user mode, so the file may have been backdated (timestomping); trust $FN's",
                    si.created, fname.created
                ),
                evidence: vec![item()],
            });
        }
    }
    flags
}

/// Entries of the same location and name whose value differs between users: each gets a flag
/// listing every user's value (a value set for one account only stands out).
pub(crate) fn differing_between_users(entries: &[&AutostartEntry]) -> BTreeMap<usize, Attention> {
    // The same key and value in every user's hive (the 64- and 32-bit views are different
    // keys, so never compared with each other).
    let mut groups: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let Provenance::RegistryKey { at, .. } = &e.source else {
            continue;
        };
        let (key, value) = (&at.key, &at.value);
        if e.user.is_some() && e.changed_by.is_none() {
            groups
                .entry((
                    e.location.clone(),
                    key.to_lowercase(),
                    value.as_deref().unwrap_or_default().to_lowercase(),
                ))
                .or_default()
                .push(i);
        }
    }
    let mut out = BTreeMap::new();
    for members in groups.values() {
        let mut values: Vec<(String, String)> = members
            .iter()
            .map(|&i| {
                let e = entries[i];
                (e.user.clone().unwrap_or_default(), e.command.clone())
            })
            .collect();
        values.sort();
        values.dedup();
        let users: std::collections::BTreeSet<&str> =
            values.iter().map(|(u, _)| u.as_str()).collect();
        if users.len() < 2 {
            continue;
        }
        let distinct_commands = {
            let mut c: Vec<String> = values.iter().map(|(_, c)| c.to_lowercase()).collect();
            c.sort();
            c.dedup();
            c.len()
        };
        if distinct_commands < 2 {
            continue;
        }
        let listing = values
            .iter()
            .map(|(user, command)| format!("{user}: `{command}`"))
            .collect::<Vec<_>>()
            .join("; ");
        for &i in members {
            let e = entries[i];
            out.insert(
                i,
                Attention {
                    id: Flag::ValueDiffersBetweenUsers,
                    reason: format!(
                        "`{}` in {} holds different values for different users ({listing})",
                        e.name, e.location
                    ),
                    evidence: Vec::new(),
                },
            );
        }
    }
    out
}
