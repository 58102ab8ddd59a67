//! Evidence is attacker-controlled and must never be altered: outputs that would land on or in
//! the evidence are refused, nothing above the given root is read, links do not lead out of it,
//! and strings printed for a human cannot drive the terminal. (Issue 16, items 12, 13, 15.)

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{corpus, scan, temp_case};
use konseki_forge::evtx::{write_evtx, EvtxEvent};
use konseki_forge::scenario::Scenario;
use sha2::{Digest, Sha256};

/// The exit code README.md documents for a refused output.
const EXIT_REFUSED: i32 = 4;

fn konseki<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_konseki"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The reference case (scenario `service-timeout`) written under `dir`.
fn reference_case(dir: &Path) -> PathBuf {
    let scenario = Scenario::builtin("service-timeout").unwrap();
    scenario.write_tree(dir).unwrap();
    dir.join("C/Windows/System32/winevt/Logs/System.evtx")
}

#[test]
fn an_output_onto_or_into_the_evidence_is_refused_before_anything_is_written() {
    let case = temp_case("refuse-output");
    let evidence = case.join("evidence");
    let log = reference_case(&evidence);
    let before = std::fs::read(&log).unwrap();
    let outside = case.join("out");
    std::fs::create_dir_all(&outside).unwrap();

    let into_tree = evidence.join("report.json");
    let via_dotdot = evidence.join("C/../C/Windows/System32/winevt/Logs/System.evtx");
    let symlink = outside.join("link-to-log.json");
    std::os::unix::fs::symlink(&log, &symlink).unwrap();
    let hard_link = outside.join("hard-link.json");
    std::fs::hard_link(&log, &hard_link).unwrap();

    let cases: [(&Path, &Path); 5] = [
        (&evidence, &into_tree),  // a new file inside the scanned folder
        (&evidence, &log),        // an evidence file itself
        (&evidence, &via_dotdot), // the same, spelled through `..`
        (&evidence, &symlink),    // a link outside that points at it
        (&evidence, &hard_link),  // a second name of the same file, outside the root
    ];
    for (root, output) in cases {
        for command in ["scan", "timeline"] {
            let out = konseki(&[
                command.as_ref(),
                root.as_os_str(),
                "-o".as_ref(),
                output.as_os_str(),
            ]);
            assert_eq!(
                out.status.code(),
                Some(EXIT_REFUSED),
                "{command} -o {}: {}",
                output.display(),
                stderr(&out)
            );
            assert!(
                stderr(&out).contains("refusing to write"),
                "{}",
                stderr(&out)
            );
        }
    }
    // A log given as the root is its own evidence too.
    let out = konseki(&[
        "scan".as_ref(),
        log.as_os_str(),
        "-o".as_ref(),
        log.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_REFUSED), "{}", stderr(&out));

    assert!(!into_tree.exists(), "the refused output was created");
    assert_eq!(std::fs::read(&log).unwrap(), before, "the evidence changed");

    // Outside the evidence, output is written as asked.
    let fine = outside.join("report.json");
    let out = konseki(&[
        "scan".as_ref(),
        evidence.as_os_str(),
        "-f".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        fine.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::metadata(&fine).unwrap().len() > 0);
    std::fs::remove_dir_all(&case).ok();
}

#[test]
fn demo_never_writes_into_a_folder_that_holds_files() {
    let case = temp_case("demo-non-empty");
    let kept = case.join("notes.txt");
    std::fs::write(&kept, "the examiner's notes").unwrap();
    let out = konseki(&["demo".as_ref(), case.as_os_str()]);
    assert_eq!(out.status.code(), Some(EXIT_REFUSED), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&case).unwrap().count(), 1);
    assert_eq!(std::fs::read(&kept).unwrap(), b"the examiner's notes");
    std::fs::remove_dir_all(&case).ok();
}

