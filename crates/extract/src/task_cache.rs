//! The SOFTWARE hive's Task Scheduler cache (`Microsoft\Windows NT\CurrentVersion\Schedule\
//! TaskCache`): `Tree\<folders>\<task>` keys (values `Id`, `Index`, `SD`) name every registered
//! task; `Tasks\{GUID}` keys describe it (`Path`, `Author`, `Actions`, `DynamicInfo`, …).
//!
//! `Actions` is a binary value: a version (1 on Windows 8.1, 3 on Windows 10), the author
//! (version ≥ 2) and the actions, each tagged `0x6666` (run a program), `0x7777` (COM
//! handler), `0x8888` (e-mail) or `0x9999` (message box), with length-prefixed UTF-16 strings.
//! `DynamicInfo` holds FILETIMEs: registration at offset 4, last launch at offset 12 (layout
//! from libyal's winreg-kb `task_cache.yaml`; the cyber.wtf "Tasks" registry analysis and the
//! GhostTask research describe the same).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use konseki_bytes::{filetime_set, guid, u16_at, u32_at, u64_at, utf16_until_nul};
use konseki_model::{Provenance, TaskAction, TaskCacheEntry};
use konseki_registry::{Data, Hive, Key};

const TASK_CACHE: &str = "Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache";
/// Folder depth and task count limits: a crafted hive must not make the walk endless.
const MAX_DEPTH: usize = 32;
const MAX_TASKS: usize = 100_000;
/// Actions decoded per task at most.
const MAX_ACTIONS: usize = 32;

/// Every task the cache registers, in `Tree` order, and warnings about the walk.
pub fn read_task_cache(hive: &mut Hive, path: &Path) -> (Vec<TaskCacheEntry>, Vec<String>) {
    let Some(tree) = hive.key(&format!("{TASK_CACHE}\\Tree")) else {
        return (Vec::new(), Vec::new());
    };
    let mut walk = Walk {
        file: Arc::from(path),
        visited: HashSet::from([tree.offset()]),
        out: Vec::new(),
        warnings: Vec::new(),
    };
    walk.folder(hive, &tree, "", 0);
    (walk.out, walk.warnings)
}

/// The walk over `Tree`: each key is entered once, by its cell offset. A crafted hive whose
/// subkey list points back at an ancestor would otherwise make the walk loop, or branch
/// exponentially within the depth bound.
struct Walk {
    file: Arc<Path>,
    visited: HashSet<usize>,
    out: Vec<TaskCacheEntry>,
    warnings: Vec<String>,
}

impl Walk {
    fn folder(&mut self, hive: &mut Hive, key: &Key, folder: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.warnings.push(format!(
                "TaskCache\\Tree{folder}: deeper than {MAX_DEPTH} folders: not read further"
            ));
            return;
        }
        for sub in hive.subkeys(key) {
            if self.out.len() >= MAX_TASKS {
                return;
            }
            let path = format!("{folder}\\{}", sub.name);
            if !self.visited.insert(sub.offset()) {
                self.warnings.push(format!(
                    "TaskCache\\Tree{path}: the subkey list points back at a key already read (cell 0x{:x}): a damaged or crafted hive; not followed",
                    sub.offset()
                ));
                continue;
            }
            match sub.value("Id").and_then(Data::as_text) {
                Some(id) => self.out.push(entry(hive, &sub, path, id, &self.file)),
                None => self.folder(hive, &sub, &path, depth + 1),
            }
        }
    }
}

fn entry(
    hive: &mut Hive,
    tree: &Key,
    path: String,
    id: String,
    file: &Arc<Path>,
) -> TaskCacheEntry {
    let definition = hive.key(&format!("{TASK_CACHE}\\Tasks\\{}", id.trim()));
    let binary = |name: &str| match definition.as_ref().and_then(|d| d.value(name)) {
        Some(Data::Binary(b)) => Some(b.clone()),
        _ => None,
    };
    let dynamic = binary("DynamicInfo").unwrap_or_default();
    TaskCacheEntry {
        path,
        has_security_descriptor: tree.value("SD").is_some(),
        tree_key_written: tree.last_written,
        actions: binary("Actions")
            .map(|a| decode_actions(&a))
            .unwrap_or_default(),
        author: definition
            .as_ref()
            .and_then(|d| d.value("Author").and_then(Data::as_text)),
        registered: u64_at(&dynamic, 4).and_then(filetime_set),
        last_launched: u64_at(&dynamic, 12).and_then(filetime_set),
        definition_missing: definition.is_none(),
        id: Some(id),
        source: Provenance::registry_key(file.clone(), tree.path.clone(), None),
    }
}

