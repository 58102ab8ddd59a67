//! The JSON document's schema: `docs/schema.json` is generated from the model types, must be
//! current (regenerate with
//! `KONSEKI_BLESS=1 cargo test -p konseki --test schema -- --exact committed_schema_is_current`), and a real scan's JSON
//! must validate against the committed file.

mod common;

use std::path::PathBuf;

use common::{corpus, scan_case};
use konseki_model::CaseReport;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema.json")
}

fn generated() -> String {
    let schema = schemars::schema_for!(CaseReport);
    serde_json::to_string_pretty(&schema).unwrap() + "\n"
}

#[test]
fn committed_schema_is_current() {
    let path = committed_path();
    if std::env::var_os("KONSEKI_BLESS").is_some() {
        std::fs::write(&path, generated()).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated(),
        "docs/schema.json is out of date with the model: run `KONSEKI_BLESS=1 cargo test -p konseki --test schema -- --exact committed_schema_is_current` and commit it"
    );
}

#[test]
fn scan_json_validates_against_the_committed_schema() {
    let (Some(log), Some(hive)) = (
        corpus("evtx/ID7000,7009,7045-Payload deployed via service - Tchopper.evtx"),
        corpus("hives/SYSTEM_2"),
    ) else {
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed_path()).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let case = scan_case(&[log, hive]);
    // Two machines: the log's FS03 and the hive's SENSEI, each a host.
    assert_eq!(case.hosts.len(), 2);
    let sensei = &case.hosts[1];
    assert_eq!(sensei.host.label, "SENSEI");
    assert!(sensei.services.len() > 400 && !sensei.warnings.is_empty());
    let document = serde_json::to_value(&case).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator is not vacuous: a document missing a required field fails.
    let mut broken = document.clone();
    broken["hosts"][1]
        .as_object_mut()
        .unwrap()
        .remove("services");
    assert!(!validator.is_valid(&broken));
}

/// konseki writes its JSON with its own serialiser, in chunks on several threads: on a real
/// report (services of thousands of events, cut into parts; tasks; warnings of corrupt logs),
/// the document and the JSONL lines are byte for byte what serde_json writes of the report.
#[test]
fn json_and_jsonl_are_what_serde_json_writes() {
    let (Some(logs), Some(hive)) = (corpus("evtx"), corpus("hives/SYSTEM_2")) else {
        return;
    };
    let case = scan_case(&[logs, hive]);
    assert!(
        case.hosts.len() > 10,
        "the corpus's logs record many machines"
    );
    let all = |f: fn(&konseki_model::HostReport) -> usize| case.hosts.iter().map(f).sum::<usize>();
    let largest = case
        .hosts
        .iter()
        .flat_map(|h| &h.services)
        .map(|s| s.events.len())
        .max();
    assert!(largest > Some(1000));
    assert!(all(|h| h.tasks.len()) > 0 && all(|h| h.warnings.len()) > 0);
    let render = |format| {
        let mut out = Vec::new();
        konseki_render::render(&case, format, konseki_render::Selection::All, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };

    let expected = serde_json::to_string(&case).unwrap() + "\n";
    let document = render(konseki_render::Format::Json);
    assert!(
        document == expected,
        "the JSON document differs from serde_json's"
    );

    // A line is the item's object with `record_type` and `host` first; host by host.
    let line = |record_type: &str, host: &str, item: String| {
        let host = serde_json::to_string(host).unwrap();
        format!(
            "{{\"record_type\":\"{record_type}\",\"host\":{host},{}\n",
            &item[1..]
        )
    };
    fn json<T: serde::Serialize>(item: &T) -> String {
        serde_json::to_string(item).unwrap()
    }
    let mut expected = String::new();
    for report in &case.hosts {
        let host = report.host.label.as_str();
        for s in &report.services {
            expected += &line("service", host, json(s));
        }
        for a in &report.autostarts {
            expected += &line("autostart", host, json(a));
        }
        for t in &report.tasks {
            expected += &line("task", host, json(t));
        }
        for w in &report.warnings {
            expected += &line("warning", host, json(w));
        }
    }
    for w in &case.warnings {
        let item = serde_json::to_string(w).unwrap();
        expected += &format!("{{\"record_type\":\"warning\",{}\n", &item[1..]);
    }
    assert!(
        render(konseki_render::Format::Jsonl) == expected,
        "the JSONL lines differ from serde_json's"
    );
}
