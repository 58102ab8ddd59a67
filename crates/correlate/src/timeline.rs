//! Evidence → one timeline of every dated fact, each with the meaning of its time: SCM and
//! Security events, boot markers, changes of the system clock, process starts and ends, task events, service and autostart
//! key writes, logged registry changes, task registrations and launches (TaskCache, task files,
//! `.job`), $MFT times, Prefetch run times and Amcache entries. Sorted by time; the order between equal times is
//! that of the sources.

use std::sync::Arc;

use konseki_model::{ArtifactKind, Evidence, ProcessEventKind, TimeRole, TimelineEntry, Timestamp};

use crate::describe::{event_item, marker_text};
use crate::process_activity::process_text;
use crate::service_groups::in_service_order;
use crate::tasks::event_item as task_event_item;

/// The timeline of `evidence`.
pub fn timeline(evidence: &Evidence) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    push_logged(evidence, &mut out);
    push_service_keys(evidence, &mut out);
    push_autostarts_and_tasks(evidence, &mut out);
    push_files(evidence, &mut out);
    push_execution(evidence, &mut out);
    // A FILETIME of zero is a time never set (an $MFT entry's, a key's): no fact at 1601.
    out.retain(|e| e.time != FILETIME_ZERO);
    out.sort_by_key(|a| a.time);
    out
}

/// FILETIME 0, 1601-01-01T00:00:00Z.
const FILETIME_ZERO: Timestamp = Timestamp::constant(-11_644_473_600, 0);

/// Every logged event konseki read: SCM events, boot markers, clock steps, process starts.
fn push_logged(evidence: &Evidence, out: &mut Vec<TimelineEntry>) {
    for e in in_service_order(&evidence.events) {
        out.push(TimelineEntry {
            time: e.time,
            role: TimeRole::EventLogged,
            artifact: ArtifactKind::EventLog,
            service: Some(e.service.to_string()),
            severity: None,
            summary: event_item(e).summary,
            source: e.source.clone(),
        });
    }
    for m in &evidence.markers {
        let what = marker_text(m.kind);
        out.push(entry(
            m.time,
            TimeRole::EventLogged,
            ArtifactKind::EventLog,
            format!("{what} ({})", m.computer),
            &m.source,
        ));
    }
    for c in &evidence.clock_steps {
        out.push(entry(
            c.time,
            TimeRole::EventLogged,
            ArtifactKind::EventLog,
            format!(
                "{} ({}): records after it carry the new clock",
                crate::clock::step_item(c).summary,
                c.computer
            ),
            &c.source,
        ));
    }
    for p in &evidence.processes {
        let what = match p.kind {
            ProcessEventKind::Created => "process created",
            ProcessEventKind::Exited => "process exited",
        };
        out.push(entry(
            p.time,
            TimeRole::EventLogged,
            ArtifactKind::EventLog,
            format!("{what}: {}", process_text(p)),
            &p.source,
        ));
    }
}

/// Service keys' last-write times.
fn push_service_keys(evidence: &Evidence, out: &mut Vec<TimelineEntry>) {
    for c in &evidence.services {
        if let Some(t) = c.key_last_written {
            out.push(TimelineEntry {
                time: t,
                role: TimeRole::KeyLastWritten,
                artifact: ArtifactKind::Hive,
                service: Some(c.name.clone()),
                severity: None,
                summary: format!("service key {} in {} last written", c.name, c.control_set).into(),
                source: c.source.clone(),
            });
        }
    }
}

/// $MFT times of files in use: $SI creation and modification, $FN creation where it differs.
fn push_files(evidence: &Evidence, out: &mut Vec<TimelineEntry>) {
    for f in evidence.files.iter().filter(|f| f.in_use && !f.is_dir) {
        if let Some(si) = &f.si {
            out.push(entry(
                si.created,
                TimeRole::FileCreated,
                ArtifactKind::Mft,
                format!("{} created ($SI)", f.path),
                &f.source,
            ));
            if si.modified != si.created {
                out.push(entry(
                    si.modified,
                    TimeRole::FileModified,
                    ArtifactKind::Mft,
                    format!("{} modified ($SI)", f.path),
                    &f.source,
                ));
            }
        }
        // $FN creation is listed where it tells something $SI does not.
        if let Some(fname) = f
            .fn_times
            .as_ref()
            .filter(|n| f.si.as_ref().is_none_or(|s| s.created != n.created))
        {
            out.push(entry(
                fname.created,
                TimeRole::FileNameCreated,
                ArtifactKind::Mft,
                format!("{} created ($FN; differs from $SI)", f.path),
                &f.source,
            ));
        }
    }
}

