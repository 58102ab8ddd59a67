//! The case: every host's report, labelled uniquely, with a summary line per host first.

use std::collections::HashMap;
use std::path::PathBuf;

use konseki_model::{CaseReport, HostIdentity, HostReport, HostSummary, Warning};

use crate::report::SCHEMA_VERSION;

/// The case of `hosts` (each analysed on its own by [`crate::analyse`]), found under `roots`;
/// `warnings` are those about paths of no one host.
pub fn case_report(
    roots: Vec<PathBuf>,
    mut hosts: Vec<HostReport>,
    warnings: Vec<Warning>,
) -> CaseReport {
    let notes = unique_labels(hosts.iter_mut().map(|h| &mut h.host).collect());
    CaseReport {
        konseki_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: SCHEMA_VERSION,
        roots,
        summary: hosts.iter().map(summary).collect(),
        notes,
        hosts,
        warnings,
    }
}

/// Hosts of one name (two collections of one machine, or two machines that share a name)
/// are told apart by their folders; returns a note for each such name.
pub fn unique_labels(mut hosts: Vec<&mut HostIdentity>) -> Vec<String> {
    let mut by_label: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, h) in hosts.iter().enumerate() {
        by_label.entry(h.label.to_lowercase()).or_default().push(i);
    }
    let mut shared: Vec<Vec<usize>> = by_label.into_values().filter(|v| v.len() > 1).collect();
    shared.sort();
    let mut notes = Vec::new();
    for group in shared {
        let name = hosts[group[0]].label.clone();
        for &i in &group {
            let host = &mut hosts[i];
            host.label = match &host.folder {
                Some(folder) => format!("{} [{}]", host.label, folder.to_string_lossy()),
                None => format!("{} [loose files]", host.label),
            };
        }
        notes.push(format!(
            "{} hosts are named `{name}`: two collections of one machine, or machines that share a name; each is reported on its own ({})",
            group.len(),
            group
                .iter()
                .map(|&i| hosts[i].label.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    notes
}

/// A host at a glance.
fn summary(report: &HostReport) -> HostSummary {
    let mut found: Vec<(String, usize)> = Vec::new();
    for artifact in &report.inventory.found {
        let kind = artifact.kind.label().to_string();
        match found.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => found.push((kind, 1)),
        }
    }
    let notables = report.services.iter().filter(|s| s.notable).count()
        + report.autostarts.iter().filter(|a| a.notable).count()
        + report.tasks.iter().filter(|t| t.notable).count();
    HostSummary {
        host: report.host.label.clone(),
        found,
        missing: report
            .inventory
            .missing
            .iter()
            .map(|m| m.what.clone())
            .collect(),
        logs_from: report.logs.iter().filter_map(|l| l.first).min(),
        logs_to: report.logs.iter().filter_map(|l| l.last).max(),
        notable: notables,
        entities: report.services.len() + report.autostarts.len() + report.tasks.len(),
        warnings: report.warnings.len(),
    }
}
