//! Ranked findings: the reference case planted beside a real machine's 467 services comes
//! first; stock services stay `info`.

mod common;

use common::{corpus, scan_case, temp_case};
use konseki_forge::scenario::Scenario;
use konseki_model::{Flag, Severity};

/// The reference case as an attacker would plant it: a plain EXE (no service imports) in
/// `C:\ProgramData`, an auto-start service with restart FailureActions, installed within the
/// logs, timed out at boot. Written as a scenario with the real machine's name.
const PLANTED: &str = r#"
name = "planted"
summary = "the reference case planted on a real machine"
host = "WKS-WIN732BITA"
boot = "2026-01-05T08:00:00Z"

[[services]]
name = "updsvc"
display_name = "Update Service"
type = 0x10
start = 2
image_path = 'C:\ProgramData\updsvc.exe'
object_name = "LocalSystem"
key_written = 5.0
failure_actions = { reset_s = 86400, actions = [["restart", 60000], ["restart", 60000], ["restart", 60000]] }

[[events]]
t = 5.0
id = 7045
data = [["ServiceName", "Update Service"], ["ImagePath", 'C:\ProgramData\updsvc.exe'], ["ServiceType", "user mode service"], ["StartType", "auto start"], ["AccountName", "LocalSystem"]]

[[events]]
t = 40.0
id = 7009
binary = "updsvc"
data = [["param1", "30000"], ["param2", "Update Service"]]

[[events]]
t = 40.0
id = 7000
binary = "updsvc"
data = [["param1", "Update Service"], ["param2", "%%1053"]]

[[programs]]
path = 'C:\ProgramData\updsvc.exe'
imports = ["KERNEL32.dll!CreateFileW", "KERNEL32.dll!WriteFile"]
"#;

/// The planted case in the real SYSTEM hive (467 services of a Windows 7 workstation), with
/// its logs and program in one host's collection: the planted service is the first finding, critical, with its reasons; every stock service is `info`, except those a real
/// flag justifies (none on this hive: `msiserver`'s `msiexec.exe /V` is Windows Installer's
/// service mode, not a plain program); F-Response's service is labelled a responder tool.
#[test]
fn the_planted_reference_case_is_the_first_finding() {
    let Some(real) = corpus("hives/SYSTEM") else {
        return;
    };
    let case = temp_case("planted");
    let host = case.join("WKS");
    let scenario = Scenario::parse(PLANTED).unwrap();
    scenario.write_tree(&host).unwrap();
    // The scenario's service planted into the real hive, which replaces the forged one.
    std::fs::write(
        host.join("C/Windows/System32/config/SYSTEM"),
        scenario.system_hive_planted_into(&real).unwrap(),
    )
    .unwrap();

    let report = scan_case(std::slice::from_ref(&case));
    assert_eq!(report.hosts.len(), 1);
    let h = &report.hosts[0];
    // The machine's 467 services of its current set and 466 of the other, and the planted one.
    assert_eq!(h.host.name.as_deref(), Some("WKS-WIN732BITA"));
    let current: Vec<&str> = h
        .services
        .iter()
        .filter(|s| s.configs.iter().any(|c| c.control_set == "ControlSet001"))
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(current.len(), 468);
    assert!(current.contains(&"updsvc"));
    let mut ranked: Vec<_> = h.services.iter().collect();
    ranked.sort_by_key(|s| std::cmp::Reverse(s.ranking.severity));
    let first = ranked[0];
    assert_eq!(first.name, "updsvc");
    assert_eq!(first.ranking.severity, Severity::Critical);
    let rules: Vec<&str> = first
        .ranking
        .severity_reasons
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    for rule in [
        "ran_from_user_writable_place",
        "plain_program_ran_as_service",
        "installed_within_logs",
        "recovery_restarts",
    ] {
        assert!(rules.contains(&rule), "{rule}: {rules:?}");
    }
    assert!(first
        .ranking
        .severity_reasons
        .iter()
        .all(|r| r.attack.starts_with('T')));
    assert!(first
        .attention
        .iter()
        .any(|a| a.id == Flag::PlainProgramAsService));
    // Every other service is stock and `info`.
    let above_info: Vec<&str> = h
        .services
        .iter()
        .filter(|s| s.name != "updsvc" && s.ranking.severity > Severity::Info)
        .map(|s| s.name.as_str())
        .collect();
    assert!(above_info.is_empty(), "{above_info:?}");
    let msiserver = h.services.iter().find(|s| s.name == "msiserver").unwrap();
    assert!(msiserver.attention.is_empty());
    let fresponse = h
        .services
        .iter()
        .find(|s| s.name == "FResponse Service")
        .unwrap();
    assert!(fresponse
        .ranking
        .responder_tool
        .as_deref()
        .is_some_and(|t| t.starts_with("F-Response")));
    assert_eq!(fresponse.ranking.severity, Severity::Info);

    // `--min-severity` keeps the same rows in every format: here the planted service alone.
    for format in ["csv", "jsonl", "json"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_konseki"))
            .args([
                "scan",
                "-q",
                "--all",
                "--min-severity",
                "high",
                "-f",
                format,
            ])
            .arg(&case)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let rows: Vec<&str> = match format {
            "csv" => text.lines().skip(1).collect(),
            "jsonl" => text
                .lines()
                .filter(|l| !l.contains("\"record_type\":\"warning\""))
                .collect(),
            _ => {
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(doc["hosts"][0]["services"].as_array().unwrap().len(), 1);
                assert_eq!(doc["hosts"][0]["services"][0]["severity"], "critical");
                continue;
            }
        };
        assert_eq!(rows.len(), 1, "{format}: {rows:?}");
        assert!(rows[0].contains("updsvc") && rows[0].contains("critical"));
    }
    std::fs::remove_dir_all(&case).ok();
}

