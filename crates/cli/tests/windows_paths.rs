//! ImagePath variables expand with the evidence's folders (SOFTWARE hive), not the analysis
//! host's or Windows' defaults: a system installed as D:\WINNT reads as such.

mod common;

use common::{scan, service};
use konseki_forge::regf::{write_hive, RegData, RegKey};
use konseki_model::Timestamp;

fn hives(dir: &std::path::Path, with_software: bool) {
    let t: Timestamp = "2026-01-05T07:00:00Z".parse().unwrap();
    let config = dir.join("D/WINNT/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    let mut system = RegKey::new("ROOT", t);
    system
        .path_mut("Select", t)
        .values
        .push(("Current".into(), RegData::Dword(1)));
    for (name, image, start, kind) in [
        (
            "netsvc",
            "%SystemRoot%\\system32\\svchost.exe -k netsvcs",
            2,
            0x20,
        ),
        ("vendor", "\"%ProgramFiles%\\Vendor\\agent.exe\"", 2, 0x10),
        ("drv", "\\SystemRoot\\System32\\drivers\\drv.sys", 1, 0x1),
    ] {
        system
            .path_mut(&format!("ControlSet001\\Services\\{name}"), t)
            .values
            .extend([
                ("ImagePath".to_string(), RegData::ExpandSz(image.into())),
                ("Start".to_string(), RegData::Dword(start)),
                ("Type".to_string(), RegData::Dword(kind)),
            ]);
    }
    std::fs::write(config.join("SYSTEM"), write_hive(&system)).unwrap();
    if with_software {
        let mut software = RegKey::new("ROOT", t);
        software
            .path_mut("Microsoft\\Windows NT\\CurrentVersion", t)
            .values
            .push(("SystemRoot".into(), RegData::Sz("D:\\WINNT".into())));
        software
            .path_mut("Microsoft\\Windows\\CurrentVersion", t)
            .values
            .push(("ProgramFilesDir".into(), RegData::Sz("D:\\Apps".into())));
        std::fs::write(config.join("SOFTWARE"), write_hive(&software)).unwrap();
    }
}

fn executable(report: &konseki_model::HostReport, name: &str) -> String {
    service(report, name).configs[0]
        .image_path
        .as_ref()
        .unwrap()
        .executable
        .clone()
}

#[test]
fn folders_come_from_the_software_hive() {
    let dir = std::env::temp_dir().join(format!("konseki-paths-{}", std::process::id()));
    hives(&dir, true);
    let report = scan(std::slice::from_ref(&dir));
    assert_eq!(
        executable(&report, "netsvc"),
        "D:\\WINNT\\system32\\svchost.exe"
    );
    assert_eq!(executable(&report, "vendor"), "D:\\Apps\\Vendor\\agent.exe");
    assert_eq!(
        executable(&report, "drv"),
        "D:\\WINNT\\System32\\drivers\\drv.sys"
    );
    // Programs under the evidence's own folders are not "outside %SystemRoot%/Program Files".
    for name in ["netsvc", "vendor"] {
        assert!(
            !service(&report, name)
                .attention
                .iter()
                .any(|a| a.id == "non_standard_image_location"),
            "{name}"
        );
    }
    assert!(!report
        .inventory
        .missing
        .iter()
        .any(|m| m.what == "SOFTWARE hive"));
    std::fs::remove_dir_all(&dir).ok();

    let dir = std::env::temp_dir().join(format!("konseki-paths-default-{}", std::process::id()));
    hives(&dir, false);
    let report = scan(std::slice::from_ref(&dir));
    assert_eq!(
        executable(&report, "netsvc"),
        "C:\\Windows\\system32\\svchost.exe"
    );
    let missing = report
        .inventory
        .missing
        .iter()
        .find(|m| m.what == "SOFTWARE hive")
        .unwrap();
    assert!(missing.consequence.contains("C:\\Windows"));
    std::fs::remove_dir_all(&dir).ok();
}
