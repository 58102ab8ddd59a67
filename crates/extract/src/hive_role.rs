//! What a hive is, told by what it holds, not by its file name (collections rename them:
//! `SYSTEM_host1`, `Amcache_host1.hve`): SYSTEM has `Select`; SOFTWARE has
//! `Microsoft\Windows NT\CurrentVersion\SystemRoot`; a user hive has `Software` beside
//! `Environment` or `Control Panel` (or is an export rooted at its `Software` key); UsrClass.dat
//! has `CLSID` beside `Local Settings`; an Amcache has `Root\InventoryApplicationFile` or
//! `Root\File`. The role is a hive's one identity: readers are handed hives by role, and the
//! inventory reports it.

use std::path::Path;

use konseki_registry::Hive;

use crate::amcache::is_amcache;
use crate::error::Cause;
use crate::scope::Scope;

/// What a hive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HiveRole {
    /// HKLM\SYSTEM.
    System,
    /// HKLM\SOFTWARE.
    Software,
    /// A user's NTUSER.DAT; `rooted_at_software` for exports of HKCU\Software only.
    User {
        /// The profile name.
        user: String,
        /// The hive's root is the user's `Software` key.
        rooted_at_software: bool,
    },
    /// A user's UsrClass.dat (HKCU\Software\Classes).
    UserClasses {
        /// The profile name.
        user: String,
    },
    /// Amcache.hve, the program inventory.
    Amcache,
    /// Any other hive (SAM, SECURITY, BCD…): recorded, not read.
    Other,
}

impl HiveRole {
    /// The name the inventory gives the role (the hive's usual file name).
    pub fn label(&self) -> Option<&'static str> {
        Some(match self {
            HiveRole::System => "SYSTEM",
            HiveRole::Software => "SOFTWARE",
            HiveRole::User { .. } => "NTUSER.DAT",
            HiveRole::UserClasses { .. } => "USRCLASS.DAT",
            HiveRole::Amcache => "AMCACHE.HVE",
            HiveRole::Other => return None,
        })
    }

    /// What a file named `label` that is not this role is not: said in a warning, since a
    /// reader that trusts the name would have read it. Only the hives konseki reads by name
    /// in other tools are checked (a default profile's near-empty NTUSER.DAT is no surprise).
    pub(crate) fn misnamed(label: &str) -> Option<Cause> {
        match label {
            "SYSTEM" => Some(Cause::NotSystemHive),
            "SOFTWARE" => Some(Cause::NotSoftwareHive),
            "AMCACHE.HVE" => Some(Cause::NotAmcacheHive),
            _ => None,
        }
    }
}

/// Tells what the hive read from `path` is, by its keys.
pub fn hive_role(hive: &mut Hive, path: &Path, scope: &Scope) -> HiveRole {
    if hive.key("Select").is_some() {
        return HiveRole::System;
    }
    let system_root = hive
        .key("Microsoft\\Windows NT\\CurrentVersion")
        .is_some_and(|k| k.value("SystemRoot").is_some());
    if system_root {
        return HiveRole::Software;
    }
    let user = || user_of(path, scope);
    if hive.key("Software").is_some()
        && (hive.key("Environment").is_some() || hive.key("Control Panel").is_some())
    {
        return HiveRole::User {
            user: user(),
            rooted_at_software: false,
        };
    }
    // UsrClass.dat: classes at the root, with the user's `Local Settings` (SOFTWARE keeps its
    // classes under `Classes`, not at the root).
    if hive.key("CLSID").is_some() && hive.key("Local Settings").is_some() {
        return HiveRole::UserClasses { user: user() };
    }
    if hive.key("Microsoft\\Windows\\CurrentVersion").is_some() && hive.key("Classes").is_none() {
        return HiveRole::User {
            user: user(),
            rooted_at_software: true,
        };
    }
    if is_amcache(hive) {
        return HiveRole::Amcache;
    }
    HiveRole::Other
}

/// The profile a user hive belongs to: the name the hive records for itself
/// (`\??\C:\Users\nfury\ntuser.dat`), else the folder holding an `NTUSER.DAT`, else the file.
fn user_of(path: &Path, scope: &Scope) -> String {
    // The base block's file name field (offset 0x30, 64 bytes): only those bytes are read, not
    // the hive (a hostile "hive" can be gigabytes).
    let recorded = read_head(path, 0x70).and_then(|bytes| {
        let name = bytes.get(0x30..0x70)?;
        let units: Vec<u16> = name
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]]))
            .take_while(|&u| u != 0)
            .collect();
        let text = String::from_utf16_lossy(&units);
        let lower = text.to_ascii_lowercase();
        let at = lower
            .find("\\users\\")
            .map(|i| i + 7)
            .or_else(|| lower.find("\\documents and settings\\").map(|i| i + 24))?;
        text[at..].split('\\').next().map(str::to_string)
    });
    recorded.filter(|u| !u.is_empty()).unwrap_or_else(|| {
        // The profile folder the hive was collected from (`Users\eve\…\UsrClass.dat`).
        let names: Vec<String> = scope
            .ancestors(path)
            .filter_map(crate::discover::decoded_file_name)
            .collect();
        let profile = names.windows(2).find_map(|w| {
            let parent = w[1].to_ascii_lowercase();
            (parent == "users" || parent == "documents and settings").then(|| w[0].clone())
        });
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        match (profile, &name, path.parent().and_then(|p| p.file_name())) {
            (Some(profile), _, _) => profile,
            (None, Some(n), Some(dir)) if n.eq_ignore_ascii_case("ntuser.dat") => {
                dir.to_string_lossy().into_owned()
            }
            _ => name.unwrap_or_default(),
        }
    })
}

/// The first `len` bytes of a file (fewer when it is shorter).
fn read_head(path: &Path, len: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::new();
    konseki_source::open(path)
        .ok()?
        .take(len)
        .read_to_end(&mut head)
        .ok()?;
    Some(head)
}
