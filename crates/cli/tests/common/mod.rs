//! Shared test helpers: the corpus location and a scan through the library pipeline.
//! Each test binary uses a different subset of them.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

use konseki_model::{CaseReport, HostReport, Provenance, ServiceReport};

pub use konseki_testutil::corpus;

pub fn scan(paths: &[PathBuf]) -> HostReport {
    konseki_correlate::analyse(konseki_extract::extract(
        paths,
        &konseki_extract::NoProgress,
    ))
}

/// The `konseki` binary run with `args`.
pub fn konseki(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_konseki"))
        .args(args)
        .output()
        .unwrap()
}

/// The case under `paths`, host by host, as `konseki scan` makes it.
pub fn scan_case(paths: &[PathBuf]) -> CaseReport {
    let (hosts, warnings) = konseki_extract::extract_hosts(
        paths,
        &konseki_extract::NoProgress,
        &konseki_extract::autostart::defs::builtin(),
        konseki_correlate::analyse,
    );
    konseki_correlate::case_report(paths.to_vec(), hosts, warnings)
}

pub fn service<'a>(report: &'a HostReport, name: &str) -> &'a ServiceReport {
    report
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

/// The event record ids an evidence chain cites.
pub fn cited_records(s: &ServiceReport) -> Vec<u64> {
    s.verdict
        .evidence
        .iter()
        .filter_map(|e| match e.source {
            Provenance::EventRecord { record_id, .. } => Some(record_id),
            _ => None,
        })
        .collect()
}

/// A Sysmon 1 (process created) event on WS01, started by explorer.exe (pid 4000).
pub fn sysmon_start(
    time: &str,
    pid: &str,
    image: &str,
    command_line: &str,
) -> konseki_forge::evtx::EvtxEvent {
    konseki_forge::evtx::EvtxEvent::new(
        "Microsoft-Windows-Sysmon",
        "Microsoft-Windows-Sysmon/Operational",
        1,
        time.parse().expect("an RFC 3339 time"),
        "WS01",
    )
    .data("UtcTime", time)
    .data("ProcessId", pid)
    .data("Image", image)
    .data("CommandLine", command_line)
    .data("ParentProcessId", "4000")
    .data("ParentImage", "C:\\Windows\\explorer.exe")
}

/// An empty directory for one test's case, named after it and the process.
pub fn temp_case(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("konseki-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The root of a forged SOFTWARE hive (told by its `CurrentVersion\SystemRoot`, `C:\Windows`).
pub fn software_root(when: konseki_model::Timestamp) -> konseki_forge::regf::RegKey {
    let mut root = konseki_forge::regf::RegKey::new("ROOT", when);
    root.path_mut("Microsoft\\Windows NT\\CurrentVersion", when)
        .values
        .push((
            "SystemRoot".into(),
            konseki_forge::regf::RegData::Sz("C:\\Windows".into()),
        ));
    root
}
