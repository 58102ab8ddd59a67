//! Autostart entries other than services (Run keys, Winlogon, IFEO…) → what the evidence says
//! about their programs: Prefetch run times and process starts are execution evidence;
//! Amcache is presence. "No evidence" names the artifacts that were looked at.

use konseki_model::{
    Attention, AutostartEntry, AutostartReport, Evidence, EvidenceItem, Execution, Flag,
    ProcessEventKind,
};

use crate::attention::{interpreter, lolbin_flag, user_writable_place};
use crate::autostart_files::{differing_between_users, file_items, flags as own_flags};
use crate::causality::{earlier_runs_sentence, split_runs, Since};
use crate::describe::record_text;
use crate::execution::ExecutionIndex;

/// Each autostart entry with its verdict.
pub fn autostart_reports(
    evidence: &Evidence,
    execution: &ExecutionIndex<'_>,
) -> Vec<AutostartReport> {
    let present = artifacts_present(evidence);
    // Entries read from hives first; a logged change to the same entry joins it as evidence,
    // one with no entry in the hives stands alone (the hive is absent, or the value was
    // removed since).
    let (read, changed): (Vec<&AutostartEntry>, Vec<&AutostartEntry>) = evidence
        .autostarts
        .iter()
        .partition(|e| e.changed_by.is_none());
    let mut differing = differing_between_users(&read);
    let same = |a: &AutostartEntry, b: &AutostartEntry| {
        a.location == b.location && a.name.eq_ignore_ascii_case(&b.name) && a.command == b.command
    };
    // An entry exists from its earliest logged setting (a value's creation has no time of its
    // own in the hive: the key's last write is the latest write, not the first).
    let since = |entry: &AutostartEntry| {
        Since::earliest(changed.iter().filter(|c| same(c, entry)).filter_map(|c| {
            Some(Since {
                at: c.changed_at?,
                what: format!("set ({})", record_text(&c.source)),
            })
        }))
    };
    let mut reports: Vec<AutostartReport> = read
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let mut r = report(entry, since(entry), execution, &present);
            if let Some(mut flag) = differing.remove(&i) {
                flag.evidence.push(entry_item(entry));
                r.attention.push(flag);
            }
            r
        })
        .collect();
    for change in &changed {
        let item = change_item(change);
        match reports.iter_mut().find(|r| same(&r.entry, change)) {
            Some(r) => {
                r.evidence.push(item);
                r.evidence.sort_by_key(|i| i.time);
            }
            None => {
                let mut r = report(change, since(change), execution, &present);
                r.evidence.push(item);
                r.evidence.sort_by_key(|i| i.time);
                reports.push(r);
            }
        }
    }
    for r in &mut reports {
        r.notable = notable(r);
    }
    reports
}

/// Whether an entry is shown without `--all`: all but a per-user class standing in for a
/// machine key (every OneDrive install registers a dozen COM classes in the profile) whose
/// only flag is its program in the profile. One that overrides a machine registration is
/// flagged so, and shown.
fn notable(r: &AutostartReport) -> bool {
    !(r.entry.stands_in_for.is_some() && r.attention.iter().all(|f| f.id == Flag::ProgramInProfile))
}

/// The logged change as an evidence item.
fn change_item(change: &AutostartEntry) -> EvidenceItem {
    EvidenceItem {
        source: change.source.clone(),
        time: change.changed_at,
        summary: format!(
            "{}: `{}` = `{}` ({})",
            change.location,
            change.name,
            change.command,
            change.changed_by.as_deref().unwrap_or("changed")
        )
        .into(),
    }
}

fn report(
    entry: &AutostartEntry,
    since: Option<Since>,
    execution: &ExecutionIndex<'_>,
    present: &str,
) -> AutostartReport {
    let mut evidence = Vec::new();
    let (mut runs, mut starts, mut earlier) = (Vec::new(), Vec::new(), Vec::new());
    let found = entry
        .program
        .as_deref()
        .map(|program| execution.of_program(program, &[]))
        .unwrap_or_default();
    let shared_host = found.shared_host;
    if entry.program.is_some() && !shared_host {
        let before_runs;
        let before_starts;
        (runs, before_runs) = split_runs(found.prefetch_runs.clone(), since.as_ref());
        (starts, before_starts) = split_runs(found.process_starts.clone(), since.as_ref());
        earlier.extend(before_runs);
        earlier.extend(before_starts);
        evidence.extend(runs.iter().cloned());
        evidence.extend(starts.iter().cloned());
        evidence.extend(earlier.iter().cloned());
        evidence.extend(found.recorded_items());
    }
    evidence.extend(file_items(entry));
    evidence.sort_by_key(|i| i.time);
    let executed = !runs.is_empty() || !starts.is_empty();
    let last = runs.iter().chain(&starts).filter_map(|i| i.time).max();
    let mut summary = if executed {
        format!(
            "executed: {} Prefetch run time(s), {} process start(s){}",
            runs.len(),
            starts.len(),
            last.map(|t| format!(", the last at {t}"))
                .unwrap_or_default()
        )
    } else if shared_host {
        format!(
            "its program ({}) runs for many others: its runs do not show this entry ran",
            entry.program.as_deref().unwrap_or_default()
        )
    } else if entry.program.is_none() {
        "no program to look for".to_string()
    } else if present.is_empty() {
        "no execution artifacts in the evidence (no Prefetch, process events or Amcache): nothing to tell"
            .to_string()
    } else {
        format!("no evidence of execution in the artifacts present ({present})")
    };
    if let Some(sentence) = since
        .as_ref()
        .and_then(|s| earlier_runs_sentence(&earlier, s))
    {
        summary.push_str(&format!(". {sentence}"));
    }
    AutostartReport {
        notable: true, // decided once every flag is in (`notable`)
        ranking: konseki_model::Ranking::default(),
        attention: attention(entry),
        execution: if executed {
            Execution::Executed
        } else {
            Execution::NoEvidence
        },
        summary,
        evidence,
        entry: entry.clone(),
    }
}

