//! Prefetch files of the shared corpus: the values of `EXPECTED.md` (every format version,
//! both version-30 layouts, MAM compression), and every file against libscca's `sccainfo`.

use std::path::{Path, PathBuf};
use std::process::Command;

use konseki_prefetch::{read_prefetch, PrefetchError};
use konseki_testutil::{corpus, tool_available};

fn pf(rel: &str) -> Option<konseki_prefetch::Prefetch> {
    Some(read_prefetch(&corpus(rel)?).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

#[test]
fn expected_values_for_every_version() {
    // (file, version, compressed, executable-hash, run count, last run)
    let table = [
        (
            "prefetch/XPPro/CMD.EXE-087B4001.pf",
            17,
            false,
            "CMD.EXE-087B4001",
            2,
            "2013-03-10T10:11:49.28125Z",
        ),
        (
            "prefetch/Vista/CMD.EXE-89305D47.pf",
            23,
            false,
            "CMD.EXE-89305D47",
            3,
            "2016-01-16T20:03:15.551424Z",
        ),
        (
            "prefetch/Win7/PING.EXE-B29F6629.pf",
            23,
            false,
            "PING.EXE-B29F6629",
            14,
            "2012-04-06T19:00:55.932955Z",
        ),
        (
            "prefetch/Win8x/TASKHOST.EXE-3AE259FC.pf",
            26,
            false,
            "TASKHOST.EXE-3AE259FC",
            4,
            "2013-10-04T15:40:09.037833Z",
        ),
        (
            "prefetch/Win10/CMD.EXE-D269B812.pf",
            30,
            true,
            "CMD.EXE-D269B812",
            55,
            "2016-01-12T20:07:03.981069Z",
        ),
        (
            "prefetch/Win10/VELOCIRAPTOR.EXE-DB95245D.pf",
            30,
            true,
            "VELOCIRAPTOR.EXE-DB95245D",
            30,
            "2022-02-21T01:03:45.018377Z",
        ),
        (
            "prefetch/Win11/AM_DELTA_PATCH_1.443.990.0.EX-7037CF86.pf",
            31,
            true,
            "AM_DELTA_PATCH_1.443.990.0.EX-7037CF86",
            1,
            "2026-02-04T13:43:44.668632Z",
        ),
    ];
    for (rel, version, compressed, name, runs, last) in table {
        let Some(p) = pf(rel) else { return };
        assert_eq!((p.version, p.compressed), (version, compressed), "{rel}");
        assert_eq!(format!("{}-{}", p.executable, p.hash), name, "{rel}");
        assert_eq!(p.run_count, runs, "{rel}");
        // EXPECTED.md gives microseconds; FILETIMEs hold 100 ns.
        let got = p.last_runs[0];
        let want: jiff::Timestamp = last.parse().unwrap();
        assert!(
            (got - want).get_microseconds().abs() < 1,
            "{rel}: {got} vs {want}"
        );
    }
}

#[test]
fn psexesvc_run_times_are_the_seven_psexec_installs() {
    let Some(p) = pf("prefetch/APTSimulatorVM-Win10/PSEXESVC.EXE-AD70946C.pf") else {
        return;
    };
    assert_eq!((p.version, p.run_count), (30, 7));
    let times: Vec<String> = p.last_runs.iter().map(|t| t.to_string()).collect();
    assert_eq!(times.len(), 7);
    assert!(
        times[0].starts_with("2022-03-10T20:41:24.319792"),
        "{times:?}"
    );
    assert!(
        times[6].starts_with("2022-03-10T19:57:43.681107"),
        "{times:?}"
    );
    assert!(
        p.files
            .iter()
            .any(|f| f.ends_with("\\WINDOWS\\PSEXESVC.EXE")),
        "{:?}",
        p.files
    );
    assert!(!p.volumes.is_empty());
}

#[test]
fn not_a_prefetch_file_is_rejected() {
    let Some(path) = corpus("prefetch/corrupt/notAPrefetch.pf") else {
        return;
    };
    assert!(matches!(
        read_prefetch(&path),
        Err(PrefetchError::Invalid { .. })
    ));
    let path = Path::new("x.pf");
    for bytes in [
        &b""[..],
        b"MAM\x04",
        b"MAM\x04\xff\xff\xff\xff rest",
        b"\x1e\0\0\0SCCA",
    ] {
        assert!(konseki_prefetch::parse(path, bytes).is_err());
    }
}

fn all_prefetch_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_prefetch_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("pf"))
            && !path.to_string_lossy().contains("corrupt")
        {
            out.push(path);
        }
    }
}

/// `Jan 12, 2016 20:07:03.981069400 UTC` → 100 ns ticks since 1970, as text for comparison.
fn sccainfo_time(text: &str) -> Option<String> {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = text.split_whitespace();
    let name = parts.next()?;
    let month = months.iter().position(|m| *m == name)? + 1;
    let day: u32 = parts.next()?.trim_end_matches(',').parse().ok()?;
    let year: u32 = parts.next()?.parse().ok()?;
    let (hms, fraction) = parts.next()?.split_once('.')?;
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hms}.{}",
        &fraction[..7]
    ))
}

