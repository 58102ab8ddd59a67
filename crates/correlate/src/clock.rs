//! Time is not monotonic: a host's clock can be stepped (System, `Microsoft-Windows-Kernel-
//! General` event 1, with `OldTime` and `NewTime`). Records written after a step carry the new
//! clock, so sorting a host's records by their times interleaves the two sides of a step set
//! back, and a span measured across a step set forward counts hours that never passed.
//!
//! A [`Clock`] holds one host's steps, in the order of their record ids (Windows numbers a
//! channel's records one after another), and places every time on one continuous line: the
//! clock of the host's last segment (after its last step), called *corrected* here. Step `i`
//! takes the clock from `old_i` to `new_i`; the instants `old_i` (before) and `new_i` (after)
//! are the same real moment. Segment `k` runs, on its own clock, from `new_k` to `old_{k+1}`;
//! adding the deltas of the steps after it moves its times onto the last segment's clock, and
//! the corrected segments then tile the line with neither overlap nor gap. Durations and
//! orderings are taken on the corrected line; times shown stay as logged.
//!
//! Which segment a time belongs to: the one whose span (on its own clock) holds it. After a
//! step back, two segments hold the same clock times; a System record's id then decides (it
//! was written between the steps whose ids surround it). A time of another log (Security,
//! Sysmon, a file time) in such an overlap is ambiguous: it is placed in the earlier segment
//! and said to be ambiguous. Windows' own small corrections (under [`SIGNIFICANT`]) are
//! ignored: they move times by less than the precision of the bounds konseki states.
//!
//! Reference: `docs/windows-facts.md`, "Clock steps" (the event's fields; the APTSimulatorVM log's
//! records 155 and 424 step the clock back 3 h and forward 2.5 h; late-written boot events).

use jiff::{SignedDuration, Timestamp};
use konseki_model::{ClockSpan, ClockStep, EvidenceItem, Provenance};

use crate::describe::same_file;

/// Steps smaller than this are not treated as steps.
const SIGNIFICANT: SignedDuration = SignedDuration::from_secs(1);

/// One significant step.
#[derive(Debug, Clone)]
struct Step {
    /// The System record id of the step, when it is one.
    record: Option<u64>,
    /// The log it was read from: record ids order records of one file only.
    file: Option<std::sync::Arc<std::path::Path>>,
    old: Timestamp,
    new: Timestamp,
    /// `new − old`.
    delta: SignedDuration,
    /// Sum of the deltas of this step and every later one: what moves the segment before
    /// this step onto the last segment's clock.
    shift_before: SignedDuration,
    item: EvidenceItem,
}

/// Where a time was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placed {
    /// On the corrected line.
    pub at: Timestamp,
    /// Two segments held the time and nothing told them apart.
    pub ambiguous: bool,
}

/// One host's clock: its significant steps, in record order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    steps: Vec<Step>,
    /// The lowest-numbered System record's time: the first segment does not reach before it.
    first_record: Option<(u64, Timestamp)>,
}

impl Clock {
    /// The clock of a host whose steps are `steps` (any order; those under [`SIGNIFICANT`]
    /// are left out) and whose System log begins with the record `first_record` (id, time).
    pub fn new(steps: &[&ClockStep], first_record: Option<(u64, Timestamp)>) -> Clock {
        let mut significant: Vec<&ClockStep> = steps
            .iter()
            .copied()
            .filter(|s| SignedDuration::from_millis(s.delta_ms).abs() >= SIGNIFICANT)
            .collect();
        significant.sort_by_key(|s| (record_id(&s.source), s.time));
        // One step logged twice (a System log and an exported copy of it, whose records are
        // renumbered and so not recognised as the same records) is one step: applied twice,
        // its delta would move every earlier time twice as far.
        let mut seen = std::collections::HashSet::new();
        significant.retain(|s| seen.insert((s.old_time, s.new_time)));
        let mut out: Vec<Step> = significant
            .into_iter()
            .map(|s| Step {
                record: record_id(&s.source),
                file: match &s.source {
                    Provenance::EventRecord { file, .. } => Some(file.clone()),
                    _ => None,
                },
                old: s.old_time,
                new: s.new_time,
                delta: SignedDuration::from_millis(s.delta_ms),
                shift_before: SignedDuration::ZERO,
                item: step_item(s),
            })
            .collect();
        let mut shift = SignedDuration::ZERO;
        for step in out.iter_mut().rev() {
            shift += step.delta;
            step.shift_before = shift;
        }
        Clock {
            steps: out,
            first_record,
        }
    }

