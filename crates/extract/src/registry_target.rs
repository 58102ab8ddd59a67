//! A registry path as a running system names it (Sysmon's `TargetObject`), read into the hive
//! it lives in, the key in that hive, and the value.
//!
//! Sysmon writes the same key in several forms, all seen in real logs: `HKLM\SOFTWARE\…`,
//! `HKLM\System\CurrentControlSet\…`, `HKU\<SID>\…`, `HKU\<SID>_Classes\…`, `HKCU\…`, and the
//! kernel's `\REGISTRY\MACHINE\SYSTEM\ControlSet001\…` / `\REGISTRY\USER\<SID>\…`; tools that
//! log registry paths also write `HKEY_LOCAL_MACHINE\…`. The case varies. The unnamed (default)
//! value is the empty name, which logs spell `(Default)`, `{Default}` or leave empty (a
//! trailing `\`). Reference: `docs/windows-facts.md`, "Registry paths as Sysmon logs them".

use crate::autostart::defs::HiveKind;

/// A parsed `TargetObject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The hive.
    pub hive: HiveKind,
    /// The user's SID, for `HKU\<SID>`.
    pub user: Option<String>,
    /// For SYSTEM: the control set named (`CurrentControlSet`, `ControlSet001`).
    pub control_set: Option<String>,
    /// The key in the hive, `\`-separated; SYSTEM keys begin `{ControlSet}\` (as the autostart
    /// definitions write them).
    pub key: String,
    /// The value name; empty for the default value.
    pub value: String,
}

impl Target {
    /// The service a SYSTEM key belongs to (`{ControlSet}\Services\<name>\…`), and the rest of
    /// the key below it (`""`, `Parameters`…).
    pub fn service(&self) -> Option<(&str, &str)> {
        if self.hive != HiveKind::System {
            return None;
        }
        let rest = strip_ci(&self.key, "{ControlSet}\\Services\\")?;
        Some(rest.split_once('\\').unwrap_or((rest, "")))
    }
}

/// The spellings of each root, longest first within a root.
const ROOTS: [(&str, Root); 9] = [
    ("\\REGISTRY\\MACHINE\\", Root::Machine),
    ("HKEY_LOCAL_MACHINE\\", Root::Machine),
    ("HKLM\\", Root::Machine),
    ("\\REGISTRY\\USER\\", Root::Users),
    ("HKEY_USERS\\", Root::Users),
    ("HKU\\", Root::Users),
    ("HKEY_CURRENT_USER\\", Root::CurrentUser),
    ("HKCU\\", Root::CurrentUser),
    ("HKCR\\", Root::Classes),
];

#[derive(Debug, Clone, Copy)]
enum Root {
    Machine,
    Users,
    CurrentUser,
    Classes,
}

/// Reads a `TargetObject`; `None` for a path outside the hives konseki reads (SAM, SECURITY…).
pub fn parse(target: &str) -> Option<Target> {
    let (root, rest) = ROOTS
        .iter()
        .find_map(|(prefix, root)| strip_ci(target, prefix).map(|rest| (*root, rest)))?;
    let (hive, user, control_set, rest) = match root {
        Root::Machine => {
            if let Some(rest) = strip_ci(rest, "SOFTWARE\\") {
                (HiveKind::Software, None, None, rest.to_string())
            } else {
                let rest = strip_ci(rest, "SYSTEM\\")?;
                // CurrentControlSet or ControlSetNNN: the definitions say `{ControlSet}`.
                let (set, tail) = rest.split_once('\\')?;
                let known = set.eq_ignore_ascii_case("CurrentControlSet")
                    || strip_ci(set, "ControlSet")
                        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
                if !known {
                    return None;
                }
                (
                    HiveKind::System,
                    None,
                    Some(set.to_string()),
                    format!("{{ControlSet}}\\{tail}"),
                )
            }
        }
        Root::Users => {
            let (sid, tail) = rest.split_once('\\')?;
            match strip_suffix_ci(sid, "_Classes") {
                Some(sid) => (
                    HiveKind::UsrClass,
                    Some(sid.to_string()),
                    None,
                    tail.to_string(),
                ),
                None => (
                    HiveKind::Ntuser,
                    Some(sid.to_string()),
                    None,
                    tail.to_string(),
                ),
            }
        }
        Root::CurrentUser => (HiveKind::Ntuser, None, None, rest.to_string()),
        // HKCR merges the user's classes over the machine's; as logged, it names the machine's.
        Root::Classes => (HiveKind::Software, None, None, format!("Classes\\{rest}")),
    };
    // HKCU\Software\Classes is the user's UsrClass.dat.
    let (hive, rest) = match (hive, strip_ci(&rest, "SOFTWARE\\CLASSES\\")) {
        (HiveKind::Ntuser, Some(classes)) => (HiveKind::UsrClass, classes.to_string()),
        (hive, _) => (hive, rest),
    };
    let (key, value) = rest.rsplit_once('\\')?;
    let value =
        if value.eq_ignore_ascii_case("(Default)") || value.eq_ignore_ascii_case("{Default}") {
            ""
        } else {
            value
        };
    Some(Target {
        hive,
        user,
        control_set,
        key: key.to_string(),
        value: value.to_string(),
    })
}

