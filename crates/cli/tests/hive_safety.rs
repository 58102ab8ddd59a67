//! Hives as attacker-controlled input (issue 16, items 4, 5 and 14): transaction logs are
//! paired however the hive is given, a damaged or foreign log never costs the hive, a hive is
//! recognised by what it holds, walks end on crafted cycles, and a huge file is not read whole.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{corpus, scan, software_root, temp_case};
use konseki_forge::regf::{write_hive, RegData, RegKey};
use konseki_model::{HiveState, HostReport};

fn state<'a>(report: &'a HostReport, file: &str) -> &'a HiveState {
    report
        .hives
        .iter()
        .find(|h| h.path.ends_with(file))
        .unwrap_or_else(|| panic!("{file} not opened: {:?}", report.hives))
}

/// Copies corpus files into a fresh folder (made writable, to be damaged).
fn copies(name: &str, files: &[(&str, &str)]) -> Option<PathBuf> {
    let dir = temp_case(name);
    for (from, to) in files {
        let target = dir.join(to);
        std::fs::copy(corpus(from)?, &target).unwrap();
        let mut perms = std::fs::metadata(&target).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&target, perms).unwrap();
    }
    Some(dir)
}

const NTUSER: [(&str, &str); 3] = [
    ("hives/transactions_NTUSER.DAT", "transactions_NTUSER.DAT"),
    (
        "hives/transactions_ntuser.dat.log1",
        "transactions_ntuser.dat.log1",
    ),
    (
        "hives/transactions_ntuser.dat.log2",
        "transactions_ntuser.dat.log2",
    ),
];

/// Item 4: given as a file, a dirty hive gets its `.log1/.log2` replayed exactly as when its
/// folder is scanned (corpus `hives/transactions_NTUSER.DAT`; `.log2` is older than the hive
/// and skipped, `.log1` applies: the hive counts as replayed).
#[test]
fn a_hive_given_as_a_file_is_replayed_as_in_its_folder() {
    let Some(dir) = copies("hive-as-file", &NTUSER) else {
        return;
    };
    let hive = dir.join("transactions_NTUSER.DAT");
    let by_folder = scan(std::slice::from_ref(&dir));
    let by_file = scan(std::slice::from_ref(&hive));
    let (a, b) = (
        state(&by_folder, "transactions_NTUSER.DAT"),
        state(&by_file, "transactions_NTUSER.DAT"),
    );
    assert_eq!(a, b);
    assert!(b.dirty && b.logs_replayed, "{b:?}");
    assert_eq!(b.logs.len(), 2);
    assert_eq!(by_file.inventory.found[0].logs, b.logs);
    std::fs::remove_dir_all(&dir).ok();
}

