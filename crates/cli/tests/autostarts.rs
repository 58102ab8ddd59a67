//! Autostart entries beyond services: the corpus's user hives (EXPECTED.md), every location
//! definition on forged hives, and execution evidence for a Run-key program.

mod common;

use std::path::PathBuf;

use common::{corpus, scan, sysmon_start};
use konseki_extract::autostart::defs::{builtin, HiveKind, Read};
use konseki_forge::evtx::write_evtx;
use konseki_forge::regf::{write_hive, RegData, RegKey};
use konseki_model::{AutostartReport, Execution, HostReport};

fn entries<'a>(report: &'a HostReport, location: &str) -> Vec<&'a AutostartReport> {
    report
        .autostarts
        .iter()
        .filter(|a| a.entry.location == location)
        .collect()
}

fn names(list: &[&AutostartReport]) -> Vec<String> {
    list.iter().map(|a| a.entry.name.clone()).collect()
}

#[test]
fn run_keys_of_the_corpus_user_hives() {
    let Some(modified) = corpus("hives/NTUSER_modified.DAT") else {
        return;
    };
    let report = scan(&[modified]);
    let run = entries(&report, "user_run");
    assert_eq!(names(&run), ["Sidebar", "not_a_malware"]);
    let odd = run[1];
    assert_eq!(odd.entry.command, "c:\\temp\\legitimate_binary.exe");
    let flags: Vec<&str> = odd.attention.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(flags, ["user_writable_program"]);
    assert!(
        run[0].attention.is_empty(),
        "Sidebar is under Program Files"
    );
    assert_eq!(odd.execution, Execution::NoEvidence);

    let report = scan(&[corpus("hives/NTUSER-WIN7.DAT").unwrap()]);
    let run = entries(&report, "user_run");
    assert_eq!(names(&run), ["Google Update", "Skype"]);
    assert_eq!(
        run[0].entry.user.as_deref(),
        Some("nfury"),
        "from the hive's own name"
    );
    assert_eq!(
        run[1].entry.program.as_deref(),
        Some("C:\\Program Files (x86)\\Skype\\Phone\\Skype.exe")
    );

    // An export rooted at HKCU\Software.
    let report = scan(&[corpus("hives/ntuser_software_partial").unwrap()]);
    assert_eq!(names(&entries(&report, "user_run")), ["OneDrive"]);
    let once = entries(&report, "user_run_once");
    assert_eq!(once.len(), 4);
    assert!(once.iter().all(|a| a
        .entry
        .command
        .starts_with("C:\\WINDOWS\\system32\\cmd.exe /q /c")));
    assert!(once
        .iter()
        .all(|a| a.attention.iter().any(|f| f.id == "interpreter_command")));
}

