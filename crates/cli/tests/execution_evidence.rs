//! Execution evidence beside the SCM events, on the APTSimulator VM (System log + Prefetch):
//! the PsExec service has seven installs and no SCM start at all, and PSEXESVC.EXE's Prefetch
//! file holds seven run times, each just after one install.

mod common;

use common::{corpus, scan, service};
use konseki_model::{Execution, Provenance};

#[test]
fn psexec_installs_are_each_matched_to_a_prefetch_run() {
    let (Some(log), Some(prefetch)) = (
        corpus("evtx/APTSimulatorVM-Win10/System.evtx"),
        corpus("prefetch/APTSimulatorVM-Win10"),
    ) else {
        return;
    };
    let report = scan(&[log, prefetch]);
    let psexec = service(&report, "PsExec");
    assert!(psexec.runs.is_empty(), "no SCM event shows a run");
    assert_eq!(psexec.verdict.execution, Execution::Executed);
    assert_eq!(
        psexec.verdict.summary,
        "executed (Prefetch: 7 run time(s)), run length unknown, residency unknown"
    );
    let prefetch_items: Vec<_> = psexec
        .verdict
        .evidence
        .iter()
        .filter(|e| matches!(&e.source, Provenance::File { file } if file.ends_with("PSEXESVC.EXE-AD70946C.pf")))
        .collect();
    assert_eq!(prefetch_items.len(), 7);
    // Each run time follows a different install (records 457-462, 469) by at most 0.02 s.
    let mut installs = Vec::new();
    for item in &prefetch_items {
        let (_, after) = item.summary.split_once(", ").unwrap();
        let seconds: f64 = after.split(' ').next().unwrap().parse().unwrap();
        assert!(seconds <= 0.02, "{}", item.summary);
        let record = item
            .summary
            .rsplit("record ")
            .next()
            .unwrap()
            .trim_end_matches(')');
        installs.push(record.to_string());
    }
    installs.sort();
    assert_eq!(installs, ["457", "458", "459", "460", "461", "462", "469"]);

    // Without the Prefetch files the same service has no evidence of execution: the verdict
    // comes from the artifact, not from the install.
    let log_only = scan(&[corpus("evtx/APTSimulatorVM-Win10/System.evtx").unwrap()]);
    assert_eq!(
        service(&log_only, "PsExec").verdict.execution,
        Execution::NoEvidence
    );
}

#[test]
fn amcache_inventory_layout_dirty_hive_with_logs() {
    let (Some(aptsim), Some(win10)) = (
        corpus("amcache/APTSimulatorVM-Win10/Amcache.hve"),
        corpus("amcache/win10-Amcache.hve"),
    ) else {
        return;
    };
    let logs = [
        aptsim.with_extension("hve.LOG1"),
        aptsim.with_extension("hve.LOG2"),
    ];
    // As stored: 123 InventoryApplicationFile entries (hivexsh and EXPECTED.md agree). The
    // transaction logs hold one more write: gKAPE.exe, the collection tool itself, inventoried
    // at 21:40:49Z, after the logs end (regipy's replay, which EXPECTED.md used, loses it).
    let stored = konseki_extract::read_amcache(&aptsim, &[]).unwrap();
    assert_eq!(
        stored.len(),
        123,
        "InventoryApplicationFile subkeys as stored"
    );
    let entries = konseki_extract::read_amcache(&aptsim, &logs).unwrap();
    assert_eq!(entries.len(), 124, "after the logs are replayed");
    let kape = entries
        .iter()
        .find(|e| !stored.iter().any(|s| s.path == e.path))
        .unwrap();
    assert_eq!(kape.path, "c:\\users\\testuser\\desktop\\gkape.exe");
    assert_eq!(
        kape.key_last_written.unwrap().to_string(),
        "2022-03-10T21:40:49.2238979Z"
    );
    let everything = entries
        .iter()
        .find(|e| e.path == "c:\\program files\\everything\\everything.exe")
        .unwrap();
    assert_eq!(
        everything.sha1.as_deref(),
        Some("7ee4baee647d98a993f5f8f2ca89df39bdef72e7")
    );
    assert_eq!(everything.size, Some(2_262_176));
    // No trace of the GameOver task's mim.exe, nor of PsExec's service program.
    assert!(!entries.iter().any(|e| e.path.ends_with("\\mim.exe")));
    assert!(!entries.iter().any(|e| e.path.ends_with("\\psexesvc.exe")));

    let entries = konseki_extract::read_amcache(&win10, &[]).unwrap();
    assert_eq!(entries.len(), 30);
    let seven_zip = entries
        .iter()
        .find(|e| e.path == "c:\\program files\\7-zip\\7z.exe")
        .unwrap();
    assert_eq!(
        seven_zip.sha1.as_deref(),
        Some("6c7ea8bbd435163ae3945cbef30ef6b9872a4591")
    );
    assert_eq!(seven_zip.size, Some(0x072800));
    assert_eq!(seven_zip.link_date.as_deref(), Some("02/21/2019 16:00:00"));
    assert_eq!(seven_zip.publisher.as_deref(), Some("igor pavlov"));
}

