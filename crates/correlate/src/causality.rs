//! Cause comes before effect: a program run recorded before a persistence entry existed cannot
//! be that entry's doing. Such runs are still worth saying ("the same program also ran before
//! this entry existed"), never as the entry's execution.
//!
//! When an entry came to exist is known only from a record of its creation: a service's install
//! (7045/4697), a task's registration (4698/106, or TaskCache `DynamicInfo`), an autostart
//! value's logged setting (Sysmon 13). A key's last-write time is not one: it is the latest
//! write, at or after the creation. Without such a record nothing is set aside.

use jiff::{SignedDuration, Timestamp};
use konseki_model::EvidenceItem;

/// Records of one system clock still disagree by this much (a Prefetch run time is taken by
/// another component than the event log's time): runs within it are not set aside.
const SLACK: SignedDuration = SignedDuration::from_secs(2);

/// When an entry is known to exist from, and what shows it.
#[derive(Debug, Clone)]
pub(crate) struct Since {
    /// The creation's time.
    pub at: Timestamp,
    /// What records it, for the narrative (`installed (7045 record 9308)`).
    pub what: String,
}

impl Since {
    /// The earliest of several known creations.
    pub fn earliest(candidates: impl IntoIterator<Item = Since>) -> Option<Since> {
        candidates.into_iter().min_by_key(|s| s.at)
    }

    /// Whether a run at `time` lies before the entry existed.
    pub fn precedes(&self, time: Timestamp) -> bool {
        time < self.at - SLACK
    }
}

/// The runs at or after the entry existed, and those before it (marked so in their summary).
pub(crate) fn split_runs(
    items: Vec<EvidenceItem>,
    since: Option<&Since>,
) -> (Vec<EvidenceItem>, Vec<EvidenceItem>) {
    let Some(since) = since else {
        return (items, Vec::new());
    };
    let (before, after): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|i| i.time.is_some_and(|t| since.precedes(t)));
    let before = before
        .into_iter()
        .map(|mut i| {
            i.summary = format!(
                "{} — before this entry existed ({} at {}): not its run",
                i.summary, since.what, since.at
            )
            .into();
            i
        })
        .collect();
    (after, before)
}

/// The sentence for runs set aside, when there are any.
pub(crate) fn earlier_runs_sentence(before: &[EvidenceItem], since: &Since) -> Option<String> {
    let first = before.iter().filter_map(|i| i.time).min()?;
    Some(format!(
        "The same program also ran {} time(s) before this entry existed (the first at {first}; the entry was {} at {}): those runs cannot be its doing and are not counted as its execution.",
        before.len(),
        since.what,
        since.at
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use konseki_model::Provenance;

    fn run(at: &str) -> EvidenceItem {
        EvidenceItem {
            source: Provenance::File {
                file: Arc::from(Path::new("X.pf")),
            },
            time: Some(at.parse().unwrap()),
            summary: "Prefetch X.pf: X.EXE ran".into(),
        }
    }

    #[test]
    fn runs_before_the_entry_existed_are_set_aside_with_slack_for_clocks() {
        let since = Since {
            at: "2026-01-05T10:00:00Z".parse().unwrap(),
            what: "registered (4698 record 7)".into(),
        };
        let (after, before) = split_runs(
            vec![
                run("2026-01-05T09:55:00Z"),
                run("2026-01-05T09:59:59Z"),
                run("2026-01-05T10:05:00Z"),
            ],
            Some(&since),
        );
        assert_eq!(after.len(), 2, "a run a second early is within the slack");
        assert_eq!(before.len(), 1);
        assert!(before[0].summary.contains("before this entry existed"));
        let sentence = earlier_runs_sentence(&before, &since).unwrap();
        assert!(sentence.contains("2026-01-05T09:55:00Z") && sentence.contains("not counted"));
        // Without a known creation, nothing is set aside.
        let (after, before) = split_runs(vec![run("2000-01-01T00:00:00Z")], None);
        assert_eq!((after.len(), before.len()), (1, 0));
    }
}
