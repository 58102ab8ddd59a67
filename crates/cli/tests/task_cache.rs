//! The SOFTWARE hive's TaskCache against the task files: a forged hive (no public SOFTWARE hive
//! with a TaskCache is in the corpus) registering a task whose SD was removed and whose file is
//! gone, a task whose cached action differs from its file's, and a task file the cache does not
//! register.

mod common;

use common::{scan, software_root, temp_case};
use konseki_forge::regf::{write_hive, RegData, RegKey};
use konseki_model::{Execution, TaskAction, TaskReport, Timestamp};

const CACHE: &str = "Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A Windows 10 `Actions` value (version 3) running `command arguments`.
fn actions(command: &str, arguments: &str) -> Vec<u8> {
    let sized = |s: &str| {
        let text = utf16(s);
        let mut out = (text.len() as u32).to_le_bytes().to_vec();
        out.extend(text);
        out
    };
    let mut b = vec![3, 0];
    b.extend(sized("WS01\\eve"));
    b.extend([0x66, 0x66]);
    b.extend(sized(""));
    b.extend(sized(command));
    b.extend(sized(arguments));
    b.extend(sized(""));
    b.extend([0, 0]);
    b
}

/// `DynamicInfo`: registered, last launched (FILETIMEs at 4 and 12).
fn dynamic_info(registered: &str, launched: Option<&str>) -> Vec<u8> {
    let filetime = |s: &str| {
        let t: Timestamp = s.parse().unwrap();
        ((t.as_nanosecond() / 100) as i64 + 116_444_736_000_000_000) as u64
    };
    let mut b = vec![3, 0, 0, 0];
    b.extend(filetime(registered).to_le_bytes());
    b.extend(launched.map_or(0, filetime).to_le_bytes());
    b.extend([0; 16]);
    b
}

fn register(
    root: &mut RegKey,
    path: &str,
    id: &str,
    sd: bool,
    action: (&str, &str),
    launched: Option<&str>,
) {
    let when = t("2026-01-05T08:00:00Z");
    let tree = root.path_mut(
        &format!("{CACHE}\\Tree\\{}", path.trim_start_matches('\\')),
        when,
    );
    tree.values.push(("Id".into(), RegData::Sz(id.into())));
    tree.values.push(("Index".into(), RegData::Dword(3)));
    if sd {
        tree.values
            .push(("SD".into(), RegData::Binary(vec![1, 0, 4, 0x80])));
    }
    let task = root.path_mut(&format!("{CACHE}\\Tasks\\{id}"), when);
    task.values.extend([
        ("Path".to_string(), RegData::Sz(path.into())),
        ("Author".to_string(), RegData::Sz("WS01\\eve".into())),
        (
            "Actions".to_string(),
            RegData::Binary(actions(action.0, action.1)),
        ),
        (
            "DynamicInfo".to_string(),
            RegData::Binary(dynamic_info("2026-01-05T08:00:00Z", launched)),
        ),
    ]);
}

fn task_xml(command: &str) -> Vec<u8> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><Actions Context=\"Author\"><Exec><Command>{command}</Command></Exec></Actions></Task>"
    );
    let mut b = vec![0xff, 0xfe];
    b.extend(utf16(&xml));
    b
}