/// The actions of an `Actions` value; what cannot be decoded ends the list.
pub fn decode_actions(b: &[u8]) -> Vec<TaskAction> {
    let Some(version) = u16_at(b, 0) else {
        return Vec::new();
    };
    let mut at = 2;
    // A string: its size in bytes, then UTF-16 text.
    let string = |at: &mut usize| -> Option<String> {
        let size = u32_at(b, *at)? as usize;
        let text = b.get(*at + 4..(*at + 4).checked_add(size)?)?;
        *at += 4 + size;
        Some(utf16_until_nul(text))
    };
    if version >= 2 {
        // The author (Windows 10): skipped, the `Author` value says it too.
        if string(&mut at).is_none() {
            return Vec::new();
        }
    }
    let mut actions = Vec::new();
    while actions.len() < MAX_ACTIONS {
        let Some(magic) = u16_at(b, at) else { break };
        at += 2;
        if string(&mut at).is_none() {
            break; // the action's id
        }
        match magic {
            0x6666 => {
                let (Some(command), Some(arguments), Some(working_directory)) =
                    (string(&mut at), string(&mut at), string(&mut at))
                else {
                    break;
                };
                if version >= 3 {
                    at += 2; // flags
                }
                actions.push(TaskAction::Exec {
                    command,
                    arguments,
                    working_directory,
                });
            }
            0x7777 => {
                // CLSIDs are written upper case in the registry and task XML.
                let Some(clsid) = b.get(at..).and_then(guid).map(|g| g.to_ascii_uppercase()) else {
                    break;
                };
                at += 16;
                let Some(data) = string(&mut at) else { break };
                actions.push(TaskAction::ComHandler {
                    class_id: clsid,
                    data,
                });
            }
            _ => break, // e-mail and message actions (deprecated) end the decoding
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// The Windows 10 `Actions` example published with the GhostTask research (reinject,
    /// "Research on Triggers and Actions Data Structures of Scheduled Tasks in the Registry"):
    /// version 3, author `Author`, one program action `cmd.exe /c notepad.exe`.
    #[test]
    fn published_windows_10_actions_value_decodes() {
        let mut b = vec![0x03, 0x00, 0x0c, 0, 0, 0];
        b.extend(utf16("Author"));
        b.extend([0x66, 0x66, 0, 0, 0, 0, 0x0e, 0, 0, 0]);
        b.extend(utf16("cmd.exe"));
        b.extend([0x1c, 0, 0, 0]);
        b.extend(utf16("/c notepad.exe"));
        b.extend([0, 0, 0, 0, 0, 0]);
        assert_eq!(
            decode_actions(&b),
            [TaskAction::Exec {
                command: "cmd.exe".into(),
                arguments: "/c notepad.exe".into(),
                working_directory: String::new(),
            }]
        );
        // Windows 8.1 (version 1): no author.
        let mut old = vec![0x01, 0x00, 0x66, 0x66, 0, 0, 0, 0, 0x0e, 0, 0, 0];
        old.extend(utf16("cmd.exe"));
        old.extend([0, 0, 0, 0, 0x16, 0, 0, 0]);
        old.extend(utf16("c:\\windows\\"));
        assert_eq!(
            decode_actions(&old),
            [TaskAction::Exec {
                command: "cmd.exe".into(),
                arguments: String::new(),
                working_directory: "c:\\windows\\".into(),
            }]
        );
    }

    #[test]
    fn com_handler_and_truncation() {
        let mut b = vec![0x03, 0x00, 0, 0, 0, 0, 0x77, 0x77, 0, 0, 0, 0];
        b.extend([
            0x9e, 0xff, 0x29, 0x0a, 0x9c, 0x7f, 0x37, 0x44, 0x8b, 0x11, 0xf4, 0x24, 0x49, 0x1e,
            0x39, 0x31,
        ]);
        b.extend([0, 0, 0, 0]);
        assert_eq!(
            decode_actions(&b),
            [TaskAction::ComHandler {
                class_id: "{0A29FF9E-7F9C-4437-8B11-F424491E3931}".into(),
                data: String::new(),
            }]
        );
        for len in 0..b.len() {
            assert!(decode_actions(&b[..len]).len() <= 1);
        }
        assert!(decode_actions(&[0x03, 0x00, 0xff, 0xff, 0xff, 0xff]).is_empty());
    }
}
