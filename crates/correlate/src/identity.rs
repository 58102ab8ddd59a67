//! Which machine a host's evidence is: its names from the SYSTEM hive (`ComputerName`, the
//! Tcpip host name), from its event records' `Computer` field, and from its folder, in that
//! order of weight. Sources that disagree are said, never silently resolved.

use std::path::Path;

use konseki_model::{
    comparable_computer_name, ControlSet, Evidence, Grouping, HostIdentity, HostName, NameSource,
    Provenance,
};

use crate::hosts::Hosts;

/// The identity of the host whose evidence this is, with the names its logs record already
/// grouped (its label not yet made unique in the case: [`crate::unique_labels`] does that).
pub(crate) fn identify(evidence: &Evidence, hosts: &Hosts) -> HostIdentity {
    let mut names = registry_names(&evidence.control_sets);
    let log_hosts: Vec<(usize, &[std::sync::Arc<str>])> = hosts.all_names().collect();
    for (host, host_names) in &log_hosts {
        let files: Vec<String> = hosts
            .files(*host)
            .iter()
            .filter_map(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        for name in *host_names {
            names.push(HostName {
                name: name.to_string(),
                source: NameSource::EventLogs,
                detail: if files.is_empty() {
                    "event records".to_string()
                } else {
                    format!("event records of {}", files.join(", "))
                },
                evidence: None,
            });
        }
    }
    let folder_name = evidence
        .collection
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    if let (Some(folder), Some(name)) = (&evidence.collection, &folder_name) {
        names.push(HostName {
            name: name.clone(),
            source: NameSource::Folder,
            detail: folder.to_string_lossy().into_owned(),
            evidence: None,
        });
    }
    let current = current_set(&evidence.control_sets);
    let name = current
        .and_then(|c| c.computer_name.clone())
        .or_else(|| current.and_then(|c| c.tcpip_hostname.clone()))
        .or_else(|| latest_log_name(evidence, hosts));
    let disagreements = disagreements(current, &log_hosts);
    let mut disagreements = disagreements;
    let grouping = match (&evidence.collection, evidence.unattributed) {
        (Some(_), _) => Grouping::CollectionFolder,
        (None, false) => Grouping::LooseFiles,
        (None, true) => {
            disagreements.push("these loose files record no machine's name, and the other loose files record several machines: they are tied to none of them (give each machine's files in a folder of its own)".to_string());
            Grouping::UnattributedLooseFiles
        }
    };
    let fallback = if evidence.unattributed {
        "unattributed loose files"
    } else {
        "unnamed host"
    };
    HostIdentity {
        label: name
            .clone()
            .or(folder_name)
            .unwrap_or_else(|| fallback.to_string()),
        name,
        grouping,
        folder: evidence.collection.clone(),
        names,
        disagreements,
    }
}

/// The control set in use (`Select\Current`), else the first.
fn current_set(sets: &[ControlSet]) -> Option<&ControlSet> {
    sets.iter()
        .find(|c| c.roles.iter().any(|r| r == "current"))
        .or(sets.first())
}

/// `ComputerName` and the Tcpip host name of every control set (an older set can keep the
/// name the machine had before it was renamed).
fn registry_names(sets: &[ControlSet]) -> Vec<HostName> {
    let mut names = Vec::new();
    for set in sets {
        let which = if set.roles.is_empty() {
            set.name.clone()
        } else {
            format!("{} ({})", set.name, set.roles.join(", "))
        };
        let hive = match &set.source {
            Provenance::RegistryKey { file, .. } => Some(file.clone()),
            _ => None,
        };
        let mut add = |name: &Option<String>, source, key: &str| {
            if let Some(name) = name {
                names.push(HostName {
                    name: name.clone(),
                    source,
                    detail: which.clone(),
                    evidence: hive
                        .clone()
                        .map(|f| Provenance::registry_key(f, format!("{}\\{key}", set.name), None)),
                });
            }
        };
        add(
            &set.computer_name,
            NameSource::ComputerName,
            "Control\\ComputerName\\ComputerName",
        );
        add(
            &set.tcpip_hostname,
            NameSource::TcpipHostname,
            "Services\\Tcpip\\Parameters",
        );
    }
    names
}

/// The name the host's latest boot or shutdown marker was logged under.
fn latest_log_name(evidence: &Evidence, hosts: &Hosts) -> Option<String> {
    evidence
        .markers
        .iter()
        .rev()
        .map(|m| &m.computer)
        .chain(hosts.all_names().flat_map(|(_, n)| n.first()))
        .next()
        .map(|n| n.to_string())
}

/// What the sources say that does not fit together.
fn disagreements(
    current: Option<&ControlSet>,
    log_hosts: &[(usize, &[std::sync::Arc<str>])],
) -> Vec<String> {
    let mut out = Vec::new();
    let computer = current.and_then(|c| c.computer_name.as_deref());
    let tcpip = current.and_then(|c| c.tcpip_hostname.as_deref());
    if let (Some(c), Some(t)) = (computer, tcpip) {
        if comparable_computer_name(c) != comparable_computer_name(t) {
            out.push(format!(
                "{}: ComputerName is `{c}` but the Tcpip host name is `{t}`",
                current.map_or("", |s| s.name.as_str())
            ));
        }
    }
    let list = |names: &[std::sync::Arc<str>]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" → ")
    };
    if log_hosts.len() > 1 {
        out.push(format!(
            "the event logs record {} machines whose names never meet in one of their own log files ({}): each one's boot sessions and clock are kept apart, but the logs may not all be this machine's",
            log_hosts.len(),
            log_hosts
                .iter()
                .map(|(_, n)| list(n))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if let Some(registry) = computer.or(tcpip) {
        let matches = |n: &std::sync::Arc<str>| {
            comparable_computer_name(n) == comparable_computer_name(registry)
        };
        if !log_hosts.is_empty() && !log_hosts.iter().any(|(_, n)| n.iter().any(matches)) {
            out.push(format!(
                "the SYSTEM hive names the machine `{registry}`, its event logs record {}",
                log_hosts
                    .iter()
                    .map(|(_, n)| list(n))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_compared_as_netbios_names() {
        assert_eq!(
            comparable_computer_name("WKS-WIN732BITA"),
            comparable_computer_name("wks-win732bita.shieldbase.local")
        );
        assert_eq!(
            comparable_computer_name("VERYLONGHOSTNAME1"),
            comparable_computer_name("verylonghostnam")
        );
        assert_ne!(
            comparable_computer_name("FS03"),
            comparable_computer_name("FS04.offsec.lan")
        );
    }
}
