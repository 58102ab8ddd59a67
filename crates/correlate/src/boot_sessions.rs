//! Boot markers → boot sessions per host. Windows logs several markers per boot
//! (Kernel-General 12, then 6005 and 6009 some seconds later) and per shutdown (6006, then
//! Kernel-General 13): markers of one kind within [`SAME_MOMENT`] are one boot or shutdown.
//! A boot with no shutdown before the next boot ended uncleanly; a 6008 logged at the next boot
//! says the shutdown was unexpected.
//!
//! Markers are ordered on the host's corrected clock ([`crate::clock`]), not by their logged
//! times: a clock set back would otherwise put a later boot before an earlier one and split one
//! session into phantom ones. A host is all the names its logs record ([`crate::hosts`]): a
//! rename inside a boot does not split it.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use konseki_model::{BootMarker, BootMarkerKind, BootSession, EvidenceItem};

use crate::clock::Clock;
use crate::describe::marker_text;
use crate::hosts::Hosts;

/// Markers of one boot (or one shutdown) lie within this of each other.
const SAME_MOMENT: SignedDuration = SignedDuration::from_secs(120);

/// A marker with its time on the host's corrected clock.
struct Placed<'a> {
    at: Timestamp,
    marker: &'a BootMarker,
}

/// The sessions of every host, in time order.
pub(crate) fn boot_sessions(markers: &[BootMarker], hosts: &Hosts) -> Vec<BootSession> {
    // Hosts by index; a name no log file tied to a host stands alone.
    let mut by_host: BTreeMap<(usize, String), Vec<&BootMarker>> = BTreeMap::new();
    for m in markers {
        let key = match hosts.of(&m.computer) {
            Some(h) => (h, String::new()),
            None => (usize::MAX, m.computer.to_lowercase()),
        };
        by_host.entry(key).or_default().push(m);
    }
    by_host
        .into_iter()
        .flat_map(|((host, _), markers)| {
            let clock = if host == usize::MAX {
                &Clock::default()
            } else {
                hosts.clock(host)
            };
            let mut placed: Vec<Placed<'_>> = markers
                .into_iter()
                .map(|m| Placed {
                    at: clock.place_marker(m.time).at,
                    marker: m,
                })
                .collect();
            placed.sort_by(|a, b| (a.at, &a.marker.source).cmp(&(b.at, &b.marker.source)));
            sessions_of(&placed, clock)
        })
        .collect()
}

/// A session being built: its start and end on the corrected clock, beside the logged ones,
/// and the names its markers were logged under.
struct Open<'a> {
    session: BootSession,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    names: Vec<&'a str>,
    /// The event ids of its boot markers: a second Kernel-General 12 (or 6005) is another boot,
    /// however soon it follows (a machine renamed at its first boot restarts within a minute).
    boot_ids: Vec<u16>,
}

fn sessions_of<'a>(markers: &[Placed<'a>], clock: &Clock) -> Vec<BootSession> {
    let mut walk = Sessions::default();
    for p in markers {
        let (m, at) = (p.marker, p.at);
        let item = item(m);
        match m.kind {
            BootMarkerKind::Boot | BootMarkerKind::BootInfo => walk.boot(m, at, item),
            BootMarkerKind::Shutdown => walk.shutdown(m, at, item),
            BootMarkerKind::UnexpectedShutdown => {
                // Logged at the boot after the crash: it is about the session before.
                let previous = match walk.current.as_mut() {
                    Some(cur) if near(cur.start, at) => walk.done.last_mut(),
                    other => other,
                };
                if let Some(prev) = previous {
                    prev.session.ended_by = "unexpected shutdown".into();
                    prev.session.evidence.push(item);
                }
            }
            BootMarkerKind::ShutdownInitiated | BootMarkerKind::LogCleared => {
                if let Some(cur) = walk.current.as_mut() {
                    cur.session.evidence.push(item);
                }
            }
        }
        if let Some(cur) = walk.current.as_mut() {
            if !cur.names.contains(&&*m.computer) {
                cur.names.push(&m.computer);
            }
        }
    }
    walk.done.extend(walk.current);
    walk.done
        .into_iter()
        .map(|mut o| {
            // A rename inside the session: one host, its names in the order logged.
            o.session.computer = o.names.join(" → ");
            // Steps inside the session: its span is not its clock difference.
            if let Some(start) = o.start {
                let end = o.end.unwrap_or(Timestamp::MAX);
                o.session.clock_steps = clock.steps_between(start, end);
            }
            o.session
        })
        .collect()
}