#[test]
fn nothing_above_the_given_root_is_read_or_used() {
    // The examiner's own folder holds what looks like a Windows volume and the service's
    // program; the evidence is a loose SYSTEM hive and System log one folder below it, inside
    // a folder named like a drive letter.
    let case = temp_case("root-boundary");
    std::fs::create_dir_all(case.join("Windows/System32")).unwrap();
    let scenario = Scenario::builtin("service-timeout").unwrap();
    let staged = case.join("staged");
    scenario.write_tree(&staged).unwrap();
    let program = staged.join("C/tmp/TestWriteFile.exe");
    std::fs::create_dir_all(case.join("tmp")).unwrap();
    std::fs::copy(&program, case.join("tmp/TestWriteFile.exe")).unwrap();
    let root = case.join("D").join("evidence");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(
        staged.join("C/Windows/System32/config/SYSTEM"),
        root.join("SYSTEM"),
    )
    .unwrap();
    std::fs::copy(staged.join("C/$MFT"), root.join("$MFT")).unwrap();

    let report = scan(std::slice::from_ref(&root));
    assert!(
        report.services.iter().any(|s| s.name == "test"),
        "the hive was read"
    );
    assert!(
        report.services.iter().all(|s| s.programs.is_empty()),
        "a program above the root was read: {:?}",
        report
            .services
            .iter()
            .flat_map(|s| &s.programs)
            .map(|p| &p.file)
            .collect::<Vec<_>>()
    );
    // The `D` above the root does not make the $MFT's files D:.
    let report_json = serde_json::to_string(&konseki_correlate::timeline::timeline(
        &konseki_extract::extract(std::slice::from_ref(&root), &konseki_extract::NoProgress),
    ))
    .unwrap();
    assert!(
        report_json.contains("C:\\\\tmp\\\\test.txt"),
        "{report_json:.400}"
    );
    assert!(
        !report_json.contains("D:\\\\tmp"),
        "drive taken from above the root"
    );
    std::fs::remove_dir_all(&case).ok();
}

#[test]
fn links_inside_the_evidence_are_not_followed_out_of_it_but_a_linked_root_is() {
    let case = temp_case("links");
    let outside = case.join("examiner");
    reference_case(&outside);
    let root = case.join("evidence");
    std::fs::create_dir_all(&root).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();

    let report = scan(std::slice::from_ref(&root));
    assert!(
        report.logs.is_empty() && report.hives.is_empty(),
        "a link was followed"
    );
    let warning = report
        .warnings
        .iter()
        .find(|w| w.message.contains("leads outside the evidence root"))
        .expect("a warning names the link");
    assert_eq!(warning.file, root.join("escape"));

    // The same link given as the root is what the examiner asked for: followed.
    let report = scan(&[root.join("escape")]);
    assert_eq!(report.logs.len(), 1);
    assert!(report.services.iter().any(|s| s.name == "test"));
    std::fs::remove_dir_all(&case).ok();
}

#[test]
fn hostile_strings_are_shown_escaped_on_the_terminal_and_exact_in_json() {
    let case = temp_case("terminal");
    let name = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202E}exe.txt";
    let install = EvtxEvent::scm(
        7045,
        0x4000,
        "2026-01-05T08:00:00Z".parse().unwrap(),
        "WS\u{1b}[31m01",
    )
    .data("ServiceName", name)
    .data("ImagePath", "C:\\tmp\\a\u{200B}b.exe\r\nfake line")
    .data("ServiceType", "user mode service")
    .data("StartType", "auto start")
    .data("AccountName", "LocalSystem");
    let log = case.join("Sys\u{1b}[1mtem.evtx");
    std::fs::write(&log, write_evtx(&[install], 1)).unwrap();

    for args in [
        vec!["scan".as_ref(), case.as_os_str()],
        vec!["explain".as_ref(), case.as_os_str(), name.as_ref()],
    ] {
        let out = konseki(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        for c in ['\u{1b}', '\u{7}', '\u{202E}', '\u{200B}', '\r'] {
            assert!(!text.contains(c), "{c:?} reached the terminal:\n{text}");
        }
        assert!(text.contains("evil\\x1b]0;pwned\\x07"), "{text}");
        assert!(text.contains("Sys\\x1b[1mtem.evtx"), "{text}");
        assert!(text.contains("a<U+200B>b.exe\\r\\nfake line"), "{text}");
        if args[0] == "explain" {
            assert!(text.contains("\\x1b[2J<U+202E>exe.txt"), "{text}");
        }
    }
    let out = konseki(&[
        "scan".as_ref(),
        case.as_os_str(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let display = doc["hosts"][0]["services"][0]["display_names"][0]
        .as_str()
        .unwrap();
    assert_eq!(display, name, "JSON keeps the exact string");
    std::fs::remove_dir_all(&case).ok();
}

/// Every file of the tree with its SHA-256 and modification time.
fn fingerprints(root: &Path) -> Vec<(PathBuf, String, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file() {
                let digest = Sha256::digest(std::fs::read(&path).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                out.push((path, hex, meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn scanning_the_whole_corpus_changes_no_file() {
    let Some(root) = corpus("") else {
        return;
    };
    let before = fingerprints(&root);
    assert!(
        before.len() > 400,
        "the corpus holds {} files",
        before.len()
    );
    for args in [
        vec![
            "scan".as_ref(),
            root.as_os_str(),
            "-f".as_ref(),
            "json".as_ref(),
        ],
        vec!["timeline".as_ref(), root.as_os_str()],
    ] {
        let out = konseki(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(fingerprints(&root), before);
}
