//! `konseki explain`: the narrative for one service, as an examiner would write it, with the
//! evidence chain cited item by item.

use std::fmt::Write as _;

use konseki_model::{Provenance, ScanReport, ServiceReport};

use crate::text::clean;

/// The narrative for the service whose key (or display) name is `name` (case-insensitive).
pub fn explain(report: &ScanReport, name: &str) -> Option<String> {
    let s = report.services.iter().find(|s| {
        s.name.eq_ignore_ascii_case(name)
            || s.display_names.iter().any(|d| d.eq_ignore_ascii_case(name))
    })?;
    Some(narrative(s))
}

fn narrative(s: &ServiceReport) -> String {
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
    let _ = writeln!(t, "\nVerdict: {}", s.verdict.summary);
    let _ = writeln!(t, "\nWhy:");
    for line in &s.verdict.rationale {
        let _ = writeln!(t, "  - {}", clean(line, 2000));
    }
    if !s.attention.is_empty() {
        let _ = writeln!(t, "\nAttention:");
        for a in &s.attention {
            let _ = writeln!(t, "  - [{}] {}", a.id, clean(&a.reason, 500));
        }
    }
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
    for item in &s.verdict.evidence {
        let _ = writeln!(
            t,
            "  - {} | {} | {}",
            item.time.map_or("-".to_string(), |x| x.to_string()),
            cite(&item.source),
            clean(&item.summary, 300)
        );
    }
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
