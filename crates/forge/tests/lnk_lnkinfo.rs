//! The forge's shortcuts read by libyal's `lnkinfo` (Debian `liblnk-utils`), an independent
//! reader, and by konseki's own reader. CI installs it and sets `KONSEKI_REQUIRE_LNKINFO`;
//! elsewhere the test says it is skipped.

use std::process::Command;

use konseki_forge::lnk::{write_lnk, LnkSpec};
use konseki_lnk::{parse, TargetSource};
use konseki_testutil::tool_available;

fn spec() -> LnkSpec {
    LnkSpec {
        target: Some(r"C:\Users\bob\AppData\Local\Temp\updater.exe".into()),
        environment_target: Some(r"%LOCALAPPDATA%\Temp\updater.exe".into()),
        arguments: Some("-silent -c \"run now\"".into()),
        working_dir: Some(r"C:\Users\bob\AppData\Local\Temp".into()),
        description: Some("Windows Update helper".into()),
        target_times: Some((
            "2026-01-05T07:59:00Z".parse().unwrap(),
            "2026-01-05T08:00:01Z".parse().unwrap(),
            "2026-01-05T07:59:30Z".parse().unwrap(),
        )),
        target_size: 73_728,
        volume: (0x1234_abcd, "OS".into()),
        machine_id: Some("attacker-pc".into()),
        id_list: Some(r"C:\Users\bob\AppData\Local\Temp\updater.exe".into()),
    }
}

#[test]
fn konseki_reads_what_the_forge_writes() {
    let s = parse(&write_lnk(&spec())).unwrap();
    assert_eq!(
        s.target.as_deref(),
        Some(r"C:\Users\bob\AppData\Local\Temp\updater.exe")
    );
    assert_eq!(s.target_source, Some(TargetSource::LinkInfo));
    assert_eq!(s.arguments.as_deref(), Some("-silent -c \"run now\""));
    assert_eq!(
        s.working_dir.as_deref(),
        Some(r"C:\Users\bob\AppData\Local\Temp")
    );
    assert_eq!(s.description.as_deref(), Some("Windows Update helper"));
    assert_eq!(
        s.environment_target.as_deref(),
        Some(r"%LOCALAPPDATA%\Temp\updater.exe")
    );
    assert_eq!(s.machine_id.as_deref(), Some("attacker-pc"));
    assert_eq!(
        s.target_created.unwrap().to_string(),
        "2026-01-05T07:59:00Z"
    );
    assert_eq!(
        s.target_modified.unwrap().to_string(),
        "2026-01-05T07:59:30Z"
    );
    assert_eq!(s.target_size, 73_728);
    let volume = s.volume.clone().unwrap();
    assert_eq!(
        (volume.drive_type, volume.serial, volume.label.as_str()),
        (3, 0x1234_abcd, "OS")
    );
    assert_eq!(
        s.command_line(),
        r#"C:\Users\bob\AppData\Local\Temp\updater.exe -silent -c "run now""#
    );

    assert_eq!(s.id_list_path.as_deref(), s.target.as_deref());
    // Without LinkInfo the ID list's shell items give the target; without both, the
    // environment block, unexpanded.
    let items = parse(&write_lnk(&LnkSpec {
        target: None,
        ..spec()
    }))
    .unwrap();
    assert_eq!(items.target_source, Some(TargetSource::IdList));
    assert_eq!(
        items.target.as_deref(),
        Some(r"C:\Users\bob\AppData\Local\Temp\updater.exe")
    );
    let bare = parse(&write_lnk(&LnkSpec {
        target: None,
        id_list: None,
        ..spec()
    }))
    .unwrap();
    assert_eq!(bare.target_source, Some(TargetSource::Environment));
    assert_eq!(
        bare.target.as_deref(),
        Some(r"%LOCALAPPDATA%\Temp\updater.exe")
    );
}

#[test]
fn lnkinfo_reads_what_the_forge_writes() {
    if !tool_available(
        Command::new("lnkinfo").arg("-V"),
        "lnkinfo",
        "KONSEKI_REQUIRE_LNKINFO",
    ) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("konseki-lnk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("updater.lnk");
    std::fs::write(&file, write_lnk(&spec())).unwrap();
    let out = Command::new("lnkinfo").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{text}");
    let field = |name: &str| {
        text.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("lnkinfo printed no `{name}`:\n{text}"))
    };
    assert_eq!(
        field("Local path"),
        r"C:\Users\bob\AppData\Local\Temp\updater.exe"
    );
    assert_eq!(field("Command line arguments"), "-silent -c \"run now\"");
    assert_eq!(
        field("Working directory"),
        r"C:\Users\bob\AppData\Local\Temp"
    );
    assert_eq!(field("Description"), "Windows Update helper");
    assert_eq!(
        field("Environment variables location"),
        r"%LOCALAPPDATA%\Temp\updater.exe"
    );
    assert_eq!(field("Machine identifier"), "attacker-pc");
    assert_eq!(field("Drive serial number"), "0x1234abcd");
    assert_eq!(field("Volume label"), "OS");
    assert_eq!(field("File size"), "73728 bytes");
    assert!(
        field("Creation time").starts_with("Jan 05, 2026 07:59:00"),
        "{text}"
    );
}

#[test]
fn every_cut_and_overwrite_of_a_shortcut_fails_cleanly() {
    let bytes = write_lnk(&spec());
    for len in 0..bytes.len() {
        let _ = parse(&bytes[..len]);
    }
    for at in 0..bytes.len() {
        for value in [0x00, 0xff, 0x7f, 0x80] {
            let mut b = bytes.clone();
            b[at] = value;
            let _ = parse(&b);
        }
    }
}

/// The ID list's shell items as lnkinfo reads them (volume, then each file entry's long name)
/// spell the path konseki reads from them.
#[test]
fn lnkinfo_reads_the_shell_items_konseki_reads() {
    if !tool_available(
        Command::new("lnkinfo").arg("-V"),
        "lnkinfo",
        "KONSEKI_REQUIRE_LNKINFO",
    ) {
        return;
    }
    let bytes = write_lnk(&LnkSpec {
        target: None,
        ..spec()
    });
    let dir = std::env::temp_dir().join(format!("konseki-lnk-items-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("items.lnk");
    std::fs::write(&file, &bytes).unwrap();
    let out = Command::new("lnkinfo").arg(&file).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let values = |name: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
            .collect()
    };
    let volume = values("Volume name");
    let names = values("Long name");
    assert_eq!(volume, [r"C:\"], "{text}");
    assert_eq!(
        names,
        ["Users", "bob", "AppData", "Local", "Temp", "updater.exe"]
    );
    let read = parse(&bytes).unwrap();
    assert_eq!(
        read.id_list_path.unwrap(),
        format!("C:\\{}", names.join("\\"))
    );
}