#[test]
fn dirty_user_hive_is_read_with_its_lower_case_logs() {
    let Some(hive) = corpus("hives/transactions_NTUSER.DAT") else {
        return;
    };
    // The whole folder: discovery pairs the hive with `transactions_ntuser.dat.log1/2`.
    let dir = std::env::temp_dir().join(format!("konseki-dirty-ntuser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "transactions_NTUSER.DAT",
        "transactions_ntuser.dat.log1",
        "transactions_ntuser.dat.log2",
    ] {
        std::fs::copy(hive.with_file_name(name), dir.join(name)).unwrap();
    }
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let found = report
        .inventory
        .found
        .iter()
        .find(|a| a.path.ends_with("transactions_NTUSER.DAT"))
        .unwrap();
    assert_eq!(found.logs.len(), 2);
    let run = entries(&report, "user_run");
    assert_eq!(names(&run), ["OneDrive"]);
    assert_eq!(run[0].entry.user.as_deref(), Some("tony"));
}

/// One forged hive per hive kind holding an entry for every key of every definition: each
/// definition finds its entries, read the way it says (values, named values, subkeys).
#[test]
fn every_definition_finds_its_entries() {
    let t: konseki_model::Timestamp = "2026-01-05T08:00:00Z".parse().unwrap();
    let locations = builtin();
    let mut roots = [
        (HiveKind::Software, RegKey::new("ROOT", t)),
        (HiveKind::System, RegKey::new("ROOT", t)),
        (HiveKind::Ntuser, RegKey::new("ROOT", t)),
        (HiveKind::UsrClass, RegKey::new("ROOT", t)),
    ];
    for (kind, root) in &mut roots {
        match kind {
            HiveKind::Software => {
                root.path_mut("Microsoft\\Windows NT\\CurrentVersion", t)
                    .values
                    .push(("SystemRoot".into(), RegData::Sz("C:\\Windows".into())));
            }
            HiveKind::System => {
                root.path_mut("Select", t)
                    .values
                    .push(("Current".into(), RegData::Dword(1)));
                root.path_mut("ControlSet001\\Services", t);
            }
            HiveKind::Ntuser => {
                root.path_mut("Environment", t);
            }
            HiveKind::UsrClass => {
                root.path_mut("Local Settings", t);
                root.path_mut("CLSID", t);
            }
            HiveKind::Volume => unreachable!("files, not a hive"),
        }
        for l in locations.iter().filter(|l| l.hive == *kind) {
            // A changes-only location is read from logged changes, never from a hive: it must
            // find nothing here (Sysmon's changes are tested in `sysmon_registry_changes_…`).
            for key in &l.keys {
                let key = key.replace("{ControlSet}", "ControlSet001");
                let command = RegData::Sz(format!("C:\\forged\\{}.exe", l.id));
                match &l.read {
                    Read::Values => root.path_mut(&key, t).values.push((l.id.clone(), command)),
                    Read::Named(names) => root
                        .path_mut(&key, t)
                        .values
                        .push((names[0].clone(), command)),
                    Read::SubkeyValue(name) => root
                        .path_mut(&format!("{key}\\target.exe"), t)
                        .values
                        .push((name.clone(), command)),
                    Read::SubkeyValues => root
                        .path_mut(&format!("{key}\\0001"), t)
                        .values
                        .push(("step".into(), command)),
                    Read::SubkeyPathValue(path, name) => root
                        .path_mut(&format!("{key}\\{{0000-forged}}\\{path}"), t)
                        .values
                        .push((name.clone(), command)),
                    Read::Files => unreachable!("VOLUME locations are not in hives"),
                }
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("konseki-defs-{}", std::process::id()));
    let config = dir.join("C/Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(dir.join("C/Users/eve")).unwrap();
    let classes = dir.join("C/Users/eve/AppData/Local/Microsoft/Windows");
    std::fs::create_dir_all(&classes).unwrap();
    for (kind, root) in &roots {
        let path = match kind {
            HiveKind::Software => config.join("SOFTWARE"),
            HiveKind::System => config.join("SYSTEM"),
            HiveKind::Ntuser => dir.join("C/Users/eve/NTUSER.DAT"),
            HiveKind::UsrClass => classes.join("UsrClass.dat"),
            HiveKind::Volume => unreachable!(),
        };
        std::fs::write(path, write_hive(root)).unwrap();
    }
    // VOLUME locations: a file in each folder, the profile `*` being eve.
    for l in locations.iter().filter(|l| l.hive == HiveKind::Volume) {
        for folder in &l.keys {
            let folder = dir
                .join("C")
                .join(folder.replace('*', "eve").replace('\\', "/"));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(format!("{}.exe", l.id)), b"MZ").unwrap();
            std::fs::write(folder.join("desktop.ini"), b"[.ShellClassInfo]").unwrap();
        }
    }
    let report = scan(&[PathBuf::from(&dir)]);
    std::fs::remove_dir_all(&dir).ok();
    for l in &locations {
        let found = entries(&report, &l.id);
        let expected = if l.changes_only { 0 } else { l.keys.len() };
        assert_eq!(found.len(), expected, "{}: {:?}", l.id, names(&found));
        for a in &found {
            if l.hive == HiveKind::Volume {
                assert!(
                    a.entry.command.ends_with(&format!("\\{}.exe", l.id)),
                    "{}",
                    a.entry.command
                );
                assert!(a.entry.command.starts_with("C:\\"), "{}", a.entry.command);
                assert_eq!(a.entry.key_last_written, None);
                // No $MFT here: the copy's own time is given, and said to be the copy's.
                assert!(a.entry.file.as_ref().unwrap().copy_modified.is_some());
                assert!(a
                    .evidence
                    .iter()
                    .any(|i| i.summary.contains("the collected copy was last modified")));
            } else {
                assert_eq!(a.entry.command, format!("C:\\forged\\{}.exe", l.id));
                assert_eq!(a.entry.key_last_written, Some(t));
            }
            let per_user =
                matches!(l.hive, HiveKind::Ntuser | HiveKind::UsrClass) || l.id == "startup_folder";
            assert_eq!(a.entry.user.is_some(), per_user, "{}", l.id);
            if per_user {
                assert_eq!(a.entry.user.as_deref(), Some("eve"), "{}", l.id);
            }
        }
    }
    let user = entries(&report, "user_run");
    assert_eq!(
        user[0].entry.user.as_deref(),
        Some("eve"),
        "the profile folder"
    );
}

/// A Run-key program with Sysmon process starts: executed, with the last start; the
/// StartupApproved state is read.
#[test]
fn run_key_program_with_process_starts_and_startup_state() {
    let t = |s: &str| s.parse::<konseki_model::Timestamp>().unwrap();
    let mut root = RegKey::new("ROOT", t("2026-01-01T00:00:00Z"));
    root.path_mut("Environment", t("2026-01-01T00:00:00Z"));
    root.path_mut(
        "Software\\Microsoft\\Windows\\CurrentVersion\\Run",
        t("2026-01-02T09:00:00Z"),
    )
    .values
    .extend([
        (
            "Updater".to_string(),
            RegData::Sz("\"C:\\Users\\eve\\AppData\\Roaming\\upd.exe\" -q".into()),
        ),
        (
            "Helper".to_string(),
            RegData::Sz("C:\\Tools\\helper.exe".into()),
        ),
    ]);
    root.path_mut(
        "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved\\Run",
        t("2026-01-02T09:00:00Z"),
    )
    .values
    .push((
        "Helper".into(),
        RegData::Binary(vec![3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ));
    let sysmon = |time: &str, pid: &str| {
        sysmon_start(
            time,
            pid,
            "C:\\Users\\eve\\AppData\\Roaming\\upd.exe",
            "\"C:\\Users\\eve\\AppData\\Roaming\\upd.exe\" -q",
        )
    };
    let dir = std::env::temp_dir().join(format!("konseki-runexec-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("C/Users/eve")).unwrap();
    std::fs::write(dir.join("C/Users/eve/NTUSER.DAT"), write_hive(&root)).unwrap();
    std::fs::write(
        dir.join("Sysmon.evtx"),
        write_evtx(
            &[
                sysmon("2026-01-03T08:01:00Z", "5120"),
                sysmon("2026-01-04T08:02:00Z", "6144"),
            ],
            1,
        ),
    )
    .unwrap();
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let run = entries(&report, "user_run");
    let updater = run.iter().find(|a| a.entry.name == "Updater").unwrap();
    assert_eq!(updater.execution, Execution::Executed);
    assert_eq!(
        updater.summary,
        "executed: 0 Prefetch run time(s), 2 process start(s), the last at 2026-01-04T08:02:00Z"
    );
    let helper = run.iter().find(|a| a.entry.name == "Helper").unwrap();
    assert_eq!(
        helper.entry.enabled,
        Some(false),
        "StartupApproved first byte 3: disabled"
    );
    assert_eq!(helper.execution, Execution::NoEvidence);
    assert!(
        helper.summary.contains("2 process start record(s)"),
        "{}",
        helper.summary
    );
}

#[test]
fn gameover_task_with_its_creation_and_no_execution() {
    let (Some(tasks), Some(logs), Some(prefetch), Some(amcache)) = (
        corpus("tasks/APTSimulatorVM-Win10"),
        corpus("evtx/APTSimulatorVM-Win10"),
        corpus("prefetch/APTSimulatorVM-Win10"),
        corpus("amcache/APTSimulatorVM-Win10"),
    ) else {
        return;
    };
    let report = scan(&[tasks, logs, prefetch, amcache]);
    assert_eq!(report.tasks.len(), 202, "task files");
    let game = report
        .tasks
        .iter()
        .find(|t| t.name == "\\GameOver")
        .unwrap();
    let file = game.file.as_ref().unwrap();
    assert_eq!(
        file.actions,
        [konseki_model::TaskAction::Exec {
            command: "C:\\TMP\\mim.exe".into(),
            arguments: "sekurlsa::LogonPasswords > C:\\TMP\\o.txt".into(),
            working_directory: String::new(),
        }]
    );
    assert_eq!(
        file.triggers,
        ["TimeTrigger from 2022-03-10T15:59:00 (local), every PT5M"]
    );
    assert_eq!(file.date_local.as_deref(), Some("2022-03-10T15:59:03"));
    // Creation: the schtasks process Sysmon logged at 20:59:03Z.
    let created = game
        .evidence
        .iter()
        .find(|i| i.summary.starts_with("task created by process"))
        .expect("creation evidence");
    assert_eq!(
        created.time.unwrap().to_string(),
        "2022-03-10T20:59:03.5163507Z"
    );
    assert!(created.summary.contains("/tn GameOver"));
    // No execution of mim.exe among Prefetch, Sysmon, Security and Amcache.
    assert_eq!(game.execution, Execution::NoEvidence);
    assert!(game
        .attention
        .iter()
        .any(|f| f.id == "user_writable_program"));
}

#[test]
fn t1053_tasks_persisted_then_removed() {
    let (Some(scheduler), Some(security)) = (
        corpus("evtx/TaskScheduler.evtx"),
        corpus("evtx/SecurityTasks.evtx"),
    ) else {
        return;
    };
    let report = scan(&[scheduler, security]);
    let names: Vec<&str> = report.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "\\T1053_005_OnLogon",
            "\\T1053_005_OnStartup",
            "\\T1053_005_powershell"
        ]
    );
    for t in &report.tasks {
        assert_eq!(
            t.status,
            konseki_model::TaskStatus::PersistedThenRemoved,
            "{}",
            t.name
        );
    }
    let logon = &report.tasks[0];
    assert!(logon.summary.starts_with(
        "persisted then removed (registered 2021-01-27T11:40:14.7279671Z, updated 2021-01-27T11:41:30"
    ), "{}", logon.summary);
    // Registered by 106 and 4698 (with the actions), updated by 140 and 4702, deleted by 141 and 4699.
    let said = |prefix: &str| {
        logon
            .evidence
            .iter()
            .filter(|i| i.summary.starts_with(prefix))
            .count()
    };
    assert_eq!(
        (
            said("task registered"),
            said("task updated"),
            said("task deleted")
        ),
        (2, 2, 2)
    );
    assert!(logon.evidence.iter().any(|i| i
        .summary
        .starts_with("task registered: \\T1053_005_OnLogon, runs cmd.exe /c calc.exe")));
    // The TaskScheduler run events (200/129) show it ran.
    assert_eq!(logon.execution, Execution::Executed);
    let powershell = &report.tasks[2];
    assert_eq!(powershell.actions.len(), 1);
    assert!(powershell
        .evidence
        .iter()
        .any(|i| i.summary.starts_with("task deleted")));
}

/// Sysmon 13 changes to autostart locations, with no hive in the evidence: each is an entry
/// of its location, naming the process that made it.
#[test]
fn sysmon_registry_changes_are_autostart_entries() {
    let (Some(hidden), Some(startup), Some(shell)) = (
        corpus("evtx/evasion_persis_hidden_run_keyvalue_sysmon_13.evtx"),
        corpus("evtx/persistence_startup_UserShellStartup_Folder_Changed_sysmon_13.evtx"),
        corpus("evtx/sysmon_13_1_persistence_via_winlogon_shell.evtx"),
    ) else {
        return;
    };
    let report = scan(&[hidden]);
    let run = entries(&report, "run");
    assert_eq!(run.len(), 1);
    let e = &run[0].entry;
    assert_eq!(e.command, "\"c:\\windows\\tasks\\taskhost.exe\"");
    assert_eq!(e.name, "", "a NUL-prefixed name, as Sysmon logs it");
    assert_eq!(
        e.changed_by.as_deref(),
        Some("SetValue by C:\\Users\\Public\\tools\\evasion\\a.exe (pid 3728)")
    );
    let flags: Vec<&str> = run[0].attention.iter().map(|f| f.id.as_str()).collect();
    assert!(
        flags.contains(&"hidden_value_name") && flags.contains(&"changed_by_user_writable_process"),
        "{flags:?}"
    );

    let report = scan(&[startup]);
    let moved = entries(&report, "startup_folder_location");
    assert_eq!(moved.len(), 1);
    assert_eq!(
        moved[0].entry.command,
        "c:\\programdata\\StartupNewHomeAddress"
    );
    assert_eq!(
        moved[0].entry.user.as_deref(),
        Some("S-1-5-21-3583694148-1414552638-2922671848-1000")
    );

    let report = scan(&[shell]);
    let shells = entries(&report, "user_winlogon_shell");
    assert_eq!(shells.len(), 1);
    assert!(shells[0].entry.command.starts_with(
        "\"C:\\Users\\IEUser\\AppData\\Roaming\\9QxTsAU9w8gyPj4w\\BRE6BgE2JubB.exe\""
    ));
    // The same log holds the new shell's own process starts (Sysmon 1).
    assert_eq!(shells[0].execution, Execution::Executed);
}

/// Values Windows sets itself are checked against their defaults (data/autostart): the
/// corpus's Sysmon samples of a replaced user Winlogon Shell and a moved Startup folder are
/// flagged; the folder's location is not looked for as a program.
#[test]
fn replaced_shell_and_moved_startup_folder_are_not_defaults() {
    let (Some(shell), Some(folder)) = (
        corpus("evtx/sysmon_13_1_persistence_via_winlogon_shell.evtx"),
        corpus("evtx/persistence_startup_UserShellStartup_Folder_Changed_sysmon_13.evtx"),
    ) else {
        return;
    };
    let report = scan(&[shell, folder]);
    let shell = entries(&report, "user_winlogon_shell");
    let flag = shell[0]
        .attention
        .iter()
        .find(|f| f.id == "not_default_value")
        .expect("a user Shell value is not a default");
    assert!(
        flag.reason.contains("absent on a default install"),
        "{}",
        flag.reason
    );
    let folder = entries(&report, "startup_folder_location");
    assert_eq!(
        folder[0].entry.command,
        "c:\\programdata\\StartupNewHomeAddress"
    );
    assert_eq!(folder[0].entry.program, None);
    assert_eq!(
        folder[0]
            .attention
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        ["not_default_value"]
    );
}
