//! Verdicts an examiner can defend (issue 16): each test names the item it covers and the forge
//! scenario or corpus file it is built from; each failed on the code before the fix.

mod common;

use std::collections::BTreeSet;

use common::{corpus, scan, service, temp_case};
use konseki_forge::evtx::{write_evtx, EvtxEvent};
use konseki_forge::scenario::Scenario;
use konseki_model::{Execution, HostReport, ScmEventKind, ServiceReport, TimeBound};

/// Writes the scenario given as TOML and scans it.
fn scan_scenario(toml: &str) -> HostReport {
    let scenario = Scenario::parse(toml).unwrap();
    let dir = temp_case(&format!("trust-{}", scenario.name));
    scenario.write_tree(&dir).unwrap();
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    report
}

fn flags(s: &ServiceReport) -> BTreeSet<&str> {
    s.attention.iter().map(|a| a.id.as_str()).collect()
}

/// A 7045 in a scenario: `name` installed at `t` with `image`, start type `start` (`auto`…).
fn install(t: f64, name: &str, image: &str, start: &str) -> String {
    format!(
        "[[events]]\nt = {t:?}\nid = 7045\ndata = [[\"ServiceName\", \"{name}\"], [\"ImagePath\", '{image}'], [\"ServiceType\", \"user mode service\"], [\"StartType\", \"{start} start\"], [\"AccountName\", \"LocalSystem\"]]\n"
    )
}

const HEADER: &str = r#"
host = "WS01"
boot = "2026-01-05T08:00:00Z"
"#;

/// Item 6: a service known only from its 7045 gets the flags the same ImagePath earns in a hive
/// (forge scenarios `flags-from-hive` and `flags-from-install`).
#[test]
fn a_service_known_only_from_its_install_gets_the_flags_of_one_read_from_a_hive() {
    let images = [
        ("tempsvc", r"C:\Users\bob\AppData\Local\Temp\svc.exe"),
        ("calcsvc", r"C:\Windows\System32\calc.exe"),
        ("pssvc", r"powershell.exe -nop -enc SQBFAFgA"),
        ("pipesvc", r"cmd.exe /c echo pipesvc > \\.\pipe\pipesvc"),
    ];
    let mut from_hive = format!("name = \"flags-from-hive\"\nsummary = \"s\"\n{HEADER}");
    let mut from_install = format!("name = \"flags-from-install\"\nsummary = \"s\"\n{HEADER}");
    for (i, (name, image)) in images.iter().enumerate() {
        from_hive.push_str(&format!(
            "[[services]]\nname = \"{name}\"\ntype = 0x10\nstart = 2\nimage_path = '{image}'\nobject_name = \"LocalSystem\"\nkey_written = -10.0\n"
        ));
        from_install.push_str(&install(60.0 + i as f64, name, image, "auto"));
    }
    let hive = scan_scenario(&from_hive);
    let install = scan_scenario(&from_install);
    for (name, _) in images {
        let by_hive = flags(service(&hive, name));
        let mut by_install = flags(service(&install, name));
        by_install.remove("installed_within_logs");
        assert_eq!(by_install, by_hive, "{name}");
    }
    let expect = |name: &str, flag: &str| {
        assert!(
            flags(service(&install, name)).contains(flag),
            "{name}: {flag} missing"
        );
    };
    expect("tempsvc", "user_writable_image");
    expect("tempsvc", "non_standard_image_location");
    expect("calcsvc", "non_service_program_image");
    expect("pssvc", "interpreter_image");
    expect("pipesvc", "named_pipe_impersonation");
}

/// Item 6: the 4697 start type is decoded (`3` → demand), the service type too; the numbers
/// stay in the event's data (corpus `ID4688-4697 RDP hijack via service creation.evtx`).
#[test]
fn a_4697_start_type_is_decoded() {
    let Some(path) = corpus("evtx/ID4688-4697 RDP hijack via service creation.evtx") else {
        return;
    };
    let report = scan(&[path]);
    let s = service(&report, "hijackservice");
    let (install, data) = s
        .events
        .iter()
        .find_map(|e| match &e.what {
            ScmEventKind::Installed { install } => Some((install, &e.data)),
            _ => None,
        })
        .unwrap();
    assert_eq!(install.start_type, "demand start");
    assert_eq!(install.service_type, "user mode service");
    assert_eq!(data.get("ServiceStartType"), Some("3"));
    assert!(flags(s).contains("interpreter_image"));
}

