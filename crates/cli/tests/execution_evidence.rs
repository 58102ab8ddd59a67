//! Execution evidence beside the SCM events, on the APTSimulator VM (System log + Prefetch):
//! the PsExec service has seven installs and no SCM start at all, and PSEXESVC.EXE's Prefetch
//! file holds seven run times, each just after one install.

mod common;

use common::{corpus, scan, service};
use konseki_model::{Execution, Provenance};

#[test]
fn psexec_installs_are_each_matched_to_a_prefetch_run() {
    let (Some(log), Some(prefetch)) = (
        corpus("evtx/APTSimulatorVM-Win10/System.evtx"),
        corpus("prefetch/APTSimulatorVM-Win10"),
    ) else {
        return;
    };
    let report = scan(&[log, prefetch]);
    let psexec = service(&report, "PsExec");
    assert!(psexec.runs.is_empty(), "no SCM event shows a run");
    assert_eq!(psexec.verdict.execution, Execution::Executed);
    assert_eq!(
        psexec.verdict.summary,
        "executed (Prefetch: 7 run time(s)), run length unknown, residency unknown"
    );
    let prefetch_items: Vec<_> = psexec
        .verdict
        .evidence
        .iter()
        .filter(|e| matches!(&e.source, Provenance::File { file } if file.ends_with("PSEXESVC.EXE-AD70946C.pf")))
        .collect();
    assert_eq!(prefetch_items.len(), 7);
    // Each run time follows a different install (records 457-462, 469) by at most 0.02 s.
    let mut installs = Vec::new();
    for item in &prefetch_items {
        let (_, after) = item.summary.split_once(", ").unwrap();
        let seconds: f64 = after.split(' ').next().unwrap().parse().unwrap();
        assert!(seconds <= 0.02, "{}", item.summary);
        let record = item
            .summary
            .rsplit("record ")
            .next()
            .unwrap()
            .trim_end_matches(')');
        installs.push(record.to_string());
    }
    installs.sort();
    assert_eq!(installs, ["457", "458", "459", "460", "461", "462", "469"]);

    // Without the Prefetch files the same service has no evidence of execution: the verdict
    // comes from the artifact, not from the install.
    let log_only = scan(&[corpus("evtx/APTSimulatorVM-Win10/System.evtx").unwrap()]);
    assert_eq!(
        service(&log_only, "PsExec").verdict.execution,
        Execution::NoEvidence
    );
}
