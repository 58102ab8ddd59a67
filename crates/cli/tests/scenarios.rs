//! Every built-in scenario, forged as real-format evidence and scanned: konseki's verdicts equal
//! the expectations written next to the scenario. Changing a fact changes the verdict.

mod common;

use std::path::PathBuf;

use common::{scan, service};
use konseki_forge::scenario::{Scenario, BUILTIN};
use konseki_model::HostReport;

fn scan_scenario(scenario: &Scenario, tag: &str) -> HostReport {
    let dir = std::env::temp_dir().join(format!(
        "konseki-scenario-{}-{tag}-{}",
        scenario.name,
        std::process::id()
    ));
    scenario.write_tree(&dir).unwrap();
    let report = scan(&[PathBuf::from(&dir)]);
    std::fs::remove_dir_all(&dir).ok();
    report
}

fn label<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn builtin_scenarios_reach_their_stated_verdicts() {
    for (name, text) in BUILTIN {
        let scenario = Scenario::parse(text).unwrap();
        let report = scan_scenario(&scenario, "as-shipped");
        assert!(report.warnings.is_empty(), "{name}: {:?}", report.warnings);
        for want in &scenario.expect {
            let got = service(&report, &want.service);
            let context = format!("{name}/{}: {}", want.service, got.verdict.summary);
            assert_eq!(label(got.verdict.execution), want.execution, "{context}");
            assert_eq!(label(got.verdict.residency), want.residency, "{context}");
            if let Some(runs) = want.runs {
                assert_eq!(got.runs.len(), runs, "{context}");
            }
            if let Some(ms) = want.longest_run_ms {
                assert_eq!(got.verdict.longest_run_ms, Some(ms), "{context}");
            }
            let flags: Vec<&str> = got.attention.iter().map(|a| a.id.as_str()).collect();
            for flag in &want.attention {
                assert!(
                    flags.contains(&flag.as_str()),
                    "{context}: missing flag {flag} in {flags:?}"
                );
            }
            for file in &want.files_in_window {
                let found = got.runs.iter().flat_map(|r| &r.activity).any(|a| {
                    a.summary
                        .to_lowercase()
                        .starts_with(&format!("{} ", file.to_lowercase()))
                });
                assert!(found, "{context}: {file} not reported inside a run window");
            }
            // Recovery configured is context; a restart is claimed only from events.
            if want.residency != "semi_resident" {
                assert!(
                    !got.verdict.summary.contains("restarted"),
                    "{context}: restart claimed without evidence"
                );
            }
            if let Some(kind) = &want.program {
                let kinds: Vec<String> = got.programs.iter().map(|p| label(p.kind)).collect();
                assert!(
                    kinds.contains(kind),
                    "{context}: program {kind} not in {kinds:?}"
                );
            }
            for flag in &want.no_attention {
                assert!(
                    !flags.contains(&flag.as_str()),
                    "{context}: unexpected flag {flag}"
                );
            }
        }
    }
}

#[test]
fn the_verdict_is_derived_from_the_evidence_not_fixed() {
    let mut scenario = Scenario::builtin("service-timeout").unwrap();
    // The SCM gave up 45 s after boot with a 30 s timeout: the program started at least 15 s
    // after boot, so it ran at most 30 s.
    for event in scenario.events.iter_mut() {
        event.t = 45.0;
    }
    let report = scan_scenario(&scenario, "later-timeout");
    assert_eq!(
        service(&report, "test").verdict.longest_run_ms,
        Some(30_000)
    );
    // With a 60 s timeout in force, the boot is the tighter bound: at most 45 s.
    scenario.events[0].data[0].1 = "60000".into();
    let report = scan_scenario(&scenario, "longer-timeout");
    let test = service(&report, "test");
    assert_eq!(test.verdict.longest_run_ms, Some(45_000));
    assert!(test.attention.iter().any(|a| a.id == "raised_pipe_timeout"));
    // The file written after the SCM gave up is not inside the run window.
    let mut late_file = Scenario::builtin("service-timeout").unwrap();
    for file in late_file.files.iter_mut() {
        file.created += 2.0; // test.txt at +31 s, after the 7009 at +30 s
    }
    let report = scan_scenario(&late_file, "late-file");
    let test = service(&report, "test");
    assert!(
        test.runs[0].activity.is_empty(),
        "{:?}",
        test.runs[0].activity
    );
    assert_eq!(label(test.verdict.execution), "executed");
    // Without the 7009/7000 there is no evidence the program ran.
    scenario.events.clear();
    let report = scan_scenario(&scenario, "no-events");
    let test = service(&report, "test");
    assert_eq!(label(test.verdict.execution), "no_evidence");
    assert!(test
        .verdict
        .summary
        .starts_with("no evidence of execution in System logs 2026-01-05T08:00:00Z"));
}

#[test]
fn a_child_that_exits_before_the_timeout_is_not_a_survivor() {
    let mut scenario = Scenario::builtin("child-before-timeout").unwrap();
    let survived = scan_scenario(&scenario, "child-runs-on");
    assert!(service(&survived, "test")
        .attention
        .iter()
        .any(|a| a.id == "child_outlived_service"));
    // Sysmon 5 (process terminated) for the child at +10 s, inside the window.
    let mut exit = scenario.events.iter().find(|e| e.id == 1).unwrap().clone();
    exit.id = 5;
    exit.t = 10.0;
    exit.data.retain(|(name, _)| {
        ["UtcTime", "ProcessGuid", "ProcessId", "Image"].contains(&name.as_str())
    });
    scenario.events.push(exit);
    let exited = scan_scenario(&scenario, "child-exits");
    let test = service(&exited, "test");
    assert!(
        !test
            .attention
            .iter()
            .any(|a| a.id == "child_outlived_service"),
        "{:?}",
        test.attention
    );
    assert!(test.runs[0]
        .activity
        .iter()
        .any(|a| a.summary.contains("started by the service program")));
}

/// The same case laid out as a Velociraptor collection (`uploads/auto/C%3A/…`) with names in
/// another case: the hive, the logs, the $MFT and the program file are all found.
#[test]
fn velociraptor_layout_and_other_case_read_the_same() {
    let scenario = Scenario::builtin("service-timeout").unwrap();
    let dir = std::env::temp_dir().join(format!("konseki-velociraptor-{}", std::process::id()));
    let kape = dir.join("kape");
    scenario.write_tree(&kape).unwrap();
    let uploads = dir.join("collection/uploads/auto");
    std::fs::create_dir_all(&uploads).unwrap();
    std::fs::rename(kape.join("C"), uploads.join("C%3A")).unwrap();
    std::fs::rename(uploads.join("C%3A/tmp"), uploads.join("C%3A/TMP")).unwrap();
    let report = scan(&[dir.join("collection")]);
    std::fs::remove_dir_all(&dir).ok();
    let got = service(&report, "test");
    assert_eq!(got.verdict.summary, "executed, ran ≤ 30 s, not resident");
    let program = got.programs.first().expect("program file found");
    assert!(
        program.file.ends_with("C%3A/TMP/TestWriteFile.exe"),
        "{:?}",
        program.file
    );
    assert_eq!(label(program.kind), "plain_program");
    let flags: Vec<&str> = got.attention.iter().map(|a| a.id.as_str()).collect();
    assert!(flags.contains(&"plain_program_as_service"), "{flags:?}");
    // The $MFT's drive comes from the `C%3A` directory: the file is still C:\tmp\test.txt.
    let inside = got.runs.iter().flat_map(|r| &r.activity);
    assert!(inside
        .into_iter()
        .any(|a| a.summary.starts_with("C:\\tmp\\test.txt ")));
}
