//! The binary as a user runs it: formats, exit codes, messages on bad input.

mod common;

use common::{corpus, konseki};

#[test]
fn json_output_is_one_document_with_every_service() {
    let Some(path) = corpus("evtx/ID7009-Service deployment time out (meterpreter).evtx") else {
        return;
    };
    let out = konseki(&[
        "scan".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["hosts"].as_array().unwrap().len(), 1);
    // A log alone names its host by the records' `Computer` field.
    assert_eq!(doc["hosts"][0]["host"]["label"], "FS03.offsec.lan");
    assert_eq!(doc["summary"][0]["host"], "FS03.offsec.lan");
    let services = doc["hosts"][0]["services"].as_array().unwrap();
    assert_eq!(services.len(), 3);
    let first = &services[0];
    assert_eq!(first["verdict"]["execution"], "executed");
    assert_eq!(first["runs"][0]["outcome"]["kind"], "timed_out");
    assert_eq!(first["runs"][0]["start"]["kind"], "range");
    assert!(first["verdict"]["evidence"][0]["source"]["record_id"].is_u64());
}

#[test]
fn csv_and_jsonl_have_a_row_per_service() {
    let Some(path) = corpus("evtx/ID7009-Service deployment time out (meterpreter).evtx") else {
        return;
    };
    let csv = konseki(&[
        "scan".as_ref(),
        path.as_os_str(),
        "-f".as_ref(),
        "csv".as_ref(),
    ]);
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), 4);
    let jsonl = konseki(&[
        "scan".as_ref(),
        path.as_os_str(),
        "-f".as_ref(),
        "jsonl".as_ref(),
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&jsonl.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["record_type"] == "service")
            .count(),
        3
    );
}

