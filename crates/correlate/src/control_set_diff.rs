//! Differences between control sets: services added, removed, or changed between the set in use
//! and the others (e.g. LastKnownGood). An attacker's change may live in one set only.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use konseki_model::{ControlSetDiff, Provenance, ServiceConfig};

/// Compares every control set of each hive with its first (lowest-numbered) set.
pub fn control_set_diffs(services: &[ServiceConfig]) -> Vec<ControlSetDiff> {
    // hive file → control set → service name (lower case) → config
    let mut by_hive: BTreeMap<Arc<Path>, BTreeMap<&str, BTreeMap<String, &ServiceConfig>>> =
        BTreeMap::new();
    for s in services {
        let Provenance::RegistryKey { file, .. } = &s.source else {
            continue;
        };
        by_hive
            .entry(file.clone())
            .or_default()
            .entry(s.control_set.as_str())
            .or_default()
            .insert(s.name.to_ascii_lowercase(), s);
    }
    let mut diffs = Vec::new();
    for sets in by_hive.values() {
        let mut iter = sets.iter();
        let Some((base_name, base)) = iter.next() else {
            continue;
        };
        for (other_name, other) in iter {
            for (key, a) in base {
                match other.get(key) {
                    None => diffs.push(diff(&a.name, base_name, other_name, "removed", Vec::new())),
                    Some(b) => {
                        let details = changes(a, b);
                        if !details.is_empty() {
                            diffs.push(diff(&a.name, base_name, other_name, "changed", details));
                        }
                    }
                }
            }
            for (key, b) in other {
                if !base.contains_key(key) {
                    diffs.push(diff(&b.name, base_name, other_name, "added", Vec::new()));
                }
            }
        }
    }
    diffs
}

fn diff(service: &str, from: &str, to: &str, change: &str, details: Vec<String>) -> ControlSetDiff {
    ControlSetDiff {
        service: service.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        change: change.to_string(),
        details,
    }
}

fn changes(a: &ServiceConfig, b: &ServiceConfig) -> Vec<String> {
    let mut out = Vec::new();
    let mut cmp = |name: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{name}: {x} → {y}"));
        }
    };
    let image = |c: &ServiceConfig| {
        c.image_path
            .as_ref()
            .map(|i| i.raw.clone())
            .unwrap_or_default()
    };
    cmp("ImagePath", image(a), image(b));
    cmp(
        "Start",
        a.start.map(|s| s.label()).unwrap_or_default(),
        b.start.map(|s| s.label()).unwrap_or_default(),
    );
    cmp(
        "Type",
        format!("{:?}", a.service_type),
        format!("{:?}", b.service_type),
    );
    cmp(
        "ServiceDll",
        a.service_dll.clone().unwrap_or_default(),
        b.service_dll.clone().unwrap_or_default(),
    );
    cmp(
        "ObjectName",
        a.object_name.clone().unwrap_or_default(),
        b.object_name.clone().unwrap_or_default(),
    );
    cmp(
        "FailureActions",
        format!("{:?}", a.failure_actions),
        format!("{:?}", b.failure_actions),
    );
    cmp(
        "FailureCommand",
        a.failure_command.clone().unwrap_or_default(),
        b.failure_command.clone().unwrap_or_default(),
    );
    out
}
