//! $MFT facts: the shared corpus (`EXPECTED.md`, checked there with mft_dump and an own parser)
//! and the forge's output read back.

use konseki_forge::mft::{write_mft, FileTimes, MftFile};
use konseki_mft::{read_mft, FileRecord, MftError};
use konseki_testutil::corpus;

fn read(path: &std::path::Path) -> (Vec<FileRecord>, konseki_mft::MftSummary) {
    let mut records = Vec::new();
    let summary = read_mft(path, |r| records.push(r)).unwrap();
    (records, summary)
}

#[test]
fn nist_dfr_16_entries_and_paths() {
    let Some(path) = corpus("mft/NIST-DFR-16/$MFT") else {
        return;
    };
    let (records, summary) = read(&path);
    assert_eq!((summary.entries, summary.in_use), (117, 117));
    let dirs = records.iter().filter(|r| r.is_dir).count();
    assert_eq!((dirs, records.len() - dirs), (50, 67));
    let paths: Vec<&str> = records.iter().map(|r| r.path.as_str()).collect();
    assert!(
        paths.contains(&"$Extend\\$RmMetadata\\$TxfLog\\$TxfLog.blf"),
        "{paths:?}"
    );
    assert!(paths.contains(&"Y02\\Y02L01"));
}

#[test]
fn single_record_edge_cases_parse_or_are_rejected_cleanly() {
    let Some(dir) = corpus("mft/entries") else {
        return;
    };
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Either a record list or a clean error; never a panic.
        let _ = read_mft(&path, |_| {});
    }
    let not_mft = read_mft(&corpus("hives/SAM").unwrap(), |_| {});
    assert!(matches!(not_mft, Err(MftError::NotMft { .. })));
}

#[test]
fn forged_mft_reads_back_with_independent_si_and_fn_times() {
    let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let mut stomped = MftFile::new(
        "C:\\tmp\\payload.exe",
        t("2026-01-05T08:00:20Z"),
        &vec![0x4d; 70_000],
    );
    stomped.si = FileTimes::all(t("2019-03-01T10:00:00Z")); // SI backdated, FN left alone
    let files = vec![
        MftFile::new(
            "C:\\tmp\\test.txt",
            t("2026-01-05T08:00:29Z"),
            b"This is test",
        ),
        stomped,
        MftFile::new(
            "Windows\\System32\\drivers\\etc\\hosts",
            t("2025-06-01T00:00:00Z"),
            b"127.0.0.1 localhost",
        ),
    ];
    let dir = std::env::temp_dir().join(format!("konseki-mft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("$MFT");
    std::fs::write(&path, write_mft(&files)).unwrap();
    let (records, summary) = read(&path);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    let find = |p: &str| {
        records
            .iter()
            .find(|r| r.path == p)
            .unwrap_or_else(|| panic!("{p} not in {records:?}"))
    };
    let test = find("tmp\\test.txt");
    assert!(test.in_use && !test.is_dir);
    assert_eq!(test.size, Some(12));
    assert_eq!(test.si.unwrap().created, t("2026-01-05T08:00:29Z"));
    let payload = find("tmp\\payload.exe");
    assert_eq!(payload.size, Some(70_000));
    assert_eq!(payload.si.unwrap().created, t("2019-03-01T10:00:00Z"));
    assert_eq!(payload.fn_times.unwrap().created, t("2026-01-05T08:00:20Z"));
    assert!(find("tmp").is_dir);
    assert!(find("Windows\\System32\\drivers\\etc\\hosts").in_use);
    std::fs::remove_dir_all(&dir).ok();
}