/// Prefetch run times and Amcache entries' last-write times.
fn push_execution(evidence: &Evidence, out: &mut Vec<TimelineEntry>) {
    for pf in &evidence.prefetch {
        for &t in &pf.last_runs {
            out.push(entry(
                t,
                TimeRole::ProgramRun,
                ArtifactKind::Prefetch,
                format!(
                    "{} ran (Prefetch {}-{}.pf, {} run(s) counted)",
                    pf.program_path.as_deref().unwrap_or(&pf.executable),
                    pf.executable,
                    pf.hash,
                    pf.run_count
                ),
                &pf.source,
            ));
        }
    }
    for a in &evidence.amcache {
        if let Some(t) = a.key_last_written {
            out.push(entry(
                t,
                TimeRole::KeyLastWritten,
                ArtifactKind::Hive,
                format!(
                    "Amcache entry for {} last written{}",
                    a.path,
                    a.sha1
                        .as_ref()
                        .map(|h| format!(" (sha1 {h})"))
                        .unwrap_or_default()
                ),
                &a.source,
            ));
        }
    }
}

/// Task events, autostart key writes and logged changes, task registrations and launches.
fn push_autostarts_and_tasks(evidence: &Evidence, out: &mut Vec<TimelineEntry>) {
    for e in &evidence.task_events {
        out.push(TimelineEntry {
            time: e.time,
            role: TimeRole::EventLogged,
            artifact: ArtifactKind::EventLog,
            service: None,
            severity: None,
            summary: task_event_item(e).summary,
            source: e.source.clone(),
        });
    }
    for a in &evidence.autostarts {
        let what = format!("{} `{}` = `{}`", a.location, a.name, a.command);
        if let Some(t) = a.changed_at {
            let by = a.changed_by.as_deref().unwrap_or("changed");
            out.push(entry(
                t,
                TimeRole::EventLogged,
                ArtifactKind::EventLog,
                format!("{what}: {by}"),
                &a.source,
            ));
        } else if let Some(t) = a.key_last_written {
            out.push(entry(
                t,
                TimeRole::KeyLastWritten,
                ArtifactKind::Hive,
                format!("{what}: key last written"),
                &a.source,
            ));
        }
    }
    for c in &evidence.task_cache {
        for (time, role, what) in [
            (c.registered, TimeRole::TaskRegistered, "registered"),
            (c.last_launched, TimeRole::TaskLaunched, "last launched"),
        ] {
            if let Some(t) = time {
                out.push(entry(
                    t,
                    role,
                    ArtifactKind::Hive,
                    format!("task {} {what} (TaskCache DynamicInfo)", c.path),
                    &c.source,
                ));
            }
        }
    }
    for t in &evidence.tasks {
        if let Some(at) = t.date_utc {
            out.push(entry(
                at,
                TimeRole::TaskRegistered,
                ArtifactKind::Task,
                format!(
                    "task {} registered (its <Date>, local time converted)",
                    t.name
                ),
                &t.source,
            ));
        }
        if let Some(at) = t.last_run_utc {
            out.push(entry(
                at,
                TimeRole::TaskLaunched,
                ArtifactKind::Task,
                format!("task {} last run (.job, local time converted)", t.name),
                &t.source,
            ));
        }
    }
}

fn entry(
    time: konseki_model::Timestamp,
    role: TimeRole,
    artifact: ArtifactKind,
    summary: String,
    source: &konseki_model::Provenance,
) -> TimelineEntry {
    TimelineEntry {
        time,
        role,
        artifact,
        service: None,
        severity: None,
        summary: Arc::from(summary),
        source: source.clone(),
    }
}

/// Each row about a service gets that service's severity in `report` (the same host's).
pub fn rank_entries(entries: &mut [TimelineEntry], report: &konseki_model::HostReport) {
    let severity: std::collections::HashMap<String, konseki_model::Severity> = report
        .services
        .iter()
        .map(|s| (s.name.to_lowercase(), s.ranking.severity))
        .collect();
    for entry in entries {
        entry.severity = entry
            .service
            .as_ref()
            .and_then(|name| severity.get(&name.to_lowercase()).copied());
    }
}