/// Item 7: the pipe timeout is the SCM's wait for a Win32 service process: no flag on drivers,
/// and a driver's lack of run events is "not applicable", not "did not load" (forge scenario
/// `driver-and-raised-timeout`).
#[test]
fn the_pipe_timeout_flag_and_the_no_evidence_wording_do_not_apply_to_drivers() {
    let report = scan_scenario(&format!(
        r#"name = "driver-and-raised-timeout"
summary = "s"
pipe_timeout_ms = 180000
{HEADER}
[[services]]
name = "evildrv"
type = 1
start = 2
image_path = '\??\C:\Windows\Temp\evildrv.sys'
key_written = -10.0

[[services]]
name = "agent"
type = 0x10
start = 2
image_path = '"C:\Program Files\Agent\agent.exe"'
key_written = -10.0
"#
    ));
    let driver = service(&report, "evildrv");
    assert!(!flags(driver).contains("raised_pipe_timeout"), "{driver:?}");
    assert!(flags(service(&report, "agent")).contains("raised_pipe_timeout"));
    assert_eq!(driver.verdict.execution, Execution::NoEvidence);
    assert!(
        driver.verdict.summary.starts_with("driver:"),
        "{}",
        driver.verdict.summary
    );
    assert!(
        driver
            .verdict
            .rationale
            .iter()
            .any(|r| r.contains("says nothing about whether it loaded")),
        "{:?}",
        driver.verdict.rationale
    );
}

/// Item 9: a run known only from a 7036 "running" is bounded by the boot before it, not by a
/// fixed 30 s before the event (forge scenario `delayed-start-running`).
#[test]
fn a_run_seen_only_running_is_bounded_by_the_boot_not_by_the_pipe_timeout() {
    let report = scan_scenario(&format!(
        r#"name = "delayed-start-running"
summary = "s"
{HEADER}
[[services]]
name = "slowsvc"
type = 0x10
start = 2
image_path = '"C:\Program Files\Slow\slow.exe"'
key_written = -10.0

[[events]]
t = 130.0
id = 7036
binary = "slowsvc/4"
data = [["param1", "slowsvc"], ["param2", "running"]]
"#
    ));
    let run = &service(&report, "slowsvc").runs[0];
    let boot: konseki_model::Timestamp = "2026-01-05T08:00:00Z".parse().unwrap();
    let seen: konseki_model::Timestamp = "2026-01-05T08:02:10Z".parse().unwrap();
    assert_eq!(
        run.start,
        TimeBound::Range {
            from: boot,
            to: seen
        }
    );
}

/// Item 11: an auto-start service installed after the last boot never auto-started within the
/// logs, and another service's crash minutes later is linked as context (forge scenario
/// `installed-after-last-boot`).
#[test]
fn an_auto_start_service_installed_after_the_last_boot_is_said_to_have_never_fired() {
    let report = scan_scenario(&format!(
        r#"name = "installed-after-last-boot"
summary = "s"
{HEADER}
{}
[[events]]
t = 780.0
id = 7031
binary = "Spooler"
data = [["param1", "Print Spooler"], ["param2", "1"], ["param3", "60000"], ["param4", "1"], ["param5", "Restart the service"]]
"#,
        install(600.0, "updater", r"C:\ProgramData\upd\updater.exe", "auto")
    ));
    let s = service(&report, "updater");
    assert_eq!(s.verdict.execution, Execution::NoEvidence);
    assert_eq!(
        s.verdict.summary,
        "installed after the last recorded boot: its auto-start never fired within the logs"
    );
    let why = s.verdict.rationale.join(" ");
    assert!(why.contains("never fired within the logs"), "{why}");
    assert!(why.contains("7031"), "the nearby crash is linked: {why}");
    assert!(
        s.verdict
            .evidence
            .iter()
            .any(|e| e.summary.starts_with("7031")),
        "the crash is in the chain"
    );
    // A demand-start service is not expected to start at boot: no such wording.
    let report = scan_scenario(&format!(
        r#"name = "demand-installed-after-boot"
summary = "s"
{HEADER}
{}"#,
        install(600.0, "tool", r"C:\ProgramData\tool.exe", "demand")
    ));
    assert!(service(&report, "tool")
        .verdict
        .summary
        .starts_with("no evidence of execution"));
}