/// The older layout (`Root\File\<volume>\<id>`, numbered values), written by the forge.
#[test]
fn amcache_file_layout() {
    use konseki_forge::regf::{write_hive, RegData, RegKey};
    let t: konseki_model::Timestamp = "2015-06-01T10:00:00Z".parse().unwrap();
    let mut root = RegKey::new("ROOT", t);
    let entry = root.path_mut(
        "Root\\File\\{a1b2c3d4-0000-0000-0000-000000000000}\\10000a1b2",
        t,
    );
    entry.values.extend([
        (
            "15".to_string(),
            RegData::Sz("C:\\tmp\\TestWriteFile.exe".into()),
        ),
        (
            "101".to_string(),
            RegData::Sz("0000aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d".into()),
        ),
        ("6".to_string(), RegData::Dword(1536)),
        ("1".to_string(), RegData::Sz("Contoso".into())),
    ]);
    let dir = std::env::temp_dir().join(format!("konseki-amcache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("Amcache.hve");
    std::fs::write(&path, write_hive(&root)).unwrap();
    let entries = konseki_extract::read_amcache(&path, &[]).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.path, "C:\\tmp\\TestWriteFile.exe");
    assert_eq!(
        e.sha1.as_deref(),
        Some("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")
    );
    assert_eq!(
        (e.size, e.publisher.as_deref()),
        (Some(1536), Some("Contoso"))
    );
    assert_eq!(e.key_last_written, Some(t));
}

#[test]
fn everything_service_gets_its_amcache_record() {
    let (Some(log), Some(amcache)) = (
        corpus("evtx/APTSimulatorVM-Win10/System.evtx"),
        corpus("amcache/APTSimulatorVM-Win10"),
    ) else {
        return;
    };
    let report = scan(&[log, amcache]);
    let everything = service(&report, "Everything");
    let item = everything
        .verdict
        .evidence
        .iter()
        .find(|e| {
            e.summary
                .starts_with("Amcache: c:\\program files\\everything\\everything.exe")
        })
        .expect("Amcache item in the chain");
    assert!(item
        .summary
        .contains("sha1 7ee4baee647d98a993f5f8f2ca89df39bdef72e7"));
    // Presence is not execution: Amcache alone leaves the verdict where the logs put it.
    assert_eq!(everything.verdict.execution, Execution::NoEvidence);
}

/// With the Sysmon log, PSEXESVC.EXE's own processes (Sysmon 1 and 5) give each run an exact
/// start and end, although the SCM logged no start.
#[test]
fn psexec_runs_from_its_own_process_events() {
    let (Some(system), Some(sysmon)) = (
        corpus("evtx/APTSimulatorVM-Win10/System.evtx"),
        corpus("evtx/APTSimulatorVM-Win10/Microsoft-Windows-Sysmon%4Operational.evtx"),
    ) else {
        return;
    };
    let report = scan(&[system, sysmon]);
    let psexec = service(&report, "PsExec");
    assert_eq!(psexec.runs.len(), 7);
    assert_eq!(
        psexec.verdict.summary,
        "executed ×7, each ran ≤ 0.23 s, not resident"
    );
    let first = &psexec.runs[0];
    assert_eq!(
        first.start.earliest().unwrap().to_string(),
        "2022-03-10T19:57:43.6882207Z"
    );
    assert_eq!(
        first.end.latest().unwrap().to_string(),
        "2022-03-10T19:57:43.9138888Z"
    );
    assert_eq!(first.max_duration_ms, Some(225));
    // Its own process is the run's evidence, not "activity inside the window".
    assert!(first
        .activity
        .iter()
        .all(|a| !a.summary.contains("PSEXESVC.EXE (pid 6220)")));
}

/// Shared hosts (svchost.exe, cmd.exe for `%COMSPEC% /c …` services) run for many services:
/// their processes are never a service's own runs, nor its children.
#[test]
fn shared_host_processes_are_not_attributed_to_services() {
    let Some(logs) = corpus("evtx") else { return };
    let report = scan(&[logs]);
    for s in &report.services {
        let own_runs = s
            .runs
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    konseki_model::RunOutcome::ProcessExited
                        | konseki_model::RunOutcome::EndNotRecorded
                )
            })
            .count();
        if own_runs == 0 {
            continue;
        }
        let image = s
            .events
            .iter()
            .find_map(|e| match &e.what {
                konseki_model::ScmEventKind::Installed { install } => {
                    Some(install.image_path.to_lowercase())
                }
                _ => None,
            })
            .unwrap_or_default();
        assert!(
            !["svchost.exe", "cmd.exe", "%comspec%", "powershell"]
                .iter()
                .any(|h| image.contains(h)),
            "{}: {own_runs} process runs credited through a shared host ({image})",
            s.name
        );
    }
    assert_eq!(
        report
            .services
            .iter()
            .find(|s| s.name == "PsExec")
            .map(|s| s.runs.len()),
        Some(7)
    );
}

