//! `konseki stack`: least-frequency analysis across hosts.

mod common;

use common::{konseki, temp_case};
use konseki_forge::scenario::Scenario;

/// Fifty forged hosts with the same vendor service, one of them with the reference case's
/// plain EXE planted as a service too: the planted service is the first row, held by one host
/// of fifty, ranked critical. The same stack is made from a saved JSON report of the case.
#[test]
fn the_one_planted_service_among_fifty_hosts_stacks_first() {
    let case = temp_case("stack-fifty");
    let planted = Scenario::builtin("service-timeout").unwrap();
    for n in 1..=50 {
        let mut host = Scenario::builtin("benign-service").unwrap();
        host.host = format!("WS{n:02}");
        if n == 37 {
            host.services.extend(planted.services.iter().cloned());
            host.events.extend(planted.events.iter().cloned());
            host.programs.extend(planted.programs.iter().cloned());
        }
        host.write_tree(&case.join(format!("WS{n:02}"))).unwrap();
    }
    let csv = konseki(&[
        "stack".as_ref(),
        "-q".as_ref(),
        "-f".as_ref(),
        "csv".as_ref(),
        case.as_os_str(),
    ]);
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let text = String::from_utf8(csv.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "\"host_count\",\"of_hosts\",\"kind\",\"location\",\"name\",\"program\",\"severity\",\"hosts\""
    );
    assert_eq!(
        rows[1],
        "\"1\",\"50\",\"service\",\"\",\"test\",\"c:\\tmp\\testwritefile.exe\",\"critical\",\"WS37\""
    );
    // The vendor service, on every host, is last.
    assert!(rows
        .last()
        .unwrap()
        .starts_with("\"50\",\"50\",\"service\",\"\",\"vendorsvc\""));

    // From a saved report: the same rows.
    let saved = case.with_extension("json");
    let scan = konseki(&[
        "scan".as_ref(),
        "-q".as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        saved.as_os_str(),
        case.as_os_str(),
    ]);
    assert!(scan.status.success());
    let again = konseki(&[
        "stack".as_ref(),
        "-q".as_ref(),
        "-f".as_ref(),
        "csv".as_ref(),
        saved.as_os_str(),
    ]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
    std::fs::remove_file(&saved).ok();
    std::fs::remove_dir_all(&case).ok();
}
