//! A case folder of several hosts: each is reported on its own, its evidence only its own.

mod common;

use std::path::{Path, PathBuf};

use common::{corpus, scan, scan_case, temp_case};
use konseki_forge::regf::{write_hive, RegData, RegKey};
use konseki_model::{Flag, Grouping, HostReport, NameSource};

/// The service names the APTSimulator VM's System log installs or changes.
const SHARED_NAMES: [&str; 4] = ["Everything", "PsExec", "Sysmon64", "BITS"];

/// Copies `files` into `case/host/C/Windows/System32/winevt/Logs`, as KAPE lays out a target.
fn kape_logs(case: &Path, host: &str, files: &[PathBuf]) -> PathBuf {
    let logs = case.join(host).join("C/Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs).unwrap();
    for f in files {
        std::fs::copy(f, logs.join(f.file_name().unwrap())).unwrap();
    }
    case.join(host)
}

/// A third host, forged: a SYSTEM hive named `FORGED-01` whose services have the APTSimulator
/// VM's service names with other image paths.
fn forged_host(case: &Path) -> PathBuf {
    let when: konseki_model::Timestamp = "2022-03-01T10:00:00Z".parse().unwrap();
    let mut root = RegKey::new("ROOT", when);
    root.path_mut("Select", when)
        .values
        .push(("Current".into(), RegData::Dword(1)));
    root.path_mut("ControlSet001\\Control\\ComputerName\\ComputerName", when)
        .values
        .push(("ComputerName".into(), RegData::Sz("FORGED-01".into())));
    for name in SHARED_NAMES {
        root.path_mut(&format!("ControlSet001\\Services\\{name}"), when)
            .values
            .extend([
                ("Type".into(), RegData::Dword(0x10)),
                ("Start".into(), RegData::Dword(2)),
                ("DisplayName".into(), RegData::Sz(name.into())),
                (
                    "ImagePath".into(),
                    RegData::ExpandSz(format!("C:\\Users\\Public\\{name}-other.exe")),
                ),
            ]);
    }
    let config = case.join("FORGED/C/Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("SYSTEM"), write_hive(&root)).unwrap();
    case.join("FORGED")
}

/// Every path a host's report cites.
fn cited_files(report: &HostReport) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if matches!(k.as_str(), "file" | "path") {
                        if let Some(s) = v.as_str() {
                            out.push(s.to_string());
                        }
                    }
                    walk(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::to_value(report).unwrap(), &mut out);
    out
}

fn flagged(report: &HostReport, flag: Flag) -> usize {
    report
        .services
        .iter()
        .filter(|s| s.attention.iter().any(|a| a.id == flag))
        .count()
}

/// Two hosts from different real sources laid out as KAPE targets, and a forged third with the
/// same service names as the first but other image paths: three hosts, each entity's evidence
/// from its own host only, no cross-host flag, and each host's results those of scanning it
/// alone. Read as one machine, the same files give false flags: the split is what prevents
/// them.
#[test]
fn a_case_of_three_hosts_keeps_each_hosts_evidence_apart() {
    let (Some(apt), Some(belka)) = (
        corpus("evtx/APTSimulatorVM-Win10"),
        corpus("evtx/BelkasoftCTF_InsiderThreat"),
    ) else {
        return;
    };
    let listed = |dir: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    };
    let case = temp_case("three-hosts");
    let apt_dir = kape_logs(&case, "APTSIM", &listed(&apt));
    let belka_dir = kape_logs(&case, "BELKA", &listed(&belka));
    let forged_dir = forged_host(&case);

    let report = scan_case(std::slice::from_ref(&case));
    assert_eq!(report.hosts.len(), 3, "{:?}", report.summary);
    let host = |dir: &Path| {
        report
            .hosts
            .iter()
            .find(|h| h.host.folder.as_deref() == Some(dir))
            .unwrap_or_else(|| panic!("no host for {}", dir.display()))
    };
    let (a, b, f) = (host(&apt_dir), host(&belka_dir), host(&forged_dir));
    // Identity: from the logs' `Computer` field, from the SYSTEM hive, never the folder first.
    assert_eq!(a.host.label, "DESKTOP-TMKU40H");
    assert_eq!(f.host.label, "FORGED-01");
    assert!(f
        .host
        .names
        .iter()
        .any(|n| n.source == NameSource::ComputerName && n.name == "FORGED-01"));
    assert!(a
        .host
        .names
        .iter()
        .any(|n| n.source == NameSource::Folder && n.name == "APTSIM"));
    assert_ne!(b.host.label, a.host.label);
    assert!(report
        .hosts
        .iter()
        .all(|h| h.host.grouping == Grouping::CollectionFolder));

    // Every file a host's report cites is its own.
    for (h, dir) in [(a, &apt_dir), (b, &belka_dir), (f, &forged_dir)] {
        let files = cited_files(h);
        assert!(!files.is_empty());
        let foreign: Vec<&String> = files
            .iter()
            .filter(|p| !Path::new(p).starts_with(dir))
            .collect();
        assert!(foreign.is_empty(), "{}: {foreign:?}", h.host.label);
        assert_eq!(flagged(h, Flag::ImagePathDiffersFromInstall), 0);
    }
    // The forged host's services are its keys alone, with no event of the other hosts.
    for name in SHARED_NAMES {
        let s = f.services.iter().find(|s| s.name == name).unwrap();
        assert!(s.events.is_empty(), "{name}");
    }
    assert!(a.services.iter().all(|s| s.configs.is_empty()));

    // Each host as if scanned alone.
    for (h, dir) in [(a, &apt_dir), (b, &belka_dir), (f, &forged_dir)] {
        let alone = scan_case(std::slice::from_ref(dir));
        assert_eq!(alone.hosts.len(), 1);
        let alone = &alone.hosts[0];
        assert_eq!(alone.host, h.host);
        assert_eq!(alone.services, h.services);
        assert_eq!(alone.autostarts, h.autostarts);
        assert_eq!(alone.tasks, h.tasks);
        assert_eq!(alone.boot_sessions, h.boot_sessions);
    }

    // Read as one machine, the forged keys take the APTSimulator VM's installs as theirs.
    let merged = scan(std::slice::from_ref(&case));
    assert!(flagged(&merged, Flag::ImagePathDiffersFromInstall) > 0);
    std::fs::remove_dir_all(&case).ok();
}

