//! SCM events and boot markers → the runs of one service's program.
//!
//! Rules, each with its source:
//! - 7009 means the SCM created the process and waited up to param1 ms for it to connect
//!   (technet cc756342). The program ran from its creation until at most the 7009 time. 7009 is
//!   logged when the wait ends: at the timeout, or earlier when the process exits without
//!   connecting (`docs/windows-facts.md`, "When 7009 comes": 0.02–0.55 s after the 7045 in every public sample), so
//!   the start lies in `[max(7009 − param1, install, boot), 7009]`, never "7045 + 30 s".
//! - 7000 `%%1053` beside a 7009 is the same failed start; alone, it still means the process was
//!   created and did not answer in time. 7000 with a file/format/logon error means no process.
//! - 7036 running opens a run; 7036 stopped, 7031/7034 crash, 7023/7024 and a shutdown end it.
//! - A run after a 7031 whose corrective action is a restart counts as a restart. Restarts are
//!   concluded from events only, never from the FailureActions configuration (`docs/windows-facts.md`, "Recovery after a start timeout").

use konseki_model::{
    BootMarker, BootMarkerKind, EvidenceItem, Provenance, RunOutcome, RunWindow, ScmEvent,
    ScmEventKind, TimeBound, Timestamp,
};

use crate::clock::Clock;
use crate::describe::{error_means_not_executed, event_item};

/// A 7000 within this distance of a 7009 belongs to the same start attempt (they share a
/// timestamp in every real sample).
const SAME_ATTEMPT_MS: i128 = 2_000;

/// The reconstructed lifecycle of one service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// Its runs, in time order.
    pub runs: Vec<RunWindow>,
    /// Start attempts that show the image did not run.
    pub failed_starts: Vec<EvidenceItem>,
    /// Runs that began after a crash with a restart action.
    pub restarts: usize,
}

