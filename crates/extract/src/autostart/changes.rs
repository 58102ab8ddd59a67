//! Registry changes logged by Sysmon (12/13/14) to autostart locations: each becomes an entry
//! of its location, naming the process that made it — evidence of persistence even when the
//! hive is not in the collection, or the value was removed afterwards.
//!
//! `TargetObject` names the key as the running system sees it, in any of its spellings
//! ([`crate::registry_target`]).

use konseki_model::{AutostartEntry, RegistryEvent};

use super::defs::{Location, Read};
use super::entry;
use crate::image_path::WindowsPaths;
use crate::registry_target::{self, Target};

/// The entries the changes in `events` made to `locations`.
pub fn entries_from_changes(
    events: &[RegistryEvent],
    locations: &[Location],
    paths: &WindowsPaths,
) -> Vec<AutostartEntry> {
    let mut out = Vec::new();
    for e in events {
        let Some(Target {
            hive,
            user,
            key,
            value,
            ..
        }) = registry_target::parse(&e.target)
        else {
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
            let not_default = l.differs_from_default(&value, &command);
            let mut entry = entry(l, name, command, e.source.clone(), paths);
            entry.user = user.clone();
            entry.not_default = not_default;
            entry.times = "the time Sysmon logged the change".into();
            let verb = if e.event_type.is_empty() {
                "changed"
            } else {
                &e.event_type
            };
            let pid = e.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
            entry.changed_by = Some(format!("{verb} by {}{pid}", e.image));
            entry.changed_at = Some(e.time);
            out.push(entry);
        }
    }
    out
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
        Read::SubkeyPathValue(path, name) if same(value, name) => {
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
    fn changes_name_the_entry_of_their_location() {
        assert_eq!(
            entry_name(
                "CLSID",
                &Read::SubkeyPathValue("InprocServer32".into(), String::new()),
                "CLSID\\{x}\\InProcServer32",
                ""
            ),
            Some("{x}\\InprocServer32".into())
        );
    }
}
