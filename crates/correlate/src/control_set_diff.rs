//! Differences between control sets: services added, removed, or changed between the set in use
//! and the others (e.g. LastKnownGood). An attacker's change may live in one set only.
//!
//! Differences are worded by age. `Select\LastKnownGood` names the set saved at the last boot
//! accepted as good, and `Select\Current` the set in use, which holds every change made since
//! (`docs/windows-facts.md`, "Control sets"; Microsoft KB 102984): each other set is compared *from* it *to* the set in
//! use, so a service present in Current but not in LastKnownGood was **added** since that boot.
//! A hive whose `Select` names no current set is compared from its lowest-numbered set on.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use konseki_model::{ControlSet, ControlSetDiff, Provenance, ServiceConfig};

/// Compares, in each hive, every other control set with the one in use.
pub fn control_set_diffs(services: &[ServiceConfig], sets: &[ControlSet]) -> Vec<ControlSetDiff> {
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
    let current_of = |file: &Path| {
        sets.iter()
            .find(|c| {
                c.roles.iter().any(|r| r == "current")
                    && matches!(&c.source, Provenance::RegistryKey { file: f, .. } if **f == *file)
            })
            .map(|c| c.name.as_str())
    };
    let mut diffs = Vec::new();
    for (file, by_set) in &by_hive {
        let current = current_of(file);
        for (older_name, older) in by_set {
            if Some(*older_name) == current {
                continue;
            }
            // The set in use when `Select` names it, else each later set from the first.
            let newer: Vec<(&&str, &BTreeMap<String, &ServiceConfig>)> = match current {
                Some(current) => by_set.get_key_value(current).into_iter().collect(),
                None if by_set.keys().next() == Some(older_name) => by_set.iter().skip(1).collect(),
                None => Vec::new(),
            };
            for (newer_name, newer) in newer {
                compare(older_name, older, newer_name, newer, &mut diffs);
            }
        }
    }
    diffs
}

/// The differences from the `older` set to the `newer`.
fn compare(
    older_name: &str,
    older: &BTreeMap<String, &ServiceConfig>,
    newer_name: &str,
    newer: &BTreeMap<String, &ServiceConfig>,
    diffs: &mut Vec<ControlSetDiff>,
) {
    for (key, a) in older {
        match newer.get(key) {
            None => diffs.push(diff(&a.name, older_name, newer_name, "removed", Vec::new())),
            Some(b) => {
                let details = changes(a, b);
                if !details.is_empty() {
                    diffs.push(diff(&a.name, older_name, newer_name, "changed", details));
                }
            }
        }
    }
    for (key, b) in newer {
        if !older.contains_key(key) {
            diffs.push(diff(&b.name, older_name, newer_name, "added", Vec::new()));
        }
    }
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