/// Item 11: `cmd /c echo … > \\.\pipe\…` is named as the named-pipe impersonation pattern
/// (corpus `metasploit-psexec-powershell-target-system.evtx`, service `genusn`).
#[test]
fn the_named_pipe_impersonation_pattern_is_named() {
    let Some(path) = corpus("evtx/metasploit-psexec-powershell-target-system.evtx") else {
        return;
    };
    let report = scan(&[path]);
    let genusn = service(&report, "genusn");
    let flag = genusn
        .attention
        .iter()
        .find(|a| a.id == "named_pipe_impersonation")
        .expect("flagged");
    assert!(flag.reason.contains("impersonated"), "{}", flag.reason);
    assert!(!flags(service(&report, "UWdKhYTIQWWJxHfx")).contains("named_pipe_impersonation"));
}

/// A classic System event (qualifiers 0x8000) of `provider` on WS01.
fn system_event(provider: &str, id: u16, at: &str) -> EvtxEvent {
    EvtxEvent::new(provider, "System", id, at.parse().unwrap(), "WS01").qualifiers(0x8000)
}

/// Item 5: providers compare without regard to case: a 1074 logged by `USER32` is a shutdown
/// marker like one logged by `User32` (forged System log).
#[test]
fn a_provider_spelled_in_another_case_is_still_read() {
    let dir = temp_case("provider-case");
    let events = [
        system_event("EventLog", 6005, "2026-01-05T08:00:00Z"),
        system_event("USER32", 1074, "2026-01-05T09:00:00Z")
            .data("param1", "C:\\Windows\\system32\\shutdown.exe"),
        system_event("EVENTLOG", 6006, "2026-01-05T09:00:05Z"),
    ];
    std::fs::write(dir.join("System.evtx"), write_evtx(&events, 1)).unwrap();
    let report = scan(std::slice::from_ref(&dir));
    let kinds: Vec<_> = report.boot_markers.iter().map(|m| m.kind).collect();
    use konseki_model::BootMarkerKind::*;
    assert_eq!(kinds, [Boot, ShutdownInitiated, Shutdown]);
    assert_eq!(report.boot_sessions[0].ended_by, "shutdown");
    std::fs::remove_dir_all(&dir).ok();
}