    /// Whether the host's clock was ever stepped.
    pub fn is_steady(&self) -> bool {
        self.steps.is_empty()
    }

    /// Segment `k`'s span on its own clock (`None`: unbounded on that side).
    fn span(&self, k: usize) -> (Option<Timestamp>, Option<Timestamp>) {
        let from = match k {
            0 => self.first_record.map(|(_, t)| t),
            _ => Some(self.steps[k - 1].new),
        };
        (from, self.steps.get(k).map(|s| s.old))
    }

    /// What moves segment `k`'s times onto the corrected line.
    fn shift(&self, k: usize) -> SignedDuration {
        self.steps
            .get(k)
            .map_or(SignedDuration::ZERO, |s| s.shift_before)
    }

    /// The segment a System record of id `record` was written in, by record order.
    fn segment_by_record(&self, record: u64) -> usize {
        self.steps
            .iter()
            .take_while(|s| s.record.is_some_and(|r| r < record))
            .count()
    }

    /// Places a logged time: `record` is its System record id when it is one and was written
    /// when it happened (an SCM event, a clock step).
    pub fn place(&self, t: Timestamp, record: Option<u64>) -> Placed {
        self.place_with(t, record.map(|r| self.segment_by_record(r)))
    }

    /// Places the time of a logged event read from `source`. Its record id orders it among the
    /// steps only when the steps were read from the same log: ids of another file (an exported
    /// copy renumbers its records; another host's log has its own) say nothing of their order,
    /// and the time alone places it, as a marker's.
    pub fn place_event(&self, t: Timestamp, source: &Provenance) -> Placed {
        let same_log = match source {
            Provenance::EventRecord { file, .. } => self
                .steps
                .iter()
                .all(|s| s.file.as_ref().is_some_and(|f| same_file(f, file))),
            _ => false,
        };
        match system_record(source).filter(|_| same_log) {
            Some(record) => self.place(t, Some(record)),
            None => self.place_marker(t),
        }
    }

    /// Places the time of a boot or shutdown marker. These are not written when they happen:
    /// the kernel holds its boot event (Kernel-General 12) until the event log runs, after the
    /// boot's own clock correction, so its record id can follow a step its time precedes
    /// (`corpus/evtx/plaso_System.evtx`: a boot stamped 15:19:08 on the uncorrected clock, whose
    /// record follows the step to 13:19:42). Between two segments that both hold its time, the
    /// one where it lies nearest the step between them is taken: a boot shortly before a
    /// correction, or an event log start shortly after it.
    pub fn place_marker(&self, t: Timestamp) -> Placed {
        self.place_with(t, None)
    }

