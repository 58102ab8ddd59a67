//! Forged EVTX files read back by the `evtx` crate (through konseki's reader) and, when
//! available, by python-evtx: the two parsers CRATES.md names.

use std::path::Path;
use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use konseki_evtx::{read_events, EventIdFilter};
use konseki_forge::evtx::{write_evtx, EvtxEvent};
use konseki_testutil::{run_tool, tool_available};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn scm_timeout_case() -> Vec<EvtxEvent> {
    let boot = t("2026-01-05T08:00:00Z");
    vec![
        EvtxEvent::new("EventLog", "System", 6005, boot, "WS01"),
        EvtxEvent::scm(7009, 0xC000, boot + SignedDuration::from_secs(30), "WS01")
            .data("param1", "30000")
            .data("param2", "test")
            .binary_text("test"),
        EvtxEvent::scm(7000, 0xC000, boot + SignedDuration::from_secs(30), "WS01")
            .data("param1", "test")
            .data("param2", "%%1053")
            .binary_text("test"),
        EvtxEvent::scm(7045, 0x4000, boot + SignedDuration::from_secs(40), "WS01")
            .data("ServiceName", "test")
            .data("ImagePath", "C:\\tmp\\TestWriteFile.exe")
            .data("ServiceType", "user mode service")
            .data("StartType", "auto start")
            .data("AccountName", "LocalSystem")
            .user("S-1-5-21-1-2-3-1001"),
    ]
}

fn read_back(path: &Path) -> (Vec<konseki_evtx::Event>, konseki_evtx::LogSummary) {
    let mut events = Vec::new();
    let summary = read_events(path, &EventIdFilter::new([6005, 7009, 7000, 7045]), |e| {
        events.push(e)
    })
    .unwrap();
    (events, summary)
}

#[test]
fn the_evtx_crate_reads_what_the_forge_writes() {
    let dir = std::env::temp_dir().join(format!("konseki-forge-evtx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("System.evtx");
    std::fs::write(&path, write_evtx(&scm_timeout_case(), 100)).unwrap();
    let (events, summary) = read_back(&path);
    assert_eq!(summary.records, 4);
    assert_eq!(summary.errors, 0, "{:?}", summary.warnings);
    assert_eq!(summary.channel.as_deref(), Some("System"));
    let ids: Vec<(u64, u16)> = events.iter().map(|e| (e.record_id, e.event_id)).collect();
    assert_eq!(ids, [(100, 6005), (101, 7009), (102, 7000), (103, 7045)]);
    let timeout = &events[1];
    assert_eq!(&*timeout.provider, "Service Control Manager");
    assert_eq!(timeout.qualifiers, Some(0xC000));
    assert_eq!(timeout.time, t("2026-01-05T08:00:30Z"));
    assert_eq!(&*timeout.computer, "WS01");
    assert_eq!(timeout.data("param1"), Some("30000"));
    assert_eq!(timeout.binary.as_deref(), Some(&b"t\0e\0s\0t\0\0\0"[..]));
    let install = &events[3];
    assert_eq!(
        install.data("ImagePath"),
        Some("C:\\tmp\\TestWriteFile.exe")
    );
    assert_eq!(install.user_sid.as_deref(), Some("S-1-5-21-1-2-3-1001"));
    assert_eq!(events[0].qualifiers, None);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn long_scenarios_span_several_chunks() {
    let start = t("2026-01-05T08:00:00Z");
    let events: Vec<EvtxEvent> = (0..2000)
        .map(|i| {
            EvtxEvent::scm(7036, 0x4000, start + SignedDuration::from_secs(i), "WS01")
                .data(
                    "param1",
                    &format!("Service number {i} with a long display name"),
                )
                .data("param2", "running")
                .binary_text(&format!("svc{i}/4"))
        })
        .collect();
    let bytes = write_evtx(&events, 1);
    let chunks = (bytes.len() - 0x1000) / 0x10000;
    assert!(chunks >= 3, "{chunks} chunks");
    let path =
        std::env::temp_dir().join(format!("konseki-forge-chunks-{}.evtx", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let mut seen = Vec::new();
    let summary = read_events(&path, &EventIdFilter::new([7036]), |e| seen.push(e)).unwrap();
    assert_eq!((summary.records, summary.errors), (2000, 0));
    assert_eq!(summary.header_chunk_count as usize, chunks);
    assert_eq!(
        seen[1999].data("param1"),
        Some("Service number 1999 with a long display name")
    );
    assert_eq!(seen[1999].record_id, 2000);
    std::fs::remove_file(&path).ok();
}

/// python-evtx (PyPI `python-evtx`) as the second, independent reader. CI installs it and sets
/// `KONSEKI_REQUIRE_PYTHON_EVTX`; elsewhere the test says it is skipped.
#[test]
fn python_evtx_reads_what_the_forge_writes() {
    if !tool_available(
        Command::new("python3").args(["-c", "import Evtx.Evtx"]),
        "python-evtx",
        "KONSEKI_REQUIRE_PYTHON_EVTX",
    ) {
        return;
    }
    let path = std::env::temp_dir().join(format!("konseki-forge-py-{}.evtx", std::process::id()));
    std::fs::write(&path, write_evtx(&scm_timeout_case(), 100)).unwrap();
    let script = r#"
import sys, Evtx.Evtx as evtx
with evtx.Evtx(sys.argv[1]) as log:
    for record in log.records():
        print(record.record_num(), record.xml().replace("\n", ""))
"#;
    let text = run_tool(Command::new("python3").args(["-c", script]).arg(&path), b"");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("101 "));
    assert!(
        lines[1].contains(r#"<EventID Qualifiers="49152">7009</EventID>"#),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(r#"<Data Name="param1">30000</Data>"#),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("<Computer>WS01</Computer>"));
    assert!(
        lines[3].contains(r#"<Data Name="ImagePath">C:\tmp\TestWriteFile.exe</Data>"#),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains("S-1-5-21-1-2-3-1001"), "{}", lines[3]);
    std::fs::remove_file(&path).ok();
}
