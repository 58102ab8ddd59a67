//! Writes one large Security log for benchmarks, `big_evtx N OUT`: N records, one in four a
//! 4688 process creation with Windows 10's fields (which konseki keeps), the rest 4624 logons
//! (which it only counts),
//! as on a busy server whose single Security.evtx runs to gigabytes.
use konseki_forge::evtx::{write_evtx, EvtxEvent};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: big_evtx N OUT");
    let out = args.next().expect("usage: big_evtx N OUT");
    let start: jiff::Timestamp = "2026-01-05T08:00:00Z".parse().unwrap();
    let events: Vec<EvtxEvent> = (0..n)
        .map(|i| {
            let time = start + jiff::SignedDuration::from_millis(i as i64 * 250);
            let security = |id| {
                EvtxEvent::new(
                    "Microsoft-Windows-Security-Auditing",
                    "Security",
                    id,
                    time,
                    "DC01",
                )
            };
            if i % 4 == 0 {
                // The fifteen fields of a Windows 10 4688 (version 2), in their order.
                security(4688)
                    .data("SubjectUserSid", "S-1-5-18")
                    .data("SubjectUserName", "DC01$")
                    .data("SubjectDomainName", "CORP")
                    .data("SubjectLogonId", "0x3e7")
                    .data("NewProcessId", &format!("0x{:x}", 4000 + i % 60000))
                    .data("NewProcessName", "C:\\Windows\\System32\\svchost.exe")
                    .data("TokenElevationType", "%%1936")
                    .data("ProcessId", "0x2a4")
                    .data(
                        "CommandLine",
                        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
                    )
                    .data("TargetUserSid", "S-1-0-0")
                    .data("TargetUserName", "-")
                    .data("TargetDomainName", "-")
                    .data("TargetLogonId", "0x0")
                    .data("ParentProcessName", "C:\\Windows\\System32\\services.exe")
                    .data("MandatoryLabel", "S-1-16-16384")
            } else {
                security(4624)
                    .data("SubjectUserSid", "S-1-5-18")
                    .data("TargetUserName", &format!("user{}", i % 500))
                    .data("LogonType", "3")
                    .data("IpAddress", "10.0.0.7")
            }
        })
        .collect();
    std::fs::write(out, write_evtx(&events, 1)).unwrap();
}
