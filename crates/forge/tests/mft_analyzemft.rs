//! The forge's $MFT read by analyzeMFT (PyPI `analyzeMFT`), the independent reader beside the
//! `mft` crate. CI installs it and sets `KONSEKI_REQUIRE_ANALYZEMFT`; elsewhere the test says
//! it is skipped.

use std::process::Command;

use konseki_forge::mft::{write_mft, FileTimes, MftFile};
use konseki_testutil::{run_tool, tool_available};

#[test]
fn analyzemft_reads_what_the_forge_writes() {
    // Run through python3: pip may put the console script where PATH does not look.
    if !tool_available(
        Command::new("python3").args(["-c", "import analyzeMFT"]),
        "analyzeMFT",
        "KONSEKI_REQUIRE_ANALYZEMFT",
    ) {
        return;
    }
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let mut stomped = MftFile::new(
        "C:\\tmp\\payload.exe",
        t("2026-01-05T08:00:20Z"),
        &vec![0x4d; 70_000],
    );
    stomped.si = FileTimes::all(t("2019-03-01T10:00:00Z"));
    let files = [
        MftFile::new(
            "C:\\tmp\\test.txt",
            t("2026-01-05T08:00:29Z"),
            b"This is test",
        ),
        stomped,
    ];
    let dir = std::env::temp_dir().join(format!("konseki-analyzemft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mft, json) = (dir.join("MFT"), dir.join("out.json"));
    std::fs::write(&mft, write_mft(&files)).unwrap();
    run_tool(
        Command::new("python3")
            .args([
                "-c",
                "import sys, analyzeMFT; sys.argv[0] = 'analyzemft'; sys.exit(analyzeMFT.main())",
            ])
            .args(["--json", "-f"])
            .arg(&mft)
            .arg("-o")
            .arg(&json),
        b"",
    );
    let records: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let find = |name: &str| {
        records
            .iter()
            .find(|r| r["filename"] == name)
            .unwrap_or_else(|| panic!("analyzeMFT did not list {name}"))
    };
    let tmp = find("tmp");
    let test = find("test.txt");
    assert_eq!(test["parent_ref"], tmp["recordnum"]);
    assert_eq!(test["filesize"], 12);
    assert_eq!(test["si_times"]["crtime"], "2026-01-05T08:00:29.000Z");
    assert_eq!(test["data_attribute"]["non_resident"], false);
    let payload = find("payload.exe");
    assert_eq!(payload["filesize"], 70_000);
    assert_eq!(payload["si_times"]["crtime"], "2019-03-01T10:00:00.000Z");
    assert_eq!(payload["fn_times"]["crtime"], "2026-01-05T08:00:20.000Z");
    assert_eq!(payload["data_attribute"]["non_resident"], true);
    std::fs::remove_dir_all(&dir).ok();
}
