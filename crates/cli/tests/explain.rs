//! `konseki explain` for every kind of entity (issue 17, item 3): a scheduled task, a Run key, a
//! Startup shortcut and a per-user COM class, each found by its name and told with its verdict
//! and evidence chain; a name several entities answer to lists them instead of choosing one.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{corpus, temp_case};
use konseki_forge::lnk::{write_lnk, LnkSpec};

fn explain(path: &Path, name: &str) -> Output {
    explain_in(&[path], name)
}

fn explain_in(paths: &[&Path], name: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_konseki"))
        .arg("explain")
        .args(paths)
        .args([name, "-q"])
        .output()
        .unwrap()
}

fn narrative(path: &Path, name: &str) -> String {
    let out = explain(path, name);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    without_host(String::from_utf8(out.stdout).unwrap())
}

/// The narrative below its first line, which names the host.
fn without_host(text: String) -> String {
    let (host, rest) = text.split_once('\n').unwrap_or_default();
    assert!(host.starts_with("Host "), "{text}");
    rest.to_string()
}

/// The corpus's GameOver task (APTSimulator): its definition file, what it runs, its verdict.
#[test]
fn a_task_is_explained_by_its_name() {
    let Some(tasks) = corpus("tasks/APTSimulatorVM-Win10") else {
        return;
    };
    let text = narrative(&tasks, "GameOver");
    assert!(text.starts_with("Scheduled task `\\GameOver`: "), "{text}");
    assert!(text.contains("C:\\TMP\\mim.exe sekurlsa::LogonPasswords > C:\\TMP\\o.txt"));
    assert!(
        text.contains("GameOver (file)"),
        "the definition file is cited: {text}"
    );
    assert!(text.contains("\nVerdict: ") && text.contains("\nEvidence chain:"));
    // By its full path too, and by the program it runs.
    assert_eq!(narrative(&tasks, "\\GameOver"), text);
    assert_eq!(narrative(&tasks, "c:\\tmp\\mim.exe"), text);

    // Two tasks are named WiFiTask (NlaSvc's and WCM's): both are listed, neither is chosen.
    let out = explain(&tasks, "WiFiTask");
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let listed = String::from_utf8(out.stderr).unwrap();
    assert!(
        listed.contains("2 entities answer to `WiFiTask`"),
        "{listed}"
    );
    assert!(listed.contains("task `\\Microsoft\\Windows\\NlaSvc\\WiFiTask`"));
    assert!(listed.contains("task `\\Microsoft\\Windows\\WCM\\WiFiTask`"));
}

/// The corpus's `not_a_malware` Run value (NTUSER_modified.DAT): its key, command, flag.
#[test]
fn a_run_key_is_explained_by_its_value_name() {
    let Some(hive) = corpus("hives/NTUSER_modified.DAT") else {
        return;
    };
    let text = narrative(&hive, "not_a_malware");
    assert!(
        text.starts_with("Autostart entry `not_a_malware`: ") && text.contains("user_run"),
        "{text}"
    );
    assert!(text.contains("runs: `c:\\temp\\legitimate_binary.exe`"));
    assert!(
        text.contains("key Software\\Microsoft\\Windows\\CurrentVersion\\Run value not_a_malware")
    );
    assert!(text.contains("[user_writable_program]"), "{text}");
}

/// A shortcut in a user's Startup folder, found by its file name.
#[test]
fn a_startup_shortcut_is_explained_by_its_file_name() {
    let dir = temp_case("explain-startup");
    let startup = r"Users\eve\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup";
    let folder = dir.join("C").join(startup.replace('\\', "/"));
    std::fs::create_dir_all(&folder).unwrap();
    let link = LnkSpec {
        target: None,
        environment_target: Some(r"%LOCALAPPDATA%\Temp\updater.exe".into()),
        arguments: Some("-k netsvc".into()),
        working_dir: None,
        description: None,
        target_times: None,
        target_size: 4096,
        volume: (0, String::new()),
        machine_id: None,
        id_list: None,
    };
    std::fs::write(folder.join("Updater.lnk"), write_lnk(&link)).unwrap();
    let text = narrative(&dir, "updater.lnk");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        text.starts_with("Autostart entry `Updater.lnk`: "),
        "{text}"
    );
    assert!(text.contains("user: eve"), "{text}");
    assert!(text.contains("-k netsvc"), "{text}");
    assert!(
        text.contains(r"program: C:\Users\eve\AppData\Local\Temp\updater.exe"),
        "{text}"
    );
    assert!(
        text.contains(&format!(r"file C:\{startup}\Updater.lnk")),
        "{text}"
    );
}

/// A per-user COM class of the corpus UsrClass.dat, by its `CLSID\…\LocalServer32` name or its
/// CLSID alone; a name nothing answers to is said, with exit code 3.
#[test]
fn a_com_class_is_explained_by_its_clsid() {
    let Some(hive) = corpus("hives/UsrClass.dat") else {
        return;
    };
    let name = "{820D63D5-8CFF-46DE-86AF-4997DEDD6DB5}\\LocalServer32";
    let text = narrative(&hive, name);
    assert!(
        text.starts_with(&format!("Autostart entry `{name}`: ")),
        "{text}"
    );
    assert!(text.contains("user_com_local_server"), "{text}");
    assert!(text.contains("\nEvidence chain:"));
    assert_eq!(
        narrative(&hive, "{820d63d5-8cff-46de-86af-4997dedd6db5}"),
        text
    );

    let out = explain(&hive, "no such thing");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing named `no such thing`"));
}

/// Names and commands are attacker-written: a Run value whose name carries a terminal escape
/// and whose command a right-to-left override is explained with both shown escaped, never
/// sent raw to the examiner's terminal.
#[test]
fn hostile_names_are_shown_escaped() {
    use konseki_forge::regf::{write_hive, RegData, RegKey};
    let when = "2026-01-05T08:00:00Z".parse().unwrap();
    let mut root = RegKey::new("ROOT", when);
    root.path_mut("Environment", when);
    root.path_mut("Software\\Microsoft\\Windows\\CurrentVersion\\Run", when)
        .values
        .push((
            "evil\u{1b}[2Jname".into(),
            RegData::Sz("C:\\Users\\eve\\x\u{202e}txt.exe".into()),
        ));
    let dir = temp_case("explain-hostile");
    let hive = dir.join("NTUSER.DAT");
    std::fs::write(&hive, write_hive(&root)).unwrap();
    let text = narrative(&hive, "evil\u{1b}[2Jname");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("evil\\x1b[2Jname"), "{text}");
    assert!(text.contains("x<U+202E>txt.exe"), "{text}");
}

/// Several paths of one host, as `scan` takes them: the task files and a user hive given
/// apart, and an entity of each explained from the same command line.
#[test]
fn several_paths_are_read_as_one_case() {
    let (Some(tasks), Some(hive)) = (
        corpus("tasks/APTSimulatorVM-Win10"),
        corpus("hives/NTUSER_modified.DAT"),
    ) else {
        return;
    };
    for (name, starts) in [
        ("GameOver", "Scheduled task `\\GameOver`"),
        ("not_a_malware", "Autostart entry `not_a_malware`"),
    ] {
        let out = explain_in(&[&tasks, &hive], name);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(without_host(String::from_utf8(out.stdout).unwrap()).starts_with(starts));
    }
}