    fn place_with(&self, t: Timestamp, by_record: Option<usize>) -> Placed {
        if self.steps.is_empty() {
            return Placed {
                at: t,
                ambiguous: false,
            };
        }
        let holds = |k: usize| {
            let (from, to) = self.span(k);
            from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e)
        };
        let candidates: Vec<usize> = (0..=self.steps.len()).filter(|&k| holds(k)).collect();
        let (segment, ambiguous) = match (candidates.as_slice(), by_record) {
            ([one], _) => (*one, false),
            ([], Some(k)) => (k, false),
            ([], None) => (self.nearest(t), true),
            (several, Some(k)) => (
                *several.iter().min_by_key(|&&c| c.abs_diff(k)).unwrap_or(&k),
                false,
            ),
            (several, None) => (self.nearest_step(t, several), true),
        };
        Placed {
            at: t + self.shift(segment),
            ambiguous,
        }
    }

    /// Of the segments holding `t`, the one in which `t` lies nearest one of its ends (the
    /// step that begins or ends it).
    fn nearest_step(&self, t: Timestamp, candidates: &[usize]) -> usize {
        candidates
            .iter()
            .copied()
            .min_by_key(|&k| {
                let (from, to) = self.span(k);
                let after_start = from.map(|f| t.duration_since(f));
                let before_end = to.map(|e| e.duration_since(t));
                // The first segment's start is the log's first record, not a step.
                let after_start = after_start.filter(|_| k > 0);
                [after_start, before_end]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(SignedDuration::MAX)
            })
            .unwrap_or(0)
    }

    /// The segment whose span lies nearest `t` (a time in no span: the clock never showed it).
    fn nearest(&self, t: Timestamp) -> usize {
        (0..=self.steps.len())
            .min_by_key(|&k| {
                let (from, to) = self.span(k);
                let below = from.map_or(SignedDuration::ZERO, |f| {
                    f.duration_since(t).max(SignedDuration::ZERO)
                });
                let above = to.map_or(SignedDuration::ZERO, |e| {
                    t.duration_since(e).max(SignedDuration::ZERO)
                });
                below + above
            })
            .unwrap_or(0)
    }

    /// A corrected time back on the clock the host showed then.
    pub fn as_logged(&self, corrected: Timestamp) -> Timestamp {
        // Segment k ends, corrected, at old_{k+1} + shift(k).
        let segment = self
            .steps
            .iter()
            .position(|s| corrected <= s.old + s.shift_before)
            .unwrap_or(self.steps.len());
        corrected - self.shift(segment)
    }

    /// The lowest and highest times the host's clock showed between two corrected instants
    /// (either end open: not bounded on that side), when a step lies between them.
    pub fn shown_between(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Option<ClockSpan> {
        let (lo, hi) = (from.unwrap_or(Timestamp::MIN), to.unwrap_or(Timestamp::MAX));
        let inside: Vec<&Step> = self
            .steps
            .iter()
            .filter(|s| {
                let at = s.old + s.shift_before;
                at > lo && at <= hi
            })
            .collect();
        if inside.is_empty() {
            return None;
        }
        let shown = inside
            .iter()
            .flat_map(|s| [s.old, s.new])
            .chain(from.map(|t| self.as_logged(t)))
            .chain(to.map(|t| self.as_logged(t)));
        let (min, max) = shown.fold((Timestamp::MAX, Timestamp::MIN), |(a, b), t| {
            (a.min(t), b.max(t))
        });
        Some(ClockSpan {
            from: if from.is_some() { min } else { Timestamp::MIN },
            to: if to.is_some() { max } else { Timestamp::MAX },
        })
    }

    /// The steps that happened between two corrected instants.
    pub fn steps_between(&self, from: Timestamp, to: Timestamp) -> Vec<EvidenceItem> {
        self.steps
            .iter()
            .filter(|s| {
                let at = s.old + s.shift_before;
                at > from && at <= to
            })
            .map(|s| s.item.clone())
            .collect()
    }
}

/// The System record id of an SCM event or boot marker (`None` for Security's 1102 and 4697:
/// their ids count another channel's records).
pub(crate) fn system_record(source: &Provenance) -> Option<u64> {
    match source {
        Provenance::EventRecord {
            record_id,
            event_id: 6005 | 6006 | 6008 | 6009 | 12 | 13 | 1074 | 104 | 7000..=7045,
            ..
        } => Some(*record_id),
        _ => None,
    }
}

fn record_id(source: &Provenance) -> Option<u64> {
    match source {
        Provenance::EventRecord { record_id, .. } => Some(*record_id),
        _ => None,
    }
}