fn flags(r: &TaskReport) -> Vec<&str> {
    r.attention.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn task_cache_against_task_files() {
    let when = t("2026-01-05T08:00:00Z");
    let mut software = software_root(when);
    register(
        &mut software,
        "\\Hidden",
        "{11111111-2222-3333-4444-555555555555}",
        false,
        ("C:\\ProgramData\\svc\\run.exe", "-q"),
        Some("2026-01-06T09:30:00Z"),
    );
    register(
        &mut software,
        "\\Updater",
        "{66666666-7777-8888-9999-AAAAAAAAAAAA}",
        true,
        ("C:\\Users\\Public\\upd.exe", ""),
        None,
    );
    register(
        &mut software,
        "\\Microsoft\\Windows\\Defrag\\ScheduledDefrag",
        "{BBBBBBBB-CCCC-DDDD-EEEE-FFFFFFFFFFFF}",
        true,
        ("%windir%\\system32\\defrag.exe", ""),
        None,
    );
    let dir = temp_case("taskcache");
    let config = dir.join("C/Windows/System32/config");
    let tasks = dir.join("C/Windows/System32/Tasks");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(tasks.join("Microsoft/Windows/Defrag")).unwrap();
    std::fs::write(config.join("SOFTWARE"), write_hive(&software)).unwrap();
    std::fs::write(
        tasks.join("Updater"),
        task_xml("C:\\Program Files\\Updater\\upd.exe"),
    )
    .unwrap();
    std::fs::write(
        tasks.join("Dropped"),
        task_xml("C:\\Users\\Public\\drop.exe"),
    )
    .unwrap();
    std::fs::write(
        tasks.join("Microsoft/Windows/Defrag/ScheduledDefrag"),
        task_xml("%windir%\\system32\\defrag.exe"),
    )
    .unwrap();
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let task = |name: &str| {
        report
            .tasks
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no task {name}"))
    };

    let hidden = task("\\Hidden");
    assert!(hidden.file.is_none());
    let cache = hidden.cache.as_ref().unwrap();
    assert!(!cache.has_security_descriptor);
    assert_eq!(cache.registered, Some(t("2026-01-05T08:00:00Z")));
    assert_eq!(
        hidden.actions,
        [TaskAction::Exec {
            command: "C:\\ProgramData\\svc\\run.exe".into(),
            arguments: "-q".into(),
            working_directory: String::new(),
        }]
    );
    assert_eq!(hidden.status, konseki_model::TaskStatus::PresentUnlogged);
    assert_eq!(hidden.execution, Execution::Executed);
    assert!(
        hidden
            .summary
            .ends_with("executed: the TaskCache records its last launch at 2026-01-06T09:30:00Z"),
        "{}",
        hidden.summary
    );
    assert_eq!(
        flags(hidden),
        [
            "user_writable_program",
            "task_security_descriptor_removed",
            "task_file_missing"
        ]
    );

    let updater = task("\\Updater");
    assert_eq!(flags(updater), ["task_actions_differ"]);
    assert!(updater.attention[0]
        .reason
        .contains("the TaskCache runs `C:\\Users\\Public\\upd.exe`"));
    assert_eq!(updater.execution, Execution::NoEvidence);

    assert_eq!(
        flags(task("\\Dropped")),
        ["user_writable_program", "task_not_registered"]
    );
    assert!(flags(task("\\Microsoft\\Windows\\Defrag\\ScheduledDefrag")).is_empty());
}

/// Only `.job` files (`Windows\Tasks`) beside the cache: the `System32\Tasks` folder was not
/// collected, so a cached task without a file is not called missing.
#[test]
fn job_files_alone_do_not_make_cached_tasks_missing() {
    let Some(job) = common::corpus("tasks/legacy/wintask.job") else {
        return;
    };
    let when = t("2026-01-05T08:00:00Z");
    let mut software = software_root(when);
    register(
        &mut software,
        "\\Hidden",
        "{11111111-2222-3333-4444-555555555555}",
        false,
        ("C:\\ProgramData\\svc\\run.exe", "-q"),
        None,
    );
    let dir = temp_case("taskcache-job");
    std::fs::create_dir_all(dir.join("C/Windows/System32/config")).unwrap();
    std::fs::create_dir_all(dir.join("C/Windows/Tasks")).unwrap();
    std::fs::write(
        dir.join("C/Windows/System32/config/SOFTWARE"),
        write_hive(&software),
    )
    .unwrap();
    std::fs::copy(job, dir.join("C/Windows/Tasks/wintask.job")).unwrap();
    let report = scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let hidden = report.tasks.iter().find(|r| r.name == "\\Hidden").unwrap();
    assert_eq!(
        flags(hidden),
        ["user_writable_program", "task_security_descriptor_removed"]
    );
    let job = report.tasks.iter().find(|r| r.name == "\\wintask").unwrap();
    assert!(
        flags(job).is_empty(),
        "a .job is not expected in the TaskCache"
    );
}
