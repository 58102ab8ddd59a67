//! Record counts and events on the shared corpus, against `EXPECTED.md` (evtx_dump figures:
//! every chunk with a valid signature is read, not only the header's count).

use konseki_evtx::{read_events, EventIdFilter, EvtxError};
use konseki_testutil::corpus;

/// (records, count of each wanted id)
fn count(rel: &str, ids: &[u16]) -> Option<(u64, Vec<usize>, konseki_evtx::LogSummary)> {
    let path = corpus(rel)?;
    let mut counts = vec![0; ids.len()];
    let summary = read_events(&path, &EventIdFilter::new(ids.iter().copied()), |e| {
        let i = ids
            .iter()
            .position(|&id| id == e.event_id)
            .expect("filter kept an unwanted id");
        counts[i] += 1;
    })
    .unwrap();
    Some((summary.records, counts, summary))
}

#[test]
fn dirty_logs_are_read_past_the_header_chunk_count() {
    let Some((records, counts, summary)) =
        count("evtx/APTSimulatorVM-Win10/System.evtx", &[7045, 7009])
    else {
        return;
    };
    assert_eq!((records, counts), (831, vec![33, 0]));
    assert_eq!(summary.header_chunk_count, 3);
    assert_eq!(summary.channel.as_deref(), Some("System"));
    let (records, _, _) = count(
        "evtx/APTSimulatorVM-Win10/Microsoft-Windows-Sysmon%4Operational.evtx",
        &[1],
    )
    .unwrap();
    assert_eq!(records, 1402);
    let (records, _, _) = count("evtx/APTSimulatorVM-Win10/Security.evtx", &[4697]).unwrap();
    assert_eq!(records, 5337);
    let (records, counts, _) = count("evtx/omerbenamram_system.evtx", &[7000, 7045]).unwrap();
    assert_eq!((records, counts), (1881, vec![3, 57]));
    let (records, counts, _) = count("evtx/RDPAuth_Security.evtx", &[4697]).unwrap();
    assert_eq!((records, counts), (789, vec![6]));
}

#[test]
fn tchopper_triples_and_fields() {
    let Some(path) = corpus("evtx/ID7000,7009,7045-Payload deployed via service - Tchopper.evtx")
    else {
        return;
    };
    let mut events = Vec::new();
    let summary = read_events(&path, &EventIdFilter::new([7045, 7009, 7000, 7036]), |e| {
        events.push(e)
    })
    .unwrap();
    assert_eq!(summary.records, 733);
    let n = |id| events.iter().filter(|e| e.event_id == id).count();
    assert_eq!((n(7045), n(7009), n(7000), n(7036)), (244, 244, 244, 1));
    let first = events.iter().find(|e| e.record_id == 9309).unwrap();
    assert_eq!(first.event_id, 7009);
    assert_eq!(first.time.to_string(), "2021-11-03T08:15:15.2269567Z");
    assert_eq!(first.data("param1"), Some("30000"));
    assert_eq!(&*first.computer, "FS03.offsec.lan");
    assert_eq!(first.binary.as_deref(), Some(&b"s\0e\0g\x001\0\0\0"[..]));
    let install = events.iter().find(|e| e.record_id == 9308).unwrap();
    assert!(install
        .data("ServiceName")
        .unwrap()
        .starts_with("IyMjIyMjIyMjIyMj"));
    assert_eq!(install.data("StartType"), Some("demand start"));
    assert_eq!(install.qualifiers, Some(16384));
}

