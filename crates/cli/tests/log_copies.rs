//! One log collected twice (a volume shadow copy beside the live file, two collections of one
//! machine): each record is counted once, cited to the first file holding it, and a record only a
//! copy still holds is kept.

mod common;

use std::path::{Path, PathBuf};

use common::{corpus, scan, service, temp_case};
use konseki_forge::evtx::{write_evtx, EvtxEvent};
use konseki_model::{HostReport, Provenance};

fn cited_files(report: &HostReport, name: &str) -> Vec<PathBuf> {
    service(report, name)
        .events
        .iter()
        .filter_map(|e| match &e.source {
            Provenance::EventRecord { file, .. } => Some(file.to_path_buf()),
            _ => None,
        })
        .collect()
}

fn coverage<'a>(report: &'a HostReport, file: &Path) -> &'a konseki_model::LogCoverage {
    report
        .logs
        .iter()
        .find(|l| l.file == file)
        .unwrap_or_else(|| panic!("{} not read", file.display()))
}

#[test]
fn a_log_and_its_copy_count_each_record_once() {
    let Some(original) =
        corpus("evtx/ID7000,7009,7045-Payload deployed via service - Tchopper.evtx")
    else {
        return;
    };
    let case = temp_case("log-copies");
    let (live, copy) = (case.join("live/System.evtx"), case.join("vss1/System.evtx"));
    for file in [&live, &copy] {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::copy(&original, file).unwrap();
    }
    let alone = scan(&[original]);
    let report = scan(std::slice::from_ref(&case));
    let timed_out = |r: &HostReport| {
        r.services
            .iter()
            .filter(|s| s.events.iter().any(|e| e.event_id == 7009))
            .count()
    };
    assert_eq!((timed_out(&alone), timed_out(&report)), (244, 244));
    for s in alone.services.iter() {
        let twice = service(&report, &s.name);
        assert_eq!(twice.events.len(), s.events.len(), "{}", s.name);
        assert_eq!(twice.runs.len(), s.runs.len(), "{}", s.name);
        assert_eq!(twice.verdict.summary, s.verdict.summary, "{}", s.name);
        assert!(cited_files(&report, &s.name).iter().all(|f| *f == live));
    }
    let seg1 = service(&report, "seg1");
    assert_eq!(seg1.verdict.summary, "executed, ran ≤ 0.44 s, not resident");
    // Every wanted record of the copy was counted in the live file: 244 × (7045, 7009, 7000),
    // and the copy's one 7036.
    let copied = coverage(&report, &copy);
    assert_eq!(copied.records, 733);
    assert_eq!(copied.duplicates, 244 * 3 + 1);
    assert_eq!(copied.duplicates_counted_in, [live.as_path()]);
    assert_eq!(coverage(&report, &live).duplicates, 0);
    std::fs::remove_dir_all(&case).ok();
}

fn at(time: &str) -> konseki_model::Timestamp {
    time.parse().unwrap()
}

/// Install, start timeout and start failure of `key`, as the SCM logs them.
fn timed_out_service(key: &str, install: &str, timeout: &str) -> Vec<EvtxEvent> {
    vec![
        EvtxEvent::scm(7045, 0x4000, at(install), "WS01")
            .data("ServiceName", key)
            .data("ImagePath", &format!("C:\\tmp\\{key}.exe"))
            .data("ServiceType", "user mode service")
            .data("StartType", "auto start")
            .data("AccountName", "LocalSystem"),
        EvtxEvent::scm(7009, 0xC000, at(timeout), "WS01")
            .data("param1", "30000")
            .data("param2", key)
            .binary_text(key),
        EvtxEvent::scm(7000, 0xC000, at(timeout), "WS01")
            .data("param1", key)
            .data("param2", "%%1053")
            .binary_text(key),
    ]
}

fn write(path: &Path, events: &[EvtxEvent], first_record_id: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, write_evtx(events, first_record_id)).unwrap();
}

#[test]
fn a_shadow_copy_adds_what_the_live_log_lost_and_nothing_twice() {
    let case = temp_case("shadow-copy");
    let evil = timed_out_service("evil", "2026-03-01T10:00:00Z", "2026-03-01T10:01:00Z");
    let later = timed_out_service("later", "2026-03-02T10:00:00Z", "2026-03-02T10:01:00Z");
    let (live, shadow) = (case.join("a/System.evtx"), case.join("b/System.evtx"));

    // The shadow copy is an older state of the live log: its records are the live log's first.
    let grown: Vec<EvtxEvent> = evil.iter().chain(&later).cloned().collect();
    write(&live, &grown, 1);
    write(&shadow, &evil, 1);
    let report = scan(std::slice::from_ref(&case));
    assert_eq!(service(&report, "evil").events.len(), 3);
    assert_eq!(service(&report, "evil").runs.len(), 1);
    assert!(cited_files(&report, "evil").iter().all(|f| *f == live));
    assert_eq!(coverage(&report, &shadow).duplicates, 3);
    assert_eq!(
        coverage(&report, &shadow).duplicates_counted_in,
        [live.as_path()]
    );

    // The live log was cleared after `evil` ran: only the shadow copy still has its records.
    write(&live, &later, 4);
    let report = scan(std::slice::from_ref(&case));
    assert_eq!(service(&report, "evil").events.len(), 3);
    assert!(cited_files(&report, "evil").iter().all(|f| *f == shadow));
    assert!(cited_files(&report, "later").iter().all(|f| *f == live));
    assert_eq!(coverage(&report, &shadow).duplicates, 0);

    // Two different records under the same id and time (two machines' logs, or a forgery) are
    // both kept: only a record's identical bytes make it a copy.
    let other = timed_out_service("other", "2026-03-01T10:00:00Z", "2026-03-01T10:01:00Z");
    write(&live, &other, 1);
    let report = scan(std::slice::from_ref(&case));
    assert_eq!(service(&report, "evil").events.len(), 3);
    assert_eq!(service(&report, "other").events.len(), 3);
    assert_eq!(coverage(&report, &shadow).duplicates, 0);
    std::fs::remove_dir_all(&case).ok();
}

/// A log large enough that its second pass is split across cores (over 32,768 wanted records)
/// gives every event once.
#[test]
fn a_large_log_read_in_parts_gives_every_event_once() {
    let case = temp_case("large-log");
    let events: Vec<EvtxEvent> = (0..40_000)
        .map(|i| {
            let (seconds, ms) = (i / 100, i % 100 * 10);
            let time = format!(
                "2026-03-01T10:{:02}:{:02}.{ms:03}Z",
                seconds / 60,
                seconds % 60
            );
            let pid = (5000 + i).to_string();
            let image = format!("C:\\tmp\\tool{}.exe", i % 7);
            common::sysmon_start(&time, &pid, &image, "tool.exe /x")
        })
        .collect();
    write(&case.join("Sysmon.evtx"), &events, 1);
    let evidence =
        konseki_extract::extract(std::slice::from_ref(&case), &konseki_extract::NoProgress);
    assert_eq!(evidence.logs[0].records, 40_000);
    let mut records: Vec<u64> = evidence
        .processes
        .iter()
        .filter_map(|p| match p.source {
            Provenance::EventRecord { record_id, .. } => Some(record_id),
            _ => None,
        })
        .collect();
    records.sort_unstable();
    records.dedup();
    assert_eq!(records.len(), 40_000);
    assert_eq!(evidence.processes.len(), 40_000);
    assert_eq!(
        (records[0], records[39_999]),
        (1, 40_000),
        "every record, once"
    );
    std::fs::remove_dir_all(&case).ok();
}