/// Item 5: a file holding records of several channels (an export merging System and
/// Security) counts for each channel; the System span of a "no evidence" statement comes from
/// its System records only, not from a lone Security record years older.
#[test]
fn a_file_of_several_channels_is_labelled_per_record() {
    let dir = temp_case("merged-channels");
    let at = |s: &str| s.parse().unwrap();
    let events = [
        EvtxEvent::new(
            "Microsoft-Windows-Security-Auditing",
            "Security",
            4697,
            at("2014-03-01T10:00:00Z"),
            "WS01",
        )
        .data("ServiceName", "oldsvc")
        .data("ServiceFileName", "C:\\old.exe")
        .data("ServiceType", "0x10")
        .data("ServiceStartType", "3")
        .data("ServiceAccount", "LocalSystem"),
        system_event("EventLog", 6005, "2026-01-05T08:00:00Z"),
        EvtxEvent::scm(7045, 0x4000, at("2026-01-05T08:10:00Z"), "WS01")
            .data("ServiceName", "newsvc")
            .data("ImagePath", "C:\\Program Files\\New\\new.exe")
            .data("ServiceType", "user mode service")
            .data("StartType", "demand start")
            .data("AccountName", "LocalSystem"),
    ];
    std::fs::write(dir.join("merged.evtx"), write_evtx(&events, 1)).unwrap();
    let report = scan(std::slice::from_ref(&dir));
    let log = &report.logs[0];
    let channels: Vec<&str> = log.channels.iter().map(|c| c.channel.as_str()).collect();
    assert_eq!(channels, ["Security", "System"]);
    let missing: Vec<&str> = report
        .inventory
        .missing
        .iter()
        .map(|m| m.what.as_str())
        .collect();
    assert!(
        !missing.contains(&"System.evtx") && !missing.contains(&"Security.evtx"),
        "{missing:?}"
    );
    let summary = &service(&report, "newsvc").verdict.summary;
    assert_eq!(
        summary,
        "no evidence of execution in System logs 2026-01-05T08:00:00Z – 2026-01-05T08:10:00Z"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A Sysmon registry event (12 CreateKey, 13 SetValue) made by sc.exe on WS01.
fn sysmon_registry(id: u16, at: &str, event_type: &str, target: &str, details: &str) -> EvtxEvent {
    let mut event = EvtxEvent::new(
        "Microsoft-Windows-Sysmon",
        "Microsoft-Windows-Sysmon/Operational",
        id,
        at.parse().unwrap(),
        "WS01",
    )
    .data("EventType", event_type)
    .data("UtcTime", at)
    .data("ProcessId", "4242")
    .data("Image", "C:\\Windows\\system32\\sc.exe")
    .data("TargetObject", target);
    if !details.is_empty() {
        event = event.data("Details", details);
    }
    event
}

/// Item 2: a driver and a svchost service whose only trace is Sysmon 12/13, written in every
/// spelling of the path Sysmon uses, are services with image path, start type and type, the
/// records cited; COM registrations changed through Sysmon are COM hijack entries, the default
/// value however spelled (forged Sysmon log, no hive).
#[test]
fn services_and_com_hijacks_known_only_from_sysmon_registry_events() {
    let dir = temp_case("sysmon-registry");
    let events = [
        sysmon_registry(12, "2026-01-05T09:00:00Z", "CreateKey", "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\evildrv", ""),
        sysmon_registry(13, "2026-01-05T09:00:01Z", "SetValue", "HKLM\\System\\CurrentControlSet\\Services\\evildrv\\ImagePath", "\\??\\C:\\Users\\Public\\evildrv.sys"),
        sysmon_registry(13, "2026-01-05T09:00:02Z", "SetValue", "hklm\\system\\currentcontrolset\\services\\EVILDRV\\Type", "DWORD (0x00000001)"),
        sysmon_registry(13, "2026-01-05T09:00:03Z", "SetValue", "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\evildrv\\Start", "DWORD (0x00000003)"),
        sysmon_registry(13, "2026-01-05T09:01:00Z", "SetValue", "HKLM\\System\\CurrentControlSet\\Services\\netsvc2\\ImagePath", "%SystemRoot%\\System32\\svchost.exe -k netsvcs"),
        sysmon_registry(13, "2026-01-05T09:01:01Z", "SetValue", "HKLM\\System\\CurrentControlSet\\Services\\netsvc2\\Start", "DWORD (0x00000002)"),
        sysmon_registry(13, "2026-01-05T09:01:02Z", "SetValue", "HKLM\\System\\CurrentControlSet\\Services\\netsvc2\\Type", "DWORD (0x00000020)"),
        sysmon_registry(13, "2026-01-05T09:01:03Z", "SetValue", "HKLM\\System\\CurrentControlSet\\Services\\netsvc2\\Parameters\\ServiceDll", "C:\\ProgramData\\net\\netsvc2.dll"),
        sysmon_registry(13, "2026-01-05T09:02:00Z", "SetValue", "HKLM\\SOFTWARE\\Classes\\CLSID\\{AAAAAAAA-0000-0000-0000-000000000001}\\InprocServer32\\(Default)", "C:\\Users\\Public\\hijack.dll"),
        sysmon_registry(13, "2026-01-05T09:02:01Z", "SetValue", "HKU\\S-1-5-21-1-2-3-1000_Classes\\CLSID\\{BBBBBBBB-0000-0000-0000-000000000002}\\InprocServer32\\{Default}", "C:\\Users\\eve\\AppData\\Local\\x.dll"),
        sysmon_registry(13, "2026-01-05T09:02:02Z", "SetValue", "\\REGISTRY\\USER\\S-1-5-21-1-2-3-1000\\Software\\Classes\\CLSID\\{CCCCCCCC-0000-0000-0000-000000000003}\\LocalServer32\\", "C:\\Users\\eve\\AppData\\Local\\y.exe"),
    ];
    std::fs::write(
        dir.join("Microsoft-Windows-Sysmon%4Operational.evtx"),
        write_evtx(&events, 100),
    )
    .unwrap();
    let report = scan(std::slice::from_ref(&dir));

    let driver = service(&report, "evildrv");
    let config = &driver.configs[0];
    assert_eq!(config.origin, konseki_model::ConfigOrigin::LoggedChanges);
    assert_eq!(config.service_type, Some(1));
    assert_eq!(config.start, Some(konseki_model::StartType::Demand));
    assert_eq!(
        config.image_path.as_ref().unwrap().executable,
        "C:\\Users\\Public\\evildrv.sys"
    );
    assert!(flags(driver).contains("user_writable_image"));
    let cited: Vec<u64> = common::cited_records(driver);
    for record in 100..=103 {
        assert!(
            cited.contains(&record),
            "record {record} not cited: {cited:?}"
        );
    }

    let svchost = service(&report, "netsvc2");
    assert_eq!(
        svchost.configs[0].service_dll.as_deref(),
        Some("C:\\ProgramData\\net\\netsvc2.dll")
    );
    assert_eq!(
        svchost.configs[0].start,
        Some(konseki_model::StartType::Auto)
    );

    let com: Vec<(&str, &str)> = report
        .autostarts
        .iter()
        .filter(|a| a.entry.location.contains("com_"))
        .map(|a| (a.entry.location.as_str(), a.entry.command.as_str()))
        .collect();
    assert_eq!(
        com,
        [
            ("com_inproc_server", "C:\\Users\\Public\\hijack.dll"),
            (
                "user_com_inproc_server",
                "C:\\Users\\eve\\AppData\\Local\\x.dll"
            ),
            (
                "user_com_local_server",
                "C:\\Users\\eve\\AppData\\Local\\y.exe"
            ),
        ]
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A Sysmon 1 process start of `image` on WS01.
fn started(at: &str, image: &str) -> EvtxEvent {
    common::sysmon_start(at, "777", image, image)
}

/// Item 3: cause comes before effect. A task, a service and a Run value whose program ran
/// before the entry existed are not "executed" by those runs; the runs are still said; a run
/// after the entry existed counts (forged Security + Sysmon logs, scenario `runs-before-entries`).
#[test]
fn a_run_before_the_entry_existed_is_not_its_execution() {
    let task_xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><Actions Context=\"Author\"><Exec><Command>C:\\ProgramData\\upd.exe</Command></Exec></Actions></Task>";
    let registered = EvtxEvent::new(
        "Microsoft-Windows-Security-Auditing",
        "Security",
        4698,
        "2026-01-05T10:00:00Z".parse().unwrap(),
        "WS01",
    )
    .data("SubjectUserName", "eve")
    .data("TaskName", "\\Updater")
    .data("TaskContent", task_xml);
    let installed = EvtxEvent::scm(
        7045,
        0x4000,
        "2026-01-05T10:00:00Z".parse().unwrap(),
        "WS01",
    )
    .data("ServiceName", "svcx")
    .data("ImagePath", "C:\\ProgramData\\svcx.exe")
    .data("ServiceType", "user mode service")
    .data("StartType", "demand start")
    .data("AccountName", "LocalSystem");
    let run_value = sysmon_registry(
        13,
        "2026-01-05T10:00:00Z",
        "SetValue",
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\helper",
        "C:\\ProgramData\\helper.exe",
    );
    let case = |extra: Vec<EvtxEvent>, tag: &str| {
        let dir = temp_case(&format!("causality-{tag}"));
        let mut sysmon = vec![
            started("2026-01-05T09:55:00Z", "C:\\ProgramData\\upd.exe"),
            started("2026-01-05T09:50:00Z", "C:\\ProgramData\\svcx.exe"),
            started("2026-01-05T09:52:00Z", "C:\\ProgramData\\helper.exe"),
            run_value.clone(),
        ];
        sysmon.extend(extra);
        sysmon.sort_by_key(|e| e.time);
        std::fs::write(
            dir.join("Security.evtx"),
            write_evtx(std::slice::from_ref(&registered), 1),
        )
        .unwrap();
        std::fs::write(
            dir.join("System.evtx"),
            write_evtx(std::slice::from_ref(&installed), 1),
        )
        .unwrap();
        std::fs::write(
            dir.join("Microsoft-Windows-Sysmon%4Operational.evtx"),
            write_evtx(&sysmon, 1),
        )
        .unwrap();
        let report = scan(std::slice::from_ref(&dir));
        std::fs::remove_dir_all(&dir).ok();
        report
    };

    let before_only = case(Vec::new(), "before");
    let task = before_only
        .tasks
        .iter()
        .find(|t| t.name == "\\Updater")
        .unwrap();
    assert_eq!(task.execution, Execution::NoEvidence, "{}", task.summary);
    assert!(
        task.summary.contains("before this entry existed"),
        "{}",
        task.summary
    );
    let svc = service(&before_only, "svcx");
    assert_eq!(
        svc.verdict.execution,
        Execution::NoEvidence,
        "{}",
        svc.verdict.summary
    );
    assert!(
        svc.verdict
            .rationale
            .iter()
            .any(|r| r.contains("before this entry existed")),
        "{:?}",
        svc.verdict.rationale
    );
    let run = before_only
        .autostarts
        .iter()
        .find(|a| a.entry.name == "helper")
        .unwrap();
    assert_eq!(run.execution, Execution::NoEvidence, "{}", run.summary);

    let also_after = case(
        vec![
            started("2026-01-05T10:05:00Z", "C:\\ProgramData\\upd.exe"),
            started("2026-01-05T10:06:00Z", "C:\\ProgramData\\helper.exe"),
        ],
        "after",
    );
    let task = also_after
        .tasks
        .iter()
        .find(|t| t.name == "\\Updater")
        .unwrap();
    assert_eq!(task.execution, Execution::Executed, "{}", task.summary);
    let run = also_after
        .autostarts
        .iter()
        .find(|a| a.entry.name == "helper")
        .unwrap();
    assert_eq!(run.execution, Execution::Executed, "{}", run.summary);
    assert!(
        run.summary
            .starts_with("executed: 0 Prefetch run time(s), 1 process start(s)"),
        "{}",
        run.summary
    );
}

/// Item 10: a log with EventRecordID gaps says so, and every "no evidence" statement carries
/// it (corpus `ID7045-New service for Mimikatz +npcap.evtx`: an exported copy of 6 records
/// whose EventRecordIDs run 337870–453879).
#[test]
fn a_log_with_record_id_gaps_is_reported_and_qualifies_no_evidence() {
    let Some(path) = corpus("evtx/ID7045-New service for Mimikatz +npcap.evtx") else {
        return;
    };
    let report = scan(&[path]);
    let log = &report.logs[0];
    assert!(log.exported_copy);
    let ids = log.record_ids.unwrap();
    assert_eq!(
        (ids.first_id, ids.last_id, ids.records),
        (337_870, 453_879, 6)
    );
    assert_eq!(log.missing_records, 453_879 - 337_870 + 1 - 6);
    let s = service(&report, "WCESERVICE");
    assert!(
        s.verdict.summary.ends_with("(the logs have gaps)"),
        "{}",
        s.verdict.summary
    );
    assert!(
        s.verdict
            .rationale
            .iter()
            .any(|r| r.contains("exported copy") && r.contains("at least 116004")),
        "{:?}",
        s.verdict.rationale
    );
    // A whole log has no gaps (corpus APTSimulatorVM System.evtx: records 1–831).
    let Some(whole) = corpus("evtx/APTSimulatorVM-Win10/System.evtx") else {
        return;
    };
    let report = scan(&[whole]);
    let log = &report.logs[0];
    let ids = log.record_ids.unwrap();
    assert_eq!(
        (ids.first_id, ids.last_id, log.missing_records),
        (1, 831, 0)
    );
    assert_eq!(
        ids.first_time,
        Some("2022-03-10T19:32:21.5682068Z".parse().unwrap())
    );
}

/// Item 10: $MFT records without a name (reserved entries 12-15, extension records) are not
/// paths on the volume (corpus `mft/NIST-DFR-16/$MFT`).
#[test]
fn nameless_mft_records_are_not_paths() {
    let Some(path) = corpus("mft/NIST-DFR-16/$MFT") else {
        return;
    };
    let evidence = konseki_extract::extract(&[path], &konseki_extract::NoProgress);
    // 117 FILE records (EXPECTED.md), less the four reserved ones without a name (12-15).
    assert_eq!(evidence.files.len(), 113);
    let bare: Vec<u64> = evidence
        .files
        .iter()
        .filter(|f| f.path == "C:\\")
        .filter_map(|f| match f.source {
            konseki_model::Provenance::MftEntry { entry, .. } => Some(entry),
            _ => None,
        })
        .filter(|&entry| entry != 5)
        .collect();
    assert!(bare.is_empty(), "entries shown as C:\\: {bare:?}");
}

/// Item 1: time is not monotonic. The corpus's APTSimulatorVM System log steps the clock back
/// 3 h (record 155) and forward 2.5 h (record 424), and renames the machine between its first
/// two boots: three boot sessions of one host, not phantom ones split by sorting on time.
#[test]
fn a_stepped_clock_does_not_split_or_invent_boot_sessions() {
    let Some(path) = corpus("evtx/APTSimulatorVM-Win10/System.evtx") else {
        return;
    };
    let report = scan(&[path]);
    let sessions: Vec<(&str, Option<String>, &str, usize)> = report
        .boot_sessions
        .iter()
        .map(|b| {
            (
                b.computer.as_str(),
                b.start.map(|t| t.to_string()),
                b.ended_by.as_str(),
                b.clock_steps.len(),
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            (
                "WIN-C89CFTIHC0I",
                Some("2022-03-10T19:32:21.5682068Z".into()),
                "no shutdown logged before the next boot",
                0
            ),
            (
                "DESKTOP-TMKU40H",
                Some("2022-03-10T19:33:37.7973683Z".into()),
                "shutdown",
                1
            ),
            (
                "DESKTOP-TMKU40H",
                Some("2022-03-10T16:35:10.8589032Z".into()),
                "still running at the end of the logs",
                5
            ),
        ]
    );
    let steps: Vec<i64> = report
        .clock_steps
        .iter()
        .map(|c| c.delta_ms / 1000)
        .collect();
    assert_eq!(steps, [-10800, 33, 8944, 189, 1, 511]);
}

/// Item 1: a workstation renamed and promoted to domain controller inside one boot stays one
/// host with one boot history (corpus `plaso_System.evtx`: WIN-NBRJP24VCHB, then its domain
/// name, then DC1), and a boot stamped on a clock 2 h fast is not a phantom session.
#[test]
fn a_rename_inside_a_boot_does_not_split_the_session() {
    let Some(path) = corpus("evtx/plaso_System.evtx") else {
        return;
    };
    let report = scan(&[path]);
    assert!(
        report
            .boot_sessions
            .iter()
            .any(|b| b.computer == "WIN-NBRJP24VCHB → WIN-NBRJP24VCHB.internal.greendale.edu"),
        "{:?}",
        report
            .boot_sessions
            .iter()
            .map(|b| &b.computer)
            .collect::<Vec<_>>()
    );
    let last: Vec<(Option<String>, &str)> = report.boot_sessions[report.boot_sessions.len() - 2..]
        .iter()
        .map(|b| (b.start.map(|t| t.to_string()), b.ended_by.as_str()))
        .collect();
    assert_eq!(
        last,
        [
            (
                Some("2015-08-25T15:19:08.640625Z".into()),
                "unexpected shutdown"
            ),
            (Some("2015-08-25T15:40:24.625Z".into()), "shutdown"),
        ]
    );
}

/// Item 1: a run across a clock set back then forward is bounded by the time that passed, the
/// steps are said, and a file written between them lies inside it (forge scenario
/// `clock-stepped-while-running`).
#[test]
fn a_run_across_clock_steps_is_bounded_by_the_time_that_passed() {
    let scenario = Scenario::builtin("clock-stepped-while-running").unwrap();
    let dir = temp_case("clock-steps");
    scenario.write_tree(&dir).unwrap();
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let s = service(&report, "syncsvc");
    assert_eq!(s.runs.len(), 1);
    // Started at most 60 s after the boot, stopped 840 s later: ≤ 15 min, not ≤ 75 min.
    assert_eq!(s.verdict.longest_run_ms, Some(900_000));
    assert_eq!(s.runs[0].clock_steps.len(), 2);
    assert!(
        s.verdict
            .rationale
            .iter()
            .any(|r| r.contains("The system clock was changed inside this run")),
        "{:?}",
        s.verdict.rationale
    );
    assert_eq!(report.boot_sessions.len(), 1);
}