/// Item 4: a damaged log and a log of another hive are set aside with a warning naming them;
/// the hive is still read from its primary file, and nothing goes to stderr.
#[test]
fn a_damaged_or_foreign_log_never_costs_the_hive() {
    let Some(dir) = copies("bad-logs", &NTUSER) else {
        return;
    };
    let log1 = dir.join("transactions_ntuser.dat.log1");
    // A log entry whose header no longer matches its hash (dirty-page count changed).
    let mut bytes = std::fs::read(&log1).unwrap();
    bytes[532..536].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    std::fs::write(&log1, &bytes).unwrap();
    // The second log belongs to another hive (UsrClass.dat's, renamed).
    let log2 = dir.join("transactions_ntuser.dat.log2");
    std::fs::copy(corpus("hives/UsrClass.dat.LOG1").unwrap(), &log2).unwrap();

    let report = scan(std::slice::from_ref(&dir));
    let hive = state(&report, "transactions_NTUSER.DAT");
    assert!(hive.dirty && !hive.logs_replayed);
    let run = report
        .autostarts
        .iter()
        .find(|a| a.entry.name == "OneDrive")
        .expect("the hive's Run key is still read");
    assert!(run.entry.command.contains("OneDrive.exe"));
    let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("transactions_ntuser.dat.log2")
                && m.contains("another hive")
                && m.contains("UsrClass.dat")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("transactions_ntuser.dat.log1") && m.contains("could be replayed")),
        "{messages:#?}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_konseki"))
        .args(["scan".as_ref(), dir.as_os_str(), "--quiet".as_ref()])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Item 5: an Amcache hive is recognised by its root keys whatever its name (corpus
/// `amcache/win10-Amcache.hve` renamed `Amcache_host1.hve`).
#[test]
fn an_amcache_hive_is_recognised_by_content_not_name() {
    let Some(dir) = copies(
        "amcache-renamed",
        &[("amcache/win10-Amcache.hve", "Amcache_host1.hve")],
    ) else {
        return;
    };
    let evidence =
        konseki_extract::extract(std::slice::from_ref(&dir), &konseki_extract::NoProgress);
    let direct =
        konseki_extract::read_amcache(&corpus("amcache/win10-Amcache.hve").unwrap(), &[]).unwrap();
    assert!(!direct.is_empty());
    assert_eq!(evidence.amcache.len(), direct.len());
    std::fs::remove_dir_all(&dir).ok();
}

/// `Tree\Loop\Inner`'s subkey list rewritten to point back at `Loop`, four times over: without
/// a visited set, the walk branches 4^16 ways within its depth bound.
fn cyclic_software_hive() -> Vec<u8> {
    let when = "2026-01-05T08:00:00Z".parse().unwrap();
    let mut root = software_root(when);
    let tree = "Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree";
    for child in ["A", "B", "C", "D"] {
        root.path_mut(&format!("{tree}\\Loop\\Inner\\{child}"), when);
    }
    root.path_mut(&format!("{tree}\\Real"), when)
        .values
        .push(("Id".into(), RegData::Sz("{0}".into())));
    let mut hive = write_hive(&root);
    let nk = |hive: &[u8], name: &[u8]| -> usize {
        // The key node whose name (at 0x4C after the `nk` signature) is `name`.
        (0..hive.len() - 0x50)
            .find(|&at| {
                &hive[at..at + 2] == b"nk"
                    && u16::from_le_bytes([hive[at + 0x48], hive[at + 0x49]]) as usize == name.len()
                    && hive[at + 0x4C..].starts_with(name)
            })
            .expect("key node")
    };
    let (looped, inner) = (nk(&hive, b"Loop"), nk(&hive, b"Inner"));
    // Offsets are relative to the first hive bin (4096) and point at the cell's size field.
    let loop_cell = (looped - 4 - 4096) as u32;
    let list = 4096
        + u32::from_le_bytes(hive[inner + 0x1C..inner + 0x20].try_into().unwrap()) as usize
        + 4;
    assert!(matches!(&hive[list..list + 2], b"lh" | b"lf"));
    let count = u16::from_le_bytes([hive[list + 2], hive[list + 3]]) as usize;
    assert_eq!(count, 4);
    for i in 0..count {
        let at = list + 4 + i * 8;
        hive[at..at + 4].copy_from_slice(&loop_cell.to_le_bytes());
    }
    hive
}

/// Item 14: a subkey list that points back at an ancestor ends the walk with a warning; the
/// task beside the loop is still read.
#[test]
fn a_cyclic_task_cache_ends_with_a_warning() {
    let dir = temp_case("cyclic-hive");
    std::fs::write(dir.join("SOFTWARE"), cyclic_software_hive()).unwrap();
    let evidence =
        konseki_extract::extract(std::slice::from_ref(&dir), &konseki_extract::NoProgress);
    assert!(
        evidence
            .warnings
            .iter()
            .any(|w| w.message.contains("points back at a key already read")),
        "{:?}",
        evidence.warnings
    );
    assert!(evidence.task_cache.iter().any(|t| t.path == "\\Real"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Item 14: a hive is not read whole when it is a 5 GB file (sparse, named SYSTEM): only the
/// hive bins its base block declares are read, under a 2 GB address-space limit; a base block
/// declaring more than konseki reads is refused with a warning.
#[test]
fn a_huge_file_named_like_a_hive_is_not_read_whole() {
    let Some(system) = corpus("hives/SYSTEM") else {
        return;
    };
    let dir = temp_case("huge-hive");
    let huge = dir.join("SYSTEM");
    std::fs::copy(&system, &huge).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&huge).unwrap();
    file.set_len(5 << 30).unwrap();
    drop(file);
    let lying = dir.join("other").join("SYSTEM");
    std::fs::create_dir_all(lying.parent().unwrap()).unwrap();
    let mut head = std::fs::read(&system).unwrap()[..4096].to_vec();
    head[40..44].copy_from_slice(&0xFFFF_F000u32.to_le_bytes());
    std::fs::write(&lying, &head).unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&lying)
        .unwrap();
    file.set_len(6 << 30).unwrap();
    drop(file);

    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 2097152 && exec {} scan {} -f json --quiet",
            env!("CARGO_BIN_EXE_konseki"),
            dir.display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let services = doc["hosts"][0]["services"].as_array().unwrap().len();
    assert!(services >= 467, "{services} services");
    let warnings = doc["hosts"][0]["warnings"].to_string();
    assert!(
        warnings.contains("more than the 1073741824 konseki reads"),
        "{warnings}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 21, item 3: a hive's identity is what it holds, decided once when it is opened. A
/// user hive renamed `SYSTEM` (corpus `hives/NTUSER-WIN7.DAT`) is read as the user hive it is
/// (its Run entries reported, the inventory calls it NTUSER.DAT) and the misleading name is
/// said in a warning, not silently trusted or ignored.
#[test]
fn a_hive_named_system_that_holds_a_user_hive_is_read_as_one() {
    let Some(dir) = copies("misnamed-system", &[("hives/NTUSER-WIN7.DAT", "SYSTEM")]) else {
        return;
    };
    let report = scan(std::slice::from_ref(&dir));
    let system = dir.join("SYSTEM");
    let found = report
        .inventory
        .found
        .iter()
        .find(|a| a.path == system)
        .expect("the hive is in the inventory");
    assert_eq!(found.role.as_deref(), Some("NTUSER.DAT"));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.file == system && w.message == "no Select key: not a SYSTEM hive"),
        "{:?}",
        report.warnings
    );
    assert!(report.services.is_empty(), "no service from a user hive");
    assert_eq!(report.hives.len(), 1, "opened once: {:?}", report.hives);
    std::fs::remove_dir_all(&dir).ok();
}

/// Fuzzing (issue 21, target `hive`, crash-13edfecf…): an `lf` subkey list whose item offset is
/// near 2^32 makes notatin add past `u32::MAX` (`sub_key_list_lf.rs:43`, a panic where overflow
/// is checked, a wrapped offset where not). The panic is caught in the adapter and must reach
/// the report as a warning naming the hive, raised where it happens (the key walk, after the
/// hive opened), and the services beside the damaged list are still read.
#[test]
fn an_overflowing_subkey_offset_is_a_warning_not_a_crash() {
    let when = "2026-01-05T08:00:00Z".parse().unwrap();
    let mut root = RegKey::new("ROOT", when);
    root.path_mut("Select", when)
        .values
        .push(("Current".into(), RegData::Dword(1)));
    for name in ["Alpha", "Beta"] {
        root.path_mut(&format!("ControlSet001\\Services\\Damaged\\{name}"), when);
    }
    root.path_mut("ControlSet001\\Services\\Intact", when)
        .values
        .push((
            "ImagePath".into(),
            RegData::Sz("C:\\tmp\\intact.exe".into()),
        ));
    let mut hive = write_hive(&root);
    // The key node named `Damaged`: its subkey list becomes an `lf` list whose first item
    // points 16 bytes short of 2^32.
    let at = (0..hive.len() - 0x50)
        .find(|&at| &hive[at..at + 2] == b"nk" && hive[at + 0x4C..].starts_with(b"Damaged"))
        .expect("key node");
    let list = 4096 + u32::from_le_bytes(hive[at + 0x1C..at + 0x20].try_into().unwrap()) as usize;
    assert!(matches!(&hive[list + 4..list + 6], b"lh" | b"lf"));
    hive[list + 4..list + 6].copy_from_slice(b"lf");
    hive[list + 8..list + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());

    let dir = temp_case("overflowing-subkey");
    let system = dir.join("SYSTEM");
    std::fs::write(&system, hive).unwrap();
    let report = scan(std::slice::from_ref(&dir));
    assert!(
        report.services.iter().any(|s| s.name == "Intact"),
        "{:?}",
        report.services.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    if cfg!(debug_assertions) {
        assert!(
            report.warnings.iter().any(|w| w.file == system
                && w.message
                    .starts_with("the hive parser failed on damaged data")),
            "{:?}",
            report.warnings
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
