//! `konseki explain`: the narrative for one entity (a service, an autostart entry, a scheduled
//! task), as an examiner would write it, with the evidence chain cited item by item.

use std::fmt::Write as _;

use konseki_model::{
    Attention, AutostartReport, EvidenceItem, Provenance, ServiceReport, TaskReport,
};

use crate::text::clean;

/// A service's narrative.
pub(crate) fn narrative(s: &ServiceReport) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "Service `{}`", clean(&s.name, 200));
    if !s.display_names.is_empty() {
        let names: Vec<String> = s.display_names.iter().map(|d| clean(d, 120)).collect();
        let _ = writeln!(t, "  display name(s): {}", names.join(" | "));
    }
    for c in &s.configs {
        let _ = writeln!(
            t,
            "  {}: Start {}, Type {}, ImagePath `{}`, account {}{}",
            clean(&c.control_set, 60),
            c.start.map(|x| x.label()).unwrap_or_else(|| "?".into()),
            c.service_type
                .map(|x| format!("0x{x:x}"))
                .unwrap_or_else(|| "?".into()),
            clean(c.image_path.as_ref().map_or("", |i| i.raw.as_str()), 200),
            clean(c.object_name.as_deref().unwrap_or("?"), 60),
            c.key_last_written
                .map(|w| format!(", key last written {w}"))
                .unwrap_or_default()
        );
        if let Some(fa) = &c.failure_actions {
            let actions: Vec<String> = fa
                .actions
                .iter()
                .map(|a| format!("{:?} after {} ms", a.action, a.delay_ms).to_lowercase())
                .collect();
            let _ = writeln!(
                t,
                "    FailureActions: reset after {}, {}",
                fa.reset_period_s
                    .map_or("never".into(), |r| format!("{r} s")),
                actions.join(", ")
            );
        }
    }
    let _ = writeln!(t, "\nVerdict: {}", clean(&s.verdict.summary, 2000));
    let _ = writeln!(t, "\nWhy:");
    for line in &s.verdict.rationale {
        let _ = writeln!(t, "  - {}", clean(line, 2000));
    }
    attention(&mut t, &s.attention);
    let activity: Vec<_> = s.runs.iter().flat_map(|r| &r.activity).collect();
    if !activity.is_empty() {
        let _ = writeln!(
            t,
            "\nInside the run window(s) ($MFT, process events; correlation in time, not proof of cause):"
        );
        for item in activity {
            let _ = writeln!(
                t,
                "  - {} | {} | {}",
                item.time.map_or("-".to_string(), |x| x.to_string()),
                cite(&item.source),
                clean(&item.summary, 300)
            );
        }
    }
    let _ = writeln!(t, "\nEvidence chain:");
    if s.verdict.evidence_omitted > 0 {
        let _ = writeln!(
            t,
            "  ({} items of the runs in between are listed with each run in the JSON output)",
            s.verdict.evidence_omitted
        );
    }
    items(&mut t, &s.verdict.evidence);
    t
}

/// The flags, each with its reason.
fn attention(t: &mut String, flags: &[Attention]) {
    if !flags.is_empty() {
        let _ = writeln!(t, "\nAttention:");
        for a in flags {
            let _ = writeln!(t, "  - [{}] {}", a.id, clean(&a.reason, 500));
        }
    }
}

/// Evidence items, one line each: time, where to re-check it, what it says.
fn items<'a>(t: &mut String, items: impl IntoIterator<Item = &'a EvidenceItem>) {
    for item in items {
        let _ = writeln!(
            t,
            "  - {} | {} | {}",
            item.time.map_or("-".to_string(), |x| x.to_string()),
            cite(&item.source),
            clean(&item.summary, 300)
        );
    }
}

