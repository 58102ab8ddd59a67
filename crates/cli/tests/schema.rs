//! The JSON document's schema: `docs/schema.json` is generated from the model types, must be
//! current (regenerate with
//! `KONSEKI_BLESS=1 cargo test -p konseki --test schema -- --exact committed_schema_is_current`), and a real scan's JSON
//! must validate against the committed file.

mod common;

use std::path::PathBuf;

use common::{corpus, scan};
use konseki_model::ScanReport;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema.json")
}

fn generated() -> String {
    let schema = schemars::schema_for!(ScanReport);
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
    let report = scan(&[log, hive]);
    assert!(report.services.len() > 400 && !report.warnings.is_empty());
    let document = serde_json::to_value(&report).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator is not vacuous: a document missing a required field fails.
    let mut broken = document.clone();
    broken.as_object_mut().unwrap().remove("services");
    assert!(!validator.is_valid(&broken));
}