/// Velociraptor's collection layout (`uploads/auto/C%3A/…`) and a mounted volume (a folder
/// holding `Windows\System32`) are each one host, named by the collection folder; loose
/// files beside them are a host of their own.
#[test]
fn collection_layouts_and_loose_files_are_hosts() {
    let Some(system) = corpus("evtx/BelkasoftCTF_InsiderThreat/System.evtx") else {
        return;
    };
    let case = temp_case("layouts");
    let velo =
        case.join("Collection-WS02-2026-01-01/uploads/auto/C%3A/Windows/System32/winevt/Logs");
    let mounted = case.join("mnt/Windows/System32/winevt/Logs");
    let loose = case.join("loose");
    for dir in [&velo, &mounted, &loose] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::copy(&system, dir.join("System.evtx")).unwrap();
    }
    let report = scan_case(std::slice::from_ref(&case));
    let folders: Vec<Option<PathBuf>> =
        report.hosts.iter().map(|h| h.host.folder.clone()).collect();
    assert_eq!(
        folders,
        [
            Some(case.join("Collection-WS02-2026-01-01")),
            Some(case.join("mnt")),
            None
        ]
    );
    assert_eq!(report.hosts[2].host.grouping, Grouping::LooseFiles);
    // One machine's log in three places: three hosts of one name, told apart and said so.
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    let labels: std::collections::HashSet<&str> =
        report.hosts.iter().map(|h| h.host.label.as_str()).collect();
    assert_eq!(labels.len(), 3);
    std::fs::remove_dir_all(&case).ok();
}