/// The evidence item of a step: when, by how much, by what.
pub(crate) fn step_item(s: &ClockStep) -> EvidenceItem {
    let delta = SignedDuration::from_millis(s.delta_ms);
    let way = if delta.is_negative() {
        "back"
    } else {
        "forward"
    };
    EvidenceItem {
        source: s.source.clone(),
        time: Some(s.time),
        summary: format!(
            "system clock set {way} by {} (from {} to {}){}",
            crate::describe::format_duration(delta.unsigned_abs()),
            s.old_time,
            s.new_time,
            s.process
                .as_deref()
                .map(|p| format!(" by {p}"))
                .unwrap_or_default()
        )
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn step(record: u64, old: &str, new: &str) -> ClockStep {
        let (old, new) = (t(old), t(new));
        ClockStep {
            time: new,
            old_time: old,
            new_time: new,
            delta_ms: new.duration_since(old).as_millis() as i64,
            reason: None,
            process: None,
            computer: "H".into(),
            source: Provenance::EventRecord {
                file: Arc::from(Path::new("System.evtx")),
                record_id: record,
                event_id: 1,
            },
        }
    }

    /// The corpus's APTSimulatorVM System log: back 3 h at record 155, forward ~2.5 h at 424.
    fn apt_clock() -> Clock {
        let back = step(
            155,
            "2022-03-10T19:33:50.0894010Z",
            "2022-03-10T16:33:50.0890000Z",
        );
        let fwd = step(
            424,
            "2022-03-10T17:17:24.3246654Z",
            "2022-03-10T19:46:29.2310000Z",
        );
        let tiny = step(
            174,
            "2022-03-10T16:33:55.4215650Z",
            "2022-03-10T16:33:55.4346360Z",
        );
        Clock::new(
            &[&fwd, &back, &tiny],
            Some((1, t("2022-03-10T19:32:21.5682068Z"))),
        )
    }

    #[test]
    fn times_on_both_sides_of_steps_land_on_one_line() {
        let clock = apt_clock();
        assert!(!clock.is_steady());
        // Record 113 (before the step back) and record 328 (after it): 19:33:37 then 16:35:10.
        let boot_b = clock.place(t("2022-03-10T19:33:37.7973683Z"), Some(113));
        let boot_c = clock.place(t("2022-03-10T16:35:10.8589032Z"), Some(328));
        assert!(boot_b.at < boot_c.at);
        // 1 min 20 s of real time passed between them, not −3 h.
        let real = boot_c.at.duration_since(boot_b.at);
        assert_eq!(real.as_secs(), 93);
        // An EventLog record numbered before the step but stamped after it (record 114 at
        // 16:33:51): its time lies outside the first segment, which begins at record 1.
        let odd = clock.place(t("2022-03-10T16:33:51.5777356Z"), Some(114));
        assert!(odd.at > clock.place(t("2022-03-10T19:33:50.0Z"), Some(150)).at);
        // Across the step forward, 2.5 h of clock are not time that passed.
        let before = clock.place(t("2022-03-10T17:00:00Z"), Some(421));
        let after = clock.place(t("2022-03-10T19:50:00Z"), Some(430));
        assert_eq!(
            after.at.duration_since(before.at).as_secs(),
            17 * 60 + 24 + 3 * 60 + 30 + 1
        );
        assert_eq!(clock.steps_between(before.at, after.at).len(), 1);
        // Back to the clock shown, for display.
        assert_eq!(clock.as_logged(before.at), t("2022-03-10T17:00:00Z"));
        assert_eq!(
            clock.as_logged(boot_b.at),
            t("2022-03-10T19:33:37.7973683Z")
        );
    }

    /// The corpus's plaso_System.evtx: each boot reads a hardware clock 2 h ahead, and the
    /// time service sets it back; the boot event is written after the step its time precedes.
    #[test]
    fn a_boot_marker_goes_with_the_step_it_lies_nearest() {
        let first = step(
            967,
            "2015-08-25T15:19:41.15625Z",
            "2015-08-25T13:19:42.625Z",
        );
        let second = step(
            1056,
            "2015-08-25T15:41:16.328125Z",
            "2015-08-25T13:41:18.237Z",
        );
        let clock = Clock::new(&[&first, &second], Some((1, t("2010-11-21T03:55:59Z"))));
        // The boot, stamped on the fast clock 33 s before the step, and the event log's start
        // stamped 2 s after it: one boot, 36 s apart.
        let boot = clock.place_marker(t("2015-08-25T15:19:08.640625Z"));
        let log_start = clock.place_marker(t("2015-08-25T13:19:44Z"));
        let apart = log_start.at.duration_since(boot.at).as_secs();
        assert!((0..60).contains(&apart), "{apart} s");
        // By its record id alone (it follows the step), the boot would be placed 2 h late.
        let by_record = clock.place(t("2015-08-25T15:19:08.640625Z"), Some(1000));
        assert!(by_record.at > log_start.at);
    }

    #[test]
    fn a_time_in_the_overlap_of_a_step_back_is_ambiguous_without_a_record() {
        let clock = apt_clock();
        let security = clock.place(t("2022-03-10T16:40:00Z"), None);
        assert!(!security.ambiguous, "16:40 lies only after the step back");
        let overlap = clock.place(t("2022-03-10T19:33:00Z"), None);
        assert!(
            !overlap.ambiguous,
            "19:33 is before the step: the first segment ends 19:33:50"
        );
        let steady = Clock::new(&[], None);
        assert_eq!(
            steady.place(t("2022-03-10T19:33:00Z"), None).at,
            t("2022-03-10T19:33:00Z")
        );
        let back = step(10, "2022-03-10T12:00:00Z", "2022-03-10T11:00:00Z");
        let clock = Clock::new(&[&back], Some((1, t("2022-03-10T10:00:00Z"))));
        let both = clock.place(t("2022-03-10T11:30:00Z"), None);
        assert!(both.ambiguous);
        let told = clock.place(t("2022-03-10T11:30:00Z"), Some(20));
        assert!(!told.ambiguous && told.at == t("2022-03-10T11:30:00Z"));
        let first = clock.place(t("2022-03-10T11:30:00Z"), Some(5));
        assert_eq!(first.at, t("2022-03-10T10:30:00Z"));
    }

    /// The same step read from two files (a log and its exported copy) moves times once.
    #[test]
    fn a_step_logged_twice_is_applied_once() {
        let back = step(155, "2022-03-10T19:33:50Z", "2022-03-10T16:33:50Z");
        let mut copy = back.clone();
        copy.source = Provenance::EventRecord {
            file: Arc::from(Path::new("System-export.evtx")),
            record_id: 9_155,
            event_id: 1,
        };
        let once = Clock::new(&[&back], None);
        let twice = Clock::new(&[&back, &copy], None);
        let before = t("2022-03-10T19:00:00Z");
        assert_eq!(twice.place_marker(before), once.place_marker(before));
        assert_eq!(once.place_marker(before).at, t("2022-03-10T16:00:00Z"));
    }

    /// A record id read from another file than the steps' (an exported copy, renumbered from
    /// one) does not order the event among the steps: its time alone places it. Here an SCM event
    /// of the copy, record 100, logged at 18:00, a time no segment of the log's clock shows:
    /// by the copy's id it would be put in the first segment (before the step back); it is
    /// placed by its time, as a marker would be (nearest the segment ending at 17:17).
    #[test]
    fn a_record_id_of_another_log_does_not_order_an_event_among_the_steps() {
        let clock = apt_clock();
        let at = t("2022-03-10T18:00:00Z");
        let in_copy = Provenance::EventRecord {
            file: Arc::from(Path::new("System-export.evtx")),
            record_id: 100,
            event_id: 7036,
        };
        assert_eq!(clock.place_event(at, &in_copy), clock.place_marker(at));
        assert_ne!(
            clock.place_event(at, &in_copy).at,
            clock.place(at, Some(100)).at
        );
        let in_log = Provenance::EventRecord {
            file: Arc::from(Path::new("System.evtx")),
            record_id: 300,
            event_id: 7036,
        };
        assert_eq!(clock.place_event(at, &in_log), clock.place(at, Some(300)));
    }
}
