//! The corpus `.job` (plaso's `wintask.job`, a Google Update task written by Windows 7),
//! against the values MANIFEST.md records and a byte-by-byte look at the file.

use konseki_job::{parse, read_job};
use konseki_testutil::corpus;

#[test]
fn google_update_job_is_read_field_for_field() {
    let Some(path) = corpus("tasks/legacy/wintask.job") else {
        return;
    };
    let job = read_job(&path).unwrap();
    assert_eq!(job.product_version, 0x0601);
    assert_eq!(
        job.application,
        r"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe"
    );
    assert_eq!(job.parameters, "/ua /installsource scheduler");
    assert_eq!(job.working_directory, "");
    assert_eq!(job.author, "Brian");
    assert!(job
        .comment
        .starts_with("Keeps your Google software up to date."));
    assert_eq!(
        job.last_run_local.as_deref(),
        Some("2013-08-24T12:42:00.112")
    );
    assert_eq!(job.status, 0x41300, "SCHED_S_TASK_READY");
    assert!(job.enabled() && !job.hidden());
    assert_eq!(
        job.triggers,
        ["daily, every 1 day(s), from 2013-07-12 15:42 (local time), repeat every 60 min for 1440 min"]
    );
    assert_eq!(job.uuid, "{0df2cfeb-5293-41e9-a45e-733720c2e1fa}");
}

#[test]
fn every_cut_and_overwrite_of_the_job_fails_cleanly() {
    let Some(path) = corpus("tasks/legacy/wintask.job") else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    for len in 0..bytes.len() {
        let _ = parse(&bytes[..len]);
    }
    for at in 0..bytes.len() {
        for value in [0x00, 0xff, 0x7f] {
            let mut b = bytes.clone();
            b[at] = value;
            let _ = parse(&b);
        }
    }
}