/// What execution artifacts the evidence holds, for "no evidence" to be read against.
fn artifacts_present(evidence: &Evidence) -> String {
    let created = evidence
        .processes
        .iter()
        .filter(|p| p.kind == ProcessEventKind::Created)
        .count();
    // One pass, nothing collected: a busy Security log holds hundreds of thousands of starts.
    let span = |times: &mut dyn Iterator<Item = konseki_model::Timestamp>| {
        let bounds = times.fold(None, |bounds, t| match bounds {
            None => Some((t, t)),
            Some((a, b)) => Some((t.min(a), t.max(b))),
        });
        bounds.map_or(String::new(), |(a, b)| format!(" {a} – {b}"))
    };
    let mut parts = Vec::new();
    if !evidence.prefetch.is_empty() {
        let mut runs = evidence
            .prefetch
            .iter()
            .flat_map(|p| p.last_runs.iter().copied());
        parts.push(format!(
            "{} Prefetch file(s), runs{}",
            evidence.prefetch.len(),
            span(&mut runs)
        ));
    }
    if created > 0 {
        parts.push(format!(
            "{created} process start record(s){}",
            span(&mut evidence.processes.iter().map(|p| p.time))
        ));
    }
    if !evidence.amcache.is_empty() {
        parts.push(format!("{} Amcache file entries", evidence.amcache.len()));
    }
    parts.join("; ")
}

/// The entry itself as evidence: its key (or file) and value.
fn entry_item(entry: &AutostartEntry) -> EvidenceItem {
    EvidenceItem {
        source: entry.source.clone(),
        time: entry.key_last_written,
        summary: format!("{} `{}` = `{}`", entry.location, entry.name, entry.command).into(),
    }
}

fn attention(entry: &AutostartEntry) -> Vec<Attention> {
    let item = || entry_item(entry);
    let mut flags = own_flags(entry, &item);
    if let Some(program) = &entry.program {
        let lower = program.to_ascii_lowercase();
        if in_own_profile(entry.user.as_deref(), &lower) {
            flags.push(Attention {
                id: Flag::ProgramInProfile,
                reason: format!(
                    "the program `{program}` lies in the user's own profile: per-user installs (OneDrive, Teams, updaters) live there, and so does malware that needs no administrator rights: check it is what it claims"
                ),
                evidence: vec![item()],
            });
        } else if let Some(place) = user_writable_place(&lower) {
            flags.push(Attention {
                id: Flag::UserWritableProgram,
                reason: format!(
                    "the program `{program}` lies in a user-writable place (`{}`)",
                    place.trim_matches('\\')
                ),
                evidence: vec![item()],
            });
        }
    }
    if entry.changed_by.is_some() && entry.name.is_empty() {
        flags.push(Attention {
            id: Flag::HiddenValueName,
            reason: "the value name is empty as logged: a name starting with a NUL character hides the value from regedit and most tools (a known evasion), unless this is the key's default value".into(),
            evidence: vec![item()],
        });
    }
    if let Some(setter) = entry.changed_by.as_deref() {
        let program = setter.split_once(" by ").map_or(setter, |(_, p)| p);
        if let Some(place) = user_writable_place(&program.to_ascii_lowercase()) {
            flags.push(Attention {
                id: Flag::ChangedByUserWritableProcess,
                reason: format!(
                    "the change was made by a program in a user-writable place (`{}`): {setter}",
                    place.trim_matches('\\')
                ),
                evidence: vec![item()],
            });
        }
    }
    if let Some(shell) = interpreter(&entry.command) {
        let lower = entry.command.to_ascii_lowercase();
        let encoded = [" -enc ", " -encodedcommand ", " -e "]
            .iter()
            .any(|flag| lower.contains(flag));
        flags.push(Attention {
            id: Flag::InterpreterCommand,
            reason: format!(
                "the entry runs a command interpreter (`{shell}`){}",
                if encoded {
                    " with an encoded command: decode it before trusting it"
                } else {
                    ""
                }
            ),
            evidence: vec![item()],
        });
    }
    flags.extend(lolbin_flag(&entry.command, "the entry", vec![item()]));
    flags
}

/// A per-user entry's program in that user's own profile (`…\Users\eve\AppData\Local\…`),
/// outside its temporary and download folders (which stay `user_writable_program`).
fn in_own_profile(user: Option<&str>, lower_program: &str) -> bool {
    let Some(user) = user else {
        return false;
    };
    let profile = format!("\\users\\{}\\appdata\\", user.to_ascii_lowercase());
    lower_program.contains(&profile)
        && !["\\temp\\", "\\tmp\\", "\\downloads\\", "\\inetcache\\"]
            .iter()
            .any(|p| lower_program.contains(p))
}
