//! Prefetch run times as execution evidence for a service's program.
//!
//! A Prefetch file is matched to a program by executable name (the header keeps 29 characters)
//! and, when the file lists the program's own path among the files it loaded, by that path too
//! (`\VOLUME{…}\WINDOWS\PSEXESVC.EXE` against `C:\Windows\PSEXESVC.EXE`): two programs of the
//! same name in different folders have different Prefetch files. Each kept run time then
//! becomes an evidence item; a run time just after an install (7045/4697) is said to follow it.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use konseki_model::{EvidenceItem, PrefetchEntry, ScmEvent, ScmEventKind};

use crate::describe::record_text;

/// How long after an install a Prefetch run time is said to follow it. PsExec and similar tools
/// start the service at once (the corpus shows 0.016-0.032 s).
const AFTER_INSTALL: SignedDuration = SignedDuration::from_secs(10);

/// The longest executable name a Prefetch header keeps.
const NAME_LIMIT: usize = 29;

/// Prefetch entries by executable name.
pub struct PrefetchIndex<'a> {
    by_name: HashMap<String, Vec<&'a PrefetchEntry>>,
}

impl<'a> PrefetchIndex<'a> {
    /// Indexes `entries`.
    pub fn new(entries: &'a [PrefetchEntry]) -> Self {
        let mut by_name: HashMap<String, Vec<&PrefetchEntry>> = HashMap::new();
        for e in entries {
            by_name
                .entry(e.executable.to_uppercase())
                .or_default()
                .push(e);
        }
        PrefetchIndex { by_name }
    }

    /// The Prefetch files of the program at `path` (a Windows path, drive optional).
    pub fn of_program(&self, path: &str) -> Vec<&'a PrefetchEntry> {
        let name = path.rsplit('\\').next().unwrap_or(path).to_uppercase();
        let key: String = name.chars().take(NAME_LIMIT).collect();
        let Some(candidates) = self.by_name.get(&key) else {
            return Vec::new();
        };
        let wanted = without_drive(path);
        candidates
            .iter()
            .filter(|e| match (&e.program_path, &wanted) {
                (Some(recorded), Some(wanted)) => {
                    without_volume(recorded).eq_ignore_ascii_case(wanted)
                }
                _ => true, // no path to compare: the name decides
            })
            .copied()
            .collect()
    }
}

/// `C:\Windows\X.EXE` → `\Windows\X.EXE`; `None` for a path without a drive.
fn without_drive(path: &str) -> Option<&str> {
    let rest = path.get(2..)?;
    (path.as_bytes().get(1) == Some(&b':') && rest.starts_with('\\')).then_some(rest)
}

/// `\VOLUME{…}\WINDOWS\X.EXE` or `\DEVICE\HARDDISKVOLUME2\WINDOWS\X.EXE` → `\WINDOWS\X.EXE`.
fn without_volume(path: &str) -> &str {
    let upper = path.to_ascii_uppercase();
    let skip = if upper.starts_with("\\VOLUME{") {
        path.find('}').map(|i| i + 1)
    } else if upper.starts_with("\\DEVICE\\") {
        path[8..].find('\\').map(|i| i + 8)
    } else {
        None
    };
    skip.map_or(path, |i| &path[i..])
}

/// The program a service runs, from its configuration or else its install events (resolved at
/// extraction as a registry ImagePath is).
pub fn program_path(configured: Option<&str>, events: &[ScmEvent]) -> Option<String> {
    if let Some(path) = configured {
        return Some(path.to_string());
    }
    events.iter().find_map(|e| match &e.what {
        ScmEventKind::Installed { install } if !install.executable.is_empty() => {
            Some(install.executable.clone())
        }
        _ => None,
    })
}

/// `%SystemRoot%\x`, `%windir%\x` or `\SystemRoot\x` with the evidence's %SystemRoot%.
pub fn expand_system_root(path: &str, system_root: &str) -> String {
    // `\SystemRoot\` keeps its separator in the match, so `\SystemRootX` is left alone.
    ["%SystemRoot%", "%windir%", "\\SystemRoot\\"]
        .iter()
        .find_map(|var| {
            let rest = path.get(var.len()..)?;
            let separator = if var.ends_with('\\') { "\\" } else { "" };
            path.get(..var.len())
                .filter(|p| p.eq_ignore_ascii_case(var))
                .map(|_| format!("{system_root}{separator}{rest}"))
        })
        .unwrap_or_else(|| path.to_string())
}

/// Programs that run on behalf of many others: a run of one says nothing about which task
/// or Run entry started it.
const SHARED_HOSTS: [&str; 16] = [
    "rundll32.exe",
    "cmd.exe",
    "powershell.exe",
    "pwsh.exe",
    "wscript.exe",
    "cscript.exe",
    "mshta.exe",
    "regsvr32.exe",
    "svchost.exe",
    "sc.exe",
    "dllhost.exe",
    "taskhostw.exe",
    "msiexec.exe",
    "wmic.exe",
    "reg.exe",
    "conhost.exe",
];

/// Whether `path` names a shared host program ([`SHARED_HOSTS`]).
pub fn is_shared_host(path: &str) -> bool {
    let name = path
        .rsplit('\\')
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    SHARED_HOSTS.contains(&name.as_str())
}

/// One evidence item per kept run time of `entries`, naming the install it follows, if any.
pub fn run_items(entries: &[&PrefetchEntry], events: &[ScmEvent]) -> Vec<EvidenceItem> {
    let installs: Vec<&ScmEvent> = events
        .iter()
        .filter(|e| matches!(e.what, ScmEventKind::Installed { .. }))
        .collect();
    let mut items = Vec::new();
    for entry in entries {
        let name = format!("{}-{}.pf", entry.executable, entry.hash);
        for &time in &entry.last_runs {
            let after = installs
                .iter()
                .filter(|i| time >= i.time && time.duration_since(i.time) <= AFTER_INSTALL)
                .max_by_key(|i| i.time)
                .map(|i| {
                    format!(
                        ", {:.3} s after the install ({})",
                        time.duration_since(i.time).as_secs_f64(),
                        record_text(&i.source)
                    )
                })
                .unwrap_or_default();
            items.push(EvidenceItem {
                source: entry.source.clone(),
                time: Some(time),
                summary: format!(
                    "Prefetch {name}: {} ran (one of {} run(s) counted){after}",
                    entry.executable, entry.run_count
                )
                .into(),
            });
        }
    }
    items.sort_by_key(|i| i.time);
    items
}

/// Whether `time` lies inside the window from `from` to `to` (either end open).
pub fn inside(time: Timestamp, from: Option<Timestamp>, to: Option<Timestamp>) -> bool {
    from.is_none_or(|f| time >= f) && to.is_none_or(|t| time <= t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_and_drive_prefixes() {
        assert_eq!(
            without_volume("\\VOLUME{01d8346fc7fd3c3c-5a0e7b3a}\\WINDOWS\\PSEXESVC.EXE"),
            "\\WINDOWS\\PSEXESVC.EXE"
        );
        assert_eq!(
            without_volume("\\DEVICE\\HARDDISKVOLUME2\\WINDOWS\\SYSTEM32\\CMD.EXE"),
            "\\WINDOWS\\SYSTEM32\\CMD.EXE"
        );
        assert_eq!(
            without_drive("C:\\Windows\\x.exe"),
            Some("\\Windows\\x.exe")
        );
        assert_eq!(without_drive("x.exe"), None);
    }
}