#[test]
fn explain_tells_the_story_and_exit_codes_are_documented() {
    let Some(path) = corpus("evtx/ID7000,7009,7045-Payload deployed via service - Tchopper.evtx")
    else {
        return;
    };
    let out = konseki(&["explain".as_ref(), path.as_os_str(), "seg1".as_ref()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Verdict: executed, ran ≤ 0.44 s, not resident"),
        "{text}"
    );
    assert!(text.contains("record 9309 (event 7009)"));
    // The 7009 came 0.44 s after the install: one sentence says both the wait in force and the
    // bound, and that the program ended early; nothing says it ran for the 30 s (issue 16,
    // item 9).
    assert!(text.contains("the wait in force is 30000 ms"), "{text}");
    assert!(text.contains("≤ 0.44 s, less than that wait"), "{text}");
    assert!(
        text.contains("A program that timed out still ran"),
        "{text}"
    );
    assert!(!text.contains("after 30000 ms"), "{text}");
    let missing = konseki(&[
        "explain".as_ref(),
        path.as_os_str(),
        "no-such-service".as_ref(),
    ]);
    assert_eq!(missing.status.code(), Some(3));
}

#[test]
fn non_evidence_is_rejected_with_the_file_named() {
    let Some(path) = corpus("hives/corrupt/NotAHive") else {
        return;
    };
    let out = konseki(&["scan".as_ref(), path.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("NotAHive") && err.contains("not a registry hive or EVTX log"),
        "{err}"
    );
    let empty = konseki(&[
        "scan".as_ref(),
        corpus("evtx/corrupt/test2.evtx").unwrap().as_os_str(),
    ]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("empty file"));
    let absent = konseki(&["scan".as_ref(), "/no/such/evidence".as_ref()]);
    assert_eq!(absent.status.code(), Some(1));
}

#[test]
fn every_corrupt_artifact_is_processed_without_panic() {
    let Some(root) = corpus("") else { return };
    for dir in [
        "evtx/corrupt",
        "hives/corrupt",
        "hives/corrupted_system_hive",
    ] {
        let out = konseki(&[
            "scan".as_ref(),
            root.join(dir).as_os_str(),
            "-f".as_ref(),
            "json".as_ref(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{dir}: {err}");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{dir}: {:?}",
            out.status
        );
    }
}

/// `konseki timeline` on the demo case: every dated fact, in time order, each with the meaning
/// of its time, as CSV and JSONL.
#[test]
fn timeline_merges_events_keys_and_files() {
    let scenario = konseki_forge::scenario::Scenario::builtin("service-timeout").unwrap();
    let dir = std::env::temp_dir().join(format!("konseki-timeline-{}", std::process::id()));
    scenario.write_tree(&dir).unwrap();
    let csv = konseki(&[
        "timeline".as_ref(),
        dir.as_os_str(),
        "-q".as_ref(),
        "-f".as_ref(),
        "csv".as_ref(),
    ]);
    let jsonl = konseki(&["timeline".as_ref(), dir.as_os_str(), "-q".as_ref()]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let text = String::from_utf8(csv.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "\"host\",\"time\",\"time_means\",\"artifact\",\"service\",\"severity\",\"summary\",\"file\",\"where\""
    );
    let find = |needle: &str| {
        rows.iter()
            .position(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle}"))
    };
    let key = find("\"key_last_written\",\"hive\",\"test\",\"critical\"");
    let file = find("C:\\tmp\\test.txt created ($SI)");
    let timeout = find("\"event_logged\",\"event_log\",\"test\",\"critical\",\"7009:");
    assert!(key < file && file < timeout, "time order");
    assert!(rows[file]
        .starts_with("\"WS01\",\"2026-01-05T08:00:29.0000000Z\",\"file_created\",\"mft\""));

    let lines: Vec<serde_json::Value> = String::from_utf8(jsonl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), rows.len() - 1);
    let timeout = lines
        .iter()
        .find(|l| l["source"]["event_id"] == 7009)
        .unwrap();
    assert_eq!(
        timeout["time_means"], "event_logged",
        "named as in the CSV header"
    );
    assert_eq!(timeout["time"], "2026-01-05T08:00:30.0000000Z");
    assert_eq!(timeout["service"], "test");
}

#[test]
fn defs_lint_passes_the_builtins_and_rejects_a_malformed_file() {
    let ok = konseki(&["defs".as_ref(), "lint".as_ref()]);
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("valid"));
    let dir = std::env::temp_dir().join(format!("konseki-defs-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mine.toml"),
        "[[location]]\nid = \"x\"\ntitle = \"t\"\nattack = \"T1547.001\"\nreference = \"https://e\"\nhive = \"SOFTWARE\"\nkeys = ['Microsoft\\Run']\nread = \"value:\"\ntimes = \"t\"\n",
    )
    .unwrap();
    let bad = konseki(&["defs".as_ref(), "lint".as_ref(), dir.as_os_str()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("mine.toml: location `x`: read `value:`"),
        "{err}"
    );
}

/// `--defs` replaces the built-in locations with the analyst's own.
#[test]
fn scan_with_own_definitions() {
    let Some(hive) = corpus("hives/NTUSER-WIN7.DAT") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("konseki-own-defs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let defs = dir.join("mine.toml");
    std::fs::write(
        &defs,
        "[[location]]\nid = \"my_run\"\ntitle = \"mine\"\nattack = \"T1547.001\"\nreference = \"https://example.org\"\nhive = \"NTUSER\"\nkeys = ['Software\\Microsoft\\Windows\\CurrentVersion\\Run']\nread = \"value:Skype\"\ntimes = \"t\"\n",
    )
    .unwrap();
    let out = konseki(&[
        "scan".as_ref(),
        hive.as_os_str(),
        "-q".as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
        "--defs".as_ref(),
        defs.as_os_str(),
    ]);
    std::fs::write(&defs, "[[location]]\nid = \"broken\"").unwrap();
    let bad = konseki(&[
        "scan".as_ref(),
        hive.as_os_str(),
        "-q".as_ref(),
        "--defs".as_ref(),
        defs.as_os_str(),
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let autostarts = doc["hosts"][0]["autostarts"].as_array().unwrap();
    assert_eq!(
        autostarts.len(),
        1,
        "only the analyst's location, only Skype"
    );
    assert_eq!(autostarts[0]["entry"]["location"], "my_run");
    assert_eq!(autostarts[0]["entry"]["name"], "Skype");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("mine.toml"));
}

/// A log whose file name is not UTF-8 (possible on a Linux mount or an extracted collection)
/// is read and reported, its name with U+FFFD: the JSON report is written, not refused.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_does_not_stop_the_report() {
    use std::os::unix::ffi::OsStrExt;
    let Some(log) = corpus("evtx/ID7009-Service deployment time out (meterpreter).evtx") else {
        return;
    };
    let case = common::temp_case("non-utf8-name");
    let name = std::ffi::OsStr::from_bytes(b"System\xff.evtx");
    std::fs::copy(&log, case.join(name)).unwrap();
    for format in ["json", "jsonl", "csv", "table"] {
        let out = konseki(&[
            "scan".as_ref(),
            case.as_os_str(),
            "-f".as_ref(),
            format.as_ref(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {stderr}");
        // The CSV's rows are services, with no file names.
        let named = String::from_utf8_lossy(&out.stdout).contains("System\u{fffd}.evtx");
        assert!(named || format == "csv", "{format}");
    }
    std::fs::remove_dir_all(&case).ok();
}

/// A zero FILETIME is a time never set, not an event in 1601: the timeline of an $MFT whose
/// entry 0 has zero $SI times (corpus `mft/NIST-DFR-16/$MFT`) holds no 1601 row, and still
/// every other entry's times.
#[test]
fn the_timeline_has_no_row_at_filetime_zero() {
    let Some(mft) = corpus("mft/NIST-DFR-16/$MFT") else {
        return;
    };
    let out = konseki(&["timeline".as_ref(), mft.as_os_str(), "-q".as_ref()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let times: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["time"].clone())
        .collect();
    assert!(times.len() > 100, "{} rows", times.len());
    assert!(
        times
            .iter()
            .all(|t| !t.as_str().unwrap().starts_with("1601-")),
        "a row at 1601"
    );
}

/// `konseki timeline --format timesketch` gives what Timesketch's importer requires of every
/// JSONL line (`timesketch/lib/utils.py`, `read_and_validate_jsonl`: `message`, `datetime`,
/// `timestamp_desc`, a missing one aborts the import; `datetime` with its offset, else the
/// server's zone is assumed; `timestamp` integer microseconds; no UTF-8 byte-order mark; values
/// under OpenSearch's 32,766-byte term limit), on the demo case and on the corpus's logs.
#[test]
fn the_timesketch_timeline_holds_the_importers_required_fields() {
    let scenario = konseki_forge::scenario::Scenario::builtin("service-timeout").unwrap();
    let dir = std::env::temp_dir().join(format!("konseki-timesketch-{}", std::process::id()));
    scenario.write_tree(&dir).unwrap();
    let mut inputs = vec![dir.clone()];
    inputs.extend(corpus("evtx/APTSimulatorVM-Win10"));
    for input in &inputs {
        let out = konseki(&[
            "timeline".as_ref(),
            input.as_os_str(),
            "-q".as_ref(),
            "-f".as_ref(),
            "timesketch".as_ref(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.stdout.starts_with(b"\xEF\xBB\xBF"),
            "a byte-order mark"
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = 0;
        for line in text.lines() {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            for field in ["message", "datetime", "timestamp_desc"] {
                let value = event[field]
                    .as_str()
                    .unwrap_or_else(|| panic!("{field}: {line}"));
                assert!(!value.is_empty(), "{field} empty: {line}");
            }
            let datetime = event["datetime"].as_str().unwrap();
            // 2026-01-05T08:00:31.1234567+00:00: seven fractional digits, the offset stated.
            assert_eq!(datetime.len(), 33, "{datetime}");
            assert!(datetime.ends_with("+00:00") && datetime.as_bytes()[19] == b'.');
            let at: konseki_model::Timestamp = datetime.parse().unwrap();
            assert_eq!(
                event["timestamp"].as_i64(),
                Some(at.as_microsecond()),
                "{line}"
            );
            for (field, value) in event.as_object().unwrap() {
                if let Some(text) = value.as_str() {
                    assert!(text.len() < 32_766, "{field} too long");
                }
            }
            // konseki's own fields: the host (plaso's `hostname`), artifact and source on
            // every line; entity and severity on a service's.
            for field in ["hostname", "artifact", "source_file", "time_means"] {
                assert!(
                    event[field].as_str().is_some_and(|v| !v.is_empty()),
                    "{field}: {line}"
                );
            }
            if event["service"].is_string() {
                assert!(event["entity"].as_str().unwrap().starts_with("service "));
                let severity = event["severity"].as_str().unwrap();
                assert!(["info", "low", "medium", "high", "critical"].contains(&severity));
            }
            lines += 1;
        }
        assert!(lines > 10, "{}: {lines} lines", input.display());
    }
    let demo = konseki(&[
        "timeline".as_ref(),
        dir.as_os_str(),
        "-q".as_ref(),
        "-f".as_ref(),
        "timesketch".as_ref(),
    ]);
    std::fs::remove_dir_all(&dir).ok();
    let text = String::from_utf8(demo.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("C:\\\\tmp\\\\test.txt created ($SI)")
                && l.contains("\"timestamp_desc\":\"Creation Time ($SI)\"")),
        "the seed's file creation as a Timesketch event"
    );
}

/// Every time an export writes (JSON, JSONL and CSV reports; JSONL and CSV timelines) has seven
/// fractional digits (FILETIME resolution) and `Z`, whatever the source's own precision, and
/// none is a FILETIME of zero (1601), on the corpus's logs, hives, $MFT and Prefetch (issue 17,
/// item 5). Times inside prose (summaries) are the narrative's and are not counted.
#[test]
fn every_exported_time_has_seven_fractional_digits() {
    let Some(root) = corpus("") else {
        return;
    };
    let inputs = [
        "evtx/APTSimulatorVM-Win10",
        "mft/NIST-DFR-16",
        "prefetch/Win10",
        "hives",
    ];
    for input in inputs.map(|i| root.join(i)) {
        let mut times = 0;
        for args in [
            &["scan", "-f", "json"][..],
            &["scan", "-f", "jsonl", "--all"],
            &["scan", "-f", "csv", "--all"],
            &["timeline", "-f", "jsonl"],
            &["timeline", "-f", "csv"],
        ] {
            let mut full: Vec<&std::ffi::OsStr> = vec![args[0].as_ref(), input.as_os_str()];
            full.extend(args[1..].iter().map(|a| std::ffi::OsStr::new(*a)));
            full.push("-q".as_ref());
            let out = konseki(&full);
            assert!(out.status.success(), "{args:?} {}", input.display());
            let text = String::from_utf8(out.stdout).unwrap();
            for (at, _) in text.match_indices('"') {
                // A quoted value that starts like an ISO 8601 time: the whole value is one.
                let value = &text[at + 1..];
                let Some(end) = value.find('"') else { break };
                let value = &value[..end];
                let b = value.as_bytes();
                if b.len() < 20
                    || b[4] != b'-'
                    || b[10] != b'T'
                    || !b[..4].iter().all(u8::is_ascii_digit)
                {
                    continue;
                }
                times += 1;
                assert!(
                    value.len() == 28 && b[19] == b'.' && value.ends_with('Z'),
                    "{args:?} {}: {value}",
                    input.display()
                );
                assert!(!value.starts_with("1601-"), "{args:?}: {value}");
            }
        }
        assert!(times > 20, "{}: {times} times", input.display());
    }
}

/// The table, JSONL and CSV hold the same rows (issue 17, item 5): the same services,
/// autostart entries and tasks, chosen by the same rule (what correlation judged notable;
/// `--all` every one), the kind of each said by `record_type`. Counted on a case of all three
/// kinds: the APTSimulator logs and task files, and a user hive with Run values.
#[test]
fn table_jsonl_and_csv_hold_the_same_rows() {
    let (Some(logs), Some(tasks), Some(hive)) = (
        corpus("evtx/APTSimulatorVM-Win10"),
        corpus("tasks/APTSimulatorVM-Win10"),
        corpus("hives/NTUSER_modified.DAT"),
    ) else {
        return;
    };
    for all in [false, true] {
        let run = |format: &str| {
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "scan".as_ref(),
                logs.as_os_str(),
                tasks.as_os_str(),
                hive.as_os_str(),
                "-q".as_ref(),
                "-f".as_ref(),
                format.as_ref(),
            ];
            if all {
                args.push("--all".as_ref());
            }
            let out = konseki(&args);
            assert!(out.status.success());
            String::from_utf8(out.stdout).unwrap()
        };
        let mut from_jsonl: Vec<(String, String, String)> = run("jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|l| l["record_type"] != "warning")
            .map(|l| {
                let name = match l["record_type"].as_str().unwrap() {
                    "autostart" => l["entry"]["name"].clone(),
                    _ => l["name"].clone(),
                };
                (
                    l["host"]
                        .as_str()
                        .expect("every line has its host")
                        .to_string(),
                    l["record_type"].as_str().unwrap().to_string(),
                    name.as_str().unwrap().to_string(),
                )
            })
            .collect();
        let csv = run("csv");
        let mut rows = csv.lines();
        assert!(rows
            .next()
            .unwrap()
            .starts_with("\"host\",\"record_type\",\"severity\",\"name\","));
        let mut from_csv: Vec<(String, String, String)> = rows
            .map(|r| {
                let cells: Vec<&str> = r.split("\",\"").collect();
                (
                    cells[0].trim_start_matches('"').to_string(),
                    cells[1].to_string(),
                    cells[3].replace("\"\"", "\""),
                )
            })
            .collect();
        from_jsonl.sort();
        from_csv.sort();
        assert_eq!(from_jsonl, from_csv, "--all: {all}");
        if all {
            // The JSON document holds every entity: with --all, the same rows.
            let doc: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
            let mut from_json: Vec<(String, String, String)> = Vec::new();
            for host in doc["hosts"].as_array().unwrap() {
                let label = host["host"]["label"].as_str().unwrap();
                for (kind, list) in [
                    ("service", "services"),
                    ("autostart", "autostarts"),
                    ("task", "tasks"),
                ] {
                    for item in host[list].as_array().unwrap() {
                        let name = if kind == "autostart" {
                            &item["entry"]["name"]
                        } else {
                            &item["name"]
                        };
                        from_json.push((label.into(), kind.into(), name.as_str().unwrap().into()));
                    }
                }
            }
            from_json.sort();
            assert_eq!(from_json, from_csv);
        }
        // Loose files are one host, named by its logs' `Computer` field.
        assert!(from_csv
            .iter()
            .all(|(host, _, _)| host == "DESKTOP-TMKU40H"));
        let count = |kind: &str| from_csv.iter().filter(|(_, k, _)| k == kind).count();
        assert!(count("service") > 0 && count("autostart") > 0 && count("task") > 0);
        let table = run("table");
        for (section, kind) in [
            ("Services", "service"),
            ("Autostart entries", "autostart"),
            ("Scheduled tasks", "task"),
        ] {
            assert!(
                table.contains(&format!("\n{section} ({} shown of ", count(kind))),
                "--all: {all}: {section}: {} rows elsewhere",
                count(kind)
            );
        }
    }
}

/// A mounted volume shows `$MFTMirr` beside `$MFT`; the mirror's FILE records are only the
/// first four of the $MFT, and read as a $MFT it would claim a volume's worth of coverage (and
/// list its four system files twice). Only `$MFT` is read (issue 18's "takes $MFTMirr for $MFT").
#[test]
fn the_mft_mirror_is_not_read_as_the_mft() {
    use konseki_forge::mft::{write_mft, MftFile};
    let when = "2026-01-05T08:00:29Z".parse().unwrap();
    let mft = write_mft(&[MftFile::new(r"C:\tmp\test.txt", when, b"x")]);
    let dir = common::temp_case("mft-mirror");
    std::fs::create_dir_all(dir.join("C")).unwrap();
    std::fs::write(dir.join("C/$MFT"), &mft).unwrap();
    std::fs::write(dir.join("C/$MFTMirr"), &mft[..4096]).unwrap();
    let report = common::scan(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let mfts: Vec<String> = report
        .inventory
        .found
        .iter()
        .filter(|a| a.kind == konseki_model::ArtifactKind::Mft)
        .map(|a| a.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(mfts, ["$MFT"]);
}

/// What konseki does not open (a ZIP, for now) is named with how to read it, never passed
/// over as "no evidence" in silence; an image's data volume beside readable evidence is named
/// in a warning of the report (listed, not read: it is not a system volume).
#[test]
fn containers_not_read_are_named_with_how_to_read_them() {
    let (Some(e01), Some(logs)) = (
        corpus("images/test.ntfs.dd.E01"),
        corpus("evtx/BelkasoftCTF_InsiderThreat"),
    ) else {
        return;
    };
    let case = common::temp_case("zip-named");
    let zip = case.join("Collection-WS01.zip");
    std::fs::write(&zip, b"PK\x03\x04 a local file header, and nothing else").unwrap();
    let alone = konseki(&["scan".as_ref(), zip.as_os_str(), "-q".as_ref()]);
    assert_eq!(alone.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&alone.stderr);
    assert!(stderr.contains("a ZIP archive"), "{stderr}");
    let beside = konseki(&[
        "scan".as_ref(),
        e01.as_os_str(),
        logs.as_os_str(),
        "-q".as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    assert!(beside.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&beside.stdout).unwrap();
    let warnings = format!("{} {}", doc["warnings"], doc["hosts"][0]["warnings"]);
    assert!(
        warnings.contains("test.ntfs.dd.E01/volume")
            && warnings
                .contains("NTFS volume of 10485760 bytes at offset 0 holds no Windows folder"),
        "{warnings}"
    );
    std::fs::remove_dir_all(&case).ok();
}