/// An autostart entry's narrative: where it is, what it runs, who wrote it and when, the
/// verdict on its program, the flags, the evidence.
pub(crate) fn autostart_narrative(a: &AutostartReport) -> String {
    let e = &a.entry;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Autostart entry `{}`: {} ({}, ATT&CK {})",
        clean(&e.name, 200),
        e.title,
        e.location,
        e.attack
    );
    if let Some(user) = &e.user {
        let _ = writeln!(t, "  user: {}", clean(user, 120));
    }
    let _ = writeln!(t, "  runs: `{}`", clean(&e.command, 1000));
    if let Some(program) = &e.program {
        let _ = writeln!(t, "  program: {}", clean(program, 500));
    }
    let _ = writeln!(t, "  read from: {}", cite(&e.source));
    if let Some(written) = e.key_last_written {
        let _ = writeln!(t, "  key last written {written} ({})", e.times);
    }
    if let (Some(by), Some(at)) = (&e.changed_by, e.changed_at) {
        let _ = writeln!(t, "  {} at {at}", clean(by, 300));
    }
    if let Some(file) = &e.file {
        let created = file.si.map(|s| s.created.to_string());
        let _ = writeln!(
            t,
            "  file {}{}{}",
            clean(&file.path, 300),
            created
                .map(|c| format!(", created {c} ($SI)"))
                .unwrap_or_default(),
            if file.in_use { "" } else { ", deleted" }
        );
    }
    for (what, value) in [
        ("differs from Windows' default", &e.not_default),
        ("stands in for the machine's", &e.shadows),
    ] {
        if let Some(value) = value {
            let _ = writeln!(t, "  {what}: `{}`", clean(value, 500));
        }
    }
    if e.enabled == Some(false) {
        let _ = writeln!(t, "  disabled (Task Manager's StartupApproved)");
    }
    let _ = writeln!(t, "\nVerdict: {}", clean(&a.summary, 2000));
    attention(&mut t, &a.attention);
    let _ = writeln!(t, "\nEvidence chain:");
    items(&mut t, &a.evidence);
    t
}

/// A scheduled task's narrative: its definition where it was found (file, TaskCache, logged
/// content), what it runs, the verdict, the flags, the evidence.
pub(crate) fn task_narrative(task: &TaskReport) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Scheduled task `{}`: {}",
        clean(&task.name, 300),
        task.status.label()
    );
    let _ = writeln!(
        t,
        "  runs: {}",
        clean(&konseki_model::actions_line(&task.actions), 1000)
    );
    if let Some(file) = &task.file {
        let _ = writeln!(
            t,
            "  definition: {}{}{}",
            cite(&file.source),
            file.author
                .as_ref()
                .map(|a| format!(", author {}", clean(a, 120)))
                .unwrap_or_default(),
            file.date_local
                .as_ref()
                .map(|d| format!(", dated {} (local time)", clean(d, 60)))
                .unwrap_or_default()
        );
    }
    if let Some(cache) = &task.cache {
        let _ = writeln!(t, "  registered in the TaskCache: {}", cite(&cache.source));
    }
    let _ = writeln!(t, "\nVerdict: {}", clean(&task.summary, 2000));
    attention(&mut t, &task.attention);
    let _ = writeln!(t, "\nEvidence chain:");
    items(&mut t, &task.evidence);
    t
}

/// An evidence path as printed: names inside a collection come from the examined system.
fn shown(file: &std::path::Path) -> String {
    clean(&file.to_string_lossy(), 300)
}

/// Where to re-check an item by hand.
pub(crate) fn cite(source: &Provenance) -> String {
    match source {
        Provenance::EventRecord {
            file,
            record_id,
            event_id,
        } => {
            format!("{} record {record_id} (event {event_id})", shown(file))
        }
        Provenance::MftEntry { file, entry } => format!("{} entry {entry}", shown(file)),
        Provenance::File { file } => format!("{} (file)", shown(file)),
        Provenance::RegistryKey { file, at } => format!(
            "{} key {}{}",
            shown(file),
            clean(&at.key, 200),
            at.value
                .as_ref()
                .map(|v| format!(" value {}", clean(v, 200)))
                .unwrap_or_default()
        ),
    }
}