/// Severities are coloured on a terminal only, never when `NO_COLOR` is set, never in a pipe.
/// The terminal is a pseudo-terminal from util-linux `script` (part of every Debian system).
#[test]
fn severities_are_coloured_on_a_terminal_only() {
    let case = temp_case("colour");
    Scenario::builtin("service-timeout")
        .unwrap()
        .write_tree(&case)
        .unwrap();
    let bin = env!("CARGO_BIN_EXE_konseki");
    let command = format!("{bin} scan -q '{}'", case.display());
    let on_terminal = |no_colour: Option<&str>| {
        let mut script = std::process::Command::new("script");
        script.args(["-qec", &command, "/dev/null"]);
        script.env_remove("NO_COLOR");
        if let Some(value) = no_colour {
            script.env("NO_COLOR", value);
        }
        script.output()
    };
    let Ok(coloured) = on_terminal(None) else {
        eprintln!("skipped: no `script` to make a pseudo-terminal");
        return;
    };
    let coloured = String::from_utf8_lossy(&coloured.stdout).into_owned();
    assert!(
        coloured.contains("\u{1b}[38;5;9m\u{1b}[1m CRITICAL"),
        "{coloured}"
    );
    let plain = on_terminal(Some("1")).unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
    let piped = std::process::Command::new(bin)
        .args(["scan", "-q"])
        .arg(&case)
        .output()
        .unwrap();
    let piped = String::from_utf8(piped.stdout).unwrap();
    assert!(piped.contains(" CRITICAL ") && !piped.contains('\u{1b}'));
    std::fs::remove_dir_all(&case).ok();
}

/// A stock service's program replaced (Windows Update's `wuauserv` made to run a program in
/// `C:\ProgramData`) in the real SYSTEM hive: flagged against the baseline and ranked high;
/// the machine's untouched stock services are labelled stock with the versions that have
/// them so.
#[test]
fn a_stock_service_with_another_program_is_flagged() {
    let Some(real) = corpus("hives/SYSTEM") else {
        return;
    };
    let hijack = PLANTED
        .replace("name = \"updsvc\"", "name = \"wuauserv\"")
        .replace("binary = \"updsvc\"", "binary = \"wuauserv\"");
    let scenario = Scenario::parse(&hijack).unwrap();
    let case = temp_case("stock-hijack");
    let config = case.join("C/Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("SYSTEM"),
        scenario.system_hive_planted_into(&real).unwrap(),
    )
    .unwrap();
    let report = scan_case(std::slice::from_ref(&case));
    let h = &report.hosts[0];
    let service = |name: &str| h.services.iter().find(|s| s.name == name).unwrap();
    let wuauserv = service("wuauserv");
    assert!(
        wuauserv
            .attention
            .iter()
            .any(|a| a.id == Flag::StockServiceProgramChanged),
        "{:?}",
        wuauserv.attention
    );
    assert_eq!(wuauserv.ranking.severity, Severity::High);
    assert!(wuauserv
        .ranking
        .severity_reasons
        .iter()
        .any(|r| r.rule == "stock_service_program_changed" && r.attack == "T1574.011"));
    assert!(wuauserv.ranking.stock_in.is_empty());
    // An untouched stock service: labelled, not flagged.
    let bits = service("BITS");
    assert!(!bits.ranking.stock_in.is_empty(), "{:?}", bits.ranking);
    assert_eq!(bits.ranking.severity, Severity::Info);
    std::fs::remove_dir_all(&case).ok();
}
