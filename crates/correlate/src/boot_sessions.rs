//! Boot markers → boot sessions per computer. Windows logs several markers per boot
//! (Kernel-General 12, then 6005 and 6009 some seconds later) and per shutdown (6006, then
//! Kernel-General 13): markers of one kind within [`SAME_MOMENT`] are one boot or shutdown.
//! A boot with no shutdown before the next boot ended uncleanly; a 6008 logged at the next boot
//! says the shutdown was unexpected.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use konseki_model::{BootMarker, BootMarkerKind, BootSession, EvidenceItem};

use crate::describe::marker_text;

/// Markers of one boot (or one shutdown) lie within this of each other.
const SAME_MOMENT: SignedDuration = SignedDuration::from_secs(120);

/// The sessions of every computer, in time order.
pub fn boot_sessions(markers: &[BootMarker]) -> Vec<BootSession> {
    let mut by_computer: BTreeMap<&str, Vec<&BootMarker>> = BTreeMap::new();
    for m in markers {
        by_computer.entry(&m.computer).or_default().push(m);
    }
    by_computer
        .into_iter()
        .flat_map(|(computer, mut markers)| {
            markers.sort_by_key(|m| m.time);
            sessions_of(computer, &markers)
        })
        .collect()
}

fn sessions_of(computer: &str, markers: &[&BootMarker]) -> Vec<BootSession> {
    let mut done: Vec<BootSession> = Vec::new();
    let mut current: Option<BootSession> = None;
    let near = |a: Option<konseki_model::Timestamp>, b: konseki_model::Timestamp| {
        a.is_some_and(|a| b.duration_since(a).abs() <= SAME_MOMENT)
    };
    for m in markers {
        let item = item(m);
        match m.kind {
            BootMarkerKind::Boot | BootMarkerKind::BootInfo => {
                if let Some(cur) = current
                    .as_mut()
                    .filter(|c| c.end.is_none() && near(c.start, m.time))
                {
                    cur.evidence.push(item); // another marker of the same boot
                    continue;
                }
                if let Some(mut cur) = current.take() {
                    if cur.end.is_none() {
                        // A 6008 already said why; else the shutdown simply is not logged.
                        if cur.ended_by != "unexpected shutdown" {
                            cur.ended_by = "no shutdown logged before the next boot".into();
                        }
                        cur.ended_before = Some(m.time);
                    }
                    done.push(cur);
                }
                current = Some(session(computer, Some(m.time), item));
            }
            BootMarkerKind::Shutdown => match current.as_mut() {
                Some(cur) if cur.end.is_none() => {
                    cur.end = Some(m.time);
                    cur.ended_by = "shutdown".into();
                    cur.evidence.push(item);
                }
                Some(cur) if near(cur.end, m.time) => cur.evidence.push(item),
                _ => {
                    // The logs begin inside this session: its boot is not in them.
                    if let Some(cur) = current.take() {
                        done.push(cur);
                    }
                    let mut s = session(computer, None, item);
                    s.end = Some(m.time);
                    s.ended_by = "shutdown".into();
                    current = Some(s);
                }
            },
            BootMarkerKind::UnexpectedShutdown => {
                // Logged at the boot after the crash: it is about the session before.
                let previous = match current.as_mut() {
                    Some(cur) if near(cur.start, m.time) => done.last_mut(),
                    other => other,
                };
                if let Some(prev) = previous {
                    prev.ended_by = "unexpected shutdown".into();
                    prev.evidence.push(item);
                }
            }
            BootMarkerKind::ShutdownInitiated | BootMarkerKind::LogCleared => {
                if let Some(cur) = current.as_mut() {
                    cur.evidence.push(item);
                }
            }
        }
    }
    if let Some(cur) = current {
        done.push(cur);
    }
    done
}

fn session(
    computer: &str,
    start: Option<konseki_model::Timestamp>,
    item: EvidenceItem,
) -> BootSession {
    BootSession {
        computer: computer.to_string(),
        start,
        end: None,
        ended_by: "still running at the end of the logs".into(),
        ended_before: None,
        evidence: vec![item],
    }
}

fn item(m: &BootMarker) -> EvidenceItem {
    EvidenceItem {
        source: m.source.clone(),
        time: Some(m.time),
        summary: marker_text(m.kind).into(),
    }
}