/// Rebuilds the runs of one service from its events, the boot markers of its host, the
/// ServicesPipeTimeout in force, and the end of what the logs cover.
///
/// Everything is ordered and measured on the host's corrected clock ([`Clock`]): a run that
/// spans a step of the clock is as long as the time that passed, not as the clock difference.
/// The runs come out with their bounds as the host's clock showed them (as logged), the steps
/// inside each cited, and the span of clock times each covered.
pub fn lifecycle(
    events: &[&ScmEvent],
    markers: &[BootMarker],
    pipe_timeout_ms: u64,
    log_end: Option<Timestamp>,
    clock: &Clock,
) -> Lifecycle {
    // Events and markers in the order they happened: on the corrected clock, then by record.
    let mut entries: Vec<(Timestamp, Entry<'_>)> = events
        .iter()
        .map(|e| (clock.place_event(e.time, &e.source).at, Entry::Event(e)))
        .chain(
            markers
                .iter()
                .map(|m| (clock.place_marker(m.time).at, Entry::Marker(m))),
        )
        .collect();
    entries.sort_by(|(a, x), (b, y)| {
        (a, x.is_event(), x.source()).cmp(&(b, y.is_event(), y.source()))
    });
    let mut state = State::default();
    let last_event = entries.iter().rposition(|(_, e)| e.is_event());
    for (i, (at, entry)) in entries.into_iter().enumerate() {
        match entry {
            Entry::Event(e) => state.event(e, at, pipe_timeout_ms),
            // Markers after the last event still end an open run (shutdown while it ran).
            Entry::Marker(m) if last_event.is_none_or(|l| i < l) || state.open.is_some() => {
                state.marker(m, at)
            }
            Entry::Marker(_) => {}
        }
    }
    // The end of the logs, on the last segment's clock (the newest record lies there).
    let end = log_end.map(|t| clock.place(t, Some(u64::MAX)).at);
    let mut life = state.finish(end);
    for run in &mut life.runs {
        as_logged(run, clock);
    }
    life
}

/// An event or a marker, in one order.
#[derive(Clone, Copy)]
enum Entry<'a> {
    Event(&'a ScmEvent),
    Marker(&'a BootMarker),
}

impl Entry<'_> {
    fn source(&self) -> &Provenance {
        match self {
            Entry::Event(e) => &e.source,
            Entry::Marker(m) => &m.source,
        }
    }

    /// Markers first at one instant: a boot precedes the events it starts.
    fn is_event(&self) -> bool {
        matches!(self, Entry::Event(_))
    }
}

/// A run's bounds, built on the corrected clock, as the host's clock showed them; the steps
/// inside it cited, and the clock times it covered kept for matching files and processes.
fn as_logged(run: &mut RunWindow, clock: &Clock) {
    if clock.is_steady() {
        return;
    }
    let (from, to) = (run.start.earliest(), run.end.latest());
    run.clock_steps =
        clock.steps_between(from.unwrap_or(Timestamp::MIN), to.unwrap_or(Timestamp::MAX));
    if !run.clock_steps.is_empty() {
        run.clock_span = clock.shown_between(from, to);
    }
    run.start = logged_bound(run.start, clock);
    run.end = logged_bound(run.end, clock);
}

fn logged_bound(bound: TimeBound, clock: &Clock) -> TimeBound {
    let shown = |t| clock.as_logged(t);
    match bound {
        TimeBound::Exact { at } => TimeBound::Exact { at: shown(at) },
        TimeBound::Range { from, to } => TimeBound::Range {
            from: shown(from),
            to: shown(to),
        },
        TimeBound::NotBefore { from } => TimeBound::NotBefore { from: shown(from) },
        TimeBound::NotAfter { to } => TimeBound::NotAfter { to: shown(to) },
    }
}

#[derive(Default)]
struct State {
    out: Lifecycle,
    /// The earliest a new run can have started: the latest install, boot, or run end.
    lower_bound: Option<Timestamp>,
    /// The boot or install that set `lower_bound`, cited when it bounds a run's start.
    bound_source: Option<EvidenceItem>,
    open: Option<OpenRun>,
    restart_pending: bool,
    /// The last run came from a 7009, and a 7000 may still join it.
    joinable_timeout: Option<Timestamp>,
}

struct OpenRun {
    start: TimeBound,
    seen_until: Timestamp,
    evidence: Vec<EvidenceItem>,
}

impl State {
    fn marker(&mut self, marker: &BootMarker, at: Timestamp) {
        let item = || EvidenceItem {
            source: marker.source.clone(),
            time: Some(marker.time),
            summary: match marker.kind {
                BootMarkerKind::Boot => {
                    "system boot: no service of this boot started earlier".into()
                }
                _ => "system shutdown".into(),
            },
        };
        match marker.kind {
            // 1074 only announces a shutdown; the run ends at the 6006/13 that follows.
            BootMarkerKind::Shutdown => {
                self.close(TimeBound::Exact { at }, RunOutcome::SystemShutdown, item());
            }
            BootMarkerKind::Boot => {
                if let Some(open) = &self.open {
                    // No shutdown marker: it ended some time before this boot.
                    let end = TimeBound::Range {
                        from: open.seen_until,
                        to: at,
                    };
                    self.close(end, RunOutcome::SystemShutdown, item());
                }
                self.lower_bound = Some(at);
                self.bound_source = Some(item());
                self.restart_pending = false;
            }
            _ => {}
        }
    }

    fn event(&mut self, event: &ScmEvent, t: Timestamp, pipe_timeout_ms: u64) {
        let item = event_item(event);
        match &event.what {
            ScmEventKind::Installed { .. } => {
                self.lower_bound = Some(t);
                self.bound_source = Some(item.clone());
            }
            ScmEventKind::ConnectTimeout { timeout_ms } => {
                self.timed_out_run(t, timeout_ms.unwrap_or(pipe_timeout_ms), *timeout_ms, item);
                self.joinable_timeout = Some(t);
                return;
            }
            ScmEventKind::StartFailed { error } => {
                let joins = self
                    .joinable_timeout
                    .is_some_and(|t0| t.duration_since(t0).as_millis().abs() <= SAME_ATTEMPT_MS);
                if joins {
                    if let Some(run) = self.out.runs.last_mut() {
                        run.evidence.push(item);
                    }
                } else if error.trim() == "%%1053" {
                    self.timed_out_run(t, pipe_timeout_ms, None, item);
                } else {
                    // A failed attempt, not a run: no evidence the image executed. Some errors
                    // say outright that no process was created.
                    let mut item = item;
                    if error_means_not_executed(error) {
                        item.summary =
                            format!("{}: the process was never created", item.summary).into();
                    }
                    self.out.failed_starts.push(item);
                }
            }
            ScmEventKind::StateChanged { state } if state == "running" => match &mut self.open {
                Some(open) => {
                    open.evidence.push(item);
                    open.seen_until = t;
                }
                None => self.open_run(t, item),
            },
            ScmEventKind::StateChanged { state } if state == "stopped" => {
                self.ensure_open(t);
                self.close(TimeBound::Exact { at: t }, RunOutcome::Stopped, item);
            }
            ScmEventKind::Crashed { action, .. } => {
                self.ensure_open(t);
                let restart = event.data.get("param4").is_some_and(|a| a.trim() == "1")
                    || action
                        .as_deref()
                        .is_some_and(|a| a.to_ascii_lowercase().contains("restart"));
                self.close(
                    TimeBound::Exact { at: t },
                    RunOutcome::Crashed {
                        corrective_action: action.clone(),
                    },
                    item,
                );
                self.restart_pending = restart;
            }
            ScmEventKind::TerminatedWithError { error } => {
                self.ensure_open(t);
                self.close(
                    TimeBound::Exact { at: t },
                    RunOutcome::TerminatedWithError {
                        error: error.clone(),
                    },
                    item,
                );
            }
            _ => {
                if let Some(open) = &mut self.open {
                    open.evidence.push(item);
                }
            }
        }
        self.joinable_timeout = None;
    }

    /// A 7009 (or lone 7000 %%1053): the process ran from creation until at most `t`.
    fn timed_out_run(
        &mut self,
        t: Timestamp,
        wait_ms: u64,
        logged_ms: Option<u64>,
        item: EvidenceItem,
    ) {
        let mut evidence = self.open.take().map(|o| o.evidence).unwrap_or_default();
        let (from, bound) = self.earliest_start(t, wait_ms);
        evidence.extend(bound);
        evidence.push(item);
        self.push_run(RunWindow {
            start: TimeBound::Range { from, to: t },
            end: TimeBound::Exact { at: t },
            max_duration_ms: Some(millis_between(from, t)),
            outcome: RunOutcome::TimedOut {
                timeout_ms: logged_ms,
            },
            evidence,
            activity: Vec::new(),
            clock_steps: Vec::new(),
            clock_span: None,
        });
        self.set_bound_to_run_end(t);
    }

    /// A 7036 "running" with no run open. The pipe timeout bounds only how long a process may
    /// take to connect, not how long the service may stay start-pending before it reports
    /// running (wait hints extend that): the start is bounded by the latest boot, install or
    /// run end, and is unknown without one.
    fn open_run(&mut self, t: Timestamp, item: EvidenceItem) {
        let (start, bound) = match self.lower_bound {
            Some(from) if from <= t => {
                (TimeBound::Range { from, to: t }, self.bound_source.clone())
            }
            _ => (TimeBound::NotAfter { to: t }, None),
        };
        let mut evidence: Vec<EvidenceItem> = bound.into_iter().collect();
        evidence.push(item);
        self.open = Some(OpenRun {
            start,
            seen_until: t,
            evidence,
        });
    }

    /// A stop or crash with no start in the logs: it ran before `t`, since the latest bound.
    fn ensure_open(&mut self, t: Timestamp) {
        if self.open.is_none() {
            // Without a boot, install or earlier run in the logs, the start is unknown: it may
            // lie before the logs begin.
            let start = match self.lower_bound {
                Some(from) => TimeBound::Range { from, to: t },
                None => TimeBound::NotAfter { to: t },
            };
            self.open = Some(OpenRun {
                start,
                seen_until: t,
                evidence: self.bound_source.iter().cloned().collect(),
            });
        }
    }

    /// The earliest a process that was given `wait_ms` to connect at `t` can have started, and
    /// the boot or install that bounds it when that is later than `t - wait_ms`.
    fn earliest_start(&self, t: Timestamp, wait_ms: u64) -> (Timestamp, Option<EvidenceItem>) {
        let by_timeout = t
            .checked_sub(jiff::SignedDuration::from_millis(wait_ms as i64))
            .unwrap_or(t);
        match self.lower_bound {
            Some(bound) if bound >= by_timeout && bound <= t => (bound, self.bound_source.clone()),
            _ => (by_timeout, None),
        }
    }

    /// After a run ends, the next one starts no earlier; no boot or install is cited for it.
    fn set_bound_to_run_end(&mut self, t: Timestamp) {
        self.lower_bound = Some(t);
        self.bound_source = None;
    }

    fn close(&mut self, end: TimeBound, outcome: RunOutcome, item: EvidenceItem) {
        let Some(mut open) = self.open.take() else {
            return;
        };
        open.evidence.push(item);
        // Kept until the report is written: no spare capacity per run (a case has 100k runs).
        open.evidence.shrink_to_fit();
        let max_duration_ms = match (open.start.earliest(), end.latest()) {
            (Some(from), Some(to)) => Some(millis_between(from, to)),
            _ => None,
        };
        if let Some(latest) = end.latest() {
            self.set_bound_to_run_end(latest);
        }
        self.push_run(RunWindow {
            start: open.start,
            end,
            max_duration_ms,
            outcome,
            evidence: open.evidence,
            activity: Vec::new(),
            clock_steps: Vec::new(),
            clock_span: None,
        });
    }

    fn push_run(&mut self, run: RunWindow) {
        if self.restart_pending {
            self.out.restarts += 1;
            self.restart_pending = false;
        }
        self.out.runs.push(run);
    }

    fn finish(mut self, log_end: Option<Timestamp>) -> Lifecycle {
        if let Some(open) = self.open.take() {
            let from = log_end.map_or(open.seen_until, |end| end.max(open.seen_until));
            self.push_run(RunWindow {
                start: open.start,
                end: TimeBound::NotBefore { from },
                max_duration_ms: None,
                outcome: RunOutcome::StillRunning,
                evidence: open.evidence,
                activity: Vec::new(),
                clock_steps: Vec::new(),
                clock_span: None,
            });
        }
        self.out
    }
}

/// Whole milliseconds from `from` to `to`, rounded up: these are upper bounds.
fn millis_between(from: Timestamp, to: Timestamp) -> u64 {
    let nanos = u128::try_from(to.duration_since(from).as_nanos()).unwrap_or(0);
    u64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use konseki_model::BootMarkerKind::{Boot, Shutdown};

    use super::*;
    use crate::fixtures::*;

    fn rebuild(events: &[ScmEvent], markers: &[BootMarker]) -> Lifecycle {
        let refs: Vec<&ScmEvent> = events.iter().collect();
        lifecycle(&refs, markers, 30_000, None, &Clock::default())
    }

    fn bounds(run: &RunWindow) -> (Option<Timestamp>, Option<Timestamp>, Option<u64>) {
        (run.start.earliest(), run.end.latest(), run.max_duration_ms)
    }

    /// A 7009 0.44 s after its install: the run lies between them (the install bounds the
    /// start, not 7009 − 30 s), and a 7000 at the same instant joins it.
    #[test]
    fn a_timeout_soon_after_the_install_is_bounded_by_the_install() {
        let events = [
            installed(0.0, 1, "C:\\x.exe"),
            timed_out(0.44, 2, 30_000),
            start_failed(0.44, 3, "%%1053"),
        ];
        let life = rebuild(&events, &[]);
        assert_eq!(life.runs.len(), 1);
        assert_eq!(
            bounds(&life.runs[0]),
            (Some(at(0.0)), Some(at(0.44)), Some(440))
        );
        assert_eq!(
            life.runs[0].evidence.len(),
            3,
            "install, 7009 and 7000 cited"
        );
        assert!(life.failed_starts.is_empty());
    }

    /// A 7009 with no install or boot before it: the process can have started as early as the
    /// wait allows before it, and no earlier.
    #[test]
    fn a_timeout_alone_is_bounded_by_the_wait() {
        let life = rebuild(&[timed_out(100.0, 1, 120_000)], &[]);
        assert_eq!(
            bounds(&life.runs[0]),
            (Some(at(-20.0)), Some(at(100.0)), Some(120_000))
        );
    }

    /// A 7000 %%1053 alone is a timed-out run; a 7000 with a file-not-found error is a start
    /// that created no process.
    #[test]
    fn start_failures_are_runs_only_when_the_process_was_created() {
        let life = rebuild(&[start_failed(50.0, 1, "%%1053")], &[marker(Boot, 0.0, 0)]);
        assert_eq!(life.runs.len(), 1);
        assert_eq!(bounds(&life.runs[0]).0, Some(at(20.0)));
        let life = rebuild(&[start_failed(50.0, 1, "%%2")], &[marker(Boot, 0.0, 0)]);
        assert!(life.runs.is_empty());
        assert_eq!(life.failed_starts.len(), 1);
        assert!(life.failed_starts[0].summary.contains("never created"));
    }

    /// Running, then stopped: one run from the boot (the latest bound before "running") to
    /// the stop; a shutdown ends a run left running, a next boot without a shutdown ends it
    /// somewhere before that boot.
    #[test]
    fn runs_end_at_stops_shutdowns_and_unlogged_shutdowns() {
        let events = [state(130.0, 2, "running"), state(600.0, 3, "stopped")];
        let life = rebuild(&events, &[marker(Boot, 0.0, 1)]);
        assert_eq!(
            bounds(&life.runs[0]),
            (Some(at(0.0)), Some(at(600.0)), Some(600_000))
        );
        assert_eq!(life.runs[0].outcome, RunOutcome::Stopped);

        let markers = [marker(Boot, 0.0, 1), marker(Shutdown, 900.0, 3)];
        let life = rebuild(&[state(10.0, 2, "running")], &markers);
        assert_eq!(life.runs[0].outcome, RunOutcome::SystemShutdown);
        assert_eq!(life.runs[0].end, TimeBound::Exact { at: at(900.0) });

        let markers = [marker(Boot, 0.0, 1), marker(Boot, 3600.0, 3)];
        let life = rebuild(&[state(10.0, 2, "running")], &markers);
        assert_eq!(
            life.runs[0].end,
            TimeBound::Range {
                from: at(10.0),
                to: at(3600.0)
            }
        );
    }

    /// A crash whose corrective action is a restart, then a new run: a restart, counted.
    /// Without the action, the new run is not a restart.
    #[test]
    fn restarts_are_concluded_from_a_crash_with_a_restart_action_then_a_run() {
        let events = [
            state(10.0, 2, "running"),
            crashed(100.0, 3, true),
            state(160.0, 4, "running"),
            state(200.0, 5, "stopped"),
        ];
        let life = rebuild(&events, &[marker(Boot, 0.0, 1)]);
        assert_eq!((life.runs.len(), life.restarts), (2, 1));
        let events = [
            state(10.0, 2, "running"),
            crashed(100.0, 3, false),
            state(160.0, 4, "running"),
        ];
        assert_eq!(rebuild(&events, &[marker(Boot, 0.0, 1)]).restarts, 0);
    }
}
