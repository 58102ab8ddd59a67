//! Processes started inside a run window (Security 4688, Sysmon 1). A plain program killed at the
//! ServicesPipeTimeout can start a child first; the child keeps running (attacker variant 1 in
//! the brief). Children of the service program are always listed; a child with no exit recorded
//! (4689, Sysmon 5) before the window's end is a survivor. Other processes inside the window are
//! listed too, fewest first dropped, as temporal correlation only.

use std::collections::BTreeSet;
use std::sync::Arc;

use foldhash::HashMap;

use konseki_model::{
    EvidenceItem, ProcessEvent, ProcessEventKind, RunOutcome, RunWindow, TimeBound, Timestamp,
};

/// Unrelated processes listed per window, at most (children are always listed).
const MAX_OTHERS: usize = 20;

/// Process starts sorted by time, and exits by (computer, pid).
pub struct ProcessTimeline<'a> {
    created: Vec<&'a ProcessEvent>,
    /// Starts by the image's lower-cased file name, for finding a program's own processes.
    created_by_name: HashMap<String, Vec<&'a ProcessEvent>>,
    exits: HashMap<(&'a str, u64), Vec<&'a ProcessEvent>>,
}

/// What a window holds.
#[derive(Debug, Default)]
pub struct WindowProcesses {
    /// Evidence items: children first, then other processes.
    pub items: Vec<EvidenceItem>,
    /// Children with no exit recorded before the window ended.
    pub survivors: Vec<EvidenceItem>,
    /// Each survivor's program (lower-cased) and process id: 4688 and Sysmon 1 record the same
    /// process, which is one survivor.
    pub survivor_ids: Vec<(String, Option<u64>)>,
}

