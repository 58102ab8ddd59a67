//! What a log covers, by record id. Windows numbers a channel's records one after another
//! (`EventRecordID`), so a log holding every record from its oldest to its newest has no gap
//! in its ids; a filtered or partial export, or a log partly overwritten and copied, has gaps.
//! The span a log covers is then not its oldest to newest time but the runs of consecutive ids,
//! each from its first record's time to its last's: a lone 2014 record before a 2019 log does
//! not make it cover five years.

use jiff::Timestamp;

/// Runs kept before the rest are merged into the last one (a crafted log whose every id is
/// apart from the next must not make the summary grow with its records).
const MAX_RUNS: usize = 65_536;

/// Consecutive record ids read, with the write times of the first and last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRun {
    /// The first record id of the run.
    pub first_id: u64,
    /// Its write time.
    pub first_time: Option<Timestamp>,
    /// The last record id of the run.
    pub last_id: u64,
    /// Its write time.
    pub last_time: Option<Timestamp>,
    /// Records counted in the run (more than the ids when a damaged log repeats some).
    pub records: u64,
}

/// The runs of a log, as records are counted; [`RecordRuns::normalize`] sorts and joins them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordRuns {
    runs: Vec<RecordRun>,
    /// More runs than [`MAX_RUNS`] were met: the last ones were merged, the gaps are counted
    /// but not all placed.
    pub overflowed: bool,
}

impl RecordRuns {
    /// Counts the record `id` written at `time`.
    pub(crate) fn note(&mut self, id: u64, time: Option<Timestamp>) {
        let full = self.runs.len() >= MAX_RUNS;
        if let Some(run) = self.runs.last_mut() {
            if run.last_id.checked_add(1) == Some(id) || full {
                self.overflowed |= run.last_id.checked_add(1) != Some(id);
                if id >= run.last_id {
                    run.last_id = id;
                    run.last_time = time;
                }
                run.records += 1;
                return;
            }
        }
        self.runs.push(RecordRun {
            first_id: id,
            first_time: time,
            last_id: id,
            last_time: time,
            records: 1,
        });
    }

    /// Adds another part's runs.
    pub(crate) fn extend(&mut self, other: &RecordRuns) {
        self.runs.extend_from_slice(&other.runs);
        self.overflowed |= other.overflowed;
        self.normalize();
    }

    /// Sorts the runs by id and joins those that touch or overlap.
    pub(crate) fn normalize(&mut self) {
        self.runs.sort_by_key(|r| (r.first_id, r.last_id));
        let mut joined: Vec<RecordRun> = Vec::with_capacity(self.runs.len());
        for run in self.runs.drain(..) {
            match joined.last_mut() {
                Some(last) if run.first_id <= last.last_id.saturating_add(1) => {
                    if run.last_id > last.last_id {
                        last.last_id = run.last_id;
                        last.last_time = run.last_time;
                    }
                    last.records += run.records;
                }
                _ => joined.push(run),
            }
        }
        self.runs = joined;
    }

    /// The runs, by id (after [`RecordRuns::normalize`]).
    pub fn runs(&self) -> &[RecordRun] {
        &self.runs
    }

    /// The record ids missing between the first and the last.
    pub fn missing(&self) -> u64 {
        let (Some(first), Some(last)) = (self.runs.first(), self.runs.last()) else {
            return 0;
        };
        let span = last.last_id - first.first_id + 1;
        let present: u64 = self.runs.iter().map(|r| r.last_id - r.first_id + 1).sum();
        span.saturating_sub(present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<Timestamp> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn runs_join_across_parts_and_count_their_gaps() {
        let mut a = RecordRuns::default();
        for id in 100..=110 {
            a.note(id, t("2019-01-01T00:00:00Z"));
        }
        a.note(5, t("2014-03-01T00:00:00Z"));
        let mut b = RecordRuns::default();
        for id in 111..=120 {
            b.note(id, t("2019-02-01T00:00:00Z"));
        }
        a.extend(&b);
        let runs = a.runs();
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].first_id, runs[0].last_id), (5, 5));
        assert_eq!(
            (runs[1].first_id, runs[1].last_id, runs[1].records),
            (100, 120, 21)
        );
        assert_eq!(runs[1].last_time, t("2019-02-01T00:00:00Z"));
        assert_eq!(a.missing(), 94);
        assert!(!a.overflowed);
    }

    #[test]
    fn a_log_whose_ids_are_all_apart_stays_bounded() {
        let mut runs = RecordRuns::default();
        for id in 0..(MAX_RUNS as u64 + 10) {
            runs.note(id * 2, None);
        }
        runs.normalize();
        assert!(runs.runs().len() <= MAX_RUNS && runs.overflowed);
    }
}