/// One execution-evidence index serves every report (issue 21): a scheduled task's program is
/// looked up in Amcache as a service's and an autostart entry's are, its inventory entry cited
/// (presence, not execution). Corpus: the APTSimulator VM's task files and Amcache.hve.
#[test]
fn a_task_verdict_uses_amcache_like_a_service_verdict() {
    let (Some(tasks), Some(amcache)) = (
        corpus("tasks/APTSimulatorVM-Win10"),
        corpus("amcache/APTSimulatorVM-Win10"),
    ) else {
        return;
    };
    let report = scan(&[tasks, amcache.clone()]);
    let task = report
        .tasks
        .iter()
        .find(|t| t.name == "\\Microsoft\\Windows\\Device Information\\Device")
        .expect("the task");
    let hive = std::fs::read_dir(&amcache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().to_lowercase().ends_with("amcache.hve"))
        .unwrap();
    let recorded = konseki_extract::read_amcache(&hive, &[])
        .unwrap()
        .into_iter()
        .find(|e| e.path == "c:\\windows\\system32\\devicecensus.exe")
        .expect("devicecensus.exe in Amcache");
    let sha1 = recorded.sha1.unwrap();
    let cited = task
        .evidence
        .iter()
        .find(|i| {
            i.summary
                .starts_with("Amcache: c:\\windows\\system32\\devicecensus.exe")
        })
        .expect("the Amcache entry is cited");
    assert!(cited.summary.contains(&sha1), "{}", cited.summary);
    assert_eq!(cited.source, recorded.source);
    // Inventoried is not run: without Prefetch or process events, no execution.
    assert_eq!(task.execution, Execution::NoEvidence);
}
