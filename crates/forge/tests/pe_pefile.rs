//! The forge's PE images read by pefile (PyPI `pefile`), an independent reader beside the
//! `object` crate konseki uses. CI installs it and sets `KONSEKI_REQUIRE_PEFILE`; elsewhere the
//! test says it is skipped.

use std::process::Command;

use konseki_forge::pe::{write_pe, PeImage};
use konseki_testutil::{run_tool, tool_available};

const LIST: &str = r#"
import pefile, sys
pe = pefile.PE(data=sys.stdin.buffer.read())
print("machine", hex(pe.FILE_HEADER.Machine), "dll" if pe.is_dll() else "exe")
for entry in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []):
    for imp in entry.imports:
        print("import", entry.dll.decode() + "!" + imp.name.decode())
if hasattr(pe, "DIRECTORY_ENTRY_EXPORT"):
    for exp in pe.DIRECTORY_ENTRY_EXPORT.symbols:
        print("export", exp.name.decode(), hex(exp.address))
"#;

#[test]
fn pefile_reads_what_the_forge_writes() {
    if !tool_available(
        Command::new("python3").args(["-c", "import pefile"]),
        "pefile",
        "KONSEKI_REQUIRE_PEFILE",
    ) {
        return;
    }
    let program = PeImage::importing(&[
        "ADVAPI32.dll!StartServiceCtrlDispatcherW",
        "KERNEL32.dll!CreateFileW",
        "ADVAPI32.dll!SetServiceStatus",
    ]);
    let listed = run_tool(
        Command::new("python3").args(["-c", LIST]),
        &write_pe(&program),
    );
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "machine 0x8664 exe",
            "import ADVAPI32.dll!StartServiceCtrlDispatcherW",
            "import ADVAPI32.dll!SetServiceStatus",
            "import KERNEL32.dll!CreateFileW",
        ]
    );

    let mut dll = PeImage::importing(&["ADVAPI32.dll!RegisterServiceCtrlHandlerW"]);
    dll.dll = true;
    dll.exports = vec!["SvchostPushServiceGlobals".into(), "ServiceMain".into()];
    let listed = run_tool(Command::new("python3").args(["-c", LIST]), &write_pe(&dll));
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "machine 0x8664 dll",
            "import ADVAPI32.dll!RegisterServiceCtrlHandlerW",
            "export ServiceMain 0x1000",
            "export SvchostPushServiceGlobals 0x1000",
        ]
    );
}