impl<'a> ProcessTimeline<'a> {
    /// Indexes `processes` (sorted by time).
    pub fn new(processes: &'a [ProcessEvent]) -> ProcessTimeline<'a> {
        let mut exits: HashMap<(&str, u64), Vec<&ProcessEvent>> = HashMap::default();
        for p in processes
            .iter()
            .filter(|p| p.kind == ProcessEventKind::Exited)
        {
            if let Some(pid) = p.pid {
                exits.entry((&*p.computer, pid)).or_default().push(p);
            }
        }
        let created: Vec<&ProcessEvent> = processes
            .iter()
            .filter(|p| p.kind == ProcessEventKind::Created)
            .collect();
        // A busy log starts the same few programs hundreds of thousands of times, their images
        // shared by the reader: each distinct image is lower-cased once, found by its address
        // (equal texts at two addresses are only lower-cased twice).
        let mut name_of: HashMap<*const u8, String> = HashMap::default();
        let mut created_by_name: HashMap<String, Vec<&ProcessEvent>> = HashMap::default();
        for p in &created {
            let name = name_of
                .entry(Arc::as_ptr(&p.image).cast::<u8>())
                .or_insert_with(|| file_name(&p.image));
            match created_by_name.get_mut(name.as_str()) {
                Some(group) => group.push(p),
                None => {
                    created_by_name.insert(name.clone(), vec![p]);
                }
            }
        }
        ProcessTimeline {
            created,
            created_by_name,
            exits,
        }
    }

    /// The processes created inside `run` on `computers`; `program` is the service's image.
    pub fn inside(
        &self,
        run: &RunWindow,
        program: Option<&str>,
        computers: &BTreeSet<&str>,
    ) -> WindowProcesses {
        let (Some(from), Some(to)) = run.matching_span() else {
            return WindowProcesses::default();
        };
        let first = self.created.partition_point(|p| p.time < from);
        let last = self.created.partition_point(|p| p.time <= to);
        let mut out = WindowProcesses::default();
        let mut others = Vec::new();
        for p in self.created[first..last]
            .iter()
            .filter(|p| computers.contains(&*p.computer))
        {
            let child = program.is_some_and(|prog| {
                p.parent_image
                    .as_deref()
                    .is_some_and(|parent| same_program(parent, prog))
            });
            let itself = program.is_some_and(|prog| same_program(&p.image, prog));
            if itself {
                continue; // the run's own process, cited by the run when it is one
            }
            if !child {
                others.push(p);
                continue;
            }
            out.items
                .push(item(p, "started by the service program", to));
            let exited_in_time = p.pid.is_some_and(|pid| {
                self.exits
                    .get(&(&*p.computer, pid))
                    .is_some_and(|exits| exits.iter().any(|e| e.time >= p.time && e.time <= to))
            });
            if !exited_in_time {
                out.survivor_ids.push((p.image.to_lowercase(), p.pid));
                out.survivors.push(item(
                    p,
                    &format!("started by the service program; no exit recorded by {to}: it outlived the window"),
                    to,
                ));
            }
        }
        // Only the last few are cited: their lines are written for those alone (a window of
        // hours can hold thousands of process starts).
        let keep = others.len().saturating_sub(MAX_OTHERS);
        out.items.extend(
            others[keep..]
                .iter()
                .map(|p| item(p, "started inside the window", to)),
        );
        out
    }
}

impl<'a> ProcessTimeline<'a> {
    /// Runs of the service program seen as processes of its own (4688 / Sysmon 1, ended by its
    /// 4689 / Sysmon 5), for starts outside the SCM's run windows: a service started by a
    /// remote tool (PsExec) or whose SCM events are gone still leaves them. The same process
    /// recorded by both Security and Sysmon (same pid, starts within 2 s) is one run.
    pub fn program_runs(
        &self,
        program: &str,
        computers: &BTreeSet<&str>,
        scm_runs: &[RunWindow],
    ) -> Vec<RunWindow> {
        let covered = |t: Timestamp| {
            scm_runs.iter().any(|r| {
                r.start.earliest().is_none_or(|s| t >= s) && r.end.latest().is_none_or(|e| t <= e)
            })
        };
        let mut runs: Vec<(&ProcessEvent, Vec<&ProcessEvent>)> = Vec::new();
        let candidates = self
            .created_by_name
            .get(&file_name(program))
            .map_or(&[][..], Vec::as_slice);
        for p in candidates.iter().filter(|p| {
            same_program(&p.image, program)
                && (computers.is_empty() || computers.contains(&*p.computer))
                && !covered(p.time)
        }) {
            let same = runs.iter_mut().find(|(first, _)| {
                first.pid == p.pid
                    && first.computer == p.computer
                    && p.time.duration_since(first.time).abs() <= jiff::SignedDuration::from_secs(2)
            });
            match same {
                Some((_, also)) => also.push(p),
                None => runs.push((p, Vec::new())),
            }
        }
        runs.into_iter()
            .map(|(first, also)| {
                let exit = first.pid.and_then(|pid| {
                    self.exits
                        .get(&(&*first.computer, pid))?
                        .iter()
                        .filter(|e| e.time >= first.time)
                        .min_by_key(|e| e.time)
                        .copied()
                });
                let mut evidence: Vec<EvidenceItem> = std::iter::once(first)
                    .chain(also)
                    .map(|p| own_item(p, "created"))
                    .collect();
                let (end, outcome) = match exit {
                    Some(e) => {
                        evidence.push(own_item(e, "exited"));
                        (TimeBound::Exact { at: e.time }, RunOutcome::ProcessExited)
                    }
                    None => (
                        TimeBound::NotBefore { from: first.time },
                        RunOutcome::EndNotRecorded,
                    ),
                };
                RunWindow {
                    start: TimeBound::Exact { at: first.time },
                    max_duration_ms: exit.map(|e| {
                        u64::try_from(e.time.duration_since(first.time).as_millis()).unwrap_or(0)
                    }),
                    end,
                    outcome,
                    evidence,
                    activity: Vec::new(),
                    clock_steps: Vec::new(),
                    clock_span: None,
                }
            })
            .collect()
    }
}

impl ProcessTimeline<'_> {
    /// Every recorded start of `program` (4688 / Sysmon 1), one item each.
    pub fn starts_of(&self, program: &str) -> Vec<EvidenceItem> {
        self.created_by_name
            .get(&file_name(program))
            .into_iter()
            .flatten()
            .filter(|p| same_program(&p.image, program))
            .map(|p| EvidenceItem {
                source: p.source.clone(),
                time: Some(p.time),
                summary: format!("process created: {}", process_text(p)).into(),
            })
            .collect()
    }
}

fn own_item(p: &ProcessEvent, what: &str) -> EvidenceItem {
    EvidenceItem {
        source: p.source.clone(),
        time: Some(p.time),
        summary: format!(
            "the service program's own process {}{} {what}{}",
            p.image,
            p.pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
            p.parent_image
                .as_ref()
                .map(|parent| format!(", parent {parent}"))
                .unwrap_or_default(),
        )
        .into(),
    }
}

