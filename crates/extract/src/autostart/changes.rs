//! Registry changes logged by Sysmon (12/13/14) to autostart locations: each becomes an entry
//! of its location, naming the process that made it — evidence of persistence even when the
//! hive is not in the collection, or the value was removed afterwards.
//!
//! `TargetObject` names the key as the running system sees it: `HKLM\SOFTWARE\…`,
//! `HKLM\System\CurrentControlSet\…`, `HKU\<SID>\…`, `HKCU\…`.

use konseki_model::{AutostartEntry, RegistryEvent};

use super::defs::{HiveKind, Location, Read};
use super::program_of;
use crate::image_path::WindowsPaths;

/// The entries the changes in `events` made to `locations`.
pub fn entries_from_changes(
    events: &[RegistryEvent],
    locations: &[Location],
    paths: &WindowsPaths,
) -> Vec<AutostartEntry> {
    let mut out = Vec::new();
    for e in events {
        let Some((hive, user, key, value)) = split_target(&e.target) else {
            continue;
        };
        for l in locations.iter().filter(|l| l.hive == hive) {
            let Some(name) = l
                .keys
                .iter()
                .find_map(|k| entry_name(k, &l.read, &key, &value))
            else {
                continue;
            };
            let command = e.details.clone().unwrap_or_default();
            out.push(AutostartEntry {
                location: l.id.clone(),
                title: l.title.clone(),
                attack: l.attack.clone(),
                user: user.clone(),
                name,
                program: (!l.folder_value)
                    .then(|| program_of(&command, paths))
                    .flatten(),
                not_default: l.differs_from_default(&value, &command),
                command,
                enabled: None,
                key_last_written: None,
                times: "the time Sysmon logged the change".into(),
                changed_by: Some(format!(
                    "{} by {}{}",
                    if e.event_type.is_empty() {
                        "changed"
                    } else {
                        &e.event_type
                    },
                    e.image,
                    e.pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
                )),
                changed_at: Some(e.time),
                file: None,
                shadows: None,
                source: e.source.clone(),
            });
        }
    }
    out
}

/// (hive, user SID, key path in the hive, value name) of a `TargetObject`.
fn split_target(target: &str) -> Option<(HiveKind, Option<String>, String, String)> {
    let upper = target.to_ascii_uppercase();
    let (hive, user, rest) = if let Some(rest) = strip(&upper, target, "HKLM\\SOFTWARE\\") {
        (HiveKind::Software, None, rest.to_string())
    } else if let Some(rest) = strip(&upper, target, "HKLM\\SYSTEM\\") {
        // CurrentControlSet or ControlSetNNN: the definitions say `{ControlSet}`.
        let (_, tail) = rest.split_once('\\')?;
        (HiveKind::System, None, format!("{{ControlSet}}\\{tail}"))
    } else if let Some(rest) = strip(&upper, target, "HKCU\\") {
        (HiveKind::Ntuser, None, rest.to_string())
    } else if let Some(rest) = strip(&upper, target, "HKU\\") {
        let (sid, tail) = rest.split_once('\\')?;
        match sid.to_ascii_uppercase().strip_suffix("_CLASSES") {
            Some(_) => (
                HiveKind::UsrClass,
                Some(sid[..sid.len() - 8].to_string()),
                tail.to_string(),
            ),
            None => (HiveKind::Ntuser, Some(sid.to_string()), tail.to_string()),
        }
    } else {
        return None;
    };
    // HKCU\Software\Classes is the user's UsrClass.dat.
    let (hive, rest) = match (
        hive,
        strip(&rest.to_ascii_uppercase(), &rest, "SOFTWARE\\CLASSES\\"),
    ) {
        (HiveKind::Ntuser, Some(classes)) => (HiveKind::UsrClass, classes.to_string()),
        (hive, _) => (hive, rest),
    };
    let (key, value) = rest.rsplit_once('\\')?;
    Some((hive, user, key.to_string(), value.to_string()))
}

fn strip<'a>(upper: &str, target: &'a str, prefix: &str) -> Option<&'a str> {
    upper.starts_with(prefix).then(|| &target[prefix.len()..])
}

/// The entry name a change to `key`/`value` makes in a location key `template` read by
/// `read`; `None` when the change is not in that location.
fn entry_name(template: &str, read: &Read, key: &str, value: &str) -> Option<String> {
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let parent = key.rsplit_once('\\');
    match read {
        Read::Values if same(key, template) => Some(value.to_string()),
        Read::Named(names) if same(key, template) && names.iter().any(|n| same(n, value)) => {
            Some(value.to_string())
        }
        Read::SubkeyValue(name) if same(value, name) => {
            let (holder, subkey) = parent?;
            same(holder, template).then(|| subkey.to_string())
        }
        Read::SubkeyValues => {
            let (holder, subkey) = parent?;
            same(holder, template).then(|| format!("{subkey}\\{value}"))
        }
        Read::SubkeyPathValue(path, name)
            if same(value, name) || (name.is_empty() && same(value, "(Default)")) =>
        {
            let cut = key.len().checked_sub(path.len())?;
            let (below, tail) = (key.get(..cut)?, key.get(cut..)?);
            if !same(tail, path) {
                return None;
            }
            let (holder, subkey) = below.strip_suffix('\\')?.rsplit_once('\\')?;
            same(holder, template).then(|| format!("{subkey}\\{path}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_hive_key_and_value() {
        assert_eq!(
            split_target("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\evil"),
            Some((
                HiveKind::Software,
                None,
                "Microsoft\\Windows\\CurrentVersion\\Run".into(),
                "evil".into()
            ))
        );
        let (hive, user, key, value) = split_target(
            "HKU\\S-1-5-21-1-2-3-1000\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\Shell",
        )
        .unwrap();
        assert_eq!(
            (hive, user.as_deref()),
            (HiveKind::Ntuser, Some("S-1-5-21-1-2-3-1000"))
        );
        assert_eq!(
            (key.as_str(), value.as_str()),
            (
                "Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
                "Shell"
            )
        );
        assert_eq!(
            split_target("HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\BootExecute")
                .map(|t| t.2),
            Some("{ControlSet}\\Control\\Session Manager".into())
        );
        assert_eq!(
            split_target("HKU\\S-1-5-21-1_Classes\\CLSID\\{x}\\InprocServer32\\(Default)"),
            Some((
                HiveKind::UsrClass,
                Some("S-1-5-21-1".into()),
                "CLSID\\{x}\\InprocServer32".into(),
                "(Default)".into()
            ))
        );
        assert_eq!(
            split_target("HKCU\\Software\\Classes\\CLSID\\{x}\\LocalServer32\\(Default)")
                .map(|t| (t.0, t.2)),
            Some((HiveKind::UsrClass, "CLSID\\{x}\\LocalServer32".into()))
        );
        assert_eq!(
            entry_name(
                "CLSID",
                &Read::SubkeyPathValue("InprocServer32".into(), String::new()),
                "CLSID\\{x}\\InProcServer32",
                "(Default)"
            ),
            Some("{x}\\InprocServer32".into())
        );
    }
}