/// Loose files of several machines, in one folder: each machine's logs are a host, a SYSTEM
/// hive joins the logs of the machine it names, and what names no machine ($MFT, Prefetch) is
/// tied to none, said so. Loose files of one machine stay one host.
#[test]
fn loose_files_are_split_by_the_machines_they_record() {
    let (Some(tchopper), Some(prefetch)) = (
        corpus("evtx/ID7000,7009,7045-Payload deployed via service - Tchopper.evtx"),
        corpus("prefetch/APTSimulatorVM-Win10/CMD.EXE-0BD30981.pf"),
    ) else {
        return;
    };
    let case = temp_case("loose-split");
    let forged = case.join("forged");
    konseki_forge::scenario::Scenario::builtin("service-timeout")
        .unwrap()
        .write_tree(&forged)
        .unwrap();
    let loose = case.join("loose");
    std::fs::create_dir_all(&loose).unwrap();
    for (from, to) in [
        (forged.join("C/Windows/System32/config/SYSTEM"), "SYSTEM"),
        (
            forged.join("C/Windows/System32/winevt/Logs/System.evtx"),
            "System.evtx",
        ),
        (forged.join("C/$MFT"), "$MFT"),
        (tchopper.clone(), "tchopper.evtx"),
        (prefetch.clone(), "CMD.EXE-0BD30981.pf"),
    ] {
        std::fs::copy(from, loose.join(to)).unwrap();
    }
    let report = scan_case(std::slice::from_ref(&loose));
    let labels: Vec<&str> = report.hosts.iter().map(|h| h.host.label.as_str()).collect();
    assert_eq!(
        labels,
        ["WS01", "FS03.offsec.lan", "unattributed loose files"],
        "{labels:?}"
    );
    let files = |h: &HostReport| -> Vec<String> {
        h.inventory
            .found
            .iter()
            .map(|a| a.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(files(&report.hosts[0]), ["SYSTEM", "System.evtx"]);
    assert_eq!(files(&report.hosts[1]), ["tchopper.evtx"]);
    assert_eq!(files(&report.hosts[2]), ["$MFT", "CMD.EXE-0BD30981.pf"]);
    assert_eq!(
        report.hosts[2].host.grouping,
        Grouping::UnattributedLooseFiles
    );
    // The reference case is whole on its host: the SYSTEM key with its logged timeout.
    let test = report.hosts[0]
        .services
        .iter()
        .find(|s| s.name == "test")
        .unwrap();
    assert_eq!(test.verdict.execution, konseki_model::Execution::Executed);
    assert!(report.hosts[1].services.len() >= 244);
    assert!(report.hosts[1]
        .services
        .iter()
        .all(|s| s.configs.is_empty()));

    // One machine's loose files are one host, whatever names nothing.
    std::fs::remove_file(loose.join("tchopper.evtx")).unwrap();
    let one = scan_case(std::slice::from_ref(&loose));
    assert_eq!(one.hosts.len(), 1);
    assert_eq!(one.hosts[0].host.grouping, Grouping::LooseFiles);
    assert_eq!(one.hosts[0].inventory.found.len(), 4);
    std::fs::remove_dir_all(&case).ok();
}

/// `--per-host DIR`: each host's report in a file of its own, named after its label made safe
/// for a file name: a computer name is evidence, and one written to climb out of DIR stays in.
/// The case's stack is beside them.
#[test]
fn each_host_is_written_to_a_file_of_its_own() {
    let case = temp_case("per-host");
    for (folder, name) in [("A", "WS01"), ("B", "../evil/.x")] {
        let mut scenario = konseki_forge::scenario::Scenario::builtin("service-timeout").unwrap();
        scenario.host = name.to_string();
        scenario
            .write_tree(&case.join("evidence").join(folder))
            .unwrap();
    }
    let out = case.join("out");
    let run = common::konseki(&[
        "scan".as_ref(),
        "-q".as_ref(),
        "-f".as_ref(),
        "jsonl".as_ref(),
        "--per-host".as_ref(),
        out.as_os_str(),
        case.join("evidence").as_os_str(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["WS01.jsonl", "_.._evil_.x.jsonl", "stack.jsonl"]);
    let stack = std::fs::read_to_string(out.join("stack.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(stack.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&first["name"], &first["host_count"], &first["of_hosts"]),
        (
            &serde_json::json!("test"),
            &serde_json::json!(2),
            &serde_json::json!(2)
        )
    );
    assert!(!case.join("evil").exists());
    for (file, label) in [("WS01.jsonl", "WS01"), ("_.._evil_.x.jsonl", "../evil/.x")] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(text.lines().count() > 0);
        for line in text.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(row["host"], label);
        }
    }
    // Into the evidence: refused.
    let refused = common::konseki(&[
        "scan".as_ref(),
        "-q".as_ref(),
        "--per-host".as_ref(),
        case.join("evidence/A/out").as_os_str(),
        case.join("evidence").as_os_str(),
    ]);
    assert_eq!(refused.status.code(), Some(4));
    std::fs::remove_dir_all(&case).ok();
}