/// `text` without `prefix`, compared without regard to ASCII case.
fn strip_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ci<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let at = text.len().checked_sub(suffix.len())?;
    let tail = text.get(at..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_one_service_value_is_the_same_target() {
        for target in [
            "HKLM\\System\\CurrentControlSet\\Services\\evil\\ImagePath",
            "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\evil\\ImagePath",
            "hklm\\system\\controlset002\\services\\evil\\ImagePath",
            "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\evil\\ImagePath",
        ] {
            let t = parse(target).unwrap_or_else(|| panic!("{target}"));
            assert_eq!(t.hive, HiveKind::System, "{target}");
            assert_eq!(t.value, "ImagePath");
            assert_eq!(
                t.service().map(|s| s.0.to_ascii_lowercase()),
                Some("evil".into())
            );
        }
        let dll = parse("HKLM\\System\\CurrentControlSet\\Services\\svc\\Parameters\\ServiceDll")
            .unwrap();
        assert_eq!(dll.service(), Some(("svc", "Parameters")));
        assert_eq!(dll.control_set.as_deref(), Some("CurrentControlSet"));
        assert_eq!(parse("HKLM\\SYSTEM\\Select\\Current"), None);
        assert_eq!(parse("HKLM\\SAM\\SAM\\Domains"), None);
    }

    #[test]
    fn the_default_value_however_spelled_and_every_user_form() {
        let want = (
            HiveKind::UsrClass,
            "CLSID\\{x}\\InprocServer32".to_string(),
            String::new(),
        );
        for target in [
            "HKU\\S-1-5-21-1_Classes\\CLSID\\{x}\\InprocServer32\\(Default)",
            "HKU\\S-1-5-21-1\\Software\\Classes\\CLSID\\{x}\\InprocServer32\\{Default}",
            "\\REGISTRY\\USER\\S-1-5-21-1_CLASSES\\CLSID\\{x}\\InprocServer32\\",
            "HKCU\\Software\\Classes\\CLSID\\{x}\\InprocServer32\\(default)",
        ] {
            let t = parse(target).unwrap_or_else(|| panic!("{target}"));
            assert_eq!((t.hive, t.key, t.value), want.clone(), "{target}");
        }
        let machine =
            parse("HKLM\\SOFTWARE\\Classes\\CLSID\\{x}\\InprocServer32\\(Default)").unwrap();
        assert_eq!(
            (machine.hive, machine.key.as_str()),
            (HiveKind::Software, "Classes\\CLSID\\{x}\\InprocServer32")
        );
        let user = parse(
            "HKU\\S-1-5-21-1-2-3-1000\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Shell",
        )
        .unwrap();
        assert_eq!(
            (user.hive, user.user.as_deref(), user.value.as_str()),
            (HiveKind::Ntuser, Some("S-1-5-21-1-2-3-1000"), "Shell")
        );
    }
}