#[test]
fn every_corpus_file_agrees_with_sccainfo() {
    let Some(root) = corpus("prefetch") else {
        return;
    };
    if !tool_available(
        Command::new("sccainfo").arg("-V"),
        "sccainfo",
        "KONSEKI_REQUIRE_SCCAINFO",
    ) {
        return;
    }
    let mut files = Vec::new();
    all_prefetch_files(&root, &mut files);
    assert!(files.len() > 200, "{} files", files.len());
    let mut compared = 0;
    for file in &files {
        let out = Command::new("sccainfo").arg(file).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |name: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(name))
                .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
        };
        let p = read_prefetch(file).unwrap_or_else(|e| panic!("{e}"));
        let context = file.display().to_string();
        if !out.status.success() {
            // Debian's libscca (2020) predates version 31; EXPECTED.md's values cover that file.
            assert_eq!(p.version, 31, "sccainfo failed on {context}");
            continue;
        }
        compared += 1;
        assert_eq!(
            field("Format version").unwrap(),
            p.version.to_string(),
            "{context}"
        );
        assert_eq!(
            field("Run count").unwrap(),
            p.run_count.to_string(),
            "{context}"
        );
        assert_eq!(
            field("Executable filename").unwrap(),
            p.executable,
            "{context}"
        );
        assert_eq!(
            field("Prefetch hash").unwrap(),
            format!("0x{}", p.hash.to_lowercase()),
            "{context}"
        );
        assert_eq!(
            field("Number of filenames").unwrap(),
            p.files.len().to_string(),
            "{context}"
        );
        let theirs: Vec<String> = text
            .lines()
            .filter(|l| l.trim_start().starts_with("Last run time"))
            .filter_map(|l| l.splitn(3, ':').nth(2))
            .filter(|t| !t.contains("Not set"))
            .filter_map(|t| sccainfo_time(t.trim()))
            .collect();
        let ours: Vec<String> = p
            .last_runs
            .iter()
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.%f").to_string())
            .map(|s| format!("{:0<27}", s)[..27].to_string())
            .collect();
        assert_eq!(ours, theirs, "{context}");
    }
    assert!(compared >= 200, "{compared} compared");
}

/// Every byte of a compressed and of a raw file overwritten in turn: a result or an error,
/// never a panic (the decompressor, the offsets and the string tables are all attacker input).
#[test]
fn damaged_files_never_panic() {
    for rel in [
        "prefetch/APTSimulatorVM-Win10/PSEXESVC.EXE-AD70946C.pf",
        "prefetch/Win7/PING.EXE-B29F6629.pf",
    ] {
        let Some(path) = corpus(rel) else { return };
        let good = std::fs::read(&path).unwrap();
        let mut bytes = good.clone();
        let step = (good.len() / 300).max(1);
        for at in (0..good.len()).step_by(step) {
            for value in [0x00, 0xff, 0x80] {
                bytes[at] = value;
                let _ = konseki_prefetch::parse(&path, &bytes);
            }
            bytes[at] = good[at];
        }
        for cut in (0..good.len()).step_by(good.len() / 50) {
            let _ = konseki_prefetch::parse(&path, &good[..cut]);
        }
    }
}

/// Our table-driven Xpress-Huffman decoder gives, byte for byte, what the `xpress-huffman` crate
/// gives, on every compressed (MAM) Prefetch file of the corpus, every Windows version. The crate
/// (like dissect.util) stops once the input is loaded into its bit window, which can leave the
/// last symbols undecoded: some files (APTSimulator's TASKMGR.EXE, STARTMENUEXPERIENCEHOST.EXE)
/// then come out a byte or two short of the size their MAM header states, which ours reaches.
#[test]
fn our_decoder_equals_the_crates_on_every_compressed_file() {
    let Some(root) = konseki_testutil::corpus("prefetch") else {
        return;
    };
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut compared = 0;
    for path in files {
        let data = std::fs::read(&path).unwrap();
        if !data.starts_with(b"MAM\x04") {
            continue;
        }
        let size = u32::from_le_bytes(data[4..8].try_into().unwrap()) as usize;
        let theirs = xpress_huffman::decompress(&data[8..], size);
        let ours = konseki_prefetch::xpress::decompress(&data[8..], size);
        match (theirs, ours) {
            (Ok(a), Ok(b)) => {
                assert!(b.starts_with(&a), "{}: output differs", path.display());
                assert!(a.len() == b.len() || b.len() == size, "{}", path.display());
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!(
                "{}: crate {:?}, ours {:?}",
                path.display(),
                a.is_ok(),
                b.map(|v| v.len())
            ),
        }
        compared += 1;
    }
    assert!(compared > 150, "{compared} compressed files");
}