/// Two markers at most [`SAME_MOMENT`] apart (on the corrected clock) are one moment.
fn near(a: Option<Timestamp>, b: Timestamp) -> bool {
    a.is_some_and(|a| b.duration_since(a).abs() <= SAME_MOMENT)
}

/// The walk over one host's markers: the sessions closed and the one open.
#[derive(Default)]
struct Sessions<'a> {
    done: Vec<Open<'a>>,
    current: Option<Open<'a>>,
}

impl<'a> Sessions<'a> {
    /// A boot marker (`at`: on the corrected clock): another marker of the open session's
    /// boot, or a new session (closing the open one, whose shutdown may not be logged).
    fn boot(&mut self, m: &BootMarker, at: Timestamp, item: EvidenceItem) {
        let id = event_id(m);
        if let Some(cur) = self
            .current
            .as_mut()
            .filter(|c| c.end.is_none() && near(c.start, at) && !c.boot_ids.contains(&id))
        {
            cur.session.evidence.push(item); // another marker of the same boot
            cur.boot_ids.push(id);
            return;
        }
        if let Some(mut cur) = self.current.take() {
            if cur.end.is_none() {
                // A 6008 already said why; else the shutdown simply is not logged.
                if cur.session.ended_by != "unexpected shutdown" {
                    cur.session.ended_by = "no shutdown logged before the next boot".into();
                }
                cur.session.ended_before = Some(m.time);
                cur.end = Some(at);
            }
            self.done.push(cur);
        }
        let mut opened = open(Some((m.time, at)), item);
        opened.boot_ids.push(id);
        self.current = Some(opened);
    }

    /// A shutdown marker: ends the open session, or is another marker of its end, or (the
    /// logs beginning inside a session) ends one whose boot is not in them.
    fn shutdown(&mut self, m: &BootMarker, at: Timestamp, item: EvidenceItem) {
        match self.current.as_mut() {
            Some(cur) if cur.end.is_none() => {
                cur.session.end = Some(m.time);
                cur.end = Some(at);
                cur.session.ended_by = "shutdown".into();
                cur.session.evidence.push(item);
            }
            Some(cur) if near(cur.end, at) => cur.session.evidence.push(item),
            _ => {
                if let Some(cur) = self.current.take() {
                    self.done.push(cur);
                }
                let mut s = open(None, item);
                s.session.end = Some(m.time);
                s.end = Some(at);
                s.session.ended_by = "shutdown".into();
                self.current = Some(s);
            }
        }
    }
}

fn open<'a>(start: Option<(Timestamp, Timestamp)>, item: EvidenceItem) -> Open<'a> {
    Open {
        session: session(start.map(|(logged, _)| logged), item),
        start: start.map(|(_, at)| at),
        end: None,
        names: Vec::new(),
        boot_ids: Vec::new(),
    }
}

fn event_id(m: &BootMarker) -> u16 {
    match m.source {
        konseki_model::Provenance::EventRecord { event_id, .. } => event_id,
        _ => 0,
    }
}

fn session(start: Option<Timestamp>, item: EvidenceItem) -> BootSession {
    BootSession {
        computer: String::new(),
        start,
        end: None,
        ended_by: "still running at the end of the logs".into(),
        ended_before: None,
        evidence: vec![item],
        clock_steps: Vec::new(),
    }
}

fn item(m: &BootMarker) -> EvidenceItem {
    EvidenceItem {
        source: m.source.clone(),
        time: Some(m.time),
        summary: marker_text(m.kind).into(),
    }
}
