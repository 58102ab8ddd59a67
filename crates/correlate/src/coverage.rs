//! What the System logs cover, in words, for every "no evidence" statement: the spans their
//! records really cover, and their gaps. A log whose record ids have gaps (a filtered or partial
//! export, a partly overwritten log) covers only the runs of consecutive records it holds: a
//! lone 2014 record before a 2019 log does not stretch its coverage over five years.

use std::fmt::Write as _;

use jiff::Timestamp;
use konseki_model::LogCoverage;

/// Spans shown at most; the rest are counted.
const SHOWN_SPANS: usize = 3;

/// What the System records of `logs` cover: spans of time (merged, in time order), and the
/// records that stand alone (a run of one record, or an exported copy's records: each covers
/// an instant, not a span), with the first and last of their times.
struct Covered {
    spans: Vec<(Timestamp, Timestamp)>,
    alone: u64,
    alone_between: Option<(Timestamp, Timestamp)>,
}

impl Covered {
    fn of(logs: &[&LogCoverage]) -> Covered {
        let mut spans = Vec::new();
        let mut covered = Covered {
            spans: Vec::new(),
            alone: 0,
            alone_between: None,
        };
        let alone_at = |covered: &mut Covered, t: Option<Timestamp>| {
            if let Some(t) = t {
                covered.alone_between = Some(match covered.alone_between {
                    None => (t, t),
                    Some((a, b)) => (a.min(t), b.max(t)),
                });
            }
        };
        for log in logs {
            let Some(span) = log.span_of("System") else {
                continue;
            };
            if log.exported_copy && log.missing_records > 0 {
                covered.alone += log.records;
                alone_at(&mut covered, Some(span.0));
                alone_at(&mut covered, Some(span.1));
            } else if !log.channels.is_empty() || log.runs.is_empty() {
                // Whole, or several channels (their ids are not tracked apart): the span.
                spans.push(span);
            } else {
                for run in &log.runs {
                    match (run.first_time, run.last_time) {
                        (Some(a), Some(b)) if run.records > 1 => spans.push((a.min(b), a.max(b))),
                        (first, _) => {
                            covered.alone += 1;
                            alone_at(&mut covered, first);
                        }
                    }
                }
                covered.alone += log.runs_not_listed;
            }
        }
        spans.sort();
        for (from, to) in spans {
            match covered.spans.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => covered.spans.push((from, to)),
            }
        }
        covered
    }
}

/// Whether the System records of `logs` cover no span at all, only isolated records.
pub(crate) fn only_isolated(logs: &[&LogCoverage]) -> bool {
    let covered = Covered::of(logs);
    covered.spans.is_empty() && covered.alone > 0
}

/// `A – B`, `A – B, C – D and 2 more spans, plus 1 isolated record(s) at X`, or `6 isolated
/// record(s) between X and Y`; `None` without System records.
pub(crate) fn span_text(logs: &[&LogCoverage]) -> Option<String> {
    let covered = Covered::of(logs);
    if covered.spans.is_empty() && covered.alone == 0 {
        return None;
    }
    let mut text = covered
        .spans
        .iter()
        .take(SHOWN_SPANS)
        .map(|(a, b)| format!("{a} – {b}"))
        .collect::<Vec<_>>()
        .join(", ");
    if covered.spans.len() > SHOWN_SPANS {
        let _ = write!(
            text,
            " and {} more spans",
            covered.spans.len() - SHOWN_SPANS
        );
    }
    if covered.alone > 0 {
        let when = match covered.alone_between {
            Some((a, b)) if a == b => format!(" at {a}"),
            Some((a, b)) => format!(" between {a} and {b}"),
            None => String::new(),
        };
        let _ = write!(
            text,
            "{}{} isolated record(s){when}",
            if text.is_empty() { "" } else { ", plus " },
            covered.alone
        );
    }
    Some(text)
}

/// Whether any System log has record ids missing.
pub(crate) fn has_gaps(logs: &[&LogCoverage]) -> bool {
    logs.iter().any(|l| l.missing_records > 0)
}

/// One sentence per System log with gaps: how many record ids are missing, and why it matters.
pub(crate) fn gaps_text(logs: &[&LogCoverage]) -> Option<String> {
    let sentences: Vec<String> = logs
        .iter()
        .filter(|l| l.missing_records > 0)
        .filter_map(|l| {
            let ids = l.record_ids?;
            let file = l.file.display();
            Some(if l.exported_copy {
                format!(
                    "{file} is an exported copy: its {} records carry EventRecordIDs {}–{}, so at least {} records of that span are not in it (a filtered or partial export): it covers the moments of its records, not the span.",
                    ids.records, ids.first_id, ids.last_id, l.missing_records
                )
            } else {
                format!(
                    "{file} has gaps: {} of its record ids {}–{} are missing (filtered, exported in part or overwritten), so it covers only the runs of records it holds.",
                    l.missing_records, ids.first_id, ids.last_id
                )
            })
        })
        .collect();
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use konseki_model::RecordRange;

    fn t(s: &str) -> Option<Timestamp> {
        Some(s.parse().unwrap())
    }

    fn log(runs: Vec<RecordRange>, missing: u64) -> LogCoverage {
        let first = runs.first().unwrap();
        let last = runs.last().unwrap();
        LogCoverage {
            file: PathBuf::from("System.evtx"),
            channel: Some("System".into()),
            records: runs.iter().map(|r| r.records).sum(),
            unreadable: 0,
            header_chunk_count: 1,
            dirty: false,
            first: first.first_time,
            last: last.last_time,
            record_ids: Some(RecordRange {
                first_id: first.first_id,
                last_id: last.last_id,
                records: 0,
                first_time: first.first_time,
                last_time: last.last_time,
            }),
            missing_records: missing,
            exported_copy: false,
            runs: if missing > 0 { runs } else { Vec::new() },
            runs_not_listed: 0,
            channels: Vec::new(),
            duplicates: 0,
            duplicates_counted_in: Vec::new(),
        }
    }

    #[test]
    fn a_lone_old_record_does_not_stretch_the_span() {
        let lone = RecordRange {
            first_id: 5,
            last_id: 5,
            records: 1,
            first_time: t("2014-03-01T10:00:00Z"),
            last_time: t("2014-03-01T10:00:00Z"),
        };
        let block = RecordRange {
            first_id: 100_000,
            last_id: 110_000,
            records: 10_001,
            first_time: t("2019-01-01T00:00:00Z"),
            last_time: t("2019-06-30T00:00:00Z"),
        };
        let gappy = log(vec![lone, block], 99_994);
        let logs = [&gappy];
        assert_eq!(
            span_text(&logs).unwrap(),
            "2019-01-01T00:00:00Z – 2019-06-30T00:00:00Z, plus 1 isolated record(s) at 2014-03-01T10:00:00Z"
        );
        assert!(has_gaps(&logs));
        assert!(gaps_text(&logs)
            .unwrap()
            .contains("99994 of its record ids 5–110000"));
        let whole = log(vec![block], 0);
        assert_eq!(
            span_text(&[&whole]).unwrap(),
            "2019-01-01T00:00:00Z – 2019-06-30T00:00:00Z"
        );
        assert_eq!(gaps_text(&[&whole]), None);
    }
}
