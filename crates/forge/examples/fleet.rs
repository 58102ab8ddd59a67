//! Writes a fleet of N forged hosts for `bench/fleet.sh` and stacking: KAPE-style trees
//! `DIR/<HOST>/C/…`, each a built-in scenario under a host name of its own (workstations,
//! laptops, servers), with the vendor services of a few product lines, and a service planted on
//! every 250th host (the reference case's plain EXE) as the anomalies to find.
//!
//! `cargo run --release -p konseki-forge --example fleet -- --hosts N DIR`

use konseki_forge::scenario::Scenario;

const ROLES: [&str; 5] = ["WS", "LT", "SRV", "FS", "DC"];
const VENDORS: [&str; 4] = ["vendorsvc", "backupagent", "edrsensor", "printhelper"];

fn main() {
    let (mut n, mut dir) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--hosts" {
            n = args.next().and_then(|n| n.parse::<usize>().ok());
        } else {
            dir = Some(arg);
        }
    }
    let (Some(n), Some(dir)) = (n, dir) else {
        eprintln!("usage: fleet --hosts N DIR");
        std::process::exit(2);
    };
    let planted = Scenario::builtin("service-timeout").expect("built-in scenario");
    for i in 0..n {
        let mut host = Scenario::builtin("benign-service").expect("built-in scenario");
        host.host = format!("{}-{:04}", ROLES[i % ROLES.len()], i + 1);
        // Each host runs one product line's service: common names, stacked in the thousands.
        let vendor = VENDORS[i % VENDORS.len()];
        for s in &mut host.services {
            s.name = vendor.to_string();
        }
        for e in &mut host.events {
            if let Some(binary) = &mut e.binary {
                *binary = vendor.to_string();
            }
        }
        if i % 250 == 249 {
            host.services.extend(planted.services.iter().cloned());
            host.events.extend(planted.events.iter().cloned());
            host.programs.extend(planted.programs.iter().cloned());
        }
        host.write_tree(&std::path::Path::new(&dir).join(&host.host))
            .expect("write the host's tree");
    }
}
