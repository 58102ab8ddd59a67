//! The check on images written by the forge (`konseki_forge::pe`): a service program, the
//! reference experiment's plain program, a service DLL, a .NET stub, and damaged input.

use std::path::Path;

use konseki_forge::pe::{write_pe, PeImage};
use konseki_pe::{check, ProgramKind};

fn kind_of(image: &PeImage) -> konseki_pe::PeReport {
    check(Path::new("forged.exe"), &write_pe(image)).expect("a forged image reads")
}

#[test]
fn service_program_and_plain_program() {
    let service = kind_of(&PeImage::importing(&[
        "KERNEL32.dll!CreateFileW",
        "ADVAPI32.dll!StartServiceCtrlDispatcherW",
        "ADVAPI32.dll!RegisterServiceCtrlHandlerExW",
        "ADVAPI32.dll!SetServiceStatus",
    ]));
    assert_eq!(service.kind, ProgramKind::ServiceProgram);
    assert_eq!(
        service.service_imports,
        [
            "ADVAPI32.dll!StartServiceCtrlDispatcherW",
            "ADVAPI32.dll!RegisterServiceCtrlHandlerExW",
            "ADVAPI32.dll!SetServiceStatus"
        ]
    );
    assert_eq!(service.machine, "x64");

    // The reference experiment's TestWriteFile.exe: writes a file, never calls the SCM.
    let plain = kind_of(&PeImage::importing(&[
        "KERNEL32.dll!CreateFileW",
        "KERNEL32.dll!WriteFile",
        "KERNEL32.dll!CloseHandle",
    ]));
    assert_eq!(plain.kind, ProgramKind::PlainProgram);
    assert!(plain.service_imports.is_empty() && plain.runtime_resolution.is_empty());
    assert_ne!(plain.sha256, service.sha256);
    assert_eq!(plain.sha256.len(), 64);
    assert_eq!(plain.sha1.len(), 40);

    // One that could find the functions at run time: still plain, and it says why not sure.
    let resolving = kind_of(&PeImage::importing(&[
        "KERNEL32.dll!GetProcAddress",
        "KERNEL32.dll!LoadLibraryW",
    ]));
    assert_eq!(resolving.kind, ProgramKind::PlainProgram);
    assert_eq!(
        resolving.runtime_resolution,
        ["KERNEL32.dll!GetProcAddress", "KERNEL32.dll!LoadLibraryW"]
    );
}

#[test]
fn service_dll_managed_and_plain_dll() {
    let mut dll = PeImage::importing(&["ADVAPI32.dll!RegisterServiceCtrlHandlerW"]);
    dll.dll = true;
    dll.exports = vec!["ServiceMain".into(), "SvchostPushServiceGlobals".into()];
    let report = kind_of(&dll);
    assert_eq!(report.kind, ProgramKind::ServiceDll);
    assert!(report.exports_service_main);

    dll.exports = vec!["DllMain".into()];
    assert_eq!(kind_of(&dll).kind, ProgramKind::PlainDll);

    let managed = kind_of(&PeImage::importing(&["mscoree.dll!_CorExeMain"]));
    assert_eq!(managed.kind, ProgramKind::Managed);
}

#[test]
fn the_hashes_are_of_the_file_as_on_disk() {
    let bytes = write_pe(&PeImage::importing(&["KERNEL32.dll!ExitProcess"]));
    let dir = std::env::temp_dir().join(format!("konseki-pe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.exe");
    std::fs::write(&path, &bytes).unwrap();
    let report = konseki_pe::inspect(&path).unwrap();
    assert_eq!(report.size, bytes.len() as u64);
    // Against coreutils' sha256sum and sha1sum where they exist (any Linux CI).
    for (tool, digest) in [("sha256sum", &report.sha256), ("sha1sum", &report.sha1)] {
        let Ok(out) = std::process::Command::new(tool).arg(&path).output() else {
            eprintln!("{tool} not installed: digest not cross-checked");
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.split_whitespace().next(),
            Some(digest.as_str()),
            "{tool}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_and_foreign_input_is_rejected_not_panicked_on() {
    let good = write_pe(&PeImage::importing(&[
        "ADVAPI32.dll!StartServiceCtrlDispatcherW",
        "KERNEL32.dll!CreateFileW",
    ]));
    assert!(check(Path::new("e"), b"").is_err());
    assert!(check(Path::new("e"), b"MZ").is_err());
    assert!(check(Path::new("e"), b"regf\0\0\0\0").is_err());
    assert!(check(Path::new("e"), &good[..0x180]).is_err());
    // Every byte of the headers and tables overwritten in turn: an answer or an error.
    let mut bytes = good.clone();
    for at in 0..bytes.len() {
        for value in [0x00, 0xff, 0x7f] {
            bytes[at] = value;
            let _ = check(Path::new("e"), &bytes);
        }
        bytes[at] = good[at];
    }
}