#[test]
fn damaged_logs_give_their_readable_part() {
    let Some((records, _, summary)) = count("evtx/corrupt/System2.evtx", &[4624]) else {
        return;
    };
    assert_eq!(records, 194);
    assert_eq!(summary.channel.as_deref(), Some("Security"));
    let (records, _, summary) =
        count("evtx/corrupt/sample_with_a_bad_chunk_magic.evtx", &[7045]).unwrap();
    assert_eq!(records, 301);
    assert!(!summary.warnings.is_empty() && summary.warnings.iter().all(|w| w.offset.is_some()));
    // Unreadable parts, as evtx_dump 0.15.1 counts them here ("Failed to dump the next record":
    // 3 and 1 times with `-t 1 -o jsonl`; EXPECTED.md's 57 and 18 are not what it prints).
    assert_eq!(summary.errors, 3);
    let (records, counts, summary) = count(
        "evtx/corrupt/sample-with-zero-data-size-event.evtx",
        &[7009, 7045],
    )
    .unwrap();
    assert_eq!((records, counts), (449, vec![1, 3]));
    assert_eq!(summary.errors, 1);
    assert_eq!(
        count("evtx/corrupt/dns_log_malformed.evtx", &[]).unwrap().0,
        5
    );
    assert_eq!(count("evtx/corrupt/issue_201.evtx", &[]).unwrap().0, 1);
    assert_eq!(
        count("evtx/empty/Microsoft-Windows-WorkFolders%4WHC.evtx", &[])
            .unwrap()
            .0,
        0
    );
    let empty = read_events(
        &corpus("evtx/corrupt/test2.evtx").unwrap(),
        &EventIdFilter::new([]),
        |_| {},
    );
    assert!(matches!(empty, Err(EvtxError::Empty { .. })));
    let not_evtx = read_events(
        &corpus("hives/SAM").unwrap(),
        &EventIdFilter::new([]),
        |_| {},
    );
    assert!(
        matches!(not_evtx, Err(EvtxError::NotEvtx { .. })),
        "{not_evtx:?}"
    );
}

/// The second pass split into parts (as a scan reads one large log on several cores) gives the
/// same events, in the same order, and the same summary as the whole pass: on clean, dirty and
/// damaged logs (whose damaged chunks are read whole by the first pass).
#[test]
fn second_pass_in_parts_equals_the_whole() {
    let logs = [
        "evtx/APTSimulatorVM-Win10/System.evtx",
        "evtx/APTSimulatorVM-Win10/Security.evtx",
        "evtx/plaso_System.evtx",
        "evtx/corrupt/sample_with_a_bad_chunk_magic.evtx",
        "evtx/corrupt/sample-with-zero-data-size-event.evtx",
        "evtx/corrupt/System2.evtx",
    ];
    let filter = EventIdFilter::new([1, 4624, 4688, 4697, 6005, 7009, 7036, 7040, 7045]);
    let mut compared = 0;
    for rel in logs {
        let Some(path) = corpus(rel) else { return };
        let mut whole = Vec::new();
        let summary = read_events(&path, &filter, |e| whole.push(e)).unwrap();
        compared += whole.len();
        for parts in [2, 3, 7] {
            let index = konseki_evtx::index_log(&path, &filter).unwrap();
            let ranges = index.parts(parts);
            assert!(ranges.len() <= parts, "{rel}");
            let mut split = Vec::new();
            let summaries: Vec<_> = ranges
                .into_iter()
                .map(|range| index.read_part(range, &|_| true, &filter, |e| split.push(e)))
                .collect();
            assert_eq!(index.finish(summaries), summary, "{rel} in {parts} parts");
            assert_eq!(split, whole, "{rel} in {parts} parts");
        }
    }
    // Of them, the 831-record System log's 7036/7040/7045 and the Security log's 4624s alone
    // are well over a thousand.
    assert!(compared > 1000, "{compared} events compared");
}

/// With fields kept for an event, only those are converted, with the values a full read gives.
#[test]
fn only_the_fields_kept_are_read() {
    let Some(path) = corpus("evtx/APTSimulatorVM-Win10/Microsoft-Windows-Sysmon%4Operational.evtx")
    else {
        return;
    };
    let all = EventIdFilter::new([1, 13]);
    let kept = ["ProcessId", "Image", "NoSuchField"];
    let some = EventIdFilter::new([1, 13]).keep_only_fields("Microsoft-Windows-Sysmon", 1, &kept);
    let (mut full, mut projected) = (Vec::new(), Vec::new());
    read_events(&path, &all, |e| full.push(e)).unwrap();
    read_events(&path, &some, |e| projected.push(e)).unwrap();
    assert_eq!(full.len(), projected.len());
    let starts = full.iter().filter(|e| e.event_id == 1).count();
    assert!(starts > 100, "{starts} process starts");
    for (f, p) in full.iter().zip(&projected) {
        if f.event_id == 1 {
            assert!(f.data.len() > 10, "a Sysmon 1 has over ten fields");
            let expected: Vec<_> = f
                .data
                .iter()
                .filter(|(name, _)| kept.contains(&&**name))
                .cloned()
                .collect();
            assert_eq!(expected.len(), 2);
            assert_eq!(p.data, expected);
        } else {
            assert_eq!(p, f, "other events are read whole");
        }
    }
}