fn item(p: &ProcessEvent, what: &str, end: Timestamp) -> EvidenceItem {
    EvidenceItem {
        source: p.source.clone(),
        time: Some(p.time),
        summary: format!(
            "process {}{}{} {what}{}, {:.3} s before the run window's end",
            p.image,
            p.pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
            p.command_line
                .as_ref()
                .map(|c| format!(" `{c}`"))
                .unwrap_or_default(),
            p.parent_image
                .as_ref()
                .map(|parent| format!(", parent {parent}"))
                .unwrap_or_default(),
            end.duration_since(p.time).as_secs_f64()
        )
        .into(),
    }
}

/// `IMAGE (pid N) `COMMAND LINE``: a process as the timeline and the items name it.
pub(crate) fn process_text(p: &ProcessEvent) -> String {
    format!(
        "{}{}{}",
        p.image,
        p.pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
        p.command_line
            .as_ref()
            .map(|c| format!(" `{c}`"))
            .unwrap_or_default()
    )
}

/// Full paths compared case-insensitively; a bare program name matches any path's file name.
fn same_program(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || ((!a.contains('\\') || !b.contains('\\')) && file_name(a) == file_name(b))
}

/// The lower-cased file name of a Windows path.
fn file_name(path: &str) -> String {
    path.rsplit('\\')
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use konseki_model::Provenance;

    use super::*;

    fn started(second: i64, record: u64, image: &str, parent: &str) -> ProcessEvent {
        ProcessEvent {
            kind: ProcessEventKind::Created,
            time: Timestamp::from_second(1_600_000_000 + second).unwrap(),
            image: image.into(),
            command_line: None,
            pid: Some(record),
            parent_pid: None,
            parent_image: Some(parent.into()),
            computer: "HOST".into(),
            source: Provenance::EventRecord {
                file: Arc::from(Path::new("Security.evtx")),
                record_id: record,
                event_id: 4688,
            },
        }
    }

    /// A window holding many unrelated process starts cites the child of the service program
    /// first, then only the latest `MAX_OTHERS` others, in time order.
    #[test]
    fn a_busy_window_cites_the_child_and_the_latest_others() {
        let mut processes: Vec<ProcessEvent> = (0..30)
            .map(|i| {
                started(
                    i,
                    i as u64,
                    "C:\\Windows\\x.exe",
                    "C:\\Windows\\services.exe",
                )
            })
            .collect();
        processes.push(started(5, 100, "C:\\tmp\\child.exe", "C:\\tmp\\svc.exe"));
        processes.sort_by_key(|p| p.time);
        let timeline = ProcessTimeline::new(&processes);
        let at = |s: i64| Timestamp::from_second(1_600_000_000 + s).unwrap();
        let run = RunWindow {
            start: TimeBound::Exact { at: at(0) },
            end: TimeBound::Exact { at: at(40) },
            max_duration_ms: Some(40_000),
            outcome: RunOutcome::TimedOut { timeout_ms: None },
            evidence: Vec::new(),
            activity: Vec::new(),
            clock_steps: Vec::new(),
            clock_span: None,
        };
        let computers = BTreeSet::from(["HOST"]);
        let found = timeline.inside(&run, Some("C:\\tmp\\svc.exe"), &computers);
        let records: Vec<u64> = found
            .items
            .iter()
            .map(|i| match &i.source {
                Provenance::EventRecord { record_id, .. } => *record_id,
                _ => unreachable!(),
            })
            .collect();
        let latest: Vec<u64> = (10..30).collect();
        assert_eq!(records[0], 100, "the child first");
        assert_eq!(
            records[1..],
            latest[..],
            "then the latest {MAX_OTHERS} others"
        );
        assert!(found.items[1].summary.contains("started inside the window"));
        assert_eq!(found.survivors.len(), 1, "the child has no exit");
    }

    #[test]
    fn program_names_match_like_windows_paths() {
        assert!(same_program(
            "C:\\tmp\\TestWriteFile.exe",
            "c:\\TMP\\testwritefile.exe"
        ));
        assert!(same_program(
            "TestWriteFile.exe",
            "C:\\tmp\\TestWriteFile.exe"
        ));
        assert!(!same_program(
            "C:\\other\\TestWriteFile.exe",
            "C:\\tmp\\TestWriteFile.exe"
        ));
    }
}
